//! 年度指标 and eligibility: `/api/v1/enterprises/{id}/indicators`, `/eligibility`.

use crate::auth::Caller;
use crate::db::indicators::YearFigures;
use crate::domain::eligibility::{DecisionKind, Indicators};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Json, Query};
use crate::http::{AppState, authorized};
use crate::service::BasedOn;
use crate::service::indicators::{self as service, Eligibility};
use actix_web::{get, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct YearResponse {
    pub year: i32,
    pub figures: Indicators,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<YearFigures> for YearResponse {
    fn from(row: YearFigures) -> Self {
        Self { figures: row.indicators(), year: row.year, version: row.version, updated_at: row.updated_at }
    }
}

/// Record an enterprise's figures for one year (replacing that year's figures).
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id"), ("year" = i32, Path, description = "e.g. 2025")),
    request_body = Indicators,
    responses(
        (status = 200, body = YearResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/enterprises/{id}/indicators/{year}")]
pub async fn record_indicators(
    state: web::Data<AppState>,
    caller: Caller,
    path: web::Path<(Uuid, i32)>,
    Json(figures): Json<Indicators>,
) -> Result<web::Json<YearResponse>, ApiError> {
    let (enterprise_id, year) = path.into_inner();
    let catalog = state.catalog.clone();
    let stored = authorized(&state, caller, move |conn, auth| {
        // A PUT replaces the year's figures as they are now, whatever their version.
        service::put(conn, auth, &catalog, enterprise_id, year, figures, &BasedOn::Any)
    })
    .await?;
    Ok(web::Json(stored.into()))
}

/// Every year's figures of an enterprise, newest first.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    responses((status = 200, body = Vec<YearResponse>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/enterprises/{id}/indicators")]
pub async fn list_indicators(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<YearResponse>>, ApiError> {
    let enterprise_id = id.into_inner();
    let rows = authorized(&state, caller, move |conn, auth| service::figures_of(conn, auth, enterprise_id)).await?;
    Ok(web::Json(rows.into_iter().map(Into::into).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EligibilityParams {
    /// Tier code, e.g. `hnte`.
    pub tier: String,
    /// The decision to judge: `new` (default) or `review` (复核): the review rules, asked
    /// whether or not the enterprise holds the certificate yet (what it would take); an
    /// application for a review needs the certificate.
    pub kind: Option<DecisionKind>,
    /// Evaluate under the rules in force on this date (default: today).
    pub on: Option<NaiveDate>,
}

/// Whether the enterprise meets a tier's rules in force on a date, criterion by criterion,
/// for a new certificate or a review (复核) of a held one, and what the rung is worth.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id"), EligibilityParams),
    responses(
        (status = 200, body = Eligibility),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown tier, or no rule set in force for it", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enterprises/{id}/eligibility")]
pub async fn evaluate_tier(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Query(params): Query<EligibilityParams>,
) -> Result<web::Json<Eligibility>, ApiError> {
    let enterprise_id = id.into_inner();
    let catalog = state.catalog.clone();
    let eligibility = authorized(&state, caller, move |conn, auth| {
        service::eligibility(
            conn,
            auth,
            &catalog,
            enterprise_id,
            &params.tier,
            params.kind.unwrap_or_default(),
            params.on,
        )
    })
    .await?;
    Ok(web::Json(eligibility))
}
