//! 走访: how a counselor reached the enterprise and what the contact was for.

use chrono::{Days, NaiveDate};

/// An enterprise with an obligation due within this many days (or overdue) is visited by
/// the obligation cadence (`visit_every_days_while_obligation_due`).
pub const OBLIGATION_LEAD_DAYS: u32 = 60;

code_list! {
    pub enum Channel {
        Onsite = "onsite" => "上门走访",
        Phone = "phone" => "电话走访",
        Video = "video" => "视频走访",
        /// At an event (宣讲会, 沙龙 …)
        Event = "event" => "活动走访",
    }
}

code_list! {
    #[derive(PartialOrd, Ord)]
    pub enum Purpose {
        PolicyBriefing = "policy_briefing" => "政策宣讲",
        ApplicationCoaching = "application_coaching" => "申报辅导",
        MaterialPreReview = "material_pre_review" => "材料预审",
        DemandCollection = "demand_collection" => "诉求收集",
        FollowUp = "follow_up" => "跟进回访",
        Other = "other" => "其他",
    }
}

/// The first day of "the last `days` days" in the bureau's calendar: today and the
/// `days - 1` days before it. An enterprise counts as visited in that window (全覆盖) when
/// its last visit fell on or after this day.
pub fn window_start(today: NaiveDate, days: u32) -> NaiveDate {
    today - Days::new(u64::from(days.saturating_sub(1)))
}

/// Visit cadence: the first day an enterprise visited last on `last_visited_on` is due for
/// a visit again, when it should be visited every `every_days` days (the day its window
/// of [`window_start`] no longer holds the last visit). `None`: never visited, due since
/// it was registered.
pub fn due_on(last_visited_on: Option<NaiveDate>, every_days: u32) -> Option<NaiveDate> {
    last_visited_on.map(|day| day + Days::new(u64::from(every_days)))
}

/// The longest look back at visits a list or report takes: ten years.
pub const MAX_WINDOW_DAYS: u32 = 3650;

/// [`window_start`] of a window someone asked for, 1 to [`MAX_WINDOW_DAYS`] days.
pub fn asked_window_start(today: NaiveDate, days: u32) -> Result<NaiveDate, crate::domain::Refusal> {
    if (1..=MAX_WINDOW_DAYS).contains(&days) {
        Ok(window_start(today, days))
    } else {
        Err(crate::domain::Refusal::Between { min: 1, max: MAX_WINDOW_DAYS.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Visited on 1 December with a 30-day cadence: covered through 30 December (the
    /// window of 30 days ending that day starts on 1 December), due on 31 December.
    #[test]
    fn a_visit_is_due_when_the_cadence_window_no_longer_holds_the_last_one() {
        let visited = NaiveDate::from_ymd_opt(2026, 12, 1).expect("a day");
        let due = due_on(Some(visited), 30).expect("due");
        assert_eq!(due, NaiveDate::from_ymd_opt(2026, 12, 31).expect("a day"));
        assert!(window_start(due - Days::new(1), 30) <= visited, "still covered the day before");
        assert!(window_start(due, 30) > visited, "not covered on the day it is due");
        assert_eq!(due_on(None, 30), None);
    }

    #[test]
    fn a_window_asked_for_is_one_day_to_ten_years() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(asked_window_start(today, 1), Ok(today));
        assert_eq!(asked_window_start(today, 90), Ok(window_start(today, 90)));
        assert_eq!(asked_window_start(today, 0), Err(crate::domain::Refusal::Between { min: 1, max: 3650 }));
        assert!(asked_window_start(today, 3651).is_err());
        let (from, to) = crate::domain::certification::expiry_window(today, 30).unwrap();
        assert_eq!((from, (to - from).num_days()), (today, 30));
        assert!(crate::domain::certification::expiry_window(today, 1096).is_err());
    }

    #[test]
    fn the_last_n_days_end_today() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(window_start(today, 1), today);
        assert_eq!(window_start(today, 30), NaiveDate::from_ymd_opt(2026, 1, 31).unwrap());
        assert_eq!(window_start(today, 0), today);
    }
}
