//! The promotion funnel: `GET /api/v1/pipeline/funnel`. Promotions per year and
//! transition, cohort conversion, and application pass rates, all from maintained counters.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::domain::Action;
use crate::export::writer::{Cell, Kind};
use crate::export::{ExportParams, Table, heading, report};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::funnel::{self as service, Funnel, FunnelQuery};
use actix_web::{HttpRequest, HttpResponse, get, web};

/// How enterprises moved up over the years: promotions per transition, how each year's
/// entrants to a rung went on to climb further, and how applications fared.
#[utoipa::path(
    tag = "pipeline",
    params(FunnelQuery, ExportParams),
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
    Query(params): Query<FunnelQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let funnel = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        service::funnel(conn, auth, &catalog, &params)
    })
    .await?;
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
