//! `/api/v1/enterprises/{id}/timeline`: everything that happened to an enterprise, newest
//! first (assembled by [`crate::service::timeline`]).

use crate::auth::Caller;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::timeline::{self as service, TimelineEvent};
use actix_web::{get, web};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Everything that happened to the enterprise, newest first.
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Enterprise id"), PageParams),
    responses((status = 200, body = Page<TimelineEvent>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/enterprises/{id}/timeline")]
pub async fn timeline(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<TimelineEvent>>, ApiError> {
    let enterprise_id = id.into_inner();
    let page = paging.parse::<(DateTime<Utc>, Uuid)>()?;
    let (fetch, before) = (page.fetch(), page.after);
    let catalog = state.catalog.clone();
    let events =
        authorized(&state, caller, move |conn, auth| service::of(conn, auth, &catalog, enterprise_id, before, fetch))
            .await?;
    Ok(web::Json(page.page(events, |e| (e.at, e.id), |e| e)))
}
