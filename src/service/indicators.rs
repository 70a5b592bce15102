//! 年度指标: an enterprise's yearly figures, which eligibility is judged by.

use crate::config::Catalog;
use crate::db::audit::{self, Change};
use crate::db::certificates;
use crate::db::enterprises::Visible;
use crate::db::indicators::{self as store, YearFigures};
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::benefit::{self, Benefit};
use crate::domain::dates;
use crate::domain::eligibility::{CriterionResult, DecisionKind, Enterprise, Indicators, evaluate, in_force};
use crate::service::enterprises;
use crate::service::{Authorized, BasedOn, ServiceError};
use chrono::{Datelike, NaiveDate};
use diesel::{Connection, PgConnection};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// The first year figures are kept for.
const FIRST_YEAR: i32 = 1990;

/// Records an enterprise's figures for one year (up to this one), replacing that year's
/// if they are still the version `based_on` (a year not yet recorded has no version).
pub fn put(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    year: i32,
    figures: Indicators,
    based_on: &BasedOn,
) -> Result<YearFigures, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    figures.validate()?;
    let year =
        dates::year_within(year, FIRST_YEAR, catalog.today().year()).map_err(|e| ServiceError::invalid("year", e))?;
    conn.transaction(|conn| {
        let enterprise = enterprises::visible(conn, auth, enterprise_id)?;
        let before = store::find_for_update(conn, &enterprise, year)?;
        if let Some(before) = &before {
            based_on.check(before.version)?;
        }
        let after = store::put(conn, &enterprise, year, &figures)?;
        let action = if before.is_some() { "update" } else { "create" };
        let change = Change {
            entity: "indicators",
            entity_id: enterprise_id,
            action,
            before: before.as_ref(),
            after: Some(&after),
        };
        audit::record(conn, &auth.audit, change)?;
        crate::service::readiness::refresh(conn, catalog, &[enterprise_id])?;
        Ok(after)
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Eligibility {
    pub tier: String,
    /// The decision judged: a first certificate (`new`) or a review (复核) of a held one.
    pub kind: DecisionKind,
    /// Every criterion met. `false` while any is unmet or unknown.
    pub eligible: bool,
    /// The rule set applied: its policy document and the date it took effect.
    pub document: String,
    pub effective_from: NaiveDate,
    pub criteria: Vec<CriterionResult>,
    /// Codes of the criteria not met, then of those unknown for missing figures: the
    /// enterprise's to-do list.
    pub missing: Vec<String>,
    /// What the rung is worth: the counselor's argument to the enterprise.
    pub benefits: Vec<Benefit>,
}

/// Whether the enterprise (in the caller's streets) meets `tier`'s rules of `kind` in
/// force `on` a day (default today), criterion by criterion: the counselor's to-do list.
pub fn eligibility(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    tier: &str,
    kind: DecisionKind,
    on: Option<NaiveDate>,
) -> Result<Eligibility, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    catalog.ladder.tier(tier).map_err(|e| ServiceError::invalid("tier", e))?;
    let on = on.unwrap_or_else(|| catalog.today());
    let rules = in_force(&catalog.rule_sets, tier, kind, on)
        .ok_or_else(|| ServiceError::invalid("tier", Refusal::NoRuleSet { tier: catalog.ladder.word(tier), on }))?;
    let enterprise = enterprises::visible(conn, auth, enterprise_id)?;
    let figures = store::by_year(&store::of_enterprise(conn, &enterprise)?);
    let titles: Vec<String> = certificates::held(conn, &enterprise)?
        .into_iter()
        .filter(|c| c.valid_until.is_none_or(|until| until >= on))
        .map(|c| c.tier)
        .collect();
    let subject = Enterprise { established_on: enterprise.fields.established_on, figures: &figures, titles: &titles };
    let criteria = evaluate(rules, &subject, on);
    let unmet = criteria.iter().filter(|c| c.met == Some(false));
    let unknown = criteria.iter().filter(|c| c.met.is_none());
    let missing: Vec<String> = unmet.chain(unknown).map(|c| c.code.clone()).collect();
    Ok(Eligibility {
        tier: tier.to_owned(),
        kind,
        eligible: missing.is_empty(),
        document: rules.document.clone(),
        effective_from: rules.effective_from,
        criteria,
        missing,
        benefits: benefit::of(&catalog.benefits, tier).cloned().collect(),
    })
}

/// Every year of an enterprise's figures, newest first.
pub fn of_enterprise(
    conn: &mut PgConnection,
    auth: &Authorized,
    enterprise: &Visible,
) -> Result<Vec<YearFigures>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    Ok(store::of_enterprise(conn, enterprise)?)
}

/// Every year of the figures of enterprise `id` in the caller's streets, newest first.
pub fn figures_of(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<Vec<YearFigures>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    let enterprise = enterprises::visible(conn, auth, id)?;
    Ok(store::of_enterprise(conn, &enterprise)?)
}
