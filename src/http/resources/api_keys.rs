//! `/api/v1/api-keys` (admin): keys for integrations, shown once, stored hashed.

use crate::auth::Caller;
use crate::db::api_keys::ApiKey;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Json, Query};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::accounts::{self as service, CreateApiKey};
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyResponse {
    pub id: Uuid,
    pub name: String,
    /// The first characters of the key.
    pub prefix: String,
    pub scopes: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKey> for ApiKeyResponse {
    fn from(k: ApiKey) -> Self {
        Self {
            id: k.id,
            name: k.name,
            prefix: k.prefix,
            scopes: k.scopes,
            created_at: k.created_at,
            last_used_at: k.last_used_at,
            revoked_at: k.revoked_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub details: ApiKeyResponse,
    /// The key itself, `pk_…`. Shown this once; only a hash is kept.
    pub key: String,
}

/// Create a key. Its secret is in this response and never again.
#[utoipa::path(
    tag = "api-keys",
    request_body = CreateApiKey,
    responses(
        (status = 201, body = CreatedApiKey),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateApiKey>,
) -> Result<HttpResponse, ApiError> {
    let created = authorized(&state, caller, move |conn, auth| service::create_api_key(conn, auth, &body)).await?;
    let (details, key) = created;
    Ok(HttpResponse::Created().json(CreatedApiKey { details: details.into(), key }))
}

/// Every key, without its secret.
#[utoipa::path(
    tag = "api-keys",
    params(PageParams),
    responses((status = 200, body = Page<ApiKeyResponse>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/api-keys")]
pub async fn list_api_keys(
    state: web::Data<AppState>,
    caller: Caller,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<ApiKeyResponse>>, ApiError> {
    let page = paging.parse::<Uuid>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let keys = authorized(&state, caller, move |conn, auth| service::list_api_keys(conn, auth, after, fetch)).await?;
    Ok(web::Json(page.page(keys, |k| k.id, ApiKeyResponse::from)))
}

/// Revoke a key: its next request is refused.
#[utoipa::path(
    tag = "api-keys",
    params(("id" = Uuid, Path, description = "Key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api-keys/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    authorized(&state, caller, move |conn, auth| service::revoke_api_key(conn, auth, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
