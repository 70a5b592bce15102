//! Forms as the console's pages post them: urlencoded, with the CSRF token, fields that
//! repeat (purposes, demands), and the messages shown beside the fields.

use crate::domain::Refusal;
use crate::service::{FieldError, ServiceError};
use crate::startup::AppState;
use crate::web::messages::{said, t};
use crate::web::page::PageError;
use actix_web::dev::Payload;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

/// The largest form the console takes: a visit with its texts full (4,000 + 500 + 4,000 +
/// 4,000 characters) and twenty demands of 4,200 characters each is about 780 KB once a
/// browser has percent-encoded its Chinese (9 bytes a character).
pub const LIMIT: usize = 1024 * 1024;

/// Forms up to this size (every form but a long visit) are read at once. A larger one, or
/// one whose length is not said, first takes a place among `AppState::large_forms`, so
/// that a burst of large bodies — which anyone may send, before a session is checked —
/// costs a bounded amount of memory; with none free it is answered 503 at once.
pub const SMALL: usize = 64 * 1024;

/// How long a form's body may take once its headers have arrived: a client that trickles
/// it, or stops short of its length, holds a connection no longer than this.
const ARRIVAL: std::time::Duration = std::time::Duration::from_secs(10);

/// A submitted form: the CSRF token it carried (empty if none) and its fields. Fields
/// are text as typed (`String`s, with `#[serde(default)]`), so that every value comes
/// back to the form when another is wrong; the page turns them into the use case's
/// input and names what does not fit.
pub struct Form<T> {
    pub csrf: String,
    /// The one-time token of a form that creates something (empty on other forms).
    pub once: String,
    pub fields: T,
    body: web::Bytes,
}

impl<T> Form<T> {
    /// Another part of the same form, read on its own (the demands of a visit).
    pub fn part<U: DeserializeOwned>(&self) -> Result<U, PageError> {
        serde_html_form::from_bytes(&self.body).map_err(|_| PageError::BadForm("bad form"))
    }
}

/// A form that carries nothing but its token: a button (sign out, revoke).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

#[derive(Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    once: String,
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let urlencoded = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let length =
            req.headers().get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let room = match length {
            Some(length) if length <= SMALL => Ok(None),
            Some(length) if length > LIMIT => Err(PageError::BadForm("the form is too large")),
            _ => req
                .app_data::<web::Data<AppState>>()
                .and_then(|state| state.large_forms.clone().try_acquire_owned().ok())
                .map(Some)
                .ok_or(PageError::Service(ServiceError::Busy { retry_after: 1 })),
        };
        let body = web::Payload::from_request(req, payload).into_inner().map(|p| p.to_bytes_limited(LIMIT));
        Box::pin(async move {
            if !urlencoded {
                return Err(PageError::BadForm("not a form"));
            }
            // Held until the body is read and parsed.
            let _room = room?;
            let body = body.map_err(|_| PageError::BadForm("the form could not be read"))?;
            let body = actix_web::rt::time::timeout(ARRIVAL, body)
                .await
                .map_err(|_| PageError::TimedOut)?
                .map_err(|_| PageError::BadForm("the form is too large"))?
                .map_err(|_| PageError::BadForm("the form could not be read"))?;
            decode(body)
        })
    }
}

/// A form's body read as its tokens and fields: text PostgreSQL cannot store is refused
/// before anything else reads it.
pub fn decode<T: DeserializeOwned>(body: web::Bytes) -> Result<Form<T>, PageError> {
    if form_urlencoded::parse(&body).any(|(_, value)| value.contains('\0')) {
        return Err(PageError::BadForm("the form holds a NUL character"));
    }
    let Token { csrf, once } = serde_html_form::from_bytes(&body).map_err(|_| PageError::BadForm("bad form"))?;
    let fields = serde_html_form::from_bytes(&body).map_err(|_| PageError::BadForm("bad form"))?;
    Ok(Form { csrf, once, fields, body })
}

/// The messages of a form's bad fields, by field name, in the catalogue's words where it
/// has them.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    /// In the order they were found, which is the form's order: the summary above the
    /// form lists them so.
    by_field: Vec<(String, String)>,
    /// A message about the form as a whole (a stale edit, a move no longer allowed).
    pub general: Option<String>,
}

impl FieldErrors {
    pub fn of(&self, field: &str) -> Option<&str> {
        self.by_field.iter().find(|(name, _)| name == field).map(|(_, message)| message.as_str())
    }

    /// Every field's message, by field, for the summary above the form.
    pub fn entries(&self) -> &[(String, String)] {
        &self.by_field
    }

    /// The same messages for fields named otherwise on the page (a move's fields carry
    /// its action in their ids).
    pub fn renamed(&self, rename: impl Fn(&str) -> String) -> Self {
        let by_field = self.by_field.iter().map(|(field, message)| (rename(field), message.clone())).collect();
        Self { by_field, general: self.general.clone() }
    }

    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty() && self.general.is_none()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        let field = field.into();
        if self.of(&field).is_none() {
            self.by_field.push((field, message.into()));
        }
    }

    /// A refusal of `field`, in the catalogue's words.
    pub fn refuse(&mut self, field: impl Into<String>, refusal: &Refusal) {
        self.add(field, said(refusal));
    }

    /// What a use case's refusal says about the form, or the refusal itself when it is
    /// not about the form (not found, forbidden, unavailable): that is a page of its own.
    /// `rename` turns the use case's field paths into the form's field names.
    pub fn from_refusal(error: ServiceError, rename: impl Fn(&str) -> String) -> Result<Self, ServiceError> {
        let mut errors = Self::default();
        match error {
            ServiceError::Invalid(fields) => errors.extend(fields, rename),
            // A conflict over a field (a name taken) is said beside it; one over the
            // record as a whole (its state moved on) above the form.
            ServiceError::Conflict { refusal, errors: fields } if fields.is_empty() => {
                errors.general = Some(said(&refusal));
            }
            ServiceError::Conflict { errors: fields, .. } => errors.extend(fields, rename),
            ServiceError::Stale { .. } => errors.general = Some(t("form.stale").to_owned()),
            other => return Err(other),
        }
        Ok(errors)
    }

    /// Adds `other`'s messages where this has none for the field.
    pub fn absorb(&mut self, other: FieldErrors) {
        for (field, message) in other.by_field {
            self.add(field, message);
        }
        self.general = self.general.take().or(other.general);
    }

    fn extend(&mut self, fields: Vec<FieldError>, rename: impl Fn(&str) -> String) {
        for error in fields {
            self.refuse(rename(&error.field), &error.refusal);
        }
    }
}

/// Text as typed, or `None` when blank.
pub fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// A number typed into `field`, if any; what does not parse is an error beside it.
pub fn number<N: std::str::FromStr>(errors: &mut FieldErrors, field: &str, text: &str) -> Option<N> {
    let text = text.trim().replace([',', '，'], "");
    if text.is_empty() {
        return None;
    }
    text.parse().map_err(|_| errors.add(field, t("form.not_a_number"))).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_conflict_over_a_field_is_said_beside_it_and_one_over_the_record_above_the_form() {
        let taken = ServiceError::conflict_over("username", Refusal::UsernameTaken);
        let errors = FieldErrors::from_refusal(taken, str::to_owned).expect("about the form");
        assert_eq!((errors.of("username"), errors.general.as_deref()), (Some("该用户名已被使用"), None));
        let last = FieldErrors::from_refusal(ServiceError::conflict(Refusal::LastAdmin), str::to_owned)
            .expect("about the form");
        assert_eq!(last.general.as_deref(), Some("这是最后一个启用的系统管理员，不能停用或改为其他角色"));
        let bounds = ServiceError::invalid("name", Refusal::LengthRequired { max: 100 });
        let errors = FieldErrors::from_refusal(bounds, str::to_owned).expect("about the form");
        assert_eq!(errors.of("name"), Some("请填写此项（最多 100 个字符）"));
    }
}
