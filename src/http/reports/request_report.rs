//! The request report: `GET /api/v1/pipeline/requests`. The backlog now (open,
//! overdue) and how fast and how well requests were handled in a window, per category
//! and street.

use crate::auth::Caller;
use crate::export::{self, ExportParams, reports};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::request_report::{self as service, RequestReport, RequestReportQuery};
use actix_web::{HttpRequest, HttpResponse, get, web};

/// 诉求 handling: the backlog, time to resolve (mean and 90th percentile) and satisfaction,
/// from counters kept per month, street and category.
#[utoipa::path(
    tag = "pipeline",
    params(RequestReportQuery, ExportParams),
    responses(
        (status = 200, content(
            (RequestReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/requests")]
pub async fn request_report(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<RequestReportQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let requests =
        authorized(&state, caller, move |conn, auth| service::requests(conn, auth, &catalog, params)).await?;
    Ok(match format {
        None => HttpResponse::Ok().json(requests),
        Some(format) => {
            let (title, file) = reports::REQUESTS;
            let heading = export::heading(&state.catalog, &request, title, file, &Default::default());
            export::report(format, heading, reports::requests(&requests))
        }
    })
}
