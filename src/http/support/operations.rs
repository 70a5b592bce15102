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
}

/// The process is up.
#[utoipa::path(tag = "operations", security(()), responses((status = 200, body = Status)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Status> {
    web::Json(Status { status: "ok" })
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
    Ok(web::Json(Status { status: "ready" }))
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
