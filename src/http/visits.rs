//! 走访: `/api/v1/enterprises/{id}/visits`, `/api/v1/visits`.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::db::audit::{self, Change};
use crate::db::enterprises;
use crate::db::visits::{self as store, Visit, VisitFilter, VisitRecord};
use crate::domain::visit::{Channel, Purpose};
use crate::domain::{Action, Principal, Role};
use crate::error::{AppError, FieldError, OrNotFound, Problem};
use crate::http::extract::{IfMatch, Json, Query, cleaned, etag, not_blank, present};
use crate::http::pagination::{Page, PageParams};
use crate::http::requests::{RequestBody, RequestResponse, raise};
use crate::http::{AppState, authorized};
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

const ENTITY: &str = "visit";
/// Phones' clocks run a little fast; a visit "in the future" by less than this is now.
const CLOCK_SKEW: Duration = Duration::minutes(5);

/// What is recorded about a visit (and, merged with the stored visit, what a correction
/// leaves): one set of rules for both.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitBody {
    /// When it took place, RFC 3339 with offset; not in the future.
    pub visited_at: DateTime<Utc>,
    pub channel: Channel,
    #[validate(length(min = 1, max = 6, message = "name one to six purposes"))]
    pub purposes: Vec<Purpose>,
    #[validate(length(max = 4000), custom(function = not_blank))]
    pub summary: String,
    /// Who took part, e.g. 总经理张伟、财务总监.
    #[validate(length(max = 500))]
    pub participants: Option<String>,
    #[validate(length(max = 4000))]
    pub findings: Option<String>,
    #[validate(length(max = 4000))]
    pub next_steps: Option<String>,
    /// When to follow up; on or after the visit day.
    pub follow_up_on: Option<NaiveDate>,
    #[validate(range(min = -90.0, max = 90.0))]
    pub latitude: Option<f64>,
    #[validate(range(min = -180.0, max = 180.0))]
    pub longitude: Option<f64>,
    /// Demands raised in the visit, recorded with it in one transaction.
    #[serde(default)]
    #[validate(nested, length(max = 20))]
    pub requests: Vec<RequestBody>,
}

impl VisitBody {
    fn into_record(self, catalog: &Catalog) -> Result<(VisitRecord, Vec<RequestBody>), AppError> {
        self.validate()?;
        let mut errors = Vec::new();
        if self.visited_at > Utc::now() + CLOCK_SKEW {
            errors.push(FieldError::new("visited_at", "must not be in the future"));
        }
        let visit_day = self.visited_at.with_timezone(&catalog.time_zone).date_naive();
        if self.follow_up_on.is_some_and(|day| day < visit_day) {
            errors.push(FieldError::new("follow_up_on", "must not be before the visit"));
        }
        if self.latitude.is_some() != self.longitude.is_some() {
            errors.push(FieldError::new("longitude", "give latitude and longitude together"));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let mut purposes: Vec<Purpose> = self.purposes;
        purposes.sort();
        purposes.dedup();
        let record = VisitRecord {
            visited_at: self.visited_at,
            channel: self.channel.as_str().to_owned(),
            purposes: purposes.iter().map(|p| p.as_str().to_owned()).collect(),
            participants: cleaned(self.participants),
            summary: self.summary.trim().to_owned(),
            findings: cleaned(self.findings),
            next_steps: cleaned(self.next_steps),
            follow_up_on: self.follow_up_on,
            latitude: self.latitude,
            longitude: self.longitude,
        };
        Ok((record, self.requests))
    }
}

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
    request_body = VisitBody,
    responses(
        (status = 201, body = VisitResponse, headers(("Location" = String), ("ETag" = String))),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "e.g. visited_at in the future", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises/{id}/visits")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(body): Json<VisitBody>,
) -> Result<HttpResponse, AppError> {
    let enterprise_id = id.into_inner();
    let catalog = state.catalog.clone();
    let (record, requests) = body.into_record(&catalog)?;
    let (visit, raised) = authorized(&state, caller, Action::WriteEnterprises, move |conn, auth| {
        let counselor = auth.acting_user()?;
        conn.transaction(|conn| {
            let enterprise =
                enterprises::find(conn, enterprise_id, &auth.principal.street_scope()).or_not_found("enterprise")?;
            let visit =
                store::insert(conn, Uuid::now_v7(), enterprise.id, enterprise.fields.street_id, counselor, &record)?;
            audit::record(conn, &auth.audit, Change::created(ENTITY, visit.id, &visit))?;
            let mut raised = Vec::new();
            for body in requests {
                let body = RequestBody { visit_id: Some(visit.id), ..body };
                raised.push(RequestResponse::new(raise(conn, auth, &catalog, &enterprise, &body)?, None));
            }
            Ok((visit, raised))
        })
    })
    .await?;
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
    )
)]
#[patch("/visits/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    Json(patch): Json<VisitPatch>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let catalog = state.catalog.clone();
    let window = Duration::days(state.visits.edit_days);
    let updated = authorized(&state, caller, Action::WriteEnterprises, move |conn, auth| {
        conn.transaction(|conn| {
            let current = store::find_for_update(conn, id, &auth.principal.street_scope()).or_not_found("visit")?;
            let may_always = matches!(auth.principal, Principal::User { role: Role::Admin | Role::Manager, .. });
            let author_in_time =
                auth.audit.actor.id() == Some(current.counselor_id) && Utc::now() < current.created_at + window;
            if !(may_always || author_in_time) {
                return Err(AppError::Forbidden(format!(
                    "a visit can be corrected by its counselor within {} days of logging it, later by a manager",
                    window.num_days()
                )));
            }
            if_match.check(current.version)?;
            let r = current.record.clone();
            let merged = VisitBody {
                visited_at: patch.visited_at.unwrap_or(r.visited_at),
                channel: match patch.channel {
                    Some(channel) => channel,
                    None => Channel::try_from(r.channel).map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
                },
                purposes: match patch.purposes {
                    Some(purposes) => purposes,
                    None => r
                        .purposes
                        .into_iter()
                        .map(Purpose::try_from)
                        .collect::<Result<_, _>>()
                        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?,
                },
                summary: patch.summary.unwrap_or(r.summary),
                participants: patch.participants.unwrap_or(r.participants),
                findings: patch.findings.unwrap_or(r.findings),
                next_steps: patch.next_steps.unwrap_or(r.next_steps),
                follow_up_on: patch.follow_up_on.unwrap_or(r.follow_up_on),
                latitude: r.latitude,
                longitude: r.longitude,
                requests: Vec::new(),
            };
            let (record, _) = merged.into_record(&catalog)?;
            if record == current.record {
                return Ok(current);
            }
            let updated = store::update(conn, id, &record)?;
            audit::record(conn, &auth.audit, Change::changed(ENTITY, id, "update", &current, &updated))?;
            Ok(updated)
        })
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
pub async fn of_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<VisitResponse>>, AppError> {
    let enterprise_id = id.into_inner();
    let page = paging.parse::<(DateTime<Utc>, Uuid)>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let visits = authorized(&state, caller, Action::ReadEnterprises, move |conn, auth| {
        let scope = auth.principal.street_scope();
        enterprises::find(conn, enterprise_id, &scope).or_not_found("enterprise")?;
        let filter = VisitFilter { enterprise_id: Some(enterprise_id), ..VisitFilter::default() };
        Ok(store::list(conn, &filter, &scope, after, fetch)?)
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
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<VisitParams>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<VisitResponse>>, AppError> {
    let page = paging.parse::<(DateTime<Utc>, Uuid)>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let filter = VisitFilter {
        counselor_id: params.counselor_id,
        street_id: params.street_id,
        from: params.from,
        to: params.to,
        ..VisitFilter::default()
    };
    let visits = authorized(&state, caller, Action::ReadEnterprises, move |conn, auth| {
        Ok(store::list(conn, &filter, &auth.principal.street_scope(), after, fetch)?)
    })
    .await?;
    Ok(web::Json(page.page(visits, |v| (v.record.visited_at, v.id), |v| VisitResponse::new(v, None))))
}
