//! 工作日: the bureau's working days and office hours, as public-service deadlines count
//! them. Weekends are off, except the weekend days the State Council's yearly holiday
//! notice makes working days (调休上班); the notice's holidays are off. A year whose notice
//! is not configured falls back to Monday–Friday with 1 January off, and the calendar says
//! which years those are, so that start-up and `/readyz` can warn.
//!
//! Deadlines are counted from a moment on the bureau's wall clock: "N working days after"
//! ends with the office hours of the Nth working day after the moment's day (the day a
//! demand arrives does not count, as in 行政期限), and "N working hours after" counts only
//! time inside office hours.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// How long a stage may take: working hours or working days, written `"2h"` or `"5d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    Hours(u32),
    Days(u32),
}

impl Limit {
    /// The limit written as the configuration writes it: a positive number and `h` or `d`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        // The last character is the unit, whatever its width ("5天" must not split "天").
        let (number, unit) = text.split_at(text.char_indices().last().map_or(0, |(at, _)| at));
        let amount: u32 = number.trim().parse().ok().filter(|n| *n > 0 && *n <= 366 * 24).ok_or_else(|| {
            format!("`{text}` is not a limit such as \"2h\" (working hours) or \"5d\" (working days)")
        })?;
        match unit {
            "h" => Ok(Self::Hours(amount)),
            "d" if amount <= 366 => Ok(Self::Days(amount)),
            _ => Err(format!("`{text}` is not a limit such as \"2h\" (working hours) or \"5d\" (working days)")),
        }
    }

    /// Its length in office hours, to compare limits written in different units.
    pub fn nominal_hours(self, hours_per_day: f64) -> f64 {
        match self {
            Self::Hours(h) => f64::from(h),
            Self::Days(d) => f64::from(d) * hours_per_day,
        }
    }
}

impl fmt::Display for Limit {
    /// In the bureau's words: 2个工作小时, 5个工作日.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Hours(h) => write!(f, "{h}个工作小时"),
            Self::Days(d) => write!(f, "{d}个工作日"),
        }
    }
}

impl<'de> Deserialize<'de> for Limit {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One holiday of a notice: its name and its days off, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Holiday {
    pub name: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// A year's holiday notice, as the State Council published it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notice {
    pub year: i32,
    /// The notice it is taken from: issuer, title and date.
    pub source: String,
    pub holidays: Vec<Holiday>,
    /// Weekend days that are working days (调休上班).
    #[serde(default)]
    pub workdays: Vec<NaiveDate>,
}

/// `config/calendar.toml`: office hours, then one notice per year.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarFile {
    /// Periods of a working day, `[["09:00", "12:00"], ["13:30", "17:30"]]`.
    pub office_hours: Vec<(String, String)>,
    #[serde(default)]
    pub notices: Vec<Notice>,
}

/// What a year's days are, from its notice or the fallback.
#[derive(Debug, Clone, Default)]
struct Year {
    off: BTreeSet<NaiveDate>,
    worked: BTreeSet<NaiveDate>,
}

#[derive(Debug, Clone)]
pub struct Calendar {
    years: BTreeMap<i32, Year>,
    /// The periods of a working day, in order, not overlapping.
    office: Vec<(NaiveTime, NaiveTime)>,
    time_zone: Tz,
}

/// Longest a deadline may reach: working days are never this rare, so a search that
/// goes on longer is a calendar that has none.
const SEARCH_DAYS: u32 = 3 * 366;

impl Calendar {
    /// The calendar a file describes, checked: office hours in order, holidays and worked
    /// days within their year, a worked day a weekend day that is not a holiday.
    pub fn new(file: CalendarFile, time_zone: Tz) -> Result<Self, String> {
        let mut office = Vec::new();
        for (from, to) in &file.office_hours {
            let time = |t: &str| {
                NaiveTime::parse_from_str(t.trim(), "%H:%M")
                    .map_err(|_| format!("office_hours: `{t}` is not a time such as \"09:00\""))
            };
            office.push((time(from)?, time(to)?));
        }
        let ordered = office.iter().all(|(from, to)| from < to) && office.windows(2).all(|pair| pair[0].1 <= pair[1].0);
        if office.is_empty() || !ordered {
            return Err("office_hours: periods of the day, each ending after it starts, in order".into());
        }
        let mut years = BTreeMap::new();
        for notice in file.notices {
            let year = notice.year;
            let in_year = |day: &NaiveDate| day.year() == year;
            let mut days = Year::default();
            for holiday in &notice.holidays {
                if holiday.from > holiday.to || !in_year(&holiday.from) && !in_year(&holiday.to) {
                    return Err(format!(
                        "notices.{year}: {} runs from {} to {}",
                        holiday.name, holiday.from, holiday.to
                    ));
                }
                days.off.extend(holiday.from.iter_days().take_while(|d| *d <= holiday.to));
            }
            for day in &notice.workdays {
                if !in_year(day) || !is_weekend(*day) || days.off.contains(day) {
                    return Err(format!(
                        "notices.{year}: worked day {day} must be a weekend day of {year} off no holiday"
                    ));
                }
                days.worked.insert(*day);
            }
            if years.insert(year, days).is_some() {
                return Err(format!("notices.{year}: the year has two notices"));
            }
        }
        Ok(Self { years, office, time_zone })
    }

    /// Whether `day` is a working day of the bureau.
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.years.get(&day.year()) {
            Some(year) => year.worked.contains(&day) || !is_weekend(day) && !year.off.contains(&day),
            None => !(is_weekend(day) || day.month() == 1 && day.day() == 1),
        }
    }

    /// Of `years`, those with no notice configured: they count Monday–Friday, 1 January off.
    pub fn years_without_notice(&self, years: std::ops::RangeInclusive<i32>) -> Vec<i32> {
        years.filter(|y| !self.years.contains_key(y)).collect()
    }

    /// The office hours of a working day, in hours.
    pub fn hours_per_day(&self) -> f64 {
        self.office.iter().map(|(from, to)| (*to - *from).as_seconds_f64() / 3600.0).sum()
    }

    /// The moment `limit` after `at`.
    pub fn after(&self, at: DateTime<Utc>, limit: Limit) -> DateTime<Utc> {
        match limit {
            Limit::Hours(hours) => self.working_hours_after(at, hours),
            Limit::Days(days) => self.working_days_after(at, days),
        }
    }

    /// The end of office hours on the `days`th working day after `at`'s day (at least one).
    pub fn working_days_after(&self, at: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let mut day = self.local(at).date();
        let mut left = days.max(1);
        for _ in 0..SEARCH_DAYS.saturating_mul(left) {
            day = day.succ_opt().unwrap_or(day);
            if self.is_working_day(day) {
                left -= 1;
                if left == 0 {
                    break;
                }
            }
        }
        self.instant(day.and_time(self.closing()))
    }

    /// The moment `hours` of office time after `at` (office time only counts on working days).
    pub fn working_hours_after(&self, at: DateTime<Utc>, hours: u32) -> DateTime<Utc> {
        let start = self.local(at);
        let mut left = Duration::hours(i64::from(hours));
        let mut day = start.date();
        for _ in 0..SEARCH_DAYS.saturating_add(hours) {
            if self.is_working_day(day) {
                for (from, to) in &self.office {
                    let begin = if day == start.date() { (*from).max(start.time()) } else { *from };
                    if begin >= *to {
                        continue;
                    }
                    let open = *to - begin;
                    if left <= open {
                        return self.instant(day.and_time(begin) + left);
                    }
                    left -= open;
                }
            }
            day = day.succ_opt().unwrap_or(day);
        }
        self.instant(day.and_time(self.closing()))
    }

    fn closing(&self) -> NaiveTime {
        self.office.last().map_or(NaiveTime::MIN, |(_, to)| *to)
    }

    fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.time_zone).naive_local()
    }

    fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        self.time_zone.from_local_datetime(&local).earliest().map_or_else(|| local.and_utc(), |at| at.to_utc())
    }
}

fn is_weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The built-in calendar (config/calendar.toml), in Beijing time.
    pub(crate) fn built_in() -> Calendar {
        let file: CalendarFile = config::Config::builder()
            .add_source(config::File::from_str(include_str!("../../config/calendar.toml"), config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .expect("calendar.toml reads");
        Calendar::new(file, chrono_tz::Asia::Shanghai).expect("calendar.toml is valid")
    }

    fn beijing(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{text}+08:00")).expect("a moment").to_utc()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    #[test]
    fn the_2026_notice_moves_weekends() {
        let calendar = built_in();
        for worked in ["2026-01-04", "2026-02-14", "2026-02-28", "2026-05-09", "2026-09-20", "2026-10-10"] {
            assert!(calendar.is_working_day(day(worked)), "{worked} is worked (调休)");
        }
        for off in [
            "2026-01-01",
            "2026-01-02",
            "2026-02-16",
            "2026-04-06",
            "2026-05-05",
            "2026-06-19",
            "2026-09-25",
            "2026-10-07",
        ] {
            assert!(!calendar.is_working_day(day(off)), "{off} is a holiday");
        }
        assert!(!calendar.is_working_day(day("2026-10-11")), "an ordinary Sunday");
        assert!(calendar.is_working_day(day("2026-12-04")), "an ordinary Friday");
    }

    /// Raised at 16:00 on Friday 25 September 2026 (中秋, a day off) with five working
    /// days: Mon 28, Tue 29, Wed 30 September, then 国庆 (1–7 October) is off, Thu 8 and
    /// Fri 9 October: due at the close of office hours on 9 October.
    #[test]
    fn five_working_days_across_mid_autumn_and_national_day() {
        let calendar = built_in();
        assert_eq!(calendar.working_days_after(beijing("2026-09-25T16:00:00"), 5), beijing("2026-10-09T17:30:00"));
        // Six days reach Saturday 10 October, worked.
        assert_eq!(calendar.working_days_after(beijing("2026-09-25T16:00:00"), 6), beijing("2026-10-10T17:30:00"));
        // A demand of Saturday 19 September: Sunday 20 is worked, so one day is that Sunday.
        assert_eq!(calendar.working_days_after(beijing("2026-09-19T10:00:00"), 1), beijing("2026-09-20T17:30:00"));
    }

    /// Two working hours from 16:00 on Thursday 24 September: 1½ hours to 17:30, then the
    /// holiday and the weekend, then half an hour on Monday 28 September.
    #[test]
    fn working_hours_skip_nights_lunch_and_holidays() {
        let calendar = built_in();
        assert_eq!(calendar.working_hours_after(beijing("2026-09-24T16:00:00"), 2), beijing("2026-09-28T09:30:00"));
        assert_eq!(calendar.working_hours_after(beijing("2026-09-25T16:00:00"), 2), beijing("2026-09-28T11:00:00"));
        assert_eq!(calendar.working_hours_after(beijing("2026-12-03T11:00:00"), 2), beijing("2026-12-03T14:30:00"));
        assert_eq!(calendar.working_hours_after(beijing("2026-12-03T07:00:00"), 3), beijing("2026-12-03T12:00:00"));
        assert_eq!(calendar.hours_per_day(), 7.0);
    }

    #[test]
    fn a_year_without_its_notice_counts_monday_to_friday() {
        let calendar = built_in();
        assert_eq!(calendar.years_without_notice(2026..=2027), [2027]);
        assert!(!calendar.is_working_day(day("2027-01-01")), "1 January is off in any year");
        assert!(calendar.is_working_day(day("2027-02-08")), "no 春节 without the notice");
        // Raised on Thursday 31 December 2026: Friday 1 January is off, so Monday 4 January.
        assert_eq!(calendar.working_days_after(beijing("2026-12-31T10:00:00"), 1), beijing("2027-01-04T17:30:00"));
    }

    #[test]
    fn limits_read_as_written() {
        assert_eq!(Limit::parse("2h"), Ok(Limit::Hours(2)));
        assert_eq!(Limit::parse(" 5d "), Ok(Limit::Days(5)));
        for bad in ["", "0d", "5", "d", "2w", "-1h", "400d", "5天", "天"] {
            assert!(Limit::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Limit::Days(5).to_string(), "5个工作日");
    }

    #[test]
    fn a_bad_notice_is_refused() {
        let file = |workdays: Vec<NaiveDate>| CalendarFile {
            office_hours: vec![("09:00".into(), "17:00".into())],
            notices: vec![Notice { year: 2026, source: "x".into(), holidays: vec![], workdays }],
        };
        assert!(Calendar::new(file(vec![day("2026-09-21")]), chrono_tz::Asia::Shanghai).is_err(), "a Monday");
        assert!(Calendar::new(file(vec![day("2025-09-20")]), chrono_tz::Asia::Shanghai).is_err(), "another year");
        let mut reversed = file(vec![]);
        reversed.office_hours = vec![("13:00".into(), "17:00".into()), ("09:00".into(), "12:00".into())];
        assert!(Calendar::new(reversed, chrono_tz::Asia::Shanghai).is_err());
    }

    fn moment() -> impl Strategy<Value = DateTime<Utc>> {
        // Any minute of 2025–2027.
        (0i64..3 * 365 * 24 * 60).prop_map(|m| beijing("2025-01-01T00:00:00") + Duration::minutes(m))
    }

    proptest! {
        #[test]
        fn n_then_m_working_days_is_n_plus_m(at in moment(), n in 1u32..40, m in 1u32..40) {
            let calendar = built_in();
            let twice = calendar.working_days_after(calendar.working_days_after(at, n), m);
            prop_assert_eq!(twice, calendar.working_days_after(at, n + m));
        }

        #[test]
        fn n_then_m_working_hours_is_n_plus_m(at in moment(), n in 1u32..60, m in 1u32..60) {
            let calendar = built_in();
            let twice = calendar.working_hours_after(calendar.working_hours_after(at, n), m);
            prop_assert_eq!(twice, calendar.working_hours_after(at, n + m));
        }

        #[test]
        fn a_deadline_never_lands_on_a_day_off(at in moment(), limit in 1u32..60, days in any::<bool>()) {
            let calendar = built_in();
            let limit = if days { Limit::Days(limit) } else { Limit::Hours(limit) };
            let due = calendar.after(at, limit);
            prop_assert!(due > at);
            prop_assert!(calendar.is_working_day(calendar.local(due).date()), "{} lands on a day off", due);
        }
    }
}
