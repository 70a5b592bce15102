//! Visit coverage (全覆盖): `GET /api/v1/pipeline/coverage`. Which share of the live
//! enterprises a counselor saw in the last N days, per tier and street, and who has gone
//! unvisited longest.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::domain::Action;
use crate::export::writer::Kind;
use crate::export::{ExportParams, Table, heading, report};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::coverage::{self as service, Coverage, CoverageQuery, Covered};
use crate::service::pipeline::StreetNames;
use actix_web::{HttpRequest, HttpResponse, get, web};

/// How much of the district the counselors reached in the last N days, from counters of
/// last visits kept by triggers: the cost does not grow with the number of visits.
#[utoipa::path(
    tag = "pipeline",
    params(CoverageQuery, ExportParams),
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
    Query(params): Query<CoverageQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let (coverage, names) = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        service::coverage(conn, auth, &catalog, params)
    })
    .await?;
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
