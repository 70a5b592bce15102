//! 晋级 / 降级 and certificates: `/api/v1/enterprises/{id}/promotions`, `/demotions`,
//! `/certificates`.

use crate::auth::Caller;
use crate::db::certificates::{Certificate, TierChange};
use crate::domain::certification::{ChangeKind, Source};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Json, Query};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::enterprises;
use crate::service::ladder::{self as service, DemotionInput, Moved, PromotionInput};
use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct CertificateResponse {
    pub id: Uuid,
    pub tier: String,
    pub certificate_no: Option<String>,
    pub effective_on: NaiveDate,
    /// Its last valid day (the bureau's calendar); `null` for rungs without a term.
    pub valid_until: Option<NaiveDate>,
    pub batch: Option<String>,
    pub source: Source,
    /// Still held: neither lapsed nor ended by a demotion.
    pub held: bool,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
}

impl From<Certificate> for CertificateResponse {
    fn from(c: Certificate) -> Self {
        Self {
            held: c.ended_on.is_none(),
            id: c.id,
            tier: c.tier,
            certificate_no: c.certificate_no,
            effective_on: c.effective_on,
            valid_until: c.valid_until,
            batch: c.batch,
            source: c.source,
            ended_on: c.ended_on,
            end_reason: c.end_reason,
        }
    }
}

/// Who recorded a move: a user, an integration's API key, or the system (expiry).
#[derive(Debug, Serialize, ToSchema)]
pub struct RecordedBy {
    /// `user`, `api_key` or `system`.
    pub kind: String,
    pub id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierChangeResponse {
    pub id: Uuid,
    pub kind: ChangeKind,
    pub from_tier: String,
    pub to_tier: String,
    pub effective_on: NaiveDate,
    /// The certificate a promotion or certification granted.
    pub certificate: Option<CertificateResponse>,
    /// Why a demotion happened: `expired`, `revoked`, `moved_out` or `other`.
    pub reason: Option<String>,
    pub note: Option<String>,
    pub source: Source,
    pub recorded_by: RecordedBy,
    /// The policy document of the rule set in force for `to_tier` on `effective_on`.
    pub rule_set: Option<String>,
    /// The approved application it came from.
    pub application_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
}

impl TierChangeResponse {
    pub fn new(change: TierChange, certificate: Option<Certificate>) -> Self {
        Self {
            id: change.id,
            kind: change.kind,
            from_tier: change.from_tier,
            to_tier: change.to_tier,
            effective_on: change.effective_on,
            certificate: certificate.map(Into::into),
            reason: change.reason,
            note: change.note,
            source: change.source,
            recorded_by: RecordedBy { kind: change.actor_kind, id: change.actor_id },
            rule_set: change.rule_set,
            application_id: change.application_id,
            recorded_at: change.recorded_at,
        }
    }
}

impl From<Moved> for TierChangeResponse {
    fn from(moved: Moved) -> Self {
        Self::new(moved.change, moved.certificate)
    }
}

/// Record a promotion by hand (manager, admin), with the certificate it rests on.
/// It must go up (409 otherwise, also for the loser of two racing promotions).
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    request_body = PromotionInput,
    responses(
        (status = 201, body = TierChangeResponse, headers(("Location" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not above the enterprise's tier now", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/promotions")]
pub async fn promote(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(input): Json<PromotionInput>,
) -> Result<HttpResponse, ApiError> {
    let enterprise_id = id.into_inner();
    let catalog = state.catalog.clone();
    let moved =
        authorized(&state, caller, move |conn, auth| service::promote(conn, auth, &catalog, enterprise_id, input))
            .await?;
    Ok(recorded(enterprise_id, moved))
}

/// 201 with the history row, located in the enterprise's history.
fn recorded(enterprise_id: Uuid, moved: Moved) -> HttpResponse {
    HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/enterprises/{enterprise_id}/promotions")))
        .json(TierChangeResponse::from(moved))
}

/// Record a demotion (manager, admin): every certificate above the new rung ends.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    request_body = DemotionInput,
    responses(
        (status = 201, body = TierChangeResponse, headers(("Location" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not below the enterprise's tier now", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, or a rung it holds no certificate for", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/demotions")]
pub async fn demote(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(input): Json<DemotionInput>,
) -> Result<HttpResponse, ApiError> {
    let enterprise_id = id.into_inner();
    let catalog = state.catalog.clone();
    let moved = authorized(&state, caller, move |conn, auth| {
        service::demote_by_hand(conn, auth, &catalog, enterprise_id, input)
    })
    .await?;
    Ok(recorded(enterprise_id, moved))
}

/// The enterprise's whole history on the ladder, oldest first: promotions, demotions
/// and certifications, each with its source and who recorded it.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id"), PageParams),
    responses((status = 200, body = Page<TierChangeResponse>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/enterprises/{id}/promotions")]
pub async fn history(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<TierChangeResponse>>, ApiError> {
    let enterprise_id = id.into_inner();
    let page = paging.parse::<Uuid>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let rows =
        authorized(&state, caller, move |conn, auth| service::history(conn, auth, enterprise_id, after, fetch)).await?;
    Ok(web::Json(page.page(
        rows,
        |(change, _)| change.id,
        |(change, certificate)| TierChangeResponse::new(change, certificate),
    )))
}

/// Every certificate of the enterprise, held or ended, newest first.
#[utoipa::path(
    tag = "ladder",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    responses((status = 200, body = Vec<CertificateResponse>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/enterprises/{id}/certificates")]
pub async fn list_certificates(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<CertificateResponse>>, ApiError> {
    let enterprise_id = id.into_inner();
    let rows = authorized(&state, caller, move |conn, auth| {
        let enterprise = enterprises::find(conn, auth, enterprise_id)?;
        service::certificates_of(conn, auth, &enterprise)
    })
    .await?;
    Ok(web::Json(rows.into_iter().map(Into::into).collect()))
}
