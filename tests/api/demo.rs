//! The demo district: generated history, usable accounts, and triggers that agree with a
//! full rebuild of every maintained aggregate.

use crate::helpers::{TestApp, run_sql};
use diesel::QueryableByName;
use peiyu::demo::{self, Size};
use peiyu::domain::Role;
use serde_json::Value;

#[derive(QueryableByName, Debug, PartialEq)]
struct Fingerprint {
    #[diesel(sql_type = diesel::sql_types::Text)]
    rows: String,
}

/// Every maintained aggregate, as text in a stable order.
fn aggregates(app: &TestApp) -> Vec<Fingerprint> {
    crate::helpers::query(
        app,
        "SELECT string_agg(r, ';' ORDER BY r) AS rows FROM (
             SELECT 'e' || c::text AS r FROM enterprise_counts c WHERE n > 0
             UNION ALL SELECT 'c' || c::text FROM coverage_counts c WHERE n > 0
             UNION ALL SELECT 'f' || c::text FROM funnel_counts c WHERE entrants > 0
             UNION ALL SELECT 'a' || c::text FROM application_counts c WHERE n > 0
             UNION ALL SELECT 'r' || c::text FROM request_month_counts c WHERE resolved > 0 OR rated > 0
             UNION ALL SELECT 'v' || e.id::text || coalesce(e.last_visited_at::text, '') FROM enterprises e) AS all_rows",
    )
}

#[actix_web::test]
async fn the_demo_district_loads_and_its_triggers_agree_with_a_rebuild() {
    let app = TestApp::spawn().await;
    let catalog = peiyu::config::Settings::load().expect("settings").catalog().expect("catalog");
    // Off the runtime that serves the app, as a real load runs beside a live server.
    let seed = |catalog: peiyu::config::Catalog| {
        let pool = app.pool.clone();
        actix_web::rt::task::spawn_blocking(move || {
            let mut conn = pool.get().expect("connection");
            demo::seed(&mut conn, &catalog, Size { enterprises: 400, visits: 4_000 }).expect("seed")
        })
    };
    let seeded = seed(catalog.clone()).await.expect("seeded");
    assert!(seeded.generated);
    let manager = seeded.users.iter().find(|u| u.role == Role::Manager).expect("a manager");
    let session = app.login(&manager.username, &manager.password).await;
    let token = session["access_token"].as_str().expect("token");

    let summary: Value = app.with_token(token).get("/api/v1/pipeline/summary").await.json().await.expect("json");
    assert_eq!(summary["total"], 400);
    assert_eq!(summary["by_street"].as_array().map(Vec::len), Some(10));
    let coverage: Value = app.with_token(token).get("/api/v1/pipeline/coverage").await.json().await.expect("json");
    assert!(coverage["visited"].as_i64().is_some_and(|n| n > 0 && n <= 400), "{coverage}");
    let funnel: Value =
        app.with_token(token).get("/api/v1/pipeline/funnel?from_year=2015").await.json().await.expect("json");
    assert!(funnel["cohorts"].as_array().is_some_and(|c| !c.is_empty()));

    // The rows above went in with the triggers on (a small load); a rebuild from the
    // base tables must find exactly what they kept.
    let kept = aggregates(&app);
    run_sql(&app, "SELECT refresh_pipeline_aggregates()");
    assert_eq!(aggregates(&app), kept);
    // It also repairs what a load with the triggers off left behind: stale last visits and
    // missing counters.
    run_sql(
        &app,
        "SET session_replication_role = replica;
         UPDATE enterprises SET last_visited_at = NULL, last_visited_on = NULL;
         TRUNCATE coverage_counts, funnel_counts, rung_entries, request_month_counts;
         SET session_replication_role = origin;
         SELECT refresh_pipeline_aggregates();",
    );
    assert_eq!(aggregates(&app), kept);

    // A second run keeps the district and renews the passwords.
    let again = seed(catalog).await.expect("seeded");
    assert!(!again.generated);
    let summary: Value = app.with_token(token).get("/api/v1/pipeline/summary").await.json().await.expect("json");
    assert_eq!(summary["total"], 400);
}
