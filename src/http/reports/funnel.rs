//! The promotion funnel: `GET /api/v1/pipeline/funnel`. Promotions per year and
//! transition, cohort conversion, and application pass rates, all from maintained counters.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::db::pipeline::{self, ApplicationCount, FunnelCount};
use crate::domain::Action;
use crate::domain::application::Status as ApplicationStatus;
use crate::domain::dates::{self, REPORT_YEARS};
use crate::domain::figures::ratio;
use crate::http::export::writer::{Cell, Kind};
use crate::http::export::{ExportParams, Table, heading, report};
use crate::http::problem::{ApiError, Problem};
use crate::http::reports::pipeline::StreetNames;
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::ServiceError;
use actix_web::{HttpRequest, HttpResponse, get, web};
use anyhow::anyhow;
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// How many years after entering a rung a cohort is followed.
const HORIZON_YEARS: usize = 3;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FunnelParams {
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

/// How enterprises moved up over the years: promotions per transition, how each year's
/// entrants to a rung went on to climb further, and how applications fared.
#[utoipa::path(
    tag = "pipeline",
    params(FunnelParams, ExportParams),
    responses(
        (status = 200, content(
            (Funnel = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/funnel")]
pub async fn funnel(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<FunnelParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let this_year = state.catalog.today().year();
    let years = years(&params, this_year)?;
    let format = export.format(&request)?;
    let (entries, applications, names) = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        let scope = auth.principal.street_scope();
        Ok((
            pipeline::funnel(conn, &scope, years)?,
            pipeline::application_counts(conn, &scope, years)?,
            StreetNames::load(conn)?,
        ))
    })
    .await?;
    let funnel = Funnel {
        from_year: years.0,
        to_year: years.1,
        promotions: promotions(&entries),
        cohorts: cohorts(&state.catalog, &entries, this_year),
        pass_rates: pass_rates(&state.catalog, &applications, &names)?,
    };
    Ok(match format {
        None => HttpResponse::Ok().json(funnel),
        Some(format) => {
            let heading = heading(&state.catalog, &request, "梯队晋级漏斗", "funnel");
            report(format, heading, funnel.tables(&state.catalog))
        }
    })
}

impl Funnel {
    fn tables(self, catalog: &Catalog) -> Vec<Table> {
        let label = |code: &str| catalog.ladder.label(code).unwrap_or(code).to_owned();
        let promotions = self
            .promotions
            .into_iter()
            .map(|p| vec![p.year.into(), label(&p.from_tier).into(), label(&p.to_tier).into(), p.count.into()])
            .collect();
        let cohorts = self
            .cohorts
            .into_iter()
            .map(|c| {
                let mut row: Vec<Cell> = vec![c.label.into(), c.entry_year.into(), c.entrants.into()];
                row.extend(c.reached_within.map(Cell::from));
                row.extend(c.rate_within.map(Cell::from));
                row.push(i64::from(c.complete_years).into());
                row
            })
            .collect();
        let pass_rates = self
            .pass_rates
            .into_iter()
            .map(|r| {
                vec![
                    r.batch_year.into(),
                    label(&r.tier).into(),
                    r.name.into(),
                    r.applied.into(),
                    r.in_flight.into(),
                    r.approved.into(),
                    r.rejected.into(),
                    r.withdrawn.into(),
                    r.pass_rate.into(),
                ]
            })
            .collect();
        use Kind::{Integer, Share, Text};
        vec![
            Table::new(
                "晋级",
                &[("年份", Integer, 8.0), ("原梯队", Text, 18.0), ("新梯队", Text, 18.0), ("数量", Integer, 8.0)],
                promotions,
            ),
            Table::new(
                "梯队转化",
                &[
                    ("梯队", Text, 18.0),
                    ("入库年份", Integer, 10.0),
                    ("入库数", Integer, 8.0),
                    ("1年内晋级", Integer, 10.0),
                    ("2年内晋级", Integer, 10.0),
                    ("3年内晋级", Integer, 10.0),
                    ("1年转化率", Share, 10.0),
                    ("2年转化率", Share, 10.0),
                    ("3年转化率", Share, 10.0),
                    ("已满年数", Integer, 8.0),
                ],
                cohorts,
            ),
            Table::new(
                "申报通过率",
                &[
                    ("批次年度", Integer, 10.0),
                    ("梯队", Text, 18.0),
                    ("街道", Text, 12.0),
                    ("申报", Integer, 8.0),
                    ("在途", Integer, 8.0),
                    ("通过", Integer, 8.0),
                    ("未通过", Integer, 8.0),
                    ("撤回", Integer, 8.0),
                    ("通过率", Share, 8.0),
                ],
                pass_rates,
            ),
        ]
    }
}

/// The years the report spans: to this year and two before it unless asked otherwise.
fn years(params: &FunnelParams, this_year: i32) -> Result<(i32, i32), ServiceError> {
    let (first, last) = REPORT_YEARS;
    let year =
        |field: &str, year: i32| dates::year_within(year, first, last).map_err(|e| ServiceError::invalid(field, e));
    let to = year("to_year", params.to_year.unwrap_or(this_year))?;
    let from = year("from_year", params.from_year.unwrap_or(to - 2))?;
    if from > to {
        return Err(ServiceError::invalid("from_year", "must not be after to_year"));
    }
    if to - from >= 20 {
        return Err(ServiceError::invalid("from_year", "at most 20 years at a time"));
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
fn pass_rates(catalog: &Catalog, counts: &[ApplicationCount], names: &StreetNames) -> Result<Vec<PassRate>, ApiError> {
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
