//! The gate every page passes, and how a page or a refusal becomes a response.

use crate::auth::{Caller, Credentials, tokens};
use crate::domain::Refusal;
use crate::domain::{Action, Principal, Role};
use crate::service::once::{Key, Once};
use crate::service::{self, Authorized, ServiceError, accounts, sessions};
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
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// What every page's frame shows and every form carries: who is signed in, and the
/// session's CSRF token.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub user_id: Uuid,
    pub name: String,
    pub role: Role,
    pub csrf: String,
    /// A one-time token for a form that creates something ([`at_most_once`]): fresh on
    /// every page, so each form shown is its own.
    pub once: String,
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

    /// Where 我的待办 is: `/` for a counselor, who lands there; the bureau lands on its
    /// 驾驶舱 and finds 我的待办 at `/agenda`.
    pub fn agenda_href(&self) -> &'static str {
        if self.role == crate::domain::Role::Counselor { "/" } else { "/agenda" }
    }

    /// Whether the navigation offers 诉求台账 (the service desk's inbox).
    pub fn inbox(&self) -> bool {
        self.role_may(Action::ReadFieldWork)
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

/// Opens the visitor's session and, in the same unit of work, runs `work` (use cases,
/// each requiring its own permission). A form's submitted CSRF token (`submitted`) must be
/// the session's. Signed out, idle too long or deactivated: [`PageError::SignedOut`].
pub async fn signed_in<T, F>(
    state: &AppState,
    visitor: Visitor,
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
        let auth = match service::authorize(conn, &caller) {
            Err(ServiceError::Unauthorized(_)) => return Ok(Err(Refused::SignedOut)),
            other => other?,
        };
        let Principal::User { id, role, .. } = auth.principal else {
            return Ok(Err(Refused::SignedOut));
        };
        let name = accounts::display_name(conn, &auth)?;
        let once = tokens::random_secret("").map_err(ServiceError::Internal)?;
        let chrome = Chrome { user_id: id, name, role, csrf: session.csrf_token, once, section };
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
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// A rendered page, with the headers every page has: not stored (it shows one person's
/// data), no framing, scripts and styles from this site only.
pub fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    rendered(status, page, "no-store")
}

/// A form's page: kept by this browser alone (`private`) and asked for afresh on every
/// visit (`no-cache`), but Back shows it as it was, with its one-time token, so that
/// sending it again is recognised as the same form ([`at_most_once`]). A page that
/// cannot be stored is fetched anew on Back, with a new token: that saved twice.
pub fn form_html(status: StatusCode, page: &impl Template) -> HttpResponse {
    rendered(status, page, "private, no-cache")
}

fn rendered(status: StatusCode, page: &impl Template, cache: &'static str) -> HttpResponse {
    match page.render() {
        Ok(body) => with_page_headers(HttpResponse::build(status), cache).body(body),
        Err(error) => {
            tracing::error!(%error, "rendering a page failed");
            HttpResponse::InternalServerError().finish()
        }
    }
}

fn with_page_headers(mut response: HttpResponseBuilder, cache: &'static str) -> HttpResponseBuilder {
    response
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static(cache)))
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
        Err(form) => form_html(StatusCode::UNPROCESSABLE_ENTITY, &form),
    }
}

/// What a form that creates something saved: now, or when the same form was sent before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// The address that shows what was saved.
    Now(String),
    Before(String),
}

/// Runs a creating form's `work` at most once for the one-time token the form carried
/// (`once`, from [`Chrome::once`]): sent again — Back, then the same button — it finds
/// what the first sending saved, and saves nothing. `work` answers the address that shows
/// what it saved, or the form again with its messages (then nothing is kept, and the
/// token serves the corrected form). `form` names the form, which a token cannot change.
pub fn at_most_once<P>(
    conn: &mut PgConnection,
    user: Uuid,
    once: &str,
    form: &str,
    work: impl FnOnce(&mut PgConnection) -> Result<Result<String, P>, ServiceError>,
) -> Result<Result<Saved, P>, ServiceError> {
    if once.is_empty() {
        // Not a form the console made: refused, never saved unguarded.
        return Err(ServiceError::invalid("once", Refusal::FormTokenMissing));
    }
    let key = format!("form:{once}");
    let key = Key { owner: user, key: &key, fingerprint: form.as_bytes() };
    let reused = || ServiceError::conflict(Refusal::FormTokenReused);
    Ok(match service::once::at_most_once(conn, &key, reused, work)? {
        Once::Done(to) => Ok(Saved::Now(to)),
        Once::Before(to) => Ok(Saved::Before(to)),
        Once::Declined(form) => Err(form),
    })
}

/// What a creating form comes to: on to what it saved; a page that says the form was
/// sent before and leads to what that saved (nothing is saved twice); or the form again.
pub fn answered_once(outcome: Result<Saved, impl Template>) -> HttpResponse {
    match outcome {
        Ok(Saved::Now(to)) => see_other(&to),
        Ok(Saved::Before(to)) => html(StatusCode::OK, &AlreadySaved { to }),
        Err(form) => form_html(StatusCode::UNPROCESSABLE_ENTITY, &form),
    }
}

#[derive(Template)]
#[template(path = "already_saved.html", config = "src/web/askama.toml")]
struct AlreadySaved {
    to: String,
}

impl AlreadySaved {
    fn version(&self) -> &str {
        &assets::VERSION
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
    /// A form or upload whose body stopped arriving, or took too long.
    TimedOut,
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
            Self::TimedOut => f.write_str("the form took too long to arrive"),
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
            // A refusal a page did not turn into messages beside its fields: the form was
            // not one the page made.
            Self::BadForm(_) | Self::Service(ServiceError::Invalid(_)) => {
                (StatusCode::BAD_REQUEST, t("error.form_title"), t("error.form_detail"))
            }
            Self::TimedOut => (StatusCode::REQUEST_TIMEOUT, t("error.timeout_title"), t("error.timeout_detail")),
            Self::Service(ServiceError::NotFound(_)) => {
                (StatusCode::NOT_FOUND, t("error.not_found_title"), t("error.not_found_detail"))
            }
            Self::Service(ServiceError::Conflict { .. }) => {
                (StatusCode::CONFLICT, t("error.conflict_title"), t("error.conflict_detail"))
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
