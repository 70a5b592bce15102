//! Signing in and out: `/auth/login`, `/auth/refresh`, `/auth/logout`, and `/me`.

use crate::auth::tokens::{self, AccessTokens};
use crate::auth::{Caller, password};
use crate::config::AuthSettings;
use crate::db::refresh_tokens::{self, NewRefreshToken};
use crate::db::{login_failures, users};
use crate::domain::{Action, Principal};
use crate::http::problem::{ApiError, Problem};
use crate::http::resources::users::UserResponse;
use crate::http::support::extract::Json;
use crate::http::{AppState, authorized, unit_of_work};
use crate::service::ServiceError;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{Duration, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    #[schema(example = "li.counselor")]
    pub username: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshBody {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// A JWT to send as `Authorization: Bearer …`.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Trade it at `/auth/refresh` for a new pair; it works once.
    pub refresh_token: String,
    pub user: UserResponse,
}

/// The throttling keys of a sign-in and how many failures each may have.
fn throttle_keys(username: &str, req: &HttpRequest, limits: &AuthSettings) -> [(String, i32); 2] {
    let client = req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default();
    [
        (format!("user:{}", username.trim().to_lowercase()), limits.max_failed_logins_per_user),
        (format!("client:{client}"), limits.max_failed_logins_per_client),
    ]
}

/// 429 while any key has used up its failures in the current window.
fn check_throttle(conn: &mut PgConnection, keys: &[(String, i32)], window: Duration) -> Result<(), ServiceError> {
    let names: Vec<&str> = keys.iter().map(|(key, _)| key.as_str()).collect();
    let exhausted = login_failures::current(conn, &names, window)?
        .into_iter()
        .filter(|f| keys.iter().any(|(key, limit)| *key == f.key && f.failures >= *limit))
        .map(|f| f.window_started_at + window)
        .max();
    match exhausted {
        Some(until) => Err(ServiceError::Throttled { retry_after: (until - Utc::now()).num_seconds().max(1) as u64 }),
        None => Ok(()),
    }
}

/// Starts (or continues) a refresh-token family and returns the token.
fn issue_refresh_token(
    conn: &mut PgConnection,
    user: Uuid,
    family: Uuid,
    limits: &AuthSettings,
) -> Result<String, ServiceError> {
    let token = tokens::random_secret("").map_err(ServiceError::Internal)?;
    let hash = tokens::fingerprint(&token);
    let expires_at = Utc::now() + Duration::days(limits.refresh_token_days);
    refresh_tokens::insert(
        conn,
        &NewRefreshToken { id: Uuid::now_v7(), family_id: family, user_id: user, token_hash: &hash, expires_at },
    )?;
    Ok(token)
}

fn token_response(
    access: &AccessTokens,
    refresh_token: String,
    user: users::UserRecord,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let (access_token, expires_in) = access.issue(user.user.id).map_err(ServiceError::Internal)?;
    Ok(web::Json(TokenResponse {
        access_token,
        token_type: "Bearer",
        expires_in,
        refresh_token,
        user: UserResponse::from(user),
    }))
}

/// Sign in with username and password. Repeated failures for a username or from a client
/// address are answered with 429 and `Retry-After` for the rest of the window.
#[utoipa::path(
    tag = "session",
    security(()),
    request_body = LoginBody,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Wrong username or password, or inactive account", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures", body = Problem, content_type = "application/problem+json",
            headers(("Retry-After" = u64))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    access: web::Data<AccessTokens>,
    req: HttpRequest,
    Json(body): Json<LoginBody>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let limits = state.auth.clone();
    let window = Duration::minutes(limits.failed_login_window_minutes);
    let keys = throttle_keys(&body.username, &req, &limits);
    let (lookup_keys, username) = (keys.clone(), body.username.trim().to_owned());
    let user = unit_of_work(&state.pool, move |conn| {
        check_throttle(conn, &lookup_keys, window)?;
        Ok(users::find_by_username(conn, &username)?)
    })
    .await?;

    // The slow part runs on the blocking pool without holding a connection.
    let password = body.password;
    let verified = web::block(move || match user {
        Some(user) => (password::verify(&password, &user.password_hash) && user.active).then_some(user),
        None => {
            password::verify_against_nothing(&password);
            None
        }
    })
    .await?;

    let Some(user) = verified else {
        unit_of_work(&state.pool, move |conn| {
            keys.iter().try_for_each(|(key, _)| login_failures::record(conn, key, window)).map_err(ServiceError::from)
        })
        .await?;
        return Err(ServiceError::Unauthorized("wrong username or password".into()).into());
    };
    let (refresh_token, record) = unit_of_work(&state.pool, move |conn| {
        conn.transaction(|conn| {
            login_failures::clear(conn, &keys[0].0)?;
            let token = issue_refresh_token(conn, user.id, Uuid::now_v7(), &limits)?;
            Ok((token, users::record(conn, user)?))
        })
    })
    .await?;
    token_response(&access, refresh_token, record)
}

enum Rotation {
    Issued(String, users::UserRecord),
    /// Unknown, expired, revoked, or the account is inactive.
    Refused,
    /// A spent token came back: someone holds a copy. The family is revoked.
    Reused,
}

/// Trade a refresh token for a new access and refresh token. Each refresh token works
/// once; presenting a spent one again revokes every token of that sign-in (401).
#[utoipa::path(
    tag = "session",
    security(()),
    request_body = RefreshBody,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "Unknown, expired, revoked or reused token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    access: web::Data<AccessTokens>,
    Json(body): Json<RefreshBody>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let limits = state.auth.clone();
    let rotation = unit_of_work(&state.pool, move |conn| {
        conn.transaction(|conn| {
            let Some(token) = refresh_tokens::find_for_update(conn, &tokens::fingerprint(&body.refresh_token))? else {
                return Ok(Rotation::Refused);
            };
            if token.revoked_at.is_some() || token.expires_at <= Utc::now() {
                return Ok(Rotation::Refused);
            }
            if token.used_at.is_some() {
                // Committed, although the answer is 401: the family stays revoked.
                refresh_tokens::revoke_family(conn, token.family_id)?;
                return Ok(Rotation::Reused);
            }
            let user = users::find(conn, token.user_id)?;
            if !user.active {
                return Ok(Rotation::Refused);
            }
            refresh_tokens::mark_used(conn, token.id)?;
            let next = issue_refresh_token(conn, user.id, token.family_id, &limits)?;
            Ok(Rotation::Issued(next, users::record(conn, user)?))
        })
    })
    .await?;
    match rotation {
        Rotation::Issued(token, record) => token_response(&access, token, record),
        Rotation::Refused => {
            Err(ServiceError::Unauthorized("the refresh token is not valid; sign in again".into()).into())
        }
        Rotation::Reused => Err(ServiceError::Unauthorized(
            "this refresh token was already used; every session of that sign-in is now closed".into(),
        )
        .into()),
    }
}

/// Sign out: the refresh token and every token of its sign-in stop working.
#[utoipa::path(
    tag = "session",
    security(()),
    request_body = RefreshBody,
    responses((status = 204, description = "Signed out (also for unknown tokens)"))
)]
#[post("/auth/logout")]
pub async fn logout(state: web::Data<AppState>, Json(body): Json<RefreshBody>) -> Result<HttpResponse, ApiError> {
    unit_of_work(&state.pool, move |conn| {
        if let Some(token) = refresh_tokens::find_for_update(conn, &tokens::fingerprint(&body.refresh_token))? {
            refresh_tokens::revoke_family(conn, token.family_id)?;
        }
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The signed-in user.
#[utoipa::path(
    tag = "session",
    responses(
        (status = 200, body = UserResponse),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "API keys are not users", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/me")]
pub async fn me(state: web::Data<AppState>, caller: Caller) -> Result<web::Json<UserResponse>, ApiError> {
    let record = authorized(&state, caller, Action::ReadSelf, |conn, auth| match auth.principal {
        Principal::User { id, .. } => {
            let user = users::find(conn, id)?;
            Ok(users::record(conn, user)?)
        }
        Principal::ApiKey { .. } => Err(ServiceError::Forbidden("an API key is not a user".into())),
    })
    .await?;
    Ok(web::Json(UserResponse::from(record)))
}
