//! `/api/v1/regions`: district → street → park.

use crate::auth::Caller;
use crate::db::regions::Region;
use crate::domain::RegionKind;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Json;
use crate::http::{AppState, authorized};
use crate::service::regions::{self as service, CreateRegion};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionResponse {
    pub id: Uuid,
    pub kind: RegionKind,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
}

impl From<Region> for RegionResponse {
    fn from(r: Region) -> Self {
        Self { id: r.id, kind: r.kind, code: r.code, name: r.name, parent_id: r.parent_id }
    }
}

/// A region with the regions inside it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegionNode {
    pub id: Uuid,
    pub kind: RegionKind,
    pub code: String,
    pub name: String,
    #[schema(no_recursion)]
    pub children: Vec<RegionNode>,
}

/// Add a district, a street under a district, or a park under a street (admin).
#[utoipa::path(
    tag = "regions",
    request_body = CreateRegion,
    responses(
        (status = 201, body = RegionResponse, headers(("Location" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The code is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/regions")]
pub async fn add_region(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateRegion>,
) -> Result<HttpResponse, ApiError> {
    let created = authorized(&state, caller, move |conn, auth| service::create(conn, auth, body)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/regions/{}", created.id)))
        .json(RegionResponse::from(created)))
}

/// Every region as a tree: districts, their streets, the streets' parks.
#[utoipa::path(tag = "regions", responses((status = 200, body = Vec<RegionNode>)))]
#[get("/regions")]
pub async fn region_tree(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Vec<RegionNode>>, ApiError> {
    let regions = authorized(&state, caller, service::all).await?;
    Ok(web::Json(build_tree(regions)))
}

fn build_tree(regions: Vec<Region>) -> Vec<RegionNode> {
    let mut children: HashMap<Option<Uuid>, Vec<Region>> = HashMap::new();
    for region in regions {
        children.entry(region.parent_id).or_default().push(region);
    }
    fn grow(parent: Option<Uuid>, children: &mut HashMap<Option<Uuid>, Vec<Region>>) -> Vec<RegionNode> {
        children
            .remove(&parent)
            .unwrap_or_default()
            .into_iter()
            .map(|r| RegionNode {
                children: grow(Some(r.id), children),
                id: r.id,
                kind: r.kind,
                code: r.code,
                name: r.name,
            })
            .collect()
    }
    grow(None, &mut children)
}
