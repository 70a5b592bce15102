//! 我的待办: what is due in the caller's streets, most pressing first: follow-ups promised,
//! for those who run the desk requests under 督办 and extensions to answer, requests past
//! their deadline, the caller's requests urged (催办) or waiting for their callback,
//! requests assigned to the caller, requests nobody has taken yet, certificates coming to
//! the end of their term, enterprises nobody has visited for a while and those due for a
//! visit by their rung's cadence.

use crate::config::Catalog;
use crate::db::certificates::{self, Expiring, ExpiringFilter};
use crate::db::enterprises::{self, Mark, Unvisited};
use crate::db::service_requests::{self, RequestFilter, ServiceRequest};
use crate::db::visits::{self, FollowUp};
use crate::domain::Action;
use crate::domain::application::Status as ApplicationStatus;
use crate::domain::obligation::Wants;
use crate::domain::{certification, visit};
use crate::service::obligations::{self, ItemView, ObligationQuery};
use crate::service::risks::{self, AtRisk, RiskQuery};
use crate::service::{Authorized, ServiceError};
use anyhow::anyhow;
use chrono::{Datelike, Days, NaiveDate};
use diesel::PgConnection;
use uuid::Uuid;

/// How many of each kind of item the agenda shows.
pub const ITEMS: i64 = 50;
/// Follow-ups due within this many days (today included).
pub const FOLLOW_UP_DAYS: u64 = 7;
/// Certificates whose last valid day falls within this many days (today included).
pub const EXPIRING_DAYS: u32 = 90;
/// An enterprise counts as "not visited" after this many days, unless asked otherwise.
pub const NOT_VISITED_DAYS: u16 = 90;

/// Each request is in one list only, the first that fits, in the order of the fields.
pub struct Agenda {
    pub follow_ups: Vec<FollowUp>,
    /// 督办: for those who run the desk, requests in their streets whose stage went past
    /// due and was supervised, or that were escalated to the bureau.
    pub supervised: Vec<ServiceRequest>,
    pub overdue_requests: Vec<ServiceRequest>,
    /// For those who run the desk: extensions waiting for their answer.
    pub extensions: Vec<ServiceRequest>,
    /// 催办: the caller's requests whose stage has used its share of time.
    pub urged: Vec<ServiceRequest>,
    /// The caller's resolved requests waiting for their callback (回访).
    pub callbacks_due: Vec<ServiceRequest>,
    pub assigned_to_me: Vec<ServiceRequest>,
    /// Open requests nobody has been assigned yet, newest first.
    pub unassigned: Vec<ServiceRequest>,
    /// Soonest first; with the first day of the window (today).
    pub expiring: (NaiveDate, Vec<Expiring>),
    /// Never-visited first.
    pub not_visited: Vec<Unvisited>,
    /// Due for a visit by their rung's cadence (or this year's application), the most
    /// overdue first: never visited, then by the day the visit fell due.
    pub due_for_visit: Vec<DueVisit>,
    /// Obligations not done that fall due within [`visit::OBLIGATION_LEAD_DAYS`] or are
    /// overdue, soonest first.
    pub obligations: Vec<ItemView>,
    /// Enterprises that may lose their rung (for those who read the pipeline).
    pub at_risk: Vec<AtRisk>,
}

/// An enterprise due for a visit, and why.
pub struct DueVisit {
    pub enterprise: Unvisited,
    /// The cadence it is due by, in days.
    pub every_days: u32,
    /// The first day the visit was due; `None`: never visited.
    pub due_on: Option<NaiveDate>,
    /// Due by a closer cadence than its rung's, and which; `None`: its rung's.
    pub closer: Option<Closer>,
}

/// Why an enterprise is visited more often than its rung asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closer {
    /// An application of this year's batch is in flight.
    Applying,
    /// An obligation falls due within [`visit::OBLIGATION_LEAD_DAYS`] or is overdue.
    Owing,
}

/// The caller's agenda; `not_visited_days` as [`NOT_VISITED_DAYS`] when `None`.
pub fn of(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    not_visited_days: Option<u16>,
) -> Result<Agenda, ServiceError> {
    auth.require(Action::ReadSelf)?;
    let me = auth.acting_user()?;
    let scope = auth.principal.street_scope();
    let today = catalog.today();
    let horizon = today.checked_add_days(Days::new(FOLLOW_UP_DAYS - 1)).unwrap_or(today);
    let unvisited_since = visit::window_start(today, u32::from(not_visited_days.unwrap_or(NOT_VISITED_DAYS)));
    let window = certification::expiry_window(today, EXPIRING_DAYS).map_err(|e| ServiceError::Internal(anyhow!(e)))?;
    let runs_desk = auth.may(Action::SuperviseRequests);
    let none = RequestFilter::default;
    let lists = [
        runs_desk.then(|| RequestFilter { escalated: true, ..none() }),
        Some(RequestFilter { overdue: true, ..none() }),
        runs_desk.then(|| RequestFilter { awaiting_extension: true, ..none() }),
        Some(RequestFilter { assignee_id: Some(me), urged: true, ..none() }),
        Some(RequestFilter { assignee_id: Some(me), awaiting_callback: true, ..none() }),
        Some(RequestFilter { assignee_id: Some(me), pending: true, ..none() }),
        Some(RequestFilter { unassigned: true, ..none() }),
    ];
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::with_capacity(lists.len());
    for filter in lists {
        let requests = match filter {
            Some(filter) => service_requests::list(conn, &filter, &scope, None, ITEMS)?,
            None => Vec::new(),
        };
        found.push(requests.into_iter().filter(|r| seen.insert(r.id)).collect::<Vec<_>>());
    }
    let [supervised, overdue_requests, extensions, urged, callbacks_due, assigned_to_me, unassigned] =
        <[Vec<ServiceRequest>; 7]>::try_from(found).map_err(|_| ServiceError::Internal(anyhow!("seven lists")))?;
    Ok(Agenda {
        follow_ups: visits::follow_ups(conn, &scope, today, horizon, ITEMS)?,
        supervised,
        overdue_requests,
        extensions,
        urged,
        callbacks_due,
        assigned_to_me,
        unassigned,
        expiring: (today, certificates::expiring(conn, &scope, &ExpiringFilter::default(), window, None, ITEMS)?),
        not_visited: enterprises::not_visited(conn, &scope, unvisited_since, ITEMS)?,
        due_for_visit: due_for_visit(conn, catalog, &scope, ITEMS)?,
        obligations: {
            let due_before = today.checked_add_days(Days::new(u64::from(visit::OBLIGATION_LEAD_DAYS))).unwrap_or(today);
            let query = ObligationQuery { status: Some(Wants::Open), street_id: None, due_before: Some(due_before) };
            obligations::list(conn, auth, catalog, &query, None, ITEMS)?
        },
        at_risk: if auth.may(Action::ReadPipeline) {
            risks::list(conn, auth, catalog, &RiskQuery::default(), None, ITEMS)?
        } else {
            Vec::new()
        },
    })
}

/// The enterprises in `scope` due for a visit by their cadence, the `limit` most overdue:
/// one walk along the last-visit index per rung with a cadence (and street, for a
/// counselor), one for this year's applications, merged by the day each visit fell due.
fn due_for_visit(
    conn: &mut PgConnection,
    catalog: &Catalog,
    scope: &crate::domain::StreetScope,
    limit: i64,
) -> Result<Vec<DueVisit>, ServiceError> {
    let today = catalog.today();
    let before = |every_days: u32| catalog.start_of(visit::window_start(today, every_days));
    let due = |enterprise: Unvisited, every_days: u32, closer: Option<Closer>| {
        let last = enterprise.last_visited_at.map(|at| catalog.local(at).date());
        DueVisit { due_on: visit::due_on(last, every_days), enterprise, every_days, closer }
    };
    // The district at once; a counselor's streets one by one, each an ordered index walk.
    let streets: Vec<Option<Uuid>> = match scope {
        crate::domain::StreetScope::All => vec![None],
        crate::domain::StreetScope::Streets(streets) => streets.iter().copied().map(Some).collect(),
    };
    let mut found: Vec<DueVisit> = Vec::new();
    for street in &streets {
        let statuses = ApplicationStatus::IN_FLIGHT.map(ApplicationStatus::as_str);
        let lead = today.checked_add_days(Days::new(u64::from(visit::OBLIGATION_LEAD_DAYS))).unwrap_or(today);
        let marks = [
            (
                catalog.visit_every_days_while_applying,
                Mark::Applying { batch_year: today.year(), statuses: &statuses },
                Closer::Applying,
            ),
            (catalog.visit_every_days_while_obligation_due, Mark::Owing { due_before: lead }, Closer::Owing),
        ];
        for (every_days, mark, closer) in marks {
            let Some(every_days) = every_days else { continue };
            let marked = enterprises::marked_due_for_visit(conn, *street, &mark, before(every_days), limit)?;
            found.extend(marked.into_iter().map(|e| due(e, every_days, Some(closer))));
        }
        for rung in catalog.ladder.rungs() {
            let Some(every_days) = rung.visit_every_days else { continue };
            let rung_due = enterprises::due_for_visit(conn, *street, &rung.code, before(every_days), limit)?;
            found.extend(rung_due.into_iter().map(|e| due(e, every_days, None)));
        }
    }
    // Most overdue first (never visited before all), each enterprise once, by the reason
    // that made it due first.
    found.sort_by_key(|d| (d.due_on, d.enterprise.id));
    let mut seen = std::collections::HashSet::new();
    found.retain(|d| seen.insert(d.enterprise.id));
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(found)
}
