//! 证书到期提醒: certificates lapsing within a window as a spreadsheet, soonest first,
//! whichever face asks for it.

use crate::config::Catalog;
use crate::db::PgPool;
use crate::db::certificates::{self, ExpiringFilter};
use crate::domain::StreetScope;
use crate::export::page_through;
use crate::export::writer::{Kind, Sheet, Sink};
use crate::service::pipeline::StreetNames;
use chrono::NaiveDate;
use diesel::PgConnection;

/// The title of the sheet and the stem of the file's name.
pub const TITLE: (&str, &str) = ("证书到期提醒", "expiring");

/// Every certificate the list would page through (`window`: today and the last day).
pub fn write(
    sink: &mut dyn Sink,
    pool: &PgPool,
    catalog: &Catalog,
    scope: &StreetScope,
    filter: &ExpiringFilter,
    window: (NaiveDate, NaiveDate),
) -> anyhow::Result<()> {
    use Kind::{Date, Integer, Text};
    let columns = [
        ("企业名称", Text, 36.0),
        ("街道", Text, 12.0),
        ("梯队", Text, 18.0),
        ("证书编号", Text, 18.0),
        ("有效期至", Date, 12.0),
        ("剩余天数", Integer, 10.0),
    ];
    sink.sheet(&Sheet::new("证书到期", &columns))?;
    let streets = StreetNames::load(&mut *pool.get()?)?;
    let fetch =
        |conn: &mut PgConnection, after, limit| certificates::expiring(conn, scope, filter, window, after, limit);
    page_through(
        sink,
        pool,
        fetch,
        |row| (row.valid_until, row.certificate_id),
        |row| {
            vec![
                row.name.as_str().into(),
                streets.name(row.street_id).into(),
                catalog.ladder.label(&row.tier).unwrap_or(&row.tier).into(),
                row.certificate_no.as_deref().into(),
                row.valid_until.into(),
                (row.valid_until - window.0).num_days().into(),
            ]
        },
    )
}
