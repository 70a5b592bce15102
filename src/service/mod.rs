//! The use cases: one function per thing a user does, shared by every face (the JSON API,
//! the console and the command line). Each takes a connection, the authorized
//! principal and domain inputs, and returns domain outputs or a [`ServiceError`]; the
//! faces only translate. Every rule of a use case is in its function (or, where it is
//! pure, in [`crate::domain`]), so a reader finds them in one file.

pub mod accounts;
pub mod agenda;
pub mod applications;
pub mod audit_log;
pub mod certification_lists;
pub mod coverage;
pub mod cultivation;
pub mod desk;
pub mod enterprises;
pub mod error;
pub mod file_import;
pub mod funnel;
pub mod import_runs;
pub mod indicators;
pub mod ladder;
pub mod obligations;
pub mod once;
pub mod pipeline;
pub mod readiness;
pub mod regions;
pub mod registry_feed;
pub mod request_report;
pub mod requests;
pub mod reviews;
pub mod risks;
pub mod sessions;
pub mod targets;
pub mod timeline;
pub mod visits;
pub mod workflow;

pub use error::{FieldError, OrNotFound, ServiceError, refusing};

use crate::auth::Caller;
use crate::db::{PgPool, audit};
use crate::domain::{Action, Principal};
use diesel::PgConnection;
use uuid::Uuid;

/// Runs `work` (a use case, or a few) with one pooled connection on the blocking thread
/// pool, for the faces that serve requests: the connection is taken and given back there,
/// never held across an `.await`. `work` opens a transaction where it changes more than
/// one row.
pub async fn unit_of_work<T, F>(pool: &PgPool, work: F) -> Result<T, ServiceError>
where
    F: FnOnce(&mut PgConnection) -> Result<T, ServiceError> + Send + 'static,
    T: Send + 'static,
{
    let turn = pool.turn().await.map_err(|timeout| {
        crate::metrics::database_error(crate::metrics::DatabaseError::PoolTimeout);
        ServiceError::Unavailable(timeout.into())
    })?;
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool.get()?;
        let done = work(&mut conn);
        // The connection back in the pool before the next in line is let through.
        drop(conn);
        drop(turn);
        done
    })
    .await
    .map_err(|e| ServiceError::Internal(anyhow::anyhow!("a unit of work did not finish: {e}")))?
}

/// A caller whose credentials checked out: who is asking, and how the changes it makes
/// are audited. Made by [`authorize`]. What it may do is for each use case to require
/// ([`Authorized::require`]) as its first step: the faces pass the caller and never choose
/// the permission, so no face can open a use case with a weaker one.
pub struct Authorized {
    pub principal: Principal,
    pub audit: audit::Context,
}

impl Authorized {
    /// Whether the caller may do `action`, for a face that offers only what may be done
    /// (the moves of an application a counselor may make).
    pub fn may(&self, action: Action) -> bool {
        self.principal.may(action)
    }

    /// That the caller may do `action` at all (403 if not).
    pub fn require(&self, action: Action) -> Result<(), ServiceError> {
        Ok(self.principal.require(action)?)
    }

    /// The user a change is made by (see [`Principal::acting_user`]).
    pub fn acting_user(&self) -> Result<Uuid, ServiceError> {
        Ok(self.principal.acting_user()?)
    }
}

/// The one gate of every face: resolves the caller against the database as of now (401).
/// Each use case then requires its own permission (403), and applies street scope inside
/// (through `principal.street_scope()` or [`enterprises::find`]), so that what lies
/// outside it is simply not found (404).
pub fn authorize(conn: &mut PgConnection, caller: &Caller) -> Result<Authorized, ServiceError> {
    let principal = caller.resolve(conn)?;
    let audit = audit::Context { actor: principal.actor(), request_id: caller.request_id };
    Ok(Authorized { principal, audit })
}

/// The version an edit is based on (the API's `If-Match`, a form's hidden field): the edit
/// applies only to that version, so that two people editing at once cannot overwrite each
/// other unseen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BasedOn {
    /// Whatever is current (`If-Match: *`).
    Any,
    Versions(Vec<i32>),
}

impl BasedOn {
    pub fn check(&self, current: i32) -> Result<(), ServiceError> {
        match self {
            Self::Any => Ok(()),
            Self::Versions(versions) if versions.contains(&current) => Ok(()),
            Self::Versions(_) => Err(ServiceError::Stale { current }),
        }
    }
}

/// Blank optional text means "none".
pub fn cleaned(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

/// A validator for text that must say something.
pub fn not_blank(text: &str) -> Result<(), validator::ValidationError> {
    if text.trim().is_empty() { Err(error::refusing(crate::domain::Refusal::Blank)) } else { Ok(()) }
}
