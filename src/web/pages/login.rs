//! 登录 and 退出: the sign-in form (with its own CSRF pair, there being no session yet)
//! over the same throttle and password check as the API's `/auth/login`.

use crate::auth::tokens;
use crate::service::{ServiceError, sessions};
use crate::startup::AppState;
use crate::web::assets;
use crate::web::form::{Form, NoFields};
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, PageError, same_token, see_other};
use crate::web::session::{SESSION_COOKIE, SIGN_IN_COOKIE, Visitor, local_address};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "login.html", config = "src/web/askama.toml")]
struct LoginPage {
    token: String,
    username: String,
    next: String,
    error: Option<String>,
}

impl LoginPage {
    fn version(&self) -> &str {
        &assets::VERSION
    }
}

#[derive(Debug, Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// The form, with a fresh token in a cookie and in the form.
pub async fn form(state: web::Data<AppState>, query: web::Query<Next>) -> Result<HttpResponse, PageError> {
    let token = tokens::random_secret("").map_err(ServiceError::Internal)?;
    let page = LoginPage { token: token.clone(), username: String::new(), next: query.into_inner().next, error: None };
    let mut response = page::html(StatusCode::OK, &page);
    response.add_cookie(&state.cookies.sign_in(token)).map_err(|e| ServiceError::Internal(e.into()))?;
    Ok(response)
}

#[derive(Debug, Deserialize)]
pub struct SignIn {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form<SignIn>,
) -> Result<HttpResponse, PageError> {
    if !visitor.sign_in_token.as_deref().is_some_and(|token| same_token(token, &form.csrf)) {
        return Err(PageError::Csrf);
    }
    let SignIn { username, password, next } = form.fields;
    let throttle = sessions::Throttle::new(&username, &visitor.client, &state.auth);
    let settings = state.console.clone();
    // Signing in again ends the session this browser held: one sign-in, one session.
    let previous = visitor.secret.clone();
    let start = move |conn: &mut _, user: &_| {
        if let Some(previous) = &previous {
            sessions::end_console(conn, previous)?;
        }
        sessions::start_console(conn, user, &settings)
    };
    let signed_in = sessions::sign_in(&state.pool, &state.hashing, throttle, username.clone(), password, start);
    let refused = |status, error: String| {
        let page =
            LoginPage { token: form.csrf.clone(), username: username.clone(), next: next.clone(), error: Some(error) };
        Ok(page::html(status, &page))
    };
    match signed_in.await {
        Ok((start, _)) => {
            let mut response = see_other(local_address(&next));
            let cookies = [
                state.cookies.session(start.secret, state.console.absolute_hours),
                state.cookies.removed(SIGN_IN_COOKIE),
            ];
            for cookie in &cookies {
                response.add_cookie(cookie).map_err(|e| ServiceError::Internal(e.into()))?;
            }
            Ok(response)
        }
        Err(ServiceError::Unauthorized(_)) => refused(StatusCode::UNAUTHORIZED, t("login.wrong").to_owned()),
        Err(ServiceError::Throttled { retry_after }) => {
            refused(StatusCode::TOO_MANY_REQUESTS, msg::with("login.throttled", retry_after.div_ceil(60)))
        }
        Err(ServiceError::Busy { retry_after }) => {
            let mut page = refused(StatusCode::SERVICE_UNAVAILABLE, t("login.busy").to_owned())?;
            page.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after));
            Ok(page)
        }
        Err(other) => Err(other.into()),
    }
}

/// Ends the session (its form carries the CSRF token like every other) and forgets the
/// cookie; a session already gone is simply signed out.
pub async fn sign_out(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form<NoFields>,
) -> Result<HttpResponse, PageError> {
    let secret = visitor.secret.clone();
    let ended = page::signed_in(&state, visitor, Some(form.csrf), "", move |conn, _, _| {
        secret.as_deref().map_or(Ok(()), |secret| sessions::end_console(conn, secret))
    })
    .await;
    match ended {
        Ok(()) | Err(PageError::SignedOut { .. }) => {
            let mut response = see_other("/login");
            response
                .add_cookie(&state.cookies.removed(SESSION_COOKIE))
                .map_err(|e| ServiceError::Internal(e.into()))?;
            Ok(response)
        }
        Err(other) => Err(other),
    }
}
