//! Imports started from the console, with their progress and, once finished, their report.

use crate::db::schema::{import_runs, users};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_runs, check_for_backend(diesel::pg::Pg))]
pub struct ImportRun {
    pub id: Uuid,
    pub user_id: Uuid,
    pub file_name: String,
    pub kind: String,
    pub dry_run: bool,
    pub rows_total: i32,
    pub rows_done: i32,
    pub report: Option<serde_json::Value>,
    pub failure: Option<String>,
    pub started_at: DateTime<Utc>,
    pub heard_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = import_runs)]
pub struct NewImportRun<'a> {
    pub id: Uuid,
    pub user_id: Uuid,
    pub file_name: &'a str,
    pub kind: &'a str,
    pub dry_run: bool,
    pub rows_total: i32,
}

pub fn insert(conn: &mut PgConnection, run: &NewImportRun) -> QueryResult<()> {
    diesel::insert_into(import_runs::table).values(run).execute(conn).map(drop)
}

/// The run, with the display name of who started it.
pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<(ImportRun, String)> {
    import_runs::table
        .inner_join(users::table)
        .filter(import_runs::id.eq(id))
        .select((ImportRun::as_select(), users::display_name))
        .first(conn)
}

/// The latest runs, newest first, with who started them; each report without its
/// problem rows (a million-row run's report is hundreds of megabytes of them, and a list
/// shows only their count).
pub fn latest(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<(ImportRun, String)>> {
    use import_runs as r;
    let summary = (
        r::id,
        r::user_id,
        r::file_name,
        r::kind,
        r::dry_run,
        r::rows_total,
        r::rows_done,
        r::report.remove("problems"),
        r::failure,
        r::started_at,
        r::heard_at,
        r::finished_at,
    );
    r::table
        .inner_join(users::table)
        .order(r::started_at.desc())
        .limit(limit)
        .select((summary, users::display_name))
        .load(conn)
}

/// `rows` more rows are done.
pub fn advance(conn: &mut PgConnection, id: Uuid, rows: i32) -> QueryResult<()> {
    diesel::update(import_runs::table.find(id))
        .set((import_runs::rows_done.eq(import_runs::rows_done + rows), import_runs::heard_at.eq(diesel::dsl::now)))
        .execute(conn)
        .map(drop)
}

/// The run ended: with its report, or with why it failed.
pub fn finish(
    conn: &mut PgConnection,
    id: Uuid,
    report: Option<serde_json::Value>,
    failure: Option<&str>,
) -> QueryResult<()> {
    diesel::update(import_runs::table.find(id))
        .set((
            import_runs::report.eq(report),
            import_runs::failure.eq(failure),
            import_runs::rows_done.eq(import_runs::rows_total),
            import_runs::heard_at.eq(diesel::dsl::now),
            import_runs::finished_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(drop)
}
