//! 发起申报: an application for a rung above the enterprise's, into a year's batch.

use crate::service::applications::{self, ApplicationInput};
use crate::service::enterprises;
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form, given, number};
use crate::web::messages as msg;
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::Offered;
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use serde::Deserialize;
use uuid::Uuid;

#[derive(Debug, Default, Deserialize)]
pub struct ApplyFields {
    #[serde(default)]
    tier: String,
    #[serde(default)]
    batch_year: String,
    #[serde(default)]
    note: String,
}

#[derive(Template)]
#[template(path = "apply.html", config = "src/web/askama.toml")]
struct ApplyPage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    tiers: Vec<Offered>,
    batch_year: String,
    note: String,
    errors: FieldErrors,
}

/// The rungs above the enterprise's, the first of them (or `chosen`) selected.
fn rungs_above(catalog: &crate::config::Catalog, tier: &str, chosen: &str) -> Vec<Offered> {
    let above = catalog.ladder.rungs().iter().skip(catalog.ladder.rank(tier).saturating_add(1));
    let chosen = if chosen.is_empty() { above.clone().next().map_or("", |r| r.code.as_str()) } else { chosen };
    above.map(|r| Offered { code: r.code.clone(), label: r.label.clone(), selected: r.code == chosen }).collect()
}

pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let page = page::signed_in(&state, visitor, None, "search", move |conn, auth, chrome| {
        let enterprise = enterprises::for_field_work(conn, auth, id)?.into_inner();
        Ok(ApplyPage {
            chrome,
            id,
            tiers: rungs_above(&catalog, &enterprise.tier, ""),
            name: enterprise.fields.name,
            batch_year: catalog.today().year().to_string(),
            note: String::new(),
            errors: FieldErrors::default(),
        })
    })
    .await?;
    Ok(page::form_html(StatusCode::OK, &page))
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    form: Form<ApplyFields>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let Form { csrf, once, fields, .. } = form;
    let outcome = page::signed_in(&state, visitor, Some(csrf), "search", move |conn, auth, chrome| {
        // Who may not is told so before anything of the form is read.
        let enterprise = enterprises::for_field_work(conn, auth, id)?.into_inner();
        page::at_most_once(conn, chrome.user_id, &once, &format!("apply:{id}"), |conn| {
            let mut errors = FieldErrors::default();
            let batch_year = number::<i32>(&mut errors, "batch_year", &fields.batch_year);
            if let Some(batch_year) = batch_year.filter(|_| errors.is_empty()) {
                let input = ApplicationInput { tier: fields.tier.clone(), batch_year, note: given(&fields.note) };
                match applications::open(conn, auth, &catalog, id, input) {
                    Ok(_) => return Ok(Ok(format!("/enterprises/{id}?saved=application"))),
                    Err(refusal) => errors = FieldErrors::from_refusal(refusal, str::to_owned)?,
                }
            } else if errors.is_empty() {
                errors.add("batch_year", crate::web::messages::t("form.blank"));
            }
            Ok(Err(ApplyPage {
                chrome,
                id,
                tiers: rungs_above(&catalog, &enterprise.tier, &fields.tier),
                name: enterprise.fields.name,
                batch_year: fields.batch_year.clone(),
                note: fields.note.clone(),
                errors,
            }))
        })
    })
    .await?;
    Ok(page::answered_once(outcome))
}
