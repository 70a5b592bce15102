use crate::db::enterprises::Visible;
use crate::db::schema::{request_transitions, service_requests};
use crate::domain::StreetScope;
use crate::domain::service_request::{Category, Priority, Status};
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
}

/// What a transition changes on the request itself.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = service_requests)]
pub struct Move<'a> {
    pub status: &'a str,
    pub assignee_id: Option<Uuid>,
    pub resolved_at: Option<Option<DateTime<Utc>>>,
    pub closed_at: Option<Option<DateTime<Utc>>>,
    pub satisfaction: Option<Option<i16>>,
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
    if filter.pending || filter.overdue {
        query = query.filter(service_requests::status.eq_any(Status::pending_codes()));
    }
    if filter.overdue {
        query = query.filter(service_requests::due_at.lt(Utc::now()));
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
