//! Imports run in the background (the console's 数据导入): starting one checks the file and
//! records the run; the run then reports its progress chunk by chunk and, at the end, its
//! report, for the page that follows it and for whoever opens it later.

use crate::config::Catalog;
use crate::db::import_runs::{self as store, ImportRun, NewImportRun};
use crate::db::{PgPool, audit};
use crate::domain::Action;
use crate::domain::Refusal;
use crate::service::file_import::sheet::Sheet;
use crate::service::file_import::{self, Kind, Report};
use crate::service::{Authorized, OrNotFound, ServiceError};
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use uuid::Uuid;

/// A run that has not been heard from for this long stopped with its server: a chunk
/// takes seconds.
const STALLED_AFTER: Duration = Duration::minutes(10);

/// A file checked and recorded as a run, to be imported by [`Job::run`].
pub struct Job {
    pub id: Uuid,
    sheet: Sheet,
    kind: Kind,
    dry_run: bool,
    context: audit::Context,
    scope: crate::domain::StreetScope,
}

/// That the caller may import lists: asked before a byte of an upload is read.
pub fn may_import(auth: &Authorized) -> Result<(), ServiceError> {
    auth.require(Action::ImportLists)
}

/// Imports `sheet` at once, in the caller's unit of work (the API's import, which answers
/// with the report): see [`file_import::run`].
pub fn import_now(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &crate::config::Catalog,
    sheet: Sheet,
    kind: Option<Kind>,
    dry_run: bool,
) -> Result<file_import::Report, ServiceError> {
    auth.require(Action::ImportLists)?;
    let scope = auth.principal.street_scope();
    let importer = file_import::Importer { context: &auth.audit, scope: &scope };
    file_import::run(conn, catalog, &importer, sheet, kind, dry_run, &|_| {})
}

/// Checks that the file (read by [`file_import::read_upload`]) has the columns its kind
/// needs (422 on `file` otherwise), and records the run.
pub fn start(
    conn: &mut PgConnection,
    auth: &Authorized,
    file_name: &str,
    sheet: Sheet,
    kind: Option<Kind>,
    dry_run: bool,
) -> Result<Job, ServiceError> {
    auth.require(Action::ImportLists)?;
    let kind = file_import::kind_of(&sheet, kind)?;
    let id = Uuid::now_v7();
    let rows_total =
        i32::try_from(sheet.rows.len()).map_err(|_| ServiceError::invalid("file", Refusal::TooManyRows))?;
    store::insert(
        conn,
        &NewImportRun { id, user_id: auth.acting_user()?, file_name, kind: kind.as_str(), dry_run, rows_total },
    )?;
    Ok(Job { id, sheet, kind, dry_run, context: auth.audit, scope: auth.principal.street_scope() })
}

impl Job {
    /// Imports the file (on a blocking thread: it takes seconds to minutes), recording
    /// progress after every chunk and the report, or the failure, at the end.
    pub fn run(self, pool: &PgPool, catalog: &Catalog) {
        let Self { id, sheet, kind, dry_run, context, scope } = self;
        let outcome = pool.get().map_err(ServiceError::from).and_then(|mut conn| {
            let progress = |rows: usize| {
                let heard = pool
                    .get()
                    .map_err(ServiceError::from)
                    .and_then(|mut conn| Ok(store::advance(&mut conn, id, i32::try_from(rows).unwrap_or(i32::MAX))?));
                if let Err(error) = heard {
                    tracing::warn!(%error, run = %id, "an import's progress was not recorded");
                }
            };
            let importer = file_import::Importer { context: &context, scope: &scope };
            file_import::run(&mut conn, catalog, &importer, sheet, Some(kind), dry_run, &progress)
        });
        let (report, failure) = match outcome {
            Ok(report) => (serde_json::to_value(report).ok(), None),
            Err(error) => {
                tracing::error!(%error, run = %id, "an import failed");
                (None, Some(error.to_string()))
            }
        };
        let finished = pool
            .get()
            .map_err(ServiceError::from)
            .and_then(|mut conn| Ok(store::finish(&mut conn, id, report, failure.as_deref())?));
        if let Err(error) = finished {
            tracing::error!(%error, run = %id, "an import's end was not recorded");
        }
    }
}

/// Where a run stands.
#[derive(Debug, Clone)]
pub enum Progress {
    Running {
        done: i32,
        total: i32,
    },
    /// Not heard from for [`STALLED_AFTER`]: its server stopped. Importing the file again
    /// picks up where it ended (every row is idempotent).
    Interrupted,
    Failed(String),
    Finished(Report),
}

/// A run as its page shows it.
#[derive(Debug, Clone)]
pub struct RunView {
    pub id: Uuid,
    pub file_name: String,
    pub kind: Option<Kind>,
    pub dry_run: bool,
    pub started_by: String,
    pub started_at: DateTime<Utc>,
    pub progress: Progress,
}

impl RunView {
    fn of((run, started_by): (ImportRun, String), now: DateTime<Utc>) -> Self {
        let progress = match (&run.finished_at, run.report, run.failure) {
            (Some(_), Some(report), _) => serde_json::from_value(report)
                .map_or_else(|e| Progress::Failed(format!("the report cannot be read: {e}")), Progress::Finished),
            (Some(_), None, failure) => Progress::Failed(failure.unwrap_or_default()),
            (None, ..) if now - run.heard_at > STALLED_AFTER => Progress::Interrupted,
            (None, ..) => Progress::Running { done: run.rows_done.min(run.rows_total), total: run.rows_total },
        };
        Self {
            id: run.id,
            file_name: run.file_name,
            kind: Kind::ALL.into_iter().find(|k| k.as_str() == run.kind),
            dry_run: run.dry_run,
            started_by,
            started_at: run.started_at,
            progress,
        }
    }
}

/// One run. Imports are the bureau's (managers and admins): whoever may import sees them
/// all.
pub fn find(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<RunView, ServiceError> {
    auth.require(Action::ImportLists)?;
    let run = store::find(conn, id).or_not_found("import")?;
    Ok(RunView::of(run, Utc::now()))
}

/// The latest runs, newest first.
pub fn latest(conn: &mut PgConnection, auth: &Authorized, limit: i64) -> Result<Vec<RunView>, ServiceError> {
    auth.require(Action::ImportLists)?;
    let now = Utc::now();
    Ok(store::latest(conn, limit)?.into_iter().map(|run| RunView::of(run, now)).collect())
}
