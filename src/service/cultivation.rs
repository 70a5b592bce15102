//! Keeping what cultivation derives in step with what it derives from: the obligations
//! owed by live certificates, and the readiness radar's rows.

use crate::config::Catalog;
use crate::service::{ServiceError, obligations, readiness};
use diesel::{PgConnection, QueryResult};
use uuid::Uuid;

/// After enterprises `ids` gained or lost certificates (or moved rung): the items their
/// certificates owe, and their readiness, in the caller's transaction.
pub fn certificates_changed(conn: &mut PgConnection, catalog: &Catalog, ids: &[Uuid]) -> QueryResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    obligations::materialize(conn, catalog, Some(ids))?;
    readiness::refresh(conn, catalog, ids)
}

/// What a run of the upkeep did.
#[derive(Debug, Clone, Default)]
pub struct Upkeep {
    /// Obligation items made (the year turned, or a certificate's next item came within
    /// a year).
    pub obligations_made: usize,
    /// Enterprises whose readiness was recomputed because the rules, the ladder or the
    /// year changed; `None` when nothing had.
    pub recounted: Option<usize>,
}

/// The scheduled upkeep: makes the items that came within reach and recomputes the
/// radar when its basis changed.
pub fn upkeep(conn: &mut PgConnection, catalog: &Catalog) -> Result<Upkeep, ServiceError> {
    let obligations_made = obligations::materialize(conn, catalog, None)?;
    let recounted = readiness::recount_if_stale(conn, catalog)?;
    Ok(Upkeep { obligations_made, recounted })
}
