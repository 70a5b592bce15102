//! Identity and access: credentials, sessions, roles, street scope, API keys, audit.

use crate::helpers::{PASSWORD, TestApp, id_of, problem, uscc};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::{Value, json};

async fn unauthorized(response: reqwest::Response) -> Value {
    assert_eq!(response.headers().get("www-authenticate").map(|v| v.as_bytes()), Some(&b"Bearer"[..]));
    problem(response, 401).await
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    jsonwebtoken::encode(&header, claims, &jsonwebtoken::EncodingKey::from_secret(secret)).expect("sign")
}

const TEST_SECRET: &[u8] = b"a test secret that is long enough to sign with";

#[actix_web::test]
async fn bad_credentials_are_401() {
    let app = TestApp::spawn().await;
    let now = chrono::Utc::now().timestamp();
    let claims = |exp: i64| json!({"sub": app.admin_id, "iat": now - 60, "exp": exp, "jti": uuid::Uuid::now_v7()});

    // The harness's own secret signs a token that works: the cases below differ in one thing.
    assert_eq!(app.with_token(&sign(&claims(now + 600), TEST_SECRET)).get("/api/v1/me").await.status(), 200);

    let none_alg = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(claims(now + 600).to_string())
    );
    let truncated = &app.admin[..app.admin.len() - 3];
    let cases = [
        ("expired", sign(&claims(now - 120), TEST_SECRET)),
        ("another key", sign(&claims(now + 600), b"another secret that is also long enough!")),
        ("alg none", none_alg),
        ("truncated signature", truncated.to_owned()),
        ("no jti", sign(&json!({"sub": app.admin_id, "iat": now, "exp": now + 600}), TEST_SECRET)),
        ("unknown API key", "pk_thisisnotakey".to_owned()),
        ("garbage", "not a token at all".to_owned()),
    ];
    for (case, token) in cases {
        let body = unauthorized(app.with_token(&token).get("/api/v1/enterprises").await).await;
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{case}: {body}");
    }
    unauthorized(app.anonymous().get("/api/v1/enterprises").await).await;
    let basic =
        app.anonymous().request(Method::GET, "/api/v1/enterprises").header("Authorization", "Basic YWRtaW46eA==");
    unauthorized(basic.send().await.expect("request")).await;
    unauthorized(
        app.anonymous().post("/api/v1/auth/login", &json!({"username": "admin", "password": "wrong password!"})).await,
    )
    .await;
    unauthorized(
        app.anonymous().post("/api/v1/auth/login", &json!({"username": "nobody", "password": "wrong password!"})).await,
    )
    .await;
}

#[actix_web::test]
async fn deactivation_and_role_changes_apply_to_the_very_next_request() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let (id, token) = app.user("li.xinan", "counselor", &[&street]).await;
    let created = app
        .with_token(&token)
        .post("/api/v1/enterprises", &json!({"uscc": uscc(1), "name": "甲", "street_id": street}))
        .await;
    assert_eq!(created.status(), 201);
    let path = format!("/api/v1/enterprises/{}", id_of(&created.json::<Value>().await.expect("json")));

    // Demoted to viewer: the same token may read but no longer write.
    assert_eq!(app.patch(&format!("/api/v1/users/{id}"), None, &json!({"role": "viewer"})).await.status(), 200);
    assert_eq!(app.with_token(&token).get(&path).await.status(), 200);
    problem(app.with_token(&token).patch(&path, Some("\"1\""), &json!({"name": "乙"})).await, 403).await;

    // Deactivated: the same token is refused, and signing in again too.
    let response = app.patch(&format!("/api/v1/users/{id}"), None, &json!({"active": false})).await;
    assert_eq!(response.json::<Value>().await.expect("json")["active"], false);
    unauthorized(app.with_token(&token).get(&path).await).await;
    unauthorized(
        app.anonymous().post("/api/v1/auth/login", &json!({"username": "li.xinan", "password": PASSWORD})).await,
    )
    .await;
}

#[actix_web::test]
async fn refresh_tokens_rotate_and_a_reused_one_ends_the_sign_in() {
    let app = TestApp::spawn().await;
    let first = app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 900);
    assert_eq!(first["user"]["username"], "admin");
    let refresh = |token: &Value| {
        let body = json!({"refresh_token": token.as_str().expect("token")});
        let app = &app;
        async move { app.anonymous().post("/api/v1/auth/refresh", &body).await }
    };

    let second = refresh(&first["refresh_token"]).await;
    assert_eq!(second.status(), 200);
    let second: Value = second.json().await.expect("json");
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(app.with_token(second["access_token"].as_str().expect("token")).get("/api/v1/me").await.status(), 200);

    // The spent token again: refused, and the whole family with it.
    let reused = unauthorized(refresh(&first["refresh_token"]).await).await;
    assert!(reused["detail"].as_str().is_some_and(|d| d.contains("already used")), "{reused}");
    unauthorized(refresh(&second["refresh_token"]).await).await;

    // Logout ends a sign-in the same way.
    let third = app.login("admin", crate::helpers::ADMIN_PASSWORD).await;
    let logout = app.anonymous().post("/api/v1/auth/logout", &json!({"refresh_token": third["refresh_token"]})).await;
    assert_eq!(logout.status(), 204);
    unauthorized(refresh(&third["refresh_token"]).await).await;
    unauthorized(refresh(&json!("made-up")).await).await;
}

#[actix_web::test]
async fn repeated_failures_are_throttled_per_username_and_per_client() {
    let app = TestApp::spawn().await;
    let login = |username: &str, password: &str| {
        let body = json!({"username": username, "password": password});
        let app = &app;
        async move { app.anonymous().post("/api/v1/auth/login", &body).await }
    };
    for _ in 0..5 {
        assert_eq!(login("admin", "a wrong password").await.status(), 401);
    }
    // Now even the right password waits for the window to pass.
    let throttled = login("ADMIN", crate::helpers::ADMIN_PASSWORD).await;
    let retry_after: u64 =
        throttled.headers()["retry-after"].to_str().ok().and_then(|v| v.parse().ok()).expect("seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    problem(throttled, 429).await;

    // Other usernames from the same client: 20 failures in all, then the client waits.
    for n in 0..15 {
        assert_eq!(login(&format!("nobody{n}"), "a wrong password").await.status(), 401);
    }
    problem(login("someone-else", "a wrong password").await, 429).await;
}

#[actix_web::test]
async fn roles_may_do_only_their_part() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let (_, counselor) = app.user("counselor", "counselor", &[&street]).await;
    let (_, viewer) = app.user("viewer", "viewer", &[]).await;
    let (_, manager) = app.user("manager", "manager", &[]).await;
    let created = app.enterprise(&json!({"uscc": uscc(2), "name": "甲", "street_id": street})).await;
    let path = format!("/api/v1/enterprises/{}", id_of(&created));
    let new_user = json!({"username": "x-user", "display_name": "x", "password": PASSWORD, "role": "viewer"});
    let region = json!({"name": "福永街道", "code": "fuyong", "kind": "district"});

    let forbidden = [
        (&counselor, app.with_token(&counselor).post("/api/v1/users", &new_user).await),
        (&counselor, app.with_token(&counselor).delete(&path).await),
        (&counselor, app.with_token(&counselor).get("/api/v1/audit").await),
        (
            &viewer,
            app.with_token(&viewer)
                .post("/api/v1/enterprises", &json!({"uscc": uscc(3), "name": "乙", "street_id": street}))
                .await,
        ),
        (&viewer, app.with_token(&viewer).patch(&path, Some("\"1\""), &json!({"name": "乙"})).await),
        (&manager, app.with_token(&manager).post("/api/v1/regions", &region).await),
        (&manager, app.with_token(&manager).get("/api/v1/users").await),
        (
            &manager,
            app.with_token(&manager)
                .post("/api/v1/api-keys", &json!({"name": "k", "scopes": ["enterprises:read"]}))
                .await,
        ),
    ];
    for (_, response) in forbidden {
        problem(response, 403).await;
    }
    // What they may do.
    assert_eq!(app.with_token(&viewer).get(&path).await.status(), 200);
    assert_eq!(app.with_token(&manager).get("/api/v1/audit").await.status(), 200);
    assert_eq!(app.with_token(&manager).delete(&path).await.status(), 204);
    assert_eq!(app.with_token(&counselor).get("/api/v1/regions").await.status(), 200);
}

/// Every enterprise-scoped route and what a counselor of another street gets from it.
/// A route under /api/v1/enterprises/{id} missing here fails the test below.
fn scoped_routes() -> Vec<(Method, &'static str, Value, u16)> {
    vec![
        (Method::GET, "/api/v1/enterprises/{id}", Value::Null, 404),
        (Method::PATCH, "/api/v1/enterprises/{id}", json!({"name": "改名"}), 404),
        // Archiving is for managers and admins, who see every street: 403 before scope.
        (Method::DELETE, "/api/v1/enterprises/{id}", Value::Null, 403),
        (Method::GET, "/api/v1/enterprises/{id}/visits", Value::Null, 404),
        (Method::GET, "/api/v1/enterprises/{id}/timeline", Value::Null, 404),
        (Method::GET, "/api/v1/enterprises/{id}/indicators", Value::Null, 404),
        (Method::PUT, "/api/v1/enterprises/{id}/indicators/{year}", json!({"revenue": 1}), 404),
        (Method::GET, "/api/v1/enterprises/{id}/eligibility", Value::Null, 404),
        (Method::GET, "/api/v1/enterprises/{id}/promotions", Value::Null, 404),
        (Method::GET, "/api/v1/enterprises/{id}/certificates", Value::Null, 404),
        (Method::GET, "/api/v1/enterprises/{id}/obligations", Value::Null, 404),
        // Certificates are the bureau's to record, in every street: 403 before scope.
        (
            Method::POST,
            "/api/v1/enterprises/{id}/promotions",
            json!({"to_tier": "hnte", "effective_on": "2026-01-05"}),
            403,
        ),
        (
            Method::POST,
            "/api/v1/enterprises/{id}/demotions",
            json!({"to_tier": "prospect", "reason": "other", "effective_on": "2026-01-05"}),
            403,
        ),
        (Method::POST, "/api/v1/enterprises/{id}/applications", json!({"tier": "hnte", "batch_year": 2026}), 404),
        (
            Method::POST,
            "/api/v1/enterprises/{id}/visits",
            json!({"visited_at": "2026-01-05T10:00:00+08:00", "channel": "phone", "purposes": ["follow_up"], "summary": "回访"}),
            404,
        ),
        (
            Method::POST,
            "/api/v1/enterprises/{id}/requests",
            json!({"category": "space", "priority": "low", "title": "用房", "description": "d"}),
            404,
        ),
    ]
}

#[actix_web::test]
async fn counselors_never_see_or_touch_another_streets_enterprises() {
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    let (_, mine) = app.user("li.xinan", "counselor", &[&street]).await;
    let (_, theirs) = app.user("wang.xixiang", "counselor", &[&other]).await;
    let created = app
        .with_token(&mine)
        .post("/api/v1/enterprises", &json!({"uscc": uscc(4), "name": "新安科技", "street_id": street}))
        .await;
    assert_eq!(created.status(), 201);
    let id = id_of(&created.json::<Value>().await.expect("json"));

    // The table covers every documented route under /enterprises/{id}.
    let document: Value = app.anonymous().get("/api/openapi.json").await.json().await.expect("json");
    let covered: Vec<String> =
        scoped_routes().iter().map(|(m, p, ..)| format!("{} {p}", m.as_str().to_lowercase())).collect();
    for (path, item) in document["paths"].as_object().expect("paths") {
        if path.starts_with("/api/v1/enterprises/{id}") {
            for method in item.as_object().expect("operations").keys() {
                let route = format!("{method} {path}");
                assert!(covered.contains(&route), "{route} is enterprise-scoped: add it to scoped_routes()");
            }
        }
    }
    for (method, template, body, status) in scoped_routes() {
        let mut path = template.replace("{id}", &id).replace("{year}", "2025");
        if path.ends_with("/eligibility") {
            path.push_str("?tier=hnte");
        }
        let mut request = app.with_token(&theirs).request(method.clone(), &path).header("If-Match", "\"1\"");
        if !body.is_null() {
            request = request.json(&body);
        }
        let answer = problem(request.send().await.expect("request"), status).await;
        assert!(!answer.to_string().contains("新安科技"), "{method} {path} leaked: {answer}");
        // The enterprise's own counselor gets past the scope check.
        let own = app.with_token(&mine).request(method.clone(), &path).header("If-Match", "\"1\"");
        let own = if body.is_null() { own } else { own.json(&json!({"name": "新安科技"})) };
        assert_ne!(own.send().await.expect("request").status(), 404, "{method} {path}");
    }

    // Lists and search show nothing of the other street.
    for query in ["", "?q=%E6%96%B0%E5%AE%89", "?q=91440300", &format!("?street_id={street}")] {
        let list: Value =
            app.with_token(&theirs).get(&format!("/api/v1/enterprises{query}")).await.json().await.expect("json");
        assert_eq!(list["items"], json!([]), "{query}");
        let list: Value =
            app.with_token(&mine).get(&format!("/api/v1/enterprises{query}")).await.json().await.expect("json");
        assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{query}");
    }
    // Nor may they place enterprises outside their streets, or move one out.
    let elsewhere = json!({"uscc": uscc(5), "name": "乙", "street_id": other});
    problem(app.with_token(&mine).post("/api/v1/enterprises", &elsewhere).await, 403).await;
    let path = format!("/api/v1/enterprises/{id}");
    problem(app.with_token(&mine).patch(&path, Some("\"1\""), &json!({"street_id": other})).await, 403).await;
}

#[actix_web::test]
async fn viewers_see_their_streets_or_everything() {
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    app.enterprise(&json!({"uscc": uscc(6), "name": "甲", "street_id": street})).await;
    app.enterprise(&json!({"uscc": uscc(7), "name": "乙", "street_id": other})).await;
    let (_, scoped) = app.user("scoped-viewer", "viewer", &[&other]).await;
    let (_, everywhere) = app.user("district-viewer", "viewer", &[]).await;
    let names = |list: Value| -> Vec<String> {
        list["items"].as_array().expect("items").iter().filter_map(|e| e["name"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(names(app.with_token(&scoped).get("/api/v1/enterprises").await.json().await.expect("json")), ["乙"]);
    assert_eq!(
        names(app.with_token(&everywhere).get("/api/v1/enterprises").await.json().await.expect("json")),
        ["乙", "甲"]
    );
}

#[actix_web::test]
async fn api_keys_are_shown_once_and_limited_to_their_scopes() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    app.enterprise(&json!({"uscc": uscc(8), "name": "甲", "street_id": street})).await;
    let created = app.post("/api/v1/api-keys", &json!({"name": "省科技厅", "scopes": ["enterprises:read"]})).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    let key = created["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("pk_") && key.len() > 40, "{key}");
    assert_eq!(created["scopes"], json!(["enterprises:read"]));
    assert_eq!(created["prefix"], &key[..10]);

    let listed = app.get("/api/v1/api-keys").await.text().await.expect("text");
    assert!(listed.contains("省科技厅") && !listed.contains(&key), "{listed}");
    let stored: Vec<crate::enterprises::Count> = crate::helpers::query(
        &app,
        &format!("SELECT count(*) AS n FROM api_keys WHERE key_hash = convert_to('{key}', 'UTF8')"),
    );
    assert_eq!(stored[0].n, 0, "the key is stored hashed");

    let reader = app.with_token(&key);
    let list: Value = reader.get("/api/v1/enterprises").await.json().await.expect("json");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1));
    problem(
        reader.post("/api/v1/enterprises", &json!({"uscc": uscc(9), "name": "乙", "street_id": street})).await,
        403,
    )
    .await;
    problem(reader.get("/api/v1/users").await, 403).await;
    problem(reader.get("/api/v1/me").await, 403).await;
    // The field work (visits with their people and places, requests, applications,
    // figures) takes a scope of its own.
    let enterprise = id_of(&list["items"][0]);
    let field_work = [
        "/api/v1/visits".to_owned(),
        "/api/v1/requests".to_owned(),
        "/api/v1/applications".to_owned(),
        format!("/api/v1/enterprises/{enterprise}/visits"),
        format!("/api/v1/enterprises/{enterprise}/timeline"),
        format!("/api/v1/enterprises/{enterprise}/indicators"),
    ];
    for path in &field_work {
        problem(reader.get(path).await, 403).await;
    }
    let both = app
        .post("/api/v1/api-keys", &json!({"name": "省平台", "scopes": ["enterprises:read", "fieldwork:read"]}))
        .await;
    let both = both.json::<Value>().await.expect("json")["key"].as_str().expect("key").to_owned();
    for path in &field_work {
        assert_eq!(app.with_token(&both).get(path).await.status(), 200, "{path}");
    }
    // Each use case requires its own permission: field work alone reads field work, of an
    // enterprise it cannot list.
    let field_only = app.post("/api/v1/api-keys", &json!({"name": "督查", "scopes": ["fieldwork:read"]})).await;
    let field_only = field_only.json::<Value>().await.expect("json")["key"].as_str().expect("key").to_owned();
    for path in &field_work {
        assert_eq!(app.with_token(&field_only).get(path).await.status(), 200, "{path}");
    }
    problem(app.with_token(&field_only).get("/api/v1/enterprises").await, 403).await;
    problem(app.with_token(&field_only).get(&format!("/api/v1/enterprises/{enterprise}")).await, 403).await;
    let listed: Value = app.get("/api/v1/api-keys").await.json().await.expect("json");
    assert!(listed["items"][0]["last_used_at"].is_string(), "{listed}");

    let feeder = app.post("/api/v1/api-keys", &json!({"name": "registry", "scopes": ["registry:write"]})).await;
    let feeder = feeder.json::<Value>().await.expect("json")["key"].as_str().expect("key").to_owned();
    problem(app.with_token(&feeder).get("/api/v1/enterprises").await, 403).await;

    assert_eq!(app.delete(&format!("/api/v1/api-keys/{}", id_of(&created))).await.status(), 204);
    unauthorized(reader.get("/api/v1/enterprises").await).await;
    let bad = app.post("/api/v1/api-keys", &json!({"name": "x", "scopes": ["everything"]})).await;
    assert_eq!(crate::helpers::fields(&problem(bad, 422).await), ["scopes[0]"]);
}

#[actix_web::test]
async fn accounts_are_validated_and_the_last_admin_stays() {
    let app = TestApp::spawn().await;
    let (_, _, park) = app.streets().await;
    let user = |username: &str, password: &str, streets: Vec<&str>| json!({"username": username, "display_name": "某人", "password": password, "role": "counselor", "street_ids": streets});
    let weak = problem(app.post("/api/v1/users", &user("zhang", "short", vec![])).await, 422).await;
    assert_eq!(crate::helpers::fields(&weak), ["password"]);
    let common = problem(app.post("/api/v1/users", &user("zhang", "password123", vec![])).await, 422).await;
    assert_eq!(common["errors"][0]["message"], "is one of the most common leaked passwords");
    let park = problem(app.post("/api/v1/users", &user("zhang", PASSWORD, vec![&park])).await, 422).await;
    assert_eq!(crate::helpers::fields(&park), ["street_ids[0]"]);
    let bad_name = problem(app.post("/api/v1/users", &user("张 三", PASSWORD, vec![])).await, 422).await;
    assert_eq!(crate::helpers::fields(&bad_name), ["username"]);
    assert_eq!(app.post("/api/v1/users", &user("zhang", PASSWORD, vec![])).await.status(), 201);
    let taken = problem(app.post("/api/v1/users", &user("ZHANG", PASSWORD, vec![])).await, 409).await;
    assert_eq!(crate::helpers::fields(&taken), ["username"]);

    let me: Value = app.get("/api/v1/me").await.json().await.expect("json");
    assert_eq!((me["username"].as_str(), me["role"].as_str()), (Some("admin"), Some("admin")));
    let path = format!("/api/v1/users/{}", app.admin_id);
    problem(app.patch(&path, None, &json!({"active": false})).await, 409).await;
    problem(app.patch(&path, None, &json!({"role": "manager"})).await, 409).await;
    // The address of one user answers PATCH only.
    problem(app.get("/api/v1/users/not-a-uuid").await, 405).await;
    problem(app.patch(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()), None, &json!({"active": false})).await, 404)
        .await;
}

#[actix_web::test]
async fn the_audit_log_names_who_changed_what() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let (manager_id, manager) = app.user("manager", "manager", &[]).await;
    let created = app
        .with_token(&manager)
        .post("/api/v1/enterprises", &json!({"uscc": uscc(10), "name": "甲", "street_id": street}))
        .await;
    let id = id_of(&created.json::<Value>().await.expect("json"));
    let path = format!("/api/v1/enterprises/{id}");
    assert_eq!(app.with_token(&manager).patch(&path, Some("\"1\""), &json!({"name": "乙"})).await.status(), 200);

    let audit: Value = app
        .with_token(&manager)
        .get(&format!("/api/v1/audit?entity=enterprise&entity_id={id}"))
        .await
        .json()
        .await
        .expect("json");
    let entries = audit["items"].as_array().expect("items");
    let summary: Vec<_> = entries
        .iter()
        .map(|e| (e["action"].as_str(), e["before"]["name"].as_str(), e["after"]["name"].as_str()))
        .collect();
    assert_eq!(summary, [(Some("update"), Some("甲"), Some("乙")), (Some("create"), None, Some("甲"))]);
    assert!(entries.iter().all(|e| e["actor_kind"] == "user" && e["actor_id"] == manager_id.as_str()), "{audit}");

    // Accounts are audited too, without their password hashes.
    let users: Value =
        app.get(&format!("/api/v1/audit?entity=user&entity_id={manager_id}")).await.json().await.expect("json");
    assert_eq!(users["items"][0]["after"]["username"], "manager");
    assert!(!users.to_string().contains("argon2"), "{users}");
}

#[actix_web::test]
async fn the_cli_creates_the_first_admin() {
    let app = TestApp::spawn().await;
    app.streets().await;
    let url = app.database_url.clone();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_peiyu"))
        .args([
            "user",
            "create",
            "--username",
            "li.cli",
            "--role",
            "counselor",
            "--street",
            "xinan",
            "--password-stdin",
        ])
        .env("DATABASE_URL", &url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run peiyu");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(format!("{PASSWORD}\n").as_bytes()).expect("write");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("created li.cli (counselor)"));

    let session = app.login("li.cli", PASSWORD).await;
    assert_eq!(session["user"]["role"], "counselor");
    assert_eq!(session["user"]["street_ids"].as_array().map(Vec::len), Some(1));
}

/// Every documented operation not marked public refuses a request without credentials,
/// so a route that forgets the gate fails here.
#[actix_web::test]
async fn every_route_but_the_public_ones_requires_credentials() {
    let app = TestApp::spawn().await;
    let document: Value = app.anonymous().get("/api/openapi.json").await.json().await.expect("json");
    let mut checked = Vec::new();
    for (path, item) in document["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("operations") {
            if operation["security"] == json!([{}]) {
                continue;
            }
            let path = path.replace("{id}", &uuid::Uuid::now_v7().to_string());
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
            let response =
                app.anonymous().request(method.clone(), &path).json(&json!({})).send().await.expect("request");
            unauthorized(response).await;
            checked.push(format!("{method} {path}"));
        }
    }
    assert!(checked.len() >= 17, "the walk found too few routes: {checked:?}");
}

/// Street scope, said with the district fixture: each counselor lists their own street's
/// enterprises, the manager every one, and another street's is simply not there.
#[actix_web::test]
async fn each_counselor_sees_their_street_and_the_bureau_every_street() {
    use crate::fixtures::District;
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let here = district.enterprise("新安智造").with("park_id", json!(district.park)).create().await;
    let there = district.enterprise("西乡材料").in_street(&district.xixiang).create().await;
    let listed = |person: &crate::fixtures::Person| {
        let api = person.api(&app);
        async move { ids_of(&api.get("/api/v1/enterprises").await.json::<Value>().await.expect("json")) }
    };
    assert_eq!(listed(&district.counselor).await, std::slice::from_ref(&here), "{}", district.counselor.display_name);
    assert_eq!(
        listed(&district.other_counselor).await,
        std::slice::from_ref(&there),
        "{}",
        district.other_counselor.username
    );
    assert_eq!(listed(&district.manager).await.len(), 2);
    let elsewhere = district.counselor.api(&app).get(&format!("/api/v1/enterprises/{there}")).await;
    assert_eq!(elsewhere.status(), 404, "not 403: another street's enterprise is not there");
}

fn ids_of(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(id_of).collect()
}
