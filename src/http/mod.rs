//! The HTTP API: one module per resource, thin handlers over the use cases in `service`
//! (and, for a single read in the caller's street scope, a query of `db`).
//!
//! A handler (1) extracts, (2) validates and converts to domain types, (3) runs one
//! [`unit_of_work`] on the blocking pool, (4) maps the result to a response DTO.

pub mod problem;
pub mod reports;
pub mod resources;
pub mod support;

use reports::{agenda, coverage, cultivation, funnel, pipeline, request_report, targets};
use resources::{
    api_keys, applications, audit_log, changes, eligibility, enterprises, imports, obligations, promotions, reference,
    regions, registry, requests, session, timeline, users, visits,
};
use support::{extract, operations};

use crate::auth::Caller;
use crate::db::PgPool;
use crate::http::problem::ApiError;
use crate::service::{self, Authorized, ServiceError};
use actix_web::http::header::CACHE_CONTROL;
use actix_web::middleware::DefaultHeaders;
use actix_web::{HttpRequest, HttpResponse, ResponseError};
use diesel::PgConnection;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

pub use crate::startup::AppState;

/// [`service::unit_of_work`], answering in the API's terms.
pub async fn unit_of_work<T, F>(pool: &PgPool, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    Ok(service::unit_of_work(pool, work).await?)
}

/// The one gate of every protected handler ([`service::authorize`]: 401), then `work` — a
/// use case, which requires its own permission (403) — in the same unit of work.
pub async fn authorized<T, F>(state: &AppState, caller: Caller, work: F) -> Result<T, ApiError>
where
    F: FnOnce(&mut PgConnection, &Authorized) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    unit_of_work(&state.pool, move |conn| {
        let auth = service::authorize(conn, &caller)?;
        work(conn, &auth)
    })
    .await
}

/// Every route, registered so that utoipa collects its documentation.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(
            scope("/api/v1")
                // Every answer is one caller's view of personal and commercial data: no
                // cache on the way, or in a browser, keeps a copy.
                .wrap(DefaultHeaders::new().add((CACHE_CONTROL, "no-store")))
                .service(session::login)
                .service(session::refresh)
                .service(session::logout)
                .service(session::me)
                .service(agenda::agenda)
                .service(users::create_user)
                .service(users::list_users)
                .service(users::update_user)
                .service(api_keys::create_api_key)
                .service(api_keys::list_api_keys)
                .service(api_keys::revoke_api_key)
                .service(audit_log::read_audit_log)
                .service(changes::feed)
                .service(enterprises::register_enterprise)
                .service(enterprises::list_enterprises)
                .service(enterprises::read_enterprise)
                .service(enterprises::edit_enterprise)
                .service(enterprises::archive)
                .service(imports::upload_file)
                .service(visits::log_visit)
                .service(visits::visits_of_enterprise)
                .service(visits::list_visits)
                .service(visits::correct_visit)
                .service(requests::raise_request)
                .service(requests::list_requests)
                .service(requests::assign_requests)
                .service(requests::read_request)
                .service(requests::move_request)
                .service(timeline::timeline)
                .service(eligibility::record_indicators)
                .service(eligibility::list_indicators)
                .service(eligibility::evaluate_tier)
                .service(promotions::promote)
                .service(promotions::demote)
                .service(promotions::history)
                .service(promotions::list_certificates)
                .service(applications::open_application)
                .service(applications::list_applications)
                .service(applications::read_application)
                .service(applications::move_application)
                .service(pipeline::expiring)
                .service(pipeline::pipeline_summary)
                .service(funnel::funnel)
                .service(coverage::coverage)
                .service(request_report::request_report)
                .service(cultivation::readiness_radar)
                .service(cultivation::at_risk)
                .service(cultivation::reviews_due)
                .service(cultivation::obligation_completion)
                .service(obligations::obligations_of_enterprise)
                .service(obligations::mark_obligation_done)
                .service(obligations::list_obligations)
                .service(targets::set_targets)
                .service(targets::list_targets)
                .service(regions::add_region)
                .service(regions::region_tree)
                .service(reference::tiers)
                .service(reference::clusters)
                .service(reference::departments)
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

/// Bad path segments (an id that is no UUID) cannot name anything: 404, saying which
/// segment of the address is wrong in the bureau's words rather than the parser's.
pub fn path_error(_: actix_web::error::PathError, request: &HttpRequest) -> actix_web::Error {
    // `/requests/assignments` asked with GET lands on `/requests/{id}`: the address is the
    // documented one of another method.
    if let Some(allow) = allowed(request).filter(|allow| !allow.split(", ").any(|m| m == request.method().as_str())) {
        return ApiError::MethodNotAllowed(allow.to_owned()).into();
    }
    let wrong = request.match_info().iter().find_map(|(name, value)| {
        let expected = if name == "year" { "a year such as 2026" } else { "an id (a UUID)" };
        let fits = if name == "year" { value.parse::<i32>().is_ok() } else { uuid::Uuid::parse_str(value).is_ok() };
        (!fits).then(|| format!("this address has `{value}` where {expected} belongs"))
    });
    let detail = wrong.unwrap_or_else(|| "this address names nothing that exists".to_owned());
    ApiError::from(ServiceError::NotFound(detail)).into()
}

/// The methods the documented address `request` names answers.
fn allowed(request: &HttpRequest) -> Option<&str> {
    request.app_data::<actix_web::web::Data<support::methods::Methods>>().and_then(|m| m.allowed(request.path()))
}

/// `/api/docs` without its slash opens the documentation too.
pub async fn to_docs() -> HttpResponse {
    HttpResponse::Found().insert_header((actix_web::http::header::LOCATION, "/api/docs/")).finish()
}

/// Unknown routes answer like every other error: 405 with `Allow` for a documented
/// address asked with another method, 404 for the rest.
pub fn no_route(request: &HttpRequest) -> HttpResponse {
    match allowed(request) {
        Some(allow) => ApiError::MethodNotAllowed(allow.to_owned()).error_response(),
        None => ApiError::from(ServiceError::NotFound("no such route".into())).error_response(),
    }
}
