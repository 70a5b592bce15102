//! Probes for orchestration, and metrics.

use crate::http::problem::{ApiError, Problem};
use crate::http::{AppState, unit_of_work};
use crate::service::ServiceError;
use actix_web::{HttpResponse, get, web};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ProbeStatus)]
pub struct Status {
    pub status: &'static str,
    /// What works, but not as configured: this year or next without a holiday notice in
    /// the calendar (deadlines then count Monday–Friday with 1 January off).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<String>,
}

/// The process is up.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Status> {
    web::Json(Status { status: "ok", details: Vec::new() })
}

/// The database answers; 503 while it does not.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses(
        (status = 200, body = Status),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Status>, ApiError> {
    unit_of_work(&state.pool, |conn| {
        diesel::sql_query("SELECT 1").execute(conn).map_err(|e| ServiceError::Unavailable(e.into()))
    })
    .await?;
    let details = state
        .catalog
        .years_without_notice()
        .into_iter()
        .map(|year| format!("calendar: no holiday notice for {year}; counting Monday to Friday, 1 January off"))
        .collect();
    Ok(web::Json(Status { status: "ready", details }))
}

/// Prometheus metrics: requests by route template and status, latency, the connection
/// pool, database errors, expiry runs. Meant for the scraper on the internal network;
/// block it at the load balancer.
#[utoipa::path(
    tag = "operations",
    security(()),
    responses((status = 200, description = "Prometheus text exposition format", body = String, content_type = "text/plain; version=0.0.4"))
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(crate::metrics::render(&state.pool))
}
