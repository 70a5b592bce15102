//! `/api/v1/audit` (manager, admin): who changed what, when, before and after.

use crate::auth::Caller;
use crate::db::audit::Entry;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::audit_log;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// `enterprise`, `region`, `user`, `api_key`, …
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `user`, `api_key` or `system`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// `create`, `update`, `archive`, `revoke`, …
    pub action: String,
    pub entity: String,
    pub entity_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    /// The `X-Request-Id` of the request that made the change.
    pub request_id: Option<Uuid>,
}

impl From<Entry> for AuditEntry {
    fn from(e: Entry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor_kind: e.actor_kind,
            actor_id: e.actor_id,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            before: e.before,
            after: e.after,
            request_id: e.request_id,
        }
    }
}

/// Changes, newest first.
#[utoipa::path(
    tag = "audit",
    params(AuditParams, PageParams),
    responses(
        (status = 200, body = Page<AuditEntry>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit")]
pub async fn read_audit_log(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<AuditParams>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<AuditEntry>>, ApiError> {
    let page = paging.parse::<Uuid>()?;
    let (fetch, before) = (page.fetch(), page.after);
    let entries = authorized(&state, caller, move |conn, auth| {
        audit_log::list(conn, auth, params.entity.as_deref(), params.entity_id, before, fetch)
    })
    .await?;
    Ok(web::Json(page.page(entries, |e| e.id, AuditEntry::from)))
}
