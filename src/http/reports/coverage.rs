//! Visit coverage (全覆盖): `GET /api/v1/pipeline/coverage`. Which share of the live
//! enterprises a counselor saw in the last N days, per tier and street, and who has gone
//! unvisited longest.

use crate::auth::Caller;
use crate::export::{self, ExportParams, reports};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::coverage::{self as service, Coverage, CoverageQuery};
use actix_web::{HttpRequest, HttpResponse, get, web};

/// How much of the district the counselors reached in the last N days, from counters of
/// last visits kept by triggers: the cost does not grow with the number of visits.
#[utoipa::path(
    tag = "pipeline",
    params(CoverageQuery, ExportParams),
    responses(
        (status = 200, content(
            (Coverage = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/coverage")]
pub async fn coverage(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<CoverageQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let (coverage, names) =
        authorized(&state, caller, move |conn, auth| service::coverage(conn, auth, &catalog, params)).await?;
    Ok(match format {
        None => HttpResponse::Ok().json(coverage),
        Some(format) => {
            let (title, file) = reports::COVERAGE;
            let heading = export::heading(&state.catalog, &request, title, file, &Default::default());
            export::report(format, heading, reports::coverage(&coverage, &state.catalog, &names))
        }
    })
}
