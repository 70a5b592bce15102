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
pub mod openapi;
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

/// Bad path segments (an id that is no UUID) cannot name anything: 404.
pub fn path_error(error: actix_web::error::PathError, _: &HttpRequest) -> actix_web::Error {
    AppError::NotFound(format!("no such resource: {error}")).into()
}

/// Unknown routes answer like every other error.
pub async fn no_route() -> HttpResponse {
    AppError::NotFound("no such route".into()).error_response()
}
