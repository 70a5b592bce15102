//! Configured reference data: the ladder, the industry clusters, the bureau's departments.

use crate::auth::Caller;
use crate::domain::desk::Department;
use crate::http::problem::ApiError;
use crate::http::{AppState, authorized};
use crate::service::regions;
use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub struct TierResponse {
    /// API value, e.g. `hnte`.
    pub code: String,
    /// Chinese name, e.g. 国家高新技术企业.
    pub label: String,
    /// Place on the ladder, 0 for `prospect`.
    pub rank: usize,
    /// How long a certificate for this tier lasts.
    pub validity_years: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterResponse {
    pub code: String,
    /// e.g. 人工智能与机器人
    pub name: String,
}

/// The ladder, lowest rung first (config/tiers.toml).
#[utoipa::path(tag = "reference", responses((status = 200, body = Vec<TierResponse>)))]
#[get("/tiers")]
pub async fn tiers(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Vec<TierResponse>>, ApiError> {
    authorized(&state, caller, |_, auth| regions::may_read_reference(auth)).await?;
    let rungs = state.catalog.ladder.rungs().iter().enumerate();
    Ok(web::Json(
        rungs
            .map(|(rank, r)| TierResponse {
                code: r.code.clone(),
                label: r.label.clone(),
                rank,
                validity_years: r.validity_years,
            })
            .collect(),
    ))
}

/// The industry clusters (产业集群) an enterprise can belong to.
#[utoipa::path(tag = "reference", responses((status = 200, body = Vec<ClusterResponse>)))]
#[get("/clusters")]
pub async fn clusters(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Vec<ClusterResponse>>, ApiError> {
    authorized(&state, caller, |_, auth| regions::may_read_reference(auth)).await?;
    let clusters = state.catalog.clusters.all().iter();
    Ok(web::Json(clusters.map(|c| ClusterResponse { code: c.code.clone(), name: c.name.clone() }).collect()))
}

/// The bureau departments (承办单位) a service request can be handed to (`transfer`).
#[utoipa::path(tag = "reference", responses((status = 200, body = Vec<Department>)))]
#[get("/departments")]
pub async fn departments(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Vec<Department>>, ApiError> {
    authorized(&state, caller, |_, auth| regions::may_read_reference(auth)).await?;
    Ok(web::Json(state.catalog.desk.departments().to_vec()))
}
