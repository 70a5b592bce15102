//! 年度目标: how many enterprises should newly reach each rung in a year, per district or
//! street: the bureau's commitments, set as a whole year at a time.

use crate::config::Catalog;
use crate::db::audit::{self, Change};
use crate::db::pipeline::{self, FunnelCount};
use crate::db::regions::{self, Region};
use crate::db::targets::{self as store, Target};
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::figures::ratio;
use crate::domain::target::Pace;
use crate::domain::{Ladder, RegionKind, StreetScope, dates};
use crate::service::{Authorized, FieldError, ServiceError};
use chrono::{Datelike, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;
use uuid::Uuid;

/// A year targets are set or read for.
pub fn year_field(year: i32) -> Result<i32, ServiceError> {
    dates::year_within(year, dates::REPORT_YEARS.0, dates::REPORT_YEARS.1).map_err(|e| ServiceError::invalid("year", e))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetInput {
    /// A rung above the base of the ladder.
    pub tier: String,
    /// A district or a street.
    pub region_id: Uuid,
    /// How many enterprises should newly reach `tier` in the year (1–1,000,000).
    pub target: i32,
}

/// Replaces the year's whole set of targets (those not listed are removed), auditing each
/// target set, changed or removed.
pub fn set(
    conn: &mut PgConnection,
    auth: &Authorized,
    ladder: &Ladder,
    year: i32,
    inputs: Vec<TargetInput>,
) -> Result<(), ServiceError> {
    may_set(auth)?;
    let year = year_field(year)?;
    let set_by = auth.acting_user()?;
    conn.transaction(|conn| {
        let regions = regions::all(conn)?;
        let new = validated(ladder, &regions, year, set_by, inputs)?;
        let old = store::replace_year(conn, year, &new)?;
        let same = |a: &Target, b: &Target| (a.region_id, &a.tier) == (b.region_id, &b.tier);
        for target in &new {
            let change = match old.iter().find(|before| same(before, target)) {
                Some(before) => Change::changed("target", target.region_id, "updated", before, target),
                None => Change::created("target", target.region_id, target),
            };
            audit::record(conn, &auth.audit, change)?;
        }
        for gone in old.iter().filter(|gone| !new.iter().any(|target| same(gone, target))) {
            let change = Change {
                entity: "target",
                entity_id: gone.region_id,
                action: "deleted",
                before: Some(gone),
                after: None,
            };
            audit::record(conn, &auth.audit, change)?;
        }
        Ok(())
    })
}

/// The inputs as rows, or every field that is wrong.
fn validated(
    ladder: &Ladder,
    regions: &[Region],
    year: i32,
    set_by: Uuid,
    inputs: Vec<TargetInput>,
) -> Result<Vec<Target>, ServiceError> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let set_at = Utc::now();
    let rows = inputs
        .into_iter()
        .enumerate()
        .map(|(i, input)| {
            let field = |name: &str| format!("targets[{i}].{name}");
            match ladder.tier(&input.tier) {
                Ok(tier) if tier == ladder.base() => {
                    errors.push(FieldError::new(field("tier"), Refusal::BaseHasNoTarget))
                }
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(field("tier"), e)),
            }
            match regions.iter().find(|r| r.id == input.region_id) {
                Some(r) if r.kind != RegionKind::Park => {}
                Some(_) => errors.push(FieldError::new(field("region_id"), Refusal::DistrictOrStreet)),
                None => errors.push(FieldError::new(field("region_id"), Refusal::NoSuchRegion)),
            }
            if !(1..=1_000_000).contains(&input.target) {
                errors.push(FieldError::new(field("target"), Refusal::Between { min: 1, max: 1_000_000 }));
            }
            if !seen.insert((input.region_id, input.tier.clone())) {
                errors.push(FieldError::new(field("tier"), Refusal::ListedTwice));
            }
            Target { year, region_id: input.region_id, tier: input.tier, target: input.target, set_by, set_at }
        })
        .collect();
    ServiceError::unless_any(errors)?;
    Ok(rows)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetProgress {
    pub tier: String,
    pub label: String,
    pub region_id: Uuid,
    pub region_name: String,
    pub target: i32,
    /// Enterprises promoted onto `tier` in the year so far, within the region.
    pub achieved: i64,
    /// achieved ÷ target.
    pub progress: Option<f64>,
    /// Where the year ends at the pace so far (the whole year's figure once it is over);
    /// `null` for a year not yet begun.
    pub projected: Option<i64>,
    /// The projection against the target.
    pub pace: Pace,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Targets {
    pub year: i32,
    /// Share of the year elapsed (the bureau's calendar).
    pub elapsed: f64,
    pub items: Vec<TargetProgress>,
}

/// The year's targets in the caller's streets, with what was achieved so far and where
/// the year ends at that pace.
pub fn progress(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    year: i32,
) -> Result<Targets, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let year = year_field(year)?;
    let regions = regions::all(conn)?;
    let measured = measured(conn, &auth.principal.street_scope(), &regions, year)?;
    Ok(report(catalog, year, catalog.today(), measured))
}

/// A target with its region's name and what was achieved towards it.
struct Measured {
    target: Target,
    region_name: String,
    achieved: i64,
}

/// The year's targets in `scope` (a counselor sees the targets of their own streets),
/// each with the promotions onto its rung in its streets so far.
fn measured(
    conn: &mut PgConnection,
    scope: &StreetScope,
    regions: &[Region],
    year: i32,
) -> Result<Vec<Measured>, ServiceError> {
    let entries = pipeline::funnel(conn, scope, (year, year))?;
    Ok(store::of_year(conn, year)?
        .into_iter()
        .filter_map(|target| {
            let region = regions.iter().find(|r| r.id == target.region_id)?;
            let streets: Vec<Uuid> = match region.kind {
                RegionKind::Street => vec![region.id],
                _ => regions.iter().filter(|r| r.parent_id == Some(region.id)).map(|r| r.id).collect(),
            };
            // A district's target speaks for streets beyond a counselor's own.
            let visible = match scope {
                StreetScope::All => true,
                StreetScope::Streets(mine) => region.kind == RegionKind::Street && mine.contains(&region.id),
            };
            if !visible {
                return None;
            }
            let achieved = entries
                .iter()
                .filter(|e: &&FunnelCount| e.tier == target.tier && e.street_id.is_some_and(|s| streets.contains(&s)))
                .map(|e| e.entrants)
                .sum();
            Some(Measured { region_name: region.name.clone(), achieved, target })
        })
        .collect())
}

fn report(catalog: &Catalog, year: i32, today: NaiveDate, measured: Vec<Measured>) -> Targets {
    let elapsed = elapsed_share(year, today);
    let mut items: Vec<TargetProgress> = measured
        .into_iter()
        .map(|m| TargetProgress {
            label: catalog.ladder.label(&m.target.tier).unwrap_or(&m.target.tier).to_owned(),
            tier: m.target.tier,
            region_id: m.target.region_id,
            region_name: m.region_name,
            target: m.target.target,
            achieved: m.achieved,
            progress: ratio(m.achieved, i64::from(m.target.target)),
            projected: projected(m.achieved, elapsed),
            pace: Pace::of(m.target.target, projected(m.achieved, elapsed)),
        })
        .collect();
    items.sort_by(|a, b| {
        (&a.region_name, catalog.ladder.rank(&a.tier)).cmp(&(&b.region_name, catalog.ladder.rank(&b.tier)))
    });
    Targets { year, elapsed: (elapsed * 10_000.0).round() / 10_000.0, items }
}

/// Where a year ends at the pace so far; `None` before it begins.
fn projected(achieved: i64, elapsed: f64) -> Option<i64> {
    (elapsed > 0.0).then(|| (achieved as f64 / elapsed).round() as i64)
}

/// How much of `year` has passed by the end of `today`: 0 before it, 1 after it.
fn elapsed_share(year: i32, today: NaiveDate) -> f64 {
    match today.year().cmp(&year) {
        std::cmp::Ordering::Less => 0.0,
        std::cmp::Ordering::Greater => 1.0,
        std::cmp::Ordering::Equal => {
            let days_in_year = if today.leap_year() { 366.0 } else { 365.0 };
            f64::from(today.ordinal()) / days_in_year
        }
    }
}

/// That the caller may set the year's targets (the page of the form asks; the cockpit
/// offers the link only to those who may).
pub fn may_set(auth: &Authorized) -> Result<(), ServiceError> {
    auth.require(Action::SetTargets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pace_counts_today_as_passed() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(elapsed_share(2027, day(6, 1)), 0.0);
        assert_eq!(elapsed_share(2025, day(6, 1)), 1.0);
        assert_eq!(elapsed_share(2026, day(12, 31)), 1.0);
        assert!((elapsed_share(2026, day(7, 2)) - 183.0 / 365.0).abs() < 1e-12);
    }
}
