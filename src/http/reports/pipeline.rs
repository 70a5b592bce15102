//! Pipeline views for the bureau (counselors and viewers: their streets):
//! `/api/v1/pipeline/...`.

use crate::auth::Caller;
use crate::config::Catalog;
use crate::db::PgPool;
use crate::db::certificates::{self, ExpiringFilter};
use crate::domain::Action;
use crate::domain::StreetScope;
use crate::export::writer::{self, Cell, Kind, Sheet, Sink};
use crate::export::{ExportParams, Table, heading, page_through, report};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::pipeline::{self as service, ExpiringQuery, StreetNames, Summary, SummaryQuery, TierCounts};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use diesel::PgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiringItem {
    pub enterprise_id: Uuid,
    pub name: String,
    pub street_id: Option<Uuid>,
    /// The rung of the certificate.
    pub tier: String,
    pub certificate_id: Uuid,
    pub certificate_no: Option<String>,
    /// Its last valid day.
    pub valid_until: NaiveDate,
    /// Days from today until `valid_until` (0: its last day is today).
    pub days_left: i64,
}

impl ExpiringItem {
    pub fn new(row: certificates::Expiring, today: NaiveDate) -> Self {
        Self {
            days_left: (row.valid_until - today).num_days(),
            enterprise_id: row.enterprise_id,
            name: row.name,
            street_id: row.street_id,
            tier: row.tier,
            certificate_id: row.certificate_id,
            certificate_no: row.certificate_no,
            valid_until: row.valid_until,
        }
    }
}

/// Certificates lapsing within the window, soonest first: whom to coach into a renewal.
#[utoipa::path(
    tag = "pipeline",
    params(ExpiringQuery, PageParams, ExportParams),
    responses(
        (status = 200, content(
            (Page<ExpiringItem> = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/expiring")]
pub async fn expiring(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<ExpiringQuery>,
    Query(paging): Query<PageParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let (filter, window) = params.into_filter(&state.catalog)?;
    let today = window.0;
    if let Some(format) = format {
        let scope =
            authorized(&state, caller, Action::ReadPipeline, |_, auth| Ok(auth.principal.street_scope())).await?;
        let heading = heading(&state.catalog, &request, "证书到期提醒", "expiring");
        let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
        return Ok(writer::respond(format, heading, move |sink| {
            export_expiring(sink, &pool, &catalog, &scope, &filter, window)
        }));
    }
    let page = paging.parse::<(NaiveDate, Uuid)>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let rows = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        Ok(certificates::expiring(conn, &auth.principal.street_scope(), &filter, window, after, fetch)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(page.page(
        rows,
        |row| (row.valid_until, row.certificate_id),
        |row| ExpiringItem::new(row, today),
    )))
}

/// Every certificate the list would page through, soonest first.
fn export_expiring(
    sink: &mut dyn Sink,
    pool: &PgPool,
    catalog: &Catalog,
    scope: &StreetScope,
    filter: &ExpiringFilter,
    window: (NaiveDate, NaiveDate),
) -> anyhow::Result<()> {
    use Kind::{Date, Integer, Text};
    let columns = [
        ("企业名称", Text, 36.0),
        ("街道", Text, 12.0),
        ("梯队", Text, 18.0),
        ("证书编号", Text, 18.0),
        ("有效期至", Date, 12.0),
        ("剩余天数", Integer, 10.0),
    ];
    sink.sheet(&Sheet::new("证书到期", &columns))?;
    let streets = StreetNames::load(&mut *pool.get()?)?;
    let fetch =
        |conn: &mut PgConnection, after, limit| certificates::expiring(conn, scope, filter, window, after, limit);
    page_through(
        sink,
        pool,
        fetch,
        |row| (row.valid_until, row.certificate_id),
        |row| {
            vec![
                row.name.as_str().into(),
                streets.name(row.street_id).into(),
                catalog.ladder.label(&row.tier).unwrap_or(&row.tier).into(),
                row.certificate_no.as_deref().into(),
                row.valid_until.into(),
                (row.valid_until - window.0).num_days().into(),
            ]
        },
    )
}

/// How many live enterprises stand on each rung: overall, per street, per cluster. Served
/// from counters kept in the same transaction as every change, so it costs the same at a
/// million enterprises as at a thousand.
#[utoipa::path(
    tag = "pipeline",
    params(SummaryQuery, ExportParams),
    responses(
        (status = 200, content(
            (Summary = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/summary")]
pub async fn summary(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(params): Query<SummaryQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let summary = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        service::summary(conn, auth, &catalog, params)
    })
    .await?;
    Ok(match format {
        None => HttpResponse::Ok().json(summary),
        Some(format) => {
            let heading = heading(&state.catalog, &request, "梯队分布", "pipeline-summary");
            report(format, heading, summary.tables(&state.catalog))
        }
    })
}

impl Summary {
    /// Per street and per cluster: one column per tier, then the total.
    fn tables(self, catalog: &Catalog) -> Vec<Table> {
        let rungs = catalog.ladder.rungs();
        let columns = |first: &'static str| {
            let mut columns: Vec<(&str, Kind, f64)> = vec![(first, Kind::Text, 16.0)];
            columns.extend(rungs.iter().map(|r| (r.label.as_str(), Kind::Integer, 12.0)));
            columns.push(("合计", Kind::Integer, 10.0));
            columns
        };
        let row = |name: String, counts: &TierCounts, total: i64| {
            let mut row: Vec<Cell> = vec![name.into()];
            row.extend(rungs.iter().map(|r| Cell::from(counts.get(&r.code).copied().unwrap_or(0))));
            row.push(total.into());
            row
        };
        let by_street = self.by_street.iter().map(|s| row(s.name.clone(), &s.counts, s.total)).collect();
        let by_cluster = self.by_cluster.iter().map(|c| row(c.name.clone(), &c.counts, c.total)).collect();
        vec![
            Table::new("按街道", &columns("街道"), by_street),
            Table::new("按产业集群", &columns("产业集群"), by_cluster),
        ]
    }
}
