//! Visit coverage (全覆盖): `GET /api/v1/pipeline/coverage`. Which share of the live
//! enterprises a counselor saw in the last N days, per tier and street, and who has gone
//! unvisited longest.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::db::enterprises;
use crate::db::pipeline::{self, CoverageCount};
use crate::domain::figures::ratio;
use crate::domain::{Action, visit};
use crate::http::export::writer::Kind;
use crate::http::export::{ExportParams, Table, heading, report};
use crate::http::problem::{ApiError, Problem};
use crate::http::reports::pipeline::StreetNames;
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::ServiceError;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
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
    #[serde(flatten)]
    pub covered: Covered,
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
}

/// How much of the district the counselors reached in the last N days, from counters of
/// last visits kept by triggers: the cost does not grow with the number of visits.
#[utoipa::path(
    tag = "pipeline",
    params(CoverageParams, ExportParams),
    responses(
        (status = 200, content(
            (Coverage = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/coverage")]
pub async fn coverage(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<CoverageParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let days = params.days.unwrap_or(90);
    if !(1..=3650).contains(&days) {
        return Err(ServiceError::invalid("days", "must be between 1 and 3650").into());
    }
    let listed = params.unvisited.unwrap_or(20);
    if !(1..=200).contains(&listed) {
        return Err(ServiceError::invalid("unvisited", "must be between 1 and 200").into());
    }
    let since = visit::window_start(state.catalog.today(), days);
    let (counts, unvisited, names) = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        let scope = auth.principal.street_scope();
        Ok((
            pipeline::coverage(conn, &scope, since)?,
            enterprises::not_visited(conn, &scope, since, listed)?,
            StreetNames::load(conn)?,
        ))
    })
    .await?;

    let mut overall = Covered::default();
    let mut by_tier: BTreeMap<usize, TierCoverage> = state
        .catalog
        .ladder
        .rungs()
        .iter()
        .enumerate()
        .map(|(rank, r)| {
            (rank, TierCoverage { tier: r.code.clone(), label: r.label.clone(), covered: Covered::default() })
        })
        .collect();
    let mut by_street: BTreeMap<(String, Option<Uuid>), Covered> = BTreeMap::new();
    for count in &counts {
        overall.add(count);
        if let Some(tier) = by_tier.get_mut(&state.catalog.ladder.rank(&count.tier)) {
            tier.covered.add(count);
        }
        by_street.entry((names.name(count.street_id), count.street_id)).or_default().add(count);
    }
    let coverage = Coverage {
        days,
        since,
        overall,
        by_tier: by_tier.into_values().collect(),
        by_street: by_street
            .into_iter()
            .map(|((name, street_id), covered)| StreetCoverage { street_id, name, covered })
            .collect(),
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
    Ok(match format {
        None => HttpResponse::Ok().json(coverage),
        Some(format) => {
            let heading = heading(&state.catalog, &request, "走访覆盖", "coverage");
            report(format, heading, coverage.tables(&state.catalog, &names))
        }
    })
}

impl Coverage {
    fn tables(self, catalog: &Catalog, names: &StreetNames) -> Vec<Table> {
        use Kind::{DateTime, Integer, Share, Text};
        let covered = |first: &'static str| {
            [(first, Text, 18.0), ("企业数", Integer, 10.0), ("已走访", Integer, 10.0), ("覆盖率", Share, 10.0)]
        };
        let row = |name: String, c: &Covered| vec![name.into(), c.enterprises.into(), c.visited.into(), c.share.into()];
        let by_tier = self.by_tier.iter().map(|t| row(t.label.clone(), &t.covered)).collect();
        let by_street = self.by_street.iter().map(|s| row(s.name.clone(), &s.covered)).collect();
        let unvisited = self
            .longest_unvisited
            .into_iter()
            .map(|u| {
                vec![
                    u.name.into(),
                    catalog.ladder.label(&u.tier).unwrap_or(&u.tier).into(),
                    names.name(u.street_id).into(),
                    u.last_visited_at.map(|at| catalog.local(at)).into(),
                ]
            })
            .collect();
        vec![
            Table::new("按梯队", &covered("梯队"), by_tier),
            Table::new("按街道", &covered("街道"), by_street),
            Table::new(
                "久未走访",
                &[("企业名称", Text, 36.0), ("梯队", Text, 18.0), ("街道", Text, 12.0), ("最近走访", DateTime, 17.0)],
                unvisited,
            ),
        ]
    }
}
