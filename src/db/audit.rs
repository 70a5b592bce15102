//! The audit log: one row per change, written in the transaction that makes the change.

use crate::db::rows_per_insert;
use crate::db::schema::audit_log;
use crate::domain::Actor;
use diesel::prelude::*;
use uuid::Uuid;

/// The context every change is recorded with.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    pub actor: Actor,
    pub request_id: Option<Uuid>,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    id: Uuid,
    actor_kind: &'a str,
    actor_id: Option<Uuid>,
    action: &'a str,
    entity: &'a str,
    entity_id: Uuid,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    request_id: Option<Uuid>,
}

/// A record as the audit log keeps it: an explicit view (see `audit_views`), not the
/// row's own shape, so that a column renamed does not change what the log serves.
pub trait Audited {
    fn audited(&self) -> serde_json::Value;
}

/// One change to one entity, with its state before and after (as the audit log keeps it).
pub struct Change<'a, T> {
    pub entity: &'a str,
    pub entity_id: Uuid,
    pub action: &'a str,
    pub before: Option<&'a T>,
    pub after: Option<&'a T>,
}

impl<'a, T> Change<'a, T> {
    /// A new entity, as created.
    pub fn created(entity: &'a str, entity_id: Uuid, after: &'a T) -> Self {
        Self { entity, entity_id, action: "create", before: None, after: Some(after) }
    }

    /// An `action` that took an entity from `before` to `after`.
    pub fn changed(entity: &'a str, entity_id: Uuid, action: &'a str, before: &'a T, after: &'a T) -> Self {
        Self { entity, entity_id, action, before: Some(before), after: Some(after) }
    }
}

pub fn record<T: Audited>(conn: &mut PgConnection, context: &Context, change: Change<T>) -> QueryResult<()> {
    record_all(conn, context, [change])
}

/// Records many changes in as few statements as the bind limit allows.
pub fn record_all<'a, T: Audited + 'a>(
    conn: &mut PgConnection,
    context: &Context,
    changes: impl IntoIterator<Item = Change<'a, T>>,
) -> QueryResult<()> {
    let entries = changes
        .into_iter()
        .map(|change| {
            Ok(NewEntry {
                id: Uuid::now_v7(),
                actor_kind: context.actor.kind(),
                actor_id: context.actor.id(),
                action: change.action,
                entity: change.entity,
                entity_id: change.entity_id,
                before: change.before.map(Audited::audited),
                after: change.after.map(Audited::audited),
                request_id: context.request_id,
            })
        })
        .collect::<QueryResult<Vec<_>>>()?;
    for chunk in entries.chunks(rows_per_insert(9)) {
        diesel::insert_into(audit_log::table).values(chunk).execute(conn)?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct Entry {
    pub id: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity: String,
    pub entity_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub request_id: Option<Uuid>,
}

/// Entries newest first, optionally of one kind of entity or one entity, before `before`.
pub fn list(
    conn: &mut PgConnection,
    entity: Option<&str>,
    entity_id: Option<Uuid>,
    before: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    let mut query = audit_log::table.select(Entry::as_select()).order(audit_log::id.desc()).limit(limit).into_boxed();
    if let Some(entity) = entity {
        query = query.filter(audit_log::entity.eq(entity.to_owned()));
    }
    if let Some(entity_id) = entity_id {
        query = query.filter(audit_log::entity_id.eq(entity_id));
    }
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    query.load(conn)
}
