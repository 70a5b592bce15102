use crate::db::schema::regions;
use crate::domain::RegionKind;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = regions, check_for_backend(diesel::pg::Pg))]
pub struct Region {
    pub id: Uuid,
    #[diesel(deserialize_as = String)]
    pub kind: RegionKind,
    pub code: String,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = regions)]
pub struct NewRegion<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub code: &'a str,
    pub name: &'a str,
    pub parent_id: Option<Uuid>,
}

pub fn insert(conn: &mut PgConnection, region: &NewRegion) -> QueryResult<Region> {
    diesel::insert_into(regions::table).values(region).returning(Region::as_returning()).get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Region> {
    regions::table.find(id).select(Region::as_select()).get_result(conn)
}

/// Every region; a district has a few hundred at most, a province a few thousand.
pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Region>> {
    regions::table.order(regions::code).select(Region::as_select()).load(conn)
}
