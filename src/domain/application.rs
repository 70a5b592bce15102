//! 申报: an enterprise's application for a tier in a yearly batch, coached by its
//! counselor. `preparing → pre_reviewed (材料预审) → submitted → approved | rejected`, and
//! `withdrawn` while it is still open. Pure, so every status × action pair is tested here.

use crate::domain::workflow::{self, Note, Workflow};
use crate::domain::{Code, Refusal, dates};
use chrono::NaiveDate;

code_list! {
    #[schema(as = ApplicationStatus)]
    pub enum Status {
        /// Materials being put together.
        Preparing = "preparing" => "准备材料",
        /// The counselor has checked the materials (材料预审).
        PreReviewed = "pre_reviewed" => "已预审",
        /// Handed in to the certifying authority.
        Submitted = "submitted" => "已提交",
        /// Granted: the promotion is recorded with it.
        Approved = "approved" => "已通过",
        Rejected = "rejected" => "未通过",
        /// Given up by the enterprise before a decision.
        Withdrawn = "withdrawn" => "已撤回",
    }
}

impl Status {
    /// The statuses of an application still on its way: the one list, which the
    /// database's in-flight index and the pipeline's counts repeat.
    pub const IN_FLIGHT: [Self; 3] = [Self::Preparing, Self::PreReviewed, Self::Submitted];

    /// Whether it has come to an end (granted, refused or given up).
    pub fn is_decided(self) -> bool {
        !Self::IN_FLIGHT.contains(&self)
    }
}

code_list! {
    #[schema(as = ApplicationAction)]
    pub enum Action {
        /// 材料预审: the counselor has checked the materials.
        PreReview = "pre_review" => "材料预审",
        /// Hand the pre-reviewed materials in.
        Submit = "submit" => "提交",
        /// The authority granted it (manager, admin): records the promotion.
        Approve = "approve" => "通过",
        /// The authority turned it down (manager, admin), with the reason.
        Reject = "reject" => "未通过",
        /// The enterprise gives up, with the reason.
        Withdraw = "withdraw" => "撤回",
    }
}

impl Action {
    /// Approving and rejecting record the authority's decision, which is the bureau's
    /// to record: it changes the enterprise's tier and the pass rates.
    pub fn is_decision(self) -> bool {
        matches!(self, Self::Approve | Self::Reject)
    }
}

/// The certificate an approval grants, as far as it was given: the rest defaults (today,
/// the rung's term, the batch year).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Approval {
    pub certificate_no: Option<String>,
    /// On or before today.
    pub effective_on: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub batch: Option<String>,
}

impl Approval {
    /// The fields that were given, by name.
    fn given(&self) -> impl Iterator<Item = &'static str> {
        [
            ("certificate_no", self.certificate_no.is_some()),
            ("effective_on", self.effective_on.is_some()),
            ("valid_until", self.valid_until.is_some()),
            ("batch", self.batch.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, given)| given.then_some(field))
    }
}

/// A move of an application with what it takes, checked: an approval carries its
/// certificate, a rejection or withdrawal its reason. Made only by [`Moving::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    PreReview,
    Submit,
    Approve(Approval),
    Reject,
    Withdraw,
}

/// An application's move and the note it keeps (for a rejection or withdrawal, the reason).
pub type Moving = workflow::Moving<Move>;

impl Moving {
    /// The move `action` asks for, from the inputs sent with it (`today` in the bureau's
    /// calendar); every input missing or wrong is named by its field.
    pub fn parse(
        action: Action,
        certificate: Approval,
        note: Option<&str>,
        today: NaiveDate,
    ) -> Result<Self, Vec<(&'static str, Refusal)>> {
        let mut refused = Vec::new();
        let note = Applications::note(action)
            .taken(note)
            .map_err(|_| refused.push(("note", Refusal::ReasonToMove { action: action.word() })))
            .ok()
            .flatten();
        let step = match action {
            Action::Approve => {
                if let Some(Err(refusal)) = certificate.effective_on.map(|on| dates::happened_on(on, today)) {
                    refused.push(("effective_on", refusal));
                }
                Move::Approve(certificate)
            }
            other => {
                refused.extend(certificate.given().map(|field| (field, Refusal::OnlyWithApprove)));
                match other {
                    Action::PreReview => Move::PreReview,
                    Action::Submit => Move::Submit,
                    Action::Reject => Move::Reject,
                    Action::Withdraw | Action::Approve => Move::Withdraw,
                }
            }
        };
        if refused.is_empty() { Ok(Self::new(step, note)) } else { Err(refused) }
    }

    pub fn action(&self) -> Action {
        match self.step() {
            Move::PreReview => Action::PreReview,
            Move::Submit => Action::Submit,
            Move::Approve(_) => Action::Approve,
            Move::Reject => Action::Reject,
            Move::Withdraw => Action::Withdraw,
        }
    }
}

/// The application workflow, for [`workflow`](crate::domain::workflow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applications;

impl Workflow for Applications {
    type Status = Status;
    type Action = Action;
    const SUBJECT: (&'static str, &'static str) = ("an application", "申报");
    const ACTIONS: &'static [Action] = &Action::ALL;

    /// Deciding is the bureau's; the rest is the counselor's coaching.
    fn permission(action: Action) -> crate::domain::Action {
        if action.is_decision() {
            crate::domain::Action::CertifyEnterprises
        } else {
            crate::domain::Action::WriteEnterprises
        }
    }

    fn note(action: Action) -> Note {
        match action {
            Action::Reject | Action::Withdraw => Note::Reason,
            Action::PreReview | Action::Approve => Note::Asked,
            Action::Submit => Note::Accepted,
        }
    }

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
        let reasoned: Vec<_> = A::ALL.into_iter().filter(|a| Applications::note(*a) == Note::Reason).collect();
        assert_eq!(reasoned, [A::Reject, A::Withdraw]);
        assert_eq!(Status::try_from("pre_reviewed".to_owned()), Ok(S::PreReviewed));
    }

    #[test]
    fn a_move_carries_what_it_takes() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).expect("a day");
        let granted = Approval { certificate_no: Some("GR2026".into()), ..Approval::default() };
        let approval = Moving::parse(A::Approve, granted.clone(), None, today).expect("an approval");
        assert_eq!(approval.step(), &Move::Approve(granted.clone()));
        assert_eq!(
            Moving::parse(A::Submit, granted, None, today),
            Err(vec![("certificate_no", Refusal::OnlyWithApprove)])
        );
        assert_eq!(
            Moving::parse(A::Withdraw, Approval::default(), Some(""), today),
            Err(vec![("note", Refusal::ReasonToMove { action: A::Withdraw.word() })])
        );
        let tomorrow = Approval { effective_on: today.succ_opt(), ..Approval::default() };
        assert_eq!(Moving::parse(A::Approve, tomorrow, None, today), Err(vec![("effective_on", Refusal::InTheFuture)]));
        let withdrawn =
            Moving::parse(A::Withdraw, Approval::default(), Some(" 企业放弃 "), today).expect("a withdrawal");
        assert_eq!((withdrawn.action(), withdrawn.note()), (A::Withdraw, Some("企业放弃")));
    }
}
