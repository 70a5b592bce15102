//! Signing in and out: checking a password under the sign-in throttle, and the refresh
//! tokens that keep a sign-in alive (each works once; a spent one presented again ends
//! its whole sign-in). Shared by the API's tokens and, to come, the console's sessions.
//!
//! Checking a password is deliberately slow, so a sign-in is three steps and the slow one
//! holds no connection: [`look_up`] (throttle, then the account), [`verify`] (no
//! connection), [`conclude`] (count the failure, or start the sign-in).

use crate::auth::{password, tokens};
use crate::config::AuthSettings;
use crate::db::login_failures;
use crate::db::refresh_tokens::{self, NewRefreshToken};
use crate::db::users::{self, User, UserRecord};
use crate::service::ServiceError;
use chrono::{Duration, Utc};
use diesel::{Connection, PgConnection};
use uuid::Uuid;

/// What the throttle counts a sign-in by: its username and its client, each with the
/// failures it may have in a window.
#[derive(Debug, Clone)]
pub struct Throttle {
    keys: [(String, i32); 2],
    window: Duration,
}

impl Throttle {
    pub fn new(username: &str, client: &str, limits: &AuthSettings) -> Self {
        Self {
            keys: [
                (format!("user:{}", username.trim().to_lowercase()), limits.max_failed_logins_per_user),
                (format!("client:{client}"), limits.max_failed_logins_per_client),
            ],
            window: Duration::minutes(limits.failed_login_window_minutes),
        }
    }
}

/// Refuses while the username or the client has used up its failures in the window;
/// otherwise the account of that username, if there is one.
pub fn look_up(conn: &mut PgConnection, throttle: &Throttle, username: &str) -> Result<Option<User>, ServiceError> {
    let names: Vec<&str> = throttle.keys.iter().map(|(key, _)| key.as_str()).collect();
    let exhausted = login_failures::current(conn, &names, throttle.window)?
        .into_iter()
        .filter(|f| throttle.keys.iter().any(|(key, limit)| *key == f.key && f.failures >= *limit))
        .map(|f| f.window_started_at + throttle.window)
        .max();
    if let Some(until) = exhausted {
        return Err(ServiceError::Throttled { retry_after: (until - Utc::now()).num_seconds().max(1) as u64 });
    }
    Ok(users::find_by_username(conn, username.trim())?)
}

/// The account, if `password` is its password and it is active. As slow when there is no
/// such account, so that timing does not tell which usernames exist.
pub fn verify(password: &str, account: Option<User>) -> Option<User> {
    match account {
        Some(user) => (password::verify(password, &user.password_hash) && user.active).then_some(user),
        None => {
            password::verify_against_nothing(password);
            None
        }
    }
}

/// Counts a failed sign-in against the throttle (401), or starts the sign-in: a new
/// refresh-token family, and the user.
pub fn conclude(
    conn: &mut PgConnection,
    throttle: &Throttle,
    verified: Option<User>,
    limits: &AuthSettings,
) -> Result<(String, UserRecord), ServiceError> {
    let Some(user) = verified else {
        for (key, _) in &throttle.keys {
            login_failures::record(conn, key, throttle.window)?;
        }
        return Err(ServiceError::Unauthorized("wrong username or password".into()));
    };
    conn.transaction(|conn| {
        login_failures::clear(conn, &throttle.keys[0].0)?;
        let token = issue_refresh_token(conn, user.id, Uuid::now_v7(), limits)?;
        Ok((token, users::record(conn, user)?))
    })
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

enum Rotation {
    Issued(String, UserRecord),
    /// Unknown, expired, revoked, or the account is inactive.
    Refused,
    /// A spent token came back: someone holds a copy. The family is revoked.
    Reused,
}

/// Trades a refresh token for the next one of its sign-in, and the user.
pub fn refresh(
    conn: &mut PgConnection,
    refresh_token: &str,
    limits: &AuthSettings,
) -> Result<(String, UserRecord), ServiceError> {
    // The revocation of a reused family commits although the answer is a refusal.
    let rotation = conn.transaction(|conn| {
        let Some(token) = refresh_tokens::find_for_update(conn, &tokens::fingerprint(refresh_token))? else {
            return Ok::<_, ServiceError>(Rotation::Refused);
        };
        if token.revoked_at.is_some() || token.expires_at <= Utc::now() {
            return Ok(Rotation::Refused);
        }
        if token.used_at.is_some() {
            refresh_tokens::revoke_family(conn, token.family_id)?;
            return Ok(Rotation::Reused);
        }
        let user = users::find(conn, token.user_id)?;
        if !user.active {
            return Ok(Rotation::Refused);
        }
        refresh_tokens::mark_used(conn, token.id)?;
        let next = issue_refresh_token(conn, user.id, token.family_id, limits)?;
        Ok(Rotation::Issued(next, users::record(conn, user)?))
    })?;
    match rotation {
        Rotation::Issued(token, record) => Ok((token, record)),
        Rotation::Refused => Err(ServiceError::Unauthorized("the refresh token is not valid; sign in again".into())),
        Rotation::Reused => Err(ServiceError::Unauthorized(
            "this refresh token was already used; every session of that sign-in is now closed".into(),
        )),
    }
}

/// Ends the sign-in a refresh token belongs to; an unknown token ends nothing.
pub fn sign_out(conn: &mut PgConnection, refresh_token: &str) -> Result<(), ServiceError> {
    if let Some(token) = refresh_tokens::find_for_update(conn, &tokens::fingerprint(refresh_token))? {
        refresh_tokens::revoke_family(conn, token.family_id)?;
    }
    Ok(())
}
