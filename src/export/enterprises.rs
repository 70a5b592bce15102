//! 企业名录: the enterprise list as a spreadsheet, whichever face asks for it.

use crate::config::Catalog;
use crate::db::PgPool;
use crate::db::enterprises::{self as store, ListFilter};
use crate::domain::StreetScope;
use crate::export::page_through;
use crate::export::writer::{Kind, Sheet, Sink};
use crate::service::pipeline::StreetNames;
use diesel::PgConnection;

/// The title of the sheet and the stem of the file's name.
pub const TITLE: (&str, &str) = ("企业名录", "enterprises");

/// Every enterprise the list would page through, a page of rows in memory at a time.
pub fn write(
    sink: &mut dyn Sink,
    pool: &PgPool,
    catalog: &Catalog,
    filter: &ListFilter,
    scope: &StreetScope,
) -> anyhow::Result<()> {
    use Kind::{Date, DateTime, Integer, Text};
    let columns = [
        ("统一社会信用代码", Text, 22.0),
        ("企业名称", Text, 36.0),
        ("梯队", Text, 18.0),
        ("街道", Text, 12.0),
        ("产业集群", Text, 14.0),
        ("成立日期", Date, 12.0),
        ("员工人数", Integer, 10.0),
        ("联系人", Text, 10.0),
        ("联系电话", Text, 14.0),
        ("最近走访", DateTime, 17.0),
        ("登记时间", DateTime, 17.0),
    ];
    sink.sheet(&Sheet::new("企业名录", &columns))?;
    let streets = StreetNames::load(&mut *pool.get()?)?;
    let fetch = |conn: &mut PgConnection, after, limit| store::list(conn, filter, scope, after, limit);
    page_through(
        sink,
        pool,
        fetch,
        |e| e.id,
        |e| {
            let f = &e.fields;
            let cluster = f.cluster.as_deref().map(|c| catalog.clusters.get(c).map_or(c, |c| c.name.as_str()));
            vec![
                f.uscc.as_str().into(),
                f.name.as_str().into(),
                catalog.ladder.label(&e.tier).unwrap_or(&e.tier).into(),
                streets.name(f.street_id).into(),
                cluster.into(),
                f.established_on.into(),
                f.employees.into(),
                f.contact_name.as_deref().into(),
                f.contact_phone.as_deref().into(),
                e.last_visited_at.map(|at| catalog.local(at)).into(),
                catalog.local(e.created_at).into(),
            ]
        },
    )
}
