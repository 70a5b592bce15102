//! The one engine that moves a record along its workflow (service requests,
//! applications, and every workflow to come): lock the record, check the version the
//! move is based on, the caller's permission for the move and the move itself, write what
//! the move changes, record the step on the record's history, audit it. Each workflow
//! says only how its records are stored ([`Stored`]) and what its moves change (the
//! `apply` it passes).

use crate::db::audit::{self, Audited, Change, Context};
use crate::db::workflow_tables::Step as HistoryStep;
use crate::domain::workflow::Workflow;
use crate::domain::{Code, StreetScope};
use crate::service::{Authorized, BasedOn, OrNotFound, ServiceError};
use diesel::{Connection, PgConnection, QueryResult};
use uuid::Uuid;

/// A workflow whose records are stored: how to lock one and record a step of its history.
pub trait Stored: Workflow {
    type Record: Audited;
    /// The record's name in the audit log and in "not found".
    const ENTITY: &'static str;

    /// The record, locked for the move, if it lies in `scope` (else "not found").
    fn lock(conn: &mut PgConnection, id: Uuid, scope: &StreetScope) -> QueryResult<Self::Record>;
    fn status(record: &Self::Record) -> Self::Status;
    fn version(record: &Self::Record) -> i32;
    /// Writes a step on record `id`'s history (the table's `record_step`).
    fn record(conn: &mut PgConnection, id: Uuid, step: &HistoryStep<'_>) -> QueryResult<()>;

    /// Of the moves `allowed` by the record's status, those its state allows too (an
    /// answer needs a question): what a refusal of an illegal move lists as allowed.
    fn refine(_record: &Self::Record, allowed: Vec<Self::Action>) -> Vec<Self::Action> {
        allowed
    }
}

/// One step of a record's history.
pub struct Step<'a, W: Workflow> {
    /// The action's code, or a step nobody asks for (`raise`, `create`, `release`).
    pub action: &'static str,
    /// `None` for the first step.
    pub from: Option<W::Status>,
    pub to: W::Status,
    /// `None` for the system's steps.
    pub actor: Option<Uuid>,
    pub note: Option<&'a str>,
}

/// Moves record `id` by `action` from the version `based_on`, in one transaction: an
/// action the caller may not make is forbidden, one outside the caller's streets not
/// found, one the status does not allow a conflict naming the moves it allows; of racing
/// moves, one wins (the row is locked). `apply` writes what the move changes (the status
/// it is given among them) and returns the record as it leaves it.
pub fn advance<W: Stored>(
    conn: &mut PgConnection,
    auth: &Authorized,
    id: Uuid,
    action: W::Action,
    note: Option<&str>,
    based_on: &BasedOn,
    apply: impl FnOnce(&mut PgConnection, &W::Record, W::Status) -> Result<W::Record, ServiceError>,
) -> Result<W::Record, ServiceError> {
    auth.require(W::permission(action))?;
    let actor = auth.acting_user()?;
    conn.transaction(|conn| {
        let current = W::lock(conn, id, &auth.principal.street_scope()).or_not_found(W::ENTITY)?;
        based_on.check(W::version(&current))?;
        let from = W::status(&current);
        let to = W::transition(from, action).map_err(|mut illegal| {
            illegal.allowed = W::refine(&current, illegal.allowed);
            illegal
        })?;
        let updated = apply(conn, &current, to)?;
        // Where the move landed: a move may land elsewhere than its table says, by what it
        // carries (a dissatisfied callback reopens instead of closing).
        let step = Step { action: action.code(), from: Some(from), to: W::status(&updated), actor: Some(actor), note };
        settle::<W>(conn, &auth.audit, id, &step, Some(&current), &updated)?;
        Ok(updated)
    })
}

/// Records `step` on record `id`'s history and audits the change from `before` (`None`:
/// the record is new) to `after`: the tail of every move, of a record's first step, and
/// of the steps the system makes, in the caller's transaction.
pub fn settle<W: Stored>(
    conn: &mut PgConnection,
    context: &Context,
    id: Uuid,
    step: &Step<'_, W>,
    before: Option<&W::Record>,
    after: &W::Record,
) -> Result<(), ServiceError> {
    let row = HistoryStep {
        action: step.action,
        from_status: step.from.map(Code::code),
        to_status: step.to.code(),
        actor_id: step.actor,
        note: step.note,
    };
    W::record(conn, id, &row)?;
    let change = match before {
        Some(before) => Change::changed(W::ENTITY, id, step.action, before, after),
        None => Change::created(W::ENTITY, id, after),
    };
    audit::record(conn, context, change)?;
    Ok(())
}
