use crate::helpers::TestApp;
use serde_json::Value;

#[actix_web::test]
async fn probes_answer() {
    let app = TestApp::spawn().await;
    let health: Value = app.get("/healthz").await.json().await.expect("json");
    assert_eq!(health["status"], "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.expect("json")["status"], "ready");
}

#[actix_web::test]
async fn reference_data_comes_from_configuration() {
    let app = TestApp::spawn().await;
    let tiers: Value = app.get("/api/v1/tiers").await.json().await.expect("json");
    let codes: Vec<_> = tiers.as_array().expect("array").iter().filter_map(|t| t["code"].as_str()).collect();
    assert_eq!(codes, ["prospect", "tech_sme", "hnte_pool", "hnte", "srdi", "little_giant"]);
    assert_eq!(tiers[3]["label"], "国家高新技术企业");
    assert_eq!(tiers[3]["validity_years"], 3);
    let clusters: Value = app.get("/api/v1/clusters").await.json().await.expect("json");
    assert!(clusters.as_array().expect("array").iter().any(|c| c["code"] == "biomedicine" && c["name"] == "生物医药"));
}

#[actix_web::test]
async fn every_answer_names_its_request_and_the_audit_log_records_it() {
    let app = TestApp::spawn().await;
    let response =
        app.post("/api/v1/regions", &serde_json::json!({"name": "宝安区", "code": "baoan", "kind": "district"})).await;
    assert_eq!(response.status(), 201);
    let request_id = response.headers()["x-request-id"].to_str().expect("ascii").to_owned();
    let region = response.json::<Value>().await.expect("json");
    let audit: Value = app
        .get(&format!("/api/v1/audit?entity=region&entity_id={}", region["id"].as_str().expect("id")))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(audit["items"][0]["request_id"], request_id.as_str());
    // Errors too, and each request its own.
    let missing = app.anonymous().get("/api/v1/enterprises").await;
    let other = missing.headers()["x-request-id"].to_str().expect("ascii");
    assert!(uuid::Uuid::parse_str(other).is_ok() && other != request_id, "{other}");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_template() {
    let app = TestApp::spawn().await;
    let nobody = "/api/v1/enterprises/0190c0de-0000-7000-8000-000000000000";
    assert_eq!(app.get(nobody).await.status(), 404);
    let response = app.anonymous().get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().expect("ascii").starts_with("text/plain"));
    let text = response.text().await.expect("text");
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("peiyu_http_requests_total{")
                && l.contains(r#"route="/api/v1/enterprises/{id}""#)
                && l.contains(r#"status="404""#)
        })
        .unwrap_or_else(|| panic!("no request count for the template:\n{text}"));
    assert!(line.rsplit(' ').next().and_then(|n| n.parse::<u64>().ok()).is_some_and(|n| n >= 1), "{line}");
    assert!(!text.contains("0190c0de"), "a raw path became a label");
    // Methods nobody defined make no series of their own.
    for made_up in ["FROBNICATE", "XYZZY"] {
        let method = reqwest::Method::from_bytes(made_up.as_bytes()).expect("a token");
        app.anonymous().request(method, "/api/v1/enterprises").send().await.expect("answered");
    }
    let text = app.anonymous().get("/metrics").await.text().await.expect("text");
    assert!(!text.contains("FROBNICATE") && !text.contains("XYZZY"), "a made-up method became a label");
    assert!(text.contains(r#"method="other""#), "{text}");
    for family in [
        r#"peiyu_http_request_duration_seconds_count{method="GET",route="/api/v1/enterprises/{id}",status="404"}"#,
        "peiyu_db_pool_connections ",
        "peiyu_db_pool_connections_in_use ",
        "peiyu_db_pool_max_size ",
        "peiyu_db_pool_wait_seconds_count ",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
}
