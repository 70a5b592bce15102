//! 复核: the certificates due for review in a year — those of rungs reviewed before their
//! term ends (专精特新, 小巨人: the rungs with a `review` rule set) — each with the rule set
//! that will judge it, as early as the bureau wants to know.

use crate::config::Catalog;
use crate::db::certificates::{self, DueForReview};
use crate::domain::eligibility::{DecisionKind, in_force};
use crate::domain::{Action, StreetScope, dates};
use crate::service::{Authorized, ServiceError};
use chrono::{Datelike, NaiveDate};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    /// The year the terms end in (default this year).
    pub year: Option<i32>,
}

/// A certificate due for review.
#[derive(Debug, Serialize, ToSchema)]
pub struct Review {
    pub certificate_id: Uuid,
    pub tier: String,
    pub certificate_no: Option<String>,
    pub effective_on: NaiveDate,
    /// Its last valid day: the review must be decided by then.
    pub valid_until: NaiveDate,
    pub enterprise_id: Uuid,
    pub name: String,
    pub street_id: Option<Uuid>,
    /// The rule set that will judge it (the review rules in force at its term's end).
    pub rule_set: Option<String>,
}

/// The rungs reviewed before their term ends: those with a review rule set.
pub fn reviewed_tiers(catalog: &Catalog) -> Vec<String> {
    let mut tiers: Vec<String> = catalog.ladder.rungs().iter().map(|r| r.code.clone()).collect();
    tiers.retain(|t| catalog.rule_sets.iter().any(|s| &s.tier == t && s.kind == DecisionKind::Review));
    tiers
}

/// The first and last day of `year` (default this year), up to five years ahead.
pub fn span_of(catalog: &Catalog, year: Option<i32>) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    let this = catalog.today().year();
    let year =
        dates::year_within(year.unwrap_or(this), 2000, this + 5).map_err(|e| ServiceError::invalid("year", e))?;
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    Ok((first, last))
}

/// The streets whose reviews the caller may read, for an export that reads them after
/// this unit of work.
pub fn scope(auth: &Authorized) -> Result<StreetScope, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    Ok(auth.principal.street_scope())
}

/// The certificates in the caller's streets due for review in `span`, soonest first,
/// the page after `after` (valid_until, certificate id).
pub fn due(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    span: (NaiveDate, NaiveDate),
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<Review>, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let rows = certificates::due_for_review(
        conn,
        &auth.principal.street_scope(),
        &reviewed_tiers(catalog),
        span,
        after,
        limit,
    )?;
    let review = |row: DueForReview| Review {
        rule_set: in_force(&catalog.rule_sets, &row.tier, DecisionKind::Review, row.valid_until)
            .map(|s| s.document.clone()),
        certificate_id: row.certificate_id,
        tier: row.tier,
        certificate_no: row.certificate_no,
        effective_on: row.effective_on,
        valid_until: row.valid_until,
        enterprise_id: row.enterprise_id,
        name: row.name,
        street_id: row.street_id,
    };
    Ok(rows.into_iter().map(review).collect())
}

/// How many certificates in the caller's streets (or `street`) are due for review this
/// year and next.
pub fn counts(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    street: Option<Uuid>,
) -> Result<[(i32, i64); 2], ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let scope = auth.principal.street_scope();
    let tiers = reviewed_tiers(catalog);
    let this = catalog.today().year();
    let mut counts = [(this, 0), (this + 1, 0)];
    for (year, count) in &mut counts {
        let span = span_of(catalog, Some(*year))?;
        *count = certificates::count_due_for_review(conn, &scope, street, &tiers, span)?;
    }
    Ok(counts)
}
