//! The funnel: how enterprises moved up over the years (promotions per transition), how
//! each year's entrants to a rung went on to climb further (cohorts), and how
//! applications fared (pass rates per batch year, tier and street).

use crate::config::Catalog;
use crate::db::pipeline::{self, ApplicationCount, FunnelCount};
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::application::Status as ApplicationStatus;
use crate::domain::dates::{self, REPORT_YEARS};
use crate::domain::figures::ratio;
use crate::service::pipeline::StreetNames;
use crate::service::{Authorized, ServiceError};
use anyhow::anyhow;
use chrono::Datelike;
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// How many years after entering a rung a cohort is followed.
const HORIZON_YEARS: usize = 3;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FunnelQuery {
    /// First year reported (default: two years before this one).
    pub from_year: Option<i32>,
    /// Last year reported (default: this year). At most 20 years in all.
    pub to_year: Option<i32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Funnel {
    pub from_year: i32,
    pub to_year: i32,
    /// Promotions per year and transition (jumps over rungs are their own transition).
    pub promotions: Vec<Promotions>,
    /// Per rung and year of entry: how many of the entrants climbed further within 1, 2
    /// and 3 years.
    pub cohorts: Vec<Cohort>,
    /// Per batch year and tier: all streets (`street_id` null, `name` 全区) first, then
    /// each street.
    pub pass_rates: Vec<PassRate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Promotions {
    pub year: i32,
    pub from_tier: String,
    pub to_tier: String,
    pub count: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cohort {
    pub tier: String,
    pub label: String,
    pub entry_year: i32,
    pub entrants: i64,
    /// Entrants that reached a higher rung within 1, 2 and 3 years of entering.
    pub reached_within: [i64; HORIZON_YEARS],
    /// The same as shares of the entrants.
    pub rate_within: [f64; HORIZON_YEARS],
    /// How many of those windows have closed for every entrant (0–3): later figures can
    /// still grow.
    pub complete_years: u8,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct PassRate {
    pub batch_year: i32,
    pub tier: String,
    /// `null`: all streets together.
    pub street_id: Option<Uuid>,
    pub name: String,
    pub applied: i64,
    /// Still preparing, pre-reviewed or submitted.
    pub in_flight: i64,
    pub approved: i64,
    pub rejected: i64,
    pub withdrawn: i64,
    /// approved ÷ (approved + rejected); `null` before any decision.
    pub pass_rate: Option<f64>,
}

impl PassRate {
    fn add(&mut self, status: ApplicationStatus, n: i64) {
        self.applied += n;
        match status {
            ApplicationStatus::Approved => self.approved += n,
            ApplicationStatus::Rejected => self.rejected += n,
            ApplicationStatus::Withdrawn => self.withdrawn += n,
            ApplicationStatus::Preparing | ApplicationStatus::PreReviewed | ApplicationStatus::Submitted => {
                self.in_flight += n
            }
        }
        self.pass_rate = ratio(self.approved, self.approved + self.rejected);
    }
}

/// The funnel within the caller's streets, over `params`' years.
pub fn funnel(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    params: &FunnelQuery,
) -> Result<Funnel, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let this_year = catalog.today().year();
    let years = years(params, this_year)?;
    let scope = auth.principal.street_scope();
    let entries = pipeline::funnel(conn, &scope, years)?;
    let applications = pipeline::application_counts(conn, &scope, years)?;
    let names = StreetNames::load(conn)?;
    Ok(Funnel {
        from_year: years.0,
        to_year: years.1,
        promotions: promotions(&entries),
        cohorts: cohorts(catalog, &entries, this_year),
        pass_rates: pass_rates(catalog, &applications, &names)?,
    })
}

/// The years the report spans: to this year and two before it unless asked otherwise.
fn years(params: &FunnelQuery, this_year: i32) -> Result<(i32, i32), ServiceError> {
    let (first, last) = REPORT_YEARS;
    let year =
        |field: &str, year: i32| dates::year_within(year, first, last).map_err(|e| ServiceError::invalid(field, e));
    let to = year("to_year", params.to_year.unwrap_or(this_year))?;
    let from = year("from_year", params.from_year.unwrap_or(to - 2))?;
    if from > to {
        return Err(ServiceError::invalid("from_year", Refusal::AfterEnd { other: "to_year".into() }));
    }
    if to - from >= 20 {
        return Err(ServiceError::invalid("from_year", Refusal::SpanAtMost { years: 20 }));
    }
    Ok((from, to))
}

fn promotions(entries: &[FunnelCount]) -> Vec<Promotions> {
    let mut by_transition: BTreeMap<(i32, &str, &str), i64> = BTreeMap::new();
    for entry in entries {
        *by_transition.entry((entry.entry_year, &entry.from_tier, &entry.tier)).or_default() += entry.entrants;
    }
    by_transition
        .into_iter()
        .map(|((year, from, to), count)| Promotions { year, from_tier: from.into(), to_tier: to.into(), count })
        .collect()
}

/// Cohorts per rung (lowest first), then year of entry.
fn cohorts(catalog: &Catalog, entries: &[FunnelCount], this_year: i32) -> Vec<Cohort> {
    let mut by_cohort: BTreeMap<(usize, i32), (i64, [i64; HORIZON_YEARS])> = BTreeMap::new();
    for entry in entries {
        let (entrants, reached) = by_cohort.entry((catalog.ladder.rank(&entry.tier), entry.entry_year)).or_default();
        *entrants += entry.entrants;
        for (sum, n) in reached.iter_mut().zip([entry.within_1y, entry.within_2y, entry.within_3y]) {
            *sum += n;
        }
    }
    by_cohort
        .into_iter()
        .filter_map(|((rank, entry_year), (entrants, reached_within))| {
            let rung = catalog.ladder.rungs().get(rank)?;
            // Entrants of December need the whole next year for their first window.
            let closed = (this_year - entry_year - 1).clamp(0, HORIZON_YEARS as i32);
            Some(Cohort {
                tier: rung.code.clone(),
                label: rung.label.clone(),
                entry_year,
                entrants,
                rate_within: reached_within.map(|n| ratio(n, entrants).unwrap_or(0.0)),
                reached_within,
                complete_years: u8::try_from(closed).unwrap_or(0),
            })
        })
        .collect()
}

/// Per batch year, tiers in ladder order: all streets first, then each street by name.
fn pass_rates(
    catalog: &Catalog,
    counts: &[ApplicationCount],
    names: &StreetNames,
) -> Result<Vec<PassRate>, ServiceError> {
    /// A batch year and tier: all streets, then each street by name.
    type Group = (PassRate, BTreeMap<(String, Option<Uuid>), PassRate>);
    let mut groups: BTreeMap<(i32, usize, &str), Group> = BTreeMap::new();
    for count in counts {
        let status =
            ApplicationStatus::try_from(count.status.clone()).map_err(|e| ServiceError::Internal(anyhow!(e)))?;
        let (year, tier, street_id) = (count.batch_year, count.tier.as_str(), count.street_id);
        let row =
            |street_id, name| PassRate { batch_year: year, tier: tier.into(), street_id, name, ..Default::default() };
        let (total, streets) = groups
            .entry((year, catalog.ladder.rank(tier), tier))
            .or_insert_with(|| (row(None, "全区".into()), BTreeMap::new()));
        total.add(status, count.n);
        let name = names.name(street_id);
        streets.entry((name.clone(), street_id)).or_insert_with(|| row(street_id, name)).add(status, count.n);
    }
    Ok(groups.into_values().flat_map(|(total, streets)| std::iter::once(total).chain(streets.into_values())).collect())
}
