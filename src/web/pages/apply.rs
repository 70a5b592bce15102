//! 发起申报: an application for a rung above the enterprise's, into a year's batch.

use crate::config::Catalog;
use crate::domain::eligibility::DecisionKind;
use crate::service::applications::{self, ApplicationInput};
use crate::service::{enterprises, ladder, reviews};
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

/// A review (复核) is offered as its rung's code behind this prefix.
const REVIEW: &str = "review:";

/// The rungs above the enterprise's, then the reviews of the reviewed rungs it holds, the
/// first (or `chosen`) selected.
fn rungs_offered(catalog: &Catalog, tier: &str, reviewable: &[String], chosen: &str) -> Vec<Offered> {
    let above = catalog.ladder.rungs().iter().skip(catalog.ladder.rank(tier).saturating_add(1));
    let new = above.map(|r| (r.code.clone(), r.label.clone()));
    let reviews = reviewable.iter().map(|code| {
        let label = catalog.ladder.label(code).unwrap_or(code);
        (format!("{REVIEW}{code}"), msg::with("apply.review_of", label))
    });
    let mut offered: Vec<Offered> =
        new.chain(reviews).map(|(code, label)| Offered { selected: code == chosen, code, label }).collect();
    if let Some(first) = offered.first_mut().filter(|_| chosen.is_empty()) {
        first.selected = true;
    }
    offered
}

/// The reviewed rungs the enterprise holds a live certificate for.
fn reviewable(
    conn: &mut diesel::PgConnection,
    auth: &crate::service::Authorized,
    catalog: &Catalog,
    enterprise: &crate::db::enterprises::Visible,
) -> Result<Vec<String>, crate::service::ServiceError> {
    let reviewed = reviews::reviewed_tiers(catalog);
    let today = catalog.today();
    let held = ladder::held(conn, auth, enterprise)?;
    Ok(held
        .into_iter()
        .filter(|c| reviewed.contains(&c.tier) && c.valid_until.is_none_or(|until| until >= today))
        .map(|c| c.tier)
        .collect())
}

pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let page = page::signed_in(&state, visitor, None, "search", move |conn, auth, chrome| {
        let enterprise = enterprises::for_field_work(conn, auth, id)?;
        let reviewable = reviewable(conn, auth, &catalog, &enterprise)?;
        let enterprise = enterprise.into_inner();
        Ok(ApplyPage {
            chrome,
            id,
            tiers: rungs_offered(&catalog, &enterprise.tier, &reviewable, ""),
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
        let enterprise = enterprises::for_field_work(conn, auth, id)?;
        let reviewable = reviewable(conn, auth, &catalog, &enterprise)?;
        let enterprise = enterprise.into_inner();
        page::at_most_once(conn, chrome.user_id, &once, &format!("apply:{id}"), |conn| {
            let mut errors = FieldErrors::default();
            let batch_year = number::<i32>(&mut errors, "batch_year", &fields.batch_year);
            if let Some(batch_year) = batch_year.filter(|_| errors.is_empty()) {
                let (kind, tier) = match fields.tier.strip_prefix(REVIEW) {
                    Some(tier) => (DecisionKind::Review, tier),
                    None => (DecisionKind::New, fields.tier.as_str()),
                };
                let input = ApplicationInput { tier: tier.to_owned(), batch_year, kind, note: given(&fields.note) };
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
                tiers: rungs_offered(&catalog, &enterprise.tier, &reviewable, &fields.tier),
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
