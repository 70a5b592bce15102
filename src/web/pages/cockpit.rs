//! 驾驶舱: the bureau's pipeline at a glance, for the district or one street (a counselor
//! sees the same page within their streets). Every number is a use case's, the API's very
//! report: the ladder (every cell a link to the enterprises behind it), this year against
//! the targets, application pass rates, visit coverage, the request backlog and the
//! certificates coming to an end. Each chart has its numbers in a table beside it, and
//! each card's report downloads as the API exports it (`/cockpit/export/{report}`).

use crate::config::Catalog;
use crate::db::certificates::ExpiringFilter;
use crate::domain::service_request::Queue;
use crate::domain::target::Pace;
use crate::domain::{StreetScope, certification};
use crate::export::writer::{self, Format};
use crate::export::{self, Table, reports};
use crate::service::coverage::{self, CoverageQuery, Covered};
use crate::service::funnel::{self, FunnelQuery};
use crate::service::obligations::{self, CompletionQuery};
use crate::service::pipeline::{self, SummaryQuery};
use crate::service::request_report::{self, Figures, RequestReportQuery};
use crate::service::{Authorized, ServiceError, ladder, targets};
use crate::service::{readiness, regions, reviews, risks};
use crate::startup::AppState;
use crate::web::charts;
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{ExportAsked, Line, Offered, TierBadge};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use diesel::PgConnection;
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

/// Certificates listed under "coming to an end"; the link shows them all.
const EXPIRING_SHOWN: i64 = 10;
const EXPIRING_DAYS: u32 = 90;
const COVERAGE_DAYS: u32 = 90;

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    /// A street's id; anything else is the whole district (or the caller's streets).
    #[serde(default)]
    street_id: String,
    /// The radar's target rung (its download); empty: each one's next rung.
    #[serde(default)]
    tier: String,
    /// The year whose reviews download; empty: this year.
    #[serde(default)]
    year: String,
}

pub struct Cell {
    pub count: i64,
    pub href: String,
}

pub struct LadderRow {
    pub name: String,
    pub total: Cell,
    pub cells: Vec<Cell>,
}

pub struct TargetLine {
    pub label: String,
    pub region: String,
    pub achieved: i64,
    pub target: i32,
    pub projected: String,
    /// Percent of the target reached, for the bar (0–100).
    pub percent: u32,
    /// `ok`, `amber` (the projection falls short) or `red` (it falls short by more than a fifth).
    pub pace: &'static str,
    pub pace_label: &'static str,
}

pub struct PassRateLine {
    pub tier: String,
    pub batch_year: i32,
    pub applied: i64,
    pub approved: i64,
    pub rejected: i64,
    pub in_flight: i64,
    pub rate: String,
}

#[derive(Clone)]
pub struct CoverageLine {
    pub name: String,
    pub enterprises: i64,
    pub visited: i64,
    pub share: String,
    /// The share visited within their rung's cadence.
    pub on_cadence: String,
}

pub struct RequestLine {
    pub name: String,
    pub open: i64,
    pub overdue: i64,
    pub resolved: i64,
    pub mean_hours: String,
    pub satisfaction: String,
    /// The inbox (诉求台账) behind the counts: those in hand, those overdue.
    pub open_href: String,
    pub overdue_href: String,
    /// Of the requests raised in the window, the share done on time per stage (签收,
    /// 首次联系, 办结, 回访), and the callbacks' satisfaction and reopen rate.
    pub on_time: Vec<(&'static str, String)>,
    pub callback_satisfaction: String,
    pub reopen_rate: String,
}

/// One figure of the strip at the top: a number, what it counts, a word beside it, and
/// the list behind it.
pub struct Figure {
    pub value: String,
    pub label: String,
    pub note: String,
    pub href: String,
    /// `ok`, `amber`, `red` or empty: how the number reads.
    pub tone: &'static str,
}

/// One obligation's completion in one street.
pub struct CompletionLine {
    pub obligation: String,
    pub street: String,
    pub total: i64,
    pub done: i64,
    pub overdue: i64,
    pub share: String,
}

#[derive(Template)]
#[template(path = "cockpit.html", config = "src/web/askama.toml")]
pub struct CockpitPage {
    pub chrome: Chrome,
    /// The figures read in ten seconds, each a link to its list.
    pub strip: Vec<Figure>,
    /// Per obligation due this year: the district (or street), then each street.
    pub completion: Vec<CompletionLine>,
    /// Certificates due for review this year and next, and where they are listed.
    pub reviews: [(i32, i64); 2],
    pub reviews_href: String,
    pub scope: String,
    pub streets: Vec<Offered>,
    pub total: i64,
    pub tiers: Vec<TierBadge>,
    pub ladder_chart: Option<String>,
    pub ladder: Vec<LadderRow>,
    pub tier_totals: Vec<Cell>,
    pub year: i32,
    pub elapsed: String,
    pub targets: Vec<TargetLine>,
    pub pass_rates: Vec<PassRateLine>,
    pub coverage_chart: Option<String>,
    pub coverage: Vec<CoverageLine>,
    pub coverage_overall: CoverageLine,
    pub requests: RequestLine,
    pub request_categories: Vec<RequestLine>,
    pub expiring: Vec<Line>,
    pub expiring_href: String,
    /// The street the page is for, as the links of the reports that take one (the ladder,
    /// the lapsing certificates) pass it on to their downloads (`&street_id=…`).
    pub street_query: String,
    /// Whether the caller may set the year's targets (a link to that page).
    pub sets_targets: bool,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    let (catalog, asked) = (state.catalog.clone(), asked.into_inner());
    let page = page::signed_in(&state, visitor, None, "cockpit", move |conn, auth, chrome| {
        build(conn, auth, &catalog, chrome, asked.street_id.parse().ok())
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

/// The list of enterprises behind a number: `tier` on `street` (either may be all).
fn list_address(street: Option<Uuid>, tier: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(tier) = tier {
        query.append_pair("tier", tier);
    }
    if let Some(street) = street {
        query.append_pair("street_id", &street.to_string());
    }
    format!("/enterprises?{}", query.finish())
}

fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_owned(), |s| format!("{:.1}%", s * 100.0))
}

fn one_decimal(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_owned(), |v| format!("{v:.1}"))
}

fn coverage_line(name: String, covered: &Covered, on_cadence: Option<&Covered>) -> CoverageLine {
    CoverageLine {
        name,
        enterprises: covered.enterprises,
        visited: covered.visited,
        share: percent(covered.share),
        on_cadence: percent(on_cadence.and_then(|c| c.share)),
    }
}

/// The inbox's list behind a request count: `queue`, on `street` and of `category` (each may be all).
fn inbox_address(queue: Queue, street: Option<Uuid>, category: Option<&str>) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("view", queue.as_str());
    if let Some(street) = street {
        query.append_pair("street", &street.to_string());
    }
    if let Some(category) = category {
        query.append_pair("category", category);
    }
    format!("/inbox?{}", query.finish())
}

fn request_line(name: String, figures: &Figures, street: Option<Uuid>, category: Option<&str>) -> RequestLine {
    RequestLine {
        name,
        open: figures.open,
        overdue: figures.overdue,
        resolved: figures.resolved,
        mean_hours: one_decimal(figures.mean_hours_to_resolve),
        satisfaction: one_decimal(figures.satisfaction),
        open_href: inbox_address(Queue::Open, street, category),
        overdue_href: inbox_address(Queue::Overdue, street, category),
        on_time: figures.desk.stages.iter().map(|s| (s.stage.label(), percent(s.on_time_rate))).collect(),
        callback_satisfaction: one_decimal(figures.desk.callback_satisfaction),
        reopen_rate: percent(figures.desk.reopen_rate),
    }
}

/// The cockpit for `street` (or everything the caller sees).
pub fn build(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    chrome: Chrome,
    street: Option<Uuid>,
) -> Result<CockpitPage, ServiceError> {
    let all = pipeline::summary(conn, auth, catalog, SummaryQuery::default())?;
    // A street outside the caller's view is no street: the whole view instead.
    let street = street.filter(|s| all.by_street.iter().any(|row| row.street_id == Some(*s)));
    let streets = all
        .by_street
        .iter()
        .filter_map(|row| {
            let id = row.street_id?;
            Some(Offered { code: id.to_string(), label: row.name.clone(), selected: Some(id) == street })
        })
        .collect();
    let summary = match street {
        Some(street) => {
            pipeline::summary(conn, auth, catalog, SummaryQuery { region_id: Some(street), cluster: None })?
        }
        None => all,
    };
    let scope = match street {
        Some(_) => summary.by_street.first().map_or_else(String::new, |row| row.name.clone()),
        None => t("cockpit.whole_view").to_owned(),
    };
    let tiers: Vec<TierBadge> = summary.tiers.iter().map(|c| TierBadge::of(catalog, &c.tier)).collect();
    let ladder_chart = charts::horizontal_bars(
        &summary.tiers.iter().map(|c| (c.label.clone(), c.count as f64)).collect::<Vec<_>>(),
        None,
    );
    let ladder = summary
        .by_street
        .iter()
        .map(|row| LadderRow {
            name: row.name.clone(),
            total: Cell { count: row.total, href: list_address(row.street_id, None) },
            cells: summary
                .tiers
                .iter()
                .map(|c| Cell {
                    count: row.counts.get(&c.tier).copied().unwrap_or(0),
                    href: list_address(row.street_id, Some(&c.tier)),
                })
                .collect(),
        })
        .collect();
    let tier_totals =
        summary.tiers.iter().map(|c| Cell { count: c.count, href: list_address(street, Some(&c.tier)) }).collect();

    let year = catalog.today().year();
    let progress = targets::progress(conn, auth, catalog, year)?;
    let targets: Vec<TargetLine> = progress
        .items
        .iter()
        .filter(|item| street.is_none_or(|s| item.region_id == s))
        .map(|item| {
            // The verdict is the use case's; the page only colours it.
            let pace = match item.pace {
                Pace::FarBehind => "red",
                Pace::Behind => "amber",
                Pace::OnPace => "ok",
            };
            TargetLine {
                label: item.label.clone(),
                region: item.region_name.clone(),
                achieved: item.achieved,
                target: item.target,
                projected: item.projected.map_or_else(|| "—".to_owned(), |p| p.to_string()),
                percent: (item.progress.unwrap_or(0.0) * 100.0).clamp(0.0, 100.0) as u32,
                pace,
                pace_label: item.pace.label(),
            }
        })
        .collect();

    let funnel = funnel::funnel(conn, auth, catalog, &FunnelQuery { from_year: None, to_year: None })?;
    let pass_rates = funnel
        .pass_rates
        .iter()
        .filter(|rate| rate.street_id == street)
        .map(|rate| PassRateLine {
            tier: catalog.ladder.label(&rate.tier).unwrap_or(&rate.tier).to_owned(),
            batch_year: rate.batch_year,
            applied: rate.applied,
            approved: rate.approved,
            rejected: rate.rejected,
            in_flight: rate.in_flight,
            rate: percent(rate.pass_rate),
        })
        .collect();

    let (covered, _) =
        coverage::coverage(conn, auth, catalog, CoverageQuery { days: Some(COVERAGE_DAYS), unvisited: Some(1) })?;
    let coverage: Vec<CoverageLine> = covered
        .by_street
        .iter()
        .filter(|row| street.is_none_or(|s| row.street_id == Some(s)))
        .map(|row| {
            let on_cadence = covered.cadence.by_street.iter().find(|c| c.street_id == row.street_id);
            coverage_line(row.name.clone(), &row.covered, on_cadence.map(|c| &c.covered))
        })
        .collect();
    let coverage_chart = charts::horizontal_bars(
        &covered
            .by_street
            .iter()
            .filter(|row| street.is_none_or(|s| row.street_id == Some(s)))
            .map(|row| (row.name.clone(), row.covered.share.unwrap_or(0.0) * 100.0))
            .collect::<Vec<_>>(),
        Some(100.0),
    );
    let coverage_overall = match street {
        Some(_) => coverage
            .first()
            .cloned()
            .unwrap_or_else(|| coverage_line(scope.clone(), &covered.overall, Some(&covered.cadence.overall))),
        None => coverage_line(scope.clone(), &covered.overall, Some(&covered.cadence.overall)),
    };

    let report = request_report::requests(conn, auth, catalog, RequestReportQuery { from: None, to: None })?;
    let requests = match street {
        Some(s) => report.by_street.iter().find(|row| row.street_id == Some(s)).map_or_else(
            || request_line(scope.clone(), &Figures::default(), street, None),
            |row| request_line(row.name.clone(), &row.figures, street, None),
        ),
        None => request_line(scope.clone(), &report.overall, None, None),
    };
    let request_categories = if street.is_none() {
        report.by_category.iter().map(|c| request_line(c.label.clone(), &c.figures, None, Some(&c.category))).collect()
    } else {
        Vec::new()
    };

    let today = catalog.today();
    let window = expiry_window(catalog)?;
    let filter = ExpiringFilter { tier: None, street_id: street };
    let expiring = ladder::expiring(conn, auth, &filter, window, None, EXPIRING_SHOWN)?
        .into_iter()
        .map(|c| Line::expiring(catalog, today, c))
        .collect();
    let mut expiring_href = list_address(street, None);
    expiring_href.push_str(&format!("&expiring_within_days={EXPIRING_DAYS}"));

    let street_query = street.map_or_else(String::new, |s| format!("&street_id={s}"));
    let reviews = reviews::counts(conn, auth, catalog, street)?;
    let obligations = obligations::completion(conn, auth, catalog, &CompletionQuery { year: None })?;
    let completion = obligations
        .total
        .iter()
        .filter(|_| street.is_none())
        .chain(obligations.streets.iter().filter(|r| street.is_none_or(|s| r.street_id == Some(s))))
        .map(|r| CompletionLine {
            obligation: r.description.clone(),
            street: r.street.clone(),
            total: r.total,
            done: r.done,
            overdue: r.overdue,
            share: percent(r.done_share),
        })
        .collect();
    let strip = Strip {
        summary: &summary,
        promoted: if street.is_none() { Some(&funnel) } else { None },
        targets: &targets,
        at_risk: risks::count(conn, auth, catalog, street)?,
        obligations_overdue: obligations::overdue_count(conn, auth, catalog, street)?,
        reviews,
        requests: &requests,
        on_cadence: &coverage_overall.on_cadence,
    }
    .figures(catalog, street, &street_query, year);

    Ok(CockpitPage {
        strip,
        completion,
        reviews,
        reviews_href: "/reviews".to_owned(),
        sets_targets: targets::may_set(auth).is_ok(),
        street_query: street.map_or_else(String::new, |s| format!("&street_id={s}")),
        chrome,
        scope,
        streets,
        total: summary.total,
        tiers,
        ladder_chart,
        ladder,
        tier_totals,
        year,
        elapsed: format!("{:.0}%", progress.elapsed * 100.0),
        targets,
        pass_rates,
        coverage_chart,
        coverage,
        coverage_overall,
        requests,
        request_categories,
        expiring,
        expiring_href,
    })
}

/// What the strip is read from.
struct Strip<'a> {
    summary: &'a pipeline::Summary,
    /// The year's promotions, for the whole view (the funnel is not kept per street).
    promoted: Option<&'a funnel::Funnel>,
    targets: &'a [TargetLine],
    at_risk: i64,
    obligations_overdue: i64,
    reviews: [(i32, i64); 2],
    requests: &'a RequestLine,
    on_cadence: &'a str,
}

impl Strip<'_> {
    fn figures(&self, catalog: &Catalog, street: Option<Uuid>, street_query: &str, year: i32) -> Vec<Figure> {
        let entered = |tier: &str| -> i64 {
            self.promoted.map_or(0, |f| {
                f.promotions.iter().filter(|p| p.year == year && p.to_tier == tier).map(|p| p.count).sum()
            })
        };
        let mut figures: Vec<Figure> = self
            .summary
            .tiers
            .iter()
            .filter(|c| c.tier != catalog.ladder.base().code())
            .map(|c| Figure {
                value: c.count.to_string(),
                label: c.label.clone(),
                note: if self.promoted.is_some() {
                    msg::with("cockpit.entered", entered(&c.tier))
                } else {
                    String::new()
                },
                href: list_address(street, Some(&c.tier)),
                tone: "",
            })
            .collect();
        let (achieved, target) =
            self.targets.iter().fold((0, 0), |(a, t), g| (a + g.achieved, t + i64::from(g.target)));
        let worst = ["red", "amber", "ok"].into_iter().find(|tone| self.targets.iter().any(|g| g.pace == *tone));
        let worst_label = self.targets.iter().find(|g| Some(g.pace) == worst).map_or("", |g| g.pace_label);
        figures.push(Figure {
            value: if target > 0 {
                format!("{:.0}%", achieved as f64 * 100.0 / target as f64)
            } else {
                "—".to_owned()
            },
            label: msg::with("cockpit.target_done", year),
            note: worst_label.to_owned(),
            href: "#targets".to_owned(),
            tone: worst.unwrap_or(""),
        });
        let alarm = |n: i64| if n > 0 { "red" } else { "ok" };
        figures.push(Figure {
            value: self.at_risk.to_string(),
            label: t("cockpit.at_risk").to_owned(),
            note: String::new(),
            href: street.map_or_else(|| "/at-risk".to_owned(), |s| format!("/at-risk?street_id={s}")),
            tone: alarm(self.at_risk),
        });
        figures.push(Figure {
            value: self.obligations_overdue.to_string(),
            label: t("cockpit.obligations_overdue").to_owned(),
            note: String::new(),
            href: format!("/obligations?status=overdue{street_query}"),
            tone: alarm(self.obligations_overdue),
        });
        let [(this_year, due_now), (next_year, due_next)] = self.reviews;
        figures.push(Figure {
            value: due_now.to_string(),
            label: msg::with("cockpit.reviews_due", this_year),
            note: msg::with_all("cockpit.reviews_next", &[&next_year, &due_next]),
            href: "/reviews".to_owned(),
            tone: if due_now > 0 { "amber" } else { "ok" },
        });
        figures.push(Figure {
            value: self.requests.overdue.to_string(),
            label: t("cockpit.overdue_requests").to_owned(),
            note: String::new(),
            href: self.requests.overdue_href.clone(),
            tone: alarm(self.requests.overdue),
        });
        figures.push(Figure {
            value: self.on_cadence.to_owned(),
            label: t("cockpit.on_cadence_strip").to_owned(),
            note: String::new(),
            href: "#coverage".to_owned(),
            tone: "",
        });
        figures
    }
}

/// The report behind a card of the cockpit, downloaded from its 导出 links.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Report {
    Ladder,
    Targets,
    Funnel,
    Coverage,
    Requests,
    Expiring,
    Radar,
    Reviews,
    Obligations,
}

/// What a download writes: a report's tables in hand, or the lapsing certificates,
/// streamed page by page like the API's export of that list.
enum Download {
    Tables { title: String, file: &'static str, tables: Vec<Table> },
    Expiring { scope: StreetScope, filter: ExpiringFilter, window: (NaiveDate, NaiveDate) },
    Radar { scope: StreetScope, tier: Option<String>, street: Option<Uuid> },
    Reviews { scope: StreetScope, span: (NaiveDate, NaiveDate) },
}

impl Report {
    /// The report as the API computes it, for the page's street (the ladder and the
    /// certificates) or the caller's whole view broken down by street (the others).
    fn download(
        self,
        conn: &mut PgConnection,
        auth: &Authorized,
        catalog: &Catalog,
        street: Option<Uuid>,
        asked: &Asked,
    ) -> Result<Download, ServiceError> {
        let tables =
            |(title, file): (&str, &'static str), tables| Download::Tables { title: title.to_owned(), file, tables };
        Ok(match self {
            Self::Ladder => {
                let summary =
                    pipeline::summary(conn, auth, catalog, SummaryQuery { region_id: street, cluster: None })?;
                tables(reports::LADDER, reports::ladder(&summary, catalog))
            }
            Self::Targets => {
                let year = catalog.today().year();
                let (title, file) = reports::targets_title(year);
                let progress = targets::progress(conn, auth, catalog, year)?;
                Download::Tables { title, file, tables: reports::targets(&progress) }
            }
            Self::Funnel => {
                let funnel = funnel::funnel(conn, auth, catalog, &FunnelQuery { from_year: None, to_year: None })?;
                tables(reports::FUNNEL, reports::funnel(&funnel, catalog))
            }
            Self::Coverage => {
                let query = CoverageQuery { days: Some(COVERAGE_DAYS), unvisited: None };
                let (covered, names) = coverage::coverage(conn, auth, catalog, query)?;
                tables(reports::COVERAGE, reports::coverage(&covered, catalog, &names))
            }
            Self::Requests => {
                let report =
                    request_report::requests(conn, auth, catalog, RequestReportQuery { from: None, to: None })?;
                tables(reports::REQUESTS, reports::requests(&report))
            }
            Self::Expiring => Download::Expiring {
                scope: ladder::expiring_scope(auth)?,
                filter: ExpiringFilter { tier: None, street_id: street },
                window: expiry_window(catalog)?,
            },
            Self::Radar => Download::Radar {
                scope: readiness::radar_scope(auth)?,
                tier: Some(asked.tier.clone()).filter(|t| catalog.ladder.tier(t).is_ok()),
                street,
            },
            Self::Reviews => Download::Reviews {
                scope: reviews::scope(auth)?,
                span: reviews::span_of(catalog, asked.year.parse().ok())?,
            },
            Self::Obligations => {
                let report = obligations::completion(conn, auth, catalog, &CompletionQuery { year: None })?;
                tables(export::cultivation::OBLIGATIONS, export::cultivation::obligations(&report))
            }
        })
    }
}

/// Today and the last day the cockpit looks ahead to for lapsing certificates.
fn expiry_window(catalog: &Catalog) -> Result<(NaiveDate, NaiveDate), ServiceError> {
    certification::expiry_window(catalog.today(), EXPIRING_DAYS).map_err(|e| ServiceError::Internal(anyhow::anyhow!(e)))
}

/// `/cockpit/export/{report}?format=xlsx|csv&street_id=`: a card's report as a file.
pub async fn export(
    state: web::Data<AppState>,
    visitor: Visitor,
    request: HttpRequest,
    report: web::Path<Report>,
    asked: web::Query<Asked>,
    format: web::Query<ExportAsked>,
) -> Result<HttpResponse, PageError> {
    let (report, catalog) = (report.into_inner(), state.catalog.clone());
    let (street, asked) = (asked.street_id.parse().ok(), asked.into_inner());
    let Some(format) = format.format() else { return Ok(page::see_other("/cockpit")) };
    let (download, places) = page::signed_in(&state, visitor, None, "cockpit", move |conn, auth, _| {
        Ok((report.download(conn, auth, &catalog, street, &asked)?, regions::names(conn, auth)?))
    })
    .await?;
    Ok(respond(&state, &request, format, download, &places))
}

fn respond(
    state: &AppState,
    request: &HttpRequest,
    format: Format,
    download: Download,
    places: &HashMap<Uuid, String>,
) -> HttpResponse {
    match download {
        Download::Tables { title, file, tables } => {
            export::report(format, export::heading(&state.catalog, request, &title, file, places), tables)
        }
        Download::Expiring { scope, filter, window } => {
            let (title, file) = export::expiring::TITLE;
            let heading = export::heading(&state.catalog, request, title, file, places);
            let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
            writer::respond(format, heading, move |sink| {
                export::expiring::write(sink, &pool, &catalog, &scope, &filter, window)
            })
        }
        Download::Radar { scope, tier, street } => {
            let (title, file) = export::cultivation::RADAR;
            let heading = export::heading(&state.catalog, request, title, file, places);
            let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
            writer::respond(format, heading, move |sink| {
                export::cultivation::radar(sink, &pool, &catalog, &scope, tier.as_deref(), street)
            })
        }
        Download::Reviews { scope, span } => {
            let (title, file) = export::cultivation::REVIEWS;
            let heading = export::heading(&state.catalog, request, title, file, places);
            let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
            let tiers = reviews::reviewed_tiers(&catalog);
            writer::respond(format, heading, move |sink| {
                export::cultivation::reviews(sink, &pool, &catalog, &scope, &tiers, span)
            })
        }
    }
}
