//! Errors at the HTTP edge, rendered as RFC 9457 problem details: a use case's
//! [`ServiceError`] with one precise status per variant, and the refusals that belong to
//! HTTP itself (a body that is no JSON, a missing `If-Match`, a body too large, a media
//! type the operation does not take). 5xx are logged with their whole cause chain and
//! never shown to the client.

use crate::service::{FieldError, ServiceError};
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `tag:peiyu,2026:problem/validation`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// The reason's stable code, when the refusal is about the request as a whole (a move
    /// the status does not allow: `illegal_move`; a role that may not: `role_may_not`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "illegal_move")]
    pub code: Option<&'static str>,
    /// One entry per bad field, on validation failures.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or query is not JSON / not of the right shape.
    #[error("{detail}")]
    BadRequest { detail: String, errors: Vec<FieldError> },
    #[error("this update requires If-Match with the version (ETag) it is based on")]
    PreconditionRequired,
    /// A body above the route's limit (which the message gives).
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A body that stopped short of its `Content-Length` for too long.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// A documented address asked with a method it does not answer; the methods it does.
    #[error("this address answers {0} only")]
    MethodNotAllowed(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl ApiError {
    pub fn bad_request(detail: impl ToString) -> Self {
        Self::BadRequest { detail: detail.to_string(), errors: Vec::new() }
    }

    fn slug(&self) -> &'static str {
        match self {
            Self::BadRequest { .. } => "bad-request",
            Self::PreconditionRequired => "precondition-required",
            Self::PayloadTooLarge(_) => "payload-too-large",
            Self::UnsupportedMediaType(_) => "unsupported-media-type",
            Self::RequestTimeout => "request-timeout",
            Self::MethodNotAllowed(_) => "method-not-allowed",
            Self::Service(error) => match error {
                ServiceError::Invalid(_) => "validation",
                ServiceError::Unauthorized(_) => "unauthorized",
                ServiceError::Forbidden(_) => "forbidden",
                ServiceError::NotFound(_) => "not-found",
                ServiceError::Conflict { .. } => "conflict",
                ServiceError::Stale { .. } => "precondition-failed",
                ServiceError::TooLarge(_) => "payload-too-large",
                ServiceError::Throttled { .. } => "too-many-requests",
                ServiceError::Busy { .. } => "busy",
                ServiceError::Unavailable(_) => "unavailable",
                ServiceError::Internal(_) => "internal",
            },
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let errors = match self {
            Self::BadRequest { errors, .. }
            | Self::Service(ServiceError::Invalid(errors) | ServiceError::Conflict { errors, .. }) => errors.clone(),
            _ => Vec::new(),
        };
        let code = match self {
            Self::Service(ServiceError::Conflict { refusal, .. } | ServiceError::Forbidden(refusal)) => {
                Some(refusal.code())
            }
            _ => None,
        };
        Problem {
            kind: format!("tag:peiyu,2026:problem/{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.to_string(),
            code,
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Service(error) => match error {
                ServiceError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                ServiceError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
                ServiceError::Forbidden(_) => StatusCode::FORBIDDEN,
                ServiceError::NotFound(_) => StatusCode::NOT_FOUND,
                ServiceError::Conflict { .. } => StatusCode::CONFLICT,
                ServiceError::Stale { .. } => StatusCode::PRECONDITION_FAILED,
                ServiceError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                ServiceError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::Unavailable(_) | ServiceError::Busy { .. } => StatusCode::SERVICE_UNAVAILABLE,
                ServiceError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Service(ServiceError::Unavailable(cause) | ServiceError::Internal(cause)) = self {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        let header = match self {
            Self::Service(ServiceError::Unavailable(_)) => Some(("Retry-After", "1".to_owned())),
            Self::Service(ServiceError::Throttled { retry_after } | ServiceError::Busy { retry_after }) => {
                Some(("Retry-After", retry_after.to_string()))
            }
            Self::Service(ServiceError::Unauthorized(_)) => Some(("WWW-Authenticate", "Bearer".to_owned())),
            Self::MethodNotAllowed(allow) => Some(("Allow", allow.clone())),
            _ => None,
        };
        if let Some(header) = header {
            response.insert_header(header);
        }
        response.content_type(PROBLEM_JSON).json(self.problem())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(error: actix_web::error::BlockingError) -> Self {
        Self::Service(ServiceError::Unavailable(anyhow::anyhow!("blocking pool: {error}")))
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Service(error.into())
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(errors: validator::ValidationErrors) -> Self {
        Self::Service(errors.into())
    }
}
