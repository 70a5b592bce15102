//! PostgreSQL access: the pool, migrations, and query functions per aggregate. Query
//! functions take `&mut PgConnection` so the caller decides the transaction.

#[macro_use]
pub mod workflow_tables;
pub mod api_keys;
pub mod applications;
pub mod audit;
mod audit_views;
pub mod certificates;
pub mod changes;
pub mod console_sessions;
pub mod embedded;
pub mod enterprises;
pub mod idempotency;
pub mod import_runs;
pub mod indicators;
pub mod login_failures;
pub mod obligations;
pub mod pipeline;
pub mod readiness;
pub mod refresh_tokens;
pub mod regions;
pub mod risks;
pub mod schema;
pub mod service_requests;
pub mod targets;
pub mod users;
pub mod visits;

use crate::config::DatabaseSettings;
use crate::domain::StreetScope;
use chrono_tz::Tz;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::sql_types::{Array, Nullable, Text};
use diesel::{Connection, PgConnection, Queryable};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use std::time::Duration;
use uuid::Uuid;

pub type PgPool = Pool<ConnectionManager<PgConnection>>;

/// A street scope as raw SQL binds it: `None` for every street.
pub(crate) fn scope_streets(scope: &StreetScope) -> Option<Vec<Uuid>> {
    match scope {
        StreetScope::All => None,
        StreetScope::Streets(streets) => Some(streets.clone()),
    }
}

/// A row read by id, kept only if its street lies within `scope`: outside it the row is
/// not there (diesel's `NotFound`, the caller's 404), as if it did not exist.
pub(crate) fn within_scope<T>(scope: &StreetScope, street_id: Option<Uuid>, row: T) -> diesel::QueryResult<T> {
    if scope.allows(street_id) { Ok(row) } else { Err(diesel::result::Error::NotFound) }
}

diesel::define_sql_function!(fn lower(text: Text) -> Text);

/// Rows per multi-row `INSERT` of a table with `columns` columns: PostgreSQL takes at
/// most 65,535 bind parameters in one statement.
pub(crate) fn rows_per_insert(columns: usize) -> usize {
    usize::from(u16::MAX) / columns
}

/// A `text[]` column read as strings. PostgreSQL arrays may hold NULLs; ours never do
/// (only the API writes them, and it writes strings).
pub struct TextArray(Vec<Option<String>>);

impl<DB: diesel::backend::Backend> Queryable<Array<Nullable<Text>>, DB> for TextArray
where
    Vec<Option<String>>: diesel::deserialize::FromSql<Array<Nullable<Text>>, DB>,
{
    type Row = Vec<Option<String>>;

    fn build(row: Self::Row) -> diesel::deserialize::Result<Self> {
        Ok(Self(row))
    }
}

impl From<TextArray> for Vec<String> {
    fn from(array: TextArray) -> Self {
        array.0.into_iter().flatten().collect()
    }
}

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Serialises migration runs across every instance sharing the database ("peiyu" in ASCII).
const MIGRATION_LOCK: i64 = 0x0070_6569_7975;

#[derive(Debug)]
struct SessionSettings {
    statement_timeout_ms: u64,
    bureau_time_zone: Tz,
}

/// Tells a session the bureau's time zone: SQL's `bureau_date` buckets last visits and
/// resolutions by it. Changing the zone later calls for `SELECT refresh_pipeline_aggregates()`.
fn bureau_calendar(time_zone: Tz) -> String {
    // An IANA name from chrono-tz: letters, digits, `/`, `_`, `-` and `+`, nothing to quote.
    format!("SET peiyu.time_zone = '{}'", time_zone.name())
}

impl CustomizeConnection<PgConnection, diesel::r2d2::Error> for SessionSettings {
    fn on_acquire(&self, conn: &mut PgConnection) -> Result<(), diesel::r2d2::Error> {
        // Every connection works in UTC, knows the bureau's calendar (the `bureau_date`
        // SQL function buckets last visits by it) and gives up on runaway statements.
        // The zone was validated as an IANA name when the settings were loaded.
        // No parallel query: every API query is an index walk that stops at a page, and
        // starting workers cost more than it saved (a counselor's expiring list took
        // 16 ms with two workers, 5 ms without, at a million enterprises).
        conn.batch_execute(&format!(
            "SET TIME ZONE 'UTC'; {}; SET statement_timeout = {}; SET max_parallel_workers_per_gather = 0",
            bureau_calendar(self.bureau_time_zone),
            self.statement_timeout_ms
        ))
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Builds the pool once, opening every connection up front so the first requests do not
/// pay for connecting and a wrong URL fails at start-up rather than on a request.
pub fn build_pool(url: &str, settings: &DatabaseSettings, time_zone: Tz) -> Result<PgPool, r2d2::Error> {
    Pool::builder()
        .max_size(settings.pool_size)
        // No `SELECT 1` before every checkout: that was a round trip on every request.
        // A connection that broke is reported by the query that meets it (503) and
        // discarded by the pool, which then opens a fresh one.
        .test_on_check_out(false)
        .min_idle(Some(settings.pool_size))
        .connection_timeout(Duration::from_millis(settings.connection_timeout_ms))
        .event_handler(Box::new(crate::metrics::PoolEvents))
        .connection_customizer(Box::new(SessionSettings {
            statement_timeout_ms: settings.statement_timeout_ms,
            bureau_time_zone: time_zone,
        }))
        .build(ConnectionManager::new(url))
}

/// Applies pending migrations under a session advisory lock, so that several instances
/// starting at once migrate one after another instead of racing. Returns what it applied.
pub fn migrate(url: &str, time_zone: Tz) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::establish(url)?;
    // Migrations that fill aggregates bucket by the bureau's calendar, as the pool does.
    conn.batch_execute(&bureau_calendar(time_zone))?;
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(ToString::to_string).collect())
        .map_err(|e| anyhow::anyhow!("migration failed: {e}"));
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))?;
    applied
}
