//! Pipeline views for the bureau (counselors and viewers: their streets):
//! `/api/v1/pipeline/...`.

use crate::auth::Caller;
use crate::db::certificates::Expiring;
use crate::export::writer;
use crate::export::{self, ExportParams, reports};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::ladder;
use crate::service::pipeline::{self as service, ExpiringQuery, Summary, SummaryQuery};
use crate::service::regions;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiringItem {
    pub enterprise_id: Uuid,
    pub name: String,
    pub street_id: Option<Uuid>,
    /// The rung of the certificate.
    pub tier: String,
    pub certificate_id: Uuid,
    pub certificate_no: Option<String>,
    /// Its last valid day.
    pub valid_until: NaiveDate,
    /// Days from today until `valid_until` (0: its last day is today).
    pub days_left: i64,
}

impl ExpiringItem {
    pub fn new(row: Expiring, today: NaiveDate) -> Self {
        Self {
            days_left: (row.valid_until - today).num_days(),
            enterprise_id: row.enterprise_id,
            name: row.name,
            street_id: row.street_id,
            tier: row.tier,
            certificate_id: row.certificate_id,
            certificate_no: row.certificate_no,
            valid_until: row.valid_until,
        }
    }
}

/// Certificates lapsing within the window, soonest first: whom to coach into a renewal.
#[utoipa::path(
    tag = "pipeline",
    params(ExpiringQuery, PageParams, ExportParams),
    responses(
        (status = 200, content(
            (Page<ExpiringItem> = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/expiring")]
pub async fn expiring(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<ExpiringQuery>,
    Query(paging): Query<PageParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let (filter, window) = params.into_filter(&state.catalog)?;
    let today = window.0;
    if let Some(format) = format {
        let (scope, places) =
            authorized(&state, caller, |conn, auth| Ok((ladder::expiring_scope(auth)?, regions::names(conn, auth)?)))
                .await?;
        let (title, file) = export::expiring::TITLE;
        let heading = export::heading(&state.catalog, &request, title, file, &places);
        let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
        return Ok(writer::respond(format, heading, move |sink| {
            export::expiring::write(sink, &pool, &catalog, &scope, &filter, window)
        }));
    }
    let page = paging.parse::<(NaiveDate, Uuid)>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let rows =
        authorized(&state, caller, move |conn, auth| ladder::expiring(conn, auth, &filter, window, after, fetch))
            .await?;
    Ok(HttpResponse::Ok().json(page.page(
        rows,
        |row| (row.valid_until, row.certificate_id),
        |row| ExpiringItem::new(row, today),
    )))
}

/// How many live enterprises stand on each rung: overall, per street, per cluster. Served
/// from counters kept in the same transaction as every change, so it costs the same at a
/// million enterprises as at a thousand.
#[utoipa::path(
    tag = "pipeline",
    params(SummaryQuery, ExportParams),
    responses(
        (status = 200, content(
            (Summary = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/summary")]
pub async fn pipeline_summary(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<SummaryQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let (summary, places) = authorized(&state, caller, move |conn, auth| {
        Ok((service::summary(conn, auth, &catalog, params)?, regions::names(conn, auth)?))
    })
    .await?;
    Ok(match format {
        None => HttpResponse::Ok().json(summary),
        Some(format) => {
            let (title, file) = reports::LADDER;
            let heading = export::heading(&state.catalog, &request, title, file, &places);
            export::report(format, heading, reports::ladder(&summary, &state.catalog))
        }
    })
}
