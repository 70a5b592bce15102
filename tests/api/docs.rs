//! The OpenAPI document and the docs page an integrator reads it in.

use crate::helpers::TestApp;
use serde_json::Value;

/// The operations of the served document, as `(method, path)`.
fn operations(document: &Value) -> Vec<(String, String)> {
    let paths = document["paths"].as_object().expect("paths");
    let mut operations: Vec<_> = paths
        .iter()
        .flat_map(|(path, item)| {
            item.as_object().into_iter().flat_map(move |ops| ops.keys().map(move |m| (m.clone(), path.clone())))
        })
        .collect();
    operations.sort();
    operations
}

/// The routes the handlers declare with actix's route macros (`#[get("/enterprises/{id}")]`),
/// read from the source: `(method, path relative to its scope, file)`.
fn declared_routes() -> Vec<(String, String, String)> {
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/src/http"))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("a directory of src/http") {
            let path = entry.expect("entry").path();
            if path.is_dir() { dirs.push(path) } else { files.push(path) }
        }
    }
    let mut routes = Vec::new();
    for path in files {
        let source = std::fs::read_to_string(&path).expect("source");
        for line in source.lines().map(str::trim) {
            for method in ["get", "post", "put", "patch", "delete"] {
                if let Some(rest) = line.strip_prefix(&format!("#[{method}(\"")) {
                    let route = rest.split('"').next().expect("a quoted path");
                    routes.push((method.to_owned(), route.to_owned(), path.display().to_string()));
                }
            }
        }
    }
    routes
}

#[actix_web::test]
async fn every_route_actix_serves_is_in_the_document_and_every_documented_operation_is_routed() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/api/openapi.json").await.json().await.expect("json");
    let documented = operations(&document);

    // Handlers are registered under these scopes (src/http/mod.rs `routes`); a handler
    // registered through utoipa-actix-web cannot lack its documentation, so one declared
    // but missing here was never registered, or was registered around the document.
    let declared = declared_routes();
    for (method, route, file) in &declared {
        let found = ["", "/api/v1", "/api/v1/registry"]
            .iter()
            .any(|scope| documented.contains(&(method.clone(), format!("{scope}{route}"))));
        assert!(found, "{method} {route} ({file}) is served but not in the OpenAPI document");
    }
    assert_eq!(declared.len(), documented.len(), "each documented operation has one handler");

    // The other way round: each documented operation reaches a handler, not the fallback.
    for (method, path) in &documented {
        let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000").replace("{year}", "2026");
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("method");
        let response = app.anonymous().request(method.clone(), &concrete).send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.text().await.expect("body");
        assert!(!body.contains("no such route"), "{method} {path} is documented but not routed ({status})");
    }

    // Each operation has a name of its own: a client generated from the document has a
    // method per operation (six shared names made one drop `POST /enterprises/{id}/requests`).
    let mut names: Vec<&str> = document["paths"]
        .as_object()
        .expect("paths")
        .values()
        .flat_map(|item| item.as_object().expect("a path item").values())
        .filter_map(|operation| operation["operationId"].as_str())
        .collect();
    assert_eq!(names.len(), documented.len(), "every operation is named");
    names.sort_unstable();
    let repeated: Vec<_> = names.windows(2).filter(|w| w[0] == w[1]).map(|w| w[0]).collect();
    assert!(repeated.is_empty(), "operationIds used twice: {repeated:?}");
}

#[actix_web::test]
async fn the_document_changes_only_on_purpose() {
    let app = TestApp::spawn().await;
    let document: Value = app.get("/api/openapi.json").await.json().await.expect("json");
    assert!(document["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")));
    assert_eq!(document["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    // Public endpoints say so; everything else requires the bearer scheme.
    assert_eq!(document["paths"]["/api/v1/auth/login"]["post"]["security"], serde_json::json!([{}]));
    assert_eq!(document["security"], serde_json::json!([{"bearer": []}, {"api_key": []}]));
    assert_eq!(document["components"]["securitySchemes"]["api_key"]["bearerFormat"], "pk_…");
    // Every operation documents the answers any request may get: 401 unless public, 503
    // where the database is needed.
    for (method, path) in operations(&document) {
        let operation = &document["paths"][&path][&method];
        let responses = operation["responses"].as_object().expect("responses");
        for (status, response) in responses {
            assert!(
                response["description"].as_str().is_some_and(|d| !d.is_empty()),
                "{method} {path} {status}: no description"
            );
        }
        if operation["security"] != serde_json::json!([{}]) {
            assert!(responses.contains_key("401"), "{method} {path} does not document 401");
        }
        if path.starts_with("/api/v1") {
            assert!(responses.contains_key("503"), "{method} {path} does not document 503");
        }
    }
    // Every enum names each of its codes with its Chinese label (a new enum must too).
    let schemas = document["components"]["schemas"].as_object().expect("schemas");
    for (name, schema) in schemas {
        let Some(codes) = schema["enum"].as_array() else { continue };
        let description = schema["description"].as_str().unwrap_or_default();
        for code in codes.iter().filter_map(Value::as_str) {
            let line = description.lines().find(|l| l.starts_with(&format!("- `{code}`: "))).unwrap_or_default();
            assert!(!line.is_ascii(), "{name}: `{code}` has no Chinese label in its description");
        }
    }
    // Review a change with `cargo insta review` (or INSTA_UPDATE=always cargo test) and
    // commit the new snapshot with the change that made it.
    insta::assert_json_snapshot!("openapi", document);
}

#[actix_web::test]
async fn the_docs_page_is_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app.anonymous().get("/api/docs/").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    // Every script and style comes from this server: the bureau's network has no CDN.
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css", "swagger-initializer.js"] {
        assert!(html.contains(&format!("./{asset}")), "{asset} is not referenced relatively");
        let response = app.anonymous().get(&format!("/api/docs/{asset}")).await;
        assert_eq!(response.status(), 200, "{asset}");
        let body = response.text().await.expect("asset");
        assert!(body.len() > 100, "{asset} is empty");
        if asset == "swagger-initializer.js" {
            assert!(body.contains("/api/openapi.json"), "{body}");
        }
    }
    assert!(!html.contains("//unpkg") && !html.contains("//cdn"), "{html}");
}

/// Headless Chromium with this machine's closed network in mind: no background fetches,
/// no component updates, a throwaway profile.
fn chromium(profile: &std::path::Path) -> Option<std::process::Command> {
    let binary =
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].into_iter().find(|b| std::path::Path::new(b).exists())?;
    let mut command = std::process::Command::new(binary);
    command
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"])
        .args(["--disable-background-networking", "--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.display()));
    Some(command)
}

/// The docs page runs in a real browser: Swagger UI fetches the document and draws an
/// operation block per endpoint, with no network beyond this server. Without Chromium
/// (`apt-get install chromium`) the check is skipped, unless PEIYU_REQUIRE_BROWSER=1 (CI).
#[actix_web::test]
async fn the_docs_page_renders_in_headless_chromium() {
    let profile = std::env::temp_dir().join(format!("peiyu-chromium-{}", uuid::Uuid::now_v7().simple()));
    let Some(mut browser) = chromium(&profile) else {
        assert!(
            std::env::var_os("PEIYU_REQUIRE_BROWSER").is_none(),
            "PEIYU_REQUIRE_BROWSER is set but Chromium is not installed"
        );
        eprintln!("skipped: Chromium is not installed (apt-get install chromium)");
        return;
    };
    let app = TestApp::spawn().await;
    browser.args(["--virtual-time-budget=15000", "--dump-dom"]).arg(app.url("/api/docs/"));
    let output =
        actix_web::rt::task::spawn_blocking(move || browser.output()).await.expect("joined").expect("chromium");
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&output.stdout);
    assert!(dom.contains("Peiyu (培育) API"), "the title did not render:\n{dom:.2000}");
    let operations = dom.matches("class=\"opblock opblock-").count();
    assert!(operations >= 50, "{operations} operation blocks rendered");
    for path in ["/api/v1/enterprises/{id}", "/api/v1/registry/certifications", "/metrics"] {
        assert!(dom.contains(path), "{path} is not on the page");
    }
}
