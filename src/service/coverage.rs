//! Visit coverage (全覆盖): which share of the live enterprises a counselor saw in the last
//! N days, per tier and street, and against each rung's visit cadence; and who has gone
//! unvisited longest. From counters of last visits kept by triggers (the cost does not
//! grow with the number of visits).

use crate::config::Catalog;
use crate::db::enterprises;
use crate::db::pipeline::{self, CoverageCount};
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::figures::ratio;
use crate::domain::visit;
use crate::service::pipeline::StreetNames;
use crate::service::{Authorized, ServiceError};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageQuery {
    /// The window: today and the days before it (1–3650, default 90).
    pub days: Option<u32>,
    /// How many of the longest-unvisited enterprises to list (1–200, default 20).
    pub unvisited: Option<i64>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Covered {
    /// Live enterprises.
    pub enterprises: i64,
    /// Of them, visited within the window.
    pub visited: i64,
    /// visited ÷ enterprises; `null` when there are none.
    pub share: Option<f64>,
}

impl Covered {
    fn add(&mut self, count: &CoverageCount) {
        self.enterprises += count.enterprises;
        self.visited += count.visited;
        self.share = ratio(self.visited, self.enterprises);
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierCoverage {
    pub tier: String,
    pub label: String,
    /// The rung's visit cadence in days, if it has one.
    pub visit_every_days: Option<u32>,
    #[serde(flatten)]
    pub covered: Covered,
}

/// Coverage overall, per rung and per street.
#[derive(Debug, Default, Serialize, ToSchema)]
#[schema(as = CoverageBreakdown)]
pub struct Breakdown {
    #[serde(flatten)]
    pub overall: Covered,
    /// The rungs counted, lowest first.
    pub by_tier: Vec<TierCoverage>,
    /// Streets with live enterprises on those rungs, by name.
    pub by_street: Vec<StreetCoverage>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StreetCoverage {
    pub street_id: Option<Uuid>,
    pub name: String,
    #[serde(flatten)]
    pub covered: Covered,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Unvisited {
    pub enterprise_id: Uuid,
    pub name: String,
    pub tier: String,
    pub street_id: Option<Uuid>,
    /// `null`: never visited.
    pub last_visited_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Coverage {
    pub days: u32,
    /// The first day of the window (the bureau's calendar).
    pub since: NaiveDate,
    #[serde(flatten)]
    pub overall: Covered,
    /// Every tier, lowest first.
    pub by_tier: Vec<TierCoverage>,
    /// Streets with live enterprises, by name.
    pub by_street: Vec<StreetCoverage>,
    /// Not visited within the window: never-visited first, then the longest unvisited.
    pub longest_unvisited: Vec<Unvisited>,
    /// Coverage against each rung's visit cadence, whatever `days` asks: an enterprise
    /// counts as visited when its last visit lies within its rung's cadence (a 小巨人 within
    /// 30 days, a prospect within 180, as `config/tiers.toml` sets them). Rungs without a
    /// cadence are left out.
    pub cadence: Breakdown,
}

/// Coverage within the caller's streets, with the street names its rows are told by.
pub fn coverage(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    params: CoverageQuery,
) -> Result<(Coverage, StreetNames), ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let days = params.days.unwrap_or(90);
    let since = visit::asked_window_start(catalog.today(), days).map_err(|e| ServiceError::invalid("days", e))?;
    let listed = params.unvisited.unwrap_or(20);
    if !(1..=200).contains(&listed) {
        return Err(ServiceError::invalid("unvisited", Refusal::Between { min: 1, max: 200 }));
    }
    let scope = auth.principal.street_scope();
    let counts = pipeline::coverage(conn, &scope, since)?;
    let unvisited = enterprises::not_visited(conn, &scope, since, listed)?;
    let names = StreetNames::load(conn)?;

    let today = catalog.today();
    let windows: Vec<(String, NaiveDate)> = catalog
        .ladder
        .rungs()
        .iter()
        .filter_map(|r| r.visit_every_days.map(|every| (r.code.clone(), visit::window_start(today, every))))
        .collect();
    let on_cadence = pipeline::coverage_on_cadence(conn, &scope, &windows)?;
    let all = tally(catalog, &names, &counts, |_| true);
    let cadence = tally(catalog, &names, &on_cadence, |rung| rung.visit_every_days.is_some());
    let coverage = Coverage {
        days,
        since,
        overall: all.overall,
        by_tier: all.by_tier,
        by_street: all.by_street,
        cadence,
        longest_unvisited: unvisited
            .into_iter()
            .map(|u| Unvisited {
                enterprise_id: u.id,
                name: u.name,
                tier: u.tier,
                street_id: u.street_id,
                last_visited_at: u.last_visited_at,
            })
            .collect(),
    };
    Ok((coverage, names))
}

/// `counts` summed overall, per rung (every rung `listed` keeps, zeros included) and per
/// street.
fn tally(
    catalog: &Catalog,
    names: &StreetNames,
    counts: &[CoverageCount],
    listed: impl Fn(&crate::domain::Rung) -> bool,
) -> Breakdown {
    let mut overall = Covered::default();
    let mut by_tier: BTreeMap<usize, TierCoverage> = catalog
        .ladder
        .rungs()
        .iter()
        .enumerate()
        .filter(|(_, r)| listed(r))
        .map(|(rank, r)| {
            let covered = Covered::default();
            (
                rank,
                TierCoverage {
                    tier: r.code.clone(),
                    label: r.label.clone(),
                    visit_every_days: r.visit_every_days,
                    covered,
                },
            )
        })
        .collect();
    let mut by_street: BTreeMap<(String, Option<Uuid>), Covered> = BTreeMap::new();
    for count in counts {
        overall.add(count);
        if let Some(tier) = by_tier.get_mut(&catalog.ladder.rank(&count.tier)) {
            tier.covered.add(count);
        }
        by_street.entry((names.name(count.street_id), count.street_id)).or_default().add(count);
    }
    Breakdown {
        overall,
        by_tier: by_tier.into_values().collect(),
        by_street: by_street
            .into_iter()
            .map(|((name, street_id), covered)| StreetCoverage { street_id, name, covered })
            .collect(),
    }
}
