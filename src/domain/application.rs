//! 申报: an enterprise's application for a tier in a yearly batch, coached by its
//! counselor. `preparing → pre_reviewed (材料预审) → submitted → approved | rejected`, and
//! `withdrawn` while it is still open. Pure, so every status × action pair is tested here.

use crate::domain::workflow::Workflow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ApplicationStatus)]
pub enum Status {
    /// Materials being put together.
    Preparing,
    /// The counselor has checked the materials (材料预审).
    PreReviewed,
    /// Handed in to the certifying authority.
    Submitted,
    /// Granted: the promotion is recorded with it.
    Approved,
    Rejected,
    /// Given up by the enterprise before a decision.
    Withdrawn,
}

impl Status {
    pub const ALL: [Self; 6] =
        [Self::Preparing, Self::PreReviewed, Self::Submitted, Self::Approved, Self::Rejected, Self::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Preparing => "preparing",
            Self::PreReviewed => "pre_reviewed",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Preparing => "准备材料",
            Self::PreReviewed => "已预审",
            Self::Submitted => "已提交",
            Self::Approved => "已通过",
            Self::Rejected => "未通过",
            Self::Withdrawn => "已撤回",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = ApplicationAction)]
pub enum Action {
    /// 材料预审: the counselor has checked the materials.
    PreReview,
    /// Hand the pre-reviewed materials in.
    Submit,
    /// The authority granted it (manager, admin): records the promotion.
    Approve,
    /// The authority turned it down (manager, admin), with the reason.
    Reject,
    /// The enterprise gives up, with the reason.
    Withdraw,
}

impl Action {
    pub const ALL: [Self; 5] = [Self::PreReview, Self::Submit, Self::Approve, Self::Reject, Self::Withdraw];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::PreReview => "pre_review",
            Self::Submit => "submit",
            Self::Approve => "approve",
            Self::Reject => "reject",
            Self::Withdraw => "withdraw",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::PreReview => "材料预审",
            Self::Submit => "提交",
            Self::Approve => "通过",
            Self::Reject => "未通过",
            Self::Withdraw => "撤回",
        }
    }

    /// Approving and rejecting record the authority's decision, which is the bureau's
    /// to record: it changes the enterprise's tier and the pass rates.
    pub fn is_decision(self) -> bool {
        matches!(self, Self::Approve | Self::Reject)
    }

    /// The action must say why.
    pub fn needs_note(self) -> bool {
        matches!(self, Self::Reject | Self::Withdraw)
    }
}

from_code!(Status, Action);

/// The application workflow, for [`workflow`](crate::domain::workflow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applications;

impl Workflow for Applications {
    type Status = Status;
    type Action = Action;
    const SUBJECT: &'static str = "an application";
    const ACTIONS: &'static [Action] = &Action::ALL;

    fn target(status: Status, action: Action) -> Option<Status> {
        use Action as A;
        use Status as S;
        match (status, action) {
            (S::Preparing, A::PreReview) => Some(S::PreReviewed),
            (S::PreReviewed, A::Submit) => Some(S::Submitted),
            (S::Submitted, A::Approve) => Some(S::Approved),
            (S::Submitted, A::Reject) => Some(S::Rejected),
            (S::Preparing | S::PreReviewed | S::Submitted, A::Withdraw) => Some(S::Withdrawn),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Action as A;
    use Status as S;

    #[test]
    fn every_status_and_action() {
        let expected: [(Status, [Option<Status>; 5]); 6] = [
            //            pre_review          submit             approve           reject            withdraw
            (S::Preparing, [Some(S::PreReviewed), None, None, None, Some(S::Withdrawn)]),
            (S::PreReviewed, [None, Some(S::Submitted), None, None, Some(S::Withdrawn)]),
            (S::Submitted, [None, None, Some(S::Approved), Some(S::Rejected), Some(S::Withdrawn)]),
            (S::Approved, [None; 5]),
            (S::Rejected, [None; 5]),
            (S::Withdrawn, [None; 5]),
        ];
        assert_eq!(expected.map(|(s, _)| s), S::ALL);
        for (status, row) in expected {
            for (action, want) in A::ALL.into_iter().zip(row) {
                assert_eq!(
                    Applications::transition(status, action).ok(),
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
        let error = Applications::transition(S::Preparing, A::Approve).expect_err("illegal");
        assert_eq!(
            error.to_string(),
            "cannot approve an application that is preparing; allowed now: pre_review, withdraw"
        );
        assert_eq!(Applications::transition(S::Approved, A::Withdraw).expect_err("final").allowed, []);
    }

    #[test]
    fn decisions_and_notes() {
        let decisions: Vec<_> = A::ALL.into_iter().filter(|a| a.is_decision()).collect();
        assert_eq!(decisions, [A::Approve, A::Reject]);
        let noted: Vec<_> = A::ALL.into_iter().filter(|a| a.needs_note()).collect();
        assert_eq!(noted, [A::Reject, A::Withdraw]);
        assert_eq!(Status::try_from("pre_reviewed".to_owned()), Ok(S::PreReviewed));
    }
}
