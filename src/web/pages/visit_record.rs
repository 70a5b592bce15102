//! 走访记录: one visit as it was logged, whole — what was said, who was there, what was
//! found and agreed, the demands raised in it, and who logged it — for the colleague who
//! takes over, or the counselor who looks back before the next call.

use crate::domain::visit::{Channel, Purpose};
use crate::service::{ServiceError, accounts, enterprises, visits};
use crate::startup::AppState;
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{Line, day, local_time};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "visit_record.html", config = "src/web/askama.toml")]
struct VisitPage {
    chrome: Chrome,
    enterprise_id: Uuid,
    enterprise: String,
    at: String,
    channel: &'static str,
    purposes: String,
    counselor: String,
    summary: String,
    participants: String,
    findings: String,
    next_steps: String,
    follow_up_on: String,
    demands: Vec<Line>,
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let (id, catalog) = (id.into_inner(), state.catalog.clone());
    let page = page::signed_in(&state, visitor, None, "search", move |conn, auth, chrome| {
        let (visit, raised) = visits::find(conn, auth, id)?;
        let enterprise =
            enterprises::names_of(conn, auth, &[visit.enterprise_id])?.remove(&visit.enterprise_id).unwrap_or_default();
        let counselor =
            accounts::names_of(conn, auth, &[visit.counselor_id])?.remove(&visit.counselor_id).unwrap_or_default();
        let record = visit.record;
        let purposes: Vec<String> = record
            .purposes
            .iter()
            .map(|p| Purpose::parse(p).map_or_else(|| p.clone(), |known| known.label().to_owned()))
            .collect();
        Ok::<_, ServiceError>(VisitPage {
            chrome,
            enterprise_id: visit.enterprise_id,
            enterprise,
            at: local_time(&catalog, record.visited_at),
            channel: Channel::parse(&record.channel).map_or("", Channel::label),
            purposes: purposes.join("、"),
            counselor,
            summary: record.summary,
            participants: record.participants.unwrap_or_default(),
            findings: record.findings.unwrap_or_default(),
            next_steps: record.next_steps.unwrap_or_default(),
            follow_up_on: record.follow_up_on.map(day).unwrap_or_default(),
            demands: raised
                .into_iter()
                .map(|r| Line {
                    href: format!("/requests/{}", r.id),
                    title: r.title,
                    detail: format!("{} · {}", r.category.label(), r.status.label()),
                    badge: None,
                    urgent: false,
                })
                .collect(),
        })
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

/// The visit's title line: when and how.
impl VisitPage {
    fn title(&self) -> String {
        format!("{} {}", self.at, self.channel)
    }

    fn none(&self) -> &'static str {
        t("visit_record.none")
    }
}
