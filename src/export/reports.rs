//! The bureau's reports as spreadsheets, one table a worksheet: what the API's
//! `format=csv|xlsx` and the cockpit's 导出 buttons hand out, written in one place so that
//! both faces give the same sheets. Each report has its title row's wording and the stem of
//! its file name beside its tables.

use crate::config::Catalog;
use crate::export::Table;
use crate::export::writer::{Cell, Kind};
use crate::service::coverage::{Coverage, Covered};
use crate::service::funnel::Funnel;
use crate::service::pipeline::{StreetNames, Summary, TierCounts};
use crate::service::request_report::{Figures, RequestReport};
use crate::service::targets::Targets;

pub const LADDER: (&str, &str) = ("梯队分布", "pipeline-summary");
pub const FUNNEL: (&str, &str) = ("梯队晋级漏斗", "funnel");
pub const COVERAGE: (&str, &str) = ("走访覆盖", "coverage");
pub const REQUESTS: (&str, &str) = ("诉求办理", "requests");

/// The targets' title names their year.
pub fn targets_title(year: i32) -> (String, &'static str) {
    (format!("{year}年度目标"), "targets")
}

/// How many stand on each rung, per street and per cluster: one column per tier, then the
/// total.
pub fn ladder(summary: &Summary, catalog: &Catalog) -> Vec<Table> {
    let rungs = catalog.ladder.rungs();
    let columns = |first: &'static str| {
        let mut columns: Vec<(&str, Kind, f64)> = vec![(first, Kind::Text, 16.0)];
        columns.extend(rungs.iter().map(|r| (r.label.as_str(), Kind::Integer, 12.0)));
        columns.push(("合计", Kind::Integer, 10.0));
        columns
    };
    let row = |name: &str, counts: &TierCounts, total: i64| {
        let mut row: Vec<Cell> = vec![name.into()];
        row.extend(rungs.iter().map(|r| Cell::from(counts.get(&r.code).copied().unwrap_or(0))));
        row.push(total.into());
        row
    };
    let by_street = summary.by_street.iter().map(|s| row(&s.name, &s.counts, s.total)).collect();
    let by_cluster = summary.by_cluster.iter().map(|c| row(&c.name, &c.counts, c.total)).collect();
    vec![Table::new("按街道", &columns("街道"), by_street), Table::new("按产业集群", &columns("产业集群"), by_cluster)]
}

/// Promotions per year and transition, cohort conversion, and application pass rates.
pub fn funnel(funnel: &Funnel, catalog: &Catalog) -> Vec<Table> {
    use Kind::{Integer, Share, Text};
    let label = |code: &str| catalog.ladder.label(code).unwrap_or(code).to_owned();
    let promotions = funnel
        .promotions
        .iter()
        .map(|p| vec![p.year.into(), label(&p.from_tier).into(), label(&p.to_tier).into(), p.count.into()])
        .collect();
    let cohorts = funnel
        .cohorts
        .iter()
        .map(|c| {
            let mut row: Vec<Cell> = vec![c.label.as_str().into(), c.entry_year.into(), c.entrants.into()];
            row.extend(c.reached_within.map(Cell::from));
            row.extend(c.rate_within.map(Cell::from));
            row.push(i64::from(c.complete_years).into());
            row
        })
        .collect();
    let pass_rates = funnel
        .pass_rates
        .iter()
        .map(|r| {
            vec![
                r.batch_year.into(),
                label(&r.tier).into(),
                r.name.as_str().into(),
                r.applied.into(),
                r.in_flight.into(),
                r.approved.into(),
                r.rejected.into(),
                r.withdrawn.into(),
                r.pass_rate.into(),
            ]
        })
        .collect();
    vec![
        Table::new(
            "晋级",
            &[("年份", Integer, 8.0), ("原梯队", Text, 18.0), ("新梯队", Text, 18.0), ("数量", Integer, 8.0)],
            promotions,
        ),
        Table::new(
            "梯队转化",
            &[
                ("梯队", Text, 18.0),
                ("入库年份", Integer, 10.0),
                ("入库数", Integer, 8.0),
                ("1年内晋级", Integer, 10.0),
                ("2年内晋级", Integer, 10.0),
                ("3年内晋级", Integer, 10.0),
                ("1年转化率", Share, 10.0),
                ("2年转化率", Share, 10.0),
                ("3年转化率", Share, 10.0),
                ("已满年数", Integer, 8.0),
            ],
            cohorts,
        ),
        Table::new(
            "申报通过率",
            &[
                ("批次年度", Integer, 10.0),
                ("梯队", Text, 18.0),
                ("街道", Text, 12.0),
                ("申报", Integer, 8.0),
                ("在途", Integer, 8.0),
                ("通过", Integer, 8.0),
                ("未通过", Integer, 8.0),
                ("撤回", Integer, 8.0),
                ("通过率", Share, 8.0),
            ],
            pass_rates,
        ),
    ]
}

/// The share visited per tier and street, and who has gone unvisited longest.
pub fn coverage(coverage: &Coverage, catalog: &Catalog, names: &StreetNames) -> Vec<Table> {
    use Kind::{DateTime, Integer, Share, Text};
    let covered = |first: &'static str| {
        [(first, Text, 18.0), ("企业数", Integer, 10.0), ("已走访", Integer, 10.0), ("覆盖率", Share, 10.0)]
    };
    let row = |name: &str, c: &Covered| vec![name.into(), c.enterprises.into(), c.visited.into(), c.share.into()];
    let by_tier = coverage.by_tier.iter().map(|t| row(&t.label, &t.covered)).collect();
    let by_street = coverage.by_street.iter().map(|s| row(&s.name, &s.covered)).collect();
    let unvisited = coverage
        .longest_unvisited
        .iter()
        .map(|u| {
            vec![
                u.name.as_str().into(),
                catalog.ladder.label(&u.tier).unwrap_or(&u.tier).into(),
                names.name(u.street_id).into(),
                u.last_visited_at.map(|at| catalog.local(at)).into(),
            ]
        })
        .collect();
    let cadence = &coverage.cadence;
    let cadence_by_tier = cadence
        .by_tier
        .iter()
        .map(|t| {
            let mut cells = row(&t.label, &t.covered);
            cells.insert(1, t.visit_every_days.map(i64::from).into());
            cells
        })
        .collect();
    let cadence_by_street = cadence.by_street.iter().map(|s| row(&s.name, &s.covered)).collect();
    let mut cadence_columns = covered("梯队").to_vec();
    cadence_columns.insert(1, ("走访频次（天）", Integer, 12.0));
    vec![
        Table::new("按梯队", &covered("梯队"), by_tier),
        Table::new("按街道", &covered("街道"), by_street),
        Table::new("按走访频次·梯队", &cadence_columns, cadence_by_tier),
        Table::new("按走访频次·街道", &covered("街道"), cadence_by_street),
        Table::new(
            "久未走访",
            &[("企业名称", Text, 36.0), ("梯队", Text, 18.0), ("街道", Text, 12.0), ("最近走访", DateTime, 17.0)],
            unvisited,
        ),
    ]
}

/// The backlog, time to resolve and satisfaction, per category and per street.
pub fn requests(report: &RequestReport) -> Vec<Table> {
    use Kind::{Decimal, Integer, Share, Text};
    let columns = |first: &'static str| {
        [
            (first, Text, 14.0),
            ("在办", Integer, 8.0),
            ("超期", Integer, 8.0),
            ("已办结", Integer, 8.0),
            ("平均办结小时", Decimal, 12.0),
            ("P90办结小时", Decimal, 12.0),
            ("评价数", Integer, 8.0),
            ("满意度", Decimal, 8.0),
            ("期内提出", Integer, 8.0),
            ("签收按时率", Share, 10.0),
            ("首次联系按时率", Share, 12.0),
            ("办结按时率", Share, 10.0),
            ("回访按时率", Share, 10.0),
            ("延期次数", Integer, 8.0),
            ("回访数", Integer, 8.0),
            ("回访满意度", Decimal, 10.0),
            ("重新打开率", Share, 10.0),
        ]
    };
    let on_time = |f: &Figures, stage: usize| f.desk.stages.get(stage).and_then(|s| s.on_time_rate).into();
    let row = |name: &str, f: &Figures| {
        vec![
            name.into(),
            f.open.into(),
            f.overdue.into(),
            f.resolved.into(),
            f.mean_hours_to_resolve.into(),
            f.p90_hours_to_resolve.into(),
            f.rated.into(),
            f.satisfaction.into(),
            f.desk.raised.into(),
            on_time(f, 0),
            on_time(f, 1),
            on_time(f, 2),
            on_time(f, 3),
            f.desk.extensions.into(),
            f.desk.callbacks.into(),
            f.desk.callback_satisfaction.into(),
            f.desk.reopen_rate.into(),
        ]
    };
    let by_category = report.by_category.iter().map(|c| row(&c.label, &c.figures)).collect();
    let by_street = report.by_street.iter().map(|s| row(&s.name, &s.figures)).collect();
    vec![Table::new("按类别", &columns("类别"), by_category), Table::new("按街道", &columns("街道"), by_street)]
}

/// The year's targets with what was achieved and the projection.
pub fn targets(targets: &Targets) -> Vec<Table> {
    use Kind::{Integer, Share, Text};
    let rows = targets
        .items
        .iter()
        .map(|t| {
            vec![
                t.region_name.as_str().into(),
                t.label.as_str().into(),
                t.target.into(),
                t.achieved.into(),
                t.progress.into(),
                t.projected.into(),
                t.pace.label().into(),
            ]
        })
        .collect();
    let columns = [
        ("区域", Text, 14.0),
        ("梯队", Text, 18.0),
        ("目标", Integer, 8.0),
        ("已完成", Integer, 8.0),
        ("完成率", Share, 8.0),
        ("预计全年", Integer, 10.0),
        ("进度", Text, 10.0),
    ];
    vec![Table::new("年度目标", &columns, rows)]
}
