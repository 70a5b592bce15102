//! Figures as the bureau's reports give them.

/// `part ÷ whole`, rounded to four places; `None` when there is no whole.
pub fn ratio(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
}
