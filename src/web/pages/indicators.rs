//! 年度指标: one year's figures of an enterprise; saving shows the refreshed eligibility
//! for the next rung. An edit applies only to the figures it was based on.

use crate::domain::eligibility::Indicators;
use crate::service::{BasedOn, ServiceError, enterprises, indicators};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form, number};
use crate::web::messages as msg;
use crate::web::messages::t;
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::enterprise::{EligibilityView, next_rung_eligibility};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// How a figure is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Yuan, a whole number.
    Money,
    Count,
    Percent,
    /// An assessment's points (0–100).
    Score,
    /// Yes or no.
    Flag,
}

/// Every figure of [`Indicators`], in the order of the form (a test holds the two equal).
const FIGURES: [(&str, Kind); 16] = [
    ("revenue", Kind::Money),
    ("total_income", Kind::Money),
    ("high_tech_revenue", Kind::Money),
    ("rd_expense", Kind::Money),
    ("rd_expense_domestic", Kind::Money),
    ("total_assets", Kind::Money),
    ("staff", Kind::Count),
    ("tech_staff", Kind::Count),
    ("ip_class1", Kind::Count),
    ("ip_class2", Kind::Count),
    ("years_in_niche", Kind::Count),
    ("debt_ratio", Kind::Percent),
    ("main_business_share", Kind::Percent),
    ("market_share", Kind::Percent),
    ("assessment_score", Kind::Score),
    ("major_incident", Kind::Flag),
];

/// How many past years the form offers.
const YEARS: i32 = 6;

pub struct FigureField {
    pub name: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub value: String,
    pub flag: bool,
    pub decimal: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "indicators.html", config = "src/web/askama.toml")]
struct IndicatorsPage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    year: i32,
    years: Vec<i32>,
    version: String,
    figures: Vec<FigureField>,
    saved: bool,
    errors: FieldErrors,
    eligibility: Option<EligibilityView>,
}

#[derive(Debug, Deserialize)]
pub struct Asked {
    /// A year the form offers; anything else opens the year gone by.
    #[serde(default)]
    year: String,
    saved: Option<String>,
}

fn label(name: &str) -> &'static str {
    match name {
        "revenue" => t("figures.revenue"),
        "total_income" => t("figures.total_income"),
        "high_tech_revenue" => t("figures.high_tech_revenue"),
        "rd_expense" => t("figures.rd_expense"),
        "rd_expense_domestic" => t("figures.rd_expense_domestic"),
        "total_assets" => t("figures.total_assets"),
        "staff" => t("figures.staff"),
        "tech_staff" => t("figures.tech_staff"),
        "ip_class1" => t("figures.ip_class1"),
        "ip_class2" => t("figures.ip_class2"),
        "years_in_niche" => t("figures.years_in_niche"),
        "debt_ratio" => t("figures.debt_ratio"),
        "main_business_share" => t("figures.main_business_share"),
        "market_share" => t("figures.market_share"),
        "assessment_score" => t("figures.assessment_score"),
        _ => t("figures.major_incident"),
    }
}

/// The form's fields with `values` (text as typed or as stored) and their messages.
fn fields(values: &HashMap<String, String>, errors: &FieldErrors) -> Vec<FigureField> {
    FIGURES
        .iter()
        .map(|&(name, kind)| FigureField {
            name,
            label: label(name),
            unit: match kind {
                Kind::Money => t("figures.unit_yuan"),
                Kind::Count => "",
                Kind::Percent => "%",
                Kind::Score => t("figures.unit_points"),
                Kind::Flag => "",
            },
            value: values.get(name).cloned().unwrap_or_default(),
            flag: kind == Kind::Flag,
            decimal: matches!(kind, Kind::Percent | Kind::Score),
            error: errors.of(name).map(str::to_owned),
        })
        .collect()
}

/// Stored figures as the form's text.
fn as_text(figures: &Value) -> HashMap<String, String> {
    let Value::Object(map) = figures else { return HashMap::new() };
    map.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
        .collect()
}

/// The form's text as figures; what does not read is noted beside its field.
fn read(values: &HashMap<String, String>, errors: &mut FieldErrors) -> Option<Indicators> {
    let mut map = Map::new();
    for &(name, kind) in &FIGURES {
        let text = values.get(name).map_or("", String::as_str);
        let value = match kind {
            Kind::Money | Kind::Count => number::<i64>(errors, name, text).map(Value::from),
            Kind::Percent | Kind::Score => number::<f64>(errors, name, text.trim_end_matches('%')).map(Value::from),
            Kind::Flag => match text {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
        };
        map.insert(name.to_owned(), value.unwrap_or(Value::Null));
    }
    if !errors.is_empty() {
        return None;
    }
    // A count too large for its field does not deserialize: say so beside it.
    serde_json::from_value(Value::Object(map.clone()))
        .map_err(|_| {
            for (name, _) in FIGURES.iter().filter(|(_, kind)| *kind == Kind::Count) {
                if map.get(*name).and_then(Value::as_i64).is_some_and(|n| i32::try_from(n).is_err()) {
                    errors.add(*name, t("form.too_large"));
                }
            }
        })
        .ok()
}

fn years(this_year: i32) -> Vec<i32> {
    (0..YEARS).map(|back| this_year - back).collect()
}

pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog, asked) = (id.into_inner(), state.catalog.clone(), asked.into_inner());
    let page = page::signed_in(&state, visitor, None, "search", move |conn, auth, chrome| {
        let enterprise = enterprises::find(conn, auth, id)?;
        let this_year = catalog.today().year();
        // Figures are reported for the year gone by.
        let year = asked.year.parse().unwrap_or(this_year - 1).clamp(this_year - YEARS + 1, this_year);
        let stored = indicators::of_enterprise(conn, auth, &enterprise)?.into_iter().find(|row| row.year == year);
        let (values, version) = stored
            .map_or_else(|| (HashMap::new(), String::new()), |row| (as_text(&row.figures), row.version.to_string()));
        let eligibility = next_rung_eligibility(conn, auth, &catalog, &enterprise)?;
        Ok(IndicatorsPage {
            chrome,
            id,
            name: enterprise.fields.name.clone(),
            year,
            years: years(this_year),
            version,
            figures: fields(&values, &FieldErrors::default()),
            saved: asked.saved.is_some(),
            errors: FieldErrors::default(),
            eligibility,
        })
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    form: Form<HashMap<String, String>>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let Form { csrf, fields: values, .. } = form;
    let outcome = page::signed_in(&state, visitor, Some(csrf), "search", move |conn, auth, chrome| {
        let enterprise = enterprises::for_field_work(conn, auth, id)?;
        let this_year = catalog.today().year();
        let mut errors = FieldErrors::default();
        let year =
            number::<i32>(&mut errors, "year", values.get("year").map_or("", String::as_str)).unwrap_or(this_year - 1);
        let version = values.get("version").map_or("", String::as_str);
        let based_on = BasedOn::Versions(version.parse().into_iter().collect());
        if let Some(figures) = read(&values, &mut errors) {
            match indicators::put(conn, auth, &catalog, id, year, figures, &based_on) {
                Ok(_) => return Ok(Ok(year)),
                Err(refusal) => errors = FieldErrors::from_refusal(refusal, str::to_owned)?,
            }
        }
        // A stale edit keeps what was typed and takes the current version, so that
        // saving again is a decision made knowingly.
        let current = indicators::of_enterprise(conn, auth, &enterprise)?.into_iter().find(|row| row.year == year);
        let eligibility = next_rung_eligibility(conn, auth, &catalog, &enterprise)?;
        Ok::<_, ServiceError>(Err(IndicatorsPage {
            chrome,
            id,
            name: enterprise.fields.name.clone(),
            year,
            years: years(this_year),
            version: current.map_or_else(String::new, |row| row.version.to_string()),
            figures: fields(&values, &errors),
            saved: false,
            errors,
            eligibility,
        }))
    })
    .await?;
    let to = |year| format!("/enterprises/{id}/indicators?year={year}&saved=1");
    Ok(page::answered(outcome.map(to)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_has_every_figure_and_no_other() {
        let Value::Object(all) = serde_json::to_value(Indicators::default()).unwrap() else { panic!() };
        let mut known: Vec<&str> = all.keys().map(String::as_str).collect();
        let mut offered: Vec<&str> = FIGURES.iter().map(|(name, _)| *name).collect();
        known.sort_unstable();
        offered.sort_unstable();
        assert_eq!(known, offered);
    }
}
