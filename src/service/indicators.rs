//! 年度指标: an enterprise's yearly figures, which eligibility is judged by.

use crate::config::Catalog;
use crate::db::audit::{self, Change};
use crate::db::enterprises;
use crate::db::indicators::{self as store, YearFigures};
use crate::domain::dates;
use crate::domain::eligibility::Indicators;
use crate::service::{Authorized, OrNotFound, ServiceError};
use chrono::Datelike;
use diesel::{Connection, PgConnection};
use uuid::Uuid;
use validator::Validate;

/// The first year figures are kept for.
const FIRST_YEAR: i32 = 1990;

/// Records an enterprise's figures for one year (up to this one), replacing that year's.
pub fn put(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    year: i32,
    figures: Indicators,
) -> Result<YearFigures, ServiceError> {
    figures.validate()?;
    let year =
        dates::year_within(year, FIRST_YEAR, catalog.today().year()).map_err(|e| ServiceError::invalid("year", e))?;
    conn.transaction(|conn| {
        enterprises::find(conn, enterprise_id, &auth.principal.street_scope()).or_not_found("enterprise")?;
        let before = store::find_for_update(conn, enterprise_id, year)?;
        let after = store::put(conn, enterprise_id, year, &figures)?;
        let action = if before.is_some() { "update" } else { "create" };
        let change = Change {
            entity: "indicators",
            entity_id: enterprise_id,
            action,
            before: before.as_ref(),
            after: Some(&after),
        };
        audit::record(conn, &auth.audit, change)?;
        Ok(after)
    })
}
