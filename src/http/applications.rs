//! 申报: `/api/v1/enterprises/{id}/applications`, `/api/v1/applications`.

use crate::auth::Caller;
use crate::certification::{self, Grant};
use crate::db::applications::{self as store, Application, ApplicationFilter, Move, NewApplication, NewTransition};
use crate::db::audit::{self, Change};
use crate::db::enterprises;
use crate::domain::Action;
use crate::domain::application::{Action as ApplicationAction, Applications, Status};
use crate::domain::certification::Source;
use crate::domain::workflow::Workflow;
use crate::error::{AppError, FieldError, OrNotFound, Problem};
use crate::http::extract::{Json, Query, cleaned};
use crate::http::pagination::{Page, PageParams};
use crate::http::promotions::{TierChangeResponse, effective_field, tier_field};
use crate::http::requests::TransitionResponse;
use crate::http::{AppState, authorized};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

const ENTITY: &str = "application";

#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationResponse {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    /// The enterprise's street when it applied.
    pub street_id: Option<Uuid>,
    pub tier: String,
    pub batch_year: i32,
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

impl From<store::Transition> for TransitionResponse {
    fn from(t: store::Transition) -> Self {
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
    fn new(a: Application, enterprise_name: String, transitions: Option<Vec<store::Transition>>) -> Self {
        Self {
            allowed_actions: Applications::allowed_actions(a.status),
            id: a.id,
            enterprise_id: a.enterprise_id,
            enterprise_name,
            street_id: a.street_id,
            tier: a.tier,
            batch_year: a.batch_year,
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

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBody {
    /// The rung applied for.
    #[schema(example = "hnte")]
    pub tier: String,
    /// The year of the batch (批次) it goes into.
    #[schema(example = 2026)]
    pub batch_year: i32,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

/// Open an application (申报) for a tier in a yearly batch; it starts `preparing`.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    request_body = ApplicationBody,
    responses(
        (status = 201, body = ApplicationResponse, headers(("Location" = String))),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "One for this tier and batch year is already in progress", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/applications")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(body): Json<ApplicationBody>,
) -> Result<HttpResponse, AppError> {
    body.validate()?;
    let enterprise_id = id.into_inner();
    let catalog = &state.catalog;
    let tier = tier_field(&catalog.ladder, "tier", &body.tier)?;
    let mut errors = Vec::new();
    if tier == catalog.ladder.base() {
        errors.push(FieldError::new("tier", "one applies for a rung above the base"));
    }
    let next_year = catalog.today().year() + 1;
    if !(2000..=next_year).contains(&body.batch_year) {
        errors.push(FieldError::new("batch_year", format!("must be between 2000 and {next_year}")));
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let note = cleaned(body.note);
    let (created, name) = authorized(&state, caller, Action::WriteEnterprises, move |conn, auth| {
        let actor = auth.acting_user()?;
        conn.transaction(|conn| {
            let enterprise =
                enterprises::find(conn, enterprise_id, &auth.principal.street_scope()).or_not_found("enterprise")?;
            let created = store::insert(
                conn,
                &NewApplication {
                    id: Uuid::now_v7(),
                    enterprise_id,
                    street_id: enterprise.fields.street_id,
                    tier: tier.code(),
                    batch_year: body.batch_year,
                    status: Status::Preparing.as_str(),
                    created_by: actor,
                },
            )?;
            store::record_transition(
                conn,
                &NewTransition {
                    id: Uuid::now_v7(),
                    application_id: created.id,
                    action: "create",
                    from_status: None,
                    to_status: Status::Preparing.as_str(),
                    actor_id: actor,
                    note: note.as_deref(),
                },
            )?;
            audit::record(conn, &auth.audit, Change::created(ENTITY, created.id, &created))?;
            Ok((created, enterprise.fields.name))
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/applications/{}", created.id)))
        .json(ApplicationResponse::new(created, name, None)))
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransitionBody {
    pub action: ApplicationAction,
    /// Required to `reject` and `withdraw`: the reason.
    #[validate(length(max = 2000))]
    pub note: Option<String>,
    /// With `approve`: the certificate granted.
    #[validate(length(max = 100))]
    pub certificate_no: Option<String>,
    /// With `approve`: the date on the certificate (default today).
    pub effective_on: Option<NaiveDate>,
    /// With `approve`: its last valid day (default: the rung's term).
    pub valid_until: Option<NaiveDate>,
    /// With `approve`: the published batch, e.g. 2026年第一批 (default "<batch_year>年").
    #[validate(length(max = 100))]
    pub batch: Option<String>,
}

impl TransitionBody {
    /// The certificate fields, which only an approval takes.
    fn certificate_fields(&self) -> impl Iterator<Item = &'static str> {
        [
            ("certificate_no", self.certificate_no.is_some()),
            ("effective_on", self.effective_on.is_some()),
            ("valid_until", self.valid_until.is_some()),
            ("batch", self.batch.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, given)| given.then_some(field))
    }
}

/// Move an application along: `pre_review`, `submit`, then `approve` or `reject` (manager,
/// admin), or `withdraw`. Approval records the promotion (source `application`) in the
/// same transaction. An action the current status does not allow is 409.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Application id")),
    request_body = TransitionBody,
    responses(
        (status = 200, body = ApplicationResponse),
        (status = 403, description = "Deciding is for managers and admins", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not allowed in the current status", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/applications/{id}/transitions")]
pub async fn transition(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(body): Json<TransitionBody>,
) -> Result<web::Json<ApplicationResponse>, AppError> {
    body.validate()?;
    let id = id.into_inner();
    let action = body.action;
    let note = cleaned(body.note.clone());
    let mut errors = Vec::new();
    if action.needs_note() && note.is_none() {
        errors.push(FieldError::new("note", format!("a reason is required to {}", action.as_str())));
    }
    if action != ApplicationAction::Approve {
        errors.extend(body.certificate_fields().map(|field| FieldError::new(field, "is only taken with approve")));
    }
    let catalog = state.catalog.clone();
    let effective_on = body.effective_on.map(|d| effective_field(&catalog, "effective_on", d)).transpose()?;
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    let permission = if action.is_decision() { Action::CertifyEnterprises } else { Action::WriteEnterprises };
    let answer = authorized(&state, caller, permission, move |conn, auth| {
        let actor = auth.acting_user()?;
        let scope = auth.principal.street_scope();
        conn.transaction(|conn| {
            let current = store::find_for_update(conn, id, &scope).or_not_found("application")?;
            let next = Applications::transition(current.status, action)?;
            let promotion = if action == ApplicationAction::Approve {
                let enterprise =
                    enterprises::find_for_update(conn, current.enterprise_id, &scope).or_not_found("enterprise")?;
                let grant = Grant {
                    tier: tier_field(&catalog.ladder, "tier", &current.tier)?,
                    effective_on: effective_on.unwrap_or_else(|| catalog.today()),
                    valid_until: body.valid_until,
                    certificate_no: cleaned(body.certificate_no),
                    batch: cleaned(body.batch).or_else(|| Some(format!("{}年", current.batch_year))),
                    note: note.clone(),
                    source: Source::Application,
                    application_id: Some(id),
                };
                Some(certification::grant(conn, &catalog, &auth.audit, &enterprise, &grant)?)
            } else {
                None
            };
            let decided = matches!(next, Status::Approved | Status::Rejected | Status::Withdrawn);
            let updated = store::apply(
                conn,
                id,
                &Move {
                    status: next.as_str(),
                    outcome_note: note.as_deref().filter(|_| action.needs_note()),
                    decided_at: decided.then(Utc::now),
                },
            )?;
            store::record_transition(
                conn,
                &NewTransition {
                    id: Uuid::now_v7(),
                    application_id: id,
                    action: action.as_str(),
                    from_status: Some(current.status.as_str()),
                    to_status: next.as_str(),
                    actor_id: actor,
                    note: note.as_deref(),
                },
            )?;
            audit::record(conn, &auth.audit, Change::changed(ENTITY, id, action.as_str(), &current, &updated))?;
            let name = enterprises::name_of(conn, updated.enterprise_id)?;
            let transitions = store::transitions_of(conn, id)?;
            let mut answer = ApplicationResponse::new(updated, name, Some(transitions));
            answer.promotion = promotion.map(Into::into);
            Ok(answer)
        })
    })
    .await?;
    Ok(web::Json(answer))
}

/// One application with its whole history.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Application id")),
    responses((status = 200, body = ApplicationResponse), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/applications/{id}")]
pub async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<ApplicationResponse>, AppError> {
    let id = id.into_inner();
    let answer = authorized(&state, caller, Action::ReadEnterprises, move |conn, auth| {
        let found = store::find(conn, id, &auth.principal.street_scope()).or_not_found("application")?;
        let name = enterprises::name_of(conn, found.enterprise_id)?;
        Ok(ApplicationResponse::new(found, name, Some(store::transitions_of(conn, id)?)))
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
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<ApplicationParams>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<ApplicationResponse>>, AppError> {
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
    let rows = authorized(&state, caller, Action::ReadEnterprises, move |conn, auth| {
        Ok(store::list(conn, &filter, &auth.principal.street_scope(), after, fetch)?)
    })
    .await?;
    Ok(web::Json(page.page(rows, |(a, _)| a.id, |(a, name)| ApplicationResponse::new(a, name, None))))
}
