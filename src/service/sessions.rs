//! Signing in and out: checking a password under the sign-in throttle, then what keeps a
//! sign-in alive: the API's refresh tokens (each works once; a spent one presented again
//! ends its whole sign-in) or the console's sessions (a cookie's secret, with idle and
//! absolute ends). Both faces sign in through the same throttle and password check.
//!
//! Checking a password is deliberately slow, so a sign-in is three steps and the slow one
//! holds no connection: [`look_up`] (throttle, then the account), [`verify`] (no
//! connection), [`conclude`] (count the failure, or start the sign-in).

use crate::auth::{password, tokens};
use crate::config::{AuthSettings, ConsoleSettings};
use crate::db::console_sessions::{self, ConsoleSession, NewConsoleSession};
use crate::db::login_failures;
use crate::db::refresh_tokens::{self, NewRefreshToken};
use crate::db::users::{self, User, UserRecord};
use crate::service::ServiceError;
use chrono::{DateTime, Duration, Utc};
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

/// Counts a failed sign-in against the throttle (401), or starts the sign-in with `start`
/// (an API token family, a console session) and returns what it made, and the user.
pub fn conclude<T>(
    conn: &mut PgConnection,
    throttle: &Throttle,
    verified: Option<User>,
    start: impl FnOnce(&mut PgConnection, &User) -> Result<T, ServiceError>,
) -> Result<(T, UserRecord), ServiceError> {
    let Some(user) = verified else {
        for (key, _) in &throttle.keys {
            login_failures::record(conn, key, throttle.window)?;
        }
        return Err(ServiceError::Unauthorized("wrong username or password".into()));
    };
    conn.transaction(|conn| {
        login_failures::clear(conn, &throttle.keys[0].0)?;
        let started = start(conn, &user)?;
        Ok((started, users::record(conn, user)?))
    })
}

/// Starts an API sign-in: a new refresh-token family, whose first token it returns.
pub fn start_tokens(conn: &mut PgConnection, user: &User, limits: &AuthSettings) -> Result<String, ServiceError> {
    issue_refresh_token(conn, user.id, Uuid::now_v7(), limits)
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

/// A console sign-in as the browser holds it: the cookie's secret and the CSRF token its
/// forms carry.
#[derive(Debug, Clone)]
pub struct ConsoleStart {
    pub secret: String,
    pub csrf_token: String,
}

/// Starts a console session for a user who has just signed in, and sweeps the user's
/// ended ones.
pub fn start_console(
    conn: &mut PgConnection,
    user: &User,
    settings: &ConsoleSettings,
) -> Result<ConsoleStart, ServiceError> {
    let secret = tokens::random_secret("").map_err(ServiceError::Internal)?;
    let csrf_token = tokens::random_secret("").map_err(ServiceError::Internal)?;
    console_sessions::delete_ended(conn, user.id, idle_since(settings))?;
    console_sessions::insert(
        conn,
        &NewConsoleSession {
            id: Uuid::now_v7(),
            token_hash: &tokens::fingerprint(&secret),
            user_id: user.id,
            csrf_token: &csrf_token,
            expires_at: Utc::now() + Duration::hours(settings.absolute_hours),
        },
    )?;
    Ok(ConsoleStart { secret, csrf_token })
}

/// The live console session a cookie's secret opens, if any, its idle clock restarted.
/// The account behind it is checked by the caller's gate, as for every credential.
pub fn resume_console(
    conn: &mut PgConnection,
    secret: &str,
    settings: &ConsoleSettings,
) -> Result<Option<ConsoleSession>, ServiceError> {
    let Some(session) = console_sessions::find_live(conn, &tokens::fingerprint(secret), idle_since(settings))? else {
        return Ok(None);
    };
    // One write a minute at most: the idle clock needs no finer grain.
    if Utc::now() - session.last_seen_at > Duration::minutes(1) {
        console_sessions::touch(conn, session.id)?;
    }
    Ok(Some(session))
}

/// Ends the console session of a cookie's secret; an unknown one ends nothing.
pub fn end_console(conn: &mut PgConnection, secret: &str) -> Result<(), ServiceError> {
    Ok(console_sessions::delete(conn, &tokens::fingerprint(secret))?)
}

fn idle_since(settings: &ConsoleSettings) -> DateTime<Utc> {
    Utc::now() - Duration::minutes(settings.idle_minutes)
}
