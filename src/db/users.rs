use crate::db::lower;
use crate::db::schema::{user_streets, users};
use crate::domain::Role;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    /// Never leaves the database layer: not in responses, not in the audit log.
    #[serde(skip)]
    pub password_hash: String,
    #[diesel(deserialize_as = String)]
    pub role: Role,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub id: Uuid,
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: &'a str,
}

/// Fields a PATCH may change; `None` leaves a field as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = users)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<String>,
    pub active: Option<bool>,
}

/// A user with the streets they are assigned to, as audited and shown.
#[derive(Debug, Clone, Serialize)]
pub struct UserRecord {
    #[serde(flatten)]
    pub user: User,
    pub street_ids: Vec<Uuid>,
}

pub fn insert(conn: &mut PgConnection, user: &NewUser) -> QueryResult<User> {
    diesel::insert_into(users::table).values(user).returning(User::as_returning()).get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).get_result(conn)
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).for_update().get_result(conn)
}

/// Case-insensitive, as the unique index is.
pub fn find_by_username(conn: &mut PgConnection, username: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(lower(users::username).eq(username.to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn update(conn: &mut PgConnection, id: Uuid, changes: &UserChanges) -> QueryResult<User> {
    diesel::update(users::table.find(id))
        .set((changes, users::updated_at.eq(diesel::dsl::now)))
        .returning(User::as_returning())
        .get_result(conn)
}

/// Users in id order after `after`.
pub fn list(conn: &mut PgConnection, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<User>> {
    let mut query = users::table.select(User::as_select()).order(users::id).limit(limit).into_boxed();
    if let Some(after) = after {
        query = query.filter(users::id.gt(after));
    }
    query.load(conn)
}

/// The display names of users, by id.
pub fn names_of(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> =
        users::table.filter(users::id.eq_any(ids)).select((users::id, users::display_name)).load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Active users who work requests of `street`: admins and managers (every street) and the
/// street's counselors, by name. The offer of an assignment form; the rule itself is
/// `domain::access::may_be_assigned`, checked when the assignment is made.
pub fn assignable(conn: &mut PgConnection, street: Option<Uuid>, limit: i64) -> QueryResult<Vec<(Uuid, String)>> {
    let counselors_of_street = user_streets::table
        .filter(user_streets::user_id.eq(users::id))
        .filter(user_streets::street_id.nullable().eq(street));
    users::table
        .filter(users::active.eq(true))
        .filter(
            users::role
                .eq_any([Role::Admin.as_str(), Role::Manager.as_str()])
                .or(users::role.eq(Role::Counselor.as_str()).and(diesel::dsl::exists(counselors_of_street))),
        )
        .order((users::display_name, users::id))
        .limit(limit)
        .select((users::id, users::display_name))
        .load(conn)
}

/// What a request needs to know about its user, in one round trip.
#[derive(Debug)]
pub struct Access {
    pub role: Role,
    pub active: bool,
    pub streets: Vec<Uuid>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = users, check_for_backend(diesel::pg::Pg))]
struct Standing {
    #[diesel(deserialize_as = String)]
    role: Role,
    active: bool,
}

/// One row per assigned street (one row with no street if there is none). A static
/// query, so diesel prepares it once per connection: this runs on every request.
pub fn access(conn: &mut PgConnection, user: Uuid) -> QueryResult<Option<Access>> {
    let rows: Vec<(Standing, Option<Uuid>)> = users::table
        .left_join(user_streets::table)
        .filter(users::id.eq(user))
        .select((Standing::as_select(), user_streets::street_id.nullable()))
        .load(conn)?;
    let mut rows = rows.into_iter();
    Ok(rows.next().map(|(standing, first)| Access {
        role: standing.role,
        active: standing.active,
        streets: first.into_iter().chain(rows.filter_map(|(_, street)| street)).collect(),
    }))
}

pub fn streets_of(conn: &mut PgConnection, user: Uuid) -> QueryResult<Vec<Uuid>> {
    user_streets::table
        .filter(user_streets::user_id.eq(user))
        .select(user_streets::street_id)
        .order(user_streets::street_id)
        .load(conn)
}

/// The streets of several users in one query.
pub fn streets_of_all(conn: &mut PgConnection, users: &[Uuid]) -> QueryResult<HashMap<Uuid, Vec<Uuid>>> {
    let pairs: Vec<(Uuid, Uuid)> = user_streets::table
        .filter(user_streets::user_id.eq_any(users))
        .select((user_streets::user_id, user_streets::street_id))
        .order((user_streets::user_id, user_streets::street_id))
        .load(conn)?;
    let mut streets: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for (user, street) in pairs {
        streets.entry(user).or_default().push(street);
    }
    Ok(streets)
}

pub fn set_streets(conn: &mut PgConnection, user: Uuid, streets: &[Uuid]) -> QueryResult<()> {
    diesel::delete(user_streets::table.filter(user_streets::user_id.eq(user))).execute(conn)?;
    let rows: Vec<_> =
        streets.iter().map(|street| (user_streets::user_id.eq(user), user_streets::street_id.eq(*street))).collect();
    diesel::insert_into(user_streets::table).values(rows).on_conflict_do_nothing().execute(conn).map(drop)
}

pub fn record(conn: &mut PgConnection, user: User) -> QueryResult<UserRecord> {
    let street_ids = streets_of(conn, user.id)?;
    Ok(UserRecord { user, street_ids })
}

pub fn active_admins(conn: &mut PgConnection) -> QueryResult<i64> {
    users::table.filter(users::role.eq(Role::Admin.as_str())).filter(users::active.eq(true)).count().get_result(conn)
}

/// The active managers and admins who oversee `street` (district-wide, or it among
/// their streets): whom a 督办 goes to.
pub fn managers_of(conn: &mut PgConnection, street: Option<Uuid>) -> QueryResult<Vec<Uuid>> {
    let streets_of_user = user_streets::table.filter(user_streets::user_id.eq(users::id));
    let serves_street = streets_of_user.filter(user_streets::street_id.nullable().eq(street));
    users::table
        .filter(users::active.eq(true))
        .filter(users::role.eq_any([Role::Admin.as_str(), Role::Manager.as_str()]))
        .filter(diesel::dsl::not(diesel::dsl::exists(streets_of_user)).or(diesel::dsl::exists(serves_street)))
        .order(users::id)
        .select(users::id)
        .load(conn)
}
