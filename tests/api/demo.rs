//! The demo district: generated history, usable accounts, and triggers that agree with a
//! full rebuild of every maintained aggregate.

use crate::helpers::{TestApp, count, run_sql};
use diesel::QueryableByName;
use peiyu::cli::demo::{self, Size};
use peiyu::domain::Role;
use serde_json::Value;

#[derive(QueryableByName, Debug, PartialEq)]
pub struct Fingerprint {
    #[diesel(sql_type = diesel::sql_types::Text)]
    rows: String,
}

/// Every maintained aggregate, as text in a stable order.
pub fn aggregates(app: &TestApp) -> Vec<Fingerprint> {
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
            demo::seed(&mut conn, &catalog, Size { enterprises: 400, visits: 4_000, seed: 0 }).expect("seed")
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

/// What a district generated: its enterprises and their histories, as text.
fn district_of(app: &TestApp) -> String {
    crate::helpers::query::<Fingerprint>(
        app,
        "SELECT string_agg(r, ';' ORDER BY r) AS rows FROM (
             SELECT concat_ws('|', e.uscc, e.name, e.tier, s.code, e.cluster, e.established_on) AS r
             FROM enterprises e JOIN regions s ON s.id = e.street_id
             UNION ALL SELECT concat_ws('|', e.uscc, c.tier, c.effective_on, c.valid_until)
             FROM certificates c JOIN enterprises e ON e.id = c.enterprise_id) AS all_rows",
    )
    .remove(0)
    .rows
}

async fn seeded(seed: u64) -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let pool = app.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let catalog = peiyu::config::Settings::load().expect("settings").catalog().expect("catalog");
        demo::seed(&mut pool.get().expect("connection"), &catalog, Size { enterprises: 300, visits: 600, seed })
    })
    .await
    .expect("joined")
    .expect("seeded");
    let district = district_of(&app);
    (app, district)
}

#[actix_web::test]
async fn a_seed_names_one_district_with_every_rung_status_and_role() {
    let (app, first) = seeded(7).await;
    let (_, again) = seeded(7).await;
    let (_, other) = seeded(8).await;
    assert_eq!(first, again, "the same seed made a different district");
    assert_ne!(first, other, "another seed made the same district");

    let present = |sql: &str| crate::helpers::query::<Fingerprint>(&app, sql).remove(0).rows;
    assert_eq!(
        present("SELECT string_agg(DISTINCT tier, ',' ORDER BY tier) AS rows FROM enterprises"),
        "hnte,hnte_pool,little_giant,prospect,srdi,tech_sme"
    );
    assert_eq!(
        present("SELECT string_agg(DISTINCT status, ',' ORDER BY status) AS rows FROM service_requests"),
        "assigned,closed,escalated,in_progress,open,rejected,resolved"
    );
    assert_eq!(
        present("SELECT string_agg(DISTINCT role, ',' ORDER BY role) AS rows FROM users"),
        "admin,counselor,manager,viewer"
    );
    let expiring = present(
        "SELECT count(*)::text AS rows FROM certificates
         WHERE ended_on IS NULL AND valid_until BETWEEN current_date AND current_date + 90",
    );
    assert!(expiring.parse::<u32>().is_ok_and(|n| n > 0), "no certificate expires soon");
    for table in ["visits", "applications", "targets"] {
        let rows = present(&format!("SELECT count(*)::text AS rows FROM {table}"));
        assert!(rows.parse::<u32>().is_ok_and(|n| n > 0), "no {table}");
    }
}

fn seed_now(app: &TestApp, size: Size) -> anyhow::Result<demo::Seeded> {
    let catalog = peiyu::config::Settings::load()?.catalog()?;
    demo::seed(&mut *app.pool.get()?, &catalog, size)
}

/// Indexes of the tables a large load drops the secondary ones of, for the time of the load.
fn indexes_of_loaded_tables(app: &TestApp) -> i64 {
    count(
        app,
        "SELECT count(*) AS n FROM pg_indexes
         WHERE tablename IN ('enterprises', 'visits', 'certificates', 'tier_changes', 'service_requests', 'applications')",
    )
}

#[actix_web::test]
async fn a_demo_load_cut_short_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let tables = ["regions", "users", "enterprises", "visits", "certificates", "tier_changes"];
    let rows = |app: &TestApp| tables.map(|table| count(app, &format!("SELECT count(*) AS n FROM {table}")));
    let before = rows(&app);
    let indexes = indexes_of_loaded_tables(&app);
    // Fails the load at its fourth table, after the indexes went (a load this large drops
    // them) and three tables came in. ALWAYS: the load switches ordinary triggers off.
    run_sql(
        &app,
        "CREATE FUNCTION disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
         CREATE TRIGGER disk_full BEFORE INSERT ON service_requests FOR EACH ROW EXECUTE FUNCTION disk_full();
         ALTER TABLE service_requests ENABLE ALWAYS TRIGGER disk_full;",
    );
    let size = Size { enterprises: 400, visits: 50_000, seed: 0 };
    let failed = seed_now(&app, size).expect_err("the load fails");
    assert!(format!("{failed:#}").contains("No space left"), "{failed:#}");
    assert_eq!(rows(&app), before, "{tables:?} are as they were");
    assert_eq!(indexes_of_loaded_tables(&app), indexes, "every index is still there");

    run_sql(&app, "DROP TRIGGER disk_full ON service_requests");
    assert!(seed_now(&app, size).expect("seeded").generated, "the next run loads the district");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM enterprises"), 400);
}

#[actix_web::test]
async fn the_demo_completes_a_district_an_older_demo_left_in_part() {
    let app = TestApp::spawn().await;
    let district = app.region("宝安区", "baoan", "district", None).await;
    let xinan = app.region("新安街道", "xinan", "street", Some(&district)).await;
    let seeded = seed_now(&app, Size { enterprises: 200, visits: 500, seed: 0 }).expect("seeded");
    assert!(seeded.generated);
    let streets =
        count(&app, &format!("SELECT count(*) AS n FROM regions WHERE kind = 'street' AND parent_id = '{district}'"));
    assert_eq!(streets, 10);
    assert_eq!(count(&app, &format!("SELECT count(*) AS n FROM regions WHERE code = 'xinan' AND id = '{xinan}'")), 1);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM enterprises"), 200);
    assert!(!seed_now(&app, Size { enterprises: 200, visits: 500, seed: 0 }).expect("seeded").generated);
}
