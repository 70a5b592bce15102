//! Cultivation: obligations that keep a rung, 复核 and the 2026 rules, the readiness radar,
//! enterprises at risk of falling, and what the next rung is worth — each with its scope.

use crate::console::Console;
use crate::fixtures::District;
use crate::helpers::{TestApp, count, database_at, drop_database, problem, run_sql};
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response) -> Value {
    response.json().await.expect("json")
}

/// Grants `tier` by hand, effective `on` (and valid until `until`, where given).
async fn certify(app: &TestApp, enterprise: &str, tier: &str, on: &str, until: Option<&str>) {
    let mut body = json!({"to_tier": tier, "effective_on": on});
    if let Some(until) = until {
        body["valid_until"] = json!(until);
    }
    let promoted = app.post(&format!("/api/v1/enterprises/{enterprise}/promotions"), &body).await;
    assert_eq!(promoted.status(), 201, "certifying {tier}: {}", promoted.text().await.unwrap_or_default());
}

async fn figures(app: &TestApp, enterprise: &str, year: i32, figures: Value) {
    let put = app.admin().request(reqwest::Method::PUT, &format!("/api/v1/enterprises/{enterprise}/indicators/{year}"));
    let put = put.header("If-Match", "*").json(&figures).send().await.expect("put figures");
    assert!(put.status().is_success(), "figures {year}: {}", put.text().await.unwrap_or_default());
}

fn item<'a>(items: &'a Value, code: &str, period: i64) -> &'a Value {
    items["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["code"] == code && i["period"] == period)
        .unwrap_or_else(|| panic!("no {code} {period} in {items}"))
}

#[actix_web::test]
async fn a_hnte_certified_2025_03_01_owes_its_report_by_2026_05_31_and_is_overdue_after() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let (counselor, outsider) = (district.counselor.api(&app), district.other_counselor.api(&app));
    let star = district.enterprise("星河科技").create().await;
    certify(&app, &star, "hnte", "2025-03-01", None).await;

    // Today is 2026-12-05: the 2025 report was due 2026-05-31, the 2026 one 2027-05-31.
    let owed = json_of(counselor.get(&format!("/api/v1/enterprises/{star}/obligations")).await).await;
    let report = item(&owed, "hnte_annual_report", 2025);
    assert_eq!((report["due_on"].as_str(), report["status"].as_str()), (Some("2026-05-31"), Some("overdue")), "{owed}");
    assert_eq!(report["description"], "2025年度 高新技术企业年度发展情况报表");
    let next = item(&owed, "hnte_annual_report", 2026);
    assert_eq!((next["due_on"].as_str(), next["status"].as_str()), (Some("2027-05-31"), Some("due")));
    assert!(owed["revocation_risks"].as_array().is_some_and(Vec::is_empty), "one year missed is no risk yet");
    // Another street's counselor sees nothing of it.
    assert_eq!(outsider.get(&format!("/api/v1/enterprises/{star}/obligations")).await.status(), 404);
    let report_id = report["id"].as_str().expect("an id").to_owned();
    let done = format!("/api/v1/obligations/{report_id}/done");
    assert_eq!(outsider.post(&done, &json!({"evidence": "x"})).await.status(), 404);

    // Overdue: on the list, on 我的待办, at risk, in the cockpit's figures.
    let overdue = json_of(counselor.get("/api/v1/obligations?status=overdue").await).await;
    assert_eq!(overdue["items"].as_array().map(Vec::len), Some(1), "{overdue}");
    assert_eq!(overdue["items"][0]["enterprise_name"], "星河科技");
    let elsewhere = json_of(outsider.get("/api/v1/obligations?status=overdue").await).await;
    assert_eq!(elsewhere["items"].as_array().map(Vec::len), Some(0));
    let agenda = json_of(counselor.get("/api/v1/me/agenda").await).await;
    assert_eq!(agenda["obligations_due"][0]["id"], report_id.as_str(), "{agenda}");
    let risky = json_of(counselor.get("/api/v1/pipeline/at-risk").await).await;
    let reasons: Vec<&str> =
        risky["items"][0]["reasons"].as_array().expect("reasons").iter().filter_map(|r| r["reason"].as_str()).collect();
    assert!(reasons.contains(&"obligation"), "{risky}");
    let completion = json_of(counselor.get("/api/v1/pipeline/obligations?year=2026").await).await;
    let district_row = &completion["total"][0];
    assert_eq!((district_row["total"].as_i64(), district_row["overdue"].as_i64()), (Some(1), Some(1)), "{completion}");

    // Two years missed: a revocation risk (国科发火〔2016〕32号 art. 19).
    run_sql(
        &app,
        &format!(
            "INSERT INTO obligations (id, enterprise_id, code, period, due_on, national_due_on)
             VALUES (gen_random_uuid(), '{star}', 'hnte_annual_report', 2024, '2025-05-31', '2025-05-31')"
        ),
    );
    let owed = json_of(counselor.get(&format!("/api/v1/enterprises/{star}/obligations")).await).await;
    assert_eq!(owed["revocation_risks"], json!(["高新技术企业年度发展情况报表"]), "{owed}");
    let risky = json_of(counselor.get("/api/v1/pipeline/at-risk").await).await;
    let reason =
        risky["items"][0]["reasons"].as_array().expect("reasons").iter().find(|r| r["reason"] == "obligation").cloned();
    assert_eq!(reason.map(|r| r["revocation_risk"].clone()), Some(json!(true)), "flagged in the pipeline: {risky}");

    // Ticked off with its evidence, once.
    let ticked = json_of(counselor.post(&done, &json!({"evidence": "火炬统计回执 2026-0412"})).await).await;
    assert_eq!(
        (ticked["status"].as_str(), ticked["evidence"].as_str()),
        (Some("done"), Some("火炬统计回执 2026-0412"))
    );
    problem(counselor.post(&done, &json!({})).await, 409).await;
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) AS n FROM audit_log WHERE entity = 'obligation' AND entity_id = '{report_id}'")
        ),
        1
    );
    let completion = json_of(counselor.get("/api/v1/pipeline/obligations?year=2026").await).await;
    let district_row = &completion["total"][0];
    assert_eq!((district_row["done"].as_i64(), district_row["on_time"].as_i64()), (Some(1), Some(0)), "done late");

    // A change of name is reported within three months.
    let renamed =
        counselor.patch(&format!("/api/v1/enterprises/{star}"), Some("*"), &json!({"name": "星河智能科技"})).await;
    assert_eq!(renamed.status(), 200);
    let owed = json_of(counselor.get(&format!("/api/v1/enterprises/{star}/obligations")).await).await;
    assert_eq!(item(&owed, "change_report", 2026)["due_on"], "2027-03-05", "{owed}");

    // A certificate that ends drops what it would still owe.
    let demoted = app
        .post(
            &format!("/api/v1/enterprises/{star}/demotions"),
            &json!({"to_tier": "prospect", "reason": "revoked", "effective_on": "2026-12-01"}),
        )
        .await;
    assert_eq!(demoted.status(), 201);
    let owed = json_of(counselor.get(&format!("/api/v1/enterprises/{star}/obligations")).await).await;
    assert!(
        owed["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|i| i["period"] != 2026 || i["code"] != "hnte_annual_report")
    );
}

#[actix_web::test]
async fn reviews_are_listed_with_their_rules_and_a_review_is_judged_without_the_growth_test() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let (counselor, outsider) = (district.counselor.api(&app), district.other_counselor.api(&app));
    let giant = district.enterprise("巨人精密").create().await;
    certify(&app, &giant, "tech_sme", "2026-06-01", None).await;
    certify(&app, &giant, "srdi", "2024-01-01", None).await;
    certify(&app, &giant, "little_giant", "2023-12-31", None).await;

    // Both terms end in 2026: due for review this year, with the rules that will judge them.
    let due = json_of(counselor.get("/api/v1/pipeline/reviews?year=2026").await).await;
    let listed: Vec<(String, String, String)> = due["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["tier"].as_str().unwrap_or("").into(),
                r["valid_until"].as_str().unwrap_or("").into(),
                r["rule_set"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert_eq!(
        listed,
        [
            ("little_giant".into(), "2026-12-30".into(), "工信部企业〔2022〕63号（工信厅企业函〔2026〕117号）".into()),
            ("srdi".into(), "2026-12-31".into(), "工信部企业〔2022〕63号".into()),
        ],
        "{due}"
    );
    assert_eq!(json_of(outsider.get("/api/v1/pipeline/reviews?year=2026").await).await["items"], json!([]));
    let export = counselor.get("/api/v1/pipeline/reviews?year=2026&format=xlsx").await;
    assert_eq!(export.status(), 200);
    assert!(export.bytes().await.expect("bytes").starts_with(b"PK"), "an Excel file");

    // The review of 小巨人 leaves out the growth test and counts the better of two scores.
    figures(&app, &giant, 2024, json!({"assessment_score": 62.0})).await;
    figures(&app, &giant, 2025, json!({"assessment_score": 55.0, "revenue": 80_000_000})).await;
    let review =
        json_of(counselor.get(&format!("/api/v1/enterprises/{giant}/eligibility?tier=little_giant&kind=review")).await)
            .await;
    let codes: Vec<&str> =
        review["criteria"].as_array().expect("criteria").iter().filter_map(|c| c["code"].as_str()).collect();
    assert_eq!(review["kind"], "review");
    assert!(!codes.contains(&"revenue_growth"), "{review}");
    let score =
        review["criteria"].as_array().expect("criteria").iter().find(|c| c["code"] == "assessment_score").cloned();
    assert_eq!(score.map(|s| s["met"].clone()), Some(json!(true)), "2024's 62 counts");
    let new = json_of(counselor.get(&format!("/api/v1/enterprises/{giant}/eligibility?tier=little_giant")).await).await;
    assert!(new["criteria"].as_array().expect("criteria").iter().any(|c| c["code"] == "revenue_growth"));
    assert!(new["benefits"].as_array().is_some_and(|b| !b.is_empty()), "what the rung is worth: {new}");

    // A review application is for a held certificate; one of a rung not held is refused.
    let opened = counselor
        .post(
            &format!("/api/v1/enterprises/{giant}/applications"),
            &json!({"tier": "srdi", "batch_year": 2026, "kind": "review"}),
        )
        .await;
    assert_eq!(opened.status(), 201);
    assert_eq!(json_of(opened).await["kind"], "review");
    let plain = district.enterprise("无证企业").create().await;
    let refused = counselor
        .post(
            &format!("/api/v1/enterprises/{plain}/applications"),
            &json!({"tier": "srdi", "batch_year": 2026, "kind": "review"}),
        )
        .await;
    let refused = problem(refused, 422).await;
    assert!(refused.to_string().contains("tier"), "{refused}");
}

#[actix_web::test]
async fn from_2026_04_01_srdi_requires_the_tech_sme_title() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let titled = district.enterprise("有称号").create().await;
    certify(&app, &titled, "tech_sme", "2026-05-01", None).await;
    let untitled = district.enterprise("无称号").create().await;
    let prerequisite = |body: &Value| {
        body["criteria"]
            .as_array()
            .expect("criteria")
            .iter()
            .find(|c| c["code"] == "prerequisite_title")
            .map(|c| c["met"].clone())
    };
    let judged = |id: String, on: &'static str| {
        let app = &app;
        async move { json_of(app.get(&format!("/api/v1/enterprises/{id}/eligibility?tier=srdi&on={on}")).await).await }
    };
    assert_eq!(prerequisite(&judged(titled.clone(), "2026-06-01").await), Some(json!(true)));
    assert_eq!(prerequisite(&judged(untitled.clone(), "2026-06-01").await), Some(json!(false)));
    // Before the 2026 rules took effect there was no such criterion.
    assert_eq!(prerequisite(&judged(untitled, "2026-03-31").await), None);
}

#[actix_web::test]
async fn the_radar_ranks_the_closest_first_with_each_gap_in_the_bureaus_words() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let (counselor, outsider) = (district.counselor.api(&app), district.other_counselor.api(&app));
    // 科技型中小企业: staff ≤500, revenue ≤¥200m, assets ≤¥200m, tech staff ≥10%, score ≥60.
    let ready = district.enterprise("条件齐备").create().await;
    figures(&app, &ready, 2025, json!({"staff": 80, "tech_staff": 20, "revenue": 30_000_000, "total_assets": 20_000_000, "assessment_score": 72.0})).await;
    let close = district.enterprise("差两名科技人员").create().await;
    figures(&app, &close, 2025, json!({"staff": 100, "tech_staff": 8, "revenue": 30_000_000, "total_assets": 20_000_000, "assessment_score": 72.0})).await;
    let far = district.enterprise("尚无数据").create().await;
    let elsewhere = district.enterprise("西乡企业").in_street(&district.xixiang).create().await;
    figures(&app, &elsewhere, 2025, json!({"staff": 80, "tech_staff": 20, "revenue": 30_000_000, "total_assets": 20_000_000, "assessment_score": 72.0})).await;

    let radar = json_of(counselor.get("/api/v1/pipeline/readiness").await).await;
    let ranked: Vec<(&str, &str, i64, i64)> = radar["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| {
            (
                r["name"].as_str().unwrap_or(""),
                r["target_tier"].as_str().unwrap_or(""),
                r["met"].as_i64().unwrap_or(-1),
                r["total"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    assert_eq!(
        ranked,
        [("条件齐备", "tech_sme", 5, 5), ("差两名科技人员", "tech_sme", 4, 5), ("尚无数据", "tech_sme", 0, 5)],
        "{radar}"
    );
    let gap = &radar["items"][1]["gaps"][0];
    assert_eq!(
        (gap["code"].as_str(), gap["short_by"].as_str()),
        (Some("tech_staff_share"), Some("还差 2 名科技人员")),
        "{gap}"
    );
    assert_eq!(
        json_of(outsider.get("/api/v1/pipeline/readiness").await).await["items"].as_array().map(Vec::len),
        Some(1)
    );

    // Pages follow the ranking; a chosen rung ranks toward it instead.
    let first = json_of(counselor.get("/api/v1/pipeline/readiness?limit=1").await).await;
    let cursor = first["next_cursor"].as_str().expect("more").to_owned();
    let second = json_of(counselor.get(&format!("/api/v1/pipeline/readiness?limit=1&cursor={cursor}")).await).await;
    assert_eq!(second["items"][0]["name"], "差两名科技人员");
    let hnte = json_of(counselor.get("/api/v1/pipeline/readiness?tier=hnte").await).await;
    assert!(hnte["items"].as_array().expect("items").iter().all(|r| r["target_tier"] == "hnte"));
    problem(counselor.get("/api/v1/pipeline/readiness?tier=unicorn").await, 422).await;
    let street = json_of(app.get(&format!("/api/v1/pipeline/readiness?street_id={}", district.xixiang)).await).await;
    assert_eq!(street["items"][0]["name"], "西乡企业");

    // Climbing moves the enterprise's row on to the rung after.
    certify(&app, &ready, "tech_sme", "2026-06-01", None).await;
    let radar = json_of(counselor.get("/api/v1/pipeline/readiness").await).await;
    let moved = radar["items"].as_array().expect("items").iter().find(|r| r["name"] == "条件齐备").cloned();
    assert_eq!(moved.map(|r| r["target_tier"].clone()), Some(json!("hnte")), "{radar}");
    let export = counselor.get("/api/v1/pipeline/readiness?format=csv").await;
    let text = export.text().await.expect("text");
    assert!(text.contains("差两名科技人员") && text.contains("还差 2 名科技人员"), "{text}");
    drop(far);
}

#[actix_web::test]
async fn falling_figures_and_a_term_ending_unrenewed_put_a_rung_at_risk() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let counselor = district.counselor.api(&app);
    let falling = district.enterprise("收入下滑").create().await;
    // Certified in June: its first report falls due next May, so only its figures count.
    certify(&app, &falling, "hnte", "2026-06-01", None).await;
    // High-tech income 40% of income: the 国高 rule asks 60%.
    figures(&app, &falling, 2025, json!({"high_tech_revenue": 4_000_000, "total_income": 10_000_000})).await;
    let ending = district.enterprise("年底到期").create().await;
    certify(&app, &ending, "hnte", "2023-12-21", None).await;

    let risky = json_of(counselor.get("/api/v1/pipeline/at-risk").await).await;
    let reasons = |name: &str| -> Vec<String> {
        let found =
            risky["items"].as_array().expect("items").iter().find(|r| r["name"] == name).cloned().unwrap_or_default();
        found["reasons"]
            .as_array()
            .map(|rs| rs.iter().filter_map(|r| r["reason"].as_str().map(str::to_owned)).collect())
            .unwrap_or_default()
    };
    assert_eq!(reasons("收入下滑"), ["criteria"], "{risky}");
    assert_eq!(reasons("年底到期"), ["expiring", "obligation"], "its 2025 report is overdue too: {risky}");
    let criteria =
        risky["items"].as_array().expect("items").iter().find(|r| r["name"] == "收入下滑").cloned().unwrap_or_default();
    assert_eq!(criteria["reasons"][0]["gaps"][0]["short_by"], "高新技术产品（服务）收入还差 200 万元");
    // An application to renew takes the ending certificate off the list.
    crate::fixtures::application(&app, &ending, "hnte", &[]).await;
    let risky = json_of(counselor.get("/api/v1/pipeline/at-risk").await).await;
    let left =
        risky["items"].as_array().expect("items").iter().find(|r| r["name"] == "年底到期").cloned().unwrap_or_default();
    assert!(left["reasons"].as_array().is_some_and(|rs| rs.iter().all(|r| r["reason"] != "expiring")), "{risky}");
    assert_eq!(
        json_of(district.other_counselor.api(&app).get("/api/v1/pipeline/at-risk").await).await["items"],
        json!([])
    );

    // The enterprise page says so, with the 国高's last-year warning and what the rung is worth.
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let page = console.page(&format!("/enterprises/{ending}")).await;
    assert!(page.contains("12月31日前重新认定"), "the last year's warning");
    let page = console.page(&format!("/enterprises/{falling}")).await;
    assert!(page.contains("有掉级风险") && page.contains("最新指标不再满足"), "the risk on the page");
}

#[actix_web::test]
async fn the_console_ticks_off_an_obligation_and_shows_the_lists_and_the_cockpit_strip() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let star = district.enterprise("星河科技").create().await;
    certify(&app, &star, "hnte", "2025-03-01", None).await;
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let page = console.page(&format!("/enterprises/{star}")).await;
    assert!(
        page.contains("义务与截止日期")
            && page.contains("2025年度 高新技术企业年度发展情况报表")
            && page.contains("已逾期")
    );
    let owed =
        json_of(district.counselor.api(&app).get(&format!("/api/v1/enterprises/{star}/obligations")).await).await;
    let id = item(&owed, "hnte_annual_report", 2025)["id"].as_str().expect("id").to_owned();
    let action = format!("/enterprises/{star}/obligations/{id}/done");
    let ticked = console.submit(&format!("/enterprises/{star}"), &action, &[("evidence", "回执 0412")]).await;
    assert_eq!(ticked.status(), 303);
    let page = console.page(&format!("/enterprises/{star}?saved=obligation")).await;
    assert!(page.contains("已标记完成") && page.contains("回执 0412"));
    // Sent again: said beside the item, in Chinese, nothing written twice.
    let again = console.submit(&format!("/enterprises/{star}"), &action, &[("evidence", "回执 0412")]).await;
    assert_eq!(again.status(), 422);
    assert!(again.text().await.expect("page").contains("这项义务已经标记完成"));

    for (path, words) in [
        ("/radar", "准备度雷达"),
        ("/at-risk", "掉级风险"),
        ("/obligations?status=done", "星河科技"),
        ("/reviews", "复核"),
    ] {
        let (status, page) = console.get(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains(words), "{path}");
    }
    let mut bureau = Console::signed_in(&app, "chen.bureau").await;
    let cockpit = bureau.page("/cockpit").await;
    for figure in ["掉级风险企业", "义务逾期", "年待复核", "逾期诉求", "按频次走访达标", "义务完成情况"]
    {
        assert!(cockpit.contains(figure), "{figure}");
    }
    let (status, _, body) = bureau.download("/cockpit/export/radar?format=xlsx").await;
    assert_eq!((status.as_u16(), body.starts_with(b"PK")), (200, true));
}

#[actix_web::test]
async fn certificates_and_applications_from_before_cultivation_get_their_items_and_radar() {
    let (url, mut conn) = database_at("before_cultivation", 18);
    conn.batch_execute(
        "INSERT INTO regions (id, kind, code, name) VALUES ('00000000-0000-7000-8000-000000000001', 'district', 'd', '宝安区');
         INSERT INTO regions (id, kind, code, name, parent_id) VALUES ('00000000-0000-7000-8000-000000000002', 'street', 's', '新安街道', '00000000-0000-7000-8000-000000000001');
         INSERT INTO users (id, username, display_name, password_hash, role) VALUES ('00000000-0000-7000-8000-000000000003', 'li', '李新安', 'x', 'counselor');
         INSERT INTO enterprises (id, uscc, name, street_id, tier) VALUES ('00000000-0000-7000-8000-000000000004', '91440300MA5FXXXX0X', '星河', '00000000-0000-7000-8000-000000000002', 'hnte');
         INSERT INTO certificates (id, enterprise_id, tier, effective_on, valid_until, source)
              VALUES ('00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000004', 'hnte', '2025-03-01', '2028-02-29', 'manual');
         INSERT INTO applications (id, enterprise_id, tier, batch_year, status, created_by)
              VALUES ('00000000-0000-7000-8000-000000000006', '00000000-0000-7000-8000-000000000004', 'srdi', 2026, 'preparing', '00000000-0000-7000-8000-000000000003');",
    )
    .expect("a certified enterprise of before cultivation");
    let catalog = peiyu::config::Settings::load().expect("settings").catalog().expect("catalog");
    peiyu::startup::migrate(&url, &catalog).expect("migrate");
    let upkeep = peiyu::service::cultivation::upkeep(&mut conn, &catalog).expect("the upkeep");
    assert_eq!((upkeep.obligations_made, upkeep.recounted), (2, Some(1)));
    let again = peiyu::service::cultivation::upkeep(&mut conn, &catalog).expect("the upkeep again");
    assert_eq!((again.obligations_made, again.recounted), (0, None), "nothing twice");

    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Text)]
        what: String,
    }
    let rows: Vec<Row> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT kind AS what FROM applications
             UNION ALL SELECT code || ' ' || period || ' ' || due_on FROM obligations
             UNION ALL SELECT target_tier || ' next=' || next FROM readiness",
        ),
        &mut conn,
    )
    .expect("read back");
    let rows: Vec<String> = rows.into_iter().map(|r| r.what).collect();
    assert_eq!(
        rows,
        [
            "new",
            "hnte_annual_report 2025 2026-05-31",
            "hnte_annual_report 2026 2027-05-31",
            "srdi next=true",
            "little_giant next=false"
        ]
    );
    drop(conn);
    drop_database(&url);
}
