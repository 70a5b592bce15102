//! `/api/v1/registry`: provincial and national registries feed their certification lists
//! in (API keys with `registry:write`).

use crate::auth::Caller;
use crate::db::idempotency::{self, Claim};
use crate::domain::Action;
use crate::domain::listing::{self, BadField, ListedRow};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Body, IDEMPOTENCY_KEY, IdempotencyKey, parse_json_with_rows, require_json};
use crate::http::{AppState, authorized};
use crate::service::certification_lists::{self, Tally};
use crate::service::{FieldError, ServiceError};
use actix_web::{HttpRequest, HttpResponse, post, web};
use diesel::Connection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

/// Items one call may carry.
pub const MAX_ITEMS: usize = 10_000;
/// Bytes one call may carry: 10,000 items with long Chinese names fit in well under this.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

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

impl From<BadField> for FieldError {
    fn from(bad: BadField) -> Self {
        FieldError::new(bad.field, bad.message)
    }
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
            errors.push(FieldError::new("source", "must have 1 to 100 characters"));
        }
        if self.batch.as_ref().is_some_and(|b| b.chars().count() > 100) {
            errors.push(FieldError::new("batch", "must be at most 100 characters"));
        }
        if errors.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(errors)) }
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

/// Record a certification list. Send an `Idempotency-Key`: the same key again (also
/// while the first call is still running) returns the first answer and changes nothing.
/// Good items land and bad ones are rejected with their fields; a certificate already
/// recorded counts as `unchanged`.
#[utoipa::path(
    tag = "registry",
    params(("Idempotency-Key" = String, Header, description = "Names the call, e.g. a UUID; 1 to 200 visible ASCII characters")),
    request_body = CertificationBatch,
    responses(
        (status = 200, description = "Recorded (or, with `Idempotent-Replayed: true`, the answer of the first call with this key)",
            body = BatchOutcome, headers(("Idempotent-Replayed" = String))),
        (status = 400, description = "Not JSON, wrong types, or no Idempotency-Key", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks `registry:write`", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "More than 10,000 items or 16 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad `source` or `batch`, or the Idempotency-Key was used for another body", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/certifications")]
pub async fn certifications(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    IdempotencyKey(key): IdempotencyKey,
    Body(body): Body,
) -> Result<HttpResponse, ApiError> {
    require_json(&request)?;
    let batch: CertificationBatch = parse_json_with_rows(&body, Some("items"))?;
    batch.check_size()?;
    let request_hash = Sha256::digest(&body).to_vec();
    let rows = batch.rows();
    let checked = listing::check_all(rows.iter().enumerate(), "item", &state.catalog.ladder, state.catalog.today());
    let listings = checked.listings;
    let rejected: Vec<RejectedItem> = checked
        .rejected
        .into_iter()
        .map(|(index, fields)| RejectedItem {
            index,
            uscc: rows[index].uscc.clone(),
            errors: fields.into_iter().map(FieldError::from).collect(),
        })
        .collect();
    let catalog = state.catalog.clone();
    let (answer, replayed) = authorized(&state, caller, Action::FeedRegistry, move |conn, auth| {
        let owner =
            auth.audit.actor.id().ok_or_else(|| ServiceError::Forbidden("only a known caller may feed".into()))?;
        conn.transaction(|conn| match idempotency::claim(conn, owner, &key, &request_hash)? {
            Claim::Answered(answer) => Ok((answer, true)),
            Claim::Reused => Err(ServiceError::invalid(IDEMPOTENCY_KEY, "was used for a call with another body")),
            Claim::First => {
                let listings: Vec<_> = listings.into_iter().map(|(_, l)| l).collect();
                let tally =
                    certification_lists::record(conn, &catalog, &auth.audit, &listings, Some(batch.source.trim()))?;
                let answer = serde_json::to_value(BatchOutcome { tally, rejected })
                    .map_err(|e| ServiceError::Internal(e.into()))?;
                idempotency::store(conn, owner, &key, &answer)?;
                Ok((answer, false))
            }
        })
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header(("Idempotent-Replayed", replayed.to_string())).json(answer))
}
