//! 年度指标: yearly figures per enterprise, one JSON document per year.

use crate::db::enterprises::Visible;
use crate::db::schema::enterprise_indicators;
use crate::domain::eligibility::Indicators;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = enterprise_indicators, check_for_backend(diesel::pg::Pg))]
pub struct YearFigures {
    pub enterprise_id: Uuid,
    pub year: i32,
    pub figures: serde_json::Value,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl YearFigures {
    /// The figures as the evaluator reads them; a document that no longer parses counts
    /// as not reported.
    pub fn indicators(&self) -> Indicators {
        serde_json::from_value(self.figures.clone()).unwrap_or_default()
    }
}

pub fn find_for_update(conn: &mut PgConnection, enterprise: &Visible, year: i32) -> QueryResult<Option<YearFigures>> {
    enterprise_indicators::table
        .find((enterprise.id, year))
        .select(YearFigures::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// Stores a year's figures, replacing what was there and moving the version on.
pub fn put(conn: &mut PgConnection, enterprise: &Visible, year: i32, figures: &Indicators) -> QueryResult<YearFigures> {
    let figures = serde_json::to_value(figures).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(enterprise_indicators::table)
        .values((
            enterprise_indicators::enterprise_id.eq(enterprise.id),
            enterprise_indicators::year.eq(year),
            enterprise_indicators::figures.eq(&figures),
        ))
        .on_conflict((enterprise_indicators::enterprise_id, enterprise_indicators::year))
        .do_update()
        .set((
            enterprise_indicators::figures.eq(&figures),
            enterprise_indicators::version.eq(enterprise_indicators::version + 1),
            enterprise_indicators::updated_at.eq(diesel::dsl::now),
        ))
        .returning(YearFigures::as_returning())
        .get_result(conn)
}

/// Every year of an enterprise, newest first.
pub fn of_enterprise(conn: &mut PgConnection, enterprise: &Visible) -> QueryResult<Vec<YearFigures>> {
    enterprise_indicators::table
        .filter(enterprise_indicators::enterprise_id.eq(enterprise.id))
        .order(enterprise_indicators::year.desc())
        .select(YearFigures::as_select())
        .load(conn)
}

/// The figures by year, as the evaluator takes them.
pub fn by_year(rows: &[YearFigures]) -> BTreeMap<i32, Indicators> {
    rows.iter().map(|row| (row.year, row.indicators())).collect()
}
