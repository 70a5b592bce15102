//! 数据导入: a manager uploads a roster (企业名录) or a certification list (认定名单), as a
//! dry run or for real; the import runs in the background while its page shows progress,
//! then the report: the counts and every bad row (row, column, problem), on the page and
//! as a file to download.

use crate::export::writer::{Cell, Heading, Kind as Column};
use crate::export::{self, Table};
use crate::service::ServiceError;
use crate::service::file_import::{self, Kind, Report, RowProblem};
use crate::service::import_runs::{self, Progress, RunView};
use crate::startup::AppState;
use crate::upload::{self, UploadError};
use crate::web::form::FieldErrors;
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{ExportAsked, local_time};
use crate::web::session::Visitor;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use uuid::Uuid;

/// Runs listed under the form.
const LATEST: i64 = 20;
/// Problems shown on the page; the download has them all.
const SHOWN_PROBLEMS: usize = 500;

/// A run as a line of the list.
pub struct RunLine {
    pub id: Uuid,
    pub file_name: String,
    pub kind: &'static str,
    pub dry_run: bool,
    pub started_by: String,
    pub started_at: String,
    pub state: String,
}

impl RunLine {
    fn of(catalog: &crate::config::Catalog, run: RunView) -> Self {
        let state = match &run.progress {
            Progress::Running { done, total } => msg::with("imports.running", format!("{done}/{total}")),
            Progress::Interrupted => t("imports.interrupted").to_owned(),
            Progress::Failed(_) => t("imports.failed").to_owned(),
            Progress::Finished(report) => {
                msg::with("imports.finished_line", format!("{}/{}", report.rejected, report.rows))
            }
        };
        Self {
            id: run.id,
            file_name: run.file_name,
            kind: run.kind.map_or("", Kind::label),
            dry_run: run.dry_run,
            started_by: run.started_by,
            started_at: local_time(catalog, run.started_at),
            state,
        }
    }
}

#[derive(Template)]
#[template(path = "imports.html", config = "src/web/askama.toml")]
struct ImportsPage {
    chrome: Chrome,
    kinds: Vec<(&'static str, &'static str)>,
    kind: String,
    dry_run: bool,
    errors: FieldErrors,
    runs: Vec<RunLine>,
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    Kind::ALL.iter().map(|k| (k.as_str(), k.label())).collect()
}

/// The form, and the latest runs.
pub async fn form(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let page = imports_page(&state, visitor, String::new(), true, FieldErrors::default()).await?;
    Ok(page::form_html(StatusCode::OK, &page))
}

async fn imports_page(
    state: &AppState,
    visitor: Visitor,
    kind: String,
    dry_run: bool,
    errors: FieldErrors,
) -> Result<ImportsPage, PageError> {
    let catalog = state.catalog.clone();
    page::signed_in(state, visitor, None, "imports", move |conn, auth, chrome| {
        let runs = import_runs::latest(conn, auth, LATEST)?.into_iter().map(|run| RunLine::of(&catalog, run)).collect();
        Ok(ImportsPage { chrome, kinds: kinds(), kind, dry_run, errors, runs })
    })
    .await
}

/// Starts the import: the file is checked (readable, the columns its kind needs) before
/// the run is recorded and set going; then on to the run's page.
pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    multipart: Multipart,
) -> Result<HttpResponse, PageError> {
    // Who may import is settled before a byte of the file is read (its CSRF token, inside
    // the upload, is checked once it has been).
    page::signed_in(&state, visitor.clone(), None, "imports", |_, auth, _| import_runs::may_import(auth)).await?;
    let Ok(room) = state.imports.clone().try_acquire_owned() else {
        let mut errors = FieldErrors::default();
        errors.add("file", t("imports.busy"));
        let page = imports_page(&state, visitor, String::new(), true, errors).await?;
        return Ok(page::form_html(StatusCode::SERVICE_UNAVAILABLE, &page));
    };
    let upload = match upload::read(multipart).await {
        Ok(upload) => upload,
        Err(UploadError::NotMultipart(_)) => return Err(PageError::BadForm("not a multipart form")),
        Err(UploadError::Stalled | UploadError::TooSlow) => return Err(PageError::TimedOut),
        Err(UploadError::TooLarge) => {
            let mut errors = FieldErrors::default();
            errors.add("file", t("imports.too_large"));
            let page = imports_page(&state, visitor, String::new(), true, errors).await?;
            return Ok(page::html(StatusCode::PAYLOAD_TOO_LARGE, &page));
        }
    };
    let kind_text = upload.field("kind").to_owned();
    let dry_run = upload.field("mode") != "apply";
    let mut errors = FieldErrors::default();
    let kind = match kind_text.as_str() {
        "" => None,
        text => Kind::ALL.into_iter().find(|k| k.as_str() == text).or_else(|| {
            errors.add("kind", t("form.choose"));
            None
        }),
    };
    let (csrf, once) = (upload.field("csrf").to_owned(), upload.field("once").to_owned());
    let file = upload.file.filter(|(name, bytes)| !name.is_empty() || !bytes.is_empty());
    if file.is_none() {
        errors.add("file", t("imports.file_required"));
    }
    // Read holding no connection: a large file takes seconds.
    let file = match file.filter(|_| errors.is_empty()) {
        Some((name, bytes)) => {
            let read = web::block(move || file_import::read_upload(&name, &bytes).map(|sheet| (name.clone(), sheet)))
                .await
                .map_err(|e| ServiceError::Unavailable(anyhow::anyhow!("blocking pool: {e}")))?;
            Some(read)
        }
        None => None,
    };
    let catalog = state.catalog.clone();
    let again = (kind_text, dry_run);
    let started = page::signed_in(&state, visitor.clone(), Some(csrf), "imports", move |conn, auth, chrome| {
        let Some(read) = file else { return Ok(Err(errors)) };
        // The job leaves with the first sending only; a second finds its run.
        let mut job = None;
        import_runs::may_import(auth)?;
        let saved = page::at_most_once(conn, chrome.user_id, &once, "import", |conn| {
            match read.and_then(|(name, sheet)| import_runs::start(conn, auth, &name, sheet, kind, dry_run)) {
                Ok(started) => Ok(Ok(format!("/imports/{}", job.insert(started).id))),
                Err(refusal) => FieldErrors::from_refusal(refusal, str::to_owned).map(Err),
            }
        })?;
        Ok(saved.map(|saved| (saved, job)))
    })
    .await?;
    match started {
        Ok((saved, job)) => {
            if let Some(job) = job {
                let pool = state.pool.clone();
                // The run records its own progress and end; nobody waits for it here. It
                // keeps its room among the imports until it ends.
                actix_web::rt::task::spawn_blocking(move || {
                    job.run(&pool, &catalog);
                    drop(room);
                });
            }
            Ok(page::answered_once(Ok::<_, ImportsPage>(saved)))
        }
        Err(errors) => {
            let page = imports_page(&state, visitor, again.0, again.1, errors).await?;
            Ok(page::html(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

/// A count of the report, with its label.
pub struct Count {
    pub label: &'static str,
    pub value: usize,
}

#[derive(Template)]
#[template(path = "import.html", config = "src/web/askama.toml")]
struct RunPage {
    chrome: Chrome,
    run: RunLine,
    running: Option<(i32, i32)>,
    failure: Option<String>,
    interrupted: bool,
    report: Option<Report>,
    counts: Vec<Count>,
    shown_problems: usize,
}

impl RunPage {
    fn problems(&self) -> Vec<ProblemLine<'_>> {
        let shown = self.report.as_ref().map_or(&[][..], |r| &r.problems[..r.problems.len().min(SHOWN_PROBLEMS)]);
        shown.iter().map(ProblemLine::of).collect()
    }
}

/// A bad row's problem as the bureau reads it.
struct ProblemLine<'a> {
    row: usize,
    uscc: &'a str,
    name: &'a str,
    column: &'a str,
    problem: String,
}

impl<'a> ProblemLine<'a> {
    fn of(problem: &'a RowProblem) -> Self {
        Self {
            row: problem.row,
            uscc: &problem.uscc,
            name: &problem.name,
            column: &problem.column,
            // Reports stored before problems had codes say them in English only.
            problem: problem.refusal.as_ref().map_or_else(|| problem.problem.clone(), msg::said),
        }
    }
}

fn counts(report: &Report) -> Vec<Count> {
    let count = |key, value| Count { label: t(key), value };
    vec![
        count("imports.rows", report.rows),
        count("imports.created", report.tally.created),
        count("imports.promoted", report.tally.promoted),
        count("imports.certified", report.tally.certified),
        count("imports.updated", report.updated),
        count("imports.unchanged", report.tally.unchanged),
        count("imports.rejected", report.rejected),
    ]
}

/// A run: its progress while it runs (the page reloads itself each second), then its
/// report.
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let page = page::signed_in(&state, visitor, None, "imports", move |conn, auth, chrome| {
        let run = import_runs::find(conn, auth, id)?;
        let progress = run.progress.clone();
        let mut page = RunPage {
            chrome,
            run: RunLine::of(&catalog, run),
            running: None,
            failure: None,
            interrupted: false,
            report: None,
            counts: Vec::new(),
            shown_problems: SHOWN_PROBLEMS,
        };
        match progress {
            Progress::Running { done, total } => page.running = Some((done, total)),
            Progress::Interrupted => page.interrupted = true,
            Progress::Failed(why) => page.failure = Some(why),
            Progress::Finished(report) => {
                page.counts = counts(&report);
                page.report = Some(report);
            }
        }
        Ok(page)
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

/// The run's bad rows as a spreadsheet (XLSX or CSV): row, column, problem.
pub async fn problems(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    asked: web::Query<ExportAsked>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let run = page::signed_in(&state, visitor, None, "imports", move |conn, auth, _| import_runs::find(conn, auth, id))
        .await?;
    let (Some(format), Progress::Finished(report)) = (asked.format(), run.progress) else {
        return Ok(page::see_other(&format!("/imports/{id}")));
    };
    let rows = report
        .problems
        .iter()
        .map(ProblemLine::of)
        .map(|p| {
            vec![
                Cell::from(p.row as i64),
                p.uscc.to_owned().into(),
                p.name.to_owned().into(),
                p.column.to_owned().into(),
                p.problem.into(),
            ]
        })
        .collect();
    let table = Table::new(
        "问题行",
        &[
            ("行号", Column::Integer, 8.0),
            ("统一社会信用代码", Column::Text, 22.0),
            ("企业名称", Column::Text, 28.0),
            ("列", Column::Text, 18.0),
            ("问题", Column::Text, 60.0),
        ],
        rows,
    );
    let heading = Heading {
        title: format!("导入问题行：{}", run.file_name),
        file: "import-problems".to_owned(),
        filters: String::new(),
        generated_at: state.catalog.local(Utc::now()),
    };
    Ok(export::report(format, heading, vec![table]))
}
