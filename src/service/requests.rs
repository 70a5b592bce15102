//! 诉求: raising a demand an enterprise has, and working it along its workflow to
//! resolution, with who may be handed it.

use crate::config::Catalog;
use crate::db::audit::Context;
use crate::db::enterprises::{self, Enterprise};
use crate::db::service_requests::{self as store, NewServiceRequest, ServiceRequest, Transition};
use crate::db::workflow_tables::Step as HistoryStep;
use crate::db::{regions, users, visits};
use crate::domain::Refusal;
use crate::domain::access::may_be_assigned;
use crate::domain::service_request::{
    self, Action as RequestAction, CallbackChannel, Category, Holder, Inputs, Move, Moving, Priority, Requests, Stage,
    Status,
};
use crate::domain::workflow::Workflow;
use crate::domain::{Action, Actor, Principal, StreetScope};
use crate::service::desk;
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
    #[schema(min_length = 1, max_length = 200, pattern = "\\S")]
    #[schema(example = "研发楼扩租 2000 平方米")]
    pub title: String,
    #[validate(length(min = 1, max = 4000))]
    #[schema(min_length = 1, max_length = 4000, pattern = "\\S")]
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
    let new = new_request(catalog, enterprise, request, raised_by, Utc::now(), None);
    store_raised(conn, &auth.audit, &new)
}

/// Stores a request as `new` says and records its first step (raised), audited.
pub(crate) fn store_raised(
    conn: &mut PgConnection,
    context: &Context,
    new: &NewServiceRequest<'_>,
) -> Result<ServiceRequest, ServiceError> {
    let stored = store::insert(conn, new)?;
    let step =
        Step { action: service_request::RAISED, from: None, to: Status::Open, actor: Some(new.raised_by), note: None };
    workflow::settle::<Requests>(conn, context, stored.id, &step, None, &stored)?;
    Ok(stored)
}

/// A demand as first stored, its stage deadlines counted from `raised_at`; `external`
/// names the work order it came in as (source and number), if it did.
pub(crate) fn new_request<'a>(
    catalog: &Catalog,
    enterprise: &Enterprise,
    request: &'a NewRequest,
    raised_by: Uuid,
    raised_at: DateTime<Utc>,
    external: Option<(&'a str, &'a str)>,
) -> NewServiceRequest<'a> {
    let [acknowledge, contact, resolve] = desk::deadlines(catalog, request.category, request.priority, raised_at);
    NewServiceRequest {
        id: Uuid::now_v7(),
        enterprise_id: enterprise.id,
        visit_id: request.visit_id,
        category: request.category.as_str(),
        priority: request.priority.as_str(),
        title: request.title.trim(),
        description: request.description.trim(),
        status: Status::Open.as_str(),
        raised_by,
        due_at: resolve,
        acknowledge_due_at: acknowledge,
        contact_due_at: contact,
        stage: Stage::Acknowledge.as_str(),
        stage_due_at: acknowledge,
        urge_at: catalog.desk.urge_at(raised_at.min(acknowledge), acknowledge),
        source: external.map_or(SOURCE_DESK, |(source, _)| source),
        external_no: external.map(|(_, number)| number),
        created_at: raised_at,
    }
}

/// Where a demand raised in Peiyu itself comes from.
pub const SOURCE_DESK: &str = "desk";
/// Where a demand taken in from the city's 12345 hotline comes from.
pub const SOURCE_12345: &str = "12345";

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

    /// An extension is asked while none waits, answered while one does; only what was
    /// handed over is handed back.
    fn refine(request: &ServiceRequest, allowed: Vec<RequestAction>) -> Vec<RequestAction> {
        let waiting = request.extension_days.is_some();
        let transferred = request.transferred_street_id.is_some() || request.department.is_some();
        allowed
            .into_iter()
            .filter(|action| match action {
                RequestAction::Extend => !waiting,
                RequestAction::ApproveExtension | RequestAction::RefuseExtension => waiting,
                RequestAction::Return => transferred,
                _ => true,
            })
            .collect()
    }
}

/// A visit is a contact with the enterprise: it completes 首次联系 of the requests of that
/// enterprise its counselor holds and has not yet contacted it about, each with a
/// `contact` move on its history that quotes the visit.
pub(crate) fn contacted_in_visit(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise: Uuid,
    summary: &str,
) -> Result<(), ServiceError> {
    let counselor = auth.acting_user()?;
    let note: String = format!("走访：{}", summary.chars().take(200).collect::<String>());
    let inputs = Inputs { note: Some(&note), ..Inputs::default() };
    let moving = Moving::parse(RequestAction::Contact, &inputs)
        .map_err(|_| ServiceError::Internal(anyhow::anyhow!("a visit's contact note is never blank")))?;
    for id in store::awaiting_contact(conn, enterprise, counselor)? {
        transition(conn, auth, catalog, id, &moving, &BasedOn::Any)?;
    }
    Ok(())
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
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// Required to `close` and to `callback`: the enterprise's satisfaction, 1 (poor) to 5
    /// (excellent).
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction: Option<i16>,
    /// Required to `extend`: the working days asked for.
    pub days: Option<i32>,
    /// Required to `callback`: how the enterprise was reached.
    pub channel: Option<CallbackChannel>,
    /// To `transfer` to another street (or name a `department`).
    pub street_id: Option<Uuid>,
    /// To `transfer` to a bureau department (承办单位), by its code (see `GET /departments`).
    #[validate(length(max = 64))]
    #[schema(max_length = 64)]
    pub department: Option<String>,
}

impl RequestMove {
    /// The move asked for, with what it takes (422 naming each missing or wrong input).
    pub fn parse(&self) -> Result<Moving, ServiceError> {
        self.validate()?;
        let inputs = Inputs {
            assignee: self.assignee_id,
            satisfaction: self.satisfaction,
            note: self.note.as_deref(),
            days: self.days,
            channel: self.channel,
            street: self.street_id,
            department: self.department.as_deref(),
        };
        Moving::parse(self.action, &inputs).map_err(|refused| {
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

/// The move a face was asked for: the caller must be allowed to make it at all (403)
/// before what it carries is checked (422), and only then is the request looked up.
pub fn move_request(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
    asked: &RequestMove,
    based_on: &BasedOn,
) -> Result<(ServiceRequest, Vec<Transition>), ServiceError> {
    auth.require(Requests::permission(asked.action))?;
    transition(conn, auth, catalog, id, &asked.parse()?, based_on)
}

/// Moves a request from the version `based_on` (see [`workflow::advance`]) and keeps its
/// stages (see [`moved`]): an assignment hands it to someone who works requests and can
/// see it, a transfer to a street the caller sees or a configured department.
pub fn transition(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
    moving: &Moving,
    based_on: &BasedOn,
) -> Result<(ServiceRequest, Vec<Transition>), ServiceError> {
    let actor = auth.acting_user()?;
    let updated = workflow::advance::<Requests>(
        conn,
        auth,
        id,
        moving.action(),
        moving.note(),
        based_on,
        |conn, current, next| {
            match moving.step() {
                Move::Assign { assignee } => check_assignee(conn, *assignee, current.street_id)?,
                Move::Transfer { to: Holder::Street(street) } => {
                    // Only to a street the caller sees: a hand-over is a link to a place.
                    let region = regions::find(conn, *street).optional()?;
                    if !region
                        .is_some_and(|r| crate::service::regions::is_street_in(&r, &auth.principal.street_scope()))
                    {
                        return Err(ServiceError::invalid("street_id", Refusal::NotAStreet));
                    }
                }
                Move::Transfer { to: Holder::Department(code) } if catalog.desk.department(code).is_none() => {
                    let allowed =
                        catalog.desk.departments().iter().map(|d| d.code.as_str()).collect::<Vec<_>>().join(", ");
                    return Err(ServiceError::invalid("department", Refusal::NotInList { allowed }));
                }
                _ => {}
            }
            let change = moved(catalog, current, moving.step(), next, actor, Utc::now())?;
            Ok(store::apply(conn, id, &change)?)
        },
    )?;
    Ok((updated, store::transitions_of(conn, id)?))
}

/// Everything a move writes: the status, the holder, the stage it completes or restarts,
/// an extension asked or answered, a callback's answer; then the stage awaited now.
fn moved(
    catalog: &Catalog,
    current: &ServiceRequest,
    step: &Move,
    next: Status,
    actor: Uuid,
    now: DateTime<Utc>,
) -> Result<store::Move, ServiceError> {
    let (desk, calendar) = (&catalog.desk, &catalog.calendar);
    let due = |stage| desk.due(calendar, stage, current.category, current.priority, now);
    let conflict = |refusal| ServiceError::Conflict { refusal, errors: Vec::new() };
    let mut m = current.working();
    m.status = next.as_str();
    match step {
        Move::Acknowledge => {
            m.assignee_id = Some(actor);
            m.acknowledged_at.get_or_insert(now);
        }
        Move::Assign { assignee } => {
            if current.status == Status::Assigned && current.assignee_id == Some(*assignee) {
                return Err(conflict(Refusal::AlreadyHeld));
            }
            m.assignee_id = Some(*assignee);
            m.acknowledged_at.get_or_insert(now);
        }
        Move::Contact => {
            m.contacted_at.get_or_insert(now);
        }
        Move::Start => {}
        Move::Extend { days } => {
            if m.extension_days.is_some() {
                return Err(conflict(Refusal::ExtensionPending));
            }
            if u32::try_from(m.extensions).unwrap_or(0) >= desk.max_extensions() {
                return Err(conflict(Refusal::ExtensionsUsedUp { max: u64::from(desk.max_extensions()) }));
            }
            let max = desk.max_extension_days();
            if *days > max {
                return Err(ServiceError::invalid("days", Refusal::Between { min: 1, max: i64::from(max) }));
            }
            m.extension_days = i16::try_from(*days).ok();
        }
        Move::ApproveExtension => {
            let days = m.extension_days.take().ok_or_else(|| conflict(Refusal::NoExtensionAsked))?;
            m.due_at = calendar.working_days_after(m.due_at, u32::try_from(days).unwrap_or(1));
            m.extensions += 1;
        }
        Move::RefuseExtension => {
            m.extension_days.take().ok_or_else(|| conflict(Refusal::NoExtensionAsked))?;
        }
        Move::Resolve => {
            m.resolved_at = Some(now);
            m.callback_due_at = Some(due(Stage::Callback));
            m.extension_days = None;
        }
        Move::Callback { satisfaction, channel } => {
            m.callbacks += 1;
            m.callback_rating_total += satisfaction.score();
            m.callback_channel = Some(channel.as_str().to_owned());
            if desk.satisfied(satisfaction.score()) {
                m.called_back_at = Some(now);
                m.closed_at = Some(now);
                m.satisfaction = Some(satisfaction.score());
            } else {
                // Not satisfied: back to whoever held it, with a new 办结 deadline.
                m.reopened += 1;
                m.status = if m.assignee_id.is_some() { Status::Assigned } else { Status::Open }.as_str();
                reopen(&mut m, due(Stage::Resolve));
            }
        }
        Move::Close { satisfaction } => {
            m.closed_at = Some(now);
            m.satisfaction = Some(satisfaction.score());
            m.called_back_at.get_or_insert(now);
        }
        Move::Transfer { to } => {
            let already = match to {
                Holder::Street(street) => current.department.is_none() && current.street_id == Some(*street),
                Holder::Department(code) => current.department.as_deref() == Some(code.as_str()),
            };
            if already {
                return Err(conflict(Refusal::AlreadyHeld));
            }
            (m.transferred_street_id, m.department) = match to {
                Holder::Street(street) => (Some(*street), None),
                Holder::Department(code) => (None, Some(code.clone())),
            };
            hand_over(&mut m, due(Stage::Acknowledge), due(Stage::Contact));
        }
        Move::Return => {
            if m.transferred_street_id.is_none() && m.department.is_none() {
                return Err(conflict(Refusal::NotTransferred));
            }
            (m.transferred_street_id, m.department) = (None, None);
            hand_over(&mut m, due(Stage::Acknowledge), due(Stage::Contact));
        }
        Move::Reject => m.extension_days = None,
        Move::Escalate => {}
        Move::Reopen => reopen(&mut m, due(Stage::Resolve)),
    }
    desk::await_stage(catalog, &mut m, now);
    Ok(m)
}

/// A demand taken up again: 办结 anew by `resolve_due`, and a callback after it.
fn reopen(m: &mut store::Move, resolve_due: DateTime<Utc>) {
    (m.resolved_at, m.closed_at, m.satisfaction) = (None, None, None);
    (m.callback_due_at, m.called_back_at) = (None, None);
    m.due_at = resolve_due;
}

/// A demand handed to a new holder, who must take it (签收) by `acknowledge_due` and, if
/// nobody has reached the enterprise yet, reach it (首次联系) by `contact_due`.
fn hand_over(m: &mut store::Move, acknowledge_due: DateTime<Utc>, contact_due: DateTime<Utc>) {
    m.assignee_id = None;
    m.acknowledged_at = None;
    m.acknowledge_due_at = Some(acknowledge_due);
    if m.contacted_at.is_none() {
        m.contact_due_at = Some(contact_due);
    }
    m.extension_days = None;
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

/// Most requests handed out at once.
pub const ASSIGN_AT_ONCE: usize = 200;

/// Several requests handed to `assignee` at once (the bureau's inbox): all of them or,
/// when one cannot be (outside the caller's streets, not assignable now, the assignee
/// cannot see it), none, with the refusal naming that one in `request_ids`. An id named
/// twice counts once; a request already the assignee's is left as it is (and not
/// returned).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Assignment {
    /// 1 to 200 requests.
    #[schema(min_items = 1, max_items = 200)]
    pub request_ids: Vec<Uuid>,
    pub assignee_id: Uuid,
}

pub fn assign_many(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    assignment: &Assignment,
) -> Result<Vec<ServiceRequest>, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    let count = assignment.request_ids.len();
    if !(1..=ASSIGN_AT_ONCE).contains(&count) {
        let refusal = Refusal::CountBetween { min: 1, max: ASSIGN_AT_ONCE as u64 };
        return Err(ServiceError::invalid("request_ids", refusal));
    }
    let moving =
        Moving::parse(RequestAction::Assign, &Inputs { assignee: Some(assignment.assignee_id), ..Inputs::default() })
            .map_err(|refused| {
            ServiceError::Invalid(refused.into_iter().map(|(f, why)| FieldError::new(f, why)).collect())
        })?;
    conn.transaction(|conn| {
        let mut assigned = Vec::with_capacity(count);
        let mut seen = std::collections::HashSet::new();
        for (n, id) in assignment.request_ids.iter().enumerate() {
            // Named twice is handed out once; already theirs is left as it is.
            if !seen.insert(*id) {
                continue;
            }
            match transition(conn, auth, catalog, *id, &moving, &BasedOn::Any) {
                Ok((request, _)) => assigned.push(request),
                Err(ServiceError::Conflict { refusal: Refusal::AlreadyHeld, .. }) => {}
                Err(ServiceError::Invalid(errors)) => {
                    let named = errors.into_iter().map(|e| FieldError { field: format!("request_ids[{n}]"), ..e });
                    return Err(ServiceError::Invalid(named.collect()));
                }
                Err(other) => return Err(other),
            }
        }
        Ok(assigned)
    })
}

/// The moves `request` allows now: those its status allows, less an extension it cannot
/// ask (one waits, or none is left), an answer to none asked, a hand-back of what was
/// never handed over.
pub fn allowed_actions(catalog: &Catalog, request: &ServiceRequest) -> Vec<RequestAction> {
    let extensions_left = u32::try_from(request.extensions).unwrap_or(0) < catalog.desk.max_extensions();
    Requests::refine(request, Requests::allowed_actions(request.status))
        .into_iter()
        .filter(|action| *action != RequestAction::Extend || extensions_left)
        .collect()
}

/// The people a request lying in `street` can be handed to (who work requests and serve
/// the street; with no street, the bureau's), by name.
pub fn assignable(
    conn: &mut PgConnection,
    auth: &Authorized,
    street: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Uuid, String)>, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    Ok(users::assignable(conn, street, limit)?)
}
