//! 晋级 and 降级: how an enterprise moves on the ladder, and why.
//!
//! An enterprise stands on the highest rung among the certificates it holds
//! ([`Ladder::standing`]). Every move is a history row of one [`ChangeKind`]; these rules
//! decide which moves are allowed, apart from storage and HTTP.

use crate::domain::{Ladder, Tier};
use chrono::NaiveDate;

code_list! {
    pub enum ChangeKind {
        /// Up to a higher rung, with a certificate for it.
        Promotion = "promotion" => "晋级",
        /// Down, ending the certificates above the new rung.
        Demotion = "demotion" => "降级",
        /// A certificate granted without moving the tier: the current rung certified again
        /// (国高 every three years), or a lower rung held beside a higher one.
        Certification = "certification" => "认定",
    }
}

code_list! {
    /// Where a move came from.
    pub enum Source {
        /// Recorded by hand at the bureau.
        Manual = "manual" => "手工录入",
        /// Fed in from a provincial or national list.
        Registry = "registry" => "认定名单",
        /// An approved application (申报).
        Application = "application" => "申报",
        /// A certificate lapsed.
        Expiry = "expiry" => "到期",
    }
}

code_list! {
    pub enum DemotionReason {
        /// The certificate reached the end of its term.
        Expired = "expired" => "到期",
        /// Withdrawn by the authority (取消资格).
        Revoked = "revoked" => "取消资格",
        /// Moved out of the district.
        MovedOut = "moved_out" => "迁出",
        Other = "other" => "其他",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoveError {
    /// A promotion to the rung it is on, or below (409: someone else may have just moved it).
    #[error("the enterprise already stands at `{current}`; a promotion must go above it")]
    NotUpward { current: String },
    #[error("the enterprise stands at `{current}`; a demotion must go below it")]
    NotDownward { current: String },
    /// A demotion to a rung it holds no certificate for (422 on `to_tier`).
    #[error("the enterprise holds no `{to}` certificate: below `{current}` it would stand at `{would_stand}`")]
    NotHeld { to: String, current: String, would_stand: String },
}

/// What granting a certificate for `to` does to an enterprise at `current`. By hand a
/// certificate must promote (the contract's 409); an approved application or a registry
/// list may also certify the current rung again, or a lower one.
pub fn grant(current: &Tier, to: &Tier, source: Source) -> Result<ChangeKind, MoveError> {
    if to > current {
        Ok(ChangeKind::Promotion)
    } else if source == Source::Manual {
        Err(MoveError::NotUpward { current: current.code().to_owned() })
    } else {
        Ok(ChangeKind::Certification)
    }
}

/// Why a certificate's term cannot be recorded (422 on `valid_until`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    #[error("must not be before effective_on")]
    BeforeEffective,
    #[error("{0} has passed: the certificate has lapsed")]
    Lapsed(NaiveDate),
}

/// The last valid day of a certificate for `tier` issued on `effective_on`: the day
/// `given`, else the end of the rung's term (`None` for a rung without one). A
/// certificate that has already lapsed by `today` is not recorded: it would be ended at once.
pub fn valid_until(
    ladder: &Ladder,
    tier: &Tier,
    effective_on: NaiveDate,
    given: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<Option<NaiveDate>, TermError> {
    let until = given.or_else(|| ladder.term_end(tier, effective_on));
    match until {
        Some(until) if until < effective_on => Err(TermError::BeforeEffective),
        Some(until) if until < today => Err(TermError::Lapsed(until)),
        _ => Ok(until),
    }
}

/// Checks a demotion of an enterprise at `current` to `to`, given the rungs of the
/// certificates it holds: every certificate above `to` ends, and it must then stand at `to`.
pub fn demotion<'a>(
    ladder: &Ladder,
    current: &Tier,
    to: &Tier,
    held: impl IntoIterator<Item = &'a str>,
) -> Result<(), MoveError> {
    if to >= current {
        return Err(MoveError::NotDownward { current: current.code().to_owned() });
    }
    let remaining = ladder.standing(held.into_iter().filter(|code| ladder.tier(code).is_ok_and(|t| t <= *to)));
    if remaining != *to {
        return Err(MoveError::NotHeld {
            to: to.code().to_owned(),
            current: current.code().to_owned(),
            would_stand: remaining.code().to_owned(),
        });
    }
    Ok(())
}

impl MoveError {
    /// The refusal it is, its rungs named as `ladder` names them.
    pub fn refusal(&self, ladder: &Ladder) -> crate::domain::Refusal {
        use crate::domain::Refusal;
        match self {
            Self::NotUpward { current } => Refusal::NotUpward { current: ladder.word(current) },
            Self::NotDownward { current } => Refusal::NotDownward { current: ladder.word(current) },
            Self::NotHeld { to, current, would_stand } => Refusal::NotHeld {
                to: ladder.word(to),
                current: ladder.word(current),
                would_stand: ladder.word(would_stand),
            },
        }
    }
}

/// The longest look ahead for lapsing certificates a list or report takes: one term.
pub const MAX_EXPIRY_WINDOW_DAYS: u32 = 1095;

/// Today and the day `days` ahead (1 to [`MAX_EXPIRY_WINDOW_DAYS`]): certificates whose
/// last valid day falls between them are expiring.
pub fn expiry_window(today: NaiveDate, days: u32) -> Result<(NaiveDate, NaiveDate), crate::domain::Refusal> {
    if (1..=MAX_EXPIRY_WINDOW_DAYS).contains(&days) {
        Ok((today, today + chrono::Days::new(u64::from(days))))
    } else {
        Err(crate::domain::Refusal::Between { min: 1, max: MAX_EXPIRY_WINDOW_DAYS.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rung;

    fn ladder() -> Ladder {
        let rung = |code: &str| Rung { code: code.into(), label: code.into(), ..Rung::default() };
        Ladder::new(vec![rung("prospect"), rung("tech_sme"), rung("hnte_pool"), rung("hnte"), rung("srdi")])
            .expect("valid ladder")
    }

    #[test]
    fn by_hand_a_certificate_must_promote() {
        let ladder = ladder();
        let tier = |code| ladder.tier(code).expect("known");
        assert_eq!(grant(&tier("tech_sme"), &tier("hnte"), Source::Manual), Ok(ChangeKind::Promotion));
        assert_eq!(
            grant(&tier("hnte"), &tier("hnte"), Source::Manual),
            Err(MoveError::NotUpward { current: "hnte".into() })
        );
        assert!(grant(&tier("srdi"), &tier("hnte"), Source::Manual).is_err());
        // 国高 certified again, or a 专精特新 enterprise granted 国高 beside it.
        assert_eq!(grant(&tier("hnte"), &tier("hnte"), Source::Application), Ok(ChangeKind::Certification));
        assert_eq!(grant(&tier("srdi"), &tier("hnte"), Source::Registry), Ok(ChangeKind::Certification));
    }

    #[test]
    fn a_demotion_goes_down_to_a_rung_still_held() {
        let ladder = ladder();
        let tier = |code| ladder.tier(code).expect("known");
        let held = ["tech_sme", "hnte", "srdi"];
        assert_eq!(demotion(&ladder, &tier("srdi"), &tier("hnte"), held), Ok(()));
        assert_eq!(demotion(&ladder, &tier("srdi"), &tier("prospect"), held), Ok(()), "the base is always held");
        assert_eq!(
            demotion(&ladder, &tier("srdi"), &tier("hnte_pool"), held),
            Err(MoveError::NotHeld { to: "hnte_pool".into(), current: "srdi".into(), would_stand: "tech_sme".into() })
        );
        assert_eq!(
            demotion(&ladder, &tier("hnte"), &tier("srdi"), held),
            Err(MoveError::NotDownward { current: "hnte".into() })
        );
    }

    #[test]
    fn codes_round_trip() {
        for kind in ChangeKind::ALL {
            assert_eq!(ChangeKind::try_from(kind.as_str().to_owned()), Ok(kind));
        }
        assert_eq!(Source::try_from("expiry".to_owned()), Ok(Source::Expiry));
        assert_eq!(DemotionReason::try_from("moved_out".to_owned()), Ok(DemotionReason::MovedOut));
    }
}
