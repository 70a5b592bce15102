//! Failed sign-ins counted per key (a username or a client address) in a fixed window.
//! In PostgreSQL, so that every instance behind a load balancer counts the same.

use crate::db::schema::login_failures;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = login_failures, check_for_backend(diesel::pg::Pg))]
pub struct Failures {
    pub key: String,
    pub window_started_at: DateTime<Utc>,
    pub failures: i32,
}

/// Counts one failure for `key`, starting a new window when the last one has passed.
pub fn record(conn: &mut PgConnection, key: &str, window: Duration) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO login_failures (key, window_started_at, failures) VALUES ($1, now(), 1)
         ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN login_failures.window_started_at < now() - make_interval(secs => $2)
                             THEN 1 ELSE login_failures.failures + 1 END,
             window_started_at = CASE WHEN login_failures.window_started_at < now() - make_interval(secs => $2)
                                      THEN now() ELSE login_failures.window_started_at END",
    )
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(window.num_seconds())
    .execute(conn)
    .map(drop)
}

/// The current windows of these keys.
pub fn current(conn: &mut PgConnection, keys: &[&str], window: Duration) -> QueryResult<Vec<Failures>> {
    login_failures::table
        .filter(login_failures::key.eq_any(keys))
        .filter(login_failures::window_started_at.gt(Utc::now() - window))
        .select(Failures::as_select())
        .load(conn)
}

pub fn clear(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(key)).execute(conn).map(drop)
}
