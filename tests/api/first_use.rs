//! What a new user ran into, each pinned by a test that failed before its fix.

use crate::helpers::{TestApp, count, days_ago, fields, id_of, problem, run_sql, uscc};
use serde_json::{Value, json};

/// Imports `csv` as a roster (企业名录), as an admin: the report.
async fn import_roster(app: &TestApp, csv: String) -> Value {
    let part = reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("名录.csv");
    let form = reqwest::multipart::Form::new().part("file", part);
    let response = app.admin().request(reqwest::Method::POST, "/api/v1/imports").multipart(form).send().await;
    response.expect("request").json().await.expect("json")
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
}

#[actix_web::test]
async fn the_addresses_a_person_types_open_the_docs_and_the_console() {
    let app = TestApp::spawn().await;
    let response = no_redirects().get(app.url("/api/docs")).send().await.expect("request");
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], "/api/docs/");
    assert_eq!(app.anonymous().get("/api/docs").await.status(), 200, "the redirect lands on the docs");
    // `/` is the console: a signed-out visitor is asked to sign in.
    let response = no_redirects().get(app.url("/")).send().await.expect("request");
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/login?next=%2F");
}

#[actix_web::test]
async fn a_request_links_only_a_visit_of_its_own_enterprise() {
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    let mine = id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "甲", "street_id": street})).await);
    let theirs = id_of(&app.enterprise(&json!({"uscc": uscc(2), "name": "乙", "street_id": other})).await);
    let (_, counselor) = app.user("li.xixiang", "counselor", &[&other]).await;
    let visit = app
        .with_token(&counselor)
        .post(
            &format!("/api/v1/enterprises/{theirs}/visits"),
            &json!({"visited_at": "2026-11-30T10:00:00+08:00", "channel": "onsite", "purposes": ["follow_up"], "summary": "走访"}),
        )
        .await;
    assert_eq!(visit.status(), 201);
    let visit = id_of(&visit.json::<Value>().await.expect("json"));
    let raise = |visit_id: String| json!({"category": "space", "priority": "normal", "title": "用地", "description": "需要厂房", "visit_id": visit_id});
    let path = format!("/api/v1/enterprises/{mine}/requests");
    let unknown = problem(app.post(&path, &raise(uuid::Uuid::now_v7().to_string())).await, 422).await;
    assert_eq!(fields(&unknown), ["visit_id"]);
    let foreign = problem(app.post(&path, &raise(visit)).await, 422).await;
    assert_eq!(fields(&foreign), ["visit_id"]);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM service_requests"), 0);
}

#[actix_web::test]
async fn region_codes_take_upper_case_and_administrative_codes() {
    let app = TestApp::spawn().await;
    let district = app.region("宝安区", "440306", "district", None).await;
    let street = app.region("新安街道", "ST01", "street", Some(&district)).await;
    app.region("西乡街道", "440306001", "street", Some(&district)).await;
    let taken = problem(
        app.post("/api/v1/regions", &json!({"name": "重复", "code": "st01", "kind": "street", "parent_id": district}))
            .await,
        409,
    )
    .await;
    assert_eq!(fields(&taken), ["code"], "codes match whatever the case");
    let tree: Value = app.get("/api/v1/regions").await.json().await.expect("json");
    let codes: Vec<&str> =
        tree[0]["children"].as_array().expect("streets").iter().filter_map(|s| s["code"].as_str()).collect();
    assert!(codes.contains(&"st01") && codes.contains(&"440306001"), "{tree}");
    let mut conn = app.pool.get().expect("connection");
    let user = peiyu::service::accounts::create_user_by_codes(
        &mut conn,
        "li.st01",
        "李静",
        peiyu::domain::Role::Counselor,
        &["St01".into()],
        "street-work-2026!",
    )
    .expect("the CLI finds the street whatever the case");
    assert_eq!(user.street_ids, [street.parse::<uuid::Uuid>().expect("id")]);
}

#[actix_web::test]
async fn text_postgres_cannot_store_is_refused_where_it_comes_in() {
    let app = TestApp::spawn().await;
    let (street, _, _) = app.streets().await;
    // A body, at any depth, names the field.
    let body = problem(
        app.post("/api/v1/enterprises", &json!({"uscc": uscc(1), "name": "甲\u{0}", "street_id": street})).await,
        422,
    )
    .await;
    assert_eq!(fields(&body), ["name"]);
    let login =
        problem(app.anonymous().post("/api/v1/auth/login", &json!({"username": "\u{0}", "password": "x"})).await, 422)
            .await;
    assert_eq!(fields(&login), ["username"]);
    // A query parameter: 400 naming it.
    for (path, parameter) in [("/api/v1/enterprises?q=%00", "q"), ("/api/v1/audit?entity=%00", "entity")] {
        let query = problem(app.get(path).await, 400).await;
        assert_eq!(fields(&query), [parameter], "{query}");
    }
    // A registry row: that row is rejected, the others land.
    let key = app.api_key(&["registry:write"]).await;
    let item =
        |n: u32, name: &str| json!({"uscc": uscc(n), "name": name, "tier": "hnte", "effective_on": "2026-01-15"});
    let response = app
        .with_token(&key)
        .request(reqwest::Method::POST, "/api/v1/registry/certifications")
        .header("Idempotency-Key", "nul-batch")
        .json(&json!({"source": "广东省科学技术厅", "batch": "2026年第一批", "items": [
            item(2, "好\u{0}公司"),
            item(3, "好公司"),
            // What the answer echoes of a rejected row is kept for replays: NULs written out.
            {"uscc": "91\u{0}44", "name": "坏", "tier": "h\u{0}nte", "effective_on": "2026-01-15"},
        ]}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), 200);
    let outcome: Value = response.json().await.expect("json");
    assert_eq!(
        (outcome["created"].as_u64(), outcome["rejected"][0]["index"].as_u64()),
        (Some(1), Some(0)),
        "{outcome}"
    );
    assert_eq!(outcome["rejected"][1]["uscc"], "91\\u000044", "{outcome}");
    // A spreadsheet cell: that row is reported, the others imported.
    let csv = format!("统一社会信用代码,企业名称,所属街道\n{},好\u{0}公司,xinan\n{},好公司,xinan\n", uscc(4), uscc(5));
    let report = import_roster(&app, csv).await;
    assert_eq!((report["created"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(1)), "{report}");
    assert_eq!(report["problems"][0]["column"], "企业名称");
}

#[actix_web::test]
async fn json_operations_take_only_json() {
    let app = TestApp::spawn().await;
    let body = r#"{"name": "宝安区", "code": "baoan", "kind": "district"}"#;
    for content_type in [Some("text/plain"), Some("application/x-www-form-urlencoded"), None] {
        let mut request = app.admin().request(reqwest::Method::POST, "/api/v1/regions").body(body);
        if let Some(content_type) = content_type {
            request = request.header("Content-Type", content_type);
        }
        problem(request.send().await.expect("request"), 415).await;
    }
    let typed = app
        .admin()
        .request(reqwest::Method::POST, "/api/v1/regions")
        .header("Content-Type", "application/merge-patch+json; charset=utf-8")
        .body(body)
        .send()
        .await
        .expect("request");
    assert_eq!(typed.status(), 201, "a +json type is JSON");
}

#[actix_web::test]
async fn no_record_happened_before_1900() {
    let app = TestApp::spawn().await;
    let (street, _, _) = app.streets().await;
    for day in ["0000-01-01", "-0001-01-01", "1899-12-31"] {
        let founded = problem(
            app.post(
                "/api/v1/enterprises",
                &json!({"uscc": uscc(1), "name": "甲", "street_id": street, "established_on": day}),
            )
            .await,
            422,
        )
        .await;
        assert_eq!(fields(&founded), ["established_on"], "{day}");
    }
    let id = id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "甲", "street_id": street})).await);
    let visit = problem(
        app.post(
            &format!("/api/v1/enterprises/{id}/visits"),
            &json!({"visited_at": "0000-01-01T08:00:00+08:00", "channel": "onsite", "purposes": ["follow_up"], "summary": "走访"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(fields(&visit), ["visited_at"]);
}

#[actix_web::test]
async fn a_bad_path_segment_is_named_in_words() {
    let app = TestApp::spawn().await;
    let response = problem(app.get("/api/v1/enterprises/abc").await, 404).await;
    let detail = response["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("`abc`") && detail.contains("id") && !detail.contains("parse"), "{detail}");
}

#[actix_web::test]
async fn a_request_goes_only_to_someone_who_can_see_it() {
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    let id = id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "甲", "street_id": street})).await);
    let (_, counselor) = app.user("li.xinan", "counselor", &[&street]).await;
    let (elsewhere, _) = app.user("wang.xixiang", "counselor", &[&other]).await;
    let (colleague, _) = app.user("zhao.xinan", "counselor", &[&street]).await;
    let raised = app
        .with_token(&counselor)
        .post(
            &format!("/api/v1/enterprises/{id}/requests"),
            &json!({"category": "talent", "priority": "high", "title": "人才", "description": "招聘"}),
        )
        .await;
    let request = id_of(&raised.json::<Value>().await.expect("json"));
    let path = format!("/api/v1/requests/{request}/transitions");
    let refused = problem(
        app.with_token(&counselor).post(&path, &json!({"action": "assign", "assignee_id": elsewhere})).await,
        422,
    )
    .await;
    assert_eq!(fields(&refused), ["assignee_id"]);
    let assigned = app.with_token(&counselor).post(&path, &json!({"action": "assign", "assignee_id": colleague})).await;
    assert_eq!(assigned.status(), 200);
}

#[actix_web::test]
async fn a_park_lies_in_the_street_whatever_writes_it() {
    let app = TestApp::spawn().await;
    let (street, other, park) = app.streets().await;
    let id =
        id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "甲", "street_id": street, "park_id": park})).await);
    // The roster: a park outside the row's street is that row's problem…
    let csv =
        format!("统一社会信用代码,企业名称,所属街道,所属园区\n{},乙,xixiang,zhigu\n{},甲,xixiang,\n", uscc(2), uscc(1));
    let report = import_roster(&app, csv).await;
    assert_eq!(report["rejected"], 1, "{report}");
    assert_eq!(report["problems"][0]["column"], "所属园区", "{report}");
    // …and a row that moves an enterprise to another street leaves its old park behind.
    let moved: Value = app.get(&format!("/api/v1/enterprises/{id}")).await.json().await.expect("json");
    assert_eq!((moved["street_id"].as_str(), &moved["park_id"]), (Some(other.as_str()), &Value::Null), "{moved}");
    // The database holds the rule too, for any path the service does not guard.
    run_sql(
        &app,
        &format!(
            "DO $$ BEGIN UPDATE enterprises SET park_id = '{park}' WHERE id = '{id}'; EXCEPTION WHEN check_violation THEN RAISE NOTICE 'refused'; END $$"
        ),
    );
    assert_eq!(
        count(&app, &format!("SELECT count(*) AS n FROM enterprises WHERE park_id IS NOT NULL AND id = '{id}'")),
        0
    );
}

#[actix_web::test]
async fn one_enterprise_that_fails_holds_back_no_other_expiry() {
    let app = TestApp::spawn().await;
    let (street, _, _) = app.streets().await;
    let today = days_ago(0);
    let valid_until = today + chrono::Days::new(5);
    let mut ids = Vec::new();
    for n in 1..=3 {
        let id =
            id_of(&app.enterprise(&json!({"uscc": uscc(n), "name": format!("企业{n}"), "street_id": street})).await);
        let promoted = app
            .post(
                &format!("/api/v1/enterprises/{id}/promotions"),
                &json!({"to_tier": "tech_sme", "effective_on": days_ago(60), "valid_until": valid_until}),
            )
            .await;
        assert_eq!(promoted.status(), 201);
        ids.push(id);
    }
    // The first enterprise in id order cannot be demoted: its transaction fails.
    run_sql(
        &app,
        &format!(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$;
             CREATE TRIGGER refuse BEFORE INSERT ON tier_changes FOR EACH ROW
                 WHEN (NEW.enterprise_id = '{}') EXECUTE FUNCTION refuse();",
            ids[0]
        ),
    );
    let catalog = peiyu::config::Settings::load().expect("settings").catalog().expect("catalog");
    let mut conn = app.pool.get().expect("connection");
    let lapsed = valid_until + chrono::Days::new(1);
    let run = peiyu::service::ladder::expire(&mut conn, &catalog, lapsed).expect("the run goes on");
    assert_eq!(run, Some(peiyu::service::ladder::ExpiryRun { enterprises: 3, demoted: 2, failed: 1 }));
    let demoted = count(&app, "SELECT count(*) AS n FROM enterprises WHERE tier = 'prospect'");
    assert_eq!(demoted, 2, "the two others dropped their lapsed rung");
    let metrics = app.anonymous().get("/metrics").await.text().await.expect("text");
    assert!(
        metrics.lines().any(|l| l.starts_with("peiyu_expiry_enterprise_failures_total ") && !l.ends_with(" 0")),
        "{metrics}"
    );
}

/// What the server answers to `request` written raw, reading until it closes.
async fn raw(app: &TestApp, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.url("").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let (mut reading, mut writing) = stream.into_split();
    // Written while the answer is read (the server may answer before it has read it all),
    // and the writing half kept open until then: closing it would end the request.
    let request = request.to_vec();
    let writer = tokio::spawn(async move { writing.write_all(&request).await.map(|()| writing) });
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), reading.read_to_end(&mut answer)).await;
    assert!(read.is_ok(), "the server let the connection hang");
    drop(writer);
    String::from_utf8_lossy(&answer).into_owned()
}

/// The problem in a raw answer: its status, and the problem+json body.
fn raw_problem(answer: &str) -> (u16, Value) {
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((answer, ""));
    assert!(head.to_ascii_lowercase().contains("content-type: application/problem+json"), "{answer}");
    let status = head.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

#[actix_web::test]
async fn a_body_that_stops_short_times_out_as_problem_json() {
    let app = TestApp::spawn().await;
    let head = "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n";
    let (status, problem) = raw_problem(&raw(&app, format!("{head}{{\"username\"").as_bytes()).await);
    assert_eq!((status, problem["status"].as_u64()), (408, Some(408)), "{problem}");
}

#[actix_web::test]
async fn a_console_form_that_stops_short_times_out_and_an_upload_waits_for_no_stranger() {
    let app = TestApp::spawn().await;
    // The sign-in form, trickled: a page that says so, within seconds, not a held connection.
    let head = "POST /login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n";
    let answer = raw(&app, format!("{head}csrf=abc&user").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("网络太慢"), "{answer}");
    // A 32 MB upload from someone signed out is turned away before any of it is read.
    let head = "POST /imports/new HTTP/1.1\r\nHost: localhost\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 33554000\r\n\r\n";
    let answer = raw(&app, format!("{head}--x\r\n").as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 303") && answer.contains("location: /login"), "{answer}");
}

#[actix_web::test]
async fn what_the_http_layer_refuses_itself_is_problem_json_too() {
    let app = TestApp::spawn().await;
    let (status, problem) = raw_problem(&raw(&app, b"GARBAGE\r\n\r\n").await);
    assert_eq!((status, problem["type"].as_str()), (400, Some("tag:peiyu,2026:problem/bad-request")));
    let (status, problem) = raw_problem(&raw(&app, b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n").await);
    assert_eq!((status, problem["status"].as_u64()), (408, Some(408)), "headers that never end");
    let huge = format!("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: {}\r\n\r\n", "a".repeat(200_000));
    let (status, problem) = raw_problem(&raw(&app, huge.as_bytes()).await);
    assert_eq!((status, problem["status"].as_u64()), (431, Some(431)));
}

#[actix_web::test]
async fn a_year_far_out_of_range_is_refused_not_overflowed() {
    // Found by .ci/fuzz: the default `from_year` (two before `to_year`) overflowed and the
    // worker panicked, dropping the connection.
    let app = TestApp::spawn().await;
    let refused = problem(app.get("/api/v1/pipeline/funnel?to_year=-2147483648").await, 422).await;
    assert_eq!(fields(&refused), ["to_year"]);
}
