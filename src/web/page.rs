//! The gate every page passes, and how a page or a refusal becomes a response.

use crate::auth::{Caller, Credentials};
use crate::db::users;
use crate::domain::{Action, Principal, Role};
use crate::service::{self, Authorized, ServiceError, sessions};
use crate::startup::AppState;
use crate::web::assets;
use crate::web::messages as msg;
use crate::web::messages::t;
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, HttpResponseBuilder, ResponseError};
use askama::Template;
use diesel::PgConnection;
use std::fmt;
use uuid::Uuid;

/// What every page's frame shows and every form carries: who is signed in, and the
/// session's CSRF token.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
    pub csrf: String,
    /// Which part of the navigation the page belongs to.
    pub section: &'static str,
}

impl Chrome {
    pub fn asset_version(&self) -> &str {
        &assets::VERSION
    }

    pub fn role_label(&self) -> &'static str {
        self.role.label()
    }

    /// Whether the navigation offers 数据导入.
    pub fn imports(&self) -> bool {
        self.role_may(Action::ImportLists)
    }

    /// Whether the navigation offers 系统管理.
    pub fn administers(&self) -> bool {
        self.role_may(Action::ManageUsers)
    }

    /// What the role allows (the navigation's links; every page checks for itself).
    fn role_may(&self, action: Action) -> bool {
        Principal::User { id: self.user_id, role: self.role, streets: Vec::new() }.may(action)
    }
}

/// Opens the visitor's session and, in the same unit of work, checks that its user may do
/// `action` and runs `work`. A form's submitted CSRF token (`submitted`) must be the
/// session's. Signed out, idle too long or deactivated: [`PageError::SignedOut`].
pub async fn signed_in<T, F>(
    state: &AppState,
    visitor: Visitor,
    action: Action,
    submitted: Option<String>,
    section: &'static str,
    work: F,
) -> Result<T, PageError>
where
    F: FnOnce(&mut PgConnection, &Authorized, Chrome) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    let signed_out = PageError::SignedOut { asked_for: visitor.asked_for.clone() };
    let Some(secret) = visitor.secret else { return Err(signed_out) };
    let settings = state.console.clone();
    let outcome = service::unit_of_work(&state.pool, move |conn| {
        let Some(session) = sessions::resume_console(conn, &secret, &settings)? else {
            return Ok(Err(Refused::SignedOut));
        };
        if submitted.is_some_and(|token| !same_token(&token, &session.csrf_token)) {
            return Ok(Err(Refused::Csrf));
        }
        let caller = Caller::new(Credentials::Session(session.user_id), visitor.request_id);
        let auth = match service::authorize(conn, &caller, action) {
            Err(ServiceError::Unauthorized(_)) => return Ok(Err(Refused::SignedOut)),
            other => other?,
        };
        let Principal::User { id, role, .. } = auth.principal else {
            return Ok(Err(Refused::SignedOut));
        };
        let name = users::find(conn, id)?.display_name;
        let chrome = Chrome { user_id: id, name, role, csrf: session.csrf_token, section };
        work(conn, &auth, chrome).map(Ok)
    })
    .await?;
    outcome.map_err(|refused| match refused {
        Refused::SignedOut => signed_out,
        Refused::Csrf => PageError::Csrf,
    })
}

enum Refused {
    SignedOut,
    Csrf,
}

/// Compares tokens in time independent of where they differ.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A rendered page, with the headers every page has: not cached (it shows one person's
/// data), no framing, scripts and styles from this site only.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => with_page_headers(HttpResponse::build(status)).body(body),
        Err(error) => {
            tracing::error!(%error, "rendering a page failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn with_page_headers(mut response: HttpResponseBuilder) -> HttpResponseBuilder {
    response
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .insert_header((header::REFERRER_POLICY, HeaderValue::from_static("same-origin")));
    response
}

/// After a form is saved: on to the page that shows the result (POST, redirect, GET).
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, to.to_owned())).finish()
}

/// What a submitted form comes to: saved, and on to the address that shows the result
/// (POST, redirect, GET), or the form again with its messages (422).
pub fn answered(outcome: Result<String, impl Template>) -> HttpResponse {
    match outcome {
        Ok(to) => see_other(&to),
        Err(form) => html(StatusCode::UNPROCESSABLE_ENTITY, &form),
    }
}

/// Why a page is not shown.
#[derive(Debug)]
pub enum PageError {
    /// No live session: to the sign-in page, and back here afterwards.
    SignedOut {
        asked_for: String,
    },
    /// A form without the session's CSRF token.
    Csrf,
    /// A form the console did not make (not urlencoded, missing its fields, too large).
    BadForm(&'static str),
    Service(ServiceError),
}

impl From<ServiceError> for PageError {
    fn from(error: ServiceError) -> Self {
        Self::Service(error)
    }
}

impl fmt::Display for PageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SignedOut { .. } => f.write_str("not signed in"),
            Self::Csrf => f.write_str("the form's CSRF token is missing or wrong"),
            Self::BadForm(why) => f.write_str(why),
            Self::Service(error) => error.fmt(f),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html", config = "src/web/askama.toml")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    detail: &'static str,
}

impl ErrorPage {
    fn version(&self) -> &str {
        &assets::VERSION
    }
}

impl PageError {
    /// The status, title and explanation of the refusal's page.
    fn explained(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::SignedOut { .. } => (StatusCode::SEE_OTHER, "", ""),
            Self::Csrf => (StatusCode::FORBIDDEN, t("error.csrf_title"), t("error.csrf_detail")),
            Self::BadForm(_) => (StatusCode::BAD_REQUEST, t("error.form_title"), t("error.form_detail")),
            Self::Service(ServiceError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, t("error.not_found_title"), t("error.not_found_detail"))
            }
            Self::Service(ServiceError::Forbidden(_)) => {
                (StatusCode::FORBIDDEN, t("error.forbidden_title"), t("error.forbidden_detail"))
            }
            Self::Service(ServiceError::Unavailable(_) | ServiceError::Busy { .. }) => {
                (StatusCode::SERVICE_UNAVAILABLE, t("error.unavailable_title"), t("error.unavailable_detail"))
            }
            Self::Service(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, t("error.internal_title"), t("error.internal_detail"))
            }
        }
    }

    pub fn render(&self) -> HttpResponse {
        match self {
            Self::SignedOut { asked_for } => {
                let next = form_urlencoded::byte_serialize(asked_for.as_bytes()).collect::<String>();
                return see_other(&format!("/login?next={next}"));
            }
            Self::Service(ServiceError::Unavailable(cause) | ServiceError::Internal(cause)) => {
                tracing::error!(error = format!("{cause:#}"), "page failed");
            }
            _ => {}
        }
        let (status, title, detail) = self.explained();
        html(status, &ErrorPage { status: status.as_u16(), title, detail })
    }
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        self.explained().0
    }

    fn error_response(&self) -> HttpResponse {
        self.render()
    }
}
