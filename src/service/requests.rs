//! 诉求: raising a demand an enterprise has, and working it along its workflow to
//! resolution, with who may be handed it.

use crate::config::Catalog;
use crate::db::audit::Context;
use crate::db::enterprises::{self, Enterprise};
use crate::db::service_requests::{self as store, NewServiceRequest, ServiceRequest, Transition};
use crate::db::workflow_tables::Step as HistoryStep;
use crate::db::{users, visits};
use crate::domain::Refusal;
use crate::domain::access::may_be_assigned;
use crate::domain::service_request::{
    self, Action as RequestAction, Category, Move, Moving, Priority, Requests, Status,
};
use crate::domain::{Action, Actor, Principal, StreetScope};
use crate::service::workflow::{self, Step, Stored};
use crate::service::{Authorized, BasedOn, FieldError, OrNotFound, ServiceError};
use chrono::{DateTime, Utc};
use diesel::{Connection, OptionalExtension, PgConnection, QueryResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A demand to record, on its own or with the visit it was raised in.
#[derive(Debug, Clone, Serialize, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = RequestBody)]
pub struct NewRequest {
    pub category: Category,
    pub priority: Priority,
    #[validate(length(min = 1, max = 200))]
    #[schema(example = "研发楼扩租 2000 平方米")]
    pub title: String,
    #[validate(length(min = 1, max = 4000))]
    pub description: String,
    /// The visit it was raised in: a visit of the same enterprise (set automatically when
    /// sent with a visit).
    pub visit_id: Option<Uuid>,
}

/// Raises a request for the enterprise `enterprise_id` in the caller's streets.
pub fn raise(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    request: NewRequest,
) -> Result<ServiceRequest, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    request.validate()?;
    conn.transaction(|conn| {
        let enterprise =
            enterprises::find(conn, enterprise_id, &auth.principal.street_scope()).or_not_found("enterprise")?;
        if let Some(visit_id) = request.visit_id
            && visits::enterprise_of(conn, visit_id).optional()? != Some(enterprise.id)
        {
            return Err(ServiceError::invalid("visit_id", Refusal::NotAVisitOfEnterprise));
        }
        raise_for(conn, auth, catalog, &enterprise, &request)
    })
}

/// Records a request for `enterprise` (already found in scope, its visit checked), with
/// its deadline and its first step, in the caller's transaction.
pub(crate) fn raise_for(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise: &Enterprise,
    request: &NewRequest,
) -> Result<ServiceRequest, ServiceError> {
    let raised_by = auth.acting_user()?;
    let now = Utc::now();
    let stored = store::insert(
        conn,
        &NewServiceRequest {
            id: Uuid::now_v7(),
            enterprise_id: enterprise.id,
            visit_id: request.visit_id,
            category: request.category.as_str(),
            priority: request.priority.as_str(),
            title: request.title.trim(),
            description: request.description.trim(),
            status: Status::Open.as_str(),
            raised_by,
            due_at: catalog.sla.due_at(now, request.category, request.priority),
        },
    )?;
    let step =
        Step { action: service_request::RAISED, from: None, to: Status::Open, actor: Some(raised_by), note: None };
    workflow::settle::<Requests>(conn, &auth.audit, stored.id, &step, None, &stored)?;
    Ok(stored)
}

impl Stored for Requests {
    type Record = ServiceRequest;
    const ENTITY: &'static str = "service_request";

    fn lock(conn: &mut PgConnection, id: Uuid, scope: &StreetScope) -> QueryResult<ServiceRequest> {
        store::find_for_update(conn, id, scope)
    }

    fn status(request: &ServiceRequest) -> Status {
        request.status
    }

    fn version(request: &ServiceRequest) -> i32 {
        request.version
    }

    fn record(conn: &mut PgConnection, id: Uuid, step: &HistoryStep<'_>) -> QueryResult<()> {
        store::record_step(conn, id, step)
    }
}

/// A move of a request along its workflow, as the API takes it.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestMove {
    pub action: RequestAction,
    /// Required to `assign`: an active counselor, manager or admin who can see the request.
    pub assignee_id: Option<Uuid>,
    /// Required to `reject` (the reason); kept with any other move.
    #[validate(length(max = 2000))]
    pub note: Option<String>,
    /// Required to `close`: the enterprise's satisfaction, 1 (poor) to 5 (excellent).
    pub satisfaction: Option<i16>,
}

impl RequestMove {
    /// The move asked for, with what it takes (422 naming each missing or wrong input).
    pub fn parse(&self) -> Result<Moving, ServiceError> {
        self.validate()?;
        Moving::parse(self.action, self.assignee_id, self.satisfaction, self.note.as_deref()).map_err(|refused| {
            ServiceError::Invalid(refused.into_iter().map(|(field, why)| FieldError::new(field, why)).collect())
        })
    }
}

/// One request in the caller's streets, with its history (oldest first).
pub fn find(
    conn: &mut PgConnection,
    auth: &Authorized,
    id: Uuid,
) -> Result<(ServiceRequest, Vec<Transition>), ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    let request = store::find(conn, id, &auth.principal.street_scope()).or_not_found("service request")?;
    Ok((request, store::transitions_of(conn, id)?))
}

/// Moves a request from the version `based_on` (see [`workflow::advance`]): an
/// assignment hands it to someone who works requests and can see it; resolving and
/// closing stamp their moment, closing the enterprise's satisfaction; reopening clears
/// all three.
pub fn transition(
    conn: &mut PgConnection,
    auth: &Authorized,
    id: Uuid,
    moving: &Moving,
    based_on: &BasedOn,
) -> Result<(ServiceRequest, Vec<Transition>), ServiceError> {
    let updated = workflow::advance::<Requests>(
        conn,
        auth,
        id,
        moving.action(),
        moving.note(),
        based_on,
        |conn, current, next| {
            if let Move::Assign { assignee } = moving.step() {
                check_assignee(conn, *assignee, current.street_id)?;
            }
            Ok(store::apply(conn, id, &change(moving.step(), next, Utc::now()))?)
        },
    )?;
    Ok((updated, store::transitions_of(conn, id)?))
}

/// What a move writes besides the status.
fn change(step: &Move, next: Status, now: DateTime<Utc>) -> store::Move<'static> {
    let (mut resolved_at, mut closed_at, mut satisfaction) = (None, None, None);
    match step {
        Move::Resolve => resolved_at = Some(Some(now)),
        Move::Close { satisfaction: score } => {
            closed_at = Some(Some(now));
            satisfaction = Some(Some(score.score()));
        }
        Move::Reopen => (resolved_at, closed_at, satisfaction) = (Some(None), Some(None), Some(None)),
        Move::Assign { .. } | Move::Start | Move::Reject | Move::Escalate => {}
    }
    let assignee_id = match step {
        Move::Assign { assignee } => Some(*assignee),
        _ => None,
    };
    store::Move { status: next.as_str(), assignee_id, resolved_at, closed_at, satisfaction }
}

/// After `enterprises` moved street (their requests with them, by the database): a pending
/// request whose assignee does not serve the new street, and so could no longer see it,
/// goes back to be taken there — to 待受理, or to the bureau if it was escalated there —
/// with the move on its history as the mover's.
pub fn release_unserved(conn: &mut PgConnection, context: &Context, enterprises: &[Uuid]) -> Result<(), ServiceError> {
    for current in store::assigned_of(conn, enterprises)? {
        let Some(assignee) = current.assignee_id else { continue };
        if check_assignee(conn, assignee, current.street_id).is_ok() {
            continue;
        }
        let next = if current.status == Status::Escalated { Status::Escalated } else { Status::Open };
        let released = store::release(conn, current.id, next)?;
        let actor = match context.actor {
            Actor::User(id) => Some(id),
            Actor::ApiKey(_) | Actor::System => None,
        };
        let step = Step { action: service_request::RELEASED, from: Some(current.status), to: next, actor, note: None };
        workflow::settle::<Requests>(conn, context, current.id, &step, Some(&current), &released)?;
    }
    Ok(())
}

/// The assignee must be someone who works requests and can see this one.
fn check_assignee(conn: &mut PgConnection, assignee: Uuid, street: Option<Uuid>) -> Result<(), ServiceError> {
    let refused = |why| ServiceError::invalid("assignee_id", why);
    let access = users::access(conn, assignee)?.ok_or_else(|| refused(Refusal::AssigneeNotWorker))?;
    let scope = Principal::User { id: assignee, role: access.role, streets: access.streets }.street_scope();
    may_be_assigned(access.role, access.active, &scope, street).map_err(refused)
}

/// Requests in the caller's streets that `filter` keeps, the page after `after`.
pub fn list(
    conn: &mut PgConnection,
    auth: &Authorized,
    filter: &store::RequestFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ServiceRequest>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    Ok(store::list(conn, filter, &auth.principal.street_scope(), after, limit)?)
}

/// The people `request` can be handed to (who work requests and serve its street), by name.
pub fn assignable(
    conn: &mut PgConnection,
    auth: &Authorized,
    request: &ServiceRequest,
    limit: i64,
) -> Result<Vec<(Uuid, String)>, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    Ok(users::assignable(conn, request.street_id, limit)?)
}
