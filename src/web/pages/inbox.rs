//! 诉求台账: the bureau's inbox. Requests in the caller's streets by what needs doing —
//! all in hand, overdue (by stage), under 督办 or escalated, waiting to be taken, an
//! extension to answer, a callback to make — narrowed by street, category and stage,
//! with several handed to one person at once. The cockpit's request counts link here.

use crate::config::Catalog;
use crate::db::service_requests::RequestFilter;
use crate::domain::service_request::{Category, Queue, Stage};
use crate::service::requests::{self, ASSIGN_AT_ONCE, Assignment};
use crate::service::{Authorized, ServiceError, accounts, enterprises, regions};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form};
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{Choice, Offered, choices, local_time};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

/// Most people offered to hand requests to.
const ASSIGNABLE: i64 = 200;

/// What the inbox was asked for: the query of its address.
#[derive(Debug, Default, Deserialize)]
pub struct Asked {
    #[serde(default)]
    view: String,
    #[serde(default)]
    street: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    stage: String,
    /// How many were just handed out.
    #[serde(default)]
    assigned: String,
}

impl Asked {
    fn queue(&self) -> Queue {
        Queue::parse(&self.view).unwrap_or(Queue::Open)
    }

    fn street(&self) -> Option<Uuid> {
        self.street.parse().ok()
    }

    /// The inbox's own address for the same question.
    pub fn address(&self) -> String {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("view", self.queue().as_str())
            .append_pair("street", &self.street)
            .append_pair("category", &self.category)
            .append_pair("stage", &self.stage)
            .finish();
        format!("/inbox?{query}")
    }

    fn filter(&self) -> RequestFilter {
        let queue = self.queue();
        RequestFilter {
            pending: queue == Queue::Open,
            overdue: queue == Queue::Overdue,
            escalated: queue == Queue::Escalated,
            unassigned: queue == Queue::Unassigned,
            awaiting_extension: queue == Queue::Extension,
            awaiting_callback: queue == Queue::Callback,
            street_id: self.street(),
            category: Category::parse(&self.category),
            stage: Stage::parse(&self.stage),
            ..RequestFilter::default()
        }
    }
}

pub struct Row {
    pub id: Uuid,
    pub title: String,
    pub enterprise: String,
    pub street: String,
    pub status: &'static str,
    /// The stage awaited and its deadline, or that it is late.
    pub stage: String,
    pub late: bool,
    pub assignee: String,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "inbox.html", config = "src/web/askama.toml")]
struct InboxPage {
    chrome: Chrome,
    views: Vec<Choice>,
    streets: Vec<Offered>,
    categories: Vec<Choice>,
    stages: Vec<Choice>,
    rows: Vec<Row>,
    here: String,
    /// Whom the rows can be handed to (with no street chosen, the bureau's people).
    assignees: Vec<Offered>,
    may_assign: bool,
    street_chosen: bool,
    assigned: Option<usize>,
    summary: FieldErrors,
}

impl InboxPage {
    /// The queue shown, for the filter form.
    fn view(&self) -> &'static str {
        self.views.iter().find(|v| v.selected).map_or(Queue::Open.as_str(), |v| v.value)
    }

    /// The street chosen, kept when switching queues.
    fn streets_chosen(&self) -> String {
        self.streets.iter().find(|s| s.selected).map_or_else(String::new, |s| s.code.clone())
    }
}

fn page_of(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    chrome: Chrome,
    asked: &Asked,
    refused: Option<(&[Uuid], FieldErrors)>,
) -> Result<InboxPage, ServiceError> {
    let found = requests::list(conn, auth, &asked.filter(), None, ASSIGN_AT_ONCE as i64)?;
    let streets: Vec<(Uuid, String)> = regions::streets_in_scope(conn, auth)?;
    let enterprise_ids: Vec<Uuid> = found.iter().map(|r| r.enterprise_id).collect();
    let names = enterprises::names_of(conn, auth, &enterprise_ids)?;
    let people: Vec<Uuid> = found.iter().filter_map(|r| r.assignee_id).collect();
    let people = accounts::names_of(conn, auth, &people)?;
    let may_assign = auth.may(crate::domain::Action::WriteEnterprises);
    let assignees = if may_assign { requests::assignable(conn, auth, asked.street(), ASSIGNABLE)? } else { Vec::new() };
    let now = Utc::now();
    let (checked, summary): (&[Uuid], FieldErrors) = refused.unwrap_or((&[], FieldErrors::default()));
    let rows = found
        .into_iter()
        .map(|r| {
            let due = r.stage_due_at;
            let late = due.is_some_and(|d| d < now);
            let stage = match (r.stage.as_deref().and_then(Stage::parse), due) {
                (Some(stage), Some(due)) if late => {
                    format!("{} · {}", stage.label(), msg::with("inbox.late_since", local_time(catalog, due)))
                }
                (Some(stage), Some(due)) => {
                    format!("{} · {}", stage.label(), msg::with("home.due", local_time(catalog, due)))
                }
                _ => String::new(),
            };
            Row {
                checked: checked.contains(&r.id),
                id: r.id,
                enterprise: names.get(&r.enterprise_id).cloned().unwrap_or_default(),
                street: match (&r.department, r.street_id) {
                    (Some(code), _) => catalog.desk.department(code).map_or_else(|| code.clone(), |d| d.name.clone()),
                    (None, Some(street)) => {
                        streets.iter().find(|(id, _)| *id == street).map_or_else(String::new, |(_, n)| n.clone())
                    }
                    (None, None) => String::new(),
                },
                status: r.status.label(),
                stage,
                late,
                assignee: r
                    .assignee_id
                    .and_then(|a| people.get(&a).cloned())
                    .unwrap_or_else(|| t("request.unassigned").to_owned()),
                title: r.title,
            }
        })
        .collect();
    let chosen_street = asked.street.clone();
    Ok(InboxPage {
        chrome,
        views: choices(&Queue::ALL, Queue::label, &[asked.queue().as_str()]),
        streets: streets
            .iter()
            .map(|(id, name)| Offered {
                code: id.to_string(),
                label: name.clone(),
                selected: id.to_string() == chosen_street,
            })
            .collect(),
        categories: choices(&Category::ALL, Category::label, &[&asked.category]),
        stages: choices(&Stage::ALL, Stage::label, &[&asked.stage]),
        rows,
        here: asked.address(),
        assignees: assignees
            .into_iter()
            .map(|(id, name)| Offered { code: id.to_string(), label: name, selected: false })
            .collect(),
        may_assign,
        street_chosen: asked.street().is_some(),
        assigned: asked.assigned.parse().ok(),
        summary,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Asked>,
) -> Result<HttpResponse, PageError> {
    let (catalog, asked) = (state.catalog.clone(), asked.into_inner());
    let page = page::signed_in(&state, visitor, None, "inbox", move |conn, auth, chrome| {
        page_of(conn, auth, &catalog, chrome, &asked, None)
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

#[derive(Debug, Default, Deserialize)]
pub struct AssignFields {
    /// The requests ticked.
    #[serde(default)]
    ids: Vec<String>,
    #[serde(default)]
    assignee_id: String,
    /// The inbox the form was on, to return to.
    #[serde(default)]
    back: String,
}

/// Hands the ticked requests to one person, all or none.
pub async fn assign(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form<AssignFields>,
) -> Result<HttpResponse, PageError> {
    let catalog = state.catalog.clone();
    let Form { csrf, fields, .. } = form;
    let back: Asked = serde_html_form::from_str(fields.back.split_once('?').map_or("", |(_, q)| q)).unwrap_or_default();
    let here = back.address();
    let outcome = page::signed_in(&state, visitor, Some(csrf), "inbox", move |conn, auth, chrome| {
        let ids: Vec<Uuid> = fields.ids.iter().filter_map(|id| id.parse().ok()).collect();
        let mut errors = FieldErrors::default();
        match fields.assignee_id.parse::<Uuid>() {
            Err(_) => errors.add("assignee_id", t("inbox.choose_assignee")),
            Ok(_) if ids.is_empty() => errors.add("ids", t("inbox.choose_requests")),
            Ok(assignee_id) => {
                let assignment = Assignment { request_ids: ids.clone(), assignee_id };
                match requests::assign_many(conn, auth, &catalog, &assignment) {
                    Ok(assigned) => return Ok(Ok(assigned.len())),
                    Err(refusal) => {
                        errors = FieldErrors::from_refusal(refusal, |field| {
                            if field.starts_with("request_ids") { "ids".to_owned() } else { field.to_owned() }
                        })?
                    }
                }
            }
        }
        page_of(conn, auth, &catalog, chrome, &back, Some((&ids, errors))).map(Err)
    })
    .await?;
    Ok(page::answered(outcome.map(|n| format!("{here}&assigned={n}"))))
}
