//! 年度目标: how many enterprises should newly reach each rung in a year, per district or
//! street: the bureau's commitments, set as a whole year at a time.

use crate::db::audit::{self, Change};
use crate::db::regions::{self, Region};
use crate::db::targets::{self as store, Target};
use crate::domain::{Ladder, RegionKind, dates};
use crate::service::{Authorized, FieldError, ServiceError};
use chrono::Utc;
use diesel::{Connection, PgConnection};
use serde::Deserialize;
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
                    errors.push(FieldError::new(field("tier"), "the base of the ladder has no target"))
                }
                Ok(_) => {}
                Err(e) => errors.push(FieldError::new(field("tier"), e)),
            }
            match regions.iter().find(|r| r.id == input.region_id) {
                Some(r) if r.kind != RegionKind::Park => {}
                Some(_) => errors.push(FieldError::new(field("region_id"), "must be a district or a street")),
                None => errors.push(FieldError::new(field("region_id"), "no such region")),
            }
            if !(1..=1_000_000).contains(&input.target) {
                errors.push(FieldError::new(field("target"), "must be between 1 and 1000000"));
            }
            if !seen.insert((input.region_id, input.tier.clone())) {
                errors.push(FieldError::new(field("tier"), "this region and tier are listed twice"));
            }
            Target { year, region_id: input.region_id, tier: input.tier, target: input.target, set_by, set_at }
        })
        .collect();
    ServiceError::unless_any(errors)?;
    Ok(rows)
}
