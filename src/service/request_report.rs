//! The request report: the backlog now (open, overdue) and how fast and how well requests
//! were handled in a window of months, per category and street, from counters kept per
//! month, street and category; and the service desk's figures of the requests raised in
//! the window (on time per stage, extensions, callbacks and reopenings).

use crate::config::Catalog;
use crate::db::pipeline::{self, Backlog, RequestCohort, RequestMonth};
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::dates::{self, REPORT_YEARS};
use crate::domain::service_request::Stage;
use crate::domain::service_request::{Category, resolved_within};
use crate::service::pipeline::StreetNames;
use crate::service::{Authorized, ServiceError};
use chrono::{Datelike, Months, NaiveDate};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequestReportQuery {
    /// First month of the window for resolutions and ratings, `YYYY-MM` (default: eleven
    /// months before `to`).
    pub from: Option<String>,
    /// Last month of the window, included, `YYYY-MM` (default: this month). The backlog is
    /// always as of now.
    pub to: Option<String>,
}

#[derive(Debug, Default, Serialize, ToSchema)]
pub struct Figures {
    /// Not yet resolved now: open, assigned, in progress or escalated.
    pub open: i64,
    /// Of those, past their due time.
    pub overdue: i64,
    /// Resolved within the window.
    pub resolved: i64,
    /// Mean hours from raising to resolving, over those resolved in the window.
    pub mean_hours_to_resolve: Option<f64>,
    /// 90% of them were resolved within this many hours: the bound of the histogram bucket
    /// (1 h steps at first, then 2, 4, 6, 12, 24 h and wider) holding the 90th percentile;
    /// `null` beyond a year.
    pub p90_hours_to_resolve: Option<f64>,
    /// Closed with a rating within the window.
    pub rated: i64,
    /// Mean rating (1–5) of those.
    pub satisfaction: Option<f64>,
    /// The service desk's figures of the requests raised in the window.
    pub desk: DeskFigures,
}

/// How the desk kept its promise to the requests raised in the window (a cohort: the
/// month a request was raised decides where it counts, whenever its stages were done).
#[derive(Debug, Default, Serialize, ToSchema)]
pub struct DeskFigures {
    /// Requests raised in the window.
    pub raised: i64,
    /// Per stage: how many were done, how many of those on time, and the share (0–1).
    pub stages: Vec<StageFigures>,
    /// Requests given at least one extension, and extensions approved in all.
    pub extended: i64,
    pub extensions: i64,
    /// Callbacks made (回访), their mean satisfaction (1–5), and the share of them that
    /// reopened the request (0–1).
    pub callbacks: i64,
    pub callback_satisfaction: Option<f64>,
    pub reopened: i64,
    pub reopen_rate: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StageFigures {
    pub stage: Stage,
    pub done: i64,
    pub on_time: i64,
    pub on_time_rate: Option<f64>,
}

/// Counters summed over months, streets or categories.
#[derive(Debug, Default)]
struct Tally {
    open: i64,
    overdue: i64,
    resolved: i64,
    hours_total: f64,
    histogram: Vec<i64>,
    rated: i64,
    rating_total: i64,
    raised: i64,
    /// Done and on time, per stage in `Stage::ALL` order.
    stages: [(i64, i64); 4],
    extended: i64,
    extensions: i64,
    callbacks: i64,
    callback_rating_total: i64,
    reopened: i64,
}

impl Tally {
    fn cohort(&mut self, c: &RequestCohort) {
        self.raised += c.raised;
        let stages = [
            (c.acknowledged, c.acknowledged_on_time),
            (c.contacted, c.contacted_on_time),
            (c.resolved, c.resolved_on_time),
            (c.called_back, c.called_back_on_time),
        ];
        for (sum, (done, on_time)) in self.stages.iter_mut().zip(stages) {
            *sum = (sum.0 + done, sum.1 + on_time);
        }
        self.extended += c.extended;
        self.extensions += c.extensions;
        self.callbacks += c.callbacks;
        self.callback_rating_total += c.callback_rating_total;
        self.reopened += c.reopened;
    }

    fn backlog(&mut self, backlog: &Backlog) {
        self.open += backlog.open;
        self.overdue += backlog.overdue;
    }

    fn month(&mut self, month: &RequestMonth) {
        self.resolved += month.resolved;
        self.hours_total += month.hours_total;
        if self.histogram.len() < month.hours_histogram.len() {
            self.histogram.resize(month.hours_histogram.len(), 0);
        }
        for (sum, n) in self.histogram.iter_mut().zip(&month.hours_histogram) {
            *sum += n;
        }
        self.rated += month.rated;
        self.rating_total += month.rating_total;
    }

    fn figures(&self) -> Figures {
        let mean = |total: f64, n: i64| (n > 0).then(|| (total / n as f64 * 100.0).round() / 100.0);
        Figures {
            open: self.open,
            overdue: self.overdue,
            resolved: self.resolved,
            mean_hours_to_resolve: mean(self.hours_total, self.resolved),
            p90_hours_to_resolve: resolved_within(&self.histogram, 0.9),
            rated: self.rated,
            satisfaction: mean(self.rating_total as f64, self.rated),
            desk: DeskFigures {
                raised: self.raised,
                stages: Stage::ALL
                    .into_iter()
                    .zip(self.stages)
                    .map(|(stage, (done, on_time))| StageFigures {
                        stage,
                        done,
                        on_time,
                        on_time_rate: share(on_time, done),
                    })
                    .collect(),
                extended: self.extended,
                extensions: self.extensions,
                callbacks: self.callbacks,
                callback_satisfaction: mean(self.callback_rating_total as f64, self.callbacks),
                reopened: self.reopened,
                reopen_rate: share(self.reopened, self.callbacks),
            },
        }
    }
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
    /// First and last month of the window, `YYYY-MM`.
    pub from: String,
    pub to: String,
    #[serde(flatten)]
    pub overall: Figures,
    /// Every category, zeros included.
    pub by_category: Vec<CategoryFigures>,
    /// Streets with requests, by name.
    pub by_street: Vec<StreetFigures>,
}

/// The report within the caller's streets.
pub fn requests(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    params: RequestReportQuery,
) -> Result<RequestReport, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let this_month = catalog.today().with_day(1).unwrap_or_else(|| catalog.today());
    let to = params.to.as_deref().map(|m| month("to", m)).transpose()?.unwrap_or(this_month);
    let from = params.from.as_deref().map(|m| month("from", m)).transpose()?.unwrap_or(to - Months::new(11));
    if from > to {
        return Err(ServiceError::invalid("from", Refusal::AfterEnd { other: "to".into() }));
    }
    if from < to - Months::new(119) {
        return Err(ServiceError::invalid("from", Refusal::SpanAtMost { years: 10 }));
    }
    let scope = auth.principal.street_scope();
    let (backlog, months) = (pipeline::backlog(conn, &scope)?, pipeline::request_months(conn, &scope, (from, to))?);
    let cohorts = pipeline::request_cohorts(conn, &scope, (from, to))?;
    let names = StreetNames::load(conn)?;

    let mut overall = Tally::default();
    let mut categories: HashMap<&str, Tally> = HashMap::new();
    let mut streets: HashMap<Option<Uuid>, Tally> = HashMap::new();
    for b in &backlog {
        overall.backlog(b);
        categories.entry(&b.category).or_default().backlog(b);
        streets.entry(b.street_id).or_default().backlog(b);
    }
    for m in &months {
        overall.month(m);
        categories.entry(&m.category).or_default().month(m);
        streets.entry(m.street_id).or_default().month(m);
    }
    for c in &cohorts {
        overall.cohort(c);
        categories.entry(&c.category).or_default().cohort(c);
        streets.entry(c.street_id).or_default().cohort(c);
    }
    let none = Tally::default();
    let by_category = Category::ALL
        .iter()
        .map(|category| CategoryFigures {
            category: category.as_str().into(),
            label: category.label().into(),
            figures: categories.get(category.as_str()).unwrap_or(&none).figures(),
        })
        .collect();
    let mut by_street: Vec<StreetFigures> = streets
        .iter()
        .map(|(street_id, tally)| StreetFigures {
            street_id: *street_id,
            name: names.name(*street_id),
            figures: tally.figures(),
        })
        .collect();
    by_street.sort_by(|a, b| (&a.name, a.street_id).cmp(&(&b.name, b.street_id)));
    let overall = overall.figures();
    let (from, to) = (from.format("%Y-%m").to_string(), to.format("%Y-%m").to_string());
    Ok(RequestReport { from, to, overall, by_category, by_street })
}

/// `part` of `whole` (0–1, three decimals), none of none.
fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}

/// The first day of a `YYYY-MM` month.
fn month(field: &str, value: &str) -> Result<NaiveDate, ServiceError> {
    NaiveDate::parse_from_str(&format!("{value}-01"), "%Y-%m-%d")
        .ok()
        .filter(|m| dates::year_within(m.year(), REPORT_YEARS.0, REPORT_YEARS.1).is_ok())
        .ok_or_else(|| ServiceError::invalid(field, Refusal::NotAMonth))
}
