//! Eligibility: does an enterprise meet a tier's rule set, criterion by criterion?
//!
//! Rule sets are policy, so they are data (`config/tiers.toml`): each names its policy
//! document and the date it takes effect, and lists criteria over a fixed vocabulary of
//! metrics computed from the enterprise's yearly figures (年度指标). The answer lists every
//! criterion with what is required, what the figures show, and whether it is met; a
//! figure that is missing makes the criterion unknown, never met, so that a counselor reads
//! the answer as a to-do list.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// One year's figures. Money in yuan; shares and ratios in percent. All optional: a
/// figure not reported is unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct Indicators {
    /// 销售收入 / 营业收入
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub revenue: Option<i64>,
    /// 总收入 (the base of the high-tech income share)
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub total_income: Option<i64>,
    /// 研发费用
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub rd_expense: Option<i64>,
    /// 在中国境内发生的研发费用
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub rd_expense_domestic: Option<i64>,
    /// 职工总数
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub staff: Option<i32>,
    /// 科技人员
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub tech_staff: Option<i32>,
    /// 高新技术产品（服务）收入
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub high_tech_revenue: Option<i64>,
    /// 资产总额
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub total_assets: Option<i64>,
    /// 资产负债率, percent
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub debt_ratio: Option<f64>,
    /// 主营业务收入占营业收入比重, percent
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub main_business_share: Option<f64>,
    /// Ⅰ类知识产权 (invention patents, …)
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub ip_class1: Option<i32>,
    /// Ⅱ类知识产权 (utility models, software copyrights, …)
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub ip_class2: Option<i32>,
    /// 从事特定细分市场年限
    #[validate(range(min = 0))]
    #[schema(minimum = 0)]
    pub years_in_niche: Option<i32>,
    /// The score of the tier's own assessment (创新能力评价, 专精特新评分 …)
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub assessment_score: Option<f64>,
    /// 近一年发生重大安全、重大质量事故或严重环境违法行为
    pub major_incident: Option<bool>,
    /// 主导产品国内市场占有率, percent
    #[validate(range(min = 0.0, max = 100.0))]
    #[schema(minimum = 0.0, maximum = 100.0)]
    pub market_share: Option<f64>,
}

/// What a criterion measures. Each is computed from the figures of the year before the
/// evaluation ("the last year") and, for `years > 1`, the years before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Years since the enterprise was established, on the evaluation date.
    RegisteredYears,
    Staff,
    /// Revenue of the last year, yuan.
    Revenue,
    TotalAssets,
    /// Tech staff ÷ staff, last year, percent.
    TechStaffShare,
    /// Σ R&D expense ÷ Σ revenue over `years`, percent.
    RdRatio,
    /// Σ domestic R&D ÷ Σ R&D over `years`, percent.
    RdDomesticShare,
    /// R&D expense ÷ revenue, percent: the smallest of the `years` (each year must reach it).
    RdRatioEachYear,
    /// R&D expense, yuan: the smallest of the `years` (each year must reach it).
    RdExpenseEachYear,
    /// Σ R&D expense over `years`, yuan.
    RdExpenseTotal,
    /// Average yearly revenue growth over `years` years (compound), percent; needs the
    /// revenue of the year before them too.
    RevenueGrowth,
    /// Domestic market share of the main product, last year, percent.
    MarketShare,
    /// High-tech revenue ÷ total income, last year, percent.
    HighTechIncomeShare,
    IpClass1,
    /// Class I and class II IP together.
    IpTotal,
    DebtRatio,
    MainBusinessShare,
    YearsInNiche,
    AssessmentScore,
    /// 1 when no major incident was reported for the last year, 0 when one was.
    NoMajorIncident,
    /// The better assessment score of the `years` years: a review (复核) in 2026 counts
    /// the score of either of the last two years (工信厅企业函〔2026〕117号).
    BestAssessmentScore,
    /// 1 when the enterprise holds a live certificate for one of the criterion's
    /// `titles`, 0 when not: a rung another requires first (from 2026-04-01 专精特新
    /// requires 科技和创新型中小企业).
    HoldsTitle,
}

impl Metric {
    /// What it measures, in a few words, as the bureau names it in a sentence
    /// ("研发费用占比 2.60%，需 ≥ 3.00%").
    pub fn name(self) -> &'static str {
        match self {
            Self::RegisteredYears => "注册年限",
            Self::Staff => "职工总数",
            Self::Revenue => "营业收入",
            Self::TotalAssets => "资产总额",
            Self::TechStaffShare => "科技人员占比",
            Self::RdRatio => "研发费用占比",
            Self::RdDomesticShare => "境内研发费用占比",
            Self::RdRatioEachYear => "各年研发费用占比",
            Self::RdExpenseEachYear => "各年研发费用",
            Self::RdExpenseTotal => "研发费用合计",
            Self::RevenueGrowth => "营业收入增长率",
            Self::MarketShare => "市场占有率",
            Self::HighTechIncomeShare => "高新技术产品收入占比",
            Self::IpClass1 => "Ⅰ类知识产权",
            Self::IpTotal => "知识产权",
            Self::DebtRatio => "资产负债率",
            Self::MainBusinessShare => "主营业务收入占比",
            Self::YearsInNiche => "细分市场年限",
            Self::AssessmentScore | Self::BestAssessmentScore => "评价得分",
            Self::NoMajorIncident => "重大事故",
            Self::HoldsTitle => "前置称号",
        }
    }
}

/// A threshold that depends on the size of the enterprise (last year's revenue).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Applies while revenue is at most this (yuan); the last band has none.
    pub revenue_at_most: Option<i64>,
    pub min: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub code: String,
    /// The policy's wording, for people.
    pub description: String,
    pub metric: Metric,
    /// How many years the metric looks back over.
    #[serde(default = "one")]
    pub years: u8,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Thresholds by revenue band, instead of `min`.
    #[serde(default)]
    pub bands: Vec<Band>,
    /// Strictly greater than `min` (e.g. 国高's innovation score ">70").
    #[serde(default)]
    pub exclusive: bool,
    /// For `holds_title`: the rungs any one of which satisfies it.
    #[serde(default)]
    pub titles: Vec<String>,
}

fn one() -> u8 {
    1
}

code_list! {
    /// The decision a rule set judges and an application asks for.
    pub enum DecisionKind {
        /// A first certificate for the rung (新申报).
        New = "new" => "新申报",
        /// Keeping a held certificate at the end of its term (复核).
        Review = "review" => "复核",
    }
}

// `code_list!` takes no `#[default]` on a variant, so the default is written out.
#[allow(clippy::derivable_impls)]
impl Default for DecisionKind {
    fn default() -> Self {
        Self::New
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub tier: String,
    /// What it judges; `new` unless said. A rung with no `review` set is reviewed by its
    /// `new` set.
    #[serde(default)]
    pub kind: DecisionKind,
    /// The policy document, e.g. 国科发火〔2016〕32号.
    pub document: String,
    pub effective_from: NaiveDate,
    pub criteria: Vec<Criterion>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CriterionResult {
    pub code: String,
    /// What it measures, in a few words (研发费用占比).
    pub name: String,
    pub description: String,
    /// What the rule asks, e.g. "≥ 5%".
    pub required: String,
    /// What the figures show; `null` when a figure is missing.
    pub actual: Option<String>,
    /// `null`: unknown, because a figure is missing.
    pub met: Option<bool>,
    /// The years the criterion looks at that have no figures yet, oldest first: what to
    /// fill in for it to be judged.
    pub missing_years: Vec<i32>,
    /// For an unmet criterion, what is missing in the bureau's words and units, e.g.
    /// "研发费用还差 40 万元", "还差 2 名科技人员".
    pub short_by: Option<String>,
    /// How far from met, 0 (met) to 1 (unknown, or nothing of it): what the readiness
    /// radar ranks by.
    #[serde(skip)]
    #[schema(ignore)]
    pub gap: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("rule set {0}: criterion `{1}` needs `min`, `max` or `bands`")]
    NoThreshold(usize, String),
    #[error("rule set {0}: criterion `{1}` looks back over 1 to 5 years")]
    Years(usize, String),
    #[error("rule set {0}: criterion code `{1}` appears twice")]
    Duplicate(usize, String),
    #[error("rule set {0}: tier `{1}` is not on the ladder")]
    UnknownTier(usize, String),
    #[error("rule set {0}: criterion `{1}` names titles, which must be rungs of the ladder, and only for holds_title")]
    Titles(usize, String),
}

/// Checks the rule sets against the ladder's tier codes.
pub fn validate(rule_sets: &[RuleSet], tiers: &[&str]) -> Result<(), RuleError> {
    for (index, set) in rule_sets.iter().enumerate() {
        if !tiers.contains(&set.tier.as_str()) {
            return Err(RuleError::UnknownTier(index, set.tier.clone()));
        }
        let mut seen = std::collections::HashSet::new();
        for criterion in &set.criteria {
            let code = criterion.code.clone();
            if !seen.insert(code.clone()) {
                return Err(RuleError::Duplicate(index, code));
            }
            if criterion.min.is_none() && criterion.max.is_none() && criterion.bands.is_empty() {
                return Err(RuleError::NoThreshold(index, code));
            }
            if !(1..=5).contains(&criterion.years) {
                return Err(RuleError::Years(index, code.clone()));
            }
            let titles_fit = if criterion.metric == Metric::HoldsTitle {
                !criterion.titles.is_empty() && criterion.titles.iter().all(|t| tiers.contains(&t.as_str()))
            } else {
                criterion.titles.is_empty()
            };
            if !titles_fit {
                return Err(RuleError::Titles(index, code));
            }
        }
    }
    Ok(())
}

/// The rule set judging `kind` for `tier` on `on`: the latest of that kind that has taken
/// effect. A review falls back to the rung's rules for a new application when no review
/// set is configured.
pub fn in_force<'a>(rule_sets: &'a [RuleSet], tier: &str, kind: DecisionKind, on: NaiveDate) -> Option<&'a RuleSet> {
    let latest = |kind: DecisionKind| {
        rule_sets
            .iter()
            .filter(|s| s.tier == tier && s.kind == kind && s.effective_from <= on)
            .max_by_key(|s| s.effective_from)
    };
    latest(kind).or_else(|| if kind == DecisionKind::Review { latest(DecisionKind::New) } else { None })
}

/// What an evaluation looks at: the yearly figures, the founding date and the rungs whose
/// certificates the enterprise holds.
pub struct Enterprise<'a> {
    pub established_on: Option<NaiveDate>,
    pub figures: &'a BTreeMap<i32, Indicators>,
    pub titles: &'a [String],
}

/// Evaluates every criterion of `rules` on `on`, looking at the years before `on`'s year.
pub fn evaluate(rules: &RuleSet, enterprise: &Enterprise, on: NaiveDate) -> Vec<CriterionResult> {
    rules.criteria.iter().map(|c| evaluate_one(c, enterprise, on)).collect()
}

fn ratio(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| part / whole * 100.0)
}

/// The figures of the `years` years before `on`'s year, newest first; `None` if any
/// year is missing.
fn years_before(figures: &BTreeMap<i32, Indicators>, on: NaiveDate, years: u8) -> Option<Vec<&Indicators>> {
    (1..=i32::from(years)).map(|back| figures.get(&(on.year() - back))).collect()
}

/// Σ of a figure over the years; `None` if any is missing.
fn total(years: &[&Indicators], figure: impl Fn(&Indicators) -> Option<i64>) -> Option<f64> {
    years.iter().map(|y| figure(y).map(|v| v as f64)).sum()
}

/// The smallest of a figure over the years; `None` if any is missing.
fn smallest(years: &[&Indicators], figure: impl Fn(&Indicators) -> Option<f64>) -> Option<f64> {
    years.iter().map(|y| figure(y)).collect::<Option<Vec<_>>>()?.into_iter().reduce(f64::min)
}

fn measure(criterion: &Criterion, enterprise: &Enterprise, on: NaiveDate) -> Option<f64> {
    if criterion.metric == Metric::RegisteredYears {
        return Some(f64::from(on.years_since(enterprise.established_on?)?));
    }
    if criterion.metric == Metric::HoldsTitle {
        let held = criterion.titles.iter().any(|t| enterprise.titles.contains(t));
        return Some(if held { 1.0 } else { 0.0 });
    }
    if criterion.metric == Metric::BestAssessmentScore {
        // The years that have a score; a missing year may still hold the better one,
        // which `evaluate_one` takes into account.
        return (1..=i32::from(criterion.years))
            .filter_map(|back| enterprise.figures.get(&(on.year() - back))?.assessment_score)
            .reduce(f64::max);
    }
    if criterion.metric == Metric::RevenueGrowth {
        let years = years_before(enterprise.figures, on, criterion.years.checked_add(1)?)?;
        let (last, first) = (years.first()?.revenue? as f64, years.last()?.revenue? as f64);
        return (first > 0.0).then(|| ((last / first).powf(1.0 / f64::from(criterion.years)) - 1.0) * 100.0);
    }
    let years = years_before(enterprise.figures, on, criterion.years)?;
    let last = years.first()?;
    match criterion.metric {
        Metric::RegisteredYears | Metric::RevenueGrowth | Metric::HoldsTitle | Metric::BestAssessmentScore => None,
        Metric::Staff => last.staff.map(f64::from),
        Metric::Revenue => last.revenue.map(|v| v as f64),
        Metric::TotalAssets => last.total_assets.map(|v| v as f64),
        Metric::TechStaffShare => ratio(f64::from(last.tech_staff?), f64::from(last.staff?)),
        Metric::RdRatio => ratio(total(&years, |y| y.rd_expense)?, total(&years, |y| y.revenue)?),
        Metric::RdDomesticShare => ratio(total(&years, |y| y.rd_expense_domestic)?, total(&years, |y| y.rd_expense)?),
        Metric::RdRatioEachYear => smallest(&years, |y| ratio(y.rd_expense? as f64, y.revenue? as f64)),
        Metric::RdExpenseEachYear => smallest(&years, |y| y.rd_expense.map(|v| v as f64)),
        Metric::RdExpenseTotal => total(&years, |y| y.rd_expense),
        Metric::MarketShare => last.market_share,
        Metric::HighTechIncomeShare => ratio(last.high_tech_revenue? as f64, last.total_income? as f64),
        Metric::IpClass1 => last.ip_class1.map(f64::from),
        Metric::IpTotal => Some(f64::from(last.ip_class1? + last.ip_class2?)),
        Metric::DebtRatio => last.debt_ratio,
        Metric::MainBusinessShare => last.main_business_share,
        Metric::YearsInNiche => last.years_in_niche.map(f64::from),
        Metric::AssessmentScore => last.assessment_score,
        Metric::NoMajorIncident => last.major_incident.map(|incident| if incident { 0.0 } else { 1.0 }),
    }
}

/// The lower bound that applies: a band's by last year's revenue, else `min`. Unknown
/// when bands depend on a revenue not reported.
fn lower_bound(criterion: &Criterion, enterprise: &Enterprise, on: NaiveDate) -> Result<Option<f64>, ()> {
    if criterion.bands.is_empty() {
        return Ok(criterion.min);
    }
    let revenue = years_before(enterprise.figures, on, 1).and_then(|y| y.first().and_then(|l| l.revenue)).ok_or(())?;
    Ok(criterion.bands.iter().find(|b| b.revenue_at_most.is_none_or(|most| revenue <= most)).map(|b| b.min))
}

fn is_percent(metric: Metric) -> bool {
    matches!(
        metric,
        Metric::TechStaffShare
            | Metric::RdRatio
            | Metric::RdRatioEachYear
            | Metric::RevenueGrowth
            | Metric::MarketShare
            | Metric::RdDomesticShare
            | Metric::HighTechIncomeShare
            | Metric::DebtRatio
            | Metric::MainBusinessShare
    )
}

fn show(metric: Metric, value: f64) -> String {
    match metric {
        _ if is_percent(metric) => format!("{:.2}%", value),
        Metric::Revenue | Metric::TotalAssets | Metric::RdExpenseEachYear | Metric::RdExpenseTotal => {
            format!("¥{:.2}万", value / 10_000.0)
        }
        Metric::NoMajorIncident => (if value > 0.0 { "无" } else { "有" }).to_owned(),
        Metric::HoldsTitle => (if value > 0.0 { "已持有" } else { "未持有" }).to_owned(),
        _ => format!("{value}"),
    }
}

fn required(criterion: &Criterion, lower: Option<f64>) -> String {
    let metric = criterion.metric;
    if metric == Metric::NoMajorIncident {
        return "无".to_owned();
    }
    if metric == Metric::HoldsTitle {
        return "持有".to_owned();
    }
    let mut parts = Vec::new();
    if let Some(min) = lower {
        parts.push(format!("{} {}", if criterion.exclusive { ">" } else { "≥" }, show(metric, min)));
    }
    if let Some(max) = criterion.max {
        parts.push(format!("≤ {}", show(metric, max)));
    }
    if !criterion.bands.is_empty() && lower.is_none() {
        parts.push("按营业收入分档（营业收入未填报）".to_owned());
    }
    parts.join("，且 ")
}

fn evaluate_one(criterion: &Criterion, enterprise: &Enterprise, on: NaiveDate) -> CriterionResult {
    let lower = lower_bound(criterion, enterprise, on).ok().flatten();
    let actual = measure(criterion, enterprise, on);
    let missing_years = missing_years(criterion, enterprise, on);
    let mut met = actual.and_then(|value| {
        let above = match (criterion.bands.is_empty(), lower) {
            (false, None) => return None,
            (_, Some(min)) => {
                if criterion.exclusive {
                    value > min
                } else {
                    value >= min
                }
            }
            (true, None) => true,
        };
        Some(above && criterion.max.is_none_or(|max| value <= max))
    });
    // The better of several scores is unknown while a year that could hold it is missing.
    if criterion.metric == Metric::BestAssessmentScore && met == Some(false) && !missing_years.is_empty() {
        met = None;
    }
    let (short_by, gap) = match (met, actual) {
        (Some(true), _) => (None, 0.0),
        (Some(false), Some(value)) => shortfall(criterion, enterprise, on, value, lower),
        _ => (None, 1.0),
    };
    CriterionResult {
        code: criterion.code.clone(),
        name: criterion.metric.name().to_owned(),
        description: criterion.description.clone(),
        required: required(criterion, lower),
        actual: actual.map(|v| show(criterion.metric, v)),
        met,
        missing_years,
        short_by,
        gap,
    }
}

/// Yuan as the bureau writes an amount: "40 万元", "1.25 万元".
fn wan(yuan: f64) -> String {
    // Less than 100 yuan would read "0 万元": said in yuan.
    if yuan < 100.0 {
        return format!("{} 元", yuan.ceil());
    }
    let text = format!("{:.2}", yuan / 10_000.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} 万元")
}

/// A difference in percentage points or plain numbers, without trailing zeros.
fn amount(value: f64) -> String {
    let text = format!("{value:.2}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// What an unmet criterion still lacks, in the bureau's words and units, and how far it
/// is from met (0–1, relative to the bound it misses).
fn shortfall(
    criterion: &Criterion,
    enterprise: &Enterprise,
    on: NaiveDate,
    value: f64,
    lower: Option<f64>,
) -> (Option<String>, f64) {
    let relative = |missing: f64, bound: f64| {
        if bound.abs() > f64::EPSILON { (missing / bound.abs()).clamp(0.0, 1.0) } else { 1.0 }
    };
    if let Some(max) = criterion.max.filter(|max| value > *max) {
        let over = value - max;
        let words = match criterion.metric {
            m if is_percent(m) => format!("高出 {} 个百分点", amount(over)),
            Metric::Revenue | Metric::TotalAssets => format!("超出 {}", wan(over)),
            Metric::Staff => format!("超出 {} 人", amount(over)),
            _ => format!("超出 {}", amount(over)),
        };
        return (Some(words), relative(over, max));
    }
    let Some(min) = lower else { return (None, 1.0) };
    let missing = (min - value).max(0.0);
    let gap = relative(missing, min);
    let years = years_before(enterprise.figures, on, criterion.years).unwrap_or_default();
    let last = years.first();
    let share_of = |whole: f64| min / 100.0 * whole;
    let words = match criterion.metric {
        Metric::Revenue | Metric::RdExpenseTotal | Metric::TotalAssets => Some(format!("还差 {}", wan(missing))),
        Metric::RdExpenseEachYear => {
            let lacking: f64 = years.iter().filter_map(|y| y.rd_expense).map(|rd| (min - rd as f64).max(0.0)).sum();
            Some(format!("研发费用还差 {}", wan(lacking)))
        }
        Metric::RdRatio => {
            let (revenue, rd) = (total(&years, |y| y.revenue), total(&years, |y| y.rd_expense));
            revenue.zip(rd).map(|(revenue, rd)| format!("研发费用还差 {}", wan((share_of(revenue) - rd).max(0.0))))
        }
        Metric::RdRatioEachYear => {
            let lacking: Option<f64> =
                years.iter().map(|y| Some((share_of(y.revenue? as f64) - y.rd_expense? as f64).max(0.0))).sum();
            lacking.map(|lacking| format!("研发费用还差 {}", wan(lacking)))
        }
        Metric::RdDomesticShare => {
            let (rd, domestic) = (total(&years, |y| y.rd_expense), total(&years, |y| y.rd_expense_domestic));
            rd.zip(domestic)
                .map(|(rd, domestic)| format!("境内研发费用还差 {}", wan((share_of(rd) - domestic).max(0.0))))
        }
        Metric::HighTechIncomeShare => last.and_then(|l| {
            let lacking = share_of(l.total_income? as f64) - l.high_tech_revenue? as f64;
            Some(format!("高新技术产品（服务）收入还差 {}", wan(lacking.max(0.0))))
        }),
        Metric::TechStaffShare => last.and_then(|l| {
            let lacking = (share_of(f64::from(l.staff?)) - f64::from(l.tech_staff?)).max(0.0).ceil();
            Some(format!("还差 {} 名科技人员", amount(lacking)))
        }),
        m if is_percent(m) => Some(format!("还差 {} 个百分点", amount(missing))),
        Metric::IpClass1 | Metric::IpTotal => Some(format!("还差 {} 项", amount(missing.ceil()))),
        Metric::YearsInNiche | Metric::RegisteredYears => Some(format!("还差 {} 年", amount(missing.ceil()))),
        // "Above 70" is not met by a number of points but by any score over it.
        Metric::AssessmentScore | Metric::BestAssessmentScore if criterion.exclusive => {
            Some(format!("须高于 {} 分", amount(min)))
        }
        Metric::AssessmentScore | Metric::BestAssessmentScore => Some(format!("还差 {} 分", amount(missing))),
        Metric::Staff => Some(format!("还差 {} 人", amount(missing.ceil()))),
        _ => None,
    };
    (words, gap)
}

/// The years before `on`'s year that `criterion` looks at (growth one more, to grow
/// from) and that have no figures.
fn missing_years(criterion: &Criterion, enterprise: &Enterprise, on: NaiveDate) -> Vec<i32> {
    let looked_at = match criterion.metric {
        Metric::RegisteredYears | Metric::HoldsTitle => 0,
        Metric::RevenueGrowth => criterion.years.saturating_add(1),
        _ => criterion.years,
    };
    (1..=i32::from(looked_at))
        .rev()
        .map(|back| on.year() - back)
        .filter(|y| !enterprise.figures.contains_key(y))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 国高's R&D intensity rule (国科发火〔2016〕32号): 5% / 4% / 3% by revenue band.
    fn rd_rule() -> Criterion {
        Criterion {
            code: "rd_ratio".into(),
            description: "近三年研发费用占同期销售收入比例".into(),
            metric: Metric::RdRatio,
            years: 3,
            min: None,
            max: None,
            bands: vec![
                Band { revenue_at_most: Some(50_000_000), min: 5.0 },
                Band { revenue_at_most: Some(200_000_000), min: 4.0 },
                Band { revenue_at_most: None, min: 3.0 },
            ],
            exclusive: false,
            titles: vec![],
        }
    }

    fn rules(criteria: Vec<Criterion>) -> RuleSet {
        RuleSet {
            tier: "hnte".into(),
            document: "国科发火〔2016〕32号".into(),
            kind: DecisionKind::New,
            effective_from: NaiveDate::from_ymd_opt(2016, 1, 29).expect("date"),
            criteria,
        }
    }

    fn three_years(revenue: i64, rd: i64) -> BTreeMap<i32, Indicators> {
        (2023..=2025)
            .map(|year| (year, Indicators { revenue: Some(revenue), rd_expense: Some(rd), ..Indicators::default() }))
            .collect()
    }

    fn on() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 1).expect("date")
    }

    #[test]
    fn rd_intensity_follows_the_revenue_band() {
        // Revenue ¥30m a year: the 5% band. ¥0.9m of R&D is 3%, short; ¥1.8m is 6%.
        let short = three_years(30_000_000, 900_000);
        let result = &evaluate(
            &rules(vec![rd_rule()]),
            &Enterprise { established_on: None, figures: &short, titles: &[] },
            on(),
        )[0];
        assert_eq!(
            (result.required.as_str(), result.actual.as_deref(), result.met),
            ("≥ 5.00%", Some("3.00%"), Some(false))
        );
        let enough = three_years(30_000_000, 1_800_000);
        let result = &evaluate(
            &rules(vec![rd_rule()]),
            &Enterprise { established_on: None, figures: &enough, titles: &[] },
            on(),
        )[0];
        assert_eq!((result.actual.as_deref(), result.met), (Some("6.00%"), Some(true)));
        // ¥100m a year: the 4% band, which 4.5% meets.
        let mid = three_years(100_000_000, 4_500_000);
        let result =
            &evaluate(&rules(vec![rd_rule()]), &Enterprise { established_on: None, figures: &mid, titles: &[] }, on())
                [0];
        assert_eq!((result.required.as_str(), result.met), ("≥ 4.00%", Some(true)));
    }

    #[test]
    fn a_missing_year_or_figure_is_unknown_not_met() {
        let mut figures = three_years(30_000_000, 1_800_000);
        figures.remove(&2023);
        let result = &evaluate(
            &rules(vec![rd_rule()]),
            &Enterprise { established_on: None, figures: &figures, titles: &[] },
            on(),
        )[0];
        assert_eq!((result.actual.clone(), result.met), (None, None));
        assert_eq!(result.missing_years, [2023], "the missing year is named");
        let staff = Criterion {
            code: "tech_staff_share".into(),
            description: "科技人员占职工总数比例".into(),
            metric: Metric::TechStaffShare,
            years: 1,
            min: Some(10.0),
            max: None,
            bands: vec![],
            exclusive: false,
            titles: vec![],
        };
        let result =
            &evaluate(&rules(vec![staff]), &Enterprise { established_on: None, figures: &figures, titles: &[] }, on())
                [0];
        assert_eq!(result.met, None, "staff figures were never reported");
    }

    #[test]
    fn registered_years_scores_and_incidents() {
        let figures: BTreeMap<i32, Indicators> = BTreeMap::from([(
            2025,
            Indicators { assessment_score: Some(70.0), major_incident: Some(false), ..Indicators::default() },
        )]);
        let criterion = |code: &str, metric, min, exclusive| Criterion {
            code: code.into(),
            description: code.into(),
            metric,
            years: 1,
            min: Some(min),
            max: None,
            bands: vec![],
            exclusive,
            titles: vec![],
        };
        let set = rules(vec![
            criterion("registered", Metric::RegisteredYears, 1.0, false),
            criterion("score", Metric::AssessmentScore, 70.0, true),
            criterion("incident", Metric::NoMajorIncident, 1.0, false),
        ]);
        let young = Enterprise { established_on: NaiveDate::from_ymd_opt(2025, 9, 1), figures: &figures, titles: &[] };
        let met: Vec<_> = evaluate(&set, &young, on()).into_iter().map(|r| r.met).collect();
        // Nine months old; a score of exactly 70 is not "above 70"; no incident.
        assert_eq!(met, [Some(false), Some(false), Some(true)]);
        // Age needs no yearly figures at all.
        let none = BTreeMap::new();
        let old = Enterprise { established_on: NaiveDate::from_ymd_opt(2020, 1, 1), figures: &none, titles: &[] };
        assert_eq!(evaluate(&set, &old, on())[0].met, Some(true));
    }

    #[test]
    fn growth_totals_and_each_year_rules() {
        let year = |revenue: i64, rd: i64| Indicators {
            revenue: Some(revenue),
            rd_expense: Some(rd),
            ..Indicators::default()
        };
        // Revenue ¥50m → ¥55m → ¥60.5m: 10% a year. R&D 4% then 2.5% of revenue.
        let figures = BTreeMap::from([
            (2023, year(50_000_000, 0)),
            (2024, year(55_000_000, 2_200_000)),
            (2025, year(60_500_000, 1_512_500)),
        ]);
        let criterion = |metric, min| Criterion {
            code: "c".into(),
            description: "c".into(),
            metric,
            years: 2,
            min: Some(min),
            max: None,
            bands: vec![],
            exclusive: false,
            titles: vec![],
        };
        let enterprise = Enterprise { established_on: None, figures: &figures, titles: &[] };
        let result = |metric, min| evaluate(&rules(vec![criterion(metric, min)]), &enterprise, on()).remove(0);
        let growth = result(Metric::RevenueGrowth, 5.0);
        assert_eq!((growth.actual.as_deref(), growth.met), (Some("10.00%"), Some(true)));
        let each = result(Metric::RdRatioEachYear, 3.0);
        assert_eq!((each.actual.as_deref(), each.met), (Some("2.50%"), Some(false)), "the weaker year decides");
        let sum = result(Metric::RdExpenseTotal, 12_000_000.0);
        assert_eq!((sum.actual.as_deref(), sum.met), (Some("¥371.25万"), Some(false)));
        // Growth over 2 years needs 3 years of revenue.
        let short = BTreeMap::from([(2024, year(55_000_000, 0)), (2025, year(60_500_000, 0))]);
        let enterprise = Enterprise { established_on: None, figures: &short, titles: &[] };
        let growth = evaluate(&rules(vec![criterion(Metric::RevenueGrowth, 5.0)]), &enterprise, on()).remove(0);
        assert_eq!(growth.met, None);
    }

    #[test]
    fn the_latest_rule_set_in_force_applies_and_bad_sets_are_named() {
        let old =
            RuleSet { effective_from: NaiveDate::from_ymd_opt(2022, 6, 1).expect("date"), ..rules(vec![rd_rule()]) };
        let new =
            RuleSet { effective_from: NaiveDate::from_ymd_opt(2026, 4, 1).expect("date"), ..rules(vec![rd_rule()]) };
        let sets = [old.clone(), new.clone()];
        assert_eq!(
            in_force(&sets, "hnte", DecisionKind::New, NaiveDate::from_ymd_opt(2026, 3, 31).expect("date")),
            Some(&old)
        );
        assert_eq!(
            in_force(&sets, "hnte", DecisionKind::New, NaiveDate::from_ymd_opt(2026, 4, 1).expect("date")),
            Some(&new)
        );
        assert_eq!(in_force(&sets, "srdi", DecisionKind::New, on()), None);

        assert_eq!(validate(&sets, &["prospect", "hnte"]), Ok(()));
        assert_eq!(validate(&sets, &["prospect"]), Err(RuleError::UnknownTier(0, "hnte".into())));
        let twice = rules(vec![rd_rule(), rd_rule()]);
        assert_eq!(validate(&[twice], &["hnte"]), Err(RuleError::Duplicate(0, "rd_ratio".into())));
        let bare = Criterion { bands: vec![], ..rd_rule() };
        assert_eq!(validate(&[rules(vec![bare])], &["hnte"]), Err(RuleError::NoThreshold(0, "rd_ratio".into())));
    }

    fn criterion(metric: Metric, years: u8, min: f64) -> Criterion {
        Criterion {
            code: "c".into(),
            description: "c".into(),
            metric,
            years,
            min: Some(min),
            max: None,
            bands: vec![],
            exclusive: false,
            titles: vec![],
        }
    }

    #[test]
    fn an_unmet_criterion_says_what_is_missing_in_the_bureaus_units() {
        // R&D ¥2.6m of ¥100m revenue each year against 3%: 2.6%, ¥400,000 short.
        let figures: BTreeMap<i32, Indicators> = (2024..=2025)
            .map(|y| {
                let year = Indicators {
                    revenue: Some(100_000_000),
                    rd_expense: Some(2_600_000),
                    staff: Some(95),
                    tech_staff: Some(8),
                    ..Indicators::default()
                };
                (y, year)
            })
            .collect();
        let enterprise = Enterprise { established_on: None, figures: &figures, titles: &[] };
        let rd = evaluate(&rules(vec![criterion(Metric::RdRatio, 1, 3.0)]), &enterprise, on()).remove(0);
        assert_eq!((rd.actual.as_deref(), rd.short_by.as_deref()), (Some("2.60%"), Some("研发费用还差 40 万元")));
        assert!((rd.gap - 0.4 / 3.0).abs() < 1e-9, "0.4 points of 3: {}", rd.gap);
        // Each of two years short by ¥400,000.
        let each = evaluate(&rules(vec![criterion(Metric::RdRatioEachYear, 2, 3.0)]), &enterprise, on()).remove(0);
        assert_eq!(each.short_by.as_deref(), Some("研发费用还差 80 万元"));
        // 8 of 95 staff against 10%: 9.5 needed, so 2 more people.
        let staff = evaluate(&rules(vec![criterion(Metric::TechStaffShare, 1, 10.0)]), &enterprise, on()).remove(0);
        assert_eq!(staff.short_by.as_deref(), Some("还差 2 名科技人员"));
        // Met: nothing short; unknown: the whole way.
        let met = evaluate(&rules(vec![criterion(Metric::Revenue, 1, 1.0)]), &enterprise, on()).remove(0);
        assert_eq!((met.short_by, met.gap), (None, 0.0));
        let unknown = evaluate(&rules(vec![criterion(Metric::IpClass1, 1, 1.0)]), &enterprise, on()).remove(0);
        assert_eq!((unknown.met, unknown.gap), (None, 1.0));
    }

    #[test]
    fn a_review_counts_the_better_of_two_scores_and_falls_back_to_the_new_rules() {
        let score = |s: f64| Indicators { assessment_score: Some(s), ..Indicators::default() };
        let best = criterion(Metric::BestAssessmentScore, 2, 60.0);
        let judge = |figures: &BTreeMap<i32, Indicators>| {
            evaluate(&rules(vec![best.clone()]), &Enterprise { established_on: None, figures, titles: &[] }, on())
                .remove(0)
        };
        // 2025 scored 55, 2024 scored 62: the review passes on 2024's.
        let either = judge(&BTreeMap::from([(2024, score(62.0)), (2025, score(55.0))]));
        assert_eq!((either.actual.as_deref(), either.met), (Some("62"), Some(true)));
        // Only 2025 known and short: 2024 might hold the better score.
        assert_eq!(judge(&BTreeMap::from([(2025, score(55.0))])).met, None);
        let both_short = judge(&BTreeMap::from([(2024, score(50.0)), (2025, score(55.0))]));
        assert_eq!((both_short.met, both_short.short_by.as_deref()), (Some(false), Some("还差 5 分")));

        let new = rules(vec![rd_rule()]);
        let sets = [new.clone()];
        assert_eq!(in_force(&sets, "hnte", DecisionKind::Review, on()), Some(&new), "no review set: the new one");
        let review = RuleSet { kind: DecisionKind::Review, ..rules(vec![best]) };
        let sets = [new.clone(), review.clone()];
        assert_eq!(in_force(&sets, "hnte", DecisionKind::Review, on()), Some(&review));
        assert_eq!(in_force(&sets, "hnte", DecisionKind::New, on()), Some(&new));
    }

    #[test]
    fn a_prerequisite_title_is_met_by_any_rung_it_names() {
        let prerequisite = Criterion {
            metric: Metric::HoldsTitle,
            titles: vec!["tech_sme".into(), "innovative_sme".into()],
            ..criterion(Metric::HoldsTitle, 1, 1.0)
        };
        let figures = BTreeMap::new();
        let holding = |titles: &[String]| {
            let enterprise = Enterprise { established_on: None, figures: &figures, titles };
            evaluate(&rules(vec![prerequisite.clone()]), &enterprise, on()).remove(0)
        };
        let with = holding(&["innovative_sme".to_owned()]);
        assert_eq!((with.actual.as_deref(), with.met), (Some("已持有"), Some(true)));
        assert_eq!(holding(&["hnte".to_owned()]).met, Some(false));
        assert_eq!(
            validate(&[rules(vec![prerequisite.clone()])], &["hnte", "tech_sme"]),
            Err(RuleError::Titles(0, "c".into()))
        );
        assert_eq!(validate(&[rules(vec![prerequisite])], &["hnte", "tech_sme", "innovative_sme"]), Ok(()));
    }
}
