//! The request report: `GET /api/v1/pipeline/requests`. The backlog now (pending,
//! overdue) and how fast and how well requests were handled in a window, per category
//! and street.

use crate::auth::Caller;
use crate::db::pipeline::{self, RequestGroup, RequestStats};
use crate::domain::Action;
use crate::domain::service_request::Category;
use crate::error::{AppError, Problem};
use crate::export::Kind;
use crate::http::exports::{ExportParams, Table, heading, report};
use crate::http::extract::Query;
use crate::http::pipeline::StreetNames;
use crate::http::{AppState, authorized};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestReportParams {
    /// First day of the window for resolutions and ratings (default: 364 days before `to`).
    pub from: Option<NaiveDate>,
    /// Last day of the window, included (default: today). The backlog is always as of now.
    pub to: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    /// Open, assigned, in progress or escalated now.
    pub pending: i64,
    /// Of those, past their due time.
    pub overdue: i64,
    /// Resolved within the window.
    pub resolved: i64,
    /// Mean hours from raising to resolving, over those resolved in the window.
    pub mean_hours_to_resolve: Option<f64>,
    /// 90th percentile of the same.
    pub p90_hours_to_resolve: Option<f64>,
    /// Closed with a rating within the window.
    pub rated: i64,
    /// Mean rating (1–5) of those.
    pub satisfaction: Option<f64>,
}

impl From<&RequestStats> for Figures {
    fn from(stats: &RequestStats) -> Self {
        let round = |x: Option<f64>| x.map(|x| (x * 100.0).round() / 100.0);
        Self {
            pending: stats.pending,
            overdue: stats.overdue,
            resolved: stats.resolved,
            mean_hours_to_resolve: round(stats.mean_hours),
            p90_hours_to_resolve: round(stats.p90_hours),
            rated: stats.rated,
            satisfaction: round(stats.satisfaction),
        }
    }
}

impl Figures {
    const NONE: Self = Self {
        pending: 0,
        overdue: 0,
        resolved: 0,
        mean_hours_to_resolve: None,
        p90_hours_to_resolve: None,
        rated: 0,
        satisfaction: None,
    };
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryFigures {
    pub category: String,
    pub label: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StreetFigures {
    pub street_id: Option<Uuid>,
    pub name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RequestReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(flatten)]
    pub overall: Figures,
    /// Every category, zeros included.
    pub by_category: Vec<CategoryFigures>,
    /// Streets with requests, by name.
    pub by_street: Vec<StreetFigures>,
}

/// 诉求 handling: the backlog, time to resolve (mean and 90th percentile) and satisfaction.
#[utoipa::path(
    tag = "pipeline",
    params(RequestReportParams, ExportParams),
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
    Query(params): Query<RequestReportParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, AppError> {
    let format = export.format(&request)?;
    let to = params.to.unwrap_or_else(|| state.catalog.today());
    let from = params.from.unwrap_or(to - Days::new(364));
    if from > to {
        return Err(AppError::invalid("from", "must not be after to"));
    }
    if (to - from).num_days() > 3660 {
        return Err(AppError::invalid("from", "the window may span at most ten years"));
    }
    let window = (state.catalog.start_of(from), state.catalog.start_of(to + Days::new(1)));
    let (stats, names) = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        Ok((pipeline::request_stats(conn, &auth.principal.street_scope(), window)?, StreetNames::load(conn)?))
    })
    .await?;

    let overall = stats.iter().find(|s| s.group() == RequestGroup::All).map_or(Figures::NONE, Figures::from);
    let by_category = Category::ALL
        .iter()
        .map(|category| CategoryFigures {
            category: category.as_str().into(),
            label: category.label().into(),
            figures: stats
                .iter()
                .find(|s| s.group() == RequestGroup::Category(category.as_str()))
                .map_or(Figures::NONE, Figures::from),
        })
        .collect();
    let mut by_street: Vec<StreetFigures> = stats
        .iter()
        .filter_map(|s| match s.group() {
            RequestGroup::Street(street_id) => {
                Some(StreetFigures { street_id, name: names.name(street_id), figures: s.into() })
            }
            _ => None,
        })
        .collect();
    by_street.sort_by(|a, b| (&a.name, a.street_id).cmp(&(&b.name, b.street_id)));
    let requests = RequestReport { from, to, overall, by_category, by_street };
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
                f.pending.into(),
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
