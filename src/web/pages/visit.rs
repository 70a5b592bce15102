//! 记录走访: a visit and the demands raised in it, in one submit and one transaction.
//! Built to take under a minute on a phone: now and on site are filled in, choices are
//! large tap targets, and a demand is one more block of the same form.

use crate::domain::Refusal;
use crate::domain::visit::{Channel, Purpose};
use crate::service::visits::{self, VisitInput};
use crate::service::{ServiceError, enterprises};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form, given};
use crate::web::messages as msg;
use crate::web::messages::t;
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::demand::{DemandFields, DemandSlot, place_errors};
use crate::web::pages::{Choice, choices, datetime_input, parse_date_input, parse_datetime_input};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;
use uuid::Uuid;
use validator::Validate;

/// The form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct VisitFields {
    #[serde(default)]
    visited_at: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    purposes: Vec<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    participants: String,
    #[serde(default)]
    findings: String,
    #[serde(default)]
    next_steps: String,
    #[serde(default)]
    follow_up_on: String,
    /// "再加一条诉求" without JavaScript: the form comes back with one more demand.
    #[serde(default)]
    more: Option<String>,
}

#[derive(Template)]
#[template(path = "visit.html", config = "src/web/askama.toml")]
struct VisitPage {
    chrome: Chrome,
    id: Uuid,
    name: String,
    visited_at: String,
    channels: Vec<Choice>,
    purposes: Vec<Choice>,
    summary: String,
    participants: String,
    findings: String,
    next_steps: String,
    follow_up_on: String,
    demands: Vec<DemandSlot>,
    errors: FieldErrors,
}

impl VisitPage {
    fn of(chrome: Chrome, id: Uuid, name: String, fields: &VisitFields, demands: Vec<DemandSlot>) -> Self {
        Self {
            chrome,
            id,
            name,
            visited_at: fields.visited_at.clone(),
            channels: choices(&Channel::ALL, Channel::label, &[&fields.channel]),
            purposes: choices(&Purpose::ALL, Purpose::label, &fields.purposes),
            summary: fields.summary.clone(),
            participants: fields.participants.clone(),
            findings: fields.findings.clone(),
            next_steps: fields.next_steps.clone(),
            follow_up_on: fields.follow_up_on.clone(),
            demands,
            errors: FieldErrors::default(),
        }
    }
}

pub async fn form(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let page = page::signed_in(&state, visitor, None, "search", move |conn, auth, chrome| {
        let name = enterprises::for_field_work(conn, auth, id)?.into_inner().fields.name;
        let fields = VisitFields {
            visited_at: datetime_input(&catalog, Utc::now()),
            channel: Channel::Onsite.as_str().to_owned(),
            ..VisitFields::default()
        };
        Ok(VisitPage::of(chrome, id, name, &fields, vec![DemandSlot::blank(0)]))
    })
    .await?;
    Ok(page::form_html(StatusCode::OK, &page))
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    form: Form<VisitFields>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let demands: DemandFields = form.part()?;
    let Form { csrf, once, fields, .. } = form;
    let outcome = page::signed_in(&state, visitor, Some(csrf), "search", move |conn, auth, chrome| {
        // Who may not is told so before anything of the form is read.
        enterprises::for_field_work(conn, auth, id)?;
        page::at_most_once(conn, chrome.user_id, &once, &format!("visit:{id}"), |conn| {
            save(conn, auth, &catalog, chrome, id, &fields, &demands)
        })
    })
    .await?;
    Ok(page::answered_once(outcome))
}

/// Logs the visit with its demands: on to the enterprise's page, or the form again.
fn save(
    conn: &mut diesel::PgConnection,
    auth: &crate::service::Authorized,
    catalog: &crate::config::Catalog,
    chrome: Chrome,
    id: Uuid,
    fields: &VisitFields,
    demands: &DemandFields,
) -> Result<Result<String, VisitPage>, ServiceError> {
    let name = enterprises::for_field_work(conn, auth, id)?.into_inner().fields.name;
    let mut errors = FieldErrors::default();
    let (mut slots, raised) = demands.read(1, &mut errors);
    if fields.more.is_some() {
        slots.push(DemandSlot::blank(slots.len()));
        return Ok(Err(VisitPage::of(chrome, id, name, fields, slots)));
    }
    let input = read(catalog, fields, &mut errors, raised.iter().map(|(_, r)| r.clone()).collect());
    let refusal = match input {
        Some(input) if errors.is_empty() => match visits::log(conn, auth, catalog, id, input) {
            Ok(_) => return Ok(Ok(format!("/enterprises/{id}?saved=visit"))),
            Err(refusal) => refusal,
        },
        // What the form could read is still checked by the use case's own rules,
        // without saving, so that every message shows at once.
        Some(input) => input.validate().map_or_else(ServiceError::from, |()| ServiceError::Invalid(Vec::new())),
        None => ServiceError::Invalid(Vec::new()),
    };
    let placed = FieldErrors::from_refusal(refusal, str::to_owned)?;
    let positions: Vec<usize> = raised.iter().map(|(index, _)| *index).collect();
    place_errors(&mut slots, &placed, &positions, "requests");
    errors.absorb(placed);
    let mut page = VisitPage::of(chrome, id, name, fields, slots);
    page.errors = errors;
    Ok(Err(page))
}

/// The use case's input, as far as the form's text reads; what does not read is noted
/// beside its field.
fn read(
    catalog: &crate::config::Catalog,
    fields: &VisitFields,
    errors: &mut FieldErrors,
    requests: Vec<crate::service::requests::NewRequest>,
) -> Option<VisitInput> {
    let visited_at = parse_datetime_input(catalog, &fields.visited_at);
    if visited_at.is_none() {
        errors.add("visited_at", t("visit.when_required"));
    }
    let channel = Channel::try_from(fields.channel.clone()).map_err(|_| errors.add("channel", t("form.choose"))).ok();
    let purposes: Vec<Purpose> = fields.purposes.iter().filter_map(|p| Purpose::try_from(p.clone()).ok()).collect();
    if purposes.is_empty() {
        errors.refuse("purposes", &Refusal::CountBetween { min: 1, max: 6 });
    }
    let follow_up_on =
        parse_date_input(&fields.follow_up_on).map_err(|()| errors.add("follow_up_on", t("form.not_a_date"))).ok()?;
    Some(VisitInput {
        visited_at: visited_at?,
        channel: channel?,
        purposes,
        summary: fields.summary.clone(),
        participants: given(&fields.participants),
        findings: given(&fields.findings),
        next_steps: given(&fields.next_steps),
        follow_up_on,
        latitude: None,
        longitude: None,
        requests,
    })
}
