//! `/api/v1/regions`: district → street → park.

use crate::auth::Caller;
use crate::db::audit::{self, Change};
use crate::db::regions::{self as store, NewRegion, Region};
use crate::domain::{Action, RegionKind};
use crate::error::{AppError, Problem};
use crate::http::extract::Json;
use crate::http::{AppState, authorized};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRegion {
    /// e.g. 新安街道
    #[validate(length(min = 1, max = 100))]
    #[schema(example = "新安街道")]
    pub name: String,
    /// Stable short code, used by the CLI (`--street xinan`): lower-case letters, digits, `-`, `_`.
    #[validate(length(min = 1, max = 50), custom(function = region_code))]
    #[schema(example = "xinan")]
    pub code: String,
    pub kind: RegionKind,
    /// Required for streets (a district) and parks (a street); absent for a district.
    pub parent_id: Option<Uuid>,
}

fn region_code(code: &str) -> Result<(), ValidationError> {
    if code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_') {
        Ok(())
    } else {
        Err(ValidationError::new("code").with_message("may hold only a-z, 0-9, - and _".into()))
    }
}

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
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateRegion>,
) -> Result<HttpResponse, AppError> {
    body.validate()?;
    let created = authorized(&state, caller, Action::ManageRegions, move |conn, auth| {
        conn.transaction(|conn| {
            match (body.kind.parent_kind(), body.parent_id) {
                (None, None) => {}
                (None, Some(_)) => return Err(AppError::invalid("parent_id", "a district has no parent")),
                (Some(kind), None) => {
                    return Err(AppError::invalid("parent_id", format!("is required: a {}", kind.as_str())));
                }
                (Some(kind), Some(parent_id)) => match store::find(conn, parent_id) {
                    Ok(parent) if parent.kind == kind => {}
                    Ok(_) | Err(diesel::result::Error::NotFound) => {
                        return Err(AppError::invalid("parent_id", format!("is not a {}", kind.as_str())));
                    }
                    Err(e) => return Err(e.into()),
                },
            }
            let new = NewRegion {
                id: Uuid::now_v7(),
                kind: body.kind.as_str(),
                code: &body.code,
                name: body.name.trim(),
                parent_id: body.parent_id,
            };
            let created = store::insert(conn, &new)?;
            let change = Change::created("region", created.id, &created);
            audit::record(conn, &auth.audit, change)?;
            Ok(created)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/regions/{}", created.id)))
        .json(RegionResponse::from(created)))
}

/// Every region as a tree: districts, their streets, the streets' parks.
#[utoipa::path(tag = "regions", responses((status = 200, body = Vec<RegionNode>)))]
#[get("/regions")]
pub async fn tree(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<Vec<RegionNode>>, AppError> {
    let regions = authorized(&state, caller, Action::ReadReference, |conn, _| Ok(store::all(conn)?)).await?;
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
