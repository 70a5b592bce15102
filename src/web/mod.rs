//! The console: server-rendered pages for the bureau's people, from the same binary and
//! over the same use cases as the API. A page handler (1) extracts (the [`Visitor`], a
//! path, a query or a [`form::Form`]), (2) opens the visitor's session and runs one use
//! case in one unit of work through [`page::signed_in`], (3) renders a template. Bad
//! input re-renders its form with the message beside the field and every value kept.
//!
//! Templates (askama, compile-checked) are in `templates/`, the stylesheet and the little
//! script in `static/`: all compiled into the binary. Labels come from the message
//! catalogue ([`messages`]) and from the configured ladder, categories and channels.

mod assets;
mod charts;
pub mod form;
pub mod messages;
pub mod page;
mod pages;
pub(crate) mod session;

pub use session::Visitor;

use actix_web::web;

/// Every page of the console, outside `/api`.
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/static/{file}", web::get().to(assets::serve))
        .route("/login", web::get().to(pages::login::form))
        .route("/login", web::post().to(pages::login::submit))
        .route("/logout", web::post().to(pages::login::sign_out))
        .route("/", web::get().to(pages::home::show))
        .route("/agenda", web::get().to(pages::home::agenda))
        .route("/inbox", web::get().to(pages::inbox::show))
        .route("/inbox", web::post().to(pages::inbox::assign))
        .route("/cockpit", web::get().to(pages::cockpit::show))
        .route("/cockpit/export/{report}", web::get().to(pages::cockpit::export))
        .route("/enterprises", web::get().to(pages::search::show))
        .route("/enterprises/export", web::get().to(pages::search::export))
        .route("/enterprises/{id}", web::get().to(pages::enterprise::show))
        .route("/enterprises/{id}/visits/new", web::get().to(pages::visit::form))
        .route("/enterprises/{id}/visits", web::post().to(pages::visit::submit))
        .route("/enterprises/{id}/requests/new", web::get().to(pages::raise::form))
        .route("/enterprises/{id}/requests", web::post().to(pages::raise::submit))
        .route("/enterprises/{id}/applications/new", web::get().to(pages::apply::form))
        .route("/enterprises/{id}/applications", web::post().to(pages::apply::submit))
        .route("/enterprises/{id}/indicators", web::get().to(pages::indicators::form))
        .route("/enterprises/{id}/indicators", web::post().to(pages::indicators::submit))
        .route("/enterprises/{id}/obligations/{obligation}/done", web::post().to(pages::enterprise::obligation_done))
        .route("/applications", web::get().to(pages::applications::show))
        .route("/applications/{id}", web::post().to(pages::applications::submit))
        .route("/imports", web::get().to(pages::imports::form))
        // A form that creates something posts to an address other than the page it is on:
        // a POST invalidates the browser's cached copy of its own address, so Back would
        // fetch the form afresh, with a new one-time token, and a second tap save again.
        .route("/imports/new", web::post().to(pages::imports::submit))
        .route("/imports/{id}", web::get().to(pages::imports::show))
        .route("/imports/{id}/problems", web::get().to(pages::imports::problems))
        .route("/visits/{id}", web::get().to(pages::visit_record::show))
        .route("/requests/{id}", web::get().to(pages::request::show))
        .route("/radar", web::get().to(pages::cultivation::radar))
        .route("/at-risk", web::get().to(pages::cultivation::at_risk))
        .route("/obligations", web::get().to(pages::cultivation::obligations))
        .route("/reviews", web::get().to(pages::cultivation::reviews))
        .route("/requests/{id}", web::post().to(pages::request::submit))
        .route("/targets", web::get().to(pages::targets::show))
        .route("/targets", web::post().to(pages::targets::submit))
        .route("/admin", web::get().to(pages::admin::index))
        .route("/admin/users", web::get().to(pages::admin::users::list))
        .route("/admin/users", web::post().to(pages::admin::users::create))
        // Before `{id}`, which "new" is not.
        .route("/admin/users/new", web::get().to(pages::admin::users::form))
        .route("/admin/users/{id}", web::get().to(pages::admin::users::edit))
        .route("/admin/users/{id}", web::post().to(pages::admin::users::update))
        .route("/admin/regions", web::get().to(pages::admin::regions::show))
        .route("/admin/regions", web::post().to(pages::admin::regions::create))
        .route("/admin/api-keys", web::get().to(pages::admin::api_keys::show))
        .route("/admin/api-keys/new", web::post().to(pages::admin::api_keys::create))
        .route("/admin/api-keys/{id}/revoke", web::post().to(pages::admin::api_keys::revoke));
}

/// What an address outside the API that names nothing answers: the console's 404 page.
pub fn not_found() -> actix_web::HttpResponse {
    page::PageError::from(crate::service::ServiceError::NotFound("no such page".into())).render()
}
