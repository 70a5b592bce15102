//! Idempotency keys: a retried call finds the answer of the call it repeats (see the
//! migration 2026-11-23-000008_registry for how racing retries are kept apart).

use crate::db::schema::idempotency_keys;
use diesel::prelude::*;
use uuid::Uuid;

/// What a key says about a call.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// The first call with this key: go ahead, then [`store`] the answer in the same
    /// transaction.
    First,
    /// A repeat of an answered call: its answer.
    Answered(serde_json::Value),
    /// The key was used for a call with another body.
    Reused,
}

/// Claims `key` for `owner`'s call whose body hashes to `request_hash`. A concurrent call
/// with the same key waits here until the first one's transaction ends.
pub fn claim(conn: &mut PgConnection, owner: Uuid, key: &str, request_hash: &[u8]) -> QueryResult<Claim> {
    let claimed = diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::owner_id.eq(owner),
            idempotency_keys::key.eq(key),
            idempotency_keys::request_hash.eq(request_hash),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if claimed == 1 {
        return Ok(Claim::First);
    }
    let (hash, response): (Vec<u8>, Option<serde_json::Value>) = idempotency_keys::table
        .find((owner, key))
        .select((idempotency_keys::request_hash, idempotency_keys::response))
        .get_result(conn)?;
    Ok(match response {
        _ if hash != request_hash => Claim::Reused,
        Some(response) => Claim::Answered(response),
        // Claimed and committed without an answer cannot happen: both are one transaction.
        None => return Err(diesel::result::Error::QueryBuilderError("an idempotency key without its answer".into())),
    })
}

/// Stores the answer to the call that claimed `key`.
pub fn store(conn: &mut PgConnection, owner: Uuid, key: &str, response: &serde_json::Value) -> QueryResult<()> {
    diesel::update(idempotency_keys::table.find((owner, key)))
        .set(idempotency_keys::response.eq(response))
        .execute(conn)
        .map(drop)
}
