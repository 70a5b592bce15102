//! 诉求: raising a demand an enterprise has, and working it along its workflow to
//! resolution, with who may be handed it.

use crate::config::Catalog;
use crate::db::audit::{self, Change, Context};
use crate::db::enterprises::{self, Enterprise};
use crate::db::service_requests::{self as store, Move, NewServiceRequest, NewTransition, ServiceRequest, Transition};
use crate::db::{users, visits};
use crate::domain::access::may_be_assigned;
use crate::domain::service_request::{self, Action as RequestAction, Category, Priority, Requests, Status};
use crate::domain::workflow::Workflow;
use crate::domain::{Actor, Principal};
use crate::service::{Authorized, BasedOn, OrNotFound, ServiceError, cleaned};
use chrono::Utc;
use diesel::{Connection, OptionalExtension, PgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

const ENTITY: &str = "service_request";

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
    request.validate()?;
    conn.transaction(|conn| {
        let enterprise =
            enterprises::find(conn, enterprise_id, &auth.principal.street_scope()).or_not_found("enterprise")?;
        if let Some(visit_id) = request.visit_id
            && visits::enterprise_of(conn, visit_id).optional()? != Some(enterprise.id)
        {
            return Err(ServiceError::invalid("visit_id", "is not a visit of this enterprise"));
        }
        raise_for(conn, auth, catalog, &enterprise, &request)
    })
}

/// Records a request for `enterprise` (already found in scope, its visit checked), with
/// its deadline and its first transition, in the caller's transaction.
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
    store::record_transition(
        conn,
        &NewTransition {
            id: Uuid::now_v7(),
            request_id: stored.id,
            action: service_request::RAISED,
            from_status: None,
            to_status: Status::Open.as_str(),
            actor_id: Some(raised_by),
            note: None,
        },
    )?;
    audit::record(conn, &auth.audit, Change::created(ENTITY, stored.id, &stored))?;
    Ok(stored)
}

/// A move of a request along its workflow.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestMove {
    pub action: RequestAction,
    /// Required to `assign`: an active counselor, manager or admin who can see the request.
    pub assignee_id: Option<Uuid>,
    /// Required to `reject`.
    #[validate(length(max = 2000))]
    pub note: Option<String>,
    /// Required to `close`: the enterprise's satisfaction, 1 (poor) to 5 (excellent).
    #[validate(range(min = 1, max = 5))]
    pub satisfaction: Option<i16>,
}

/// One request in the caller's streets, with its history (oldest first).
pub fn find(
    conn: &mut PgConnection,
    auth: &Authorized,
    id: Uuid,
) -> Result<(ServiceRequest, Vec<Transition>), ServiceError> {
    let request = store::find(conn, id, &auth.principal.street_scope()).or_not_found("service request")?;
    Ok((request, store::transitions_of(conn, id)?))
}

/// Moves a request from the version `based_on`: an action its status does not allow is a
/// conflict naming the status and the actions it allows; of racing moves, one wins (the
/// row is locked).
pub fn transition(
    conn: &mut PgConnection,
    auth: &Authorized,
    id: Uuid,
    request: RequestMove,
    based_on: &BasedOn,
) -> Result<(ServiceRequest, Vec<Transition>), ServiceError> {
    request.validate()?;
    let note = cleaned(request.note.clone());
    match request.action {
        RequestAction::Assign if request.assignee_id.is_none() => {
            return Err(ServiceError::invalid("assignee_id", "is required to assign"));
        }
        RequestAction::Close if request.satisfaction.is_none() => {
            return Err(ServiceError::invalid("satisfaction", "is required to close"));
        }
        RequestAction::Reject if note.is_none() => {
            return Err(ServiceError::invalid("note", "a reason is required to reject"));
        }
        _ => {}
    }
    let actor = auth.acting_user()?;
    conn.transaction(|conn| {
        let current =
            store::find_for_update(conn, id, &auth.principal.street_scope()).or_not_found("service request")?;
        based_on.check(current.version)?;
        let next = Requests::transition(current.status, request.action)?;
        let assignee = request.assignee_id.filter(|_| request.action == RequestAction::Assign);
        if let Some(assignee) = assignee {
            check_assignee(conn, assignee, current.street_id)?;
        }
        let now = Utc::now();
        let change = Move {
            status: next.as_str(),
            assignee_id: assignee,
            resolved_at: match request.action {
                RequestAction::Resolve => Some(Some(now)),
                RequestAction::Reopen => Some(None),
                _ => None,
            },
            closed_at: match request.action {
                RequestAction::Close => Some(Some(now)),
                RequestAction::Reopen => Some(None),
                _ => None,
            },
            satisfaction: match request.action {
                RequestAction::Close => Some(request.satisfaction),
                RequestAction::Reopen => Some(None),
                _ => None,
            },
        };
        let updated = store::apply(conn, id, &change)?;
        store::record_transition(
            conn,
            &NewTransition {
                id: Uuid::now_v7(),
                request_id: id,
                action: request.action.as_str(),
                from_status: Some(current.status.as_str()),
                to_status: next.as_str(),
                actor_id: Some(actor),
                note: note.as_deref(),
            },
        )?;
        let audited = Change::changed(ENTITY, id, request.action.as_str(), &current, &updated);
        audit::record(conn, &auth.audit, audited)?;
        Ok((updated, store::transitions_of(conn, id)?))
    })
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
        store::record_transition(
            conn,
            &NewTransition {
                id: Uuid::now_v7(),
                request_id: current.id,
                action: service_request::RELEASED,
                from_status: Some(current.status.as_str()),
                to_status: next.as_str(),
                actor_id: match context.actor {
                    Actor::User(id) => Some(id),
                    Actor::ApiKey(_) | Actor::System => None,
                },
                note: None,
            },
        )?;
        audit::record(
            conn,
            context,
            Change::changed(ENTITY, current.id, service_request::RELEASED, &current, &released),
        )?;
    }
    Ok(())
}

/// The assignee must be someone who works requests and can see this one.
fn check_assignee(conn: &mut PgConnection, assignee: Uuid, street: Option<Uuid>) -> Result<(), ServiceError> {
    let refused = |why| ServiceError::invalid("assignee_id", why);
    let access =
        users::access(conn, assignee)?.ok_or_else(|| refused("is not an active counselor, manager or admin"))?;
    let scope = Principal::User { id: assignee, role: access.role, streets: access.streets }.street_scope();
    may_be_assigned(access.role, access.active, &scope, street).map_err(refused)
}
