//! 诉求: a service request with its history, and the moves its status allows now, each a
//! small form of its own. A move is based on the version the page showed: if someone
//! moved the request meanwhile, the page says so instead of acting on what it no longer is.

use crate::domain::service_request::{Action as Move, CallbackChannel, Requests, Stage, recorded_move_label};
use crate::domain::workflow::{Note, Workflow};
use crate::service::requests::{self, RequestMove};
use crate::service::{BasedOn, ServiceError};
use crate::service::{accounts, desk, enterprises, regions};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form, given, number};
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{Offered, Shown, local_time};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

/// Most people offered in the assignment list.
const ASSIGNABLE: i64 = 200;

pub struct Step {
    pub at: String,
    pub action: &'static str,
    pub who: String,
    pub note: String,
}

/// A stage of the request with its deadline.
pub struct StageRow {
    pub label: &'static str,
    pub due: String,
    /// When it was done, or empty.
    pub done: String,
    pub overdue: bool,
    /// The stage awaited now.
    pub current: bool,
}

/// One move the request allows now, as a form.
pub struct MoveForm {
    pub action: &'static str,
    /// Not the next step of the usual course (转办, 退回, 上报, 驳回, 延期, 重新打开…): folded
    /// under 更多操作 on the page, so that a phone shows the next step first.
    pub rare: bool,
    pub label: &'static str,
    pub assignees: Vec<Offered>,
    pub asks_satisfaction: bool,
    /// A callback: how the enterprise was reached.
    pub channels: Vec<Offered>,
    /// An extension: the working days asked for, at most `max_days`.
    pub asks_days: bool,
    pub max_days: u32,
    pub days: String,
    /// A transfer: the streets and departments it may go to.
    pub streets: Vec<Offered>,
    pub departments: Vec<Offered>,
    pub asks_note: bool,
    pub note_required: bool,
    /// Kept when the move was refused.
    pub note: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "request.html", config = "src/web/askama.toml")]
struct RequestPage {
    chrome: Chrome,
    id: Uuid,
    version: i32,
    title: String,
    description: String,
    status: &'static str,
    category: &'static str,
    priority: &'static str,
    due: String,
    overdue: bool,
    stages: Vec<StageRow>,
    /// Who holds it when it was handed over (转办), or empty.
    holder: String,
    /// An extension waiting for an answer, in words, or empty.
    extension: String,
    source: String,
    enterprise_id: Uuid,
    enterprise: String,
    assignee: String,
    satisfaction: String,
    saved: Option<&'static str>,
    /// What was wrong with the move just refused, above everything.
    summary: FieldErrors,
    history: Vec<Step>,
    moves: Vec<MoveForm>,
    /// Some moves are folded under 更多操作; open when one of them was just refused.
    more_moves: bool,
    more_open: bool,
}

#[derive(Debug, Default, Deserialize)]
pub struct MoveFields {
    #[serde(default)]
    action: String,
    #[serde(default)]
    version: String,
    #[serde(default)]
    assignee_id: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    satisfaction: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    street_id: String,
    #[serde(default)]
    department: String,
}

/// The page of request `id` as it is now; `refused` is the move just refused, shown
/// again with what was typed and its messages.
fn page_of(
    conn: &mut PgConnection,
    auth: &crate::service::Authorized,
    catalog: &crate::config::Catalog,
    chrome: Chrome,
    id: Uuid,
    refused: Option<(&MoveFields, FieldErrors)>,
) -> Result<RequestPage, ServiceError> {
    let (request, transitions) = requests::find(conn, auth, id)?;
    let people: Vec<Uuid> = transitions.iter().filter_map(|s| s.actor_id).chain(request.assignee_id).collect();
    let names = accounts::names_of(conn, auth, &people)?;
    let name_of = |user: Uuid| names.get(&user).cloned().unwrap_or_default();
    let candidates = requests::assignable(conn, auth, request.street_id, ASSIGNABLE).or_else(|e| match e {
        // A reader sees the request without the moves.
        ServiceError::Forbidden(_) => Ok(Vec::new()),
        other => Err(other),
    })?;
    let (summary, refused) = match refused {
        Some((fields, mut errors)) => {
            let action = fields.action.clone();
            let summary = errors.renamed(|field| match field {
                "assignee_id" => format!("assignee-{action}"),
                "street_id" => format!("street-{action}"),
                other => format!("{other}-{action}"),
            });
            errors.general = None;
            (summary, Some((fields, errors)))
        }
        None => (FieldErrors::default(), None),
    };
    let streets: Vec<(Uuid, String)> = regions::streets_in_scope(conn, auth)?;
    let now = Utc::now();
    let awaited = request.stage.as_deref().and_then(Stage::parse);
    let stages = desk::stages(&request)
        .view(request.status, now)
        .into_iter()
        .map(|s| StageRow {
            label: s.stage.label(),
            due: s.due_at.map_or_else(String::new, |at| local_time(catalog, at)),
            done: s.done_at.map_or_else(String::new, |at| local_time(catalog, at)),
            overdue: s.overdue,
            current: awaited == Some(s.stage),
        })
        .collect();
    let holder = match (&request.department, request.transferred_street_id) {
        (Some(code), _) => catalog.desk.department(code).map_or_else(|| code.clone(), |d| d.name.clone()),
        (None, Some(street)) => {
            streets.iter().find(|(id, _)| *id == street).map_or_else(String::new, |(_, n)| n.clone())
        }
        (None, None) => String::new(),
    };
    // 回访 is how the console closes a resolved request; `close` stays for the API.
    let moves = requests::allowed_actions(catalog, &request)
        .into_iter()
        .filter(|action| *action != Move::Close && auth.may(Requests::permission(*action)))
        .map(|action| {
            let mine = refused.as_ref().filter(|(fields, _)| fields.action == action.as_str());
            let kept = |field: fn(&MoveFields) -> &String| mine.map_or_else(String::new, |(f, _)| field(f).clone());
            let chosen = mine.map_or_else(|| chrome.user_id.to_string(), |(f, _)| f.assignee_id.clone());
            let choices = |list: &[(String, String)], chosen: &str| -> Vec<Offered> {
                list.iter()
                    .map(|(id, name)| Offered { code: id.clone(), label: name.clone(), selected: id == chosen })
                    .collect()
            };
            let people: Vec<(String, String)> = candidates.iter().map(|(u, n)| (u.to_string(), n.clone())).collect();
            let street_list: Vec<(String, String)> = streets.iter().map(|(u, n)| (u.to_string(), n.clone())).collect();
            let department_list: Vec<(String, String)> =
                catalog.desk.departments().iter().map(|d| (d.code.clone(), d.name.clone())).collect();
            let channel_list: Vec<(String, String)> =
                CallbackChannel::ALL.iter().map(|c| (c.as_str().to_owned(), c.label().to_owned())).collect();
            let transfer = action == Move::Transfer;
            MoveForm {
                action: action.as_str(),
                rare: !matches!(
                    action,
                    Move::Acknowledge
                        | Move::Assign
                        | Move::Contact
                        | Move::Start
                        | Move::Resolve
                        | Move::Callback
                        | Move::ApproveExtension
                ),
                label: action.label(),
                assignees: if action == Move::Assign { choices(&people, &chosen) } else { Vec::new() },
                channels: if action == Move::Callback {
                    choices(&channel_list, &kept(|f| &f.channel))
                } else {
                    Vec::new()
                },
                asks_days: action == Move::Extend,
                max_days: catalog.desk.max_extension_days(),
                days: kept(|f| &f.days),
                streets: if transfer { choices(&street_list, &kept(|f| &f.street_id)) } else { Vec::new() },
                departments: if transfer { choices(&department_list, &kept(|f| &f.department)) } else { Vec::new() },
                asks_satisfaction: action == Move::Callback,
                asks_note: Requests::note(action) != Note::Accepted,
                note_required: Requests::note(action) == Note::Reason,
                note: mine.map_or_else(String::new, |(f, _)| f.note.clone()),
                errors: mine.map_or_else(FieldErrors::default, |(_, e)| e.clone()),
            }
        })
        .collect();
    let mut moves: Vec<MoveForm> = moves;
    // With nothing of the usual course left (a closed request's 重新打开), nothing is folded.
    if moves.iter().all(|m| m.rare) {
        moves.iter_mut().for_each(|m| m.rare = false);
    }
    let more_moves = moves.iter().any(|m| m.rare);
    let more_open = moves.iter().any(|m| m.rare && !m.errors.is_empty());
    Ok(RequestPage {
        chrome,
        id,
        version: request.version,
        status: request.status.label(),
        category: request.category.label(),
        priority: request.priority.label(),
        due: local_time(catalog, request.due_at),
        overdue: request.stage_due_at.is_some_and(|due| due < now),
        stages,
        holder,
        extension: request.extension_days.map_or_else(String::new, |days| msg::with("request.extension_waiting", days)),
        source: request.external_no.as_ref().map_or_else(String::new, |no| msg::with("request.work_order", no)),
        enterprise_id: request.enterprise_id,
        enterprise: enterprises::names_of(conn, auth, &[request.enterprise_id])?
            .remove(&request.enterprise_id)
            .unwrap_or_default(),
        assignee: request.assignee_id.map_or_else(|| t("request.unassigned").to_owned(), &name_of),
        satisfaction: request.satisfaction.map_or_else(String::new, |s| msg::with("request.satisfaction_of", s)),
        title: request.title,
        description: request.description,
        saved: None,
        summary,
        more_moves,
        more_open,
        history: transitions
            .into_iter()
            .map(|step| Step {
                at: local_time(catalog, step.at),
                action: recorded_move_label(&step.action),
                who: step.actor_id.map_or_else(|| t("request.by_system").to_owned(), name_of),
                note: step.note.unwrap_or_default(),
            })
            .collect(),
        moves,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    shown: web::Query<Shown>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let saved = match shown.into_inner().saved.as_deref() {
        Some("raised") => Some(t("request.saved_raised")),
        Some(_) => Some(t("request.saved_moved")),
        None => None,
    };
    let page = page::signed_in(&state, visitor, None, "home", move |conn, auth, chrome| {
        page_of(conn, auth, &catalog, chrome, id, None)
    })
    .await?;
    Ok(page::html(StatusCode::OK, &RequestPage { saved, ..page }))
}

pub async fn submit(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    form: Form<MoveFields>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let Form { csrf, fields, .. } = form;
    let outcome = page::signed_in(&state, visitor, Some(csrf), "home", move |conn, auth, chrome| {
        let mut errors = FieldErrors::default();
        let action = Move::try_from(fields.action.clone());
        let satisfaction = number::<i16>(&mut errors, "satisfaction", &fields.satisfaction);
        let days = number::<i32>(&mut errors, "days", &fields.days);
        let id_of = |text: &str| if text.is_empty() { None } else { text.parse().ok() };
        let version = fields.version.parse().map_err(|_| errors.add("version", t("form.stale")));
        if let (Ok(action), Ok(version), true) = (action, version, errors.is_empty()) {
            let asked = RequestMove {
                action,
                assignee_id: id_of(&fields.assignee_id),
                note: given(&fields.note),
                satisfaction,
                days,
                channel: CallbackChannel::parse(&fields.channel),
                street_id: id_of(&fields.street_id),
                department: given(&fields.department),
            };
            let based_on = BasedOn::Versions(vec![version]);
            let moved =
                asked.parse().and_then(|moving| requests::transition(conn, auth, &catalog, id, &moving, &based_on));
            match moved {
                Ok(_) => return Ok(Ok(())),
                Err(refusal) => errors = FieldErrors::from_refusal(refusal, str::to_owned)?,
            }
        }
        if errors.is_empty() {
            errors.general = Some(t("form.choose").to_owned());
        }
        page_of(conn, auth, &catalog, chrome, id, Some((&fields, errors))).map(Err)
    })
    .await?;
    let to = |_| format!("/requests/{id}?saved=moved");
    Ok(page::answered(outcome.map(to)))
}
