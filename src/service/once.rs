//! Doing a thing at most once for a key the caller sends with it: the API's
//! `Idempotency-Key` (a registry batch sent again) and the console's one-time form token (a
//! form sent twice: Back, then the same button) are the same mechanism. The first call
//! with a key does the work and keeps its answer, in the same transaction; a repeat finds
//! that answer and does nothing; racing repeats wait for the first to end.

use crate::db::idempotency::{self, Claim};
use crate::service::ServiceError;
use diesel::{Connection, PgConnection};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// What a call with a key came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Once<T, D> {
    /// Done now: the answer, kept for the repeats.
    Done(T),
    /// Done by an earlier call with the key: that call's answer.
    Before(T),
    /// The work declined (a form shown again with its messages): nothing was kept, and the
    /// key is still free for the corrected call.
    Declined(D),
}

/// A key used for one call, which a repeat must match.
pub struct Key<'a> {
    /// Whose key it is: keys of different callers never meet.
    pub owner: Uuid,
    pub key: &'a str,
    /// What the call asked for (its body's hash, the form it came from): a key sent again
    /// with another request is a mistake, refused with `reused`.
    pub fingerprint: &'a [u8],
}

/// Runs `work` unless `key` was used before, in one transaction with the key's claim.
pub fn at_most_once<T, D, F>(
    conn: &mut PgConnection,
    key: &Key,
    reused: impl FnOnce() -> ServiceError,
    work: F,
) -> Result<Once<T, D>, ServiceError>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce(&mut PgConnection) -> Result<Result<T, D>, ServiceError>,
{
    let outcome = conn.transaction(|conn| match idempotency::claim(conn, key.owner, key.key, key.fingerprint)? {
        Claim::Answered(answer) => {
            let answer = serde_json::from_value(answer).map_err(|e| ServiceError::Internal(e.into()))?;
            Ok(Once::Before(answer))
        }
        Claim::Reused => Err(Stop::Refused(reused())),
        Claim::First => match work(conn)? {
            Ok(answer) => {
                let kept = serde_json::to_value(&answer).map_err(|e| ServiceError::Internal(e.into()))?;
                idempotency::store(conn, key.owner, key.key, &kept)?;
                Ok(Once::Done(answer))
            }
            // Rolls the claim back with everything else the work wrote.
            Err(declined) => Err(Stop::Declined(declined)),
        },
    });
    match outcome {
        Ok(once) => Ok(once),
        Err(Stop::Declined(declined)) => Ok(Once::Declined(declined)),
        Err(Stop::Refused(refusal)) => Err(refusal),
    }
}

/// Why the transaction was rolled back.
enum Stop<D> {
    Declined(D),
    Refused(ServiceError),
}

impl<D> From<ServiceError> for Stop<D> {
    fn from(error: ServiceError) -> Self {
        Self::Refused(error)
    }
}

impl<D> From<diesel::result::Error> for Stop<D> {
    fn from(error: diesel::result::Error) -> Self {
        Self::Refused(error.into())
    }
}
