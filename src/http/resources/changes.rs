//! `/api/v1/changes`: the change feed, for systems that keep a copy of the register.

use crate::auth::Caller;
use crate::db::changes::{FeedRow, Position};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::support::pagination::{self, PageParams};
use crate::http::{AppState, authorized};
use crate::service::audit_log;
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One change, as the audit log recorded it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeItem {
    /// `enterprise`, `certificate` or `tier_change`.
    pub entity: String,
    pub entity_id: Uuid,
    /// The enterprise the change is about.
    pub enterprise_id: Option<Uuid>,
    /// `create`, `update`, `archive`, `promotion`, `demotion`, `end`, …
    pub action: String,
    pub at: DateTime<Utc>,
    /// The entity after the change, as the API shows it.
    #[schema(value_type = Object)]
    pub data: Option<serde_json::Value>,
}

impl From<FeedRow> for ChangeItem {
    fn from(row: FeedRow) -> Self {
        Self {
            entity: row.entity,
            entity_id: row.entity_id,
            enterprise_id: row.enterprise_id,
            action: row.action,
            at: row.at,
            data: row.after,
        }
    }
}

/// A page of the feed. The feed has no end: `next_cursor` is always given, and is where
/// to resume (now, or on the next poll).
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<ChangeItem>,
    pub next_cursor: String,
    /// More changes are waiting: ask again at once rather than on the next poll.
    pub has_more: bool,
}

/// Every change to enterprises, certificates and tiers, in transaction order (API keys
/// with `enterprises:read`, managers). Start without a cursor to read from the
/// beginning; a change is listed once every transaction that started before it has
/// ended, so that following `next_cursor` never skips one.
#[utoipa::path(
    tag = "registry",
    params(PageParams),
    responses(
        (status = 200, body = ChangePage),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `limit` or `cursor`", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/changes")]
pub async fn feed(
    state: web::Data<AppState>,
    caller: Caller,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<ChangePage>, ApiError> {
    let page = paging.parse::<Position>()?;
    let from = page.after.unwrap_or_default();
    let fetch = page.fetch();
    let mut rows = authorized(&state, caller, move |conn, auth| audit_log::feed(conn, auth, from, fetch)).await?;
    let has_more = rows.len() > page.limit as usize;
    rows.truncate(page.limit as usize);
    let last = rows.last().map_or(from, FeedRow::position);
    Ok(web::Json(ChangePage {
        items: rows.into_iter().map(ChangeItem::from).collect(),
        next_cursor: pagination::encode(&last),
        has_more,
    }))
}
