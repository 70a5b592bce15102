//! 诉求: demands an enterprise raises, worked to resolution against a deadline.
//!
//! The workflow is a state machine: `open → assigned → in_progress → resolved → closed`,
//! with `reject`, `escalate` (to the bureau) and `reopen` on the side. It is pure, so that
//! every status × action pair is tested here, apart from storage and HTTP.

use crate::domain::workflow::Workflow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Space,
    Talent,
    Housing,
    Education,
    Finance,
    Policy,
    Ip,
    Certification,
    Market,
    Other,
}

impl Category {
    pub const ALL: [Self; 10] = [
        Self::Space,
        Self::Talent,
        Self::Housing,
        Self::Education,
        Self::Finance,
        Self::Policy,
        Self::Ip,
        Self::Certification,
        Self::Market,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Space => "space",
            Self::Talent => "talent",
            Self::Housing => "housing",
            Self::Education => "education",
            Self::Finance => "finance",
            Self::Policy => "policy",
            Self::Ip => "ip",
            Self::Certification => "certification",
            Self::Market => "market",
            Self::Other => "other",
        }
    }

    /// The name the bureau's reports use.
    pub fn label(self) -> &'static str {
        match self {
            Self::Space => "用地用房",
            Self::Talent => "人才引进",
            Self::Housing => "人才住房",
            Self::Education => "子女教育",
            Self::Finance => "融资",
            Self::Policy => "政策咨询",
            Self::Ip => "知识产权",
            Self::Certification => "资质申报辅导",
            Self::Market => "市场拓展",
            Self::Other => "其他",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Low,
    Normal,
    High,
    Urgent,
}

impl Priority {
    pub const ALL: [Self; 4] = [Self::Low, Self::Normal, Self::High, Self::Urgent];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Normal => "normal",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "低",
            Self::Normal => "普通",
            Self::High => "高",
            Self::Urgent => "紧急",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = RequestStatus)]
pub enum Status {
    Open,
    Assigned,
    InProgress,
    Resolved,
    Closed,
    Rejected,
    /// Handed up to the bureau.
    Escalated,
}

impl Status {
    pub const ALL: [Self; 7] =
        [Self::Open, Self::Assigned, Self::InProgress, Self::Resolved, Self::Closed, Self::Rejected, Self::Escalated];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Assigned => "assigned",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
            Self::Rejected => "rejected",
            Self::Escalated => "escalated",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Open => "待受理",
            Self::Assigned => "已分派",
            Self::InProgress => "办理中",
            Self::Resolved => "已办结",
            Self::Closed => "已关闭",
            Self::Rejected => "已驳回",
            Self::Escalated => "已上报区局",
        }
    }

    /// Whether the request still waits for someone to act, so its deadline matters.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Open | Self::Assigned | Self::InProgress | Self::Escalated)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = RequestAction)]
pub enum Action {
    /// Give it to someone (again): from open, assigned or escalated.
    Assign,
    /// The assignee begins work.
    Start,
    Resolve,
    /// The enterprise confirms, with its satisfaction (1–5).
    Close,
    /// Decline it, with a reason.
    Reject,
    /// Hand it up to the bureau.
    Escalate,
    /// Take up a finished or declined request again.
    Reopen,
}

impl Action {
    pub const ALL: [Self; 7] =
        [Self::Assign, Self::Start, Self::Resolve, Self::Close, Self::Reject, Self::Escalate, Self::Reopen];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Assign => "assign",
            Self::Start => "start",
            Self::Resolve => "resolve",
            Self::Close => "close",
            Self::Reject => "reject",
            Self::Escalate => "escalate",
            Self::Reopen => "reopen",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Assign => "分派",
            Self::Start => "开始办理",
            Self::Resolve => "办结",
            Self::Close => "关闭",
            Self::Reject => "驳回",
            Self::Escalate => "上报区局",
            Self::Reopen => "重新打开",
        }
    }
}

from_code!(Category, Priority, Status, Action);

/// The first move on every request's history: it was raised.
pub const RAISED: &str = "raise";

/// The move the system makes when an enterprise moves to a street that a pending
/// request's assignee does not serve: the request goes back to be taken in the new
/// street. Nobody asks for it, so it is not an [`Action`].
pub const RELEASED: &str = "release";

/// The name people use for a move on a request's history, as recorded.
pub fn recorded_move_label(action: &str) -> &'static str {
    match action {
        RAISED => "提出",
        RELEASED => "企业迁出街道，退回待受理",
        other => Action::try_from(other.to_owned()).map_or("更新", Action::label),
    }
}

/// The service-request workflow, for [`workflow`](crate::domain::workflow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requests;

impl Workflow for Requests {
    type Status = Status;
    type Action = Action;
    const SUBJECT: &'static str = "a request";
    const ACTIONS: &'static [Action] = &Action::ALL;

    fn target(status: Status, action: Action) -> Option<Status> {
        use Action as A;
        use Status as S;
        match (status, action) {
            (S::Open | S::Assigned | S::Escalated, A::Assign) => Some(S::Assigned),
            (S::Assigned, A::Start) => Some(S::InProgress),
            (S::Assigned | S::InProgress, A::Resolve) => Some(S::Resolved),
            (S::Resolved, A::Close) => Some(S::Closed),
            (S::Open | S::Assigned | S::InProgress | S::Escalated, A::Reject) => Some(S::Rejected),
            (S::Open | S::Assigned | S::InProgress, A::Escalate) => Some(S::Escalated),
            (S::Resolved | S::Closed | S::Rejected, A::Reopen) => Some(S::Open),
            _ => None,
        }
    }
}

/// Upper bounds (hours) of the buckets the time to resolve is counted in, per month,
/// street and category (migration 000007's `resolution_bucket` has the same list): hourly
/// at first, coarser later. The last bucket is open-ended.
pub const RESOLUTION_BOUNDS: [f64; 24] = [
    1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 36.0, 48.0, 72.0, 96.0, 120.0, 168.0, 240.0, 336.0, 504.0, 720.0,
    1080.0, 1440.0, 2160.0, 4320.0, 8760.0,
];

/// "`quantile` of the requests were resolved within this many hours": the upper bound of
/// the bucket holding the nearest-rank quantile. `None` with no resolutions, or when it
/// falls in the open-ended bucket (beyond a year).
pub fn resolved_within(histogram: &[i64], quantile: f64) -> Option<f64> {
    let total: i64 = histogram.iter().sum();
    if total <= 0 {
        return None;
    }
    let rank = ((quantile * total as f64).ceil() as i64).clamp(1, total);
    let mut seen = 0;
    let bucket = histogram.iter().position(|n| {
        seen += n;
        seen >= rank
    })?;
    RESOLUTION_BOUNDS.get(bucket).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Status as S;

    #[test]
    fn ninety_percent_were_resolved_within_a_bucket_bound() {
        let mut histogram = [0i64; 25];
        assert_eq!(resolved_within(&histogram, 0.9), None);
        histogram[6] = 1; // [8, 12) hours
        histogram[9] = 1; // [24, 36)
        histogram[11] = 1; // [48, 72)
        assert_eq!(resolved_within(&histogram, 0.9), Some(72.0), "the third of three");
        assert_eq!(resolved_within(&histogram, 0.5), Some(36.0), "the second of three");
        histogram[11] = 0;
        histogram[6] = 9;
        assert_eq!(resolved_within(&histogram, 0.9), Some(12.0), "nine of ten within 12 hours");
        histogram[24] = 100;
        assert_eq!(resolved_within(&histogram, 0.9), None, "beyond a year");
    }

    /// The whole table, every status × action: `None` where the action is illegal.
    #[test]
    fn every_status_and_action() {
        let expected: [(Status, [Option<Status>; 7]); 7] = [
            //             assign           start             resolve          close          reject           escalate          reopen
            (S::Open, [Some(S::Assigned), None, None, None, Some(S::Rejected), Some(S::Escalated), None]),
            (
                S::Assigned,
                [
                    Some(S::Assigned),
                    Some(S::InProgress),
                    Some(S::Resolved),
                    None,
                    Some(S::Rejected),
                    Some(S::Escalated),
                    None,
                ],
            ),
            (S::InProgress, [None, None, Some(S::Resolved), None, Some(S::Rejected), Some(S::Escalated), None]),
            (S::Resolved, [None, None, None, Some(S::Closed), None, None, Some(S::Open)]),
            (S::Closed, [None, None, None, None, None, None, Some(S::Open)]),
            (S::Rejected, [None, None, None, None, None, None, Some(S::Open)]),
            (S::Escalated, [Some(S::Assigned), None, None, None, Some(S::Rejected), None, None]),
        ];
        assert_eq!(expected.map(|(s, _)| s), S::ALL);
        for (status, row) in expected {
            for (action, want) in A::ALL.into_iter().zip(row) {
                assert_eq!(
                    Requests::transition(status, action).ok(),
                    want,
                    "{} × {}",
                    status.as_str(),
                    action.as_str()
                );
            }
        }
    }

    #[test]
    fn illegal_moves_name_the_status_and_what_is_allowed() {
        let error = Requests::transition(S::Closed, A::Start).expect_err("illegal");
        assert_eq!(error.allowed, [A::Reopen]);
        assert_eq!(error.to_string(), "cannot start a request that is closed; allowed now: reopen");
        assert_eq!(Requests::allowed_actions(S::Open), [A::Assign, A::Reject, A::Escalate]);
    }

    #[test]
    fn codes_round_trip() {
        for status in S::ALL {
            assert_eq!(Status::try_from(status.as_str().to_owned()), Ok(status));
        }
        assert_eq!(Category::try_from("ip".to_owned()), Ok(Category::Ip));
        assert!(Priority::try_from("whenever".to_owned()).is_err());
    }

    #[test]
    fn only_unfinished_requests_are_pending() {
        let pending: Vec<_> = S::ALL.into_iter().filter(|s| s.is_pending()).collect();
        assert_eq!(pending, [S::Open, S::Assigned, S::InProgress, S::Escalated]);
    }
}
