//! Errors at the HTTP edge, each with one precise status, rendered as RFC 9457 problem
//! details. 5xx are logged with their whole cause chain and never shown to the client.

use crate::metrics;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::DatabaseErrorKind;
use serde::Serialize;
use utoipa::ToSchema;
use validator::{ValidationErrors, ValidationErrorsKind};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One bad field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `uscc`, `tags[2]`, or a query parameter.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl ToString) -> Self {
        Self { field: field.into(), message: message.to_string() }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `tag:peiyu,2026:problem/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// One entry per bad field, on validation failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The body or query is not JSON / not of the right shape.
    #[error("{detail}")]
    BadRequest { detail: String, errors: Vec<FieldError> },
    #[error("{}", summary(.0))]
    Validation(Vec<FieldError>),
    /// No, expired, forged or revoked credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Authenticated, but the role or key may not do this at all.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    Conflict { detail: String, errors: Vec<FieldError> },
    #[error("If-Match does not match the current version {current}: fetch it again and reapply your change")]
    PreconditionFailed { current: i32 },
    #[error("this update requires If-Match with the version (ETag) it is based on")]
    PreconditionRequired,
    /// A body, or a batch in it, above the limit (which the message gives).
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("too many failed sign-ins; try again in {retry_after} seconds")]
    TooManyRequests { retry_after: u64 },
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn summary(errors: &[FieldError]) -> String {
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    format!("invalid field(s): {}", fields.join(", "))
}

impl AppError {
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("no such {what}"))
    }

    pub fn invalid(field: &str, message: impl ToString) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// 409 about the resource as a whole, naming no field.
    pub fn conflict(detail: impl ToString) -> Self {
        Self::Conflict { detail: detail.to_string(), errors: Vec::new() }
    }

    fn slug(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad-request",
            Self::Validation(_) => "validation",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound(_) => "not-found",
            Self::Conflict { .. } => "conflict",
            Self::PreconditionFailed { .. } => "precondition-failed",
            Self::PreconditionRequired => "precondition-required",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let errors = match self {
            Self::BadRequest { errors, .. } | Self::Validation(errors) | Self::Conflict { errors, .. } => {
                errors.clone()
            }
            _ => Vec::new(),
        };
        Problem {
            kind: format!("tag:peiyu,2026:problem/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            errors,
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Unavailable(cause) | Self::Internal(cause) = self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        let header = match self {
            Self::Unavailable(_) => Some(("Retry-After", "1".to_owned())),
            Self::TooManyRequests { retry_after } => Some(("Retry-After", retry_after.to_string())),
            Self::Unauthorized(_) => Some(("WWW-Authenticate", "Bearer".to_owned())),
            _ => None,
        };
        if let Some(header) = header {
            response.insert_header(header);
        }
        response.content_type(PROBLEM_JSON).json(self.problem())
    }
}

/// Unique constraints and what a violation means to the caller.
fn unique_violation(constraint: Option<&str>) -> AppError {
    let (field, detail) = match constraint {
        Some("enterprises_uscc_key") => ("uscc", "an enterprise with this USCC already exists"),
        Some("regions_code_key") => ("code", "a region with this code already exists"),
        Some("users_username_key") => ("username", "this username is taken"),
        Some("applications_in_flight_key") => {
            ("tier", "the enterprise already has an application for this tier and batch year in progress")
        }
        _ => ("", "this record already exists"),
    };
    let errors = if field.is_empty() { Vec::new() } else { vec![FieldError::new(field, detail)] };
    AppError::Conflict { detail: detail.to_owned(), errors }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::Error as E;
        match error {
            E::NotFound => Self::NotFound("not found".into()),
            E::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => unique_violation(info.constraint_name()),
            E::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Self::conflict("a concurrent change got there first; try again")
            }
            E::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand, _) => {
                metrics::database_error(metrics::DatabaseError::Connection);
                Self::Unavailable(error.into())
            }
            other => {
                metrics::database_error(metrics::DatabaseError::Query);
                Self::Internal(other.into())
            }
        }
    }
}

/// A query for one row, where "no row" is this resource's 404 (and, under street scope,
/// also what lies outside the caller's streets).
pub trait OrNotFound<T> {
    fn or_not_found(self, what: &str) -> Result<T, AppError>;
}

impl<T> OrNotFound<T> for diesel::QueryResult<T> {
    fn or_not_found(self, what: &str) -> Result<T, AppError> {
        self.map_err(|e| match e {
            diesel::result::Error::NotFound => AppError::not_found(what),
            other => other.into(),
        })
    }
}

impl From<crate::domain::Forbidden> for AppError {
    fn from(forbidden: crate::domain::Forbidden) -> Self {
        Self::Forbidden(forbidden.0)
    }
}

impl From<r2d2::Error> for AppError {
    fn from(error: r2d2::Error) -> Self {
        metrics::database_error(metrics::DatabaseError::PoolTimeout);
        Self::Unavailable(error.into())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::Unavailable(anyhow::anyhow!("blocking pool: {error}"))
    }
}

impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        let mut fields = Vec::new();
        flatten(&errors, "", &mut fields);
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        Self::Validation(fields)
    }
}

fn flatten(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (field, kind) in errors.errors() {
        let path = if prefix.is_empty() { field.to_string() } else { format!("{prefix}.{field}") };
        match kind {
            ValidationErrorsKind::Field(list) => {
                out.extend(list.iter().map(|e| FieldError::new(&path, describe(e))));
            }
            ValidationErrorsKind::Struct(inner) => flatten(inner, &path, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    flatten(inner, &format!("{path}[{index}]"), out);
                }
            }
        }
    }
}

/// A validator error in words, from its own message or its code and bounds.
fn describe(error: &validator::ValidationError) -> String {
    if let Some(message) = &error.message {
        return message.to_string();
    }
    let bound = |name: &str| error.params.get(name).map(ToString::to_string);
    let (unit, min, max) = match error.code.as_ref() {
        "length" => (" characters", bound("min"), bound("max")),
        "range" => ("", bound("min"), bound("max")),
        other => return format!("is invalid ({other})"),
    };
    match (min, max) {
        (Some(min), Some(max)) => format!("must be between {min} and {max}{unit}"),
        (Some(min), None) => format!("must be at least {min}{unit}"),
        (None, Some(max)) => format!("must be at most {max}{unit}"),
        (None, None) => "is out of range".into(),
    }
}

/// A move its workflow does not allow now: 409, naming the status and the allowed moves.
impl<W: crate::domain::workflow::Workflow> From<crate::domain::workflow::IllegalTransition<W>> for AppError {
    fn from(error: crate::domain::workflow::IllegalTransition<W>) -> Self {
        Self::conflict(error)
    }
}
