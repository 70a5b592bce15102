//! What a new user tripped over in the console, each held here: the words on the page,
//! where the page puts what went wrong, and the records a page leaves out.

use crate::console::{Console, csrf_of};
use crate::fixtures::{self, District};
use crate::helpers::{ADMIN_PASSWORD, TestApp, id_of, run_sql};
use calamine::{Reader, Xlsx, open_workbook_from_rs};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

async fn admin(app: &TestApp) -> Console {
    let mut console = Console::new(app);
    console.sign_in("admin", ADMIN_PASSWORD).await;
    console
}

#[actix_web::test]
async fn a_refused_move_is_said_at_the_top_with_a_link_to_its_field() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let request = fixtures::request(&app, &enterprise, "扩租").await;
    // The API names the refusal by its code, and words it in English.
    let illegal = app.post(&format!("/api/v1/requests/{request}/transitions"), &json!({"action": "start"})).await;
    let illegal = crate::helpers::problem(illegal, 409).await;
    assert_eq!(illegal["code"], "illegal_move");
    assert_eq!(
        illegal["detail"],
        "cannot start a request that is open; allowed now: acknowledge, assign, transfer, escalate, reject"
    );
    let mut console = admin(&app).await;
    let page = console.page(&format!("/requests/{request}")).await;
    let version = crate::console::hidden_of(&page, "version").expect("a version");
    let refused = console
        .post(
            &format!("/requests/{request}"),
            &[("csrf", &csrf_of(&page)), ("version", &version), ("action", "reject"), ("note", " ")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.expect("body");
    let summary = page.find(r#"class="alert""#).expect("a summary of what is wrong");
    assert!(summary < page.find("<h1>").expect("a title"), "the summary comes before everything else");
    assert!(page[summary..].starts_with(r#"class="alert" role="alert" tabindex="-1" autofocus"#), "{page}");
    assert!(page.contains(r##"<a href="#note-reject">「驳回」须填写理由</a>"##), "{page}");
    assert!(page.contains("驳回理由"), "the reason's box is named for its move");
}

#[actix_web::test]
async fn the_withdrawal_box_is_named_for_withdrawing_and_enter_saves_a_visit() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    fixtures::application(&app, &enterprise, "hnte", &[]).await;
    let mut console = admin(&app).await;
    let list = console.page("/applications?year=2026").await;
    assert!(list.contains("撤回理由"), "{list}");
    assert!(!list.contains("驳回理由"), "no rejection box on an application being prepared");

    let form = console.page(&format!("/enterprises/{enterprise}/visits/new")).await;
    let save = form.find(r#"<button class="button primary" type="submit">"#).expect("a save button");
    let more = form.find(r#"name="more""#).expect("a button for one more demand");
    assert!(save < more, "the first button, which Enter presses, saves the visit");
}

#[actix_web::test]
async fn a_visit_has_a_page_of_its_own_that_shows_it_whole() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let counselor = district.counselor.api(&app);
    let summary = "了解企业扩产计划与用地需求，宣讲高企认定政策口径，企业拟于明年申报国家高新技术企业，需要辅导研发费用归集与知识产权布局，并希望协调人才住房。";
    let logged = counselor
        .post(
            &format!("/api/v1/enterprises/{enterprise}/visits"),
            &json!({
                "visited_at": (Utc::now() - Duration::hours(2)).to_rfc3339(),
                "channel": "onsite",
                "purposes": ["demand_collection"],
                "summary": summary,
                "participants": "总经理张伟、财务总监王丽",
                "findings": "研发费用未单独建账",
                "next_steps": "下周送去归集模板",
                "requests": [{"category": "housing", "priority": "normal", "title": "人才住房 5 套", "description": "博士两名"}]
            }),
        )
        .await;
    assert_eq!(logged.status(), 201);
    let visit = id_of(&logged.json::<Value>().await.expect("json"));

    let mut console = Console::signed_in(&app, "li.xinan").await;
    let timeline = console.page(&format!("/enterprises/{enterprise}")).await;
    assert!(timeline.contains(&format!(r#"href="/visits/{visit}""#)), "the timeline leads to the visit");
    assert!(timeline.contains('…'), "a cut summary says it was cut");
    let page = console.page(&format!("/visits/{visit}")).await;
    for shown in
        [summary, "总经理张伟、财务总监王丽", "研发费用未单独建账", "下周送去归集模板", "人才住房 5 套", "李新安"]
    {
        assert!(page.contains(shown), "the visit's page shows {shown}");
    }
    assert!(page.contains("李新安") && !page.contains(">li.xinan<"), "people go by their names");
}

#[actix_web::test]
async fn the_change_log_and_the_timeline_speak_the_bureaus_words() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let (street, enterprise) = (&district.xinan, district.enterprise("星河智能科技").create().await);
    let promoted = app
        .post(
            &format!("/api/v1/enterprises/{enterprise}/promotions"),
            &json!({"to_tier": "tech_sme", "effective_on": "2025-12-18", "certificate_no": "2025440300001"}),
        )
        .await;
    assert_eq!(promoted.status(), 201, "{}", promoted.text().await.unwrap_or_default());
    let mut console = admin(&app).await;
    let page = console.page(&format!("/enterprises/{enterprise}")).await;
    assert!(page.contains("2025-12-18"), "the promotion is dated by its certificate");
    assert!(page.contains("所属街道：— → 新安街道") || page.contains("街道：— → 新安街道"), "{page}");
    assert!(!page.contains(street.as_str()), "no street by its id");
    assert!(!page.contains("[]") && !page.contains("— → —"), "no empty changes");
    assert!(!page.contains("prospect"), "no rung by its code");
}

#[actix_web::test]
async fn eligibility_names_the_years_still_missing() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let figures =
        json!({"revenue": 30_000_000, "rd_expense": 1_500_000, "rd_expense_domestic": 1_500_000, "staff": 80});
    let put = app.admin().request(reqwest::Method::PUT, &format!("/api/v1/enterprises/{enterprise}/indicators/2025"));
    let saved = put.json(&figures).send().await.expect("request");
    assert_eq!(saved.status(), 200);
    let judged: Value =
        app.get(&format!("/api/v1/enterprises/{enterprise}/eligibility?tier=hnte")).await.json().await.expect("json");
    let rd = judged["criteria"].as_array().expect("criteria").iter().find(|c| c["code"] == "rd_ratio").expect("R&D");
    assert_eq!(rd["missing_years"], json!([2023, 2024]), "{rd}");
}

#[actix_web::test]
async fn my_agenda_lists_each_request_once_what_is_late_first() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let me = &district.counselor.id;
    let request = fixtures::request(&app, &enterprise, "逾期的扩租诉求").await;
    let assigned = app
        .post(&format!("/api/v1/requests/{request}/transitions"), &json!({"action": "assign", "assignee_id": me}))
        .await;
    assert_eq!(assigned.status(), 200);
    run_sql(
        &app,
        &format!(
            "UPDATE service_requests SET due_at = now() - interval '3 days 2 hours', stage_due_at = now() - interval '3 days 2 hours' WHERE id = '{request}'"
        ),
    );
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let home = console.page("/").await;
    assert_eq!(home.matches("逾期的扩租诉求").count(), 1, "one line per request: {home}");
    assert!(home.contains("逾期 3 天"), "{home}");
    assert!(home.contains("李新安"), "the header names the person");
}

#[actix_web::test]
async fn a_spreadsheets_title_rows_name_the_filters_in_words() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let mut console = admin(&app).await;
    let asked = format!("/enterprises/export?format=xlsx&tier=hnte&street_id={}", district.xinan);
    let (status, _, bytes) = console.download(&asked).await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a readable XLSX");
    let sheet = book.worksheet_range_at(0).expect("a sheet").expect("readable");
    let cells: Vec<String> = sheet.rows().take(3).flatten().map(ToString::to_string).collect();
    assert!(cells.iter().any(|c| c.contains("梯队=国家高新技术企业") && c.contains("街道=新安街道")), "{cells:?}");
    assert!(!cells.iter().any(|c| c.contains("=hnte") || c.contains(&district.xinan)), "{cells:?}");
}
