//! The request report: `GET /api/v1/pipeline/requests`. The backlog now (open,
//! overdue) and how fast and how well requests were handled in a window, per category
//! and street.

use crate::auth::Caller;
use crate::domain::Action;
use crate::export::writer::Kind;
use crate::export::{ExportParams, Table, heading, report};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::request_report::{self as service, Figures, RequestReport, RequestReportQuery};
use actix_web::{HttpRequest, HttpResponse, get, web};

/// 诉求 handling: the backlog, time to resolve (mean and 90th percentile) and satisfaction,
/// from counters kept per month, street and category.
#[utoipa::path(
    tag = "pipeline",
    params(RequestReportQuery, ExportParams),
    responses(
        (status = 200, content(
            (RequestReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/requests")]
pub async fn requests(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<RequestReportQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let requests = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        service::requests(conn, auth, &catalog, params)
    })
    .await?;
    Ok(match format {
        None => HttpResponse::Ok().json(requests),
        Some(format) => {
            let heading = heading(&state.catalog, &request, "诉求办理", "requests");
            report(format, heading, requests.tables())
        }
    })
}

impl RequestReport {
    fn tables(self) -> Vec<Table> {
        use Kind::{Decimal, Integer, Text};
        let columns = |first: &'static str| {
            [
                (first, Text, 14.0),
                ("在办", Integer, 8.0),
                ("超期", Integer, 8.0),
                ("已办结", Integer, 8.0),
                ("平均办结小时", Decimal, 12.0),
                ("P90办结小时", Decimal, 12.0),
                ("评价数", Integer, 8.0),
                ("满意度", Decimal, 8.0),
            ]
        };
        let row = |name: String, f: &Figures| {
            vec![
                name.into(),
                f.open.into(),
                f.overdue.into(),
                f.resolved.into(),
                f.mean_hours_to_resolve.into(),
                f.p90_hours_to_resolve.into(),
                f.rated.into(),
                f.satisfaction.into(),
            ]
        };
        let by_category = self.by_category.iter().map(|c| row(c.label.clone(), &c.figures)).collect();
        let by_street = self.by_street.iter().map(|s| row(s.name.clone(), &s.figures)).collect();
        vec![Table::new("按类别", &columns("类别"), by_category), Table::new("按街道", &columns("街道"), by_street)]
    }
}
