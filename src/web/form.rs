//! Forms as the console's pages post them: urlencoded, with the CSRF token, fields that
//! repeat (purposes, demands), and the messages shown beside the fields.

use crate::service::{FieldError, ServiceError};
use crate::web::messages::{t, with, with_all};
use crate::web::page::PageError;
use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::HashMap;

/// The largest form the console makes (a visit with twenty demands stays far below).
const LIMIT: usize = 64 * 1024;

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
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !urlencoded {
                return Err(PageError::BadForm("not a form"));
            }
            let body = actix_web::rt::time::timeout(ARRIVAL, body)
                .await
                .map_err(|_| PageError::TimedOut)?
                .map_err(|_| PageError::BadForm("the form could not be read"))?;
            if body.len() > LIMIT {
                return Err(PageError::BadForm("the form is too large"));
            }
            // Text PostgreSQL cannot store is refused before anything else reads it.
            if form_urlencoded::parse(&body).any(|(_, value)| value.contains('\0')) {
                return Err(PageError::BadForm("the form holds a NUL character"));
            }
            let Token { csrf, once } =
                serde_html_form::from_bytes(&body).map_err(|_| PageError::BadForm("bad form"))?;
            let fields = serde_html_form::from_bytes(&body).map_err(|_| PageError::BadForm("bad form"))?;
            Ok(Self { csrf, once, fields, body })
        })
    }
}

/// The messages of a form's bad fields, by field name, in the catalogue's words where it
/// has them.
#[derive(Debug, Default, Clone)]
pub struct FieldErrors {
    by_field: HashMap<String, String>,
    /// A message about the form as a whole (a stale edit, a move no longer allowed).
    pub general: Option<String>,
}

impl FieldErrors {
    pub fn of(&self, field: &str) -> Option<&str> {
        self.by_field.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.by_field.is_empty() && self.general.is_none()
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.by_field.entry(field.into()).or_insert_with(|| message.into());
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
            ServiceError::Conflict { detail, errors: fields } if fields.is_empty() => {
                errors.general =
                    Some(translated(&detail).unwrap_or_else(|| format!("{}（{detail}）", t("form.conflict"))));
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
            self.add(rename(&error.field), in_chinese(&error.message));
        }
    }
}

/// The use cases' common messages in the catalogue's words; others as they are.
fn in_chinese(message: &str) -> String {
    translated(message).unwrap_or_else(|| message.to_owned())
}

/// A use case's message in the catalogue's words, if the catalogue has them.
fn translated(message: &str) -> Option<String> {
    let key = match message {
        "this username is taken" => "form.username_taken",
        "a region with this code already exists" => "form.code_taken",
        "may hold only letters, digits, . _ and -" => "form.username_characters",
        "may hold only letters, digits, - and _" => "form.code_characters",
        "must use at least 4 different characters" => "form.password_variety",
        "must not contain the username" => "form.password_username",
        crate::auth::password::COMMON => "form.password_common",
        "this is the last active admin" => "form.last_admin",
        "is not a street" => "form.not_a_street",
        "is not a district" => "form.not_a_district",
        "is required: a district" => "form.district_required",
        "is required: a street" => "form.street_required",
        "a district has no parent" => "form.district_no_parent",
        "name at least one scope" => "form.scope_required",
        "must not be blank" => "form.blank",
        "must not be in the future" => "form.future",
        "must not be before the visit" => "form.before_visit",
        "name one to six purposes" => "form.purposes",
        "is required to assign" => "form.assignee_required",
        "is required to close" => "form.satisfaction_required",
        "a reason is required to reject" => "form.reason_required",
        _ => return bounds_in_chinese(message).or_else(|| file_limits_in_chinese(message)),
    };
    Some(t(key).to_owned())
}

/// The validator's and the password policy's bounds (`must be between 1 and 100
/// characters`, `must have at least 10 characters`, `must be at most 100 characters`,
/// `must be between 1 and 1000000`) in the catalogue's words.
fn bounds_in_chinese(message: &str) -> Option<String> {
    if let Some(range) = message.strip_prefix("must be between ") {
        let (range, characters) = match range.strip_suffix(" characters") {
            Some(range) => (range, true),
            None => (range, false),
        };
        let (min, max) = range.split_once(" and ")?;
        return Some(match (characters, min) {
            (true, "1") => with("form.length_required", max),
            (true, _) => with_all("form.length_between", &[&min, &max]),
            (false, _) => with_all("form.between", &[&min, &max]),
        });
    }
    let characters = message.strip_suffix(" characters")?;
    if let Some(most) = characters.strip_prefix("must be at most ").or(characters.strip_prefix("must have at most ")) {
        return Some(with("form.length_at_most", most));
    }
    Some(with("form.length_at_least", characters.strip_prefix("must have at least ")?))
}

/// What a spreadsheet may cost (`file_import::sheet::Limits`), as the importer says it.
fn file_limits_in_chinese(message: &str) -> Option<String> {
    const SAID: [(&str, &str, &str); 4] = [
        ("the file has more than ", " cells; split it into smaller files", "imports.too_many_cells"),
        ("the file has more than ", " bytes of text; split it into smaller files", "imports.too_much_text"),
        ("the file has a cell beyond column ", "", "imports.too_wide"),
        ("the XLSX file unpacks to more than ", " bytes", "imports.unpacks"),
    ];
    // Files that cannot be read at all: what the reader says after the colon is for
    // developers, not for the bureau.
    const UNREADABLE: [(&str, &str); 4] = [
        ("the XLSX file cannot be read: ", "imports.unreadable_xlsx"),
        ("the CSV file cannot be read: ", "imports.unreadable_csv"),
        ("the workbook has no sheet", "imports.no_sheet"),
        ("the file has no header row", "imports.no_header"),
    ];
    let limit = SAID.iter().find_map(|(before, after, key)| {
        let number = message.strip_prefix(before)?.strip_suffix(after)?;
        number.bytes().all(|b| b.is_ascii_digit()).then(|| with(key, number))
    });
    let unreadable =
        || UNREADABLE.iter().find(|(start, _)| message.starts_with(start)).map(|(_, key)| t(key).to_owned());
    let not_a_list = || {
        let name = message.strip_prefix('`')?.strip_suffix("` is not a .csv or .xlsx file")?;
        Some(with("imports.not_a_list", name))
    };
    limit.or_else(unreadable).or_else(not_a_list)
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
    fn the_use_cases_bounds_are_said_in_chinese() {
        assert_eq!(in_chinese("must be between 1 and 100 characters"), "请填写此项（最多 100 个字符）");
        assert_eq!(in_chinese("must be between 3 and 50 characters"), "长度须在 3–50 个字符之间");
        assert_eq!(in_chinese("must be between 1 and 1000000"), "须在 1 到 1000000 之间");
        assert_eq!(in_chinese("must have at least 10 characters"), "至少 10 个字符");
        assert_eq!(in_chinese("must have at most 128 characters"), "最多 128 个字符");
        assert_eq!(in_chinese("must be at most 100 characters"), "最多 100 个字符");
        assert_eq!(in_chinese("this username is taken"), "该用户名已被使用");
        assert_eq!(in_chinese("something no one translated"), "something no one translated");
    }

    #[test]
    fn what_a_spreadsheet_may_cost_is_said_in_chinese() {
        use crate::service::file_import::sheet::SheetError;
        let said = |error: SheetError| in_chinese(&error.to_string());
        assert_eq!(said(SheetError::TooWide(256)), "第 256 列之后还有内容：名单最多读取这么多列，请删去多余的列");
        assert!(said(SheetError::TooManyCells(2_000_000)).starts_with("文件超过 2000000 个单元格"));
        assert!(said(SheetError::TooMuchText(100)).starts_with("文件中的文字超过 100 字节"));
        assert!(said(SheetError::Unpacks(268_435_456)).starts_with("这个 Excel 文件解压后超过 268435456 字节"));
        assert!(said(SheetError::NoSheet).starts_with("这个 Excel 文件里没有工作表"));
        assert!(
            in_chinese("the XLSX file cannot be read: invalid Zip archive: Could not find EOCD")
                .starts_with("无法读取")
        );
        let refused = crate::service::file_import::format_of("名单.txt").expect_err("not a list");
        let crate::service::ServiceError::Invalid(fields) = refused else { panic!("invalid: {refused:?}") };
        assert_eq!(in_chinese(&fields[0].message), "「名单.txt」不是 CSV 或 Excel（.xlsx）文件");
    }

    #[test]
    fn a_conflict_over_a_field_is_said_beside_it_and_one_over_the_record_above_the_form() {
        let taken = ServiceError::Conflict {
            detail: "this username is taken".into(),
            errors: vec![FieldError::new("username", "this username is taken")],
        };
        let errors = FieldErrors::from_refusal(taken, str::to_owned).expect("about the form");
        assert_eq!((errors.of("username"), errors.general.as_deref()), (Some("该用户名已被使用"), None));
        let last = FieldErrors::from_refusal(ServiceError::conflict("this is the last active admin"), str::to_owned)
            .expect("about the form");
        assert_eq!(last.general.as_deref(), Some(t("form.last_admin")));
        let moved = FieldErrors::from_refusal(ServiceError::conflict("already resolved"), str::to_owned)
            .expect("about the form");
        assert_eq!(moved.general, Some(format!("{}（already resolved）", t("form.conflict"))));
    }
}
