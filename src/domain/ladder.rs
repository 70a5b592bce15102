//! The ladder of tiers an enterprise climbs. It is configuration (`config/tiers.toml`),
//! not code: a bureau may add rungs such as 单项冠军 without a release, so a tier is a
//! code checked against the configured ladder rather than a closed Rust enum.

use chrono::{Datelike, Months, NaiveDate};
use serde::Deserialize;
use std::cmp::Ordering;
use std::collections::HashSet;

/// Every ladder starts here: known to the bureau, on no list yet.
pub const BASE_TIER: &str = "prospect";

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rung {
    /// API value, e.g. `hnte`.
    pub code: String,
    /// Chinese name shown to people, e.g. 国家高新技术企业.
    pub label: String,
    /// How long a certificate for this rung lasts; `None` for rungs without one.
    #[serde(default)]
    pub validity_years: Option<u32>,
    /// Visit cadence: an enterprise on this rung should be visited at least once in this
    /// many days (`None`: no expectation).
    #[serde(default)]
    pub visit_every_days: Option<u32>,
    /// The criteria of the rung's own rules that keep it: an enterprise on the rung whose
    /// latest figures fail one of them is at risk of losing it (国高: high-tech income
    /// share, R&D ratio, tech-staff share).
    #[serde(default)]
    pub keep_criteria: Vec<String>,
    /// Shown on an enterprise whose certificate for the rung ends this year (国高: the 15%
    /// rate already prepaid is kept only if re-certified by 31 December).
    #[serde(default)]
    pub last_year_warning: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ladder {
    /// Lowest first; a rung's index is its rank.
    rungs: Vec<Rung>,
}

/// A tier code known to be on the ladder it was checked against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Tier {
    code: String,
    rank: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LadderError {
    #[error("the ladder must start with the `{BASE_TIER}` rung")]
    MissingBase,
    #[error("tier code `{0}` appears twice")]
    Duplicate(String),
    #[error("tier code `{0}` must be lower-case letters, digits and underscores")]
    BadCode(String),
    #[error("tier `{0}` needs a label")]
    MissingLabel(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown tier `{code}`; the ladder is {known}")]
pub struct UnknownTier {
    pub code: String,
    pub known: String,
}

fn is_code(code: &str) -> bool {
    code.starts_with(|c: char| c.is_ascii_lowercase())
        && code.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Ladder {
    pub fn new(rungs: Vec<Rung>) -> Result<Self, LadderError> {
        if rungs.first().map(|r| r.code.as_str()) != Some(BASE_TIER) {
            return Err(LadderError::MissingBase);
        }
        let mut seen = HashSet::new();
        for rung in &rungs {
            if !is_code(&rung.code) {
                return Err(LadderError::BadCode(rung.code.clone()));
            }
            if rung.label.trim().is_empty() {
                return Err(LadderError::MissingLabel(rung.code.clone()));
            }
            if !seen.insert(rung.code.as_str()) {
                return Err(LadderError::Duplicate(rung.code.clone()));
            }
        }
        Ok(Self { rungs })
    }

    pub fn rungs(&self) -> &[Rung] {
        &self.rungs
    }

    pub fn base(&self) -> Tier {
        Tier { code: BASE_TIER.to_owned(), rank: 0 }
    }

    pub fn tier(&self, code: &str) -> Result<Tier, UnknownTier> {
        self.rungs.iter().position(|r| r.code == code).map(|rank| Tier { code: code.to_owned(), rank }).ok_or_else(
            || UnknownTier {
                code: code.to_owned(),
                known: self.rungs.iter().map(|r| r.code.as_str()).collect::<Vec<_>>().join(", "),
            },
        )
    }

    /// A tier named by its code (`hnte`) or by its Chinese name (国家高新技术企业), as
    /// spreadsheets name it.
    pub fn find(&self, name: &str) -> Result<Tier, UnknownTier> {
        let name = name.trim();
        match self.rungs.iter().find(|r| r.label == name) {
            Some(rung) => self.tier(&rung.code),
            None => self.tier(name),
        }
    }

    pub fn rung(&self, tier: &Tier) -> &Rung {
        &self.rungs[tier.rank]
    }

    /// Where a tier code sorts in reports, lowest rung first; codes no longer on the
    /// ladder sort last.
    pub fn rank(&self, code: &str) -> usize {
        self.rungs.iter().position(|r| r.code == code).unwrap_or(usize::MAX)
    }

    /// A tier code as a refusal names it: the code, and its label where the ladder has one.
    pub fn word(&self, code: &str) -> crate::domain::Word {
        crate::domain::Word::of(code, self.label(code).unwrap_or(code))
    }

    /// The Chinese name of a tier code; `None` for a code no longer on the ladder.
    pub fn label(&self, code: &str) -> Option<&str> {
        self.rungs.iter().find(|r| r.code == code).map(|r| r.label.as_str())
    }

    /// Where an enterprise stands: the highest rung among the certificates it holds, or
    /// the base. A code no longer on the ladder (a rung a bureau removed) counts for nothing.
    pub fn standing<'a>(&self, held: impl IntoIterator<Item = &'a str>) -> Tier {
        held.into_iter().filter_map(|code| self.tier(code).ok()).max().unwrap_or_else(|| self.base())
    }

    /// The last day a certificate for `tier` issued on `effective_on` is valid, by the
    /// rung's term: a 3-year 国高 certificate from 2023-12-12 holds through 2026-12-11.
    /// `None` for rungs without a term.
    pub fn term_end(&self, tier: &Tier, effective_on: NaiveDate) -> Option<NaiveDate> {
        let years = self.rung(tier).validity_years?;
        let anniversary = effective_on.checked_add_months(Months::new(years.checked_mul(12)?))?;
        // From 29 February the months land on the 28th, the last day of a month whose
        // anniversary is really 1 March: that day is still valid.
        if anniversary.day() == effective_on.day() { anniversary.pred_opt() } else { Some(anniversary) }
    }
}

impl Tier {
    pub fn code(&self) -> &str {
        &self.code
    }
}

/// Tiers order by their place on the ladder, not by their codes.
impl PartialOrd for Tier {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Tier {
    fn cmp(&self, other: &Self) -> Ordering {
        self.rank.cmp(&other.rank)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rung(code: &str, label: &str) -> Rung {
        Rung {
            code: code.into(),
            label: label.into(),
            validity_years: None,
            visit_every_days: None,
            keep_criteria: vec![],
            last_year_warning: None,
        }
    }

    fn ladder() -> Ladder {
        Ladder::new(vec![rung("prospect", "未入库"), rung("tech_sme", "科技型中小企业"), rung("hnte", "国高")])
            .expect("valid ladder")
    }

    #[test]
    fn tiers_order_by_rank() {
        let ladder = ladder();
        let hnte = ladder.tier("hnte").expect("known");
        let sme = ladder.tier("tech_sme").expect("known");
        assert!(ladder.base() < sme && sme < hnte);
        assert_eq!(ladder.rung(&hnte).label, "国高");
        assert_eq!((ladder.label("hnte"), ladder.label("unicorn")), (Some("国高"), None));
    }

    #[test]
    fn standing_is_the_highest_rung_held() {
        let ladder = ladder();
        assert_eq!(ladder.standing(["tech_sme", "hnte"]).code(), "hnte");
        assert_eq!(ladder.standing(["hnte", "tech_sme"]).code(), "hnte");
        assert_eq!(ladder.standing([]).code(), "prospect");
        assert_eq!(ladder.standing(["unicorn", "tech_sme"]).code(), "tech_sme", "removed rungs count for nothing");
    }

    #[test]
    fn a_term_ends_the_day_before_its_anniversary() {
        let ladder =
            Ladder::new(vec![rung("prospect", "未入库"), Rung { validity_years: Some(3), ..rung("hnte", "国高") }])
                .expect("valid ladder");
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let hnte = ladder.tier("hnte").expect("known");
        assert_eq!(ladder.term_end(&hnte, day(2023, 12, 12)), Some(day(2026, 12, 11)));
        assert_eq!(ladder.term_end(&hnte, day(2024, 2, 29)), Some(day(2027, 2, 28)), "no 29th in 2027");
        assert_eq!(ladder.term_end(&hnte, day(2021, 3, 1)), Some(day(2024, 2, 29)));
        assert_eq!(ladder.term_end(&ladder.base(), day(2023, 12, 12)), None);
    }

    #[test]
    fn unknown_tier_lists_the_ladder() {
        let err = ladder().tier("unicorn").expect_err("unknown");
        assert_eq!(err.to_string(), "unknown tier `unicorn`; the ladder is prospect, tech_sme, hnte");
    }

    #[test]
    fn rejects_malformed_ladders() {
        assert_eq!(Ladder::new(vec![rung("hnte", "国高")]), Err(LadderError::MissingBase));
        assert_eq!(
            Ladder::new(vec![rung("prospect", "未入库"), rung("prospect", "x")]),
            Err(LadderError::Duplicate("prospect".into()))
        );
        assert_eq!(
            Ladder::new(vec![rung("prospect", "未入库"), rung("Hnte", "国高")]),
            Err(LadderError::BadCode("Hnte".into()))
        );
        assert_eq!(Ladder::new(vec![rung("prospect", " ")]), Err(LadderError::MissingLabel("prospect".into())));
    }
}
