//! 走访: `/api/v1/enterprises/{id}/visits`, `/api/v1/visits`.

use crate::auth::Caller;
use crate::db::visits::{Visit, VisitFilter};
use crate::domain::visit::{Channel, Purpose};
use crate::http::problem::{ApiError, Problem};
use crate::http::resources::requests::RequestResponse;
use crate::http::support::extract::{IfMatch, Json, Query, etag, present};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::visits::{self as service, VisitInput};
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A correction: absent fields stay; `null` clears an optional one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitPatch {
    pub visited_at: Option<DateTime<Utc>>,
    pub channel: Option<Channel>,
    pub purposes: Option<Vec<Purpose>>,
    pub summary: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub participants: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub findings: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub next_steps: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub follow_up_on: Option<Option<NaiveDate>>,
}

impl VisitPatch {
    fn apply_to(self, visit: VisitInput) -> VisitInput {
        VisitInput {
            visited_at: self.visited_at.unwrap_or(visit.visited_at),
            channel: self.channel.unwrap_or(visit.channel),
            purposes: self.purposes.unwrap_or(visit.purposes),
            summary: self.summary.unwrap_or(visit.summary),
            participants: self.participants.unwrap_or(visit.participants),
            findings: self.findings.unwrap_or(visit.findings),
            next_steps: self.next_steps.unwrap_or(visit.next_steps),
            follow_up_on: self.follow_up_on.unwrap_or(visit.follow_up_on),
            ..visit
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VisitResponse {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    /// The enterprise's street at the time of the visit.
    pub street_id: Option<Uuid>,
    /// Who logged it.
    pub counselor_id: Uuid,
    pub visited_at: DateTime<Utc>,
    pub channel: String,
    pub purposes: Vec<String>,
    pub participants: Option<String>,
    pub summary: String,
    pub findings: Option<String>,
    pub next_steps: Option<String>,
    pub follow_up_on: Option<NaiveDate>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Requests raised with it (when it was just logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests: Option<Vec<RequestResponse>>,
}

impl VisitResponse {
    fn new(v: Visit, requests: Option<Vec<RequestResponse>>) -> Self {
        let r = v.record;
        Self {
            id: v.id,
            enterprise_id: v.enterprise_id,
            street_id: v.street_id,
            counselor_id: v.counselor_id,
            visited_at: r.visited_at,
            channel: r.channel,
            purposes: r.purposes,
            participants: r.participants,
            summary: r.summary,
            findings: r.findings,
            next_steps: r.next_steps,
            follow_up_on: r.follow_up_on,
            latitude: r.latitude,
            longitude: r.longitude,
            version: v.version,
            created_at: v.created_at,
            updated_at: v.updated_at,
            requests,
        }
    }
}

/// Log a visit; the caller is the counselor. Demands raised in it can come along in
/// `requests`: all of it is stored, or none (a bad request rolls the visit back).
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    request_body = VisitInput,
    responses(
        (status = 201, body = VisitResponse, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "e.g. visited_at in the future", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/visits")]
pub async fn log_visit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(input): Json<VisitInput>,
) -> Result<HttpResponse, ApiError> {
    let enterprise_id = id.into_inner();
    let catalog = state.catalog.clone();
    let (visit, raised) =
        authorized(&state, caller, move |conn, auth| service::log(conn, auth, &catalog, enterprise_id, input)).await?;
    let raised = raised.into_iter().map(|r| RequestResponse::new(&state.catalog, r, None)).collect();
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/visits/{}", visit.id)))
        .insert_header((header::ETAG, etag(visit.version)))
        .json(VisitResponse::new(visit, Some(raised))))
}

/// Correct a visit. Its counselor may, within the configured days after logging it;
/// managers and admins always may. Requires `If-Match` with the visit's version.
#[utoipa::path(
    tag = "field work",
    params(
        ("id" = Uuid, Path, description = "Visit id"),
        ("If-Match" = String, Header, description = "The visit's version, e.g. \"1\""),
    ),
    request_body = VisitPatch,
    responses(
        (status = 200, body = VisitResponse),
        (status = 403, description = "Not yours, or past the editing window", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 412, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/visits/{id}")]
pub async fn correct_visit(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    Json(patch): Json<VisitPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let catalog = state.catalog.clone();
    let window = Duration::days(state.visits.edit_days);
    let updated = authorized(&state, caller, move |conn, auth| {
        service::correct(conn, auth, &catalog, id, &if_match.based_on(), window, |visit| patch.apply_to(visit))
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header((header::ETAG, etag(updated.version))).json(VisitResponse::new(updated, None)))
}

/// Visits of one enterprise, newest first.
#[utoipa::path(
    tag = "field work",
    params(("id" = Uuid, Path, description = "Enterprise id"), PageParams),
    responses((status = 200, body = Page<VisitResponse>), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
#[get("/enterprises/{id}/visits")]
pub async fn visits_of_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<VisitResponse>>, ApiError> {
    let enterprise_id = id.into_inner();
    let page = paging.parse::<(DateTime<Utc>, Uuid)>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let visits = authorized(&state, caller, move |conn, auth| {
        let filter = VisitFilter { enterprise_id: Some(enterprise_id), ..VisitFilter::default() };
        service::list(conn, auth, &filter, after, fetch)
    })
    .await?;
    Ok(web::Json(page.page(visits, |v| (v.record.visited_at, v.id), |v| VisitResponse::new(v, None))))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VisitParams {
    pub counselor_id: Option<Uuid>,
    pub street_id: Option<Uuid>,
    /// Visits at or after this moment (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Visits before this moment (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

/// Visits in the caller's streets, newest first.
#[utoipa::path(
    tag = "field work",
    params(VisitParams, PageParams),
    responses((status = 200, body = Page<VisitResponse>), (status = 400, body = Problem, content_type = "application/problem+json"))
)]
#[get("/visits")]
pub async fn list_visits(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<VisitParams>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<VisitResponse>>, ApiError> {
    let page = paging.parse::<(DateTime<Utc>, Uuid)>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let filter = VisitFilter {
        counselor_id: params.counselor_id,
        street_id: params.street_id,
        from: params.from,
        to: params.to,
        ..VisitFilter::default()
    };
    let visits = authorized(&state, caller, move |conn, auth| service::list(conn, auth, &filter, after, fetch)).await?;
    Ok(web::Json(page.page(visits, |v| (v.record.visited_at, v.id), |v| VisitResponse::new(v, None))))
}
