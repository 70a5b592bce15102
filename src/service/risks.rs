//! Falling, not only climbing: the enterprises that may lose the rung they stand on —
//! their latest figures fail a criterion that keeps it, an obligation is overdue, or the
//! certificate ends soon with no application to renew it in flight.

use crate::config::Catalog;
use crate::db::risks::{self as store, Lookout};
use crate::domain::application::Status as ApplicationStatus;
use crate::domain::{Action, obligation};
use crate::service::readiness::Gap;
use crate::service::{Authorized, ServiceError};
use chrono::{Datelike, Days, NaiveDate};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A certificate ending within this many days (or this year) puts its rung at risk.
pub const EXPIRING_DAYS: u64 = 90;

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RiskQuery {
    /// One street (within the caller's).
    pub street_id: Option<Uuid>,
}

/// An overdue item, as a reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OverdueItem {
    pub id: Uuid,
    pub code: String,
    pub period: i32,
    pub due_on: NaiveDate,
    pub national_due_on: NaiveDate,
}

/// The certificate that ends, as a reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Ending {
    pub tier: String,
    pub certificate_id: Uuid,
    pub valid_until: NaiveDate,
}

/// Why an enterprise is at risk.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Reason {
    /// Its latest figures fail criteria that keep its rung.
    Criteria { gaps: Vec<Gap> },
    /// Obligations past due; `revocation_risk` when one was missed (past the nation's
    /// date) so many years in a row that the certificate may be revoked (two, for the
    /// 国高's annual report).
    Obligation { items: Vec<OverdueItem>, revocation_risk: bool },
    /// The certificate it stands on ends soon, with no application to renew it in flight.
    Expiring { certificate: Ending },
}

/// An enterprise at risk, with every reason.
#[derive(Debug, Serialize, ToSchema)]
pub struct AtRisk {
    pub enterprise_id: Uuid,
    pub name: String,
    pub tier: String,
    pub street_id: Option<Uuid>,
    pub reasons: Vec<Reason>,
}

fn lookout<'a>(
    auth: &Authorized,
    catalog: &Catalog,
    street: Option<Uuid>,
    in_flight: &'a [&'a str],
    only: Option<Uuid>,
) -> Lookout<'a> {
    let today = catalog.today();
    let year_end = NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today);
    let ahead = today.checked_add_days(Days::new(EXPIRING_DAYS)).unwrap_or(today);
    Lookout {
        streets: crate::db::scope_streets(&auth.principal.street_scope()),
        street,
        today,
        horizon: year_end.max(ahead),
        in_flight,
        only,
    }
}

/// The enterprises in the caller's streets at risk, by id, the page after `after`.
pub fn list(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    query: &RiskQuery,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<AtRisk>, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let in_flight = ApplicationStatus::IN_FLIGHT.map(ApplicationStatus::as_str);
    let look = lookout(auth, catalog, query.street_id, &in_flight, None);
    let mut found = gather(catalog, store::at_risk(conn, &look, after, limit)?);
    found.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(found)
}

/// Why one enterprise (in the caller's streets) may lose its rung; empty when it is safe.
pub fn of_enterprise(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
) -> Result<Vec<Reason>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    let in_flight = ApplicationStatus::IN_FLIGHT.map(ApplicationStatus::as_str);
    let look = lookout(auth, catalog, None, &in_flight, Some(id));
    Ok(gather(catalog, store::at_risk(conn, &look, None, 1)?).into_iter().flat_map(|r| r.reasons).collect())
}

/// The rows of reasons, one enterprise after another, as enterprises with their reasons.
fn gather(catalog: &Catalog, rows: Vec<store::Reason>) -> Vec<AtRisk> {
    let mut found: Vec<AtRisk> = Vec::new();
    for row in rows {
        let reason = match row.reason.as_str() {
            "criteria" => Reason::Criteria { gaps: serde_json::from_value(row.detail).unwrap_or_default() },
            "obligation" => {
                let items: Vec<OverdueItem> = serde_json::from_value(row.detail).unwrap_or_default();
                let revocation_risk = revocation_risk(catalog, &items);
                Reason::Obligation { items, revocation_risk }
            }
            _ => match serde_json::from_value(row.detail) {
                Ok(certificate) => Reason::Expiring { certificate },
                Err(_) => continue,
            },
        };
        match found.last_mut() {
            Some(last) if last.enterprise_id == row.enterprise_id => last.reasons.push(reason),
            _ => found.push(AtRisk {
                enterprise_id: row.enterprise_id,
                name: row.name,
                tier: row.tier,
                street_id: row.street_id,
                reasons: vec![reason],
            }),
        }
    }
    found
}

/// Whether the items missed, past the nation's date, run so many years in a row for one
/// obligation that the certificate may be revoked.
fn revocation_risk(catalog: &Catalog, items: &[OverdueItem]) -> bool {
    let today = catalog.today();
    catalog.obligations.iter().any(|rule| {
        let mut missed: Vec<i32> =
            items.iter().filter(|i| i.code == rule.code && i.national_due_on < today).map(|i| i.period).collect();
        missed.sort_unstable_by(|a, b| b.cmp(a));
        let in_a_row = missed.windows(2).take_while(|w| w[0] == w[1] + 1).count() + usize::from(!missed.is_empty());
        obligation::revocation_risk(rule, in_a_row)
    })
}

/// How many enterprises in the caller's streets (or `street`) are at risk.
pub fn count(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    street: Option<Uuid>,
) -> Result<i64, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let in_flight = ApplicationStatus::IN_FLIGHT.map(ApplicationStatus::as_str);
    Ok(store::count(conn, &lookout(auth, catalog, street, &in_flight, None))?)
}
