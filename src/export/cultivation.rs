//! Cultivation as spreadsheets: the readiness radar, the certificates due for review and
//! the obligations' completion, whichever face asks for them.

use crate::config::Catalog;
use crate::db::PgPool;
use crate::db::certificates;
use crate::domain::StreetScope;
use crate::domain::eligibility::{DecisionKind, in_force};
use crate::export::writer::{Cell, Kind, Sheet, Sink};
use crate::export::{Table, page_through};
use crate::service::obligations::CompletionReport;
use crate::service::pipeline::StreetNames;
use crate::service::readiness::{self, Gap, RadarQuery};
use chrono::NaiveDate;
use diesel::PgConnection;
use uuid::Uuid;

pub const RADAR: (&str, &str) = ("准备度雷达", "readiness");
pub const REVIEWS: (&str, &str) = ("复核到期", "reviews");
pub const OBLIGATIONS: (&str, &str) = ("义务完成情况", "obligations");

/// The radar as it ranks (toward `target`, or each one's next rung), closest first, with
/// each enterprise's gaps in words.
pub fn radar(
    sink: &mut dyn Sink,
    pool: &PgPool,
    catalog: &Catalog,
    scope: &StreetScope,
    target: Option<&str>,
    street: Option<Uuid>,
) -> anyhow::Result<()> {
    use Kind::{Integer, Text};
    let columns = [
        ("企业名称", Text, 36.0),
        ("街道", Text, 12.0),
        ("当前梯队", Text, 16.0),
        ("目标梯队", Text, 16.0),
        ("已满足", Integer, 8.0),
        ("条件总数", Integer, 8.0),
        ("差距", Text, 60.0),
    ];
    sink.sheet(&Sheet::new("准备度", &columns))?;
    let streets = StreetNames::load(&mut *pool.get()?)?;
    let label = |code: &str| catalog.ladder.label(code).unwrap_or(code).to_owned();
    let query = RadarQuery { tier: target.map(str::to_owned), street_id: street };
    let fetch =
        |conn: &mut PgConnection, after, limit| readiness::ranked_page(conn, catalog, scope, &query, after, limit);
    page_through(
        sink,
        pool,
        fetch,
        |(_, key)| *key,
        |(row, _)| {
            vec![
                row.name.as_str().into(),
                streets.name(row.street_id).into(),
                label(&row.tier).into(),
                label(&row.target_tier).into(),
                i64::from(row.met).into(),
                i64::from(row.total).into(),
                row.gaps.iter().map(gap_words).collect::<Vec<_>>().join("；").into(),
            ]
        },
    )
}

/// A gap as the bureau says it: "研发费用占比 2.60%，需 ≥ 3.00%：研发费用还差 40 万元".
pub fn gap_words(gap: &Gap) -> String {
    let actual = match (&gap.actual, gap.missing_years.as_slice()) {
        (Some(actual), _) => actual.clone(),
        (None, []) => "未填报".to_owned(),
        (None, years) => format!("缺{}年数据", years.iter().map(ToString::to_string).collect::<Vec<_>>().join("、")),
    };
    let short = gap.short_by.as_deref().map(|s| format!("：{s}")).unwrap_or_default();
    format!("{} {}，需 {}{}", gap.name, actual, gap.required, short)
}

/// The certificates due for review in `span`, soonest first, with the rule set that will
/// judge each.
pub fn reviews(
    sink: &mut dyn Sink,
    pool: &PgPool,
    catalog: &Catalog,
    scope: &StreetScope,
    tiers: &[String],
    span: (NaiveDate, NaiveDate),
) -> anyhow::Result<()> {
    use Kind::{Date, Text};
    let columns = [
        ("企业名称", Text, 36.0),
        ("街道", Text, 12.0),
        ("梯队", Text, 18.0),
        ("证书编号", Text, 18.0),
        ("认定日期", Date, 12.0),
        ("有效期至", Date, 12.0),
        ("复核依据", Text, 40.0),
    ];
    sink.sheet(&Sheet::new("复核", &columns))?;
    let streets = StreetNames::load(&mut *pool.get()?)?;
    let fetch =
        |conn: &mut PgConnection, after, limit| certificates::due_for_review(conn, scope, tiers, span, after, limit);
    page_through(
        sink,
        pool,
        fetch,
        |row| (row.valid_until, row.certificate_id),
        |row| {
            let rules = in_force(&catalog.rule_sets, &row.tier, DecisionKind::Review, row.valid_until);
            vec![
                row.name.as_str().into(),
                streets.name(row.street_id).into(),
                catalog.ladder.label(&row.tier).unwrap_or(&row.tier).into(),
                row.certificate_no.as_deref().into(),
                row.effective_on.into(),
                row.valid_until.into(),
                rules.map(|r| r.document.as_str()).into(),
            ]
        },
    )
}

/// Each obligation's completion, for the district and per street.
pub fn obligations(report: &CompletionReport) -> Vec<Table> {
    use Kind::{Integer, Share, Text};
    let columns = [
        ("义务", Text, 36.0),
        ("街道", Text, 14.0),
        ("应完成", Integer, 10.0),
        ("已完成", Integer, 10.0),
        ("按时完成", Integer, 10.0),
        ("已逾期", Integer, 10.0),
        ("完成率", Share, 10.0),
    ];
    let row = |r: &crate::service::obligations::CompletionRow| -> Vec<Cell> {
        vec![
            r.description.as_str().into(),
            r.street.as_str().into(),
            r.total.into(),
            r.done.into(),
            r.on_time.into(),
            r.overdue.into(),
            r.done_share.into(),
        ]
    };
    let total = report.total.iter().map(row).collect();
    let by_street = report.streets.iter().map(row).collect();
    vec![Table::new("全区", &columns, total), Table::new("按街道", &columns, by_street)]
}
