//! Console sessions: a signed-in browser, found by the hash of its cookie's secret.

use crate::db::schema::console_sessions;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = console_sessions, check_for_backend(diesel::pg::Pg))]
pub struct ConsoleSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = console_sessions)]
pub struct NewConsoleSession<'a> {
    pub id: Uuid,
    pub token_hash: &'a [u8],
    pub user_id: Uuid,
    pub csrf_token: &'a str,
    pub expires_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, session: &NewConsoleSession) -> QueryResult<()> {
    diesel::insert_into(console_sessions::table).values(session).execute(conn).map(drop)
}

/// The session with this hash that has neither reached its end nor been idle since
/// `idle_since`.
pub fn find_live(
    conn: &mut PgConnection,
    hash: &[u8],
    idle_since: DateTime<Utc>,
) -> QueryResult<Option<ConsoleSession>> {
    console_sessions::table
        .filter(console_sessions::token_hash.eq(hash))
        .filter(console_sessions::expires_at.gt(diesel::dsl::now))
        .filter(console_sessions::last_seen_at.gt(idle_since))
        .select(ConsoleSession::as_select())
        .first(conn)
        .optional()
}

/// Marks the session as seen now (its idle clock starts again).
pub fn touch(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    diesel::update(console_sessions::table.find(id))
        .set(console_sessions::last_seen_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(drop)
}

pub fn delete(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<()> {
    diesel::delete(console_sessions::table.filter(console_sessions::token_hash.eq(hash))).execute(conn).map(drop)
}

/// Ends every console session of a user (deactivation, a new password).
pub fn delete_of_user(conn: &mut PgConnection, user: Uuid) -> QueryResult<()> {
    diesel::delete(console_sessions::table.filter(console_sessions::user_id.eq(user))).execute(conn).map(drop)
}

/// Forgets the user's sessions that have ended: swept at each sign-in, so that the table
/// holds little more than the live ones.
pub fn delete_ended(conn: &mut PgConnection, user: Uuid, idle_since: DateTime<Utc>) -> QueryResult<()> {
    diesel::delete(
        console_sessions::table.filter(console_sessions::user_id.eq(user)).filter(
            console_sessions::expires_at.le(diesel::dsl::now).or(console_sessions::last_seen_at.le(idle_since)),
        ),
    )
    .execute(conn)
    .map(drop)
}
