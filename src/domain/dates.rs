//! Dates as the bureau's records take them: what happened did not happen in the future,
//! nor before 1900 (no enterprise was founded, visited or certified then: such a date is
//! a typing slip, or a year 0 a program sent), and years lie within a range.

use crate::domain::Refusal;
use chrono::{DateTime, Duration, NaiveDate, Utc};

/// The earliest day any record speaks of.
pub const EARLIEST: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(day) => day,
    None => panic!("1900-01-01 is a date"),
};

/// The years the bureau's targets and reports speak of.
pub const REPORT_YEARS: (i32, i32) = (2000, 2100);

/// Phones' clocks run a little fast; a moment "in the future" by less than this is now.
pub const CLOCK_SKEW: Duration = Duration::minutes(5);

/// A day something happened: on or before `today` (the bureau's calendar), not before 1900.
pub fn happened_on(day: NaiveDate, today: NaiveDate) -> Result<NaiveDate, Refusal> {
    if day > today {
        Err(Refusal::InTheFuture)
    } else if day < EARLIEST {
        Err(Refusal::Before1900)
    } else {
        Ok(day)
    }
}

/// A moment something happened: not after `now` (give or take [`CLOCK_SKEW`]), not before 1900.
pub fn happened_at(at: DateTime<Utc>, now: DateTime<Utc>) -> Result<DateTime<Utc>, Refusal> {
    if at > now + CLOCK_SKEW {
        Err(Refusal::InTheFuture)
    } else if at.date_naive() < EARLIEST {
        Err(Refusal::Before1900)
    } else {
        Ok(at)
    }
}

/// A year from `first` to `last`, both included.
pub fn year_within(year: i32, first: i32, last: i32) -> Result<i32, Refusal> {
    if (first..=last).contains(&year) {
        Ok(year)
    } else {
        Err(Refusal::YearBetween { min: first.into(), max: last.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_happened_lies_between_1900_and_now() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert!(happened_on(today, today).is_ok());
        assert!(happened_on(EARLIEST, today).is_ok());
        assert_eq!(happened_on(today.succ_opt().unwrap(), today), Err(Refusal::InTheFuture));
        assert_eq!(happened_on(NaiveDate::from_ymd_opt(0, 1, 1).unwrap(), today), Err(Refusal::Before1900));
        assert_eq!(happened_on(NaiveDate::from_ymd_opt(-1, 1, 1).unwrap(), today), Err(Refusal::Before1900));
        let now = Utc::now();
        assert!(happened_at(now + Duration::minutes(4), now).is_ok());
        assert!(happened_at(now + Duration::minutes(6), now).is_err());
        assert!(year_within(2026, 2000, 2100).is_ok());
        assert_eq!(year_within(1999, 2000, 2100), Err(Refusal::YearBetween { min: 2000, max: 2100 }));
    }
}
