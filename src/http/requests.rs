//! 诉求: `/api/v1/enterprises/{id}/requests`, `/api/v1/requests`.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::db::audit::{self, Change};
use crate::db::service_requests::{
    self as store, Move, NewServiceRequest, NewTransition, RequestFilter, ServiceRequest, Transition,
};
use crate::db::{enterprises, users};
use crate::domain::service_request::{Action as RequestAction, Category, Priority, Requests, Status};
use crate::domain::workflow::Workflow;
use crate::domain::{Action, Role};
use crate::error::{AppError, FieldError, OrNotFound, Problem};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::{AppState, Authorized, authorized};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

const ENTITY: &str = "service_request";

/// A demand to record, on its own or with the visit it was raised in.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestBody {
    pub category: Category,
    pub priority: Priority,
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "研发楼扩租 2000 平方米")]
    pub title: String,
    #[validate(length(min = 1, max = 4000))]
    pub description: String,
    /// The visit it was raised in (set automatically when sent with a visit).
    pub visit_id: Option<Uuid>,
}

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
    pub actor_id: Uuid,
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
            overdue: r.status.is_pending() && r.due_at < Utc::now(),
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

/// Records a request for `enterprise` (already checked to be in scope), with its
/// deadline and its first transition, in the caller's transaction.
pub fn raise(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise: &enterprises::Enterprise,
    body: &RequestBody,
) -> Result<ServiceRequest, AppError> {
    let raised_by = auth.acting_user()?;
    let now = Utc::now();
    let request = store::insert(
        conn,
        &NewServiceRequest {
            id: Uuid::now_v7(),
            enterprise_id: enterprise.id,
            street_id: enterprise.fields.street_id,
            visit_id: body.visit_id,
            category: body.category.as_str(),
            priority: body.priority.as_str(),
            title: body.title.trim(),
            description: body.description.trim(),
            status: Status::Open.as_str(),
            raised_by,
            due_at: catalog.sla.due_at(now, body.category, body.priority),
        },
    )?;
    store::record_transition(
        conn,
        &NewTransition {
            id: Uuid::now_v7(),
            request_id: request.id,
            action: "raise",
            from_status: None,
            to_status: Status::Open.as_str(),
            actor_id: raised_by,
            note: None,
        },
    )?;
    audit::record(conn, &auth.audit, Change::created(ENTITY, request.id, &request))?;
    Ok(request)
}

/// Record a demand the enterprise raised. It starts `open`, with `due_at` from the SLA.
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    request_body = RequestBody,
    responses(
        (status = 201, body = RequestResponse, headers(("Location" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/requests")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(body): Json<RequestBody>,
) -> Result<HttpResponse, AppError> {
    body.validate()?;
    let enterprise_id = id.into_inner();
    let catalog = state.catalog.clone();
    let request = authorized(&state, caller, Action::WriteEnterprises, move |conn, auth| {
        conn.transaction(|conn| {
            let enterprise =
                enterprises::find(conn, enterprise_id, &auth.principal.street_scope()).or_not_found("enterprise")?;
            raise(conn, auth, &catalog, &enterprise, &body)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/requests/{}", request.id)))
        .json(RequestResponse::new(request, None)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    pub action: RequestAction,
    /// Required to `assign`: a counselor, manager or admin.
    pub assignee_id: Option<Uuid>,
    /// Required to `reject`.
    #[validate(length(max = 2000))]
    pub note: Option<String>,
    /// Required to `close`: the enterprise's satisfaction, 1 (poor) to 5 (excellent).
    #[validate(range(min = 1, max = 5))]
    pub satisfaction: Option<i16>,
}

/// Move a request along its workflow. An action the current status does not allow is
/// 409, naming the status and the actions it allows; racing moves have one winner.
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Request id")),
    request_body = TransitionBody,
    responses(
        (status = 200, body = RequestResponse),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the current status", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/requests/{id}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(body): Json<TransitionBody>,
) -> Result<web::Json<RequestResponse>, AppError> {
    body.validate()?;
    let id = id.into_inner();
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
    let missing = |field: &str, why: &str| AppError::Validation(vec![FieldError::new(field, why)]);
    match body.action {
        RequestAction::Assign if body.assignee_id.is_none() => {
            return Err(missing("assignee_id", "is required to assign"));
        }
        RequestAction::Close if body.satisfaction.is_none() => {
            return Err(missing("satisfaction", "is required to close"));
        }
        RequestAction::Reject if note.is_none() => return Err(missing("note", "a reason is required to reject")),
        _ => {}
    }
    let (request, transitions) = authorized(&state, caller, Action::WriteEnterprises, move |conn, auth| {
        let actor = auth.acting_user()?;
        conn.transaction(|conn| {
            let current =
                store::find_for_update(conn, id, &auth.principal.street_scope()).or_not_found("service request")?;
            let next = Requests::transition(current.status, body.action)?;
            if let Some(assignee) = body.assignee_id {
                let assignable = match users::find(conn, assignee) {
                    Ok(user) => user.active && user.role != Role::Viewer,
                    Err(diesel::result::Error::NotFound) => false,
                    Err(e) => return Err(e.into()),
                };
                if !assignable {
                    return Err(missing("assignee_id", "is not an active counselor, manager or admin"));
                }
            }
            let now = Utc::now();
            let change = Move {
                status: next.as_str(),
                assignee_id: body.assignee_id.filter(|_| body.action == RequestAction::Assign),
                resolved_at: match body.action {
                    RequestAction::Resolve => Some(Some(now)),
                    RequestAction::Reopen => Some(None),
                    _ => None,
                },
                closed_at: match body.action {
                    RequestAction::Close => Some(Some(now)),
                    RequestAction::Reopen => Some(None),
                    _ => None,
                },
                satisfaction: match body.action {
                    RequestAction::Close => Some(body.satisfaction),
                    RequestAction::Reopen => Some(None),
                    _ => None,
                },
            };
            let updated = store::apply(conn, id, &change)?;
            store::record_transition(
                conn,
                &NewTransition {
                    id: Uuid::now_v7(),
                    request_id: id,
                    action: body.action.as_str(),
                    from_status: Some(current.status.as_str()),
                    to_status: next.as_str(),
                    actor_id: actor,
                    note: note.as_deref(),
                },
            )?;
            let audited = Change::changed(ENTITY, id, body.action.as_str(), &current, &updated);
            audit::record(conn, &auth.audit, audited)?;
            let transitions = store::transitions_of(conn, id)?;
            Ok((updated, transitions))
        })
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
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<RequestResponse>, AppError> {
    let id = id.into_inner();
    let (request, transitions) = authorized(&state, caller, Action::ReadEnterprises, move |conn, auth| {
        let request = store::find(conn, id, &auth.principal.street_scope()).or_not_found("service request")?;
        Ok((request, store::transitions_of(conn, id)?))
    })
    .await?;
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
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<RequestParams>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<RequestResponse>>, AppError> {
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
    let requests = authorized(&state, caller, Action::ReadEnterprises, move |conn, auth| {
        Ok(store::list(conn, &filter, &auth.principal.street_scope(), after, fetch)?)
    })
    .await?;
    Ok(web::Json(page.page(requests, |r| r.id, |r| RequestResponse::new(r, None))))
}
