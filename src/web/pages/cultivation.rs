//! 培育: the bureau's cultivation lists in the console — the readiness radar (whom to coach
//! for this year's batch), enterprises at risk of falling, obligations by due date, and the
//! certificates due for review (复核) — each the API's very use case, fifty lines at a
//! time with "more", and a download of the whole list where the API exports one.

use crate::config::Catalog;
use crate::domain::obligation::Wants;
use crate::export::cultivation::gap_words;
use crate::service::obligations::{self, ObligationQuery};
use crate::service::readiness::{self, RadarQuery};
use crate::service::reviews;
use crate::service::risks::{self, RiskQuery};
use crate::service::{Authorized, ServiceError, regions};
use crate::startup::AppState;
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{Line, Offered, TierBadge, day};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

/// Lines a page shows; "more" continues after the last.
const PAGE: i64 = 50;

/// The four lists, as tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    Radar,
    AtRisk,
    Obligations,
    Reviews,
}

impl List {
    const ALL: [Self; 4] = [Self::Radar, Self::AtRisk, Self::Obligations, Self::Reviews];

    fn path(self) -> &'static str {
        match self {
            Self::Radar => "/radar",
            Self::AtRisk => "/at-risk",
            Self::Obligations => "/obligations",
            Self::Reviews => "/reviews",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Self::Radar => t("cultivation.radar"),
            Self::AtRisk => t("cultivation.at_risk"),
            Self::Obligations => t("cultivation.obligations"),
            Self::Reviews => t("cultivation.reviews"),
        }
    }
}

pub struct Tab {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// A select above the list.
pub struct Filter {
    pub name: &'static str,
    pub label: &'static str,
    pub options: Vec<Offered>,
}

#[derive(Template)]
#[template(path = "cultivation.html", config = "src/web/askama.toml")]
struct ListPage {
    chrome: Chrome,
    title: &'static str,
    intro: &'static str,
    path: &'static str,
    tabs: Vec<Tab>,
    filters: Vec<Filter>,
    lines: Vec<Line>,
    /// How many in all, where the list knows (the cockpit's figure it was opened from).
    total: Option<i64>,
    empty: &'static str,
    more: Option<String>,
    /// The cockpit's download of the whole list, without its format.
    export: Option<String>,
}

/// What the address asks: the filters of every list (each reads its own) and where to
/// continue.
#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    #[serde(default)]
    tier: String,
    #[serde(default)]
    street_id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    year: String,
    #[serde(default)]
    after: String,
}

impl Asked {
    fn street(&self) -> Option<Uuid> {
        self.street_id.parse().ok()
    }

    /// This list's address with the filters it reads and `more` pairs.
    fn address(&self, list: List, more: &[(&str, String)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in
            [("tier", &self.tier), ("street_id", &self.street_id), ("status", &self.status), ("year", &self.year)]
        {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        for (name, value) in more {
            query.append_pair(name, value);
        }
        format!("{}?{}", list.path(), query.finish())
    }
}

fn options(all: Vec<(String, String)>, chosen: &str, any: &'static str) -> Vec<Offered> {
    let mut offered = vec![Offered { code: String::new(), label: any.to_owned(), selected: chosen.is_empty() }];
    offered.extend(all.into_iter().map(|(code, label)| Offered { selected: code == chosen, code, label }));
    offered
}

fn street_filter(conn: &mut PgConnection, auth: &Authorized, asked: &Asked) -> Result<Filter, ServiceError> {
    let streets = regions::streets_in_scope(conn, auth)?.into_iter().map(|(id, name)| (id.to_string(), name)).collect();
    Ok(Filter {
        name: "street_id",
        label: t("cultivation.street"),
        options: options(streets, &asked.street_id, t("cultivation.any_street")),
    })
}

fn tabs(current: List) -> Vec<Tab> {
    List::ALL.iter().map(|l| Tab { href: l.path(), label: l.title(), current: *l == current }).collect()
}

async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: Asked,
    list: List,
) -> Result<HttpResponse, PageError> {
    let catalog = state.catalog.clone();
    let page = page::signed_in(&state, visitor, None, "cultivation", move |conn, auth, chrome| {
        build(conn, auth, &catalog, chrome, &asked, list)
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

pub async fn radar(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    show(state, visitor, asked.into_inner(), List::Radar).await
}

pub async fn at_risk(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    show(state, visitor, asked.into_inner(), List::AtRisk).await
}

pub async fn obligations(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    show(state, visitor, asked.into_inner(), List::Obligations).await
}

pub async fn reviews(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    show(state, visitor, asked.into_inner(), List::Reviews).await
}

fn build(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    chrome: Chrome,
    asked: &Asked,
    list: List,
) -> Result<ListPage, ServiceError> {
    let today = catalog.today();
    let label = |code: &str| catalog.ladder.label(code).unwrap_or(code).to_owned();
    let mut filters = vec![street_filter(conn, auth, asked)?];
    let street = asked.street();
    let street_query = street.map_or_else(String::new, |s| format!("&street_id={s}"));
    let mut total = None;
    let (lines, more, intro, export): (Vec<Line>, Option<String>, &'static str, Option<String>) = match list {
        List::Radar => {
            let tiers = catalog
                .ladder
                .rungs()
                .iter()
                .filter(|r| catalog.rule_sets.iter().any(|s| s.tier == r.code))
                .map(|r| (r.code.clone(), r.label.clone()))
                .collect();
            filters.insert(
                0,
                Filter {
                    name: "tier",
                    label: t("cultivation.target"),
                    options: options(tiers, &asked.tier, t("cultivation.next_rung")),
                },
            );
            let after = parse_rank(&asked.after);
            let tier = Some(asked.tier.clone()).filter(|t| !t.is_empty() && catalog.ladder.tier(t).is_ok());
            let query = RadarQuery { tier: tier.clone(), street_id: street };
            let rows = readiness::radar(conn, auth, catalog, &query, after, PAGE + 1)?;
            let more = (rows.len() as i64 > PAGE).then(|| {
                let (short, shortfall, id) = rows[PAGE as usize - 1].1;
                asked.address(list, &[("after", format!("{short},{shortfall},{id}"))])
            });
            let lines = rows
                .into_iter()
                .take(PAGE as usize)
                .map(|(ready, _)| Line {
                    href: format!("/enterprises/{}", ready.enterprise_id),
                    detail: format!(
                        "{} · {}{}",
                        msg::with("cultivation.toward", label(&ready.target_tier)),
                        msg::with_all("cultivation.met", &[&ready.met, &ready.total]),
                        ready.gaps.first().map(|g| format!(" · {}", gap_words(g))).unwrap_or_default()
                    ),
                    badge: Some(TierBadge::of(catalog, &ready.tier)),
                    urgent: false,
                    title: ready.name,
                })
                .collect();
            let tier_query = tier.map(|t| format!("&tier={t}")).unwrap_or_default();
            (
                lines,
                more,
                t("cultivation.radar_intro"),
                Some(format!("/cockpit/export/radar?{street_query}{tier_query}")),
            )
        }
        List::AtRisk => {
            let after = asked.after.parse().ok();
            let rows = risks::list(conn, auth, catalog, &RiskQuery { street_id: street }, after, PAGE + 1)?;
            let more = (rows.len() as i64 > PAGE)
                .then(|| asked.address(list, &[("after", rows[PAGE as usize - 1].enterprise_id.to_string())]));
            let lines = rows.into_iter().take(PAGE as usize).map(|r| Line::at_risk(catalog, r)).collect();
            total = Some(risks::count(conn, auth, catalog, street)?);
            (lines, more, t("cultivation.at_risk_intro"), None)
        }
        List::Obligations => {
            let statuses = Wants::ALL.iter().map(|w| (w.as_str().to_owned(), w.label().to_owned())).collect();
            filters.insert(
                0,
                Filter {
                    name: "status",
                    label: t("cultivation.status"),
                    options: options(statuses, &asked.status, t("cultivation.any_status")),
                },
            );
            let after = parse_dated(&asked.after);
            let query = ObligationQuery { status: Wants::parse(&asked.status), street_id: street, due_before: None };
            let rows = obligations::list(conn, auth, catalog, &query, after, PAGE + 1)?;
            let more = (rows.len() as i64 > PAGE).then(|| {
                let last = &rows[PAGE as usize - 1];
                asked.address(list, &[("after", format!("{},{}", last.due_on, last.id))])
            });
            let lines = rows
                .into_iter()
                .take(PAGE as usize)
                .map(|o| Line {
                    href: format!("/enterprises/{}#obligations", o.enterprise_id),
                    detail: format!(
                        "{} · {} · {}",
                        o.enterprise_name.as_deref().unwrap_or_default(),
                        msg::with("home.due_on", day(o.due_on)),
                        o.status.label()
                    ),
                    badge: None,
                    urgent: o.due_on < today && o.done_at.is_none(),
                    title: o.description,
                })
                .collect();
            // The list is not exported (the cockpit's completion card is the report).
            (lines, more, t("cultivation.obligations_intro"), None)
        }
        List::Reviews => {
            // This year (the blank choice) and the three after: a term's length.
            let years = (today.year() + 1..=today.year() + 3)
                .map(|y| (y.to_string(), msg::with("cultivation.year", y)))
                .collect();
            filters = vec![Filter {
                name: "year",
                label: t("cultivation.review_year"),
                options: options(years, &asked.year, t("cultivation.this_year")),
            }];
            // A year off the list is this year, as any other filter the page does not offer.
            let year = asked.year.parse().ok().filter(|y| (today.year()..=today.year() + 3).contains(y));
            let span = reviews::span_of(catalog, year)?;
            let rows = reviews::due(conn, auth, catalog, span, parse_dated(&asked.after), PAGE + 1)?;
            let more = (rows.len() as i64 > PAGE).then(|| {
                let last = &rows[PAGE as usize - 1];
                asked.address(list, &[("after", format!("{},{}", last.valid_until, last.certificate_id))])
            });
            let lines = rows
                .into_iter()
                .take(PAGE as usize)
                .map(|r| Line {
                    href: format!("/enterprises/{}", r.enterprise_id),
                    detail: format!(
                        "{} · {}",
                        msg::with("home.valid_until", day(r.valid_until)),
                        msg::with("cultivation.judged_by", r.rule_set.as_deref().unwrap_or("—"))
                    ),
                    badge: Some(TierBadge::of(catalog, &r.tier)),
                    urgent: r.valid_until.year() == today.year(),
                    title: r.name,
                })
                .collect();
            let year = if asked.year.is_empty() { String::new() } else { format!("&year={}", asked.year) };
            (lines, more, t("cultivation.reviews_intro"), Some(format!("/cockpit/export/reviews?{year}")))
        }
    };
    Ok(ListPage {
        chrome,
        title: list.title(),
        intro,
        path: list.path(),
        tabs: tabs(list),
        filters,
        lines,
        total,
        empty: t("cultivation.empty"),
        more,
        export,
    })
}

/// The radar's "more" key, `short,shortfall,id`.
fn parse_rank(text: &str) -> Option<(i16, f32, Uuid)> {
    let mut parts = text.splitn(3, ',');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// A dated list's "more" key, `date,id`.
fn parse_dated(text: &str) -> Option<(NaiveDate, Uuid)> {
    let (date, id) = text.split_once(',')?;
    Some((date.parse().ok()?, id.parse().ok()?))
}
