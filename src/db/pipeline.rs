//! The queries behind the pipeline reports: the maintained aggregates (migrations
//! 2026-11-23-000006 and 000007) and the request report's index-only scans.

use crate::db::schema::enterprise_counts;
use crate::domain::StreetScope;
use crate::domain::service_request::Stage;
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

/// How many live enterprises of one street, park, cluster and tier there are. No street,
/// park or cluster reads as `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub street_id: Option<Uuid>,
    pub park_id: Option<Uuid>,
    pub cluster: Option<String>,
    pub tier: String,
    pub n: i64,
}

/// Where to count.
#[derive(Debug, Clone, Default)]
pub struct CountFilter {
    /// Only these streets (a district's, or one street).
    pub streets: Option<Vec<Uuid>>,
    pub park_id: Option<Uuid>,
    pub cluster: Option<String>,
}

/// The non-zero counters within `scope` and `filter`.
pub fn counts(conn: &mut PgConnection, scope: &StreetScope, filter: &CountFilter) -> QueryResult<Vec<Count>> {
    let mut query = enterprise_counts::table.filter(enterprise_counts::n.gt(0)).into_boxed();
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(enterprise_counts::street_id.eq_any(streets.clone()));
    }
    if let Some(streets) = &filter.streets {
        query = query.filter(enterprise_counts::street_id.eq_any(streets.clone()));
    }
    if let Some(park) = filter.park_id {
        query = query.filter(enterprise_counts::park_id.eq(park));
    }
    if let Some(cluster) = &filter.cluster {
        query = query.filter(enterprise_counts::cluster.eq(cluster.clone()));
    }
    let rows: Vec<(Uuid, Uuid, String, String, i64)> = query
        .select((
            enterprise_counts::street_id,
            enterprise_counts::park_id,
            enterprise_counts::cluster,
            enterprise_counts::tier,
            enterprise_counts::n,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(street_id, park_id, cluster, tier, n)| Count {
            street_id: unless_nil(street_id),
            park_id: unless_nil(park_id),
            cluster: (!cluster.is_empty()).then_some(cluster),
            tier,
            n,
        })
        .collect())
}

/// Reads the nil-UUID sentinel of the counters back as "none". (The raw queries below do
/// the same in SQL, with `nullif`.)
fn unless_nil(id: Uuid) -> Option<Uuid> {
    (!id.is_nil()).then_some(id)
}

/// Entrants to a rung in one year and street by one transition, and how many of them
/// climbed further within one, two and three years of entering.
#[derive(Debug, Clone, QueryableByName)]
pub struct FunnelCount {
    #[diesel(sql_type = Integer)]
    pub entry_year: i32,
    /// `None`: enterprises not assigned to a street.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub street_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub from_tier: String,
    #[diesel(sql_type = Text)]
    pub tier: String,
    #[diesel(sql_type = BigInt)]
    pub entrants: i64,
    #[diesel(sql_type = BigInt)]
    pub within_1y: i64,
    #[diesel(sql_type = BigInt)]
    pub within_2y: i64,
    #[diesel(sql_type = BigInt)]
    pub within_3y: i64,
}

/// The funnel counters of entry years `years` within `scope`.
pub fn funnel(conn: &mut PgConnection, scope: &StreetScope, years: (i32, i32)) -> QueryResult<Vec<FunnelCount>> {
    diesel::sql_query(
        "SELECT entry_year, nullif(street_id, '00000000-0000-0000-0000-000000000000') AS street_id, from_tier, tier, entrants, within_1y, within_2y, within_3y
         FROM funnel_counts
         WHERE entry_year BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR street_id = ANY($3)) AND entrants > 0",
    )
    .bind::<Integer, _>(years.0)
    .bind::<Integer, _>(years.1)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope.streets())
    .load(conn)
}

/// Applications of one batch year, street and tier in one status.
#[derive(Debug, Clone, QueryableByName)]
pub struct ApplicationCount {
    #[diesel(sql_type = Integer)]
    pub batch_year: i32,
    /// `None`: enterprises not assigned to a street.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub street_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub tier: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// The application counters of batch years `years` within `scope`.
pub fn application_counts(
    conn: &mut PgConnection,
    scope: &StreetScope,
    years: (i32, i32),
) -> QueryResult<Vec<ApplicationCount>> {
    diesel::sql_query(
        "SELECT batch_year, nullif(street_id, '00000000-0000-0000-0000-000000000000') AS street_id, tier, status, n
         FROM application_counts
         WHERE batch_year BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR street_id = ANY($3)) AND n > 0",
    )
    .bind::<Integer, _>(years.0)
    .bind::<Integer, _>(years.1)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope.streets())
    .load(conn)
}

/// Live enterprises of one street and tier, and how many of them were visited on or
/// after the cut-off day.
#[derive(Debug, Clone, QueryableByName)]
pub struct CoverageCount {
    /// `None`: enterprises not assigned to a street.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub street_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub tier: String,
    #[diesel(sql_type = BigInt)]
    pub enterprises: i64,
    #[diesel(sql_type = BigInt)]
    pub visited: i64,
}

/// Coverage per street and tier since `since` (a day in the bureau's calendar). Totals
/// come from the pipeline counters; the visited from the days since `since` only.
pub fn coverage(conn: &mut PgConnection, scope: &StreetScope, since: NaiveDate) -> QueryResult<Vec<CoverageCount>> {
    diesel::sql_query(
        "SELECT nullif(street_key, '00000000-0000-0000-0000-000000000000') AS street_id, tier, sum(enterprises)::bigint AS enterprises, sum(visited)::bigint AS visited
         FROM (SELECT street_id AS street_key, tier, n AS enterprises, 0 AS visited
               FROM enterprise_counts WHERE $2::uuid[] IS NULL OR street_id = ANY($2)
               UNION ALL
               SELECT street_id, tier, 0, n
               FROM coverage_counts WHERE last_visited_on >= $1 AND ($2::uuid[] IS NULL OR street_id = ANY($2))) AS c
         GROUP BY street_key, tier
         HAVING sum(enterprises) > 0",
    )
    .bind::<Date, _>(since)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope.streets())
    .load(conn)
}

/// Unresolved service requests of one category and street now, and how many are overdue.
#[derive(Debug, Clone, QueryableByName)]
pub struct Backlog {
    #[diesel(sql_type = Text)]
    pub category: String,
    /// `None`: enterprises not assigned to a street.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub street_id: Option<Uuid>,
    #[diesel(sql_type = BigInt)]
    pub open: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue: i64,
}

/// The backlog within `scope`, from the unresolved requests' partial index alone.
pub fn backlog(conn: &mut PgConnection, scope: &StreetScope) -> QueryResult<Vec<Backlog>> {
    diesel::sql_query(
        "SELECT category, street_id,
                count(*) FILTER (WHERE stage <> $2) AS open, count(*) FILTER (WHERE stage_due_at < now()) AS overdue
         FROM service_requests
         WHERE stage IS NOT NULL AND ($1::uuid[] IS NULL OR street_id = ANY($1))
         GROUP BY 1, 2",
    )
    .bind::<Nullable<Array<SqlUuid>>, _>(scope.streets())
    .bind::<diesel::sql_types::Text, _>(Stage::Callback.as_str())
    .load(conn)
}

/// Resolutions and ratings of one month, street and category (migration 000007).
#[derive(Debug, Clone, QueryableByName)]
pub struct RequestMonth {
    #[diesel(sql_type = Text)]
    pub category: String,
    /// `None`: enterprises not assigned to a street.
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub street_id: Option<Uuid>,
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
    #[diesel(sql_type = Double)]
    pub hours_total: f64,
    /// Resolutions per bucket of `RESOLUTION_BOUNDS`.
    #[diesel(sql_type = Array<BigInt>)]
    pub hours_histogram: Vec<i64>,
    #[diesel(sql_type = BigInt)]
    pub rated: i64,
    #[diesel(sql_type = BigInt)]
    pub rating_total: i64,
}

/// The request counters of the months from `months.0` to `months.1` (first days).
pub fn request_months(
    conn: &mut PgConnection,
    scope: &StreetScope,
    months: (NaiveDate, NaiveDate),
) -> QueryResult<Vec<RequestMonth>> {
    diesel::sql_query(
        "SELECT category, nullif(street_id, '00000000-0000-0000-0000-000000000000') AS street_id, resolved, hours_total, hours_histogram, rated, rating_total
         FROM request_month_counts
         WHERE month BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR street_id = ANY($3))",
    )
    .bind::<Date, _>(months.0)
    .bind::<Date, _>(months.1)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope.streets())
    .load(conn)
}

/// The service desk's figures of the requests raised in one month, street and category
/// (migration 000017's `request_cohort_counts`).
#[derive(Debug, Clone, QueryableByName)]
pub struct RequestCohort {
    #[diesel(sql_type = Text)]
    pub category: String,
    /// `None`: not in a street (its enterprise has none, or a department holds it).
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub street_id: Option<Uuid>,
    #[diesel(sql_type = BigInt)]
    pub raised: i64,
    #[diesel(sql_type = BigInt)]
    pub acknowledged: i64,
    #[diesel(sql_type = BigInt)]
    pub acknowledged_on_time: i64,
    #[diesel(sql_type = BigInt)]
    pub contacted: i64,
    #[diesel(sql_type = BigInt)]
    pub contacted_on_time: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved_on_time: i64,
    #[diesel(sql_type = BigInt)]
    pub called_back: i64,
    #[diesel(sql_type = BigInt)]
    pub called_back_on_time: i64,
    #[diesel(sql_type = BigInt)]
    pub callbacks: i64,
    #[diesel(sql_type = BigInt)]
    pub callback_rating_total: i64,
    #[diesel(sql_type = BigInt)]
    pub reopened: i64,
    #[diesel(sql_type = BigInt)]
    pub extended: i64,
    #[diesel(sql_type = BigInt)]
    pub extensions: i64,
}

/// The desk's counters of requests raised from `months.0` to `months.1` (first days).
pub fn request_cohorts(
    conn: &mut PgConnection,
    scope: &StreetScope,
    months: (NaiveDate, NaiveDate),
) -> QueryResult<Vec<RequestCohort>> {
    diesel::sql_query(
        "SELECT category, nullif(street_id, '00000000-0000-0000-0000-000000000000') AS street_id,
                sum(raised)::bigint AS raised, sum(acknowledged)::bigint AS acknowledged,
                sum(acknowledged_on_time)::bigint AS acknowledged_on_time, sum(contacted)::bigint AS contacted,
                sum(contacted_on_time)::bigint AS contacted_on_time, sum(resolved)::bigint AS resolved,
                sum(resolved_on_time)::bigint AS resolved_on_time, sum(called_back)::bigint AS called_back,
                sum(called_back_on_time)::bigint AS called_back_on_time, sum(callbacks)::bigint AS callbacks,
                sum(callback_rating_total)::bigint AS callback_rating_total, sum(reopened)::bigint AS reopened,
                sum(extended)::bigint AS extended, sum(extensions)::bigint AS extensions
         FROM request_cohort_counts
         WHERE month BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR street_id = ANY($3))
         GROUP BY 1, 2",
    )
    .bind::<Date, _>(months.0)
    .bind::<Date, _>(months.1)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope.streets())
    .load(conn)
}

/// Coverage against each rung's cadence, per street and rung: of the live enterprises on a
/// rung in `windows` (rung, first day of its window), those visited since that day. Rungs
/// without a cadence are left out.
pub fn coverage_on_cadence(
    conn: &mut PgConnection,
    scope: &StreetScope,
    windows: &[(String, NaiveDate)],
) -> QueryResult<Vec<CoverageCount>> {
    let (tiers, since): (Vec<String>, Vec<NaiveDate>) = windows.iter().cloned().unzip();
    diesel::sql_query(
        "SELECT nullif(street_key, '00000000-0000-0000-0000-000000000000') AS street_id, tier, sum(enterprises)::bigint AS enterprises, sum(visited)::bigint AS visited
         FROM (SELECT street_id AS street_key, tier, n AS enterprises, 0 AS visited
               FROM enterprise_counts WHERE tier = ANY($1) AND ($3::uuid[] IS NULL OR street_id = ANY($3))
               UNION ALL
               SELECT c.street_id, c.tier, 0, c.n
               FROM coverage_counts c JOIN unnest($1::text[], $2::date[]) AS w(tier, since) ON w.tier = c.tier
               WHERE c.last_visited_on >= w.since AND ($3::uuid[] IS NULL OR c.street_id = ANY($3))) AS c
         GROUP BY street_key, tier
         HAVING sum(enterprises) > 0",
    )
    .bind::<Array<Text>, _>(tiers)
    .bind::<Array<Date>, _>(since)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope.streets())
    .load(conn)
}
