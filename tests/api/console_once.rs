//! A form that creates something, sent twice (Back, then the same button), saves once: the
//! second sending is told so and led to what the first saved.

use crate::console::{Console, csrf_of, hidden_of};
use crate::helpers::{TestApp, count, id_of, uscc};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION};
use serde_json::json;

/// The form at `page` as a browser holds it: its hidden fields with `fields`.
async fn filled(console: &mut Console, page: &str, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let form = console.page(page).await;
    let once = hidden_of(&form, "once").unwrap_or_else(|| panic!("{page} has no one-time token: {form}"));
    let mut filled = vec![("csrf".to_owned(), csrf_of(&form)), ("once".to_owned(), once)];
    filled.extend(fields.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    filled
}

/// Sends the same form twice: the first answer's address, and the second answer's page.
async fn sent_twice(console: &mut Console, action: &str, form: &[(String, String)]) -> (reqwest::Response, String) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let first = console.post(action, &form).await;
    let again = console.post(action, &form).await;
    assert_eq!(again.status(), StatusCode::OK, "{action}");
    (first, again.text().await.expect("page"))
}

fn says_saved_before(page: &str, to: &str) {
    assert!(page.contains("这份表单已经提交过") && page.contains("没有重复保存"), "{page}");
    assert!(page.contains(&format!(r#"href="{}""#, to.replace('&', "&amp;"))), "leads to {to}: {page}");
}

#[actix_web::test]
async fn a_visit_a_request_and_an_application_sent_twice_are_saved_once() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    app.user("li.xinan", "counselor", &[&street]).await;
    let id = id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "星河智能科技", "street_id": street})).await);
    let mut console = Console::signed_in(&app, "li.xinan").await;

    // The form page may be kept by this browser for Back, never by anyone else.
    let (_, headers, _) = console.get_with_headers(&format!("/enterprises/{id}/visits/new")).await;
    assert_eq!(headers[CACHE_CONTROL], "private, no-cache");

    let visit = filled(
        &mut console,
        &format!("/enterprises/{id}/visits/new"),
        &[
            ("visited_at", "2026-12-01T10:00"),
            ("channel", "onsite"),
            ("purposes", "demand_collection"),
            ("summary", "了解扩产计划"),
            ("demand_category", "space"),
            ("demand_priority", "high"),
            ("demand_title", "研发楼扩租"),
            ("demand_description", "2000 平方米"),
        ],
    )
    .await;
    let (first, again) = sent_twice(&mut console, &format!("/enterprises/{id}/visits"), &visit).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    says_saved_before(&again, first.headers()[LOCATION].to_str().expect("location"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM visits"), 1);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM service_requests"), 1);

    let raise = filled(
        &mut console,
        &format!("/enterprises/{id}/requests/new"),
        &[
            ("demand_category", "talent"),
            ("demand_priority", "normal"),
            ("demand_title", "人才公寓"),
            ("demand_description", "5 套"),
        ],
    )
    .await;
    let (first, again) = sent_twice(&mut console, &format!("/enterprises/{id}/requests"), &raise).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    says_saved_before(&again, first.headers()[LOCATION].to_str().expect("location"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM service_requests"), 2);

    let apply = filled(
        &mut console,
        &format!("/enterprises/{id}/applications/new"),
        &[("tier", "hnte"), ("batch_year", "2026")],
    )
    .await;
    let (first, again) = sent_twice(&mut console, &format!("/enterprises/{id}/applications"), &apply).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    says_saved_before(&again, first.headers()[LOCATION].to_str().expect("location"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM applications"), 1);

    // A form without its token was not made by the console: refused, nothing saved.
    let mut bare = raise.clone();
    bare.retain(|(name, _)| name != "once");
    let form: Vec<(&str, &str)> = bare.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = console.post(&format!("/enterprises/{id}/requests"), &form).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM service_requests"), 2);

    // A form refused for a bad value keeps its token free: corrected, it saves once.
    let mut bad = filled(&mut console, &format!("/enterprises/{id}/visits/new"), &[("channel", "onsite")]).await;
    let form: Vec<(&str, &str)> = bad.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = console.post(&format!("/enterprises/{id}/visits"), &form).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    bad.extend(
        [("visited_at", "2026-12-02T09:00"), ("purposes", "follow_up"), ("summary", "回访")]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
    );
    let (first, _) = sent_twice(&mut console, &format!("/enterprises/{id}/visits"), &bad).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM visits"), 2);
}

#[actix_web::test]
async fn a_user_an_api_key_and_an_import_sent_twice_are_made_once() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let mut admin = Console::new(&app);
    assert_eq!(admin.sign_in("admin", crate::helpers::ADMIN_PASSWORD).await.status(), StatusCode::SEE_OTHER);

    let user = filled(
        &mut admin,
        "/admin/users/new",
        &[
            ("username", "zhao.xinan"),
            ("display_name", "赵辅导员"),
            ("password", "a-long-password-2026"),
            ("role", "counselor"),
            ("street_ids", street.as_str()),
        ],
    )
    .await;
    let (first, again) = sent_twice(&mut admin, "/admin/users", &user).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    says_saved_before(&again, "/admin/users?saved=created");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM users WHERE username = 'zhao.xinan'"), 1);

    let key = filled(&mut admin, "/admin/api-keys", &[("name", "省平台"), ("scopes", "registry:write")]).await;
    let (first, again) = sent_twice(&mut admin, "/admin/api-keys/new", &key).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.text().await.expect("page").contains("pk_"), "the key, shown once");
    says_saved_before(&again, "/admin/api-keys");
    assert!(!again.contains("pk_"), "the key is not shown again");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM api_keys"), 1);

    let form = admin.page("/imports").await;
    let (csrf, once) = (csrf_of(&form), hidden_of(&form, "once").expect("a one-time token"));
    let fields = [("csrf", csrf.as_str()), ("once", once.as_str()), ("kind", ""), ("mode", "apply")];
    let list = || ("名单.csv", crate::imports::certification_csv());
    let first = admin.upload("/imports/new", &fields, list()).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let again = admin.upload("/imports/new", &fields, list()).await;
    assert_eq!(again.status(), StatusCode::OK);
    says_saved_before(&again.text().await.expect("page"), first.headers()[LOCATION].to_str().expect("location"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM import_runs"), 1);
}
