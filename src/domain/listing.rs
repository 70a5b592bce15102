//! 认定名单: the certification lists registries publish and districts keep in
//! spreadsheets. A row arrives as text (a JSON item or a spreadsheet row); [`ListedRow::check`]
//! turns it into a [`Listing`] or names every bad field, so that one bad row never
//! stops the good ones.

use crate::domain::certification::{self, TermError};
use crate::domain::{Ladder, Tier, Uscc};
use crate::domain::{Refusal, text};
use chrono::NaiveDate;
use std::collections::HashMap;

/// One row of a list, as received.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListedRow {
    pub uscc: String,
    pub name: String,
    /// A tier code (`hnte`) or its Chinese name (国家高新技术企业).
    pub tier: String,
    pub certificate_no: Option<String>,
    pub effective_on: String,
    pub valid_until: Option<String>,
    pub batch: Option<String>,
}

/// A row that checked out: a certificate to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listing {
    pub uscc: String,
    pub name: String,
    pub tier: Tier,
    pub certificate_no: Option<String>,
    pub effective_on: NaiveDate,
    /// The given last valid day, else the end of the rung's term.
    pub valid_until: Option<NaiveDate>,
    pub batch: Option<String>,
}

impl Listing {
    /// What makes two listings the same certificate: a list repeated, or sent again.
    pub fn identity(&self) -> (&str, &str, NaiveDate) {
        (&self.uscc, self.tier.code(), self.effective_on)
    }
}

/// A field of a row that is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadField {
    /// The field's API name (`uscc`, `effective_on`, …).
    pub field: &'static str,
    pub refusal: Refusal,
}

impl BadField {
    fn new(field: &'static str, refusal: impl Into<Refusal>) -> Self {
        Self { field, refusal: refusal.into() }
    }
}

const MAX_NAME: usize = 200;
const MAX_CODE: usize = 100;

impl ListedRow {
    /// Checks every field against the ladder and the bureau's `today`.
    pub fn check(&self, ladder: &Ladder, today: NaiveDate) -> Result<Listing, Vec<BadField>> {
        let texts = [
            ("uscc", Some(&self.uscc)),
            ("name", Some(&self.name)),
            ("tier", Some(&self.tier)),
            ("certificate_no", self.certificate_no.as_ref()),
            ("effective_on", Some(&self.effective_on)),
            ("valid_until", self.valid_until.as_ref()),
            ("batch", self.batch.as_ref()),
        ];
        let unstorable: Vec<BadField> = texts
            .into_iter()
            .filter(|(_, text)| text.is_some_and(|t| !text::storable(t)))
            .map(|(field, _)| BadField::new(field, Refusal::Unstorable))
            .collect();
        if !unstorable.is_empty() {
            return Err(unstorable);
        }
        let mut bad = Vec::new();
        let uscc = Uscc::parse(&self.uscc).map_err(|e| bad.push(BadField::new("uscc", e))).ok();
        let name = self.name.trim();
        if name.is_empty() {
            bad.push(BadField::new("name", Refusal::Required));
        } else if name.chars().count() > MAX_NAME {
            bad.push(BadField::new("name", Refusal::LengthAtMost { max: MAX_NAME as u64 }));
        }
        let tier = match ladder.find(&self.tier) {
            Ok(tier) if tier == ladder.base() => {
                bad.push(BadField::new("tier", Refusal::BaseHasNoCertificate));
                None
            }
            Ok(tier) => Some(tier),
            Err(e) => {
                bad.push(BadField::new("tier", e));
                None
            }
        };
        let effective_on = date(&self.effective_on).map_err(|e| bad.push(BadField::new("effective_on", e))).ok();
        if effective_on.is_some_and(|on| on > today) {
            bad.push(BadField::new("effective_on", Refusal::InTheFuture));
        }
        let given = self.valid_until.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let valid_until = given.map(date).transpose().map_err(|e| bad.push(BadField::new("valid_until", e))).ok();
        let certificate_no = optional(self.certificate_no.as_deref());
        let batch = optional(self.batch.as_deref());
        for (field, text) in [("certificate_no", &certificate_no), ("batch", &batch)] {
            if text.as_ref().is_some_and(|t| t.chars().count() > MAX_CODE) {
                bad.push(BadField::new(field, Refusal::LengthAtMost { max: MAX_CODE as u64 }));
            }
        }
        let (Some(uscc), Some(tier), Some(effective_on), Some(valid_until), true) =
            (uscc, tier, effective_on, valid_until, bad.is_empty())
        else {
            return Err(bad);
        };
        let valid_until = certification::valid_until(ladder, &tier, effective_on, valid_until, today)
            .map_err(|e: TermError| vec![BadField::new("valid_until", e)])?;
        Ok(Listing {
            uscc: uscc.into_string(),
            name: name.to_owned(),
            tier,
            certificate_no,
            effective_on,
            valid_until,
            batch,
        })
    }
}

fn optional(text: Option<&str>) -> Option<String> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// A day as lists write it: 2024-05-06, 2024/5/6, 2024.5.6 or 2024年5月6日.
pub fn date(text: &str) -> Result<NaiveDate, Refusal> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Refusal::Required);
    }
    ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
        .ok_or_else(|| Refusal::NotADate { text: text.to_owned() })
}

/// The rows of a list, checked: each with its row's index.
#[derive(Debug, Default)]
pub struct Checked {
    pub listings: Vec<(usize, Listing)>,
    pub rejected: Vec<(usize, Vec<BadField>)>,
}

/// Checks every row of a list, each numbered as the caller counts them (`numbered`: what
/// a number names, "item" or "row"). A certificate listed twice is recorded once: the
/// repeats are rejected, naming the one they repeat.
pub fn check_all<'a>(
    rows: impl IntoIterator<Item = (usize, &'a ListedRow)>,
    numbered: &str,
    ladder: &Ladder,
    today: NaiveDate,
) -> Checked {
    let (mut good, mut bad) = (Vec::<(usize, Listing)>::new(), Vec::new());
    let mut first: HashMap<(String, String, NaiveDate), usize> = HashMap::new();
    for (index, row) in rows {
        match row.check(ladder, today) {
            Ok(listing) => {
                let (uscc, tier, on) = listing.identity();
                match first.get(&(uscc.to_owned(), tier.to_owned(), on)) {
                    Some(earlier) => bad.push((
                        index,
                        vec![BadField::new(
                            "uscc",
                            Refusal::RepeatsRow { of: numbered.to_owned(), row: *earlier as u64 },
                        )],
                    )),
                    None => {
                        first.insert((uscc.to_owned(), tier.to_owned(), on), index);
                        good.push((index, listing));
                    }
                }
            }
            Err(fields) => bad.push((index, fields)),
        }
    }
    Checked { listings: good, rejected: bad }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Rung;
    use crate::domain::uscc::check_character;

    fn ladder() -> Ladder {
        let rung = |code: &str, label: &str, years| Rung {
            code: code.into(),
            label: label.into(),
            validity_years: years,
            ..Rung::default()
        };
        Ladder::new(vec![rung("prospect", "未入库", None), rung("hnte", "国家高新技术企业", Some(3))])
            .expect("valid ladder")
    }

    fn uscc(serial: u32) -> String {
        let first17 = format!("91440300{serial:09}");
        format!("{first17}{}", check_character(first17.as_bytes()).expect("digits"))
    }

    fn row(uscc: String, tier: &str, effective_on: &str) -> ListedRow {
        ListedRow {
            uscc,
            name: " 深圳市星河科技有限公司 ".into(),
            tier: tier.into(),
            effective_on: effective_on.into(),
            ..ListedRow::default()
        }
    }

    const TODAY: NaiveDate = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");

    #[test]
    fn a_good_row_takes_its_term_from_the_rung() {
        let listing = row(uscc(1), "国家高新技术企业", "2025/12/1").check(&ladder(), TODAY).expect("good");
        assert_eq!(listing.tier.code(), "hnte");
        assert_eq!(listing.name, "深圳市星河科技有限公司");
        assert_eq!(listing.valid_until, NaiveDate::from_ymd_opt(2028, 11, 30));
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut bad = row("91440300000000001X".into(), "unicorn", "2025-02-30");
        bad.name = "  ".into();
        let fields: Vec<_> = bad.check(&ladder(), TODAY).expect_err("bad").into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["uscc", "name", "tier", "effective_on"]);
        let lapsed = ListedRow { valid_until: Some("2026-01-01".into()), ..row(uscc(2), "hnte", "2023-01-01") };
        assert_eq!(lapsed.check(&ladder(), TODAY).expect_err("lapsed")[0].field, "valid_until");
        assert_eq!(row(uscc(3), "prospect", "2025-01-01").check(&ladder(), TODAY).expect_err("base")[0].field, "tier");
    }

    #[test]
    fn a_repeated_certificate_is_recorded_once() {
        let rows = [
            row(uscc(1), "hnte", "2025-12-01"),
            row(uscc(1), "hnte", "2025-12-01"),
            row(uscc(1), "hnte", "2024-12-01"),
        ];
        let Checked { listings: good, rejected: bad } = check_all(rows.iter().enumerate(), "item", &ladder(), TODAY);
        assert_eq!(good.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [0, 2]);
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].0, 1);
        assert_eq!(bad[0].1[0].refusal.to_string(), "repeats the certificate of item 0");
    }
}
