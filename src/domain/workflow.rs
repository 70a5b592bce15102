//! What every workflow of the domain shares (service requests, applications): a table
//! of which action takes which status where, the actions a status allows, and an error
//! that names the status and what it allows instead.

use crate::domain::Code;
use std::fmt;

pub trait Workflow: Sized {
    type Status: Code + Eq + fmt::Debug;
    type Action: Code + Eq + fmt::Debug + 'static;
    /// What moves, for messages: "a request", "an application".
    const SUBJECT: &'static str;
    /// Every action, in the order `allowed_actions` lists them.
    const ACTIONS: &'static [Self::Action];

    /// Where `action` takes something that is `status`, if anywhere.
    fn target(status: Self::Status, action: Self::Action) -> Option<Self::Status>;

    /// The actions something that is `status` allows, in the workflow's order.
    fn allowed_actions(status: Self::Status) -> Vec<Self::Action> {
        Self::ACTIONS.iter().copied().filter(|a| Self::target(status, *a).is_some()).collect()
    }

    /// The status `action` moves `status` to, or why it cannot.
    fn transition(status: Self::Status, action: Self::Action) -> Result<Self::Status, IllegalTransition<Self>> {
        Self::target(status, action).ok_or_else(|| IllegalTransition {
            status,
            action,
            allowed: Self::allowed_actions(status),
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IllegalTransition<W: Workflow> {
    pub status: W::Status,
    pub action: W::Action,
    pub allowed: Vec<W::Action>,
}

impl<W: Workflow> fmt::Display for IllegalTransition<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<_> = self.allowed.iter().map(|a| a.code()).collect();
        let allowed = if allowed.is_empty() { "nothing".to_owned() } else { allowed.join(", ") };
        write!(f, "cannot {} {} that is {}; allowed now: {allowed}", self.action.code(), W::SUBJECT, self.status.code())
    }
}

impl<W: Workflow + fmt::Debug> std::error::Error for IllegalTransition<W> {}
