//! Requests wait for a database connection in line, first come first served, and no
//! longer than the pool's timeout (src/db/mod.rs, `PgPool`).

use crate::helpers::server;
use diesel::connection::SimpleConnection;
use peiyu::config::Settings;
use peiyu::db;
use peiyu::service::{ServiceError, unit_of_work};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn pool(turns: u32, timeout_ms: u64) -> db::PgPool {
    let mut settings = Settings::load().expect("settings");
    settings.database.pool_size = turns;
    settings.database.connection_timeout_ms = timeout_ms;
    let catalog = settings.catalog().expect("catalog");
    db::build_pool(&server().admin_url(), &settings.database, catalog.time_zone).expect("pool")
}

#[actix_web::test]
async fn requests_get_their_connection_in_the_order_they_asked() {
    let pool = pool(1, 10_000);
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiting = Vec::new();
    for n in 0..8 {
        let (pool, order) = (pool.clone(), order.clone());
        waiting.push(actix_web::rt::spawn(async move {
            unit_of_work(&pool, move |conn| {
                order.lock().expect("order").push(n);
                conn.batch_execute("SELECT pg_sleep(0.02)")?;
                Ok(())
            })
            .await
        }));
        // Each asks after the one before is in line.
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
    for done in waiting {
        done.await.expect("joined").expect("served");
    }
    assert_eq!(*order.lock().expect("order"), (0..8).collect::<Vec<_>>());
}

#[actix_web::test]
async fn a_request_that_waits_past_the_timeout_is_told_the_database_is_busy() {
    let pool = pool(1, 200);
    let busy = pool.clone();
    let holder =
        actix_web::rt::spawn(
            async move { unit_of_work(&busy, |conn| Ok(conn.batch_execute("SELECT pg_sleep(1)")?)).await },
        );
    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    let asked = Instant::now();
    let refused = unit_of_work(&pool, |_| Ok(())).await;
    assert!(matches!(refused, Err(ServiceError::Unavailable(_))), "{refused:?}");
    assert!(asked.elapsed() < Duration::from_millis(900), "waited {:?}", asked.elapsed());
    holder.await.expect("joined").expect("the first is served");
    // The line moves again once the connection is back.
    unit_of_work(&pool, |_| Ok(())).await.expect("served after");
}
