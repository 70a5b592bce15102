//! 我的待办: what is due in the visitor's streets, each line leading to its enterprise or
//! request.

use crate::config::Catalog;
use crate::db::service_requests::ServiceRequest;
use crate::domain::Role;
use crate::domain::service_request::Stage;
use crate::service::agenda::{self, Agenda, Closer};
use crate::service::{Authorized, ServiceError, enterprises};
use crate::startup::AppState;
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::cockpit::{self, CockpitPage};
use crate::web::pages::{Line, TierBadge, day, local_time};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::PgConnection;

pub struct Section {
    pub title: &'static str,
    pub empty: &'static str,
    pub lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "home.html", config = "src/web/askama.toml")]
struct HomePage {
    chrome: Chrome,
    sections: Vec<Section>,
}

/// Where `/` lands: a counselor on 我的待办, the bureau on its 驾驶舱.
enum Landing {
    Agenda(HomePage),
    Cockpit(Box<CockpitPage>),
}

/// 我的待办, whoever asks: the bureau's way to it from the navigation.
pub async fn agenda(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let catalog = state.catalog.clone();
    let page = page::signed_in(&state, visitor, None, "home", move |conn, auth, chrome| {
        let agenda = agenda::of(conn, auth, &catalog, None)?;
        Ok(HomePage { chrome, sections: sections(conn, auth, &catalog, agenda)? })
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

pub async fn show(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let catalog = state.catalog.clone();
    let landing = page::signed_in(&state, visitor, None, "home", move |conn, auth, chrome| {
        if chrome.role != Role::Counselor {
            let chrome = Chrome { section: "cockpit", ..chrome };
            return Ok(Landing::Cockpit(Box::new(cockpit::build(conn, auth, &catalog, chrome, None)?)));
        }
        let agenda = agenda::of(conn, auth, &catalog, None)?;
        Ok(Landing::Agenda(HomePage { chrome, sections: sections(conn, auth, &catalog, agenda)? }))
    })
    .await?;
    Ok(match landing {
        Landing::Agenda(page) => page::html(StatusCode::OK, &page),
        Landing::Cockpit(page) => page::html(StatusCode::OK, &*page),
    })
}

fn sections(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    agenda: Agenda,
) -> Result<Vec<Section>, ServiceError> {
    let ids: Vec<_> = [
        &agenda.supervised,
        &agenda.overdue_requests,
        &agenda.extensions,
        &agenda.urged,
        &agenda.callbacks_due,
        &agenda.assigned_to_me,
        &agenda.unassigned,
    ]
    .into_iter()
    .flatten()
    .map(|r| r.enterprise_id)
    .collect();
    let names = enterprises::names_of(conn, auth, &ids)?;
    let now = chrono::Utc::now();
    // A request's line names the stage it awaits (签收, 首次联系, 办结, 回访) and that stage's deadline.
    let request_line = |r: ServiceRequest| {
        let due = r.stage_due_at.unwrap_or(r.due_at);
        let stage = r.stage.as_deref().and_then(Stage::parse).map_or("", Stage::label);
        Line {
            href: format!("/requests/{}", r.id),
            detail: format!(
                "{} · {} · {stage}{}",
                names.get(&r.enterprise_id).map_or("", String::as_str),
                r.status.label(),
                if due < now { late((now - due).num_days()) } else { msg::with("home.due", local_time(catalog, due)) }
            ),
            title: r.title,
            badge: None,
            urgent: due < now,
        }
    };
    let (today, expiring) = agenda.expiring;
    let requests = |title, empty, list: Vec<ServiceRequest>| Section {
        title: t(title),
        empty: t(empty),
        lines: list.into_iter().map(&request_line).collect(),
    };
    let runs_desk = auth.may(crate::domain::Action::SuperviseRequests);
    let mut sections = vec![
        requests("home.overdue", "home.overdue_empty", agenda.overdue_requests),
        requests("home.urged", "home.urged_empty", agenda.urged),
        requests("home.callbacks", "home.callbacks_empty", agenda.callbacks_due),
        Section {
            title: t("home.follow_ups"),
            empty: t("home.follow_ups_empty"),
            lines: agenda
                .follow_ups
                .into_iter()
                .map(|f| Line {
                    href: format!("/enterprises/{}", f.enterprise_id),
                    title: f.enterprise_name,
                    detail: format!(
                        "{} · {}",
                        if f.follow_up_on < today {
                            late((today - f.follow_up_on).num_days())
                        } else {
                            msg::with("home.follow_up_on", day(f.follow_up_on))
                        },
                        f.summary
                    ),
                    badge: None,
                    urgent: f.follow_up_on <= today,
                })
                .collect(),
        },
        requests("home.assigned", "home.assigned_empty", agenda.assigned_to_me),
        requests("home.unassigned", "home.unassigned_empty", agenda.unassigned),
        Section {
            title: t("home.expiring"),
            empty: t("home.expiring_empty"),
            lines: expiring.into_iter().map(|c| Line::expiring(catalog, today, c)).collect(),
        },
        Section {
            title: t("home.due_for_visit"),
            empty: t("home.due_for_visit_empty"),
            lines: agenda
                .due_for_visit
                .into_iter()
                .map(|d| Line {
                    href: format!("/enterprises/{}", d.enterprise.id),
                    detail: {
                        let cadence = match d.closer {
                            Some(Closer::Applying) => "home.cadence_applying",
                            Some(Closer::Owing) => "home.cadence_owing",
                            None => "home.cadence",
                        };
                        let when = match (d.due_on, d.enterprise.last_visited_at) {
                            (Some(due), Some(at)) => format!(
                                "{} · {}",
                                msg::with("home.last_visited", local_time(catalog, at)),
                                late((today - due).num_days())
                            ),
                            _ => t("home.never_visited").to_owned(),
                        };
                        format!("{} · {when}", msg::with(cadence, d.every_days))
                    },
                    badge: Some(TierBadge::of(catalog, &d.enterprise.tier)),
                    title: d.enterprise.name,
                    urgent: true,
                })
                .collect(),
        },
        Section {
            title: t("home.obligations"),
            empty: t("home.obligations_empty"),
            lines: agenda
                .obligations
                .into_iter()
                .map(|o| Line {
                    href: format!("/enterprises/{}#obligations", o.enterprise_id),
                    detail: format!(
                        "{} · {}",
                        o.enterprise_name.as_deref().unwrap_or_default(),
                        if o.due_on < today {
                            late((today - o.due_on).num_days())
                        } else {
                            msg::with("home.due_on", day(o.due_on))
                        }
                    ),
                    title: o.description,
                    badge: None,
                    urgent: o.due_on < today,
                })
                .collect(),
        },
        Section {
            title: t("home.at_risk"),
            empty: t("home.at_risk_empty"),
            lines: agenda.at_risk.into_iter().map(|r| Line::at_risk(catalog, r)).collect(),
        },
    ];
    if runs_desk {
        sections.insert(0, requests("home.supervised", "home.supervised_empty", agenda.supervised));
        sections.insert(2, requests("home.extensions", "home.extensions_empty", agenda.extensions));
    }
    // What needs doing first (what is late before what is due); the empty sections only
    // say so, below.
    sections.sort_by_key(|section| section.lines.is_empty());
    Ok(sections)
}

/// "逾期 N 天", or that it fell due today.
fn late(days: i64) -> String {
    if days < 1 { t("home.late_today").to_owned() } else { msg::with("home.late", days) }
}
