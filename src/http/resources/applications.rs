//! 申报: `/api/v1/enterprises/{id}/applications`, `/api/v1/applications`.

use crate::auth::Caller;
use crate::db::applications::{Application, ApplicationFilter, Transition};
use crate::domain::application::{Action as ApplicationAction, Applications, Status};
use crate::domain::eligibility::DecisionKind;
use crate::domain::workflow::Workflow;
use crate::http::problem::{ApiError, Problem};
use crate::http::resources::promotions::TierChangeResponse;
use crate::http::resources::requests::TransitionResponse;
use crate::http::support::extract::{Json, Query};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::applications::{self as service, ApplicationInput, ApplicationMove};
use crate::service::ladder::tier_field;
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationResponse {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    /// The enterprise's street when it applied.
    pub street_id: Option<Uuid>,
    pub tier: String,
    pub batch_year: i32,
    /// A first certificate (`new`) or the review (复核) of a held one.
    pub kind: DecisionKind,
    pub status: Status,
    /// What may be done next.
    pub allowed_actions: Vec<ApplicationAction>,
    /// Why it was rejected or withdrawn.
    pub outcome_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_by: Uuid,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Every move, oldest first (in single-application answers).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<Vec<TransitionResponse>>,
    /// The promotion (or certification) its approval recorded, in the approval's answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub promotion: Option<TierChangeResponse>,
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

impl ApplicationResponse {
    fn new(a: Application, enterprise_name: String, transitions: Option<Vec<Transition>>) -> Self {
        Self {
            allowed_actions: Applications::allowed_actions(a.status),
            id: a.id,
            enterprise_id: a.enterprise_id,
            enterprise_name,
            street_id: a.street_id,
            tier: a.tier,
            batch_year: a.batch_year,
            kind: a.kind,
            status: a.status,
            outcome_note: a.outcome_note,
            decided_at: a.decided_at,
            created_by: a.created_by,
            version: a.version,
            created_at: a.created_at,
            updated_at: a.updated_at,
            transitions: transitions.map(|ts| ts.into_iter().map(Into::into).collect()),
            promotion: None,
        }
    }
}

/// Open an application (申报) for a tier in a yearly batch; it starts `preparing`.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    request_body = ApplicationInput,
    responses(
        (status = 201, body = ApplicationResponse, headers(("Location" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "One for this tier and batch year is already in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/applications")]
pub async fn open_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(input): Json<ApplicationInput>,
) -> Result<HttpResponse, ApiError> {
    let enterprise_id = id.into_inner();
    let catalog = state.catalog.clone();
    let opened =
        authorized(&state, caller, move |conn, auth| service::open(conn, auth, &catalog, enterprise_id, input)).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/applications/{}", opened.application.id)))
        .json(ApplicationResponse::new(opened.application, opened.enterprise_name, None)))
}

/// Move an application along: `pre_review`, `submit`, then `approve` or `reject` (manager,
/// admin), or `withdraw`. Approval records the promotion (source `application`) in the
/// same transaction. An action the current status does not allow is 409.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Application id")),
    request_body = ApplicationMove,
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, description = "Deciding is for managers and admins", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the current status", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/applications/{id}/transitions")]
pub async fn move_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(request): Json<ApplicationMove>,
) -> Result<web::Json<ApplicationResponse>, ApiError> {
    let id = id.into_inner();
    let catalog = state.catalog.clone();
    // The use case requires the move's own permission (deciding is the bureau's).
    let moved = authorized(&state, caller, move |conn, auth| {
        let moving = request.parse(&catalog)?;
        service::transition(conn, auth, &catalog, id, &moving)
    })
    .await?;
    let mut answer = ApplicationResponse::new(moved.application, moved.enterprise_name, Some(moved.transitions));
    answer.promotion = moved.promotion.map(Into::into);
    Ok(web::Json(answer))
}

/// One application with its whole history.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Application id")),
    responses((status = 200, body = ApplicationResponse), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/applications/{id}")]
pub async fn read_application(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<ApplicationResponse>, ApiError> {
    let id = id.into_inner();
    let answer = authorized(&state, caller, move |conn, auth| {
        let found = service::find(conn, auth, id)?;
        Ok(ApplicationResponse::new(found.application, found.enterprise_name, Some(found.transitions)))
    })
    .await?;
    Ok(web::Json(answer))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApplicationParams {
    pub batch_year: Option<i32>,
    /// Tier code.
    pub tier: Option<String>,
    pub street_id: Option<Uuid>,
    pub status: Option<Status>,
    pub enterprise_id: Option<Uuid>,
}

/// Applications in the caller's streets, newest first: by batch year, tier, street and
/// status, the lists pass rates are computed from.
#[utoipa::path(
    tag = "ladder",
    params(ApplicationParams, PageParams),
    responses(
        (status = 200, body = Page<ApplicationResponse>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/applications")]
pub async fn list_applications(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<ApplicationParams>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<ApplicationResponse>>, ApiError> {
    if let Some(tier) = &params.tier {
        tier_field(&state.catalog.ladder, "tier", tier)?;
    }
    let page = paging.parse::<Uuid>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let filter = ApplicationFilter {
        batch_year: params.batch_year,
        tier: params.tier,
        street_id: params.street_id,
        status: params.status,
        enterprise_id: params.enterprise_id,
    };
    let rows = authorized(&state, caller, move |conn, auth| service::list(conn, auth, &filter, after, fetch)).await?;
    Ok(web::Json(page.page(rows, |(a, _)| a.id, |(a, name)| ApplicationResponse::new(a, name, None))))
}
