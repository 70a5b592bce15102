//! 年度目标: how many enterprises should newly reach each rung in a year, for the district
//! and each street: one form for the year's whole set (as `PUT /api/v1/targets/{year}`),
//! each figure beside what was achieved towards it so far. A blank box is no target.

use crate::config::Catalog;
use crate::db::regions::Region;
use crate::domain::RegionKind;
use crate::service::targets::{self, TargetInput, year_field};
use crate::service::{Authorized, ServiceError, regions};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form, number};
use crate::web::messages as msg;
use crate::web::page::{self, Chrome, PageError};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use diesel::PgConnection;
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    #[serde(default)]
    year: String,
    saved: Option<String>,
}

/// One box: a region's target for one rung.
pub struct TargetBox {
    /// The form field, `target.<region id>.<tier>`.
    pub field: String,
    pub label: String,
    pub value: String,
    /// Promotions onto the rung in the region this year so far, where a target is set.
    pub achieved: Option<i64>,
}

/// A district or street with its boxes.
pub struct RegionTargets {
    pub name: String,
    pub kind: &'static str,
    pub boxes: Vec<TargetBox>,
}

#[derive(Template)]
#[template(path = "targets.html", config = "src/web/askama.toml")]
struct TargetsPage {
    chrome: Chrome,
    year: i32,
    years: Vec<i32>,
    regions: Vec<RegionTargets>,
    errors: FieldErrors,
    saved: bool,
}

/// What every box's field name starts with.
const BOX: &str = "target.";

fn field(region: Uuid, tier: &str) -> String {
    format!("{BOX}{region}.{tier}")
}

/// The page for `year`, its boxes holding `typed` (the form as submitted) or else the
/// targets as they are.
fn page_of(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    chrome: Chrome,
    year: i32,
    typed: Option<&BTreeMap<String, String>>,
    errors: FieldErrors,
) -> Result<TargetsPage, ServiceError> {
    // An admin reaches it among the 系统管理 tabs, a manager from the cockpit.
    let chrome = Chrome { section: if chrome.administers() { "admin" } else { "cockpit" }, ..chrome };
    targets::may_set(auth)?;
    let progress = targets::progress(conn, auth, catalog, year)?;
    let set = |region: Uuid, tier: &str| progress.items.iter().find(|p| p.region_id == region && p.tier == tier);
    let regions = target_regions(conn, auth)?
        .into_iter()
        .map(|region| RegionTargets {
            kind: region.kind.label(),
            boxes: catalog
                .ladder
                .rungs()
                .iter()
                .skip(1)
                .map(|rung| {
                    let field = field(region.id, &rung.code);
                    let current = set(region.id, &rung.code);
                    let value = match typed {
                        Some(typed) => typed.get(&field).cloned().unwrap_or_default(),
                        None => current.map(|p| p.target.to_string()).unwrap_or_default(),
                    };
                    TargetBox { label: rung.label.clone(), value, achieved: current.map(|p| p.achieved), field }
                })
                .collect(),
            name: region.name,
        })
        .collect();
    // Last year, this year and next, and the year shown if it is another (an address kept).
    let this_year = catalog.today().year();
    let mut years: Vec<i32> = (this_year - 1..=this_year + 1).collect();
    if !years.contains(&year) {
        years.push(year);
        years.sort_unstable();
    }
    Ok(TargetsPage { chrome, year, years, regions, errors, saved: false })
}

/// The regions targets are set for: districts, then their streets.
fn target_regions(conn: &mut PgConnection, auth: &Authorized) -> Result<Vec<Region>, ServiceError> {
    let all = regions::all(conn, auth)?;
    let mut ordered = Vec::new();
    for district in all.iter().filter(|r| r.kind == RegionKind::District) {
        ordered.push(district.clone());
        ordered
            .extend(all.iter().filter(|r| r.kind == RegionKind::Street && r.parent_id == Some(district.id)).cloned());
    }
    Ok(ordered)
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    let catalog = state.catalog.clone();
    let Asked { year, saved } = asked.into_inner();
    let year = year.parse().ok().and_then(|y| year_field(y).ok()).unwrap_or(catalog.today().year());
    let page = page::signed_in(&state, visitor, None, "cockpit", move |conn, auth, chrome| {
        page_of(conn, auth, &catalog, chrome, year, None, FieldErrors::default())
    })
    .await?;
    Ok(page::html(StatusCode::OK, &TargetsPage { saved: saved.is_some(), ..page }))
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let catalog = state.catalog.clone();
    let Form { csrf, fields, .. } = form;
    let year = fields.get("year").and_then(|y| y.parse().ok()).and_then(|y| year_field(y).ok());
    let Some(year) = year else { return Err(PageError::BadForm("no year")) };
    let outcome = page::signed_in(&state, visitor, Some(csrf), "cockpit", move |conn, auth, chrome| {
        let mut errors = FieldErrors::default();
        // The boxes filled in, in the order of their fields, to name a refused one.
        let mut named = Vec::new();
        let mut inputs = Vec::new();
        for (key, value) in fields.range(BOX.to_owned()..).take_while(|(key, _)| key.starts_with(BOX)) {
            let Some((region, tier)) = key[BOX.len()..].split_once('.') else { continue };
            let (Ok(region_id), Some(target)) = (region.parse(), number::<i32>(&mut errors, key, value)) else {
                continue;
            };
            named.push(key.clone());
            inputs.push(TargetInput { tier: tier.to_owned(), region_id, target });
        }
        if errors.is_empty() {
            match targets::set(conn, auth, &catalog.ladder, year, inputs) {
                Ok(()) => return Ok(Ok(())),
                Err(refusal) => {
                    // `targets[3].target` is the fourth box filled in.
                    let rename = |path: &str| {
                        let index = path.strip_prefix("targets[").and_then(|rest| rest.split(']').next()?.parse().ok());
                        index.and_then(|i: usize| named.get(i).cloned()).unwrap_or_else(|| path.to_owned())
                    };
                    errors = FieldErrors::from_refusal(refusal, rename)?;
                }
            }
        }
        page_of(conn, auth, &catalog, chrome, year, Some(&fields), errors).map(Err)
    })
    .await?;
    Ok(page::answered(outcome.map(|()| format!("/targets?year={year}&saved=1"))))
}
