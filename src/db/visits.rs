use crate::db::TextArray;
use crate::db::schema::visits;
use crate::db::within_scope;
use crate::domain::StreetScope;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = visits, check_for_backend(diesel::pg::Pg))]
pub struct Visit {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub street_id: Option<Uuid>,
    pub counselor_id: Uuid,
    #[diesel(embed)]
    #[serde(flatten)]
    pub record: VisitRecord,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What the counselor records about a visit, and may correct later.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = visits, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct VisitRecord {
    pub visited_at: DateTime<Utc>,
    pub channel: String,
    #[diesel(deserialize_as = TextArray)]
    pub purposes: Vec<String>,
    pub participants: Option<String>,
    pub summary: String,
    pub findings: Option<String>,
    pub next_steps: Option<String>,
    pub follow_up_on: Option<NaiveDate>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// The filters of the visit lists; each is served by an index ending in (visited_at, id).
#[derive(Debug, Clone, Default)]
pub struct VisitFilter {
    pub enterprise_id: Option<Uuid>,
    pub counselor_id: Option<Uuid>,
    pub street_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

pub fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    enterprise_id: Uuid,
    counselor_id: Uuid,
    record: &VisitRecord,
) -> QueryResult<Visit> {
    diesel::insert_into(visits::table)
        .values((
            visits::id.eq(id),
            visits::enterprise_id.eq(enterprise_id),
            visits::counselor_id.eq(counselor_id),
            record,
        ))
        .returning(Visit::as_returning())
        .get_result(conn)
}

/// A visit, locked for the rest of the transaction; outside `scope` it is not there.
pub fn find_for_update(conn: &mut PgConnection, id: Uuid, scope: &StreetScope) -> QueryResult<Visit> {
    let visit = visits::table.find(id).select(Visit::as_select()).for_update().get_result(conn)?;
    within_scope(scope, visit.street_id, visit)
}

/// A visit; outside `scope` it is not there.
pub fn find(conn: &mut PgConnection, id: Uuid, scope: &StreetScope) -> QueryResult<Visit> {
    let visit = visits::table.find(id).select(Visit::as_select()).get_result(conn)?;
    within_scope(scope, visit.street_id, visit)
}

/// The enterprise a visit belongs to.
pub fn enterprise_of(conn: &mut PgConnection, id: Uuid) -> QueryResult<Uuid> {
    visits::table.find(id).select(visits::enterprise_id).get_result(conn)
}

pub fn update(conn: &mut PgConnection, id: Uuid, record: &VisitRecord) -> QueryResult<Visit> {
    diesel::update(visits::table.find(id))
        .set((record, visits::version.eq(visits::version + 1), visits::updated_at.eq(diesel::dsl::now)))
        .returning(Visit::as_returning())
        .get_result(conn)
}

/// Newest visit first, after the `(visited_at, id)` of the previous page.
pub fn list(
    conn: &mut PgConnection,
    filter: &VisitFilter,
    scope: &StreetScope,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Visit>> {
    let mut query = visits::table
        .select(Visit::as_select())
        .order((visits::visited_at.desc(), visits::id.desc()))
        .limit(limit)
        .into_boxed();
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(visits::street_id.eq_any(streets.clone()));
    }
    if let Some(enterprise) = filter.enterprise_id {
        query = query.filter(visits::enterprise_id.eq(enterprise));
    }
    if let Some(counselor) = filter.counselor_id {
        query = query.filter(visits::counselor_id.eq(counselor));
    }
    if let Some(street) = filter.street_id {
        query = query.filter(visits::street_id.eq(street));
    }
    if let Some(from) = filter.from {
        query = query.filter(visits::visited_at.ge(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(visits::visited_at.lt(to));
    }
    if let Some((at, id)) = after {
        query = query.filter(visits::visited_at.lt(at).or(visits::visited_at.eq(at).and(visits::id.lt(id))));
    }
    query.load(conn)
}

/// A follow-up a counselor promised.
#[derive(Debug, Clone, Queryable)]
pub struct FollowUp {
    pub visit_id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub follow_up_on: NaiveDate,
    pub summary: String,
}

/// Follow-ups due between `from` and `to` (inclusive) for live enterprises in `scope`.
pub fn follow_ups(
    conn: &mut PgConnection,
    scope: &StreetScope,
    from: NaiveDate,
    to: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<FollowUp>> {
    use crate::db::schema::enterprises;
    let mut query = visits::table
        .inner_join(enterprises::table)
        .filter(visits::follow_up_on.between(from, to))
        .filter(enterprises::archived_at.is_null())
        .select((
            visits::id,
            visits::enterprise_id,
            enterprises::name,
            visits::follow_up_on.assume_not_null(),
            visits::summary,
        ))
        .order((visits::follow_up_on, visits::id))
        .limit(limit)
        .into_boxed();
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(visits::street_id.eq_any(streets.clone()));
    }
    query.load(conn)
}
