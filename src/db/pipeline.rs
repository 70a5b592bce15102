//! The queries behind the pipeline reports: the maintained aggregates (migrations
//! 2026-11-23-000006 and 000007) and the request report's index-only scans.

use crate::db::schema::enterprise_counts;
use crate::domain::StreetScope;
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Double, Integer, Nullable, Text, Timestamptz, Uuid as SqlUuid};
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

/// The streets a scope limits a query to; `None`: every street, unassigned included.
fn scope_streets(scope: &StreetScope) -> Option<Vec<Uuid>> {
    match scope {
        StreetScope::All => None,
        StreetScope::Streets(streets) => Some(streets.clone()),
    }
}

/// Reads the nil-UUID sentinel of the counters back as "no street".
fn unless_nil(id: Uuid) -> Option<Uuid> {
    (!id.is_nil()).then_some(id)
}

/// Entrants to a rung in one year and street by one transition, and how many of them
/// climbed further within one, two and three years of entering.
#[derive(Debug, Clone, QueryableByName)]
pub struct FunnelCount {
    #[diesel(sql_type = Integer)]
    pub entry_year: i32,
    #[diesel(sql_type = SqlUuid)]
    street_key: Uuid,
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

impl FunnelCount {
    pub fn street_id(&self) -> Option<Uuid> {
        unless_nil(self.street_key)
    }
}

/// The funnel counters of entry years `years` within `scope`.
pub fn funnel(conn: &mut PgConnection, scope: &StreetScope, years: (i32, i32)) -> QueryResult<Vec<FunnelCount>> {
    diesel::sql_query(
        "SELECT entry_year, street_id AS street_key, from_tier, tier, entrants, within_1y, within_2y, within_3y
         FROM funnel_counts
         WHERE entry_year BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR street_id = ANY($3)) AND entrants > 0",
    )
    .bind::<Integer, _>(years.0)
    .bind::<Integer, _>(years.1)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope_streets(scope))
    .load(conn)
}

/// Applications of one batch year, street and tier in one status.
#[derive(Debug, Clone, QueryableByName)]
pub struct ApplicationCount {
    #[diesel(sql_type = Integer)]
    pub batch_year: i32,
    #[diesel(sql_type = SqlUuid)]
    street_key: Uuid,
    #[diesel(sql_type = Text)]
    pub tier: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

impl ApplicationCount {
    pub fn street_id(&self) -> Option<Uuid> {
        unless_nil(self.street_key)
    }
}

/// The application counters of batch years `years` within `scope`.
pub fn application_counts(
    conn: &mut PgConnection,
    scope: &StreetScope,
    years: (i32, i32),
) -> QueryResult<Vec<ApplicationCount>> {
    diesel::sql_query(
        "SELECT batch_year, street_id AS street_key, tier, status, n
         FROM application_counts
         WHERE batch_year BETWEEN $1 AND $2 AND ($3::uuid[] IS NULL OR street_id = ANY($3)) AND n > 0",
    )
    .bind::<Integer, _>(years.0)
    .bind::<Integer, _>(years.1)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope_streets(scope))
    .load(conn)
}

/// Live enterprises of one street and tier, and how many of them were visited on or
/// after the cut-off day.
#[derive(Debug, Clone, QueryableByName)]
pub struct CoverageCount {
    #[diesel(sql_type = SqlUuid)]
    street_key: Uuid,
    #[diesel(sql_type = Text)]
    pub tier: String,
    #[diesel(sql_type = BigInt)]
    pub enterprises: i64,
    #[diesel(sql_type = BigInt)]
    pub visited: i64,
}

impl CoverageCount {
    pub fn street_id(&self) -> Option<Uuid> {
        unless_nil(self.street_key)
    }
}

/// Coverage per street and tier since `since` (a day in the bureau's calendar). Totals
/// come from the pipeline counters; the visited from the days since `since` only.
pub fn coverage(conn: &mut PgConnection, scope: &StreetScope, since: NaiveDate) -> QueryResult<Vec<CoverageCount>> {
    diesel::sql_query(
        "SELECT street_key, tier, sum(enterprises)::bigint AS enterprises, sum(visited)::bigint AS visited
         FROM (SELECT street_id AS street_key, tier, n AS enterprises, 0 AS visited
               FROM enterprise_counts WHERE $2::uuid[] IS NULL OR street_id = ANY($2)
               UNION ALL
               SELECT street_id, tier, 0, n
               FROM coverage_counts WHERE last_visited_on >= $1 AND ($2::uuid[] IS NULL OR street_id = ANY($2))) AS c
         GROUP BY street_key, tier
         HAVING sum(enterprises) > 0",
    )
    .bind::<Date, _>(since)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope_streets(scope))
    .load(conn)
}

/// Service requests of one category and street (or, with `None` for both, all of them):
/// the pending backlog now, and the resolutions and ratings within a window.
#[derive(Debug, Clone, QueryableByName)]
pub struct RequestStats {
    #[diesel(sql_type = Nullable<Text>)]
    category: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    street_key: Option<Uuid>,
    /// Which grouping set the row sums (SQL `GROUPING`): 1: one category; 2: one
    /// street; 3: all requests.
    #[diesel(sql_type = Integer)]
    grouping: i32,
    #[diesel(sql_type = BigInt)]
    pub pending: i64,
    #[diesel(sql_type = BigInt)]
    pub overdue: i64,
    #[diesel(sql_type = BigInt)]
    pub resolved: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub mean_hours: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub p90_hours: Option<f64>,
    #[diesel(sql_type = BigInt)]
    pub rated: i64,
    #[diesel(sql_type = Nullable<Double>)]
    pub satisfaction: Option<f64>,
}

/// What a row of the request report sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestGroup<'a> {
    Category(&'a str),
    Street(Option<Uuid>),
    All,
}

impl RequestStats {
    pub fn group(&self) -> RequestGroup<'_> {
        match (self.grouping, &self.category) {
            (1, Some(category)) => RequestGroup::Category(category),
            (2, _) => RequestGroup::Street(self.street_key.and_then(unless_nil)),
            _ => RequestGroup::All,
        }
    }
}

/// The request report: each of the three parts reads its own partial index.
pub fn request_stats(
    conn: &mut PgConnection,
    scope: &StreetScope,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> QueryResult<Vec<RequestStats>> {
    diesel::sql_query(
        "WITH facts AS (
             SELECT category, coalesce(street_id, '00000000-0000-0000-0000-000000000000') AS street_key,
                    1 AS pending, (due_at < now())::int AS overdue, NULL::float8 AS hours, NULL::int AS rating
             FROM service_requests
             WHERE status IN ('open', 'assigned', 'in_progress', 'escalated')
               AND ($3::uuid[] IS NULL OR street_id = ANY($3))
             UNION ALL
             SELECT category, coalesce(street_id, '00000000-0000-0000-0000-000000000000'), 0, 0,
                    extract(epoch FROM resolved_at - created_at) / 3600, NULL
             FROM service_requests
             WHERE resolved_at IS NOT NULL AND resolved_at >= $1 AND resolved_at < $2
               AND ($3::uuid[] IS NULL OR street_id = ANY($3))
             UNION ALL
             SELECT category, coalesce(street_id, '00000000-0000-0000-0000-000000000000'), 0, 0, NULL, satisfaction
             FROM service_requests
             WHERE satisfaction IS NOT NULL AND closed_at >= $1 AND closed_at < $2
               AND ($3::uuid[] IS NULL OR street_id = ANY($3)))
         SELECT category, street_key,
                GROUPING(category, street_key) AS grouping,
                coalesce(sum(pending), 0)::bigint AS pending, coalesce(sum(overdue), 0)::bigint AS overdue,
                count(hours) AS resolved, avg(hours) AS mean_hours,
                percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90_hours,
                count(rating) AS rated, avg(rating)::float8 AS satisfaction
         FROM facts
         GROUP BY GROUPING SETS ((category), (street_key), ())",
    )
    .bind::<Timestamptz, _>(window.0)
    .bind::<Timestamptz, _>(window.1)
    .bind::<Nullable<Array<SqlUuid>>, _>(scope_streets(scope))
    .load(conn)
}
