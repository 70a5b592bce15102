//! 审计日志: who changed what, before and after, for the bureau; and the change feed
//! other systems follow.

use crate::db::audit::{self, Entry};
use crate::db::changes::{self, FeedRow, Position};
use crate::db::enterprises::Visible;
use crate::domain::Action;
use crate::service::{Authorized, ServiceError};
use diesel::PgConnection;
use uuid::Uuid;

/// Entries newest first, of one entity kind (and one entity) if asked, before `before`.
pub fn list(
    conn: &mut PgConnection,
    auth: &Authorized,
    entity: Option<&str>,
    entity_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> Result<Vec<Entry>, ServiceError> {
    auth.require(Action::ReadAudit)?;
    Ok(audit::list(conn, entity, entity_id, before, limit)?)
}

/// The latest changes to one enterprise the caller may see, newest first.
pub fn of_enterprise(
    conn: &mut PgConnection,
    auth: &Authorized,
    enterprise: &Visible,
    limit: i64,
) -> Result<Vec<Entry>, ServiceError> {
    list(conn, auth, Some("enterprise"), Some(enterprise.id), None, limit)
}

/// Changes to enterprises, certificates and tiers after `after`, oldest first.
pub fn feed(
    conn: &mut PgConnection,
    auth: &Authorized,
    after: Position,
    limit: i64,
) -> Result<Vec<FeedRow>, ServiceError> {
    auth.require(Action::ReadChanges)?;
    Ok(changes::after(conn, after, limit)?)
}
