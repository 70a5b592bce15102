//! 申报: the year's applications by tier and status, with the notes of their moves (the
//! counselor's pre-review among them); each row offers the moves its status allows the
//! caller, so the bureau approves (which records the promotion, as the API does) or
//! rejects from the list.

use crate::config::Catalog;
use crate::db::applications::ApplicationFilter;
use crate::domain::application::{Action as Move, Applications, Status};
use crate::domain::workflow::{Note, Workflow};
use crate::service::applications::{self, ApplicationMove};
use crate::service::{Authorized, ServiceError};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form, given};
use crate::web::messages as msg;
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{Choice, Offered, choices, parse_date_input};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Datelike;
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

/// Rows shown; narrow by tier or status for the rest.
const ROWS: i64 = 200;

#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    #[serde(default)]
    year: String,
    #[serde(default)]
    tier: String,
    #[serde(default)]
    status: String,
}

impl Asked {
    fn address(&self) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("year", &self.year)
            .append_pair("tier", &self.tier)
            .append_pair("status", &self.status)
            .finish();
        format!("/applications?{query}")
    }
}

pub struct MoveForm {
    pub action: &'static str,
    pub label: &'static str,
    pub asks_certificate: bool,
    pub asks_note: bool,
    pub note_required: bool,
    pub errors: FieldErrors,
}

pub struct Row {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise: String,
    pub tier: String,
    pub batch_year: i32,
    pub status: &'static str,
    pub notes: Vec<String>,
    pub moves: Vec<MoveForm>,
}

#[derive(Template)]
#[template(path = "applications.html", config = "src/web/askama.toml")]
struct ApplicationsPage {
    chrome: Chrome,
    year: i32,
    years: Vec<i32>,
    tiers: Vec<Offered>,
    statuses: Vec<Choice>,
    rows: Vec<Row>,
    here: String,
    saved: bool,
    /// What was wrong with the move just refused, above everything.
    summary: FieldErrors,
}

#[derive(Debug, Deserialize)]
pub struct Shown {
    saved: Option<String>,
}

/// The page as it is now; `refused` is the move just refused, with its messages.
fn page_of(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    chrome: Chrome,
    asked: &Asked,
    refused: Option<(Uuid, &str, FieldErrors)>,
) -> Result<ApplicationsPage, ServiceError> {
    let this_year = catalog.today().year();
    let year = asked.year.parse().unwrap_or(this_year);
    let tier = Some(asked.tier.clone()).filter(|t| catalog.ladder.tier(t).is_ok());
    let status = Status::try_from(asked.status.clone()).ok();
    let filter =
        ApplicationFilter { batch_year: Some(year), tier: tier.clone(), status, ..ApplicationFilter::default() };
    let found = applications::list(conn, auth, &filter, None, ROWS)?;
    let (summary, refused) = match refused {
        Some((id, action, mut errors)) => {
            let summary = errors.renamed(|field| match field {
                "certificate_no" => format!("certificate-{id}"),
                "effective_on" => format!("effective-{id}"),
                other => format!("{other}-{action}-{id}"),
            });
            errors.general = None;
            (summary, Some((id, action, errors)))
        }
        None => (FieldErrors::default(), None),
    };
    // Every row's history in one query, not one per row.
    let ids: Vec<Uuid> = found.iter().map(|(application, _)| application.id).collect();
    let mut histories = applications::histories(conn, auth, &ids)?;
    let mut rows = Vec::with_capacity(found.len());
    for (application, enterprise) in found {
        let notes = histories
            .remove(&application.id)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|step| step.note.map(|note| format!("{}：{note}", step_label(&step.action))))
            .collect();
        let moves = Applications::allowed_actions(application.status)
            .into_iter()
            .filter(|action| auth.may(Applications::permission(*action)))
            .map(|action| MoveForm {
                action: action.as_str(),
                label: action.label(),
                asks_certificate: action == Move::Approve,
                asks_note: Applications::note(action) != Note::Accepted,
                note_required: Applications::note(action) == Note::Reason,
                errors: refused
                    .as_ref()
                    .filter(|(id, refused, _)| *id == application.id && *refused == action.as_str())
                    .map_or_else(FieldErrors::default, |(_, _, errors)| errors.clone()),
            })
            .collect();
        rows.push(Row {
            id: application.id,
            enterprise_id: application.enterprise_id,
            enterprise,
            tier: catalog.ladder.label(&application.tier).unwrap_or(&application.tier).to_owned(),
            batch_year: application.batch_year,
            status: application.status.label(),
            notes,
            moves,
        });
    }
    Ok(ApplicationsPage {
        chrome,
        year,
        years: (0..5).map(|back| this_year + 1 - back).collect(),
        tiers: catalog
            .ladder
            .rungs()
            .iter()
            .skip(1)
            .map(|r| Offered { code: r.code.clone(), label: r.label.clone(), selected: Some(&r.code) == tier.as_ref() })
            .collect(),
        statuses: choices(&Status::ALL, Status::label, &[&asked.status]),
        rows,
        here: asked.address(),
        saved: false,
        summary,
    })
}

fn step_label(action: &str) -> &'static str {
    Move::try_from(action.to_owned()).map_or(msg::t("applications.opened"), Move::label)
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Asked>,
    shown: web::Query<Shown>,
) -> Result<HttpResponse, PageError> {
    let (catalog, asked) = (state.catalog.clone(), asked.into_inner());
    let saved = shown.into_inner().saved.is_some();
    let page = page::signed_in(&state, visitor, None, "applications", move |conn, auth, chrome| {
        page_of(conn, auth, &catalog, chrome, &asked, None)
    })
    .await?;
    Ok(page::html(StatusCode::OK, &ApplicationsPage { saved, ..page }))
}

#[derive(Debug, Default, Deserialize)]
pub struct MoveFields {
    #[serde(default)]
    action: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    certificate_no: String,
    #[serde(default)]
    effective_on: String,
    /// The list the form was on, to return to.
    #[serde(default)]
    back: String,
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    form: Form<MoveFields>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let Form { csrf, fields, .. } = form;
    let back: Asked = serde_html_form::from_str(fields.back.split_once('?').map_or("", |(_, q)| q)).unwrap_or_default();
    let to = format!("{}&saved=1", back.address());
    let outcome = page::signed_in(&state, visitor, Some(csrf), "applications", move |conn, auth, chrome| {
        let mut errors = FieldErrors::default();
        let effective_on =
            parse_date_input(&fields.effective_on).map_err(|()| errors.add("effective_on", msg::t("form.not_a_date")));
        match (Move::try_from(fields.action.clone()), effective_on) {
            (Ok(action), Ok(effective_on)) => {
                let asked = ApplicationMove {
                    action,
                    note: given(&fields.note),
                    certificate_no: given(&fields.certificate_no).filter(|_| action == Move::Approve),
                    effective_on: effective_on.filter(|_| action == Move::Approve),
                    valid_until: None,
                    batch: None,
                };
                let moved = asked
                    .parse(&catalog)
                    .and_then(|moving| applications::transition(conn, auth, &catalog, id, &moving));
                match moved {
                    Ok(_) => return Ok(Ok(())),
                    Err(refusal) => errors.absorb(FieldErrors::from_refusal(refusal, str::to_owned)?),
                }
            }
            (Err(_), _) => errors.general = Some(msg::t("form.choose").to_owned()),
            _ => {}
        }
        page_of(conn, auth, &catalog, chrome, &back, Some((id, fields.action.as_str(), errors))).map(Err)
    })
    .await?;
    Ok(page::answered(outcome.map(|()| to)))
}
