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
async fn the_openapi_document_describes_every_endpoint() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/api/openapi.json").await.json().await.expect("json");
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    let paths = document["paths"].as_object().expect("paths");
    let mut documented: Vec<String> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().into_iter().flat_map(move |ops| ops.keys().map(move |m| format!("{m} {path}")))
        })
        .collect();
    documented.sort();
    assert_eq!(
        documented,
        [
            "delete /api/v1/api-keys/{id}",
            "delete /api/v1/enterprises/{id}",
            "get /api/v1/api-keys",
            "get /api/v1/applications",
            "get /api/v1/applications/{id}",
            "get /api/v1/audit",
            "get /api/v1/changes",
            "get /api/v1/clusters",
            "get /api/v1/enterprises",
            "get /api/v1/enterprises/{id}",
            "get /api/v1/enterprises/{id}/certificates",
            "get /api/v1/enterprises/{id}/eligibility",
            "get /api/v1/enterprises/{id}/indicators",
            "get /api/v1/enterprises/{id}/promotions",
            "get /api/v1/enterprises/{id}/timeline",
            "get /api/v1/enterprises/{id}/visits",
            "get /api/v1/me",
            "get /api/v1/me/agenda",
            "get /api/v1/pipeline/coverage",
            "get /api/v1/pipeline/expiring",
            "get /api/v1/pipeline/funnel",
            "get /api/v1/pipeline/requests",
            "get /api/v1/pipeline/summary",
            "get /api/v1/regions",
            "get /api/v1/requests",
            "get /api/v1/requests/{id}",
            "get /api/v1/targets",
            "get /api/v1/tiers",
            "get /api/v1/users",
            "get /api/v1/visits",
            "get /healthz",
            "get /readyz",
            "patch /api/v1/enterprises/{id}",
            "patch /api/v1/users/{id}",
            "patch /api/v1/visits/{id}",
            "post /api/v1/api-keys",
            "post /api/v1/applications/{id}/transitions",
            "post /api/v1/auth/login",
            "post /api/v1/auth/logout",
            "post /api/v1/auth/refresh",
            "post /api/v1/enterprises",
            "post /api/v1/enterprises/{id}/applications",
            "post /api/v1/enterprises/{id}/demotions",
            "post /api/v1/enterprises/{id}/promotions",
            "post /api/v1/enterprises/{id}/requests",
            "post /api/v1/enterprises/{id}/visits",
            "post /api/v1/imports",
            "post /api/v1/regions",
            "post /api/v1/registry/certifications",
            "post /api/v1/requests/{id}/transitions",
            "post /api/v1/users",
            "put /api/v1/enterprises/{id}/indicators/{year}",
            "put /api/v1/targets/{year}",
        ]
    );
    assert!(document["components"]["schemas"]["Problem"].is_object());
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // Public endpoints say so; everything else requires the bearer scheme.
    assert_eq!(document["paths"]["/api/v1/auth/login"]["post"]["security"], serde_json::json!([{}]));
    assert_eq!(document["security"], serde_json::json!([{"bearer": []}]));
}
