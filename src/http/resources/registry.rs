//! `/api/v1/registry`: provincial and national registries feed their certification lists
//! in (API keys with `registry:write`); the use case is [`crate::service::registry_feed`].

use crate::auth::Caller;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Body, IdempotencyKey, parse_json_with_rows, require_json};
use crate::http::{AppState, authorized};
use crate::service::registry_feed::{self as service, BatchOutcome, Call, CertificationBatch};
use actix_web::{HttpRequest, HttpResponse, post, web};
use sha2::{Digest, Sha256};

/// Bytes one call may carry: 10,000 items with long Chinese names fit in well under this.
pub const BODY_LIMIT: usize = 16 * 1024 * 1024;

/// Record a certification list. Send an `Idempotency-Key`: the same key again (also
/// while the first call is still running) returns the first answer and changes nothing.
/// Good items land and bad ones are rejected with their fields; a certificate already
/// recorded counts as `unchanged`.
#[utoipa::path(
    tag = "registry",
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,200}$", description = "Names the call, e.g. a UUID; 1 to 200 visible ASCII characters")),
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
    let fingerprint = Sha256::digest(&body).to_vec();
    let catalog = state.catalog.clone();
    let fed = authorized(&state, caller, move |conn, auth| {
        service::feed(conn, auth, &catalog, &Call { key: &key, fingerprint: &fingerprint }, batch)
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header(("Idempotent-Replayed", fed.replayed.to_string())).json(fed.answer))
}
