//! 义务: what a certified enterprise owes to keep its rung — the 国高's 年度发展情况报表 by
//! 31 May, 专精特新's yearly data update, a change reported within three months. Each is
//! configuration (`[[obligations]]` in `config/tiers.toml`): the rung it follows, the
//! nation's date and the district's earlier one. These rules date each item; the service
//! makes them per enterprise and the counselor ticks them off.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Deserializer};

code_list! {
    /// Where an item stands.
    #[schema(as = ObligationStatus)]
    pub enum Status {
        /// Not done, its date not passed.
        Due = "due" => "待完成",
        Done = "done" => "已完成",
        /// Not done, its date passed.
        Overdue = "overdue" => "已逾期",
    }
}

code_list! {
    /// Which items a list shows.
    #[schema(as = ObligationFilter)]
    pub enum Wants {
        Due = "due" => "未到期",
        Overdue = "overdue" => "已逾期",
        /// Not done, past due or not.
        Open = "open" => "未完成（含逾期）",
        Done = "done" => "已完成",
    }
}

code_list! {
    /// What makes an enterprise owe an item.
    pub enum Trigger {
        /// Every year of the certificate's term, on a day of the year.
        Annual = "annual" => "每年",
        /// A change of name (or of anything bearing on the criteria), within some months.
        NameChange = "name_change" => "名称等重大变更",
    }
}

/// A day of the year, written "05-31".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MonthDay {
    pub month: u32,
    pub day: u32,
}

impl MonthDay {
    /// That day in `year`; 29 February falls back to the 28th in other years.
    pub fn in_year(self, year: i32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(year, self.month, self.day)
            .or_else(|| NaiveDate::from_ymd_opt(year, self.month, self.day.checked_sub(1)?))
    }
}

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        let parsed =
            text.split_once('-').and_then(|(m, d)| Some(MonthDay { month: m.parse().ok()?, day: d.parse().ok()? }));
        parsed
            .filter(|md| NaiveDate::from_ymd_opt(2024, md.month, md.day).is_some())
            .ok_or_else(|| serde::de::Error::custom(format!("`{text}` is not a day of the year such as \"05-31\"")))
    }
}

/// One configured obligation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    /// Stable code, e.g. `hnte_annual_report`.
    pub code: String,
    /// The rungs whose certificates owe it.
    pub tiers: Vec<String>,
    /// For people, e.g. 高新技术企业年度发展情况报表; an annual item is shown with its year.
    pub description: String,
    /// The policy that sets it, e.g. 国科发火〔2016〕32号.
    pub document: String,
    #[serde(default = "annual")]
    pub trigger: Trigger,
    /// Annual: the nation's date in the year after the one reported on.
    pub due: Option<MonthDay>,
    /// Annual: the district's earlier date, which the bureau works to.
    pub district_due: Option<MonthDay>,
    /// On a change: how many months the enterprise has to report it.
    pub within_months: Option<u32>,
    /// Missing this many years in a row (past the nation's date) may cost the certificate.
    pub revocation_after_missed: Option<usize>,
}

fn annual() -> Trigger {
    Trigger::Annual
}

/// The dates of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dates {
    /// The year reported on (for a change: the year it happened).
    pub period: i32,
    /// The date that counts: the district's, else the nation's.
    pub due_on: NaiveDate,
    pub national_due_on: NaiveDate,
}

impl Obligation {
    /// Checks the configuration: an annual item needs its date, a change its months, and
    /// a district date must not fall after the nation's.
    pub fn check(&self, tiers: &[&str]) -> Result<(), String> {
        let named = |what: &str| format!("obligation `{}`: {what}", self.code);
        if self.tiers.is_empty() || self.tiers.iter().any(|t| !tiers.contains(&t.as_str())) {
            return Err(named("`tiers` must name rungs of the ladder"));
        }
        match self.trigger {
            Trigger::Annual => {
                let due = self.due.ok_or_else(|| named("an annual obligation needs `due`"))?;
                if self.district_due.is_some_and(|d| (d.month, d.day) > (due.month, due.day)) {
                    return Err(named("`district_due` falls after the nation's `due`"));
                }
            }
            Trigger::NameChange => {
                if !self.within_months.is_some_and(|m| (1..=24).contains(&m)) {
                    return Err(named("a change needs `within_months` of 1 to 24"));
                }
            }
        }
        Ok(())
    }

    /// The annual item reporting on `period`: due in the following year.
    pub fn for_period(&self, period: i32) -> Option<Dates> {
        let national_due_on = self.due?.in_year(period.checked_add(1)?)?;
        let due_on = self.district_due.and_then(|d| d.in_year(period + 1)).unwrap_or(national_due_on);
        Some(Dates { period, due_on, national_due_on })
    }

    /// The annual items whose nation's date falls in `from..=to`. A certificate owes
    /// those whose nation's date its term covers: it began before the date and ends on or
    /// after it, so a 国高 certified 2025-03-01 owes its 2025 report by 2026-05-31 and, its
    /// term ending 2028-02-29, not the 2027 one due 2028-05-31.
    pub fn periods_due(&self, from: NaiveDate, to: NaiveDate) -> Vec<Dates> {
        if self.trigger != Trigger::Annual {
            return Vec::new();
        }
        (from.year() - 1..=to.year())
            .filter_map(|period| self.for_period(period))
            .filter(|d| (from..=to).contains(&d.national_due_on))
            .collect()
    }

    /// The item a change made `on` owes: reported within the configured months.
    pub fn after_change(&self, on: NaiveDate) -> Option<Dates> {
        let due_on = on.checked_add_months(Months::new(self.within_months?))?;
        Some(Dates { period: on.year(), due_on, national_due_on: due_on })
    }

    /// The item's words: an annual one with its year (2025年度高新技术企业年度发展情况报表).
    pub fn title(&self, period: i32) -> String {
        match self.trigger {
            Trigger::Annual => format!("{period}年度 {}", self.description),
            Trigger::NameChange => self.description.clone(),
        }
    }
}

/// Where an item stands on `today`.
pub fn status(done: bool, due_on: NaiveDate, today: NaiveDate) -> Status {
    if done {
        Status::Done
    } else if today > due_on {
        Status::Overdue
    } else {
        Status::Due
    }
}

/// Whether `missed_in_a_row` years not done by the nation's date reach the count that may
/// cost the certificate (two years for the 国高's report, art. 19).
pub fn revocation_risk(rule: &Obligation, missed_in_a_row: usize) -> bool {
    rule.revocation_after_missed.is_some_and(|limit| missed_in_a_row >= limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    fn annual_report(district_due: Option<MonthDay>) -> Obligation {
        Obligation {
            code: "hnte_annual_report".into(),
            tiers: vec!["hnte".into()],
            description: "高新技术企业年度发展情况报表".into(),
            document: "国科发火〔2016〕32号".into(),
            trigger: Trigger::Annual,
            due: Some(MonthDay { month: 5, day: 31 }),
            district_due,
            within_months: None,
            revocation_after_missed: Some(2),
        }
    }

    #[test]
    fn a_hnte_certified_2025_03_01_owes_its_2025_report_by_2026_05_31() {
        let rule = annual_report(None);
        let owed: Vec<_> =
            rule.periods_due(day(2026, 1, 1), day(2027, 12, 31)).into_iter().map(|d| (d.period, d.due_on)).collect();
        assert_eq!(owed, [(2025, day(2026, 5, 31)), (2026, day(2027, 5, 31))]);
        assert_eq!(status(false, day(2026, 5, 31), day(2026, 5, 31)), Status::Due, "due through its day");
        assert_eq!(status(false, day(2026, 5, 31), day(2026, 6, 1)), Status::Overdue);
        assert_eq!(status(true, day(2026, 5, 31), day(2026, 6, 1)), Status::Done);
        assert_eq!(rule.title(2025), "2025年度 高新技术企业年度发展情况报表");
    }

    #[test]
    fn the_districts_earlier_date_is_the_one_that_counts() {
        let rule = annual_report(Some(MonthDay { month: 3, day: 31 }));
        let dates = rule.for_period(2025).expect("dated");
        assert_eq!((dates.due_on, dates.national_due_on), (day(2026, 3, 31), day(2026, 5, 31)));
        let late = Obligation { district_due: Some(MonthDay { month: 6, day: 30 }), ..rule };
        assert!(late.check(&["hnte"]).is_err(), "a district date after the nation's");
    }

    #[test]
    fn a_change_is_reported_within_its_months_and_two_missed_years_are_a_risk() {
        let change =
            Obligation { trigger: Trigger::NameChange, due: None, within_months: Some(3), ..annual_report(None) };
        assert_eq!(change.after_change(day(2026, 11, 30)).map(|d| d.due_on), Some(day(2027, 2, 28)));
        assert!(change.check(&["hnte"]).is_ok());
        assert!(Obligation { within_months: None, ..change }.check(&["hnte"]).is_err());
        assert!(!revocation_risk(&annual_report(None), 1));
        assert!(revocation_risk(&annual_report(None), 2));
        assert!(serde_json::from_str::<MonthDay>("\"02-30\"").is_err());
        assert_eq!(
            serde_json::from_str::<MonthDay>("\"02-29\"").ok().and_then(|d| d.in_year(2026)),
            Some(day(2026, 2, 28))
        );
    }
}
