//! Failed sign-ins counted per key (a username or a client address) in a fixed window. An
//! attempt is counted before its password is checked and taken back if it succeeds, so
//! that attempts checked at the same time cannot all pass a limit that none has reached
//! yet. In PostgreSQL, so that every instance behind a load balancer counts the same.

use crate::db::schema::login_failures;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = login_failures, check_for_backend(diesel::pg::Pg))]
pub struct Failures {
    pub key: String,
    pub window_started_at: DateTime<Utc>,
    pub failures: i32,
}

/// Counts one attempt for `key`, starting a new window when the last one has passed, and
/// answers the window as it now stands. The attempt counts as a failure until it is taken
/// back ([`take_back`]); the row stays locked until the transaction ends, so racing
/// attempts are counted one after another and each sees those before it.
pub fn count_attempt(conn: &mut PgConnection, key: &str, window: Duration) -> QueryResult<Failures> {
    diesel::sql_query(
        "INSERT INTO login_failures (key, window_started_at, failures) VALUES ($1, now(), 1)
         ON CONFLICT (key) DO UPDATE SET
             failures = CASE WHEN login_failures.window_started_at < now() - make_interval(secs => $2)
                             THEN 1 ELSE login_failures.failures + 1 END,
             window_started_at = CASE WHEN login_failures.window_started_at < now() - make_interval(secs => $2)
                                      THEN now() ELSE login_failures.window_started_at END
         RETURNING key, window_started_at, failures",
    )
    .bind::<Text, _>(key)
    .bind::<BigInt, _>(window.num_seconds())
    .get_result(conn)
}

/// Takes back an attempt counted for `key` that did not fail after all.
pub fn take_back(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::update(login_failures::table.find(key))
        .set(login_failures::failures.eq(diesel::dsl::sql::<diesel::sql_types::Integer>("greatest(failures - 1, 0)")))
        .execute(conn)
        .map(drop)
}

pub fn clear(conn: &mut PgConnection, key: &str) -> QueryResult<()> {
    diesel::delete(login_failures::table.find(key)).execute(conn).map(drop)
}
