use crate::db::enterprises::Visible;
use crate::db::schema::{request_transitions, service_requests};
use crate::domain::StreetScope;
use crate::domain::service_request::{Category, Priority, Stage, Status};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = service_requests, check_for_backend(diesel::pg::Pg))]
pub struct ServiceRequest {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub street_id: Option<Uuid>,
    pub visit_id: Option<Uuid>,
    #[diesel(deserialize_as = String)]
    pub category: Category,
    #[diesel(deserialize_as = String)]
    pub priority: Priority,
    pub title: String,
    pub description: String,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub assignee_id: Option<Uuid>,
    pub raised_by: Uuid,
    pub due_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i16>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub acknowledge_due_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub contact_due_at: Option<DateTime<Utc>>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub callback_due_at: Option<DateTime<Utc>>,
    pub called_back_at: Option<DateTime<Utc>>,
    pub callback_channel: Option<String>,
    /// The stage awaited now (a [`Stage`](crate::domain::service_request::Stage) code) and its deadline.
    pub stage: Option<String>,
    pub stage_due_at: Option<DateTime<Utc>>,
    pub urge_at: Option<DateTime<Utc>>,
    pub urged_at: Option<DateTime<Utc>>,
    pub supervised_at: Option<DateTime<Utc>>,
    /// Working days an extension waiting for an answer asks for.
    pub extension_days: Option<i16>,
    pub extensions: i16,
    pub callbacks: i16,
    pub callback_rating_total: i16,
    pub reopened: i16,
    pub transferred_street_id: Option<Uuid>,
    pub department: Option<String>,
    pub source: String,
    pub external_no: Option<String>,
}

impl ServiceRequest {
    /// What a move may change, as it stands.
    pub fn working(&self) -> Move {
        Move {
            status: self.status.as_str(),
            assignee_id: self.assignee_id,
            due_at: self.due_at,
            resolved_at: self.resolved_at,
            closed_at: self.closed_at,
            satisfaction: self.satisfaction,
            acknowledge_due_at: self.acknowledge_due_at,
            acknowledged_at: self.acknowledged_at,
            contact_due_at: self.contact_due_at,
            contacted_at: self.contacted_at,
            callback_due_at: self.callback_due_at,
            called_back_at: self.called_back_at,
            callback_channel: self.callback_channel.clone(),
            stage: self.stage.clone(),
            stage_due_at: self.stage_due_at,
            urge_at: self.urge_at,
            urged_at: self.urged_at,
            supervised_at: self.supervised_at,
            extension_days: self.extension_days,
            extensions: self.extensions,
            callbacks: self.callbacks,
            callback_rating_total: self.callback_rating_total,
            reopened: self.reopened,
            transferred_street_id: self.transferred_street_id,
            department: self.department.clone(),
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = service_requests)]
pub struct NewServiceRequest<'a> {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub visit_id: Option<Uuid>,
    pub category: &'a str,
    pub priority: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub status: &'a str,
    pub raised_by: Uuid,
    pub due_at: DateTime<Utc>,
    pub acknowledge_due_at: DateTime<Utc>,
    pub contact_due_at: DateTime<Utc>,
    pub stage: &'a str,
    pub stage_due_at: DateTime<Utc>,
    pub urge_at: DateTime<Utc>,
    pub source: &'a str,
    pub external_no: Option<&'a str>,
    pub created_at: DateTime<Utc>,
}

/// Everything a move may change on the request, written whole (a `None` is written as
/// NULL): a move starts from [`ServiceRequest::working`] and changes what it changes.
#[derive(Debug, Clone, PartialEq, AsChangeset)]
#[diesel(table_name = service_requests, treat_none_as_null = true)]
pub struct Move {
    pub status: &'static str,
    pub assignee_id: Option<Uuid>,
    pub due_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub satisfaction: Option<i16>,
    pub acknowledge_due_at: Option<DateTime<Utc>>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub contact_due_at: Option<DateTime<Utc>>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub callback_due_at: Option<DateTime<Utc>>,
    pub called_back_at: Option<DateTime<Utc>>,
    pub callback_channel: Option<String>,
    pub stage: Option<String>,
    pub stage_due_at: Option<DateTime<Utc>>,
    pub urge_at: Option<DateTime<Utc>>,
    pub urged_at: Option<DateTime<Utc>>,
    pub supervised_at: Option<DateTime<Utc>>,
    pub extension_days: Option<i16>,
    pub extensions: i16,
    pub callbacks: i16,
    pub callback_rating_total: i16,
    pub reopened: i16,
    pub transferred_street_id: Option<Uuid>,
    pub department: Option<String>,
}

workflow_tables!(records: service_requests, row: ServiceRequest, moves: Move, history: request_transitions, owner: request_id);

#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub status: Option<Status>,
    /// Still pending and past due now.
    pub overdue: bool,
    /// Still waiting for someone (open, assigned, in progress, escalated).
    pub pending: bool,
    pub assignee_id: Option<Uuid>,
    pub street_id: Option<Uuid>,
    pub category: Option<Category>,
    pub enterprise_id: Option<Uuid>,
    /// Awaiting this stage (with `overdue`, past its deadline).
    pub stage: Option<Stage>,
    /// Escalated to the bureau, or under 督办.
    pub escalated: bool,
    /// An extension waits for a manager's answer.
    pub awaiting_extension: bool,
    /// Resolved, waiting for the callback.
    pub awaiting_callback: bool,
    /// Waiting for someone to take it: open, nobody assigned.
    pub unassigned: bool,
    /// Urged (催办) or supervised (督办) and the stage still awaited.
    pub urged: bool,
}

pub fn insert(conn: &mut PgConnection, request: &NewServiceRequest) -> QueryResult<ServiceRequest> {
    diesel::insert_into(service_requests::table)
        .values(request)
        .returning(ServiceRequest::as_returning())
        .get_result(conn)
}

/// The requests raised in visit `visit`, in the order they were raised.
pub fn of_visit(conn: &mut PgConnection, visit: Uuid) -> QueryResult<Vec<ServiceRequest>> {
    service_requests::table
        .filter(service_requests::visit_id.eq(visit))
        .order(service_requests::id)
        .select(ServiceRequest::as_select())
        .load(conn)
}

/// The pending requests of `enterprises` that someone is assigned to, locked.
pub fn assigned_of(conn: &mut PgConnection, enterprises: &[Uuid]) -> QueryResult<Vec<ServiceRequest>> {
    service_requests::table
        .filter(service_requests::enterprise_id.eq_any(enterprises))
        .filter(service_requests::status.eq_any(Status::pending_codes()))
        .filter(service_requests::assignee_id.is_not_null())
        .select(ServiceRequest::as_select())
        .order(service_requests::id)
        .for_update()
        .load(conn)
}

/// The requests of `enterprise` that `assignee` holds and has not yet contacted it about.
pub fn awaiting_contact(conn: &mut PgConnection, enterprise: Uuid, assignee: Uuid) -> QueryResult<Vec<Uuid>> {
    service_requests::table
        .filter(service_requests::enterprise_id.eq(enterprise))
        .filter(service_requests::assignee_id.eq(assignee))
        .filter(service_requests::contacted_at.is_null())
        .filter(service_requests::status.eq_any([Status::Assigned.as_str(), Status::InProgress.as_str()]))
        .select(service_requests::id)
        .order(service_requests::id)
        .load(conn)
}

/// Takes the request from its assignee, leaving it `status`.
pub fn release(conn: &mut PgConnection, id: Uuid, status: Status) -> QueryResult<ServiceRequest> {
    diesel::update(service_requests::table.find(id))
        .set((
            service_requests::status.eq(status.as_str()),
            service_requests::assignee_id.eq(None::<Uuid>),
            service_requests::version.eq(service_requests::version + 1),
            service_requests::updated_at.eq(diesel::dsl::now),
        ))
        .returning(ServiceRequest::as_returning())
        .get_result(conn)
}

/// Requests newest first, after `after`.
pub fn list(
    conn: &mut PgConnection,
    filter: &RequestFilter,
    scope: &StreetScope,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<ServiceRequest>> {
    let mut query = service_requests::table
        .select(ServiceRequest::as_select())
        .order(service_requests::id.desc())
        .limit(limit)
        .into_boxed();
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(service_requests::street_id.eq_any(streets.clone()));
    }
    if let Some(status) = filter.status {
        query = query.filter(service_requests::status.eq(status.as_str()));
    }
    if filter.pending {
        query = query.filter(service_requests::status.eq_any(Status::pending_codes()));
    }
    if filter.overdue {
        query =
            query.filter(service_requests::stage.is_not_null()).filter(service_requests::stage_due_at.lt(Utc::now()));
    }
    if let Some(stage) = filter.stage {
        query = query.filter(service_requests::stage.eq(stage.as_str()));
    }
    if filter.escalated {
        query = query.filter(
            service_requests::status
                .eq(Status::Escalated.as_str())
                .or(service_requests::supervised_at.is_not_null().and(service_requests::stage.is_not_null())),
        );
    }
    if filter.urged {
        query = query.filter(service_requests::urged_at.is_not_null()).filter(service_requests::stage.is_not_null());
    }
    if filter.awaiting_extension {
        query = query.filter(service_requests::extension_days.is_not_null());
    }
    if filter.awaiting_callback {
        query = query.filter(service_requests::status.eq(Status::Resolved.as_str()));
    }
    if filter.unassigned {
        query = query
            .filter(service_requests::status.eq_any([Status::Open.as_str(), Status::Escalated.as_str()]))
            .filter(service_requests::assignee_id.is_null());
    }
    if let Some(assignee) = filter.assignee_id {
        query = query.filter(service_requests::assignee_id.eq(assignee));
    }
    if let Some(street) = filter.street_id {
        query = query.filter(service_requests::street_id.eq(street));
    }
    if let Some(category) = filter.category {
        query = query.filter(service_requests::category.eq(category.as_str()));
    }
    if let Some(enterprise) = filter.enterprise_id {
        query = query.filter(service_requests::enterprise_id.eq(enterprise));
    }
    if let Some(after) = after {
        query = query.filter(service_requests::id.lt(after));
    }
    query.load(conn)
}

/// A request's move, with the request's title, for an enterprise's timeline.
#[derive(Debug, Clone, Queryable)]
pub struct TimelineMove {
    pub id: Uuid,
    pub request_id: Uuid,
    pub title: String,
    pub action: String,
    pub at: DateTime<Utc>,
}

/// The moves of an enterprise's requests, newest first, before `(at, id)`.
pub fn moves_of_enterprise(
    conn: &mut PgConnection,
    enterprise: &Visible,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<TimelineMove>> {
    let mut query = request_transitions::table
        .inner_join(service_requests::table)
        .filter(service_requests::enterprise_id.eq(enterprise.id))
        .select((
            request_transitions::id,
            request_transitions::request_id,
            service_requests::title,
            request_transitions::action,
            request_transitions::at,
        ))
        .order((request_transitions::at.desc(), request_transitions::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            request_transitions::at.lt(at).or(request_transitions::at.eq(at).and(request_transitions::id.lt(id))),
        );
    }
    query.load(conn)
}

/// Pending stages due for a 催办 or a 督办 at `now`, locked, skipping those another
/// instance holds, oldest first.
pub fn to_escalate(conn: &mut PgConnection, now: DateTime<Utc>, limit: i64) -> QueryResult<Vec<ServiceRequest>> {
    use service_requests as r;
    r::table
        .filter(r::stage.is_not_null())
        .filter(
            r::urged_at.is_null().and(r::urge_at.le(now)).or(r::supervised_at.is_null().and(r::stage_due_at.lt(now))),
        )
        .order(r::id)
        .limit(limit)
        .select(ServiceRequest::as_select())
        .for_update()
        .skip_locked()
        .load(conn)
}

/// Marks the awaited stage urged (and supervised): the desk's own step, which leaves the
/// version alone so that a form someone has open stays valid.
pub fn mark_escalated(
    conn: &mut PgConnection,
    id: Uuid,
    urged_at: Option<DateTime<Utc>>,
    supervised_at: Option<DateTime<Utc>>,
) -> QueryResult<ServiceRequest> {
    diesel::update(service_requests::table.find(id))
        .set((service_requests::urged_at.eq(urged_at), service_requests::supervised_at.eq(supervised_at)))
        .returning(ServiceRequest::as_returning())
        .get_result(conn)
}

/// Requests whose stage deadlines were never computed (made before the service desk),
/// the page after `after`, locked.
pub fn stages_unknown(conn: &mut PgConnection, after: Option<Uuid>, limit: i64) -> QueryResult<Vec<ServiceRequest>> {
    service_requests::table
        .filter(service_requests::acknowledge_due_at.is_null())
        .filter(service_requests::id.gt(after.unwrap_or(Uuid::nil())))
        .order(service_requests::id)
        .limit(limit)
        .select(ServiceRequest::as_select())
        .for_update()
        .load(conn)
}

/// Writes stage deadlines computed for a request of before the desk, version unchanged.
pub fn write_stages(conn: &mut PgConnection, id: Uuid, stages: &Move) -> QueryResult<()> {
    diesel::update(service_requests::table.find(id)).set(stages).execute(conn).map(drop)
}

/// The request a source's work order number was taken in as, if it was.
pub fn by_external(conn: &mut PgConnection, source: &str, number: &str) -> QueryResult<Option<ServiceRequest>> {
    service_requests::table
        .filter(service_requests::source.eq(source))
        .filter(service_requests::external_no.eq(number))
        .select(ServiceRequest::as_select())
        .first(conn)
        .optional()
}
