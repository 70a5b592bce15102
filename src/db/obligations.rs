//! 义务 items per enterprise: made from configuration, ticked off by counselors.

use crate::db::schema::{enterprises, obligations};
use crate::domain::StreetScope;
use crate::domain::obligation::{Dates, Wants};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Date, Integer, Text, Uuid as SqlUuid};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = obligations, check_for_backend(diesel::pg::Pg))]
pub struct Item {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub street_id: Option<Uuid>,
    pub certificate_id: Option<Uuid>,
    pub code: String,
    pub period: i32,
    pub due_on: NaiveDate,
    pub national_due_on: NaiveDate,
    pub done_at: Option<DateTime<Utc>>,
    pub done_by: Option<Uuid>,
    pub evidence: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An item with the name of its enterprise, for lists.
#[derive(Debug, Clone, Queryable)]
pub struct Listed {
    pub item: Item,
    pub enterprise_name: String,
}

/// Makes the item of `code` reporting on `dates.period` for every live certificate of
/// `tiers` whose term covers the nation's date (it began before and ends on or after it);
/// an item already made is left as it is. `only` limits it to some enterprises. Returns
/// how many were made.
pub fn materialize_annual(
    conn: &mut PgConnection,
    code: &str,
    tiers: &[String],
    dates: &Dates,
    only: Option<&[Uuid]>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "INSERT INTO obligations (id, enterprise_id, street_id, certificate_id, code, period, due_on, national_due_on)
         SELECT gen_random_uuid(), c.enterprise_id, e.street_id, c.id, $1, $3, $4, $5
         FROM certificates c JOIN enterprises e ON e.id = c.enterprise_id AND e.archived_at IS NULL
         WHERE c.tier = ANY($2) AND c.ended_on IS NULL AND c.effective_on < $5
           AND (c.valid_until IS NULL OR c.valid_until >= $5) AND ($6::uuid[] IS NULL OR c.enterprise_id = ANY($6))
         ON CONFLICT (enterprise_id, code, period) DO NOTHING",
    )
    .bind::<Text, _>(code)
    .bind::<Array<Text>, _>(tiers)
    .bind::<Integer, _>(dates.period)
    .bind::<Date, _>(dates.due_on)
    .bind::<Date, _>(dates.national_due_on)
    .bind::<diesel::sql_types::Nullable<Array<SqlUuid>>, _>(only)
    .execute(conn)
}

/// Drops the open items of certificates that ended before the item fell due: a lapsed
/// rung owes nothing more.
pub fn drop_ended(conn: &mut PgConnection, only: Option<&[Uuid]>) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM obligations o USING certificates c
         WHERE o.certificate_id = c.id AND o.done_at IS NULL AND c.ended_on IS NOT NULL
           AND c.ended_on < o.national_due_on AND ($1::uuid[] IS NULL OR o.enterprise_id = ANY($1))",
    )
    .bind::<diesel::sql_types::Nullable<Array<SqlUuid>>, _>(only)
    .execute(conn)
}

/// Makes one item (a change to report) unless the enterprise already owes it for the period.
pub fn insert_one(
    conn: &mut PgConnection,
    enterprise_id: Uuid,
    code: &str,
    period: i32,
    due_on: NaiveDate,
) -> QueryResult<Option<Item>> {
    diesel::insert_into(obligations::table)
        .values((
            obligations::id.eq(Uuid::now_v7()),
            obligations::enterprise_id.eq(enterprise_id),
            obligations::code.eq(code),
            obligations::period.eq(period),
            obligations::due_on.eq(due_on),
            obligations::national_due_on.eq(due_on),
        ))
        .on_conflict_do_nothing()
        .returning(Item::as_returning())
        .get_result(conn)
        .optional()
}

/// Every item of an enterprise, latest due first.
pub fn of_enterprise(conn: &mut PgConnection, enterprise_id: Uuid) -> QueryResult<Vec<Item>> {
    obligations::table
        .filter(obligations::enterprise_id.eq(enterprise_id))
        .order((obligations::due_on.desc(), obligations::code))
        .select(Item::as_select())
        .load(conn)
}

/// One item, locked; not found when it lies outside `scope`.
pub fn find_for_update(conn: &mut PgConnection, id: Uuid, scope: &StreetScope) -> QueryResult<Item> {
    let item: Item = obligations::table.find(id).select(Item::as_select()).for_update().first(conn)?;
    crate::db::within_scope(scope, item.street_id, item)
}

pub fn mark_done(conn: &mut PgConnection, id: Uuid, by: Option<Uuid>, evidence: Option<&str>) -> QueryResult<Item> {
    diesel::update(obligations::table.find(id))
        .set((
            obligations::done_at.eq(diesel::dsl::now),
            obligations::done_by.eq(by),
            obligations::evidence.eq(evidence),
        ))
        .returning(Item::as_returning())
        .get_result(conn)
}

#[derive(Debug, Clone)]
pub struct Filter {
    /// All items when `None`.
    pub wanted: Option<Wants>,
    pub street_id: Option<Uuid>,
    pub due_before: Option<NaiveDate>,
    pub today: NaiveDate,
}

/// Items in `scope` by due date, then id, the page after `after`.
pub fn list(
    conn: &mut PgConnection,
    scope: &StreetScope,
    filter: &Filter,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Listed>> {
    let mut query = obligations::table
        .inner_join(enterprises::table)
        .filter(enterprises::archived_at.is_null())
        .order((obligations::due_on, obligations::id))
        .limit(limit)
        .select((Item::as_select(), enterprises::name))
        .into_boxed();
    query = match filter.wanted {
        Some(Wants::Due) => query.filter(obligations::done_at.is_null().and(obligations::due_on.ge(filter.today))),
        Some(Wants::Overdue) => query.filter(obligations::done_at.is_null().and(obligations::due_on.lt(filter.today))),
        Some(Wants::Open) => query.filter(obligations::done_at.is_null()),
        Some(Wants::Done) => query.filter(obligations::done_at.is_not_null()),
        None => query,
    };
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(obligations::street_id.eq_any(streets.clone()));
    }
    if let Some(street) = filter.street_id {
        query = query.filter(obligations::street_id.eq(street));
    }
    if let Some(before) = filter.due_before {
        query = query.filter(obligations::due_on.lt(before));
    }
    if let Some((due_on, id)) = after {
        query =
            query.filter(obligations::due_on.gt(due_on).or(obligations::due_on.eq(due_on).and(obligations::id.gt(id))));
    }
    query
        .load::<(Item, String)>(conn)
        .map(|rows| rows.into_iter().map(|(item, enterprise_name)| Listed { item, enterprise_name }).collect())
}

/// How many open items in `scope` (and `street`) are past due on `today`.
pub fn count_overdue(
    conn: &mut PgConnection,
    scope: &StreetScope,
    street: Option<Uuid>,
    today: NaiveDate,
) -> QueryResult<i64> {
    let mut query = obligations::table
        .filter(obligations::done_at.is_null().and(obligations::due_on.lt(today)))
        .count()
        .into_boxed();
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(obligations::street_id.eq_any(streets.clone()));
    }
    if let Some(street) = street {
        query = query.filter(obligations::street_id.eq(street));
    }
    query.get_result(conn)
}

/// One street's figures for one obligation over the items due in a year.
#[derive(Debug, Clone, QueryableByName)]
pub struct Completion {
    #[diesel(sql_type = diesel::sql_types::Nullable<SqlUuid>)]
    pub street_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub code: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub total: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub done: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub on_time: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub overdue: i64,
}

/// Per street and obligation, the items due in `from..=to`: made, done, done by their
/// date (on the bureau's calendar, `time_zone`), and open past due on `today`.
pub fn completion(
    conn: &mut PgConnection,
    scope: &StreetScope,
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
    time_zone: &str,
) -> QueryResult<Vec<Completion>> {
    diesel::sql_query(
        "SELECT street_id, code, count(*) AS total, count(done_at) AS done,
                count(*) FILTER (WHERE (done_at AT TIME ZONE $4)::date <= due_on) AS on_time,
                count(*) FILTER (WHERE done_at IS NULL AND due_on < $3) AS overdue
         FROM obligations
         WHERE due_on BETWEEN $1 AND $2 AND ($5::uuid[] IS NULL OR street_id = ANY($5))
         GROUP BY street_id, code",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .bind::<Date, _>(today)
    .bind::<Text, _>(time_zone)
    .bind::<diesel::sql_types::Nullable<Array<SqlUuid>>, _>(crate::db::scope_streets(scope))
    .load(conn)
}

/// Per enterprise of `ids`, for codes whose missing may cost the certificate: how many of
/// its latest periods in a row were not done by the nation's date, by `today`.
pub fn missed_in_a_row(
    conn: &mut PgConnection,
    ids: &[Uuid],
    today: NaiveDate,
) -> QueryResult<Vec<(Uuid, String, i64)>> {
    let rows = obligations::table
        .filter(obligations::enterprise_id.eq_any(ids))
        .filter(obligations::national_due_on.lt(today))
        .order((obligations::enterprise_id, obligations::code, obligations::period.desc()))
        .select((obligations::enterprise_id, obligations::code, obligations::done_at.is_null()))
        .load::<(Uuid, String, bool)>(conn)?;
    let mut runs: Vec<(Uuid, String, i64)> = Vec::new();
    let mut broken = false;
    for (enterprise, code, missed) in rows {
        match runs.last_mut() {
            Some((e, c, run)) if *e == enterprise && *c == code => {
                if !broken && missed {
                    *run += 1;
                } else {
                    broken = true;
                }
            }
            _ => {
                broken = !missed;
                runs.push((enterprise, code, i64::from(missed)));
            }
        }
    }
    Ok(runs)
}
