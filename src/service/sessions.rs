//! Signing in and out: checking a password under the sign-in throttle, then what keeps a
//! sign-in alive: the API's refresh tokens (each works once; a spent one presented again
//! ends its whole sign-in) or the console's sessions (a cookie's secret, with idle and
//! absolute ends). Both faces sign in through the same throttle and password check.
//!
//! Checking a password is deliberately slow, so a sign-in ([`sign_in`]) is three steps and
//! the slow one holds no connection: count the attempt and find the account, check the
//! password on the hashing threads, then take the attempt back and start the sign-in.

use crate::auth::password::{self, Busy, Hashing, Scratch};
use crate::auth::tokens;
use crate::config::{AuthSettings, ConsoleSettings};
use crate::db::PgPool;
use crate::db::console_sessions::{self, ConsoleSession, NewConsoleSession};
use crate::db::login_failures;
use crate::db::refresh_tokens::{self, NewRefreshToken};
use crate::db::users::{self, User, UserRecord};
use crate::service::{ServiceError, unit_of_work};
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

    /// Takes back the attempt counted against each key.
    fn take_back(&self, conn: &mut PgConnection) -> Result<(), ServiceError> {
        for (key, _) in &self.keys {
            login_failures::take_back(conn, key)?;
        }
        Ok(())
    }
}

/// Signs in with `password`, under the throttle: the attempt is counted against the
/// username and the client before the password is checked (so that racing guesses are
/// counted one after another, each refused past the limit), the check runs on the
/// hashing threads with no connection held, and on success the attempt is taken back and
/// `start` begins what keeps the sign-in alive (an API token family, a console session).
/// Wrong username or password: 401, as slow when there is no such account, so that
/// timing does not tell which usernames exist.
pub async fn sign_in<T, S>(
    pool: &PgPool,
    hashing: &Hashing,
    throttle: Throttle,
    username: String,
    password: String,
    start: S,
) -> Result<(T, UserRecord), ServiceError>
where
    T: Send + 'static,
    S: FnOnce(&mut PgConnection, &User) -> Result<T, ServiceError> + Send + 'static,
{
    let counting = throttle.clone();
    let account = unit_of_work(pool, move |conn| admit(conn, &counting, &username)).await?;
    let verified = match hashing.run(move |scratch| verify(scratch, &password, account)).await {
        Ok(verified) => verified,
        Err(Busy) => {
            // Not checked, so not a failure.
            unit_of_work(pool, move |conn| throttle.take_back(conn)).await?;
            return Err(ServiceError::Busy { retry_after: 1 });
        }
    };
    unit_of_work(pool, move |conn| conclude(conn, &throttle, verified, start)).await
}

/// Counts the attempt against each key and refuses it past a limit (the count then
/// rolled back, so refusals do not lengthen the wait); otherwise the account of that
/// username, if there is one.
fn admit(conn: &mut PgConnection, throttle: &Throttle, username: &str) -> Result<Option<User>, ServiceError> {
    conn.transaction(|conn| {
        let mut exhausted = None;
        for (key, limit) in &throttle.keys {
            let counted = login_failures::count_attempt(conn, key, throttle.window)?;
            if counted.failures > *limit {
                exhausted = exhausted.max(Some(counted.window_started_at + throttle.window));
            }
        }
        if let Some(until) = exhausted {
            return Err(ServiceError::Throttled { retry_after: (until - Utc::now()).num_seconds().max(1) as u64 });
        }
        Ok(users::find_by_username(conn, username.trim())?)
    })
}

/// The account, if `password` is its password and it is active.
fn verify(scratch: &mut Scratch, password: &str, account: Option<User>) -> Option<User> {
    match account {
        Some(user) => (password::verify(scratch, password, &user.password_hash) && user.active).then_some(user),
        None => {
            password::verify_against_nothing(scratch, password);
            None
        }
    }
}

/// A failed sign-in stays counted (401); a good one clears the username's failures, takes
/// its attempt back from the client's and starts the sign-in with `start`.
fn conclude<T>(
    conn: &mut PgConnection,
    throttle: &Throttle,
    verified: Option<User>,
    start: impl FnOnce(&mut PgConnection, &User) -> Result<T, ServiceError>,
) -> Result<(T, UserRecord), ServiceError> {
    let Some(user) = verified else {
        return Err(ServiceError::Unauthorized("wrong username or password".into()));
    };
    conn.transaction(|conn| {
        let [(user_key, _), (client_key, _)] = &throttle.keys;
        login_failures::clear(conn, user_key)?;
        login_failures::take_back(conn, client_key)?;
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
