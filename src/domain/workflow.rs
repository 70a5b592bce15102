//! What every workflow of the domain shares (service requests, applications): a table
//! of which action takes which status where, the actions a status allows, and an error
//! that names the status and what it allows instead.

use std::fmt;

pub trait Workflow {
    type Status: Copy + Eq + fmt::Debug;
    type Action: Copy + Eq + fmt::Debug + 'static;
    /// What moves, for messages: "a request", "an application".
    const SUBJECT: &'static str;
    /// Every action, in the order `allowed_actions` lists them.
    const ACTIONS: &'static [Self::Action];

    /// Where `action` takes something that is `status`, if anywhere.
    fn target(status: Self::Status, action: Self::Action) -> Option<Self::Status>;
    fn status_code(status: Self::Status) -> &'static str;
    fn action_code(action: Self::Action) -> &'static str;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTransition<W: Workflow> {
    pub status: W::Status,
    pub action: W::Action,
    pub allowed: Vec<W::Action>,
}

impl<W: Workflow> fmt::Display for IllegalTransition<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<_> = self.allowed.iter().map(|a| W::action_code(*a)).collect();
        let allowed = if allowed.is_empty() { "nothing".to_owned() } else { allowed.join(", ") };
        write!(
            f,
            "cannot {} {} that is {}; allowed now: {allowed}",
            W::action_code(self.action),
            W::SUBJECT,
            W::status_code(self.status)
        )
    }
}

impl<W: Workflow + fmt::Debug> std::error::Error for IllegalTransition<W> {}

/// The actions something that is `status` allows, in the workflow's order.
pub fn allowed_actions<W: Workflow>(status: W::Status) -> Vec<W::Action> {
    W::ACTIONS.iter().copied().filter(|a| W::target(status, *a).is_some()).collect()
}

/// The status `action` moves `status` to, or why it cannot.
pub fn transition<W: Workflow>(status: W::Status, action: W::Action) -> Result<W::Status, IllegalTransition<W>> {
    W::target(status, action).ok_or_else(|| IllegalTransition { status, action, allowed: allowed_actions::<W>(status) })
}
