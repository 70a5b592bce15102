//! 年度目标: how many enterprises should newly reach a rung in a year, per district or
//! street. A year's targets are replaced as a whole.

use crate::db::schema::targets;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = targets)]
pub struct Target {
    pub year: i32,
    pub region_id: Uuid,
    pub tier: String,
    pub target: i32,
    pub set_by: Uuid,
    pub set_at: DateTime<Utc>,
}

/// The year's targets, in a stable order.
pub fn of_year(conn: &mut PgConnection, year: i32) -> QueryResult<Vec<Target>> {
    targets::table
        .filter(targets::year.eq(year))
        .order((targets::region_id, targets::tier))
        .select(Target::as_select())
        .load(conn)
}

/// Replaces the year's targets with `new`; returns the ones it replaced.
pub fn replace_year(conn: &mut PgConnection, year: i32, new: &[Target]) -> QueryResult<Vec<Target>> {
    let old = diesel::delete(targets::table.filter(targets::year.eq(year)))
        .returning(Target::as_returning())
        .get_results(conn)?;
    diesel::insert_into(targets::table).values(new).execute(conn)?;
    Ok(old)
}
