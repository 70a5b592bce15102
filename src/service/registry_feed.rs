//! Registry feeds (认定名单 by API): a provincial or national registry sends a list, named
//! by an idempotency key, so that a retry (also one racing the first call) returns the
//! first answer and changes nothing. Each item is checked on its own: bad ones are
//! rejected with their fields, good ones recorded by [`certification_lists::record`].

use crate::config::Catalog;
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::listing::{self, ListedRow};
use crate::domain::text;
use crate::service::certification_lists::{self, Tally};
use crate::service::once::{Key, Once, at_most_once};
use crate::service::{Authorized, FieldError, ServiceError};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use utoipa::ToSchema;

/// What names a call so that a retry is recognised.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

/// Items one call may carry.
pub const MAX_ITEMS: usize = 10_000;

/// A certification list, or a batch of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationBatch {
    /// Who published the list; recorded as the note of every move it makes.
    #[schema(example = "广东省科学技术厅")]
    pub source: String,
    /// The list's batch (批次), recorded on its certificates.
    #[schema(example = "2025年第一批")]
    pub batch: Option<String>,
    /// At most 10,000.
    pub items: Vec<CertificationItem>,
}

/// One certified enterprise. Fields are checked one by one, so that a bad item is
/// rejected on its own and the good ones land.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CertificationItem {
    /// 统一社会信用代码; enterprises not registered yet are registered, without a street.
    #[serde(default)]
    #[schema(example = "91440300MA5FXX9X4B")]
    pub uscc: String,
    /// 企业名称, used when the enterprise is registered by this item.
    #[serde(default)]
    pub name: String,
    /// Tier code (`hnte`) or its Chinese name (国家高新技术企业).
    #[serde(default)]
    #[schema(example = "hnte")]
    pub tier: String,
    pub certificate_no: Option<String>,
    #[serde(default)]
    #[schema(value_type = String, format = Date)]
    pub effective_on: String,
    /// The last valid day; by default the end of the rung's term.
    #[schema(value_type = Option<String>, format = Date)]
    pub valid_until: Option<String>,
}

/// What a batch did. Every item is counted once: in one of the four counts, or rejected.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchOutcome {
    #[serde(flatten)]
    pub tally: Tally,
    pub rejected: Vec<RejectedItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedItem {
    /// Position in `items`, from 0.
    pub index: usize,
    pub uscc: String,
    pub errors: Vec<FieldError>,
}

impl CertificationBatch {
    fn check_size(&self) -> Result<(), ServiceError> {
        if self.items.len() > MAX_ITEMS {
            return Err(ServiceError::TooLarge(format!(
                "a batch holds at most {MAX_ITEMS} items; this one has {}: split it",
                self.items.len()
            )));
        }
        let mut errors = Vec::new();
        if self.source.trim().is_empty() || self.source.chars().count() > 100 {
            errors.push(FieldError::new("source", Refusal::LengthRequired { max: 100 }));
        }
        if self.batch.as_ref().is_some_and(|b| b.chars().count() > 100) {
            errors.push(FieldError::new("batch", Refusal::LengthAtMost { max: 100 }));
        }
        ServiceError::unless_any(errors)
    }

    fn rows(&self) -> Vec<ListedRow> {
        self.items
            .iter()
            .map(|item| ListedRow {
                uscc: item.uscc.clone(),
                name: item.name.clone(),
                tier: item.tier.clone(),
                certificate_no: item.certificate_no.clone(),
                effective_on: item.effective_on.clone(),
                valid_until: item.valid_until.clone(),
                batch: self.batch.clone(),
            })
            .collect()
    }
}

/// One call of a feed: its idempotency key and a fingerprint of what it sent.
pub struct Call<'a> {
    pub key: &'a str,
    pub fingerprint: &'a [u8],
}

/// What a call answered, and whether that is the stored answer of an earlier call.
pub struct Fed {
    pub answer: serde_json::Value,
    pub replayed: bool,
}

/// Records `batch` once per idempotency key of the caller's.
pub fn feed(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    call: &Call,
    batch: CertificationBatch,
) -> Result<Fed, ServiceError> {
    auth.require(Action::FeedRegistry)?;
    batch.check_size()?;
    let owner = auth.audit.actor.id().ok_or_else(|| ServiceError::Forbidden(Refusal::UsersOnly))?;
    let rows = batch.rows();
    let checked = listing::check_all(rows.iter().enumerate(), "item", &catalog.ladder, catalog.today());
    let rejected: Vec<RejectedItem> = checked
        .rejected
        .into_iter()
        // The answer echoes what was sent, and is kept for replays: NULs are written out.
        .map(|(index, fields)| RejectedItem {
            index,
            uscc: text::shown(&rows[index].uscc),
            errors: fields.into_iter().map(|bad| FieldError::new(text::shown(bad.field), bad.refusal)).collect(),
        })
        .collect();
    let key = Key { owner, key: call.key, fingerprint: call.fingerprint };
    let reused = || ServiceError::invalid(IDEMPOTENCY_KEY, Refusal::KeyReused);
    let fed = at_most_once(conn, &key, reused, |conn| {
        let listings: Vec<_> = checked.listings.into_iter().map(|(_, l)| l).collect();
        let tally = certification_lists::record(conn, catalog, &auth.audit, &listings, Some(batch.source.trim()))?;
        let answer =
            serde_json::to_value(BatchOutcome { tally, rejected }).map_err(|e| ServiceError::Internal(e.into()))?;
        Ok(Ok::<_, Infallible>(answer))
    })?;
    Ok(match fed {
        Once::Done(answer) => Fed { answer, replayed: false },
        Once::Before(answer) => Fed { answer, replayed: true },
        Once::Declined(never) => match never {},
    })
}
