//! What a flood of sign-ins may cost: guesses sent at once are counted before any is
//! checked, and passwords are checked a bounded number at a time.

use crate::console::Console;
use crate::helpers::{PASSWORD, TestApp, problem};
use futures_util::future::join_all;
use reqwest::StatusCode;
use serde_json::json;

#[actix_web::test]
async fn guesses_sent_at_once_are_counted_before_any_is_checked() {
    let app = TestApp::spawn_adjusted(|s| s.auth.password_hash_queue = 64).await;
    app.user("li.xinan", "counselor", &[]).await;
    let app = &app;
    let guesses = (0..12).map(|n| {
        let body = json!({"username": "li.xinan", "password": format!("guess number {n}")});
        async move { app.anonymous().post("/api/v1/auth/login", &body).await.status().as_u16() }
    });
    let mut answers = join_all(guesses).await;
    answers.sort_unstable();
    // Five guesses (the limit per username) were checked; the other seven never were.
    assert_eq!(answers, [[401; 5].as_slice(), &[429; 7]].concat());
    // The right password is refused too for the rest of the window.
    let right =
        app.anonymous().post("/api/v1/auth/login", &json!({"username": "li.xinan", "password": PASSWORD})).await;
    problem(right, 429).await;
}

#[actix_web::test]
async fn sign_ins_beyond_the_hashing_threads_and_their_queue_are_answered_503_at_once() {
    let app = TestApp::spawn_adjusted(|s| {
        s.auth.password_hash_threads = 1;
        s.auth.password_hash_queue = 1;
        s.auth.max_failed_logins_per_client = 1000;
    })
    .await;
    let app = &app;
    let attempts = (0..40).map(|n| {
        let body = json!({"username": format!("nobody.{n}"), "password": "not the password"});
        async move { app.anonymous().post("/api/v1/auth/login", &body).await }
    });
    let answers = join_all(attempts).await;
    let busy: Vec<_> = answers.into_iter().filter(|r| r.status() == 503).collect();
    assert!(!busy.is_empty(), "forty sign-ins at once on one thread with a queue of one: some wait for none");
    for response in busy {
        assert_eq!(response.headers().get("retry-after").map(|v| v.as_bytes()), Some(&b"1"[..]));
        let body = problem(response, 503).await;
        assert_eq!(body["type"], "tag:peiyu,2026:problem/busy");
    }
    // Turned away unchecked, they are not failures: the client and the names are not throttled.
    let failures: i64 =
        crate::helpers::count(app, "SELECT coalesce(sum(failures), 0)::bigint AS n FROM login_failures");
    assert!(failures < 40, "{failures}");
    // And a sign-in a moment later goes through, in the console too.
    app.user("li.xinan", "counselor", &[]).await;
    let mut console = Console::new(app);
    assert_eq!(console.sign_in("li.xinan", PASSWORD).await.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_on_its_own() {
    let app = TestApp::spawn_adjusted(|s| {
        s.http.trusted_proxies = vec!["127.0.0.1".parse().expect("an address")];
        s.auth.max_failed_logins_per_client = 2;
    })
    .await;
    let attempt = |n: u32, client: &'static str| {
        let body = json!({"username": format!("nobody.{n}"), "password": "not the password"});
        let request = app.anonymous().request(reqwest::Method::POST, "/api/v1/auth/login").json(&body);
        async move { request.header("X-Forwarded-For", client).send().await.expect("answered").status().as_u16() }
    };
    assert_eq!([attempt(1, "203.0.113.1").await, attempt(2, "203.0.113.1").await], [401, 401]);
    assert_eq!(attempt(3, "203.0.113.1").await, 429, "that client used up its failures");
    assert_eq!(attempt(4, "203.0.113.2").await, 401, "another client behind the same proxy did not");
}
