//! The service desk's clock: a demand's stage deadlines when it is raised and after each
//! move, the stage it awaits now, and the job that urges (催办) the handler when a stage
//! has used its share of time and supervises (督办) when it is past due, each recorded on
//! the demand's history and delivered through a [`Notifier`].

use crate::config::Catalog;
use crate::db::audit::Context;
use crate::db::service_requests::{self as store, ServiceRequest};
use crate::db::users;
use crate::domain::desk::{Deadline, Stages};
use crate::domain::service_request::{Category, Escalation, Priority, Requests, Stage, Status};
use crate::domain::{Actor, Code};
use crate::service::ServiceError;
use crate::service::workflow::{self, Step};
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use uuid::Uuid;

/// The deadlines of a demand of `category` and `priority` raised at `at`: 签收, 首次联系, 办结.
pub fn deadlines(catalog: &Catalog, category: Category, priority: Priority, at: DateTime<Utc>) -> [DateTime<Utc>; 3] {
    [Stage::Acknowledge, Stage::Contact, Stage::Resolve]
        .map(|stage| catalog.desk.due(&catalog.calendar, stage, category, priority, at))
}

/// The stages of a move as it will be written.
pub fn stages_of(m: &store::Move) -> Stages {
    Stages {
        acknowledge: Deadline { due_at: m.acknowledge_due_at, done_at: m.acknowledged_at },
        contact: Deadline { due_at: m.contact_due_at, done_at: m.contacted_at },
        resolve: Deadline { due_at: Some(m.due_at), done_at: m.resolved_at },
        callback: Deadline { due_at: m.callback_due_at, done_at: m.called_back_at },
    }
}

/// The stages of a request as it stands.
pub fn stages(request: &ServiceRequest) -> Stages {
    stages_of(&request.working())
}

/// Sets the stage `m` awaits now and when it is urged. A stage newly awaited, or the same
/// stage with a new deadline (an extension, a reopening), starts its urge and supervision
/// afresh, its share of time counted from `now`.
pub fn await_stage(catalog: &Catalog, m: &mut store::Move, now: DateTime<Utc>) {
    let status = Status::parse(m.status).unwrap_or(Status::Open);
    let awaited = stages_of(m).awaited(status);
    let unchanged = awaited.map(|(stage, due)| (stage.as_str().to_owned(), due));
    if unchanged == m.stage.clone().zip(m.stage_due_at) {
        return;
    }
    m.stage = awaited.map(|(stage, _)| stage.as_str().to_owned());
    m.stage_due_at = awaited.map(|(_, due)| due);
    m.urge_at = awaited.map(|(_, due)| catalog.desk.urge_at(now.min(due), due));
    m.urged_at = None;
    m.supervised_at = None;
}

/// Whoever is told of an urge or a supervision besides the request's history and the
/// recipients' 我的待办, where every one of them is shown. A WeCom or SMS sender is a
/// `Notifier`; the built-in one sends nothing further.
pub trait Notifier: Send + Sync {
    fn notify(&self, notice: &Notice<'_>);
}

/// An urge or a supervision, and whom it is for.
pub struct Notice<'a> {
    pub request: &'a ServiceRequest,
    pub escalation: Escalation,
    pub stage: Stage,
    /// The handler for an urge (none when nobody holds it yet), the street's managers for a
    /// supervision.
    pub recipients: Vec<Uuid>,
}

/// Delivers through 我的待办 alone.
pub struct AgendaOnly;

impl Notifier for AgendaOnly {
    fn notify(&self, notice: &Notice<'_>) {
        tracing::debug!(request = %notice.request.id, escalation = notice.escalation.as_str(), stage = notice.stage.as_str(),
            recipients = notice.recipients.len(), "service desk escalation");
    }
}

/// What one run of the escalation did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct EscalationRun {
    pub urged: usize,
    pub supervised: usize,
}

/// Demands per transaction of a run; a run goes on until none is left.
const BATCH: i64 = 200;

/// Urges and supervises every stage due for it at `now`. Instances may run it at once:
/// each locks its batch and skips what another holds.
pub fn escalate(
    conn: &mut PgConnection,
    notifier: &dyn Notifier,
    now: DateTime<Utc>,
) -> Result<EscalationRun, ServiceError> {
    let context = Context { actor: Actor::System, request_id: None };
    let mut run = EscalationRun::default();
    loop {
        let (fetched, marked) = conn.transaction(|conn| -> Result<(usize, usize), ServiceError> {
            let due = store::to_escalate(conn, now, BATCH)?;
            let mut marked = 0;
            for request in &due {
                let Some(stage) = request.stage.as_deref().and_then(Stage::parse) else { continue };
                marked += 1;
                let overdue = request.stage_due_at.is_some_and(|d| d < now);
                let (escalation, urged, supervised) = if overdue && request.supervised_at.is_none() {
                    (Escalation::Supervise, request.urged_at.or(Some(now)), Some(now))
                } else {
                    (Escalation::Urge, Some(now), request.supervised_at)
                };
                let after = store::mark_escalated(conn, request.id, urged, supervised)?;
                let step = Step::<Requests> {
                    action: escalation.code(),
                    from: Some(request.status),
                    to: request.status,
                    actor: None,
                    note: Some(stage.label()),
                };
                workflow::settle::<Requests>(conn, &context, request.id, &step, Some(request), &after)?;
                let recipients = match escalation {
                    Escalation::Urge => request.assignee_id.into_iter().collect(),
                    Escalation::Supervise => users::managers_of(conn, request.street_id)?,
                };
                notifier.notify(&Notice { request: &after, escalation, stage, recipients });
                match escalation {
                    Escalation::Urge => run.urged += 1,
                    Escalation::Supervise => run.supervised += 1,
                }
            }
            Ok((due.len(), marked))
        })?;
        // A short batch was the last; one that marked nothing would come back the same.
        if fetched < usize::try_from(BATCH).unwrap_or(usize::MAX) || marked == 0 {
            return Ok(run);
        }
    }
}

/// Computes the stage deadlines of requests made before the service desk (migration
/// 000017 took what their history tells): 签收 and 首次联系 counted from when they were
/// raised, 回访 from when they were resolved; 办结 keeps the deadline they had. Returns
/// how many it computed; run at every start, it finds none once done.
pub fn backfill(conn: &mut PgConnection, catalog: &Catalog) -> Result<usize, ServiceError> {
    let mut after = None;
    let mut computed = 0;
    loop {
        let page = conn.transaction(|conn| -> Result<Option<Uuid>, ServiceError> {
            let requests = store::stages_unknown(conn, after, 1000)?;
            for request in &requests {
                let [acknowledge, contact, _] =
                    deadlines(catalog, request.category, request.priority, request.created_at);
                let mut m = request.working();
                m.acknowledge_due_at = Some(acknowledge);
                m.contact_due_at = Some(contact);
                m.callback_due_at = request.resolved_at.map(|at| {
                    catalog.desk.due(&catalog.calendar, Stage::Callback, request.category, request.priority, at)
                });
                await_stage(catalog, &mut m, Utc::now());
                store::write_stages(conn, request.id, &m)?;
            }
            computed += requests.len();
            Ok(requests.last().map(|r| r.id))
        })?;
        match page {
            Some(last) => after = Some(last),
            None => return Ok(computed),
        }
    }
}
