//! 年度目标: `PUT /api/v1/targets/{year}` (manager, admin) sets how many enterprises
//! should newly reach each rung per district or street; `GET /api/v1/targets?year=`
//! shows them with progress and a projection at the current pace.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::db::pipeline::{self, FunnelCount};
use crate::db::regions::{self, Region};
use crate::db::targets::{self, Target};
use crate::domain::{Action, RegionKind, StreetScope};
use crate::http::export::writer::Kind;
use crate::http::export::{self, ExportParams, Table, heading};
use crate::http::problem::{ApiError, Problem};
use crate::http::reports::pipeline::ratio;
use crate::http::support::extract::{Json, Query};
use crate::http::{AppState, authorized};
use crate::service::ServiceError;
use crate::service::targets::{self as service, TargetInput, year_field};
use actix_web::{HttpRequest, HttpResponse, get, put, web};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetTargets {
    /// The year's whole set: targets not listed are removed.
    pub targets: Vec<TargetInput>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetParams {
    /// Default: this year.
    pub year: Option<i32>,
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
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Targets {
    pub year: i32,
    /// Share of the year elapsed (the bureau's calendar).
    pub elapsed: f64,
    pub items: Vec<TargetProgress>,
}

/// Set the year's targets, replacing the whole set (manager, admin).
#[utoipa::path(
    tag = "pipeline",
    params(("year" = i32, Path, description = "The target year")),
    request_body = SetTargets,
    responses(
        (status = 200, body = Targets),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/targets/{year}")]
pub async fn set(
    state: web::Data<AppState>,
    caller: Caller,
    year: web::Path<i32>,
    Json(body): Json<SetTargets>,
) -> Result<web::Json<Targets>, ApiError> {
    let year = year_field(year.into_inner())?;
    let ladder = state.catalog.ladder.clone();
    let today = state.catalog.today();
    let targets = authorized(&state, caller, Action::SetTargets, move |conn, auth| {
        service::set(conn, auth, &ladder, year, body.targets)?;
        let regions = regions::all(conn)?;
        progress(conn, &auth.principal.street_scope(), &regions, year)
    })
    .await?;
    Ok(web::Json(report(&state.catalog, year, today, targets)))
}

/// The year's targets within the caller's streets, with progress and projection.
#[utoipa::path(
    tag = "pipeline",
    params(TargetParams, ExportParams),
    responses(
        (status = 200, content(
            (Targets = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/targets")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<TargetParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let today = state.catalog.today();
    let year = year_field(params.year.unwrap_or(today.year()))?;
    let targets = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        let regions = regions::all(conn)?;
        progress(conn, &auth.principal.street_scope(), &regions, year)
    })
    .await?;
    let targets = report(&state.catalog, year, today, targets);
    Ok(match format {
        None => HttpResponse::Ok().json(targets),
        Some(format) => {
            let heading = heading(&state.catalog, &request, &format!("{year}年度目标"), "targets");
            export::report(format, heading, vec![targets.table()])
        }
    })
}

impl Targets {
    fn table(self) -> Table {
        use Kind::{Integer, Share, Text};
        let rows = self
            .items
            .into_iter()
            .map(|t| {
                vec![
                    t.region_name.into(),
                    t.label.into(),
                    t.target.into(),
                    t.achieved.into(),
                    t.progress.into(),
                    t.projected.into(),
                ]
            })
            .collect();
        let columns = [
            ("区域", Text, 14.0),
            ("梯队", Text, 18.0),
            ("目标", Integer, 8.0),
            ("已完成", Integer, 8.0),
            ("完成率", Share, 8.0),
            ("预计全年", Integer, 10.0),
        ];
        Table::new("年度目标", &columns, rows)
    }
}

/// A target with its region's name and what was achieved towards it.
struct Measured {
    target: Target,
    region_name: String,
    achieved: i64,
}

/// The year's targets in `scope` (a counselor sees the targets of their own streets),
/// each with the promotions onto its rung in its streets so far.
fn progress(
    conn: &mut diesel::PgConnection,
    scope: &StreetScope,
    regions: &[Region],
    year: i32,
) -> Result<Vec<Measured>, ServiceError> {
    let entries = pipeline::funnel(conn, scope, (year, year))?;
    Ok(targets::of_year(conn, year)?
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
            projected: (elapsed > 0.0).then(|| (m.achieved as f64 / elapsed).round() as i64),
        })
        .collect();
    items.sort_by(|a, b| {
        (&a.region_name, catalog.ladder.rank(&a.tier)).cmp(&(&b.region_name, catalog.ladder.rank(&b.tier)))
    });
    Targets { year, elapsed: (elapsed * 10_000.0).round() / 10_000.0, items }
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
