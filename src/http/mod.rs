//! The HTTP API: one module per resource, thin handlers over `db` and `domain`.
//!
//! A handler (1) extracts, (2) validates and converts to domain types, (3) runs one
//! [`unit_of_work`] on the blocking pool, (4) maps the result to a response DTO.

pub mod agenda;
pub mod api_keys;
pub mod applications;
pub mod audit_log;
pub mod changes;
pub mod coverage;
pub mod eligibility;
pub mod enterprises;
pub mod exports;
pub mod extract;
pub mod funnel;
pub mod imports;
pub mod observe;
pub mod operations;
pub mod pagination;
pub mod pipeline;
pub mod promotions;
pub mod reference;
pub mod regions;
pub mod registry;
pub mod request_report;
pub mod requests;
pub mod session;
pub mod targets;
pub mod timeline;
pub mod users;
pub mod visits;

use crate::auth::Caller;
use crate::config::{AuthSettings, Catalog, VisitSettings};
use crate::db::PgPool;
use crate::db::audit;
use crate::domain::{Action, Principal};
use crate::error::AppError;
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use diesel::PgConnection;
use utoipa::OpenApi;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// What every handler shares. Built once at start-up.
pub struct AppState {
    pub pool: PgPool,
    pub catalog: Catalog,
    pub json_limit: usize,
    pub auth: AuthSettings,
    pub visits: VisitSettings,
}

/// Runs `work` with one pooled connection on the blocking thread pool: the connection is
/// taken and given back there, never held across an `.await`. `work` opens a
/// transaction where it changes more than one row.
pub async fn unit_of_work<T, F>(pool: &PgPool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || {
        let mut conn = pool.get()?;
        work(&mut conn)
    })
    .await?
}

/// An authorized request: who is asking, and how the changes it makes are audited.
pub struct Authorized {
    pub principal: Principal,
    pub audit: audit::Context,
}

impl Authorized {
    /// The user a change is made by, for changes that name a person (a visit's counselor,
    /// a request's raiser, a target's setter); API keys make none of them.
    pub fn acting_user(&self) -> Result<uuid::Uuid, AppError> {
        match &self.principal {
            Principal::User { id, .. } => Ok(*id),
            Principal::ApiKey { .. } => Err(AppError::Forbidden("only a signed-in user may do this".into())),
        }
    }
}

/// The one gate of every protected handler: resolves the caller against the database
/// (401), checks that it may do `action` at all (403), then runs `work` in the same unit
/// of work. Street scope is applied by `work` through `principal.street_scope()`, so that
/// what lies outside it is simply not found (404).
pub async fn authorized<T, F>(state: &AppState, caller: Caller, action: Action, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut PgConnection, &Authorized) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    unit_of_work(&state.pool, move |conn| {
        let principal = caller.resolve(conn)?;
        principal.require(action)?;
        let audit = audit::Context { actor: principal.actor(), request_id: caller.request_id };
        work(conn, &Authorized { principal, audit })
    })
    .await
}

#[derive(OpenApi)]
#[openapi(
    modifiers(&SecuritySchemes),
    security(("bearer" = []), ("api_key" = [])),
    info(
        title = "Peiyu (培育) API",
        description = "Cultivating enterprises up the ladder 科技型中小企业 → 国高培育库 → 国高 → 专精特新 → 小巨人.\n\n\
            Errors are RFC 9457 problem details (`application/problem+json`); lists are keyset-paginated \
            with `limit` and `cursor`."
    ),
    tags(
        (name = "session", description = "Signing in: access and refresh tokens"),
        (name = "users", description = "People, their roles and streets (admin)"),
        (name = "api-keys", description = "Keys for integrations (admin)"),
        (name = "audit", description = "Who changed what, when (manager, admin)"),
        (name = "enterprises", description = "The enterprise register"),
        (name = "field work", description = "Visits (走访) and service requests (诉求)"),
        (name = "ladder", description = "Promotions (晋级), demotions (降级), certificates, applications (申报), yearly figures (年度指标) and eligibility"),
        (name = "pipeline", description = "The bureau's views across enterprises (counselors: their streets)"),
        (name = "regions", description = "District → street → park"),
        (name = "registry", description = "Certification lists (认定名单) fed in by provincial and national registries"),
        (name = "reference", description = "Configured reference data: the ladder, industry clusters"),
        (name = "operations", description = "Probes and metrics"),
    )
)]
struct ApiDoc;

/// People sign in for access tokens (JWT); integrations hold API keys (`pk_…`). Both
/// travel as bearer tokens; every operation takes either, and answers 403 to a caller
/// whose role or scopes do not allow it.
struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = Http::new(HttpAuthScheme::Bearer);
        bearer.bearer_format = Some("JWT".into());
        bearer.description =
            Some("An access token from `POST /api/v1/auth/login` (15 minutes; renew with `/auth/refresh`).".into());
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let mut api_key = Http::new(HttpAuthScheme::Bearer);
        api_key.bearer_format = Some("pk_…".into());
        api_key.description = Some(
            "An API key for an integration (created by an admin at `POST /api/v1/api-keys`). Scope \
             `enterprises:read`: reading enterprises with their visits, requests, certificates and \
             history, reference data, and the change feed (`/changes`), district-wide. Scope \
             `registry:write`: `POST /registry/certifications`. Anything else is 403."
                .into(),
        );
        components.add_security_scheme("api_key", SecurityScheme::Http(api_key));
    }
}

/// Each enum's codes with the Chinese names people know them by, in its description:
/// the API speaks codes, the bureau speaks 晋级 and 诉求.
struct EnumLabels;

impl utoipa::Modify for EnumLabels {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use crate::domain::{access, application, certification, region, service_request, visit};
        use utoipa::openapi::{RefOr, schema::Schema};
        let labelled = [
            ("ApplicationStatus", labels(&application::Status::ALL, application::Status::label)),
            ("ApplicationAction", labels(&application::Action::ALL, application::Action::label)),
            ("RequestStatus", labels(&service_request::Status::ALL, service_request::Status::label)),
            ("RequestAction", labels(&service_request::Action::ALL, service_request::Action::label)),
            ("Category", labels(&service_request::Category::ALL, service_request::Category::label)),
            ("Priority", labels(&service_request::Priority::ALL, service_request::Priority::label)),
            ("Channel", labels(&visit::Channel::ALL, visit::Channel::label)),
            ("Purpose", labels(&visit::Purpose::ALL, visit::Purpose::label)),
            ("ChangeKind", labels(&certification::ChangeKind::ALL, certification::ChangeKind::label)),
            ("Source", labels(&certification::Source::ALL, certification::Source::label)),
            ("DemotionReason", labels(&certification::DemotionReason::ALL, certification::DemotionReason::label)),
            ("Role", labels(&access::Role::ALL, access::Role::label)),
            ("ApiScope", labels(&access::ApiScope::ALL, access::ApiScope::label)),
            ("RegionKind", labels(&region::RegionKind::ALL, region::RegionKind::label)),
            ("EventKind", labels(&timeline::EventKind::ALL, timeline::EventKind::label)),
            ("ImportKind", labels(&crate::import::Kind::ALL, crate::import::Kind::label)),
        ];
        let Some(components) = openapi.components.as_mut() else { return };
        for (name, lines) in labelled {
            if let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(name) {
                let described = object.description.take().map(|d| format!("{d}\n\n")).unwrap_or_default();
                object.description = Some(format!("{described}{lines}"));
            }
        }
    }
}

/// `code`: label, one per line, each code as serde writes it.
fn labels<T: Copy + serde::Serialize>(all: &[T], label: fn(T) -> &'static str) -> String {
    all.iter()
        .map(|value| {
            let code = serde_json::to_value(value).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
            format!("- `{code}`: {}", label(*value))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every route, registered so that utoipa collects its documentation.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(
            scope("/api/v1")
                .service(session::login)
                .service(session::refresh)
                .service(session::logout)
                .service(session::me)
                .service(agenda::agenda)
                .service(users::create)
                .service(users::list)
                .service(users::update)
                .service(api_keys::create)
                .service(api_keys::list)
                .service(api_keys::revoke)
                .service(audit_log::list)
                .service(changes::feed)
                .service(enterprises::create)
                .service(enterprises::list)
                .service(enterprises::read)
                .service(enterprises::update)
                .service(enterprises::archive)
                .service(imports::upload_file)
                .service(visits::create)
                .service(visits::of_enterprise)
                .service(visits::list)
                .service(visits::update)
                .service(requests::create)
                .service(requests::list)
                .service(requests::read)
                .service(requests::transition)
                .service(timeline::timeline)
                .service(eligibility::put_year)
                .service(eligibility::years)
                .service(eligibility::evaluate_tier)
                .service(promotions::promote)
                .service(promotions::demote)
                .service(promotions::history)
                .service(promotions::of_enterprise)
                .service(applications::create)
                .service(applications::list)
                .service(applications::read)
                .service(applications::transition)
                .service(pipeline::expiring)
                .service(pipeline::summary)
                .service(funnel::funnel)
                .service(coverage::coverage)
                .service(request_report::requests)
                .service(targets::set)
                .service(targets::list)
                .service(regions::create)
                .service(regions::tree)
                .service(reference::tiers)
                .service(reference::clusters)
                .service(
                    scope("/registry")
                        .app_data(extract::BodyLimit(registry::BODY_LIMIT))
                        .service(registry::certifications),
                ),
        )
        .service(operations::healthz)
        .service(operations::readyz)
        .service(operations::metrics);
}

/// The OpenAPI document of [`routes`], built once.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut document) = utoipa_actix_web::AppExt::into_utoipa_app(actix_web::App::new())
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    // After the routes: only they bring the schemas in.
    utoipa::Modify::modify(&EnumLabels, &mut document);
    document
}

/// Bad path segments (an id that is no UUID) cannot name anything: 404.
pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::NotFound(format!("no such resource: {error}")).into()
}

/// Unknown routes answer like every other error.
pub async fn no_route() -> HttpResponse {
    AppError::NotFound("no such route".into()).error_response()
}
