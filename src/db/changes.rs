//! The change feed: the audit log of enterprises, certificates and tier changes, read in
//! transaction order.
//!
//! Rows are ordered by the id of the transaction that wrote them, then by their sequence
//! within it. Transaction ids are handed out when transactions start writing, not when
//! they commit, so a transaction with a lower id can commit after one with a higher id.
//! The feed therefore only reads rows of transactions below the reading snapshot's
//! `xmin`, the oldest transaction still running: every transaction below it has ended,
//! so no row can later appear below a position already read. A slow transaction holds
//! the feed back until it ends; it never makes it skip.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A position in the feed: after the change `seq` of transaction `txid`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Position {
    pub txid: i64,
    pub seq: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct FeedRow {
    #[diesel(sql_type = BigInt)]
    pub txid: i64,
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    pub entity: String,
    #[diesel(sql_type = SqlUuid)]
    pub entity_id: Uuid,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub enterprise_id: Option<Uuid>,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Nullable<Jsonb>)]
    pub after: Option<serde_json::Value>,
}

impl FeedRow {
    pub fn position(&self) -> Position {
        Position { txid: self.txid, seq: self.seq }
    }
}

/// Up to `limit` changes after `after`, of transactions that have all ended.
pub fn after(conn: &mut PgConnection, after: Position, limit: i64) -> QueryResult<Vec<FeedRow>> {
    diesel::sql_query(
        "SELECT txid, seq, at, entity, entity_id, action, after,
                CASE WHEN entity = 'enterprise' THEN entity_id ELSE (after ->> 'enterprise_id')::uuid END
                    AS enterprise_id
         FROM audit_log
         WHERE entity IN ('enterprise', 'certificate', 'tier_change')
           AND (txid, seq) > ($1, $2)
           AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
         ORDER BY txid, seq
         LIMIT $3",
    )
    .bind::<BigInt, _>(after.txid)
    .bind::<BigInt, _>(after.seq)
    .bind::<BigInt, _>(limit)
    .load(conn)
}
