//! The promotion funnel: `GET /api/v1/pipeline/funnel`. Promotions per year and
//! transition, cohort conversion, and application pass rates, all from maintained counters.

use crate::auth::Caller;
use crate::export::{self, ExportParams, reports};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::funnel::{self as service, Funnel, FunnelQuery};
use actix_web::{HttpRequest, HttpResponse, get, web};

/// How enterprises moved up over the years: promotions per transition, how each year's
/// entrants to a rung went on to climb further, and how applications fared.
#[utoipa::path(
    tag = "pipeline",
    params(FunnelQuery, ExportParams),
    responses(
        (status = 200, content(
            (Funnel = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/funnel")]
pub async fn funnel(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<FunnelQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let funnel = authorized(&state, caller, move |conn, auth| service::funnel(conn, auth, &catalog, &params)).await?;
    Ok(match format {
        None => HttpResponse::Ok().json(funnel),
        Some(format) => {
            let (title, file) = reports::FUNNEL;
            let heading = export::heading(&state.catalog, &request, title, file, &Default::default());
            export::report(format, heading, reports::funnel(&funnel, &state.catalog))
        }
    })
}
