//! Signing in and out: `/auth/login`, `/auth/refresh`, `/auth/logout`, and `/me`.

use crate::auth::Caller;
use crate::auth::tokens::AccessTokens;
use crate::db::users::UserRecord;
use crate::http::problem::{ApiError, Problem};
use crate::http::resources::users::UserResponse;
use crate::http::support::extract::Json;
use crate::http::{AppState, authorized, unit_of_work};
use crate::service::accounts;
use crate::service::{ServiceError, sessions};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

fn token_response(
    access: &AccessTokens,
    refresh_token: String,
    user: UserRecord,
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
        (status = 503, description = "Too many passwords being checked at once, or the database did not answer within the pool timeout; retry after `Retry-After`", body = Problem,
            content_type = "application/problem+json", headers(("Retry-After" = u64))),
    )
)]
#[post("/auth/login")]
pub async fn login(
    state: web::Data<AppState>,
    access: web::Data<AccessTokens>,
    req: HttpRequest,
    Json(body): Json<LoginBody>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let client = crate::client::address(&req);
    let throttle = sessions::Throttle::new(&body.username, &client, &state.auth);
    let limits = state.auth.clone();
    let start = move |conn: &mut _, user: &_| sessions::start_tokens(conn, user, &limits);
    let (refresh_token, user) =
        sessions::sign_in(&state.pool, &state.hashing, throttle, body.username, body.password, start).await?;
    token_response(&access, refresh_token, user)
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
    let (refresh_token, user) =
        unit_of_work(&state.pool, move |conn| sessions::refresh(conn, &body.refresh_token, &limits)).await?;
    token_response(&access, refresh_token, user)
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
    unit_of_work(&state.pool, move |conn| sessions::sign_out(conn, &body.refresh_token)).await?;
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
    let record = authorized(&state, caller, accounts::me).await?;
    Ok(web::Json(UserResponse::from(record)))
}
