//! The bureau's 驾驶舱 and the enterprise list behind its numbers: the page shows the
//! API's very figures, within the caller's streets.

use crate::console::Console;
use crate::helpers::{TestApp, days_ago, id_of, uscc};
use serde_json::{Value, json};

/// Two streets with a few enterprises on two rungs, and a manager and a counselor.
async fn district(app: &TestApp) -> (String, String) {
    let (street, other, _) = app.streets().await;
    app.user("bureau.manager", "manager", &[]).await;
    app.user("li.xinan", "counselor", &[&street]).await;
    for n in 1..=3 {
        app.enterprise(&json!({"uscc": uscc(n), "name": format!("新安{n}号科技"), "street_id": street})).await;
    }
    for n in 4..=5 {
        let id = id_of(
            &app.enterprise(&json!({"uscc": uscc(n), "name": format!("西乡{n}号科技"), "street_id": other})).await,
        );
        let sme = json!({"to_tier": "tech_sme", "effective_on": days_ago(330)});
        assert_eq!(app.post(&format!("/api/v1/enterprises/{id}/promotions"), &sme).await.status(), 201);
    }
    let targets = json!({"targets": [{"tier": "tech_sme", "region_id": other, "target": 10}]});
    let year = chrono::Utc::now().format("%Y");
    assert_eq!(
        app.admin()
            .request(reqwest::Method::PUT, &format!("/api/v1/targets/{year}"))
            .json(&targets)
            .send()
            .await
            .expect("request")
            .status(),
        200
    );
    (street, other)
}

#[actix_web::test]
async fn the_cockpit_shows_the_apis_figures_and_every_cell_leads_to_its_enterprises() {
    let app = TestApp::spawn().await;
    let (_, other) = district(&app).await;
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let cockpit = manager.page("/").await;
    assert!(cockpit.contains("驾驶舱") && cockpit.contains("<svg"), "a manager lands on the cockpit: {cockpit}");
    let summary: Value = app.get("/api/v1/pipeline/summary").await.json().await.expect("json");
    assert!(cockpit.contains(&format!("共 {} 家", summary["total"])), "{cockpit}");
    // The street × tier cell of 西乡's tech SMEs, with the API's count, leads to them.
    let cell = format!(r#"<a href="/enterprises?tier=tech_sme&#38;street_id={other}">2</a>"#);
    assert!(cockpit.contains(&cell), "{cockpit}");
    let list = manager.page(&format!("/enterprises?tier=tech_sme&street_id={other}")).await;
    assert_eq!(list.matches(r#"class="title""#).count(), 2, "{list}");
    assert!(list.contains("西乡4号科技") && !list.contains("新安1号科技"), "{list}");
    // This year's target and its pace; coverage and the backlog as the API reports them.
    assert!(cockpit.contains("目标 10") && cockpit.contains("明显落后"), "{cockpit}");
    let coverage: Value = app.get("/api/v1/pipeline/coverage").await.json().await.expect("json");
    assert_eq!(coverage["enterprises"], 5, "{coverage}");
    assert!(cockpit.contains("<td>5</td><td>0</td>"), "the pool of 5, none visited: {cockpit}");
    // One street.
    let street = manager.page(&format!("/cockpit?street_id={other}")).await;
    assert!(street.contains("驾驶舱 · 西乡街道") && street.contains("共 2 家"), "{street}");
}

#[actix_web::test]
async fn a_counselors_cockpit_counts_only_their_streets() {
    let app = TestApp::spawn().await;
    let (street, other) = district(&app).await;
    let mut counselor = Console::signed_in(&app, "li.xinan").await;
    assert!(counselor.page("/").await.contains("我的待办"), "a counselor still lands on 我的待办");
    let cockpit = counselor.page("/cockpit").await;
    assert!(cockpit.contains("共 3 家") && !cockpit.contains("西乡街道"), "{cockpit}");
    // Another street asked for is no street: the counselor's own view.
    let asked = counselor.page(&format!("/cockpit?street_id={other}")).await;
    assert!(asked.contains("共 3 家") && asked.contains(&format!(r#"value="{street}""#)), "{asked}");
    let list = counselor.page(&format!("/enterprises?street_id={other}")).await;
    assert!(list.contains("没有符合条件的企业"), "{list}");
}

#[actix_web::test]
async fn the_list_takes_every_filter_of_the_api() {
    let app = TestApp::spawn().await;
    let (street, _) = district(&app).await;
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let expiring = manager.page("/enterprises?expiring_within_days=90").await;
    assert_eq!(expiring.matches(r#"class="title""#).count(), 2, "both certificates lapse within 90 days: {expiring}");
    let unvisited = manager.page(&format!("/enterprises?street_id={street}&not_visited_days=30")).await;
    assert_eq!(unvisited.matches(r#"class="title""#).count(), 3, "{unvisited}");
    let bad = manager.page("/enterprises?expiring_within_days=9999&not_visited_days=abc").await;
    assert!(
        bad.contains(r#"id="expiring_within_days-error""#) && bad.contains(r#"id="not_visited_days-error""#),
        "{bad}"
    );
    assert!(bad.contains("<details class=\"more-filters\" open>"), "the filters in question are shown: {bad}");
}

#[actix_web::test]
async fn the_list_downloads_as_the_same_filtered_spreadsheet() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let app = TestApp::spawn().await;
    let (_, other) = district(&app).await;
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let list = manager.page(&format!("/enterprises?tier=tech_sme&street_id={other}")).await;
    let xlsx = format!("/enterprises/export?tier=tech_sme&#38;street_id={other}&#38;format=xlsx");
    assert!(list.contains(&xlsx), "the export button keeps the filters: {list}");
    let (status, kind, bytes) = manager.download(&xlsx.replace("&#38;", "&")).await;
    assert_eq!(status, 200);
    assert_eq!(kind, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a readable XLSX");
    let sheet = book.worksheet_range("企业名录").expect("the sheet");
    let names: Vec<String> = sheet.rows().filter_map(|row| row.get(1).map(ToString::to_string)).collect();
    assert_eq!(names.iter().filter(|n| n.starts_with("西乡")).count(), 2, "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("新安")), "{names:?}");
    let (status, kind, csv) = manager.download(&format!("/enterprises/export?street_id={other}&format=csv")).await;
    assert_eq!((status.as_u16(), kind.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(String::from_utf8(csv).expect("utf-8").contains("西乡5号科技"));
    // Signed out, the download is the sign-in page like any other.
    let (status, ..) = Console::new(&app).download("/enterprises/export?format=xlsx").await;
    assert_eq!(status, 303);
}

#[actix_web::test]
async fn the_enterprise_page_shows_the_bureau_who_changed_what() {
    let app = TestApp::spawn().await;
    let (street, _) = district(&app).await;
    let id = id_of(&app.enterprise(&json!({"uscc": uscc(20), "name": "旧名科技", "street_id": street})).await);
    let renamed =
        app.patch(&format!("/api/v1/enterprises/{id}"), Some("*"), &json!({"name": "新名科技", "employees": 80})).await;
    assert_eq!(renamed.status(), 200);
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let page = manager.page(&format!("/enterprises/{id}")).await;
    let audit = page.split("修改记录").nth(1).expect("the audit section");
    assert!(audit.contains("企业名称：旧名科技 → 新名科技") && audit.contains("员工人数：— → 80"), "{audit}");
    assert!(audit.contains("系统管理员 · 修改") && audit.contains("登记"), "people by their names: {audit}");
    assert!(audit.contains("所属街道：— → 新安街道") && !audit.contains("— → —"), "{audit}");
    let mut counselor = Console::signed_in(&app, "li.xinan").await;
    assert!(!counselor.page(&format!("/enterprises/{id}")).await.contains("修改记录"), "not for counselors");
}

#[actix_web::test]
async fn the_bureau_decides_applications_from_the_list_and_an_approval_promotes() {
    let app = TestApp::spawn().await;
    let (street, _) = district(&app).await;
    let id = id_of(&app.enterprise(&json!({"uscc": uscc(30), "name": "申报科技", "street_id": street})).await);
    let year = chrono::Utc::now().format("%Y").to_string();
    let mut counselor = Console::signed_in(&app, "li.xinan").await;
    let opened = counselor
        .submit(
            &format!("/enterprises/{id}/applications/new"),
            &format!("/enterprises/{id}/applications"),
            &[("tier", "tech_sme"), ("batch_year", &year)],
        )
        .await;
    assert_eq!(opened.status(), 303);
    // The counselor pre-reviews from the list, and may not decide.
    let list = counselor.page("/applications").await;
    assert!(list.contains("申报科技") && list.contains(r#"value="pre_review""#), "{list}");
    assert!(!list.contains(r#"value="approve""#), "deciding is the bureau's: {list}");
    let application =
        list.split(r#"action="/applications/"#).nth(1).expect("a form").split('"').next().expect("id").to_owned();
    let action = format!("/applications/{application}");
    let reviewed = counselor
        .submit(
            "/applications",
            &action,
            &[("action", "pre_review"), ("note", "材料齐全，研发费用归集规范"), ("back", "/applications?year=")],
        )
        .await;
    assert_eq!(reviewed.status(), 303);
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let list = manager.page("/applications").await;
    assert!(list.contains("材料预审：材料齐全，研发费用归集规范"), "the pre-review note is on the list: {list}");
    let submitted = manager.submit("/applications", &action, &[("action", "submit"), ("back", "/applications")]).await;
    assert_eq!(submitted.status(), 303);
    // Rejecting asks for a reason; approving records the promotion.
    let rejected = manager
        .submit("/applications", &action, &[("action", "reject"), ("note", " "), ("back", "/applications")])
        .await;
    assert_eq!(rejected.status(), 422);
    assert!(rejected.text().await.expect("body").contains(&format!(r#"id="note-reject-{application}-error""#)));
    let approved = manager
        .submit(
            "/applications",
            &action,
            &[("action", "approve"), ("certificate_no", "2026440300A9999"), ("back", "/applications")],
        )
        .await;
    assert_eq!(approved.status(), 303);
    let enterprise: Value = app.get(&format!("/api/v1/enterprises/{id}")).await.json().await.expect("json");
    assert_eq!(enterprise["tier"], "tech_sme", "the approval promoted it");
    assert!(manager.page("/applications?status=approved").await.contains("申报科技"));
}

#[actix_web::test]
async fn every_card_of_the_cockpit_downloads_the_apis_own_report() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let app = TestApp::spawn().await;
    let (street, other) = district(&app).await;
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let cockpit = manager.page("/cockpit").await;
    // Each card's report, beside the API's export of the same report: the same CSV.
    let reports = [
        ("ladder", "/api/v1/pipeline/summary?format=csv".to_owned()),
        ("targets", "/api/v1/targets?format=csv".to_owned()),
        ("funnel", "/api/v1/pipeline/funnel?format=csv".to_owned()),
        ("coverage", "/api/v1/pipeline/coverage?days=90&format=csv".to_owned()),
        ("requests", "/api/v1/pipeline/requests?format=csv".to_owned()),
        ("expiring", "/api/v1/pipeline/expiring?within_days=90&format=csv".to_owned()),
    ];
    for (report, api) in &reports {
        assert!(cockpit.contains(&format!(r#"href="/cockpit/export/{report}?format=xlsx""#)), "{report}: {cockpit}");
        let (status, kind, csv) = manager.download(&format!("/cockpit/export/{report}?format=csv")).await;
        assert_eq!((status.as_u16(), kind.as_str()), (200, "text/csv; charset=utf-8"), "{report}");
        let expected = app.get(api).await.bytes().await.expect("the API's export");
        assert_eq!(String::from_utf8_lossy(&csv), String::from_utf8_lossy(&expected), "{report}");
    }
    let (_, _, expiring) = manager.download("/cockpit/export/expiring?format=csv").await;
    assert!(String::from_utf8(expiring).expect("utf-8").contains("西乡4号科技"), "the lapsing certificates");
    // One street's cockpit exports that street's ladder, as an XLSX.
    let one = manager.page(&format!("/cockpit?street_id={other}")).await;
    let xlsx = format!("/cockpit/export/ladder?format=xlsx&#38;street_id={other}");
    assert!(one.contains(&xlsx), "{one}");
    let (status, _, bytes) = manager.download(&xlsx.replace("&#38;", "&")).await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a readable XLSX");
    let sheet = book.worksheet_range("按街道").expect("the sheet");
    let streets: Vec<String> = sheet.rows().skip(2).filter_map(|row| row.first().map(ToString::to_string)).collect();
    assert_eq!(streets, ["西乡街道"]);
    // A counselor's download holds their streets only; a report that is not one is no page.
    let mut counselor = Console::signed_in(&app, "li.xinan").await;
    let (_, _, csv) = counselor.download("/cockpit/export/ladder?format=csv").await;
    let csv = String::from_utf8(csv).expect("utf-8");
    assert!(csv.contains("新安街道") && !csv.contains("西乡街道"), "{csv}");
    let (_, _, csv) = counselor.download(&format!("/cockpit/export/expiring?format=csv&street_id={street}")).await;
    assert!(!String::from_utf8(csv).expect("utf-8").contains("西乡"), "not another street's certificates");
    assert_eq!(counselor.get("/cockpit/export/everything?format=csv").await.0, 404);
    assert_eq!(Console::new(&app).download("/cockpit/export/ladder?format=csv").await.0, 303);
}
