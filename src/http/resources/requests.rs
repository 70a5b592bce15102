//! 诉求: `/api/v1/enterprises/{id}/requests`, `/api/v1/requests`.

use crate::auth::Caller;
use crate::db::service_requests::{RequestFilter, ServiceRequest, Transition};
use crate::domain::service_request::{self, Action as RequestAction, Category, Priority, Requests, Status};
use crate::domain::workflow::Workflow;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Json, Query};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::BasedOn;
use crate::service::requests::{self as service, NewRequest, RequestMove};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestResponse {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub street_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    pub category: Category,
    pub priority: Priority,
    pub title: String,
    pub description: String,
    pub status: Status,
    pub assignee_id: Option<Uuid>,
    pub raised_by: Uuid,
    /// From the configured SLA for category and priority.
    pub due_at: DateTime<Utc>,
    /// Still waiting for someone and past `due_at`: derived now, never stored.
    pub overdue: bool,
    /// What may be done next.
    pub allowed_actions: Vec<RequestAction>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The enterprise's satisfaction, 1–5, given on closing.
    pub satisfaction: Option<i16>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every move, oldest first (in single-request answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<Vec<TransitionResponse>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TransitionResponse {
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    /// Who made the move; `null` for a move the system made (a request handed back
    /// when an import from the command line moved its enterprise to another street).
    pub actor_id: Option<Uuid>,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<Transition> for TransitionResponse {
    fn from(t: Transition) -> Self {
        Self {
            action: t.action,
            from_status: t.from_status,
            to_status: t.to_status,
            actor_id: t.actor_id,
            note: t.note,
            at: t.at,
        }
    }
}

impl RequestResponse {
    pub fn new(r: ServiceRequest, transitions: Option<Vec<Transition>>) -> Self {
        Self {
            overdue: service_request::is_overdue(r.status, r.due_at, Utc::now()),
            allowed_actions: Requests::allowed_actions(r.status),
            id: r.id,
            enterprise_id: r.enterprise_id,
            street_id: r.street_id,
            visit_id: r.visit_id,
            category: r.category,
            priority: r.priority,
            title: r.title,
            description: r.description,
            status: r.status,
            assignee_id: r.assignee_id,
            raised_by: r.raised_by,
            due_at: r.due_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            satisfaction: r.satisfaction,
            created_at: r.created_at,
            updated_at: r.updated_at,
            transitions: transitions.map(|ts| ts.into_iter().map(Into::into).collect()),
        }
    }
}

/// Record a demand the enterprise raised. It starts `open`, with `due_at` from the SLA.
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    request_body = NewRequest,
    responses(
        (status = 201, body = RequestResponse, headers(("Location" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/requests")]
pub async fn raise_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(request): Json<NewRequest>,
) -> Result<HttpResponse, ApiError> {
    let enterprise_id = id.into_inner();
    let catalog = state.catalog.clone();
    let request =
        authorized(&state, caller, move |conn, auth| service::raise(conn, auth, &catalog, enterprise_id, request))
            .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/requests/{}", request.id)))
        .json(RequestResponse::new(request, None)))
}

/// Move a request along its workflow. An action the current status does not allow is
/// 409, naming the status and the actions it allows; racing moves have one winner.
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = RequestMove,
    responses(
        (status = 200, body = RequestResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the current status", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/transitions")]
pub async fn move_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(request): Json<RequestMove>,
) -> Result<web::Json<RequestResponse>, ApiError> {
    let id = id.into_inner();
    // The use case requires the move's own permission.
    let (request, transitions) = authorized(&state, caller, move |conn, auth| {
        // The workflow decides what may follow what; a move needs no If-Match.
        service::transition(conn, auth, id, &request.parse()?, &BasedOn::Any)
    })
    .await?;
    Ok(web::Json(RequestResponse::new(request, Some(transitions))))
}

/// One request with its whole history.
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Request id")),
    responses((status = 200, body = RequestResponse), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/requests/{id}")]
pub async fn read_request(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<RequestResponse>, ApiError> {
    let id = id.into_inner();
    let (request, transitions) = authorized(&state, caller, move |conn, auth| service::find(conn, auth, id)).await?;
    Ok(web::Json(RequestResponse::new(request, Some(transitions))))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestParams {
    pub status: Option<Status>,
    /// Only requests still pending and past their deadline.
    #[serde(default)]
    pub overdue: bool,
    pub assignee_id: Option<Uuid>,
    pub street_id: Option<Uuid>,
    pub category: Option<Category>,
    pub enterprise_id: Option<Uuid>,
}

/// Requests in the caller's streets, newest first.
#[utoipa::path(
    tag = "field work",
    params(RequestParams, PageParams),
    responses((status = 200, body = Page<RequestResponse>), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
#[get("/requests")]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<RequestParams>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<RequestResponse>>, ApiError> {
    let page = paging.parse::<Uuid>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let filter = RequestFilter {
        status: params.status,
        overdue: params.overdue,
        pending: false,
        assignee_id: params.assignee_id,
        street_id: params.street_id,
        category: params.category,
        enterprise_id: params.enterprise_id,
    };
    let requests =
        authorized(&state, caller, move |conn, auth| service::list(conn, auth, &filter, after, fetch)).await?;
    Ok(web::Json(page.page(requests, |r| r.id, |r| RequestResponse::new(r, None))))
}
