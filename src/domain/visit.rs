//! 走访: how a counselor reached the enterprise and what the contact was for.

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Onsite,
    Phone,
    Video,
    /// At an event (宣讲会, 沙龙 …)
    Event,
}

impl Channel {
    pub const ALL: [Self; 4] = [Self::Onsite, Self::Phone, Self::Video, Self::Event];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Onsite => "onsite",
            Self::Phone => "phone",
            Self::Video => "video",
            Self::Event => "event",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Onsite => "上门走访",
            Self::Phone => "电话走访",
            Self::Video => "视频走访",
            Self::Event => "活动走访",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    PolicyBriefing,
    ApplicationCoaching,
    MaterialPreReview,
    DemandCollection,
    FollowUp,
    Other,
}

impl Purpose {
    pub const ALL: [Self; 6] = [
        Self::PolicyBriefing,
        Self::ApplicationCoaching,
        Self::MaterialPreReview,
        Self::DemandCollection,
        Self::FollowUp,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PolicyBriefing => "policy_briefing",
            Self::ApplicationCoaching => "application_coaching",
            Self::MaterialPreReview => "material_pre_review",
            Self::DemandCollection => "demand_collection",
            Self::FollowUp => "follow_up",
            Self::Other => "other",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::PolicyBriefing => "政策宣讲",
            Self::ApplicationCoaching => "申报辅导",
            Self::MaterialPreReview => "材料预审",
            Self::DemandCollection => "诉求收集",
            Self::FollowUp => "跟进回访",
            Self::Other => "其他",
        }
    }
}

from_code!(Channel, Purpose);

/// The first day of "the last `days` days" in the bureau's calendar: today and the
/// `days - 1` days before it. An enterprise counts as visited in that window (全覆盖) when
/// its last visit fell on or after this day.
pub fn window_start(today: NaiveDate, days: u32) -> NaiveDate {
    today - Days::new(u64::from(days.saturating_sub(1)))
}

/// The longest look back at visits a list or report takes: ten years.
pub const MAX_WINDOW_DAYS: u32 = 3650;

/// [`window_start`] of a window someone asked for, 1 to [`MAX_WINDOW_DAYS`] days.
pub fn asked_window_start(today: NaiveDate, days: u32) -> Result<NaiveDate, String> {
    if (1..=MAX_WINDOW_DAYS).contains(&days) {
        Ok(window_start(today, days))
    } else {
        Err(format!("must be between 1 and {MAX_WINDOW_DAYS}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_asked_for_is_one_day_to_ten_years() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(asked_window_start(today, 1), Ok(today));
        assert_eq!(asked_window_start(today, 90), Ok(window_start(today, 90)));
        assert_eq!(asked_window_start(today, 0), Err("must be between 1 and 3650".into()));
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
