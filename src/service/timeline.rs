//! An enterprise's timeline: everything that happened to it, newest first, each event in
//! one line for people. One query per source (visits, request moves, moves on the ladder,
//! application moves), each already in order and cut to a page, merged here.

use crate::config::Catalog;
use crate::db::{applications, certificates, service_requests, visits};
use crate::domain::Action;
use crate::domain::application::Action as ApplicationAction;
use crate::domain::certification::ChangeKind;
use crate::domain::service_request::recorded_move_label;
use crate::domain::visit::Channel;
use crate::service::{Authorized, ServiceError};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::PgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// 走访; `ref_id` is the visit.
    Visit,
    /// A move of a service request (raised, assigned, …); `ref_id` is the request.
    Request,
    /// 晋级; `ref_id` is the history row (see `/promotions`).
    Promotion,
    /// 降级, by hand or on expiry; `ref_id` is the history row.
    Demotion,
    /// A certificate granted without moving the tier (e.g. 国高 certified again).
    Certification,
    /// A move of an application (申报); `ref_id` is the application.
    Application,
}

impl EventKind {
    pub const ALL: [Self; 6] =
        [Self::Visit, Self::Request, Self::Promotion, Self::Demotion, Self::Certification, Self::Application];

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Visit => "走访",
            Self::Request => "诉求",
            Self::Promotion => "晋级",
            Self::Demotion => "降级",
            Self::Certification => "认定",
            Self::Application => "申报",
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEvent {
    pub at: DateTime<Utc>,
    pub kind: EventKind,
    /// One line for people, e.g. 上门走访：了解扩产计划.
    pub summary: String,
    /// For a move on the ladder, the day it took effect (the certificate's date), which
    /// may lie well before it was recorded (`at`, which orders the timeline).
    pub effective_on: Option<NaiveDate>,
    pub ref_id: Uuid,
    /// The event's own id (the cursor's tie-breaker).
    #[serde(skip)]
    pub id: Uuid,
}

fn channel_label(channel: &str) -> &'static str {
    Channel::try_from(channel.to_owned()).map_or("走访", Channel::label)
}

/// A tier's Chinese name; its code if the rung is no longer on the ladder.
fn label_of<'a>(catalog: &'a Catalog, code: &'a str) -> &'a str {
    catalog.ladder.label(code).unwrap_or(code)
}

fn application_label(action: &str) -> &'static str {
    match action {
        "create" => "启动",
        other => ApplicationAction::try_from(other.to_owned()).map_or("更新", ApplicationAction::label),
    }
}

/// A move on the ladder in one line, e.g. 晋级：科技型中小企业 → 国家高新技术企业（首次认定）.
/// `certified`: the rung of the certificate the change granted, if any. A certification of
/// a lower rung leaves the tier where it was, so its line names the certificate's rung.
fn change_event(catalog: &Catalog, change: certificates::TierChange, certified: Option<String>) -> TimelineEvent {
    let (from, to) = (label_of(catalog, &change.from_tier), label_of(catalog, &change.to_tier));
    let (kind, line) = match change.kind {
        ChangeKind::Promotion => (EventKind::Promotion, format!("晋级：{from} → {to}")),
        ChangeKind::Demotion => (EventKind::Demotion, format!("降级：{from} → {to}")),
        ChangeKind::Certification => (
            EventKind::Certification,
            format!("认定：{}", label_of(catalog, certified.as_deref().unwrap_or(&change.to_tier))),
        ),
    };
    let detail = match (change.reason.as_deref(), change.note.as_deref()) {
        (Some("expired"), _) => "（证书到期）".to_owned(),
        (_, Some(note)) => format!("（{}）", shortened(note)),
        _ => String::new(),
    };
    TimelineEvent {
        at: change.recorded_at,
        kind,
        summary: format!("{line}{detail}"),
        effective_on: Some(change.effective_on),
        ref_id: change.id,
        id: change.id,
    }
}

/// At most this many characters of a visit's summary in its line.
const SUMMARY_CHARS: usize = 60;

/// `text` cut to [`SUMMARY_CHARS`], with "…" where it was cut (the visit's page has it whole).
fn shortened(text: &str) -> String {
    let mut cut: String = text.chars().take(SUMMARY_CHARS).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    cut
}

/// Up to `fetch` events of the enterprise (in the caller's streets) before `before`,
/// newest first.
pub fn of(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    before: Option<(DateTime<Utc>, Uuid)>,
    fetch: i64,
) -> Result<Vec<TimelineEvent>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    let scope = auth.principal.street_scope();
    let enterprise = crate::service::enterprises::visible(conn, auth, enterprise_id)?;
    let filter = visits::VisitFilter { enterprise_id: Some(enterprise_id), ..Default::default() };
    let visits = visits::list(conn, &filter, &scope, before, fetch)?.into_iter().map(|v| TimelineEvent {
        at: v.record.visited_at,
        kind: EventKind::Visit,
        summary: format!("{}：{}", channel_label(&v.record.channel), shortened(&v.record.summary)),
        effective_on: None,
        ref_id: v.id,
        id: v.id,
    });
    let moves =
        service_requests::moves_of_enterprise(conn, &enterprise, before, fetch)?.into_iter().map(|m| TimelineEvent {
            at: m.at,
            kind: EventKind::Request,
            summary: format!("诉求「{}」{}", m.title, recorded_move_label(&m.action)),
            effective_on: None,
            ref_id: m.request_id,
            id: m.id,
        });
    let changes = certificates::recent_changes(conn, enterprise_id, before, fetch)?
        .into_iter()
        .map(|(change, certified)| change_event(catalog, change, certified));
    let applications =
        applications::moves_of_enterprise(conn, &enterprise, before, fetch)?.into_iter().map(|m| TimelineEvent {
            at: m.at,
            kind: EventKind::Application,
            summary: format!("{}年{}申报{}", m.batch_year, label_of(catalog, &m.tier), application_label(&m.action)),
            effective_on: None,
            ref_id: m.application_id,
            id: m.id,
        });
    let mut events: Vec<TimelineEvent> = visits.chain(moves).chain(changes).chain(applications).collect();
    events.sort_by_key(|e| std::cmp::Reverse((e.at, e.id)));
    Ok(events)
}
