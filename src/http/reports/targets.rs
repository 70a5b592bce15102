//! 年度目标: `PUT /api/v1/targets/{year}` (manager, admin) sets how many enterprises
//! should newly reach each rung per district or street; `GET /api/v1/targets?year=`
//! shows them with progress and a projection at the current pace.

use crate::auth::Caller;
use crate::export::{self, ExportParams, reports};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Json, Query};
use crate::http::{AppState, authorized};
use crate::service::targets::{self as service, TargetInput, Targets, year_field};
use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::Datelike;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTargets {
    /// The year's whole set: targets not listed are removed.
    pub targets: Vec<TargetInput>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetParams {
    /// Default: this year.
    pub year: Option<i32>,
}

/// Set the year's targets, replacing the whole set (manager, admin).
#[utoipa::path(
    tag = "pipeline",
    params(("year" = i32, Path, description = "The target year")),
    request_body = SetTargets,
    responses(
        (status = 200, body = Targets),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/targets/{year}")]
pub async fn set_targets(
    state: web::Data<AppState>,
    caller: Caller,
    year: web::Path<i32>,
    Json(body): Json<SetTargets>,
) -> Result<web::Json<Targets>, ApiError> {
    let year = year_field(year.into_inner())?;
    let catalog = state.catalog.clone();
    let targets = authorized(&state, caller, move |conn, auth| {
        service::set(conn, auth, &catalog.ladder, year, body.targets)?;
        service::progress(conn, auth, &catalog, year)
    })
    .await?;
    Ok(web::Json(targets))
}

/// The year's targets within the caller's streets, with progress and projection.
#[utoipa::path(
    tag = "pipeline",
    params(TargetParams, ExportParams),
    responses(
        (status = 200, content(
            (Targets = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/targets")]
pub async fn list_targets(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<TargetParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let year = year_field(params.year.unwrap_or(state.catalog.today().year()))?;
    let catalog = state.catalog.clone();
    let targets = authorized(&state, caller, move |conn, auth| service::progress(conn, auth, &catalog, year)).await?;
    Ok(match format {
        None => HttpResponse::Ok().json(targets),
        Some(format) => {
            let (title, file) = reports::targets_title(year);
            let heading = export::heading(&state.catalog, &request, &title, file, &Default::default());
            export::report(format, heading, reports::targets(&targets))
        }
    })
}
