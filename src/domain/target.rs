//! 年度目标: how a year's target stands against the pace so far.

code_list! {
    /// Where the year ends at the pace so far, against the target.
    pub enum Pace {
        /// The projection reaches the target (or there is none yet).
        OnPace = "on_pace" => "进度正常",
        /// The projection falls short.
        Behind = "behind" => "略有落后",
        /// The projection falls short by more than a fifth.
        FarBehind = "far_behind" => "明显落后",
    }
}

impl Pace {
    /// The verdict on a target of `target` projected to end the year at `projected`.
    pub fn of(target: i32, projected: Option<i64>) -> Self {
        match projected {
            Some(p) if (p as f64) < f64::from(target) * 0.8 => Self::FarBehind,
            Some(p) if p < i64::from(target) => Self::Behind,
            _ => Self::OnPace,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_by_more_than_a_fifth_is_far_behind() {
        assert_eq!(Pace::of(10, None), Pace::OnPace);
        assert_eq!(Pace::of(10, Some(10)), Pace::OnPace);
        assert_eq!(Pace::of(10, Some(9)), Pace::Behind);
        assert_eq!(Pace::of(10, Some(8)), Pace::Behind);
        assert_eq!(Pace::of(10, Some(7)), Pace::FarBehind);
    }
}
