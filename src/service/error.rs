//! What a use case answers when it does not do what was asked: one variant per kind of
//! refusal, each reason a [`Refusal`] code with its values, never a sentence. The faces
//! word it (the API into problem+json with one precise status per variant and the
//! English of each code, the console in Chinese from its catalogue, the command line in
//! English); the cause of an internal failure is kept, to be logged whole, and never
//! shown to a client.

use crate::domain::Refusal;
use crate::metrics;
use diesel::result::DatabaseErrorKind;
use serde::Serialize;
use utoipa::ToSchema;
use validator::{ValidationErrors, ValidationErrorsKind};

/// One bad field of an input: which, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request, e.g. `uscc`, `tags[2]`, or a query parameter.
    pub field: String,
    /// The reason, as a stable code (`required`, `uscc_check`, `year_between`, …): what a
    /// client matches on and words in its own language.
    #[schema(example = "uscc_check")]
    pub code: &'static str,
    /// The reason in English.
    pub message: String,
    #[serde(skip)]
    pub refusal: Refusal,
}

impl FieldError {
    pub fn new(field: impl Into<String>, refusal: impl Into<Refusal>) -> Self {
        let refusal = refusal.into();
        Self { field: field.into(), code: refusal.code(), message: refusal.to_string(), refusal }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Inputs that break a rule, each bad field named.
    #[error("{}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// No, expired, forged or revoked credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// The caller may not do this at all.
    #[error("{0}")]
    Forbidden(Refusal),
    /// Not there, or outside the caller's streets: the two are never told apart.
    #[error("{0}")]
    NotFound(String),
    /// The record's state does not allow it (a duplicate, an illegal move, a lost race).
    #[error("{refusal}")]
    Conflict { refusal: Refusal, errors: Vec<FieldError> },
    /// An edit based on a version that is no longer the current one.
    #[error(
        "this edit is based on an older version than the current version {current}: fetch it again and reapply your change"
    )]
    Stale { current: i32 },
    /// A batch above its limit (which the message gives).
    #[error("{0}")]
    TooLarge(String),
    /// Too many failed sign-ins.
    #[error("too many failed sign-ins; try again in {retry_after} seconds")]
    Throttled { retry_after: u64 },
    /// Too much of one costly kind of work at once (checking passwords, reading uploaded
    /// spreadsheets): a moment later there is room again.
    #[error("the server is busy with as many of these as it takes at once; try again in {retry_after} seconds")]
    Busy { retry_after: u64 },
    /// The database cannot be reached.
    #[error("the database is unavailable; try again shortly")]
    Unavailable(#[source] anyhow::Error),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

fn summary(errors: &[FieldError]) -> String {
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    format!("invalid field(s): {}", fields.join(", "))
}

impl ServiceError {
    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("no such {what}"))
    }

    pub fn invalid(field: impl Into<String>, refusal: impl Into<Refusal>) -> Self {
        Self::Invalid(vec![FieldError::new(field, refusal)])
    }

    /// A conflict with the record as a whole, naming no field.
    pub fn conflict(refusal: Refusal) -> Self {
        Self::Conflict { refusal, errors: Vec::new() }
    }

    /// A conflict over one field (a name taken).
    pub fn conflict_over(field: impl Into<String>, refusal: Refusal) -> Self {
        Self::Conflict { errors: vec![FieldError::new(field, refusal.clone())], refusal }
    }

    /// `Ok` when `errors` is empty, else every one of them at once.
    pub fn unless_any(errors: Vec<FieldError>) -> Result<(), Self> {
        if errors.is_empty() { Ok(()) } else { Err(Self::Invalid(errors)) }
    }
}

/// Unique constraints and what a violation means to the caller.
fn unique_violation(constraint: Option<&str>) -> ServiceError {
    match constraint {
        Some("enterprises_uscc_key") => ServiceError::conflict_over("uscc", Refusal::UsccTaken),
        Some("regions_code_key") => ServiceError::conflict_over("code", Refusal::CodeTaken),
        Some("users_username_key") => ServiceError::conflict_over("username", Refusal::UsernameTaken),
        Some("applications_in_flight_key") => ServiceError::conflict_over("tier", Refusal::ApplicationInFlight),
        _ => ServiceError::conflict(Refusal::AlreadyExists),
    }
}

/// A reference to something that is not there is the caller's mistake: 422 on the field
/// that holds it, never a server error. PostgreSQL names a foreign key
/// `<table>_<column>_fkey`, so the column is the constraint's name less the table's.
fn foreign_key_violation(info: &dyn diesel::result::DatabaseErrorInformation) -> ServiceError {
    let field = info
        .table_name()
        .zip(info.constraint_name())
        .and_then(|(table, constraint)| constraint.strip_prefix(table)?.strip_prefix('_')?.strip_suffix("_fkey"))
        .unwrap_or("id");
    let refusal = match info.details() {
        Some(details) if details.contains("is still referenced") => Refusal::StillInUse,
        _ => Refusal::NamesNothing,
    };
    ServiceError::invalid(field, refusal)
}

impl From<diesel::result::Error> for ServiceError {
    fn from(error: diesel::result::Error) -> Self {
        use diesel::result::Error as E;
        match error {
            E::NotFound => Self::NotFound("not found".into()),
            E::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => unique_violation(info.constraint_name()),
            E::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, info) => foreign_key_violation(info.as_ref()),
            E::DatabaseError(DatabaseErrorKind::CheckViolation, info)
                if info.constraint_name() == Some("enterprises_park_within_street") =>
            {
                Self::invalid("park_id", Refusal::ParkElsewhere)
            }
            E::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => Self::conflict(Refusal::ConcurrentChange),
            // Two transactions that locked the same rows in opposite orders: PostgreSQL
            // rolled this one back whole (SQLSTATE 40P01, which diesel does not name), so
            // the same request a moment later succeeds.
            E::DatabaseError(DatabaseErrorKind::Unknown, info) if info.message() == "deadlock detected" => {
                metrics::database_error(metrics::DatabaseError::Deadlock);
                tracing::warn!("a transaction was rolled back to break a deadlock; answered 503 to retry");
                Self::Busy { retry_after: 1 }
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
    fn or_not_found(self, what: &str) -> Result<T, ServiceError>;
}

impl<T> OrNotFound<T> for diesel::QueryResult<T> {
    fn or_not_found(self, what: &str) -> Result<T, ServiceError> {
        self.map_err(|e| match e {
            diesel::result::Error::NotFound => ServiceError::not_found(what),
            other => other.into(),
        })
    }
}

impl From<crate::domain::Forbidden> for ServiceError {
    fn from(forbidden: crate::domain::Forbidden) -> Self {
        Self::Forbidden(forbidden.0)
    }
}

impl From<r2d2::Error> for ServiceError {
    fn from(error: r2d2::Error) -> Self {
        metrics::database_error(metrics::DatabaseError::PoolTimeout);
        Self::Unavailable(error.into())
    }
}

impl From<ValidationErrors> for ServiceError {
    fn from(errors: ValidationErrors) -> Self {
        let mut fields = Vec::new();
        flatten(&errors, "", &mut fields);
        fields.sort_by(|a, b| a.field.cmp(&b.field));
        Self::Invalid(fields)
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

/// A validator error as a refusal: the validator's `length` and `range` by their
/// bounds, a custom check by the refusal code it was given (see [`refusing`]).
fn describe(error: &validator::ValidationError) -> Refusal {
    let bound = |name: &str| error.params.get(name).and_then(serde_json::Value::as_i64);
    let count = |name: &str| bound(name).and_then(|n| u64::try_from(n).ok());
    match error.code.as_ref() {
        "length" => match (count("min"), count("max")) {
            (Some(1), Some(max)) => Refusal::LengthRequired { max },
            (Some(min), Some(max)) => Refusal::LengthBetween { min, max },
            (Some(min), None) => Refusal::LengthAtLeast { min },
            (None, Some(max)) => Refusal::LengthAtMost { max },
            (None, None) => Refusal::Invalid,
        },
        "count" => match (count("min"), count("max")) {
            (Some(min), Some(max)) => Refusal::CountBetween { min, max },
            _ => Refusal::Invalid,
        },
        "range" => match (bound("min"), bound("max")) {
            (Some(min), Some(max)) => Refusal::Between { min, max },
            (Some(min), None) => Refusal::AtLeast { min },
            (None, Some(max)) => Refusal::AtMost { max },
            (None, None) => Refusal::Invalid,
        },
        _ => {
            error.params.get("refusal").and_then(|r| serde_json::from_value(r.clone()).ok()).unwrap_or(Refusal::Invalid)
        }
    }
}

/// A custom validator's error that carries `refusal`, for [`describe`] to find.
pub fn refusing(refusal: Refusal) -> validator::ValidationError {
    let mut error = validator::ValidationError::new(refusal.code());
    error.add_param("refusal".into(), &refusal);
    error
}

/// A move its workflow does not allow now: a conflict naming the status and the allowed moves.
impl<W: crate::domain::workflow::Workflow> From<crate::domain::workflow::IllegalTransition<W>> for ServiceError {
    fn from(error: crate::domain::workflow::IllegalTransition<W>) -> Self {
        Self::conflict(error.refusal())
    }
}
