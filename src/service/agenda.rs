//! 我的待办: what is due in the caller's streets, most pressing first: follow-ups promised,
//! requests past their deadline, requests assigned to the caller, requests nobody has
//! taken yet, certificates coming to the end of their term, enterprises nobody has
//! visited for a while.

use crate::config::Catalog;
use crate::db::certificates::{self, Expiring, ExpiringFilter};
use crate::db::enterprises::{self, Unvisited};
use crate::db::service_requests::{self, RequestFilter, ServiceRequest};
use crate::db::visits::{self, FollowUp};
use crate::domain::Action;
use crate::domain::service_request::Status;
use crate::domain::{certification, visit};
use crate::service::{Authorized, ServiceError};
use anyhow::anyhow;
use chrono::{Days, NaiveDate};
use diesel::PgConnection;

/// How many of each kind of item the agenda shows.
pub const ITEMS: i64 = 50;
/// Follow-ups due within this many days (today included).
pub const FOLLOW_UP_DAYS: u64 = 7;
/// Certificates whose last valid day falls within this many days (today included).
pub const EXPIRING_DAYS: u32 = 90;
/// An enterprise counts as "not visited" after this many days, unless asked otherwise.
pub const NOT_VISITED_DAYS: u16 = 90;

/// Each request is in one list only, the first that fits: overdue, then assigned to the
/// caller, then waiting to be assigned.
pub struct Agenda {
    pub follow_ups: Vec<FollowUp>,
    pub overdue_requests: Vec<ServiceRequest>,
    pub assigned_to_me: Vec<ServiceRequest>,
    /// Open requests nobody has been assigned yet, newest first.
    pub unassigned: Vec<ServiceRequest>,
    /// Soonest first; with the first day of the window (today).
    pub expiring: (NaiveDate, Vec<Expiring>),
    /// Never-visited first.
    pub not_visited: Vec<Unvisited>,
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
    let overdue = RequestFilter { overdue: true, ..RequestFilter::default() };
    let mine = RequestFilter { assignee_id: Some(me), pending: true, ..RequestFilter::default() };
    let open = RequestFilter { status: Some(Status::Open), ..RequestFilter::default() };
    let window = certification::expiry_window(today, EXPIRING_DAYS).map_err(|e| ServiceError::Internal(anyhow!(e)))?;
    let overdue_requests = service_requests::list(conn, &overdue, &scope, None, ITEMS)?;
    let not_overdue = |requests: Vec<ServiceRequest>| -> Vec<ServiceRequest> {
        requests.into_iter().filter(|r| overdue_requests.iter().all(|o| o.id != r.id)).collect()
    };
    let assigned_to_me = not_overdue(service_requests::list(conn, &mine, &scope, None, ITEMS)?);
    let unassigned = not_overdue(service_requests::list(conn, &open, &scope, None, ITEMS)?);
    Ok(Agenda {
        follow_ups: visits::follow_ups(conn, &scope, today, horizon, ITEMS)?,
        overdue_requests,
        assigned_to_me,
        unassigned,
        expiring: (today, certificates::expiring(conn, &scope, &ExpiringFilter::default(), window, None, ITEMS)?),
        not_visited: enterprises::not_visited(conn, &scope, unvisited_since, ITEMS)?,
    })
}
