//! 义务: `/api/v1/enterprises/{id}/obligations`, `/api/v1/obligations`.

use crate::auth::Caller;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Json, Query};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::obligations::{self as service, DoneInput, ItemView, ObligationQuery};
use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseObligations {
    /// Latest due first.
    pub items: Vec<ItemView>,
    /// Obligations missed in a row often enough to put a certificate at risk of revocation
    /// (two years of the 国高's annual report): their descriptions.
    pub revocation_risks: Vec<String>,
}

/// What the enterprise owes to keep its rungs: each item with its dates and status.
#[utoipa::path(
    tag = "cultivation",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    responses(
        (status = 200, body = EnterpriseObligations),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enterprises/{id}/obligations")]
pub async fn obligations_of_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<EnterpriseObligations>, ApiError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let found = authorized(&state, caller, move |conn, auth| service::of_enterprise(conn, auth, &catalog, id)).await?;
    Ok(web::Json(EnterpriseObligations { items: found.items, revocation_risks: found.revocation_risks }))
}

/// Ticks an obligation off, with what shows it was done.
#[utoipa::path(
    tag = "cultivation",
    params(("id" = Uuid, Path, description = "Obligation id")),
    request_body = DoneInput,
    responses(
        (status = 200, body = ItemView),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already done", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/obligations/{id}/done")]
pub async fn mark_obligation_done(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(input): Json<DoneInput>,
) -> Result<web::Json<ItemView>, ApiError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let item =
        authorized(&state, caller, move |conn, auth| service::mark_done(conn, auth, &catalog, id, input)).await?;
    Ok(web::Json(item))
}

/// Obligations in the caller's streets by due date: what is due, overdue or done.
#[utoipa::path(
    tag = "cultivation",
    params(ObligationQuery, PageParams),
    responses(
        (status = 200, body = Page<ItemView>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/obligations")]
pub async fn list_obligations(
    state: web::Data<AppState>,
    caller: Caller,
    Query(query): Query<ObligationQuery>,
    Query(paging): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = paging.parse::<(NaiveDate, Uuid)>()?;
    let (fetch, after, catalog) = (page.fetch(), page.after, state.catalog.clone());
    let items =
        authorized(&state, caller, move |conn, auth| service::list(conn, auth, &catalog, &query, after, fetch)).await?;
    Ok(HttpResponse::Ok().json(page.page(items, |item| (item.due_on, item.id), |item| item)))
}
