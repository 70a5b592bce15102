//! Certificates an enterprise holds, and the append-only history of its moves on the
//! ladder (`tier_changes`).

use crate::db::enterprises::Visible;
use crate::db::rows_per_insert;
use crate::db::schema::{certificates, enterprises, tier_changes};
use crate::domain::StreetScope;
use crate::domain::certification::{ChangeKind, DemotionReason, Source};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = certificates, check_for_backend(diesel::pg::Pg))]
pub struct Certificate {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub tier: String,
    pub certificate_no: Option<String>,
    pub effective_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub batch: Option<String>,
    #[diesel(deserialize_as = String)]
    pub source: Source,
    pub ended_on: Option<NaiveDate>,
    pub end_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = certificates)]
pub struct NewCertificate<'a> {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub tier: &'a str,
    pub certificate_no: Option<&'a str>,
    pub effective_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub batch: Option<&'a str>,
    pub source: &'a str,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = tier_changes, check_for_backend(diesel::pg::Pg))]
pub struct TierChange {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    #[diesel(deserialize_as = String)]
    pub kind: ChangeKind,
    pub from_tier: String,
    pub to_tier: String,
    pub effective_on: NaiveDate,
    pub certificate_id: Option<Uuid>,
    pub reason: Option<String>,
    pub note: Option<String>,
    #[diesel(deserialize_as = String)]
    pub source: Source,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub rule_set: Option<String>,
    pub application_id: Option<Uuid>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = tier_changes)]
pub struct NewTierChange<'a> {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub kind: &'a str,
    pub from_tier: &'a str,
    pub to_tier: &'a str,
    pub effective_on: NaiveDate,
    pub certificate_id: Option<Uuid>,
    pub reason: Option<&'a str>,
    pub note: Option<&'a str>,
    pub source: &'a str,
    pub actor_kind: &'a str,
    pub actor_id: Option<Uuid>,
    pub rule_set: Option<&'a str>,
    pub application_id: Option<Uuid>,
}

pub fn insert(conn: &mut PgConnection, certificate: &NewCertificate) -> QueryResult<Certificate> {
    diesel::insert_into(certificates::table).values(certificate).returning(Certificate::as_returning()).get_result(conn)
}

/// Every certificate of an enterprise, held or ended, newest first.
pub fn of_enterprise(conn: &mut PgConnection, enterprise: &Visible) -> QueryResult<Vec<Certificate>> {
    certificates::table
        .filter(certificates::enterprise_id.eq(enterprise.id))
        .order((certificates::effective_on.desc(), certificates::id.desc()))
        .select(Certificate::as_select())
        .load(conn)
}

/// The certificates an enterprise still holds.
pub fn held(conn: &mut PgConnection, enterprise: &Visible) -> QueryResult<Vec<Certificate>> {
    certificates::table
        .filter(certificates::enterprise_id.eq(enterprise.id).and(certificates::ended_on.is_null()))
        .order(certificates::id)
        .select(Certificate::as_select())
        .load(conn)
}

/// Ends certificates as of `on`, for `reason`.
pub fn end(
    conn: &mut PgConnection,
    ids: &[Uuid],
    on: NaiveDate,
    reason: DemotionReason,
) -> QueryResult<Vec<Certificate>> {
    diesel::update(certificates::table.filter(certificates::id.eq_any(ids)))
        .set((certificates::ended_on.eq(on), certificates::end_reason.eq(reason.as_str())))
        .returning(Certificate::as_returning())
        .get_results(conn)
}

/// Enterprises holding a certificate whose last valid day is before `today`, up to `limit`.
pub fn lapsed_holders(
    conn: &mut PgConnection,
    today: NaiveDate,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Uuid>> {
    let mut query = certificates::table
        .filter(certificates::ended_on.is_null().and(certificates::valid_until.lt(today)))
        .select(certificates::enterprise_id)
        .distinct()
        .order(certificates::enterprise_id)
        .limit(limit)
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(certificates::enterprise_id.gt(after));
    }
    query.load(conn)
}

pub fn record_change(conn: &mut PgConnection, change: &NewTierChange) -> QueryResult<TierChange> {
    diesel::insert_into(tier_changes::table).values(change).returning(TierChange::as_returning()).get_result(conn)
}

/// Records many certificates in as few statements as the bind limit allows.
pub fn insert_all(conn: &mut PgConnection, new: &[NewCertificate]) -> QueryResult<Vec<Certificate>> {
    let mut inserted = Vec::with_capacity(new.len());
    for chunk in new.chunks(rows_per_insert(8)) {
        inserted.extend(
            diesel::insert_into(certificates::table)
                .values(chunk)
                .returning(Certificate::as_returning())
                .get_results(conn)?,
        );
    }
    Ok(inserted)
}

/// Appends many moves to the history in as few statements as the bind limit allows.
pub fn record_changes(conn: &mut PgConnection, new: &[NewTierChange]) -> QueryResult<Vec<TierChange>> {
    let mut recorded = Vec::with_capacity(new.len());
    for chunk in new.chunks(rows_per_insert(14)) {
        recorded.extend(
            diesel::insert_into(tier_changes::table)
                .values(chunk)
                .returning(TierChange::as_returning())
                .get_results(conn)?,
        );
    }
    Ok(recorded)
}

/// What identifies each certificate these enterprises were ever granted (held or ended):
/// enterprise, tier and first valid day.
pub fn identities(conn: &mut PgConnection, enterprises: &[Uuid]) -> QueryResult<Vec<(Uuid, String, NaiveDate)>> {
    certificates::table
        .filter(certificates::enterprise_id.eq_any(enterprises))
        .select((certificates::enterprise_id, certificates::tier, certificates::effective_on))
        .load(conn)
}

/// An enterprise's moves oldest first, each with the certificate it granted, the page
/// after `after`.
pub fn history(
    conn: &mut PgConnection,
    enterprise: &Visible,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<(TierChange, Option<Certificate>)>> {
    let mut query = tier_changes::table
        .left_join(certificates::table)
        .filter(tier_changes::enterprise_id.eq(enterprise.id))
        .order(tier_changes::id)
        .limit(limit)
        .select((TierChange::as_select(), Option::<Certificate>::as_select()))
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(tier_changes::id.gt(after));
    }
    query.load(conn)
}

/// An enterprise's moves newest first, recorded before `before` (the timeline).
pub fn recent_changes(
    conn: &mut PgConnection,
    enterprise: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<(TierChange, Option<String>)>> {
    let mut query = tier_changes::table
        .left_join(certificates::table)
        .filter(tier_changes::enterprise_id.eq(enterprise))
        .order((tier_changes::recorded_at.desc(), tier_changes::id.desc()))
        .limit(limit)
        .select((TierChange::as_select(), certificates::tier.nullable()))
        .into_boxed();
    if let Some((at, id)) = before {
        query = query
            .filter(tier_changes::recorded_at.lt(at).or(tier_changes::recorded_at.eq(at).and(tier_changes::id.lt(id))));
    }
    query.load(conn)
}

/// A certificate coming to the end of its term, with its holder.
#[derive(Debug, Clone, Queryable)]
pub struct Expiring {
    pub certificate_id: Uuid,
    pub tier: String,
    pub certificate_no: Option<String>,
    pub valid_until: NaiveDate,
    pub enterprise_id: Uuid,
    pub name: String,
    pub street_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct ExpiringFilter {
    pub tier: Option<String>,
    pub street_id: Option<Uuid>,
}

/// Held certificates of live enterprises whose last valid day lies in `from..=until`,
/// soonest first, the page after `after` (valid_until, certificate id).
pub fn expiring(
    conn: &mut PgConnection,
    scope: &StreetScope,
    filter: &ExpiringFilter,
    (from, until): (NaiveDate, NaiveDate),
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Expiring>> {
    let mut query = ending(scope, filter.street_id, filter.tier.as_ref().map(std::slice::from_ref), (from, until))
        .order((certificates::valid_until, certificates::id))
        .limit(limit)
        .select((
            certificates::id,
            certificates::tier,
            certificates::certificate_no,
            certificates::valid_until.assume_not_null(),
            enterprises::id,
            enterprises::name,
            enterprises::street_id,
        ));
    if let Some((valid_until, id)) = after {
        query = query.filter(
            certificates::valid_until
                .gt(valid_until)
                .or(certificates::valid_until.eq(valid_until).and(certificates::id.gt(id))),
        );
    }
    query.load(conn)
}

/// A held certificate due for review (复核) in a year.
#[derive(Debug, Clone, Queryable)]
pub struct DueForReview {
    pub certificate_id: Uuid,
    pub tier: String,
    pub certificate_no: Option<String>,
    pub effective_on: NaiveDate,
    pub valid_until: NaiveDate,
    pub enterprise_id: Uuid,
    pub name: String,
    pub street_id: Option<Uuid>,
}

/// Held certificates of live enterprises in `scope` (and `street`) of `tiers` whose last
/// valid day lies in `from..=until` (`tiers`: `None` for every rung): what the lists and counts of certificates coming to
/// an end (for renewal, for review) narrow and select from.
fn ending<'a>(
    scope: &StreetScope,
    street: Option<Uuid>,
    tiers: Option<&'a [String]>,
    (from, until): (NaiveDate, NaiveDate),
) -> diesel::dsl::IntoBoxed<'a, diesel::dsl::InnerJoin<certificates::table, enterprises::table>, diesel::pg::Pg> {
    let mut query = certificates::table
        .inner_join(enterprises::table)
        .filter(certificates::ended_on.is_null())
        .filter(certificates::valid_until.between(from, until))
        .filter(enterprises::archived_at.is_null())
        .into_boxed();
    if let Some(tiers) = tiers {
        query = query.filter(certificates::tier.eq_any(tiers));
    }
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(enterprises::street_id.eq_any(streets.clone()));
    }
    if let Some(street) = street {
        query = query.filter(enterprises::street_id.eq(street));
    }
    query
}

/// Held certificates of `tiers` of live enterprises in `scope` whose term ends in
/// `from..=until`, soonest first, the page after `after` (valid_until, certificate id).
pub fn due_for_review(
    conn: &mut PgConnection,
    scope: &StreetScope,
    tiers: &[String],
    window: (NaiveDate, NaiveDate),
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<DueForReview>> {
    let mut query = ending(scope, None, Some(tiers), window)
        .order((certificates::valid_until, certificates::id))
        .limit(limit)
        .select((
            certificates::id,
            certificates::tier,
            certificates::certificate_no,
            certificates::effective_on,
            certificates::valid_until.assume_not_null(),
            enterprises::id,
            enterprises::name,
            enterprises::street_id,
        ));
    if let Some((valid_until, id)) = after {
        query = query.filter(
            certificates::valid_until
                .gt(valid_until)
                .or(certificates::valid_until.eq(valid_until).and(certificates::id.gt(id))),
        );
    }
    query.load(conn)
}

/// How many held certificates of `tiers` in `scope` (and `street`) end in `from..=until`.
pub fn count_due_for_review(
    conn: &mut PgConnection,
    scope: &StreetScope,
    street: Option<Uuid>,
    tiers: &[String],
    window: (NaiveDate, NaiveDate),
) -> QueryResult<i64> {
    ending(scope, street, Some(tiers), window).count().get_result(conn)
}
