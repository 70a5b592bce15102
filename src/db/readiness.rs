//! The readiness radar's precomputed rows and the enterprises at risk of losing their rung,
//! with what the evaluation reads: figures, founding dates and held certificates, by batch.

use crate::db::rows_per_insert;
use crate::db::schema::{
    certificates, enterprise_indicators, enterprises, readiness, readiness_basis, rung_risks, standing_terms,
};
use crate::domain::StreetScope;
use chrono::NaiveDate;
use diesel::prelude::*;
use uuid::Uuid;

/// What an evaluation of one enterprise reads.
#[derive(Debug, Clone, Queryable)]
pub struct Subject {
    pub id: Uuid,
    pub tier: String,
    pub established_on: Option<NaiveDate>,
}

/// Locks the enterprises of `ids` in id order (two recomputations of one enterprise take
/// turns), passing over those another transaction holds when `skip_locked`; the ids locked.
pub fn lock(conn: &mut PgConnection, ids: &[Uuid], skip_locked: bool) -> QueryResult<Vec<Uuid>> {
    let query = enterprises::table.filter(enterprises::id.eq_any(ids)).select(enterprises::id).order(enterprises::id);
    if skip_locked { query.for_no_key_update().skip_locked().load(conn) } else { query.for_no_key_update().load(conn) }
}

/// Live enterprises among `ids`.
pub fn subjects(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<Vec<Subject>> {
    enterprises::table
        .filter(enterprises::id.eq_any(ids).and(enterprises::archived_at.is_null()))
        .select((enterprises::id, enterprises::tier, enterprises::established_on))
        .load(conn)
}

/// The next `limit` enterprise ids after `after`, live or not (a batch of a full recount).
pub fn ids_after(conn: &mut PgConnection, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<Uuid>> {
    let mut query = enterprises::table.select(enterprises::id).order(enterprises::id).limit(limit).into_boxed();
    if let Some(after) = after {
        query = query.filter(enterprises::id.gt(after));
    }
    query.load(conn)
}

/// The figures of `ids` from `since` on: (enterprise, year, document).
pub fn figures(conn: &mut PgConnection, ids: &[Uuid], since: i32) -> QueryResult<Vec<(Uuid, i32, serde_json::Value)>> {
    enterprise_indicators::table
        .filter(enterprise_indicators::enterprise_id.eq_any(ids).and(enterprise_indicators::year.ge(since)))
        .select((enterprise_indicators::enterprise_id, enterprise_indicators::year, enterprise_indicators::figures))
        .load(conn)
}

/// A live certificate: whose, of which rung, which, and through when.
#[derive(Debug, Clone, Queryable)]
pub struct Held {
    pub enterprise_id: Uuid,
    pub tier: String,
    pub certificate_id: Uuid,
    pub valid_until: Option<NaiveDate>,
}

/// The certificates `ids` hold on `today`.
pub fn held(conn: &mut PgConnection, ids: &[Uuid], today: NaiveDate) -> QueryResult<Vec<Held>> {
    certificates::table
        .filter(certificates::enterprise_id.eq_any(ids).and(certificates::ended_on.is_null()))
        .filter(certificates::valid_until.is_null().or(certificates::valid_until.ge(today)))
        .select((certificates::enterprise_id, certificates::tier, certificates::id, certificates::valid_until))
        .load(conn)
}

/// The rungs `ids` hold a live certificate for on `today`: (enterprise, tier).
pub fn titles(conn: &mut PgConnection, ids: &[Uuid], today: NaiveDate) -> QueryResult<Vec<(Uuid, String)>> {
    Ok(held(conn, ids, today)?.into_iter().map(|h| (h.enterprise_id, h.tier)).collect())
}

#[derive(Debug, Insertable)]
#[diesel(table_name = standing_terms)]
pub struct NewTerm {
    pub enterprise_id: Uuid,
    pub tier: String,
    pub certificate_id: Uuid,
    pub valid_until: NaiveDate,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = readiness)]
pub struct NewReadiness {
    pub enterprise_id: Uuid,
    pub target_tier: String,
    pub next: bool,
    pub met: i16,
    pub total: i16,
    pub short: i16,
    pub shortfall: f32,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = rung_risks)]
pub struct NewRisk {
    pub enterprise_id: Uuid,
    pub tier: String,
    pub rule_set: String,
    pub gaps: serde_json::Value,
}

/// Replaces the rows of `ids` with `rows`, `risks` and the `terms` they stand on (the
/// street comes from each enterprise, by trigger).
pub fn replace(
    conn: &mut PgConnection,
    ids: &[Uuid],
    rows: &[NewReadiness],
    risks: &[NewRisk],
    terms: &[NewTerm],
) -> QueryResult<()> {
    diesel::delete(readiness::table.filter(readiness::enterprise_id.eq_any(ids))).execute(conn)?;
    diesel::delete(rung_risks::table.filter(rung_risks::enterprise_id.eq_any(ids))).execute(conn)?;
    diesel::delete(standing_terms::table.filter(standing_terms::enterprise_id.eq_any(ids))).execute(conn)?;
    for chunk in terms.chunks(rows_per_insert(4)) {
        diesel::insert_into(standing_terms::table).values(chunk).execute(conn)?;
    }
    for chunk in rows.chunks(rows_per_insert(7)) {
        diesel::insert_into(readiness::table).values(chunk).execute(conn)?;
    }
    for chunk in risks.chunks(rows_per_insert(4)) {
        diesel::insert_into(rung_risks::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

/// The fingerprint of the catalogue the rows were last computed from.
pub fn basis(conn: &mut PgConnection) -> QueryResult<Option<String>> {
    readiness_basis::table.select(readiness_basis::fingerprint).first(conn).optional()
}

pub fn set_basis(conn: &mut PgConnection, fingerprint: &str) -> QueryResult<()> {
    diesel::insert_into(readiness_basis::table)
        .values((readiness_basis::only_row.eq(true), readiness_basis::fingerprint.eq(fingerprint)))
        .on_conflict(readiness_basis::only_row)
        .do_update()
        .set((readiness_basis::fingerprint.eq(fingerprint), readiness_basis::computed_at.eq(diesel::dsl::now)))
        .execute(conn)?;
    Ok(())
}

/// A ranked row with its enterprise.
#[derive(Debug, Clone, Queryable)]
pub struct Ranked {
    pub enterprise_id: Uuid,
    pub name: String,
    pub tier: String,
    pub street_id: Option<Uuid>,
    pub target_tier: String,
    pub met: i16,
    pub total: i16,
    pub short: i16,
    pub shortfall: f32,
}

/// The sort key of the radar: criteria short, then the summed gap, then the enterprise.
pub type RankKey = (i16, f32, Uuid);

/// The radar: rows toward `target` (each enterprise's next rung when `None`) in `scope`
/// (and `street`), closest first, the page after `after`.
pub fn ranked(
    conn: &mut PgConnection,
    scope: &StreetScope,
    target: Option<&str>,
    street: Option<Uuid>,
    after: Option<RankKey>,
    limit: i64,
) -> QueryResult<Vec<Ranked>> {
    let mut query = readiness::table
        .inner_join(enterprises::table)
        .filter(enterprises::archived_at.is_null())
        .order((readiness::short, readiness::shortfall, readiness::enterprise_id))
        .limit(limit)
        .select((
            readiness::enterprise_id,
            enterprises::name,
            enterprises::tier,
            readiness::street_id,
            readiness::target_tier,
            readiness::met,
            readiness::total,
            readiness::short,
            readiness::shortfall,
        ))
        .into_boxed();
    query = match target {
        Some(tier) => query.filter(readiness::target_tier.eq(tier.to_owned())),
        None => query.filter(readiness::next),
    };
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(readiness::street_id.eq_any(streets.clone()));
    }
    if let Some(street) = street {
        query = query.filter(readiness::street_id.eq(street));
    }
    if let Some((short, shortfall, id)) = after {
        query = query.filter(
            readiness::short.gt(short).or(readiness::short.eq(short).and(
                readiness::shortfall
                    .gt(shortfall)
                    .or(readiness::shortfall.eq(shortfall).and(readiness::enterprise_id.gt(id))),
            )),
        );
    }
    query.load(conn)
}
