//! Enterprises that may lose their rung: their own rung's criteria failing
//! (`rung_risks`), obligations overdue, or the certificate they stand on ending soon with
//! no application to renew it in flight.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Jsonb, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

/// One reason one enterprise is at risk.
#[derive(Debug, Clone, QueryableByName)]
pub struct Reason {
    #[diesel(sql_type = SqlUuid)]
    pub enterprise_id: Uuid,
    #[diesel(sql_type = Text)]
    pub name: String,
    #[diesel(sql_type = Text)]
    pub tier: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub street_id: Option<Uuid>,
    /// `criteria`, `obligation` or `expiring`.
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = Jsonb)]
    pub detail: serde_json::Value,
}

/// Where to look: the caller's streets (`None`: all), one street, the day, how far ahead a
/// certificate's end counts, and the application statuses that renew it.
pub struct Lookout<'a> {
    pub streets: Option<Vec<Uuid>>,
    pub street: Option<Uuid>,
    pub today: NaiveDate,
    pub horizon: NaiveDate,
    pub in_flight: &'a [&'a str],
    /// One enterprise only.
    pub only: Option<Uuid>,
}

/// The enterprises at risk by one source each, and why (`detail`; NULL when only the ids
/// are wanted): $1 the caller's streets, $2 one street, $3 today, $4 the horizon of ending
/// certificates, $5 the application statuses in flight, $6 the id to page after, $7 the
/// rows per source, $8 one enterprise. Each source is a table kept for it: the rung risks,
/// the open obligations, and the term each enterprise stands on (`standing_terms`).
fn sources(detail: bool) -> String {
    let (criteria, obligation, expiring) = if detail {
        (
            "r.gaps",
            "jsonb_agg(jsonb_build_object('id', o.id, 'code', o.code, 'period', o.period, 'due_on', o.due_on, 'national_due_on', o.national_due_on) ORDER BY o.due_on)",
            "jsonb_build_object('tier', c.tier, 'certificate_id', c.certificate_id, 'valid_until', c.valid_until)",
        )
    } else {
        ("NULL::jsonb", "NULL::jsonb", "NULL::jsonb")
    };
    format!(
        "(SELECT r.enterprise_id, 'criteria' AS reason, {criteria} AS detail FROM rung_risks r
          WHERE ($1::uuid[] IS NULL OR r.street_id = ANY($1)) AND ($2::uuid IS NULL OR r.street_id = $2)
            AND ($6::uuid IS NULL OR r.enterprise_id > $6) AND ($8::uuid IS NULL OR r.enterprise_id = $8)
          ORDER BY r.enterprise_id LIMIT $7)
         UNION ALL
         (SELECT o.enterprise_id, 'obligation', {obligation}
          FROM obligations o
          WHERE o.done_at IS NULL AND o.due_on < $3
            AND ($1::uuid[] IS NULL OR o.street_id = ANY($1)) AND ($2::uuid IS NULL OR o.street_id = $2)
            AND ($6::uuid IS NULL OR o.enterprise_id > $6) AND ($8::uuid IS NULL OR o.enterprise_id = $8)
          GROUP BY o.enterprise_id ORDER BY o.enterprise_id LIMIT $7)
         UNION ALL
         (SELECT c.enterprise_id, 'expiring', {expiring}
          FROM standing_terms c
          WHERE c.valid_until BETWEEN $3 AND $4
            AND ($1::uuid[] IS NULL OR c.street_id = ANY($1)) AND ($2::uuid IS NULL OR c.street_id = $2)
            AND ($6::uuid IS NULL OR c.enterprise_id > $6) AND ($8::uuid IS NULL OR c.enterprise_id = $8)
            AND NOT EXISTS (SELECT 1 FROM applications a WHERE a.enterprise_id = c.enterprise_id
                            AND a.tier = c.tier AND a.status = ANY($5))
          ORDER BY c.enterprise_id LIMIT $7)"
    )
}

/// The reasons of the first `limit` enterprises at risk after `after`, by enterprise id.
pub fn at_risk(conn: &mut PgConnection, look: &Lookout, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<Reason>> {
    diesel::sql_query(format!(
        "SELECT s.enterprise_id, e.name, e.tier, e.street_id, s.reason, s.detail
         FROM ({}) s JOIN enterprises e ON e.id = s.enterprise_id AND e.archived_at IS NULL
         ORDER BY s.enterprise_id, s.reason",
        sources(true)
    ))
    .bind::<Nullable<Array<SqlUuid>>, _>(look.streets.clone())
    .bind::<Nullable<SqlUuid>, _>(look.street)
    .bind::<Date, _>(look.today)
    .bind::<Date, _>(look.horizon)
    .bind::<Array<Text>, _>(look.in_flight)
    .bind::<Nullable<SqlUuid>, _>(after)
    .bind::<BigInt, _>(limit)
    .bind::<Nullable<SqlUuid>, _>(look.only)
    .load(conn)
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// How many enterprises are at risk, for any reason.
pub fn count(conn: &mut PgConnection, look: &Lookout) -> QueryResult<i64> {
    let counted: Counted = diesel::sql_query(format!(
        // Archived enterprises left out by the few archived, not by joining every live one.
        "SELECT count(DISTINCT s.enterprise_id) AS count FROM ({}) s
         WHERE NOT EXISTS (SELECT 1 FROM enterprises e WHERE e.id = s.enterprise_id AND e.archived_at IS NOT NULL)",
        sources(false)
    ))
    .bind::<Nullable<Array<SqlUuid>>, _>(look.streets.clone())
    .bind::<Nullable<SqlUuid>, _>(look.street)
    .bind::<Date, _>(look.today)
    .bind::<Date, _>(look.horizon)
    .bind::<Array<Text>, _>(look.in_flight)
    .bind::<Nullable<SqlUuid>, _>(None::<Uuid>)
    .bind::<BigInt, _>(i64::MAX)
    .bind::<Nullable<SqlUuid>, _>(look.only)
    .get_result(conn)?;
    Ok(counted.count)
}
