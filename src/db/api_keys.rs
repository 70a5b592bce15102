use crate::db::schema::api_keys;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_keys, check_for_backend(diesel::pg::Pg))]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    #[diesel(deserialize_as = crate::db::TextArray)]
    pub scopes: Vec<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = api_keys)]
pub struct NewApiKey<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub key_hash: &'a [u8],
    pub prefix: &'a str,
    pub scopes: Vec<&'a str>,
    pub created_by: Uuid,
}

pub fn insert(conn: &mut PgConnection, key: &NewApiKey) -> QueryResult<ApiKey> {
    diesel::insert_into(api_keys::table).values(key).returning(ApiKey::as_returning()).get_result(conn)
}

pub fn list(conn: &mut PgConnection, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<ApiKey>> {
    let mut query = api_keys::table.select(ApiKey::as_select()).order(api_keys::id).limit(limit).into_boxed();
    if let Some(after) = after {
        query = query.filter(api_keys::id.gt(after));
    }
    query.load(conn)
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<ApiKey> {
    api_keys::table.find(id).select(ApiKey::as_select()).for_update().get_result(conn)
}

pub fn revoke(conn: &mut PgConnection, id: Uuid) -> QueryResult<ApiKey> {
    diesel::update(api_keys::table.find(id))
        .set(api_keys::revoked_at.eq(diesel::dsl::now))
        .returning(ApiKey::as_returning())
        .get_result(conn)
}

/// The live key with this hash.
pub fn find_active(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<ApiKey>> {
    api_keys::table
        .filter(api_keys::key_hash.eq(hash))
        .filter(api_keys::revoked_at.is_null())
        .select(ApiKey::as_select())
        .first(conn)
        .optional()
}

/// Records use, at most once a minute per key, so that reads do not turn into a write
/// per request.
pub fn touch(conn: &mut PgConnection, id: Uuid) -> QueryResult<()> {
    let a_minute_ago = Utc::now() - chrono::Duration::minutes(1);
    diesel::update(api_keys::table.find(id))
        .filter(api_keys::last_used_at.is_null().or(api_keys::last_used_at.lt(a_minute_ago)))
        .set(api_keys::last_used_at.eq(diesel::dsl::now))
        .execute(conn)
        .map(drop)
}
