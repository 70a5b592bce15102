//! Extractors whose failures are problem+json naming the offending field, where actix's
//! own would answer in plain text without saying which field was wrong.

use crate::auth::tokens::AccessTokens;
use crate::auth::{API_KEY_PREFIX, Caller, Credentials};
use crate::domain::Refusal;
use crate::domain::text;
use crate::http::AppState;
use crate::http::problem::ApiError;
use crate::service::registry_feed::IDEMPOTENCY_KEY;
use crate::service::{BasedOn, FieldError, ServiceError};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::{LocalBoxFuture, Ready, ready};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use tracing_actix_web::RequestId;

/// A JSON body, read up to the configured size limit (413 beyond it).
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = require_json(req);
        let body = Body::from_request(req, payload);
        Box::pin(async move {
            json?;
            parse_json(&body.await?.0).map(Json)
        })
    }
}

/// A JSON operation takes `application/json` (or a `+json` type) and nothing else: 415.
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let media = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json")) {
        Ok(())
    } else {
        let given = if essence.is_empty() { "no Content-Type".to_owned() } else { format!("`{essence}`") };
        Err(ApiError::UnsupportedMediaType(format!(
            "the body must be JSON (Content-Type: application/json), not {given}"
        )))
    }
}

/// How long a body may take to arrive once its headers have: a client that stops short of
/// its `Content-Length` is answered 408 rather than holding a connection and a worker.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The size limit of request bodies under a scope that takes more than the configured
/// `json_limit_bytes` (bulk endpoints), as that scope's `app_data`.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimit(pub usize);

/// A request body as bytes, read up to the route's limit (413 beyond it): for handlers
/// that need the bytes themselves, such as to recognise a retried call.
pub struct Body(pub web::Bytes);

impl FromRequest for Body {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<BodyLimit>()
            .map(|l| l.0)
            .or_else(|| req.app_data::<web::Data<AppState>>().map(|s| s.json_limit))
            .unwrap_or(64 * 1024);
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|length| length > limit) {
                return Err(ApiError::PayloadTooLarge(format!("the request body is larger than {limit} bytes")));
            }
            let read = async {
                let mut body = web::BytesMut::new();
                while let Some(chunk) = payload.next().await {
                    let chunk =
                        chunk.map_err(|e| ApiError::bad_request(format!("could not read the request body: {e}")))?;
                    if body.len() + chunk.len() > limit {
                        return Err(ApiError::PayloadTooLarge(format!(
                            "the request body is larger than {limit} bytes"
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(Body(body.freeze()))
            };
            actix_web::rt::time::timeout(BODY_TIMEOUT, read).await.map_err(|_| ApiError::RequestTimeout)?
        })
    }
}

/// Parses a JSON body, naming the field that does not fit (see [`shape_error`]) or that
/// holds text PostgreSQL cannot store (422).
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    parse_json_with_rows(body, None)
}

/// [`parse_json`] for a batch whose rows (under the top-level field `rows`) are checked
/// one by one, so that one row's unstorable text rejects that row, not the batch.
pub fn parse_json_with_rows<T: DeserializeOwned>(body: &[u8], rows: Option<&str>) -> Result<T, ApiError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))?;
    whole_numbers(&mut value);
    let mut unstorable = Vec::new();
    nul_fields(&value, String::new(), rows, &mut unstorable);
    if !unstorable.is_empty() {
        return Err(ServiceError::Invalid(unstorable).into());
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        shape_error(&path, &e.into_inner().to_string())
    })
}

/// `1.0` read as `1`: JSON has one kind of number and JSON Schema calls `1.0` an integer,
/// as the document's clients may send it; serde would refuse it for an integer field.
/// Only whole numbers that a double holds exactly, so no value changes.
fn whole_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        Value::Number(number) if number.is_f64() => {
            if let Some(whole) = number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() <= EXACT) {
                // Within ±2^53 the cast is exact.
                #[allow(clippy::cast_possible_truncation)]
                let whole = whole as i64;
                *number = serde_json::Number::from(whole);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        Value::Object(fields) => fields.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// Every string (or key) in `value` that holds a NUL, by its path; not below `rows`.
fn nul_fields(value: &serde_json::Value, path: String, rows: Option<&str>, out: &mut Vec<FieldError>) {
    use serde_json::Value;
    let within = |key: &str| if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
    match value {
        Value::String(text) if !text::storable(text) => out.push(FieldError::new(path, Refusal::Unstorable)),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                nul_fields(item, format!("{path}[{index}]"), rows, out);
            }
        }
        Value::Object(fields) => {
            for (key, field) in fields {
                if !text::storable(key) {
                    out.push(FieldError::new(within(&text::shown(key)), Refusal::Unstorable));
                } else if !(path.is_empty() && rows == Some(key.as_str())) {
                    nul_fields(field, within(key), rows, out);
                }
            }
        }
        _ => {}
    }
}

/// A value of the wrong type or an unknown field: 400. A missing field, or a string that
/// is not one of the allowed values: 422. Both name the field.
fn shape_error(path: &str, message: &str) -> ApiError {
    // serde reports a missing field at the level of the enclosing object, naming it in
    // backticks: "missing field `uscc`"; likewise "unknown field `tier`, expected ...".
    let message = message.split(" at line ").next().unwrap_or(message);
    let named = |prefix: &str| message.strip_prefix(prefix).and_then(|rest| rest.split('`').next());
    let within = |name: &str| if path == "." { name.to_owned() } else { format!("{path}.{name}") };
    if let Some(name) = named("missing field `") {
        return ServiceError::invalid(within(name), Refusal::Required).into();
    }
    // An unknown key is already the last segment of the path, except at the top level.
    let field = match named("unknown field `") {
        Some(name) if path == "." => name.to_owned(),
        _ => path.to_owned(),
    };
    value_error(field, message)
}

/// A field that did not deserialize: 422 when its value is not one of an enumeration's
/// (the type was right, the value is not allowed), 400 otherwise.
fn value_error(field: String, message: &str) -> ApiError {
    if message.starts_with("unknown variant") {
        return ServiceError::invalid(field, Refusal::Malformed { detail: message.to_owned() }).into();
    }
    ApiError::BadRequest {
        detail: format!("the request does not have the expected shape: {field}: {message}"),
        errors: vec![FieldError::new(field, Refusal::Malformed { detail: message.to_owned() })],
    }
}

/// Query parameters, with the parameter named when one does not parse.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let pairs = form_urlencoded::parse(req.query_string().as_bytes());
        if let Some((name, _)) = pairs.clone().find(|(name, value)| !text::storable(name) || !text::storable(value)) {
            let name = text::shown(&name);
            return ready(Err(ApiError::BadRequest {
                detail: format!("the query parameter {name} {}", Refusal::Unstorable),
                errors: vec![FieldError::new(name, Refusal::Unstorable)],
            }));
        }
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        ready(serde_path_to_error::deserialize(deserializer).map(Query).map_err(|e| {
            let path = e.path().to_string();
            shape_error(&path, &e.into_inner().to_string())
        }))
    }
}

/// The caller: a verified access token's claims or an API key still to be looked up.
/// Missing, malformed, forged or expired credentials fail extraction (401).
impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let request_id = RequestId::extract(req).into_inner().ok().map(Into::into);
        ready(credentials(req).map(|credentials| Caller::new(credentials, request_id)).map_err(Into::into))
    }
}

fn credentials(req: &HttpRequest) -> Result<Credentials, ServiceError> {
    let header = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ServiceError::Unauthorized("sign in: send Authorization: Bearer <token>".into()))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .ok_or_else(|| ServiceError::Unauthorized("the Authorization header must be `Bearer <token>`".into()))?;
    if token.starts_with(API_KEY_PREFIX) {
        return Ok(Credentials::ApiKey(token.to_owned()));
    }
    let tokens = req
        .app_data::<web::Data<AccessTokens>>()
        .ok_or_else(|| ServiceError::Internal(anyhow::anyhow!("access tokens are not configured")))?;
    tokens
        .verify(token)
        .map(Credentials::User)
        .map_err(|e| ServiceError::Unauthorized(format!("the access token is not valid: {e}")))
}

/// The `If-Match` precondition of an update: the versions (ETags) the change is based on.
pub struct IfMatch(String);

impl IfMatch {
    /// The versions the header names: `*` is any; a tag that is no strong version tag
    /// (a weak one, say) matches none, as If-Match's strong comparison requires.
    pub fn based_on(&self) -> BasedOn {
        let tags: Vec<&str> = self.0.split(',').map(str::trim).collect();
        if tags.contains(&"*") {
            return BasedOn::Any;
        }
        let version = |tag: &str| tag.strip_prefix('"')?.strip_suffix('"')?.parse::<i32>().ok();
        BasedOn::Versions(tags.into_iter().filter_map(version).collect())
    }
}

impl FromRequest for IfMatch {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let value = req.headers().get(header::IF_MATCH).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        ready(value.map(IfMatch).ok_or(ApiError::PreconditionRequired))
    }
}

/// Tells a field given as `null` (`Some(None)`) from an absent one (`None`), for
/// partial updates: `#[serde(default, deserialize_with = "present")]`.
pub fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The `Idempotency-Key` header of a call that must not take effect twice: 1 to 200
/// visible ASCII characters (a UUID, say). Missing or malformed: 400 naming the header.
pub struct IdempotencyKey(pub String);

impl FromRequest for IdempotencyKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let bad = |message: &str| ApiError::BadRequest {
            detail: format!("{IDEMPOTENCY_KEY} {message}"),
            errors: vec![FieldError::new(IDEMPOTENCY_KEY, Refusal::Malformed { detail: message.to_owned() })],
        };
        let key = match req.headers().get(IDEMPOTENCY_KEY).map(|v| v.to_str()) {
            None => Err(bad("is required: name the call so that a retry cannot apply it twice")),
            Some(Ok(key)) if (1..=200).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) => {
                Ok(Self(key.to_owned()))
            }
            Some(_) => Err(bad("must be 1 to 200 visible ASCII characters")),
        };
        ready(key)
    }
}

/// The strong entity tag of a version.
pub fn etag(version: i32) -> String {
    format!("\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_accepts_the_current_version_or_star() {
        let check = |header: &str, current| IfMatch(header.into()).based_on().check(current);
        assert!(check("\"3\"", 3).is_ok());
        assert!(check("\"1\", \"3\"", 3).is_ok());
        assert!(check("*", 7).is_ok());
        assert!(matches!(check("\"2\"", 3), Err(ServiceError::Stale { current: 3 })));
        // Weak tags never match under If-Match's strong comparison.
        assert!(check("W/\"3\"", 3).is_err());
        assert!(check("3", 3).is_err());
    }

    #[test]
    fn a_whole_number_written_with_a_point_is_an_integer() {
        #[derive(serde::Deserialize)]
        struct Move {
            satisfaction: i16,
            at: Vec<f64>,
        }
        let parsed: Move = parse_json(br#"{"satisfaction": 4.0, "at": [22.5, 114.0]}"#).expect("parsed");
        assert_eq!((parsed.satisfaction, parsed.at), (4, vec![22.5, 114.0]));
        assert!(parse_json::<Move>(br#"{"satisfaction": 4.5, "at": []}"#).is_err());
    }

    #[test]
    fn unknown_and_missing_fields_are_named() {
        let error = shape_error("tier", "unknown field `tier`, expected one of `name` at line 1 column 9");
        assert_eq!(
            error.problem().errors,
            vec![FieldError::new(
                "tier",
                Refusal::Malformed { detail: "unknown field `tier`, expected one of `name`".into() }
            )]
        );
        let error = shape_error("items[2]", "missing field `uscc` at line 1 column 40");
        assert_eq!(error.problem().status, 422);
        assert_eq!(error.problem().errors, vec![FieldError::new("items[2].uscc", Refusal::Required)]);
        let error =
            shape_error("channel", "unknown variant `pigeon`, expected one of `onsite`, `phone` at line 1 column 20");
        assert_eq!(error.problem().status, 422);
        assert_eq!(error.problem().errors[0].field, "channel");
        assert_eq!(shape_error("employees", "invalid type: string \"many\", expected i32").problem().status, 400);
    }
}
