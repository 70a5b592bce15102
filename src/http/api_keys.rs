//! `/api/v1/api-keys` (admin): keys for integrations, shown once, stored hashed.

use crate::auth::{API_KEY_PREFIX, Caller, tokens};
use crate::db::api_keys::{self as store, ApiKey, NewApiKey};
use crate::db::audit::{self, Change};
use crate::domain::{Action, ApiScope};
use crate::error::{AppError, OrNotFound, Problem};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use actix_web::{HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

const ENTITY: &str = "api_key";
/// How much of a key is kept in the clear, to tell keys apart in lists.
const SHOWN_PREFIX: usize = 10;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// Who uses it, e.g. 省科技厅高企认定系统.
    #[validate(length(min = 1, max = 100))]
    pub name: String,
    #[validate(length(min = 1, message = "name at least one scope"))]
    pub scopes: Vec<ApiScope>,
}

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
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateApiKey>,
) -> Result<HttpResponse, AppError> {
    body.validate()?;
    let key = tokens::random_secret(API_KEY_PREFIX).map_err(AppError::Internal)?;
    let hash = tokens::fingerprint(&key);
    let created = authorized(&state, caller, Action::ManageApiKeys, move |conn, auth| {
        let creator = auth.audit.actor.id().ok_or_else(|| AppError::Forbidden("only a user may create keys".into()))?;
        conn.transaction(|conn| {
            let mut scopes: Vec<&str> = body.scopes.iter().map(|s| s.as_str()).collect();
            scopes.sort_unstable();
            scopes.dedup();
            let created = store::insert(
                conn,
                &NewApiKey {
                    id: Uuid::now_v7(),
                    name: body.name.trim(),
                    key_hash: &hash,
                    prefix: &key[..SHOWN_PREFIX],
                    scopes,
                    created_by: creator,
                },
            )?;
            let change = Change::created(ENTITY, created.id, &created);
            audit::record(conn, &auth.audit, change)?;
            Ok((created, key))
        })
    })
    .await?;
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
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<ApiKeyResponse>>, AppError> {
    let page = paging.parse::<Uuid>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let keys =
        authorized(&state, caller, Action::ManageApiKeys, move |conn, _| Ok(store::list(conn, after, fetch)?)).await?;
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
pub async fn revoke(state: web::Data<AppState>, caller: Caller, id: web::Path<Uuid>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    authorized(&state, caller, Action::ManageApiKeys, move |conn, auth| {
        conn.transaction(|conn| {
            let current = store::find_for_update(conn, id).or_not_found("API key")?;
            if current.revoked_at.is_none() {
                let revoked = store::revoke(conn, id)?;
                let change = Change::changed(ENTITY, id, "revoke", &current, &revoked);
                audit::record(conn, &auth.audit, change)?;
            }
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
