//! One module per page (or per form and the page it posts to), and what they share.

pub mod admin;
pub mod applications;
pub mod apply;
pub mod cockpit;
pub mod cultivation;
pub mod demand;
pub mod enterprise;
pub mod home;
pub mod imports;
pub mod inbox;
pub mod indicators;
pub mod login;
pub mod raise;
pub mod request;
pub mod search;
pub mod targets;
pub mod visit;
pub mod visit_record;

use crate::config::Catalog;
use crate::web::messages as msg;
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// The query a saved form redirects with (`?saved=visit`), for the page to say so.
#[derive(Debug, serde::Deserialize)]
pub struct Shown {
    pub saved: Option<String>,
}

/// The format a 导出 button asks for (`?format=xlsx|csv`); `None`: none of them.
#[derive(Debug, serde::Deserialize)]
pub struct ExportAsked {
    #[serde(default)]
    format: String,
}

impl ExportAsked {
    pub fn format(&self) -> Option<crate::export::writer::Format> {
        crate::export::writer::Format::named(&self.format)
    }
}

/// A tier as a badge: its Chinese name, coloured by its rung.
#[derive(Debug, Clone)]
pub struct TierBadge {
    pub label: String,
    pub rank: usize,
}

impl TierBadge {
    pub fn of(catalog: &Catalog, code: &str) -> Self {
        let rank = catalog.ladder.rank(code);
        let label = catalog.ladder.label(code).unwrap_or(code).to_owned();
        // Six colours; a bureau's extra rungs take the colours again from the bottom.
        Self { label, rank: if rank == usize::MAX { 0 } else { rank % 6 } }
    }
}

/// One line of a list: what it is about, where it leads, and a word on why it is there.
#[derive(Debug, Clone)]
pub struct Line {
    pub href: String,
    pub title: String,
    pub detail: String,
    pub badge: Option<TierBadge>,
    /// Shown in the warning colour: overdue, lapsing soon, switched off.
    pub urgent: bool,
}

impl Line {
    /// A certificate coming to the end of its term, leading to its holder.
    pub fn expiring(catalog: &Catalog, today: NaiveDate, c: crate::db::certificates::Expiring) -> Self {
        let days_left = (c.valid_until - today).num_days();
        Self {
            href: format!("/enterprises/{}", c.enterprise_id),
            title: c.name,
            detail: format!(
                "{} · {}",
                msg::with("home.valid_until", day(c.valid_until)),
                msg::with("home.days_left", days_left)
            ),
            badge: Some(TierBadge::of(catalog, &c.tier)),
            urgent: days_left <= 30,
        }
    }

    /// An enterprise that may lose its rung, with its reasons in words.
    pub fn at_risk(catalog: &Catalog, risk: crate::service::risks::AtRisk) -> Self {
        Self {
            href: format!("/enterprises/{}", risk.enterprise_id),
            title: risk.name,
            detail: risk.reasons.iter().map(risk_words).collect::<Vec<_>>().join(" · "),
            badge: Some(TierBadge::of(catalog, &risk.tier)),
            urgent: true,
        }
    }
}

/// One reason an enterprise is at risk, as the bureau says it.
pub fn risk_words(reason: &crate::service::risks::Reason) -> String {
    use crate::service::risks::Reason;
    match reason {
        // What is missing, in the bureau's units where the rule gives one.
        Reason::Criteria { gaps } => {
            let missing = gaps.iter().map(|g| g.short_by.as_deref().unwrap_or(&g.description));
            msg::with("risk.criteria", missing.collect::<Vec<_>>().join("；"))
        }
        Reason::Obligation { items, revocation_risk: false } => msg::with("risk.obligation", items.len()),
        Reason::Obligation { items, revocation_risk: true } => msg::with("risk.obligation_revocation", items.len()),
        Reason::Expiring { certificate } => msg::with("risk.expiring", day(certificate.valid_until)),
    }
}

/// A moment on the bureau's wall clock, as people write it.
pub fn local_time(catalog: &Catalog, at: DateTime<Utc>) -> String {
    catalog.local(at).format("%Y-%m-%d %H:%M").to_string()
}

pub fn day(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// A `datetime-local` input's value, on the bureau's wall clock.
pub fn datetime_input(catalog: &Catalog, at: DateTime<Utc>) -> String {
    catalog.local(at).format("%Y-%m-%dT%H:%M").to_string()
}

/// A `datetime-local` input's value as a moment; `None` if it is not one.
pub fn parse_datetime_input(catalog: &Catalog, text: &str) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S"))
        .ok()?;
    catalog.time_zone.from_local_datetime(&local).earliest().map(|at| at.with_timezone(&Utc))
}

/// A `date` input's value; `Err` if something was typed that is not a date.
pub fn parse_date_input(text: &str) -> Result<Option<NaiveDate>, ()> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d").map(Some).map_err(drop)
}

/// One option of a select or a set of checkboxes whose values come from the data or the
/// configuration (rungs, streets, clusters), not from the domain's enums ([`Choice`]).
#[derive(Debug, Clone)]
pub struct Offered {
    pub code: String,
    pub label: String,
    pub selected: bool,
}

/// One option of a select, a radio group or a set of checkboxes.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: &'static str,
    pub label: &'static str,
    pub selected: bool,
}

/// Every value of a domain enum as choices, those in `selected` chosen.
pub fn choices<T: crate::domain::Code>(
    all: &[T],
    label: fn(T) -> &'static str,
    selected: &[impl AsRef<str>],
) -> Vec<Choice> {
    all.iter()
        .map(|&value| Choice {
            value: value.code(),
            label: label(value),
            selected: selected.iter().any(|s| s.as_ref() == value.code()),
        })
        .collect()
}
