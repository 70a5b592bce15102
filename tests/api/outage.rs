//! PostgreSQL goes away mid-traffic and comes back: requests get 503 problem+json (never
//! a 500), `/readyz` says so, the process stays up, service resumes by itself, and every
//! write that was answered 201 is there afterwards.

use crate::helpers::{TestApp, count, with_database};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use peiyu::db::embedded::{EmbeddedCluster, Lifetime};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const POOL_TIMEOUT: Duration = Duration::from_millis(1_000);

/// What one request got.
struct Seen {
    status: u16,
    took: Duration,
    problem_json: bool,
    /// The region a 201 created.
    created: Option<String>,
}

/// Writes and reads in a loop until `stop`: each write creates a district.
async fn traffic(app: Arc<TestApp>, worker: usize, stop: Arc<AtomicBool>) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let started = Instant::now();
        let response = if n % 2 == 0 {
            app.get("/api/v1/regions").await
        } else {
            app.post(
                "/api/v1/regions",
                &json!({"name": format!("区{worker}-{n}"), "code": format!("d{worker}x{n}"), "kind": "district"}),
            )
            .await
        };
        let status = response.status().as_u16();
        let problem_json = response
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().is_ok_and(|v| v.starts_with("application/problem+json")));
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let created = (status == 201).then(|| body["id"].as_str().expect("an id").to_owned());
        seen.push(Seen { status, took: started.elapsed(), problem_json, created });
    }
    seen
}

#[actix_web::test]
async fn a_database_outage_costs_503s_never_500s_nor_accepted_writes() {
    // A cluster of its own: the other tests keep theirs while this one goes down.
    let data_dir = std::env::temp_dir().join(format!("peiyu-outage-{}", uuid::Uuid::now_v7().simple()));
    let cluster = EmbeddedCluster::start(&data_dir, Lifetime::Process).expect("outage cluster");
    let url = with_database(&cluster.url("postgres"), "outage");
    let mut admin = diesel::PgConnection::establish(&cluster.url("postgres")).expect("connect");
    admin.batch_execute("CREATE DATABASE outage").expect("create the database");
    peiyu::db::migrate(&url, chrono_tz::Asia::Shanghai).expect("migrate");
    let app = Arc::new(
        TestApp::spawn_with(&url, |settings| settings.database.connection_timeout_ms = POOL_TIMEOUT.as_millis() as u64)
            .await,
    );

    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..3).map(|w| actix_web::rt::spawn(traffic(app.clone(), w, stop.clone()))).collect();
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;

    let cluster = Arc::new(cluster);
    let restart = {
        let cluster = cluster.clone();
        actix_web::rt::task::spawn_blocking(move || cluster.restart(Duration::from_secs(3)))
    };
    // While it is down, readiness says so.
    let mut unready = false;
    while !restart.is_finished() {
        unready |= app.get("/readyz").await.status() == 503;
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    restart.await.expect("joined").expect("restarted");
    assert!(unready, "/readyz never said 503 while the database was down");

    // Back by itself: no restart of Peiyu, no operator.
    let back = Instant::now();
    while app.get("/readyz").await.status() != 200 {
        assert!(back.elapsed() < Duration::from_secs(30), "service did not resume");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    for worker in workers {
        seen.extend(worker.await.expect("worker"));
    }

    let answered = |status: u16| seen.iter().filter(|s| s.status == status).count();
    let unexpected: Vec<u16> = seen.iter().map(|s| s.status).filter(|s| ![200, 201, 503].contains(s)).collect();
    assert!(unexpected.is_empty(), "statuses other than 200, 201 and 503: {unexpected:?}");
    assert!(answered(503) > 0, "the outage was never seen");
    assert!(answered(201) > 0 && answered(200) > 0);
    for unavailable in seen.iter().filter(|s| s.status == 503) {
        assert!(unavailable.problem_json, "a 503 without problem+json");
        // Within the pool's timeout, plus room for a slow machine.
        assert!(unavailable.took < POOL_TIMEOUT + Duration::from_secs(5), "a 503 took {:?}", unavailable.took);
    }
    let accepted: Vec<&String> = seen.iter().filter_map(|s| s.created.as_ref()).collect();
    let ids = accepted.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(",");
    let stored = count(&app, &format!("SELECT count(*) AS n FROM regions WHERE id IN ({ids})"));
    assert_eq!(stored, accepted.len() as i64, "a write answered 201 was lost");
    eprintln!(
        "outage: {} requests, {} answered 200, {} created (all stored), {} got 503",
        seen.len(),
        answered(200),
        accepted.len(),
        answered(503)
    );
    drop(app);
    let _ = std::fs::remove_dir_all(&data_dir);
}
