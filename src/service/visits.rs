//! 走访: logging a visit (with the demands raised in it, in one transaction) and
//! correcting one.

use crate::config::Catalog;
use crate::db::audit::{self, Change};
use crate::db::enterprises;
use crate::db::service_requests::ServiceRequest;
use crate::db::visits::{self as store, Visit, VisitFilter, VisitRecord};
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::dates;
use crate::domain::visit::{Channel, Purpose};
use crate::service::requests::{self, NewRequest};
use crate::service::{Authorized, BasedOn, FieldError, OrNotFound, ServiceError, cleaned, not_blank};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

const ENTITY: &str = "visit";

/// What is recorded about a visit (and, merged with the stored visit, what a correction
/// leaves): one set of rules for both.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = VisitBody)]
pub struct VisitInput {
    /// When it took place, RFC 3339 with offset; not in the future, not before 1900.
    pub visited_at: DateTime<Utc>,
    pub channel: Channel,
    #[validate(length(min = 1, max = 6, code = "count"))]
    #[schema(min_items = 1, max_items = 6)]
    pub purposes: Vec<Purpose>,
    #[validate(length(max = 4000), custom(function = not_blank))]
    #[schema(max_length = 4000, pattern = "\\S")]
    pub summary: String,
    /// Who took part, e.g. 总经理张伟、财务总监.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub participants: Option<String>,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub findings: Option<String>,
    #[validate(length(max = 4000))]
    #[schema(max_length = 4000)]
    pub next_steps: Option<String>,
    /// When to follow up; on or after the visit day.
    pub follow_up_on: Option<NaiveDate>,
    #[validate(range(min = -90.0, max = 90.0))]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub latitude: Option<f64>,
    #[validate(range(min = -180.0, max = 180.0))]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub longitude: Option<f64>,
    /// Demands raised in the visit, recorded with it in one transaction.
    #[serde(default)]
    #[validate(nested, length(max = 20))]
    #[schema(max_items = 20)]
    pub requests: Vec<NewRequest>,
}

impl VisitInput {
    /// Checks every rule and returns the record to store and the demands raised.
    fn into_record(self, catalog: &Catalog) -> Result<(VisitRecord, Vec<NewRequest>), ServiceError> {
        self.validate()?;
        let mut errors = Vec::new();
        if let Err(e) = dates::happened_at(self.visited_at, Utc::now()) {
            errors.push(FieldError::new("visited_at", e));
        }
        let visit_day = self.visited_at.with_timezone(&catalog.time_zone).date_naive();
        if self.follow_up_on.is_some_and(|day| day < visit_day) {
            errors.push(FieldError::new("follow_up_on", Refusal::BeforeVisit));
        }
        if self.latitude.is_some() != self.longitude.is_some() {
            errors.push(FieldError::new("longitude", Refusal::CoordinatesTogether));
        }
        ServiceError::unless_any(errors)?;
        let mut purposes: Vec<Purpose> = self.purposes;
        purposes.sort();
        purposes.dedup();
        let record = VisitRecord {
            visited_at: self.visited_at,
            channel: self.channel.as_str().to_owned(),
            purposes: purposes.iter().map(|p| p.as_str().to_owned()).collect(),
            participants: cleaned(self.participants),
            summary: self.summary.trim().to_owned(),
            findings: cleaned(self.findings),
            next_steps: cleaned(self.next_steps),
            follow_up_on: self.follow_up_on,
            latitude: self.latitude,
            longitude: self.longitude,
        };
        Ok((record, self.requests))
    }

    /// The stored visit as an input, for a correction to change.
    fn of_record(r: VisitRecord) -> Result<Self, ServiceError> {
        let stored = |e: String| ServiceError::Internal(anyhow::anyhow!("a stored visit: {e}"));
        Ok(Self {
            visited_at: r.visited_at,
            channel: Channel::try_from(r.channel).map_err(stored)?,
            purposes: r.purposes.into_iter().map(Purpose::try_from).collect::<Result<_, _>>().map_err(stored)?,
            summary: r.summary,
            participants: r.participants,
            findings: r.findings,
            next_steps: r.next_steps,
            follow_up_on: r.follow_up_on,
            latitude: r.latitude,
            longitude: r.longitude,
            requests: Vec::new(),
        })
    }
}

/// Logs a visit to an enterprise in the caller's streets, the caller as its counselor,
/// with the demands raised in it: all of it is stored, or none.
pub fn log(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    input: VisitInput,
) -> Result<(Visit, Vec<ServiceRequest>), ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    let (record, raised) = input.into_record(catalog)?;
    let counselor = auth.acting_user()?;
    conn.transaction(|conn| {
        let enterprise =
            enterprises::find(conn, enterprise_id, &auth.principal.street_scope()).or_not_found("enterprise")?;
        let visit = store::insert(conn, Uuid::now_v7(), enterprise.id, counselor, &record)?;
        audit::record(conn, &auth.audit, Change::created(ENTITY, visit.id, &visit))?;
        requests::contacted_in_visit(conn, auth, catalog, enterprise.id, &visit.record.summary)?;
        let raised = raised
            .into_iter()
            .map(|request| {
                let request = NewRequest { visit_id: Some(visit.id), ..request };
                requests::raise_for(conn, auth, catalog, &enterprise, &request)
            })
            .collect::<Result<_, _>>()?;
        Ok((visit, raised))
    })
}

/// Corrects a visit as `edit` changes it, if it is still at the version the correction
/// is `based_on`. Who may, and until when, is [`crate::domain::Principal::may_correct_visit`].
pub fn correct(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
    based_on: &BasedOn,
    edit_window: Duration,
    edit: impl FnOnce(VisitInput) -> VisitInput,
) -> Result<Visit, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    conn.transaction(|conn| {
        let current = store::find_for_update(conn, id, &auth.principal.street_scope()).or_not_found(ENTITY)?;
        auth.principal.may_correct_visit(current.counselor_id, current.created_at, Utc::now(), edit_window)?;
        based_on.check(current.version)?;
        let (record, _) = edit(VisitInput::of_record(current.record.clone())?).into_record(catalog)?;
        if record == current.record {
            return Ok(current);
        }
        let updated = store::update(conn, id, &record)?;
        audit::record(conn, &auth.audit, Change::changed(ENTITY, id, "update", &current, &updated))?;
        Ok(updated)
    })
}

/// Visits in the caller's streets that `filter` keeps, newest first, the page after `after`
/// (with `filter.enterprise_id`, an enterprise the caller may see, else not found).
pub fn list(
    conn: &mut PgConnection,
    auth: &Authorized,
    filter: &VisitFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> Result<Vec<Visit>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    if let Some(enterprise) = filter.enterprise_id {
        crate::service::enterprises::visible(conn, auth, enterprise)?;
    }
    Ok(store::list(conn, filter, &auth.principal.street_scope(), after, limit)?)
}

/// One visit in the caller's streets, with the demands raised in it.
pub fn find(
    conn: &mut PgConnection,
    auth: &Authorized,
    id: Uuid,
) -> Result<(Visit, Vec<ServiceRequest>), ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    let visit = store::find(conn, id, &auth.principal.street_scope()).or_not_found(ENTITY)?;
    let raised = crate::db::service_requests::of_visit(conn, id)?;
    Ok((visit, raised))
}
