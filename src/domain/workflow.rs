//! What every workflow of the domain shares (service requests, applications): a table
//! of which action takes which status where, the actions a status allows, what each
//! action takes besides itself and who may make it, and an error that names the status
//! and what it allows instead. The engine that stores a move is
//! `service::workflow::advance`, one for every workflow.

use crate::domain::{Code, Refusal, Word, Words};
use std::fmt;

/// Whether a move takes a note, and how a form offers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Note {
    /// A reason is required (驳回, 撤回).
    Reason,
    /// A form offers a box for it.
    Asked,
    /// Kept if sent (the API), not offered by a form.
    Accepted,
}

impl Note {
    /// The note a move keeps: blank is none; a reason must be given.
    pub fn taken(self, note: Option<&str>) -> Result<Option<String>, Refusal> {
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(str::to_owned);
        match (self, note) {
            (Self::Reason, None) => Err(Refusal::Required),
            (_, note) => Ok(note),
        }
    }
}

/// A move of a workflow with what it takes (`M`: the workflow's moves, each carrying its
/// inputs) and the note it keeps (for a move that must say why, the reason: never blank).
/// Made only by each workflow's `parse`, so that a move lacking its input cannot be made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moving<M> {
    step: M,
    note: Option<String>,
}

impl<M> Moving<M> {
    pub(in crate::domain) fn new(step: M, note: Option<String>) -> Self {
        Self { step, note }
    }

    pub fn step(&self) -> &M {
        &self.step
    }

    pub fn note(&self) -> Option<&str> {
        self.note.as_deref()
    }
}

pub trait Workflow: Sized {
    type Status: Code + Eq + fmt::Debug;
    type Action: Code + Eq + fmt::Debug + 'static;
    /// What moves, for messages: "a request" (诉求), "an application" (申报).
    const SUBJECT: (&'static str, &'static str);
    /// Every action, in the order `allowed_actions` lists them.
    const ACTIONS: &'static [Self::Action];

    /// What the caller must be allowed to do to make `action`.
    fn permission(action: Self::Action) -> crate::domain::Action;

    /// Whether `action` takes a note.
    fn note(action: Self::Action) -> Note;

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

impl<W: Workflow> IllegalTransition<W> {
    /// The refusal it is: the move, what moves, its status and the moves it allows.
    pub fn refusal(&self) -> Refusal {
        Refusal::IllegalMove {
            action: self.action.word(),
            subject: Word::of(W::SUBJECT.0, W::SUBJECT.1),
            status: self.status.word(),
            allowed: Words(self.allowed.iter().map(|a| a.word()).collect()),
        }
    }
}

impl<W: Workflow> fmt::Display for IllegalTransition<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.refusal().fmt(f)
    }
}

impl<W: Workflow + fmt::Debug> std::error::Error for IllegalTransition<W> {}
