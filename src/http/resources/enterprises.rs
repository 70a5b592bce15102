//! `/api/v1/enterprises`: the enterprise register.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::db::enterprises::Enterprise;
use crate::export::writer;
use crate::export::{self, ExportParams, heading};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{IfMatch, Json, Query, etag, present};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::enterprises::{self as service, EnterpriseInput, EnterpriseQuery};
use crate::service::regions;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A partial update: absent fields stay as they are; `null` clears an optional field.
/// The tier is not here: it moves only by promotion and demotion.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnterprisePatch {
    pub uscc: Option<String>,
    pub name: Option<String>,
    pub street_id: Option<Uuid>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub park_id: Option<Option<Uuid>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub cluster: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<NaiveDate>)]
    pub established_on: Option<Option<NaiveDate>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub address: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub contact_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub contact_phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i32>)]
    pub employees: Option<Option<i32>>,
    pub tags: Option<Vec<String>>,
}

impl EnterprisePatch {
    fn apply_to(self, body: EnterpriseInput) -> EnterpriseInput {
        EnterpriseInput {
            uscc: self.uscc.unwrap_or(body.uscc),
            name: self.name.unwrap_or(body.name),
            street_id: self.street_id.or(body.street_id),
            park_id: self.park_id.unwrap_or(body.park_id),
            cluster: self.cluster.unwrap_or(body.cluster),
            established_on: self.established_on.unwrap_or(body.established_on),
            address: self.address.unwrap_or(body.address),
            contact_name: self.contact_name.unwrap_or(body.contact_name),
            contact_phone: self.contact_phone.unwrap_or(body.contact_phone),
            employees: self.employees.unwrap_or(body.employees),
            tags: self.tags.unwrap_or(body.tags),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EnterpriseResponse {
    pub id: Uuid,
    pub uscc: String,
    pub name: String,
    /// `null` for enterprises a registry feed created, awaiting assignment to a street.
    pub street_id: Option<Uuid>,
    pub park_id: Option<Uuid>,
    pub cluster: Option<String>,
    pub established_on: Option<NaiveDate>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub employees: Option<i32>,
    pub tags: Vec<String>,
    /// Tier code on the ladder (GET /api/v1/tiers), e.g. `hnte`.
    pub tier: String,
    /// Chinese name of the tier, e.g. 国家高新技术企业.
    pub tier_label: String,
    /// Optimistic-locking version; also the ETag. Send it as `If-Match` to update.
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    /// The latest visit's time; `null`: never visited.
    pub last_visited_at: Option<DateTime<Utc>>,
}

impl EnterpriseResponse {
    fn new(e: Enterprise, catalog: &Catalog) -> Self {
        // A tier code dropped from the ladder configuration still shows, unlabelled.
        let tier_label = catalog.ladder.label(&e.tier).unwrap_or_default().to_owned();
        let f = e.fields;
        Self {
            id: e.id,
            uscc: f.uscc,
            name: f.name,
            street_id: f.street_id,
            park_id: f.park_id,
            cluster: f.cluster,
            established_on: f.established_on,
            address: f.address,
            contact_name: f.contact_name,
            contact_phone: f.contact_phone,
            employees: f.employees,
            tags: f.tags,
            tier: e.tier,
            tier_label,
            version: e.version,
            created_at: e.created_at,
            updated_at: e.updated_at,
            archived_at: e.archived_at,
            last_visited_at: e.last_visited_at,
        }
    }
}

fn respond(mut response: HttpResponseBuilder, enterprise: Enterprise, catalog: &Catalog) -> HttpResponse {
    response.insert_header((header::ETAG, etag(enterprise.version))).json(EnterpriseResponse::new(enterprise, catalog))
}

/// Register an enterprise (counselors: in their own streets). It starts at the bottom
/// rung, `prospect`.
#[utoipa::path(
    tag = "enterprises",
    request_body = EnterpriseInput,
    responses(
        (status = 201, description = "Registered", body = EnterpriseResponse,
            headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Not JSON, or a field of the wrong type", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not your street, or your role may not register", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The USCC is already registered", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/enterprises")]
pub async fn register_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    Json(input): Json<EnterpriseInput>,
) -> Result<HttpResponse, ApiError> {
    let catalog = state.catalog.clone();
    let created = authorized(&state, caller, move |conn, auth| service::register(conn, auth, &catalog, input)).await?;
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, format!("/api/v1/enterprises/{}", created.id)));
    Ok(respond(response, created, &state.catalog))
}

/// One enterprise, archived or not; its version is in the `ETag` header.
#[utoipa::path(
    tag = "enterprises",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    responses(
        (status = 200, body = EnterpriseResponse, headers(("ETag" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such enterprise in your streets", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enterprises/{id}")]
pub async fn read_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let enterprise =
        authorized(&state, caller, move |conn, auth| Ok(service::find(conn, auth, id)?.into_inner())).await?;
    Ok(respond(HttpResponse::Ok(), enterprise, &state.catalog))
}

/// Change some fields. Requires `If-Match` with the current version.
#[utoipa::path(
    tag = "enterprises",
    params(
        ("id" = Uuid, Path, description = "Enterprise id"),
        ("If-Match" = String, Header, description = "The ETag (version) the change is based on, e.g. \"3\""),
    ),
    request_body = EnterprisePatch,
    responses(
        (status = 200, body = EnterpriseResponse, headers(("ETag" = String))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Moving it to a street that is not yours", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Archived, or the new USCC is taken", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "Changed since that version", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/enterprises/{id}")]
pub async fn edit_enterprise(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    if_match: IfMatch,
    Json(patch): Json<EnterprisePatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let catalog = state.catalog.clone();
    let updated = authorized(&state, caller, move |conn, auth| {
        service::update(conn, auth, &catalog, id, &if_match.based_on(), |current| patch.apply_to(current))
    })
    .await?;
    Ok(respond(HttpResponse::Ok(), updated, &state.catalog))
}

/// Archive an enterprise (manager, admin): it leaves lists and analytics but keeps its
/// history. Archiving an archived enterprise changes nothing.
#[utoipa::path(
    tag = "enterprises",
    params(("id" = Uuid, Path, description = "Enterprise id")),
    responses(
        (status = 204, description = "Archived"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/enterprises/{id}")]
pub async fn archive(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    authorized(&state, caller, move |conn, auth| service::archive(conn, auth, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Live (not archived) enterprises in the caller's streets, newest first, filtered and
/// keyset-paginated; or all of them as CSV or XLSX (企业名录).
#[utoipa::path(
    tag = "enterprises",
    params(EnterpriseQuery, PageParams, ExportParams),
    responses(
        (status = 200, content(
            (Page<EnterpriseResponse> = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/enterprises")]
pub async fn list_enterprises(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<EnterpriseQuery>,
    Query(paging): Query<PageParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = params.into_filter(&state.catalog)?;
    if let Some(format) = export.format(&request)? {
        let (scope, places) =
            authorized(&state, caller, |conn, auth| Ok((service::list_scope(auth)?, regions::names(conn, auth)?)))
                .await?;
        let (title, file) = export::enterprises::TITLE;
        let heading = heading(&state.catalog, &request, title, file, &places);
        let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
        return Ok(writer::respond(format, heading, move |sink| {
            export::enterprises::write(sink, &pool, &catalog, &filter, &scope)
        }));
    }
    let page = paging.parse::<Uuid>()?;
    let fetch = page.fetch();
    let after = page.after;
    let rows = authorized(&state, caller, move |conn, auth| service::list(conn, auth, &filter, after, fetch)).await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |e| e.id, |e| EnterpriseResponse::new(e, &state.catalog))))
}
