//! 诉求: `/api/v1/enterprises/{id}/requests`, `/api/v1/requests`.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::db::service_requests::{RequestFilter, ServiceRequest, Transition};
use crate::domain::desk::StageView;
use crate::domain::service_request::{
    Action as RequestAction, Awaiting, CallbackChannel, Category, Priority, Stage, Status,
};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Json, Query};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::BasedOn;
use crate::service::desk;
use crate::service::requests::{self as service, Assignment, NewRequest, RequestMove};
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
    /// The 办结 (resolve) deadline, in working days from the configured limit for category
    /// and priority, moved by approved extensions.
    pub due_at: DateTime<Utc>,
    /// The stage awaited now is past its deadline: derived now, never stored.
    pub overdue: bool,
    /// 签收, 首次联系, 办结 and (once resolved) 回访, each with its deadline in the bureau's
    /// working time, when it was done, and whether it ran late.
    pub stages: Vec<StageView>,
    /// The stage awaited now, if any.
    pub stage: Option<Stage>,
    /// When the awaited stage was urged (催办) and supervised (督办), if it was.
    pub urged_at: Option<DateTime<Utc>>,
    pub supervised_at: Option<DateTime<Utc>>,
    /// Working days an extension asks for while it waits for a manager's answer.
    pub extension_days: Option<i16>,
    /// Extensions approved so far.
    pub extensions: i16,
    /// Callbacks made (回访), and how many of them reopened the request.
    pub callbacks: i16,
    pub reopened: i16,
    /// How the last callback reached the enterprise.
    pub callback_channel: Option<CallbackChannel>,
    /// The street it was handed to (转办), if another than its enterprise's.
    pub transferred_street_id: Option<Uuid>,
    /// The bureau department it was handed to (承办单位), by code.
    pub department: Option<String>,
    /// Where it came from: `desk` (raised in Peiyu) or `12345` (a hotline work order).
    pub source: String,
    /// The work order's number at its source.
    pub external_no: Option<String>,
    /// What the request allows next, by its status and state (an extension is answered
    /// only while one waits; only what was handed over is handed back). A move also needs
    /// its permission: transferring and answering an extension are the bureau's.
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
    pub fn new(catalog: &Catalog, r: ServiceRequest, transitions: Option<Vec<Transition>>) -> Self {
        let now = Utc::now();
        Self {
            overdue: r.stage_due_at.is_some_and(|due| due < now),
            stages: desk::stages(&r).view(r.status, now),
            stage: r.stage.as_deref().and_then(Stage::parse),
            allowed_actions: service::allowed_actions(catalog, &r),
            urged_at: r.urged_at,
            supervised_at: r.supervised_at,
            extension_days: r.extension_days,
            extensions: r.extensions,
            callbacks: r.callbacks,
            reopened: r.reopened,
            callback_channel: r.callback_channel.as_deref().and_then(CallbackChannel::parse),
            transferred_street_id: r.transferred_street_id,
            department: r.department,
            source: r.source,
            external_no: r.external_no,
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

/// Record a demand the enterprise raised. It starts `open`, with its stage deadlines (签收,
/// 首次联系, 办结) counted in working time from the configured limits.
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
        .json(RequestResponse::new(&state.catalog, request, None)))
}

/// Move a request along its workflow. An action the current status does not allow is
/// 409, naming the status and the actions it allows; racing moves have one winner.
/// `acknowledge` and `assign` complete 签收, `contact` 首次联系, `resolve` 办结, `callback`
/// 回访 (satisfied closes, dissatisfied reopens with a new 办结 deadline); `extend` asks
/// for working days that a manager grants (`approve_extension`, moving the 办结 deadline)
/// or refuses (`refuse_extension`); `transfer` hands the request to another street or a
/// department (`return` hands it back), which then holds it.
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = RequestMove,
    responses(
        (status = 200, body = RequestResponse),
        (status = 403, description = "The move is not the caller's to make (transfer, answering an extension)", body = Problem, content_type = "application/problem+json"),
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
    let catalog = state.catalog.clone();
    // The use case requires the move's own permission.
    let (request, transitions) = authorized(&state, caller, move |conn, auth| {
        // The workflow decides what may follow what; a move needs no If-Match.
        service::move_request(conn, auth, &catalog, id, &request, &BasedOn::Any)
    })
    .await?;
    Ok(web::Json(RequestResponse::new(&state.catalog, request, Some(transitions))))
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
    Ok(web::Json(RequestResponse::new(&state.catalog, request, Some(transitions))))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestParams {
    pub status: Option<Status>,
    /// Only requests whose awaited stage is past its deadline.
    #[serde(default)]
    pub overdue: bool,
    /// Only requests awaiting this stage past its deadline.
    pub overdue_stage: Option<Stage>,
    /// Only requests escalated to the bureau or under 督办.
    #[serde(default)]
    pub escalated: bool,
    /// Only requests waiting for a manager's answer to an extension, or for their callback.
    pub awaiting: Option<Awaiting>,
    /// Only requests nobody has taken yet.
    #[serde(default)]
    pub unassigned: bool,
    pub assignee_id: Option<Uuid>,
    pub street_id: Option<Uuid>,
    pub category: Option<Category>,
    pub enterprise_id: Option<Uuid>,
}

impl RequestParams {
    pub fn filter(&self) -> RequestFilter {
        RequestFilter {
            status: self.status,
            overdue: self.overdue || self.overdue_stage.is_some(),
            stage: self.overdue_stage,
            escalated: self.escalated,
            awaiting_extension: self.awaiting == Some(Awaiting::Extension),
            awaiting_callback: self.awaiting == Some(Awaiting::Callback),
            unassigned: self.unassigned,
            assignee_id: self.assignee_id,
            street_id: self.street_id,
            category: self.category,
            enterprise_id: self.enterprise_id,
            ..RequestFilter::default()
        }
    }
}

/// Requests in the caller's streets, newest first: also the bureau's inbox, with the
/// service desk's filters (overdue by stage, escalated, awaiting an answer, unassigned).
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
    let filter = params.filter();
    let requests =
        authorized(&state, caller, move |conn, auth| service::list(conn, auth, &filter, after, fetch)).await?;
    Ok(web::Json(page.page(requests, |r| r.id, |r| RequestResponse::new(&state.catalog, r, None))))
}

/// Hand several requests to one person at once (the bureau's inbox): all of them, or none
/// with the refusal naming the one that could not be (`request_ids[n]`).
#[utoipa::path(
    tag = "field work",
    request_body = Assignment,
    responses(
        (status = 200, body = Vec<RequestResponse>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/assignments")]
pub async fn assign_requests(
    state: web::Data<AppState>,
    caller: Caller,
    Json(assignment): Json<Assignment>,
) -> Result<web::Json<Vec<RequestResponse>>, ApiError> {
    let catalog = state.catalog.clone();
    let assigned =
        authorized(&state, caller, move |conn, auth| service::assign_many(conn, auth, &catalog, &assignment)).await?;
    Ok(web::Json(assigned.into_iter().map(|r| RequestResponse::new(&state.catalog, r, None)).collect()))
}
