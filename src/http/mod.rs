//! The HTTP API: one module per resource, thin handlers over `db` and `domain`.
//!
//! A handler (1) extracts, (2) validates and converts to domain types, (3) runs one
//! [`unit_of_work`] on the blocking pool, (4) maps the result to a response DTO.

pub mod enterprises;
pub mod extract;
pub mod operations;
pub mod pagination;
pub mod reference;
pub mod regions;

use crate::config::Catalog;
use crate::db::PgPool;
use crate::db::audit::{self, Actor};
use crate::error::AppError;
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError, web};
use diesel::PgConnection;
use futures_util::future::{Ready, ready};
use tracing_actix_web::RequestId;
use utoipa::OpenApi;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// What every handler shares. Built once at start-up.
pub struct AppState {
    pub pool: PgPool,
    pub catalog: Catalog,
    pub json_limit: usize,
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

/// Who is making the change and under which request id, for the audit log.
impl FromRequest for audit::Context {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request_id = RequestId::extract(req).into_inner().ok().map(Into::into);
        ready(Ok(Self { actor: Actor::Anonymous, request_id }))
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Peiyu (培育) API",
        description = "Cultivating enterprises up the ladder 科技型中小企业 → 国高培育库 → 国高 → 专精特新 → 小巨人.\n\n\
            Errors are RFC 9457 problem details (`application/problem+json`); lists are keyset-paginated \
            with `limit` and `cursor`."
    ),
    tags(
        (name = "enterprises", description = "The enterprise register"),
        (name = "regions", description = "District → street → park"),
        (name = "reference", description = "Configured reference data: the ladder, industry clusters"),
        (name = "operations", description = "Probes and this document"),
    )
)]
struct ApiDoc;

/// Every route, registered so that utoipa collects its documentation.
pub fn routes(config: &mut ServiceConfig) {
    config
        .service(
            scope("/api/v1")
                .service(enterprises::create)
                .service(enterprises::list)
                .service(enterprises::read)
                .service(enterprises::update)
                .service(enterprises::archive)
                .service(regions::create)
                .service(regions::tree)
                .service(reference::tiers)
                .service(reference::clusters),
        )
        .service(operations::healthz)
        .service(operations::readyz);
}

/// The OpenAPI document of [`routes`], built once.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, document) = utoipa_actix_web::AppExt::into_utoipa_app(actix_web::App::new())
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
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
