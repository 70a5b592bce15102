//! 诉求: demands an enterprise raises, worked to resolution against a deadline.
//!
//! The workflow is a state machine: `open → assigned → in_progress → resolved → closed`,
//! with `reject`, `escalate` (to the bureau) and `reopen` on the side. It is pure, so that
//! every status × action pair is tested here, apart from storage and HTTP.

use crate::domain::Refusal;
use crate::domain::workflow::{self, Note, Workflow};
use uuid::Uuid;

code_list! {
    pub enum Category {
        Space = "space" => "用地用房",
        Talent = "talent" => "人才引进",
        Housing = "housing" => "人才住房",
        Education = "education" => "子女教育",
        Finance = "finance" => "融资",
        Policy = "policy" => "政策咨询",
        Ip = "ip" => "知识产权",
        Certification = "certification" => "资质申报辅导",
        Market = "market" => "市场拓展",
        Other = "other" => "其他",
    }
}

code_list! {
    #[derive(PartialOrd, Ord)]
    pub enum Priority {
        Low = "low" => "低",
        Normal = "normal" => "普通",
        High = "high" => "高",
        Urgent = "urgent" => "紧急",
    }
}

code_list! {
    #[schema(as = RequestStatus)]
    pub enum Status {
        Open = "open" => "待受理",
        Assigned = "assigned" => "已分派",
        InProgress = "in_progress" => "办理中",
        Resolved = "resolved" => "已办结",
        Closed = "closed" => "已关闭",
        Rejected = "rejected" => "已驳回",
        /// Handed up to the bureau.
        Escalated = "escalated" => "已上报区局",
    }
}

impl Status {
    /// The statuses that still wait for someone to act, so that their deadline matters.
    /// The one list: the database's `pending` predicates are built from it.
    pub const PENDING: [Self; 4] = [Self::Open, Self::Assigned, Self::InProgress, Self::Escalated];

    /// Whether the request still waits for someone to act, so its deadline matters.
    pub fn is_pending(self) -> bool {
        Self::PENDING.contains(&self)
    }

    /// The codes of [`Self::PENDING`], as the database's predicates take them.
    pub fn pending_codes() -> [&'static str; 4] {
        Self::PENDING.map(Self::as_str)
    }
}

// The service desk's words: the stages of a demand, how a callback reaches the
// enterprise, what a demand may wait for, the inbox's queues, the desk's own steps. Its
// rules (limits, the stage awaited) are in `domain::desk`.
code_list! {
    #[schema(as = RequestStage)]
    pub enum Stage {
        /// Someone takes the demand: done by `acknowledge` or `assign`.
        Acknowledge = "acknowledge" => "签收",
        /// The handler reaches the enterprise: done by `contact`.
        Contact = "contact" => "首次联系",
        /// Done by `resolve`.
        Resolve = "resolve" => "办结",
        /// The enterprise is asked whether it is satisfied: done by `callback` (or `close`).
        Callback = "callback" => "回访",
    }
}

code_list! {
    /// How a callback reached the enterprise.
    pub enum CallbackChannel {
        Phone = "phone" => "电话",
        Onsite = "onsite" => "上门",
        Video = "video" => "视频",
        /// A text message or a WeChat message.
        Message = "message" => "短信或微信",
    }
}

code_list! {
    /// What a demand may be waiting for besides work: a manager's answer, or its callback.
    pub enum Awaiting {
        Extension = "extension" => "延期待审批",
        Callback = "callback" => "待回访",
    }
}

code_list! {
    /// The bureau's inbox (诉求台账) by what needs doing.
    pub enum Queue {
        /// Everything still being worked: not resolved, closed or rejected.
        Open = "open" => "全部在办",
        /// The awaited stage is past its deadline.
        Overdue = "overdue" => "已逾期",
        /// Under 督办, or escalated to the bureau.
        Escalated = "escalated" => "督办与上报",
        Unassigned = "unassigned" => "待分派",
        Extension = "extension" => "延期待审批",
        Callback = "callback" => "待回访",
    }
}

code_list! {
    /// Where an urge or a supervision goes: 催办 to the handler, 督办 to the managers.
    pub enum Escalation {
        Urge = "urge" => "催办",
        Supervise = "supervise" => "督办",
    }
}

code_list! {
    #[schema(as = RequestAction)]
    pub enum Action {
        /// Take it oneself (签收): from open or escalated.
        Acknowledge = "acknowledge" => "签收",
        /// Give it to someone (again): from open, assigned or escalated. Completes 签收.
        Assign = "assign" => "分派",
        /// Record the first (or a later) contact with the enterprise, with what was said (首次联系).
        Contact = "contact" => "联系企业",
        /// The assignee begins work.
        Start = "start" => "开始办理",
        /// Ask for more working days, with the reason (延期申请).
        Extend = "extend" => "申请延期",
        /// A manager grants the extension asked: the 办结 deadline moves.
        ApproveExtension = "approve_extension" => "同意延期",
        /// A manager refuses the extension asked, with the reason.
        RefuseExtension = "refuse_extension" => "不同意延期",
        Resolve = "resolve" => "办结",
        /// Ask the enterprise after 办结 whether it is satisfied (回访): satisfied closes
        /// the demand, dissatisfied reopens it with a new 办结 deadline.
        Callback = "callback" => "回访",
        /// The enterprise confirms, with its satisfaction (1–5).
        Close = "close" => "关闭",
        /// Hand it to another street or a bureau department (转办), with the reason.
        Transfer = "transfer" => "转办",
        /// Hand a transferred demand back to its enterprise's street (退回), with the reason.
        Return = "return" => "退回",
        /// Hand it up to the bureau.
        Escalate = "escalate" => "上报区局",
        /// Decline it, with a reason.
        Reject = "reject" => "驳回",
        /// Take up a finished or declined request again.
        Reopen = "reopen" => "重新打开",
    }
}

/// The enterprise's satisfaction when a request is closed: 1 (poor) to 5 (excellent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Satisfaction(i16);

impl Satisfaction {
    pub fn new(score: i16) -> Result<Self, Refusal> {
        if (1..=5).contains(&score) { Ok(Self(score)) } else { Err(Refusal::Between { min: 1, max: 5 }) }
    }

    pub fn score(self) -> i16 {
        self.0
    }
}

/// Who a demand is handed to (转办): another street, or a bureau department by its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holder {
    Street(Uuid),
    Department(String),
}

/// What a move may be sent with, as the faces read it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Inputs<'a> {
    pub assignee: Option<Uuid>,
    pub satisfaction: Option<i16>,
    pub note: Option<&'a str>,
    /// Working days an extension asks for.
    pub days: Option<i32>,
    pub channel: Option<CallbackChannel>,
    pub street: Option<Uuid>,
    pub department: Option<&'a str>,
}

/// A move of a request with what it takes, checked: an assignment names its assignee, a
/// closing or a callback the enterprise's satisfaction, an extension its days, a transfer
/// where it goes, a rejection its reason. Made only by [`Moving::parse`], so a move that
/// lacks its input cannot be made at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    Acknowledge,
    Assign { assignee: Uuid },
    Contact,
    Start,
    Extend { days: u32 },
    ApproveExtension,
    RefuseExtension,
    Resolve,
    Callback { satisfaction: Satisfaction, channel: CallbackChannel },
    Close { satisfaction: Satisfaction },
    Transfer { to: Holder },
    Return,
    Escalate,
    Reject,
    Reopen,
}

/// A request's move and the note it keeps (for a rejection, the reason).
pub type Moving = workflow::Moving<Move>;

impl Moving {
    /// The move `action` asks for, from the inputs sent with it; every input that is
    /// missing or wrong is named by its field.
    pub fn parse(action: Action, inputs: &Inputs<'_>) -> Result<Self, Vec<(&'static str, Refusal)>> {
        let mut refused = Vec::new();
        let needed = || Refusal::NeededToMove { action: crate::domain::Code::word(action) };
        let note = Requests::note(action)
            .taken(inputs.note)
            .map_err(|_| refused.push(("note", Refusal::ReasonToMove { action: crate::domain::Code::word(action) })));
        let satisfaction = || match inputs.satisfaction.map(Satisfaction::new) {
            Some(Ok(satisfaction)) => Ok(satisfaction),
            Some(Err(refusal)) => Err(("satisfaction", refusal)),
            None => Err(("satisfaction", needed())),
        };
        let step = match action {
            Action::Acknowledge => Ok(Move::Acknowledge),
            Action::Assign => {
                inputs.assignee.map(|assignee| Move::Assign { assignee }).ok_or_else(|| ("assignee_id", needed()))
            }
            Action::Contact => Ok(Move::Contact),
            Action::Start => Ok(Move::Start),
            Action::Extend => match inputs.days {
                Some(days) => u32::try_from(days)
                    .ok()
                    .filter(|d| *d > 0)
                    .map(|days| Move::Extend { days })
                    .ok_or(("days", Refusal::AtLeast { min: 1 })),
                None => Err(("days", needed())),
            },
            Action::ApproveExtension => Ok(Move::ApproveExtension),
            Action::RefuseExtension => Ok(Move::RefuseExtension),
            Action::Resolve => Ok(Move::Resolve),
            Action::Callback => match (satisfaction(), inputs.channel) {
                (Ok(satisfaction), Some(channel)) => Ok(Move::Callback { satisfaction, channel }),
                (Err(bad), channel) => {
                    if channel.is_none() {
                        refused.push(("channel", needed()));
                    }
                    Err(bad)
                }
                (Ok(_), None) => Err(("channel", needed())),
            },
            Action::Close => satisfaction().map(|satisfaction| Move::Close { satisfaction }),
            Action::Transfer => match (inputs.street, inputs.department.map(str::trim).filter(|d| !d.is_empty())) {
                (Some(street), None) => Ok(Move::Transfer { to: Holder::Street(street) }),
                (None, Some(department)) => Ok(Move::Transfer { to: Holder::Department(department.to_owned()) }),
                _ => Err(("street_id", Refusal::StreetOrDepartment)),
            },
            Action::Return => Ok(Move::Return),
            Action::Escalate => Ok(Move::Escalate),
            Action::Reject => Ok(Move::Reject),
            Action::Reopen => Ok(Move::Reopen),
        };
        let step = step.map_err(|bad| refused.push(bad));
        match (step, note) {
            (Ok(step), Ok(note)) if refused.is_empty() => Ok(Self::new(step, note)),
            _ => Err(refused),
        }
    }

    pub fn action(&self) -> Action {
        match self.step() {
            Move::Acknowledge => Action::Acknowledge,
            Move::Assign { .. } => Action::Assign,
            Move::Contact => Action::Contact,
            Move::Start => Action::Start,
            Move::Extend { .. } => Action::Extend,
            Move::ApproveExtension => Action::ApproveExtension,
            Move::RefuseExtension => Action::RefuseExtension,
            Move::Resolve => Action::Resolve,
            Move::Callback { .. } => Action::Callback,
            Move::Close { .. } => Action::Close,
            Move::Transfer { .. } => Action::Transfer,
            Move::Return => Action::Return,
            Move::Escalate => Action::Escalate,
            Move::Reject => Action::Reject,
            Move::Reopen => Action::Reopen,
        }
    }
}

/// The first move on every request's history: it was raised.
pub const RAISED: &str = "raise";

/// The move the system makes when an enterprise moves to a street that a pending
/// request's assignee does not serve: the request goes back to be taken in the new
/// street. Nobody asks for it, so it is not an [`Action`].
pub const RELEASED: &str = "release";

/// The name people use for a move on a request's history, as recorded: the actions, the
/// system's steps, and the desk's urges and supervisions ([`Escalation`]).
pub fn recorded_move_label(action: &str) -> &'static str {
    match action {
        RAISED => "提出",
        RELEASED => "企业迁出街道，退回待受理",
        other => Action::parse(other)
            .map(Action::label)
            .or_else(|| Escalation::parse(other).map(Escalation::label))
            .unwrap_or("更新"),
    }
}

/// The service-request workflow, for [`workflow`](crate::domain::workflow).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requests;

impl Workflow for Requests {
    type Status = Status;
    type Action = Action;
    const SUBJECT: (&'static str, &'static str) = ("a request", "诉求");
    const ACTIONS: &'static [Action] = &Action::ALL;

    /// Field work within the caller's streets, but for handing a demand elsewhere and
    /// answering an extension: the bureau's.
    fn permission(action: Action) -> crate::domain::Action {
        match action {
            Action::Transfer | Action::ApproveExtension | Action::RefuseExtension => {
                crate::domain::Action::SuperviseRequests
            }
            _ => crate::domain::Action::WriteEnterprises,
        }
    }

    fn note(action: Action) -> Note {
        use Action as A;
        match action {
            A::Reject | A::Contact | A::Extend | A::RefuseExtension | A::Transfer | A::Return => Note::Reason,
            A::Resolve | A::Escalate | A::Reopen | A::Callback => Note::Asked,
            A::Acknowledge | A::Assign | A::Start | A::Close | A::ApproveExtension => Note::Accepted,
        }
    }

    /// A callback lands on `closed` here; when the enterprise is not satisfied, the move
    /// writes the demand back to work instead (`service::requests`).
    fn target(status: Status, action: Action) -> Option<Status> {
        use Action as A;
        use Status as S;
        match (status, action) {
            (S::Open | S::Escalated, A::Acknowledge) => Some(S::Assigned),
            (S::Open | S::Assigned | S::Escalated, A::Assign) => Some(S::Assigned),
            (S::Assigned | S::InProgress, A::Contact) => Some(S::InProgress),
            (S::Assigned, A::Start) => Some(S::InProgress),
            (S::Assigned | S::InProgress, A::Extend | A::ApproveExtension | A::RefuseExtension) => Some(status),
            (S::Assigned | S::InProgress, A::Resolve) => Some(S::Resolved),
            (S::Resolved, A::Callback | A::Close) => Some(S::Closed),
            (S::Open | S::Assigned | S::InProgress | S::Escalated, A::Transfer) => Some(S::Open),
            (S::Open | S::Assigned | S::InProgress, A::Return) => Some(S::Open),
            (S::Open | S::Assigned | S::InProgress, A::Escalate) => Some(S::Escalated),
            (S::Open | S::Assigned | S::InProgress | S::Escalated, A::Reject) => Some(S::Rejected),
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

    /// The whole table, every status × action: the status it leads to, `.` where illegal.
    #[test]
    fn every_status_and_action() {
        // acknowledge assign contact start extend approve refuse resolve callback close
        // transfer return escalate reject reopen
        let expected = [
            (S::Open, "A A . . . . . . . . O O E R ."),
            (S::Assigned, ". A I I A A A S . . O O E R ."),
            (S::InProgress, ". . I . I I I S . . O O E R ."),
            (S::Resolved, ". . . . . . . . C C . . . . O"),
            (S::Closed, ". . . . . . . . . . . . . . O"),
            (S::Rejected, ". . . . . . . . . . . . . . O"),
            (S::Escalated, "A A . . . . . . . . O . . R ."),
        ];
        let short = |s: Option<Status>| match s {
            None => ".",
            Some(S::Open) => "O",
            Some(S::Assigned) => "A",
            Some(S::InProgress) => "I",
            Some(S::Resolved) => "S",
            Some(S::Closed) => "C",
            Some(S::Rejected) => "R",
            Some(S::Escalated) => "E",
        };
        assert_eq!(expected.map(|(s, _)| s), S::ALL);
        for (status, row) in expected {
            let got: Vec<_> = A::ALL.into_iter().map(|a| short(Requests::transition(status, a).ok())).collect();
            assert_eq!(got.join(" "), row, "from {}", status.as_str());
        }
    }

    #[test]
    fn illegal_moves_name_the_status_and_what_is_allowed() {
        let error = Requests::transition(S::Closed, A::Start).expect_err("illegal");
        assert_eq!(error.allowed, [A::Reopen]);
        assert_eq!(error.to_string(), "cannot start a request that is closed; allowed now: reopen");
        assert_eq!(
            Requests::allowed_actions(S::Open),
            [A::Acknowledge, A::Assign, A::Transfer, A::Return, A::Escalate, A::Reject]
        );
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
    fn a_move_carries_what_it_takes() {
        let someone = Uuid::now_v7();
        let given = |inputs: Inputs<'static>| inputs;
        let moving =
            Moving::parse(A::Assign, &given(Inputs { assignee: Some(someone), note: Some("  "), ..Inputs::default() }))
                .expect("an assignment");
        assert_eq!((moving.step(), moving.note()), (&Move::Assign { assignee: someone }, None));
        let word = |a: Action| crate::domain::Code::word(a);
        assert_eq!(
            Moving::parse(A::Assign, &Inputs::default()),
            Err(vec![("assignee_id", Refusal::NeededToMove { action: word(A::Assign) })])
        );
        assert_eq!(
            Moving::parse(A::Close, &Inputs { satisfaction: Some(6), ..Inputs::default() }),
            Err(vec![("satisfaction", Refusal::Between { min: 1, max: 5 })])
        );
        assert_eq!(
            Moving::parse(A::Reject, &Inputs { note: Some(" "), ..Inputs::default() }),
            Err(vec![("note", Refusal::ReasonToMove { action: word(A::Reject) })])
        );
        let closed =
            Moving::parse(A::Close, &Inputs { satisfaction: Some(5), ..Inputs::default() }).expect("a closing");
        assert_eq!(closed.action(), A::Close);
        assert_eq!(
            Moving::parse(A::Callback, &Inputs::default()),
            Err(vec![
                ("channel", Refusal::NeededToMove { action: word(A::Callback) }),
                ("satisfaction", Refusal::NeededToMove { action: word(A::Callback) })
            ])
        );
        assert_eq!(
            Moving::parse(A::Extend, &Inputs { days: Some(0), note: Some("等待评审"), ..Inputs::default() }),
            Err(vec![("days", Refusal::AtLeast { min: 1 })])
        );
        assert_eq!(
            Moving::parse(
                A::Transfer,
                &Inputs { street: Some(someone), department: Some("hrss"), note: Some("x"), ..Inputs::default() }
            ),
            Err(vec![("street_id", Refusal::StreetOrDepartment)])
        );
    }

    #[test]
    fn only_unfinished_requests_are_pending() {
        let pending: Vec<_> = S::ALL.into_iter().filter(|s| s.is_pending()).collect();
        assert_eq!(pending, [S::Open, S::Assigned, S::InProgress, S::Escalated]);
    }
}
