//! 接口密钥: keys for the registries and district systems that call the API. A key is
//! shown once, on the page its creation answers with (only its hash is kept); revoking
//! one refuses its next request. The rules are `service::accounts`', as for the API.

use crate::config::Catalog;
use crate::db::api_keys::ApiKey;
use crate::domain::ApiScope;
use crate::service::accounts::{self, CreateApiKey};
use crate::service::{Authorized, ServiceError};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form, NoFields};
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError, Saved};
use crate::web::pages::{Choice, Shown, choices, local_time};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

/// Keys listed; a bureau has a handful.
const ROWS: i64 = 200;

/// A key as a line of the list, without its secret.
pub struct KeyLine {
    pub id: Uuid,
    pub name: String,
    pub prefix: String,
    pub scopes: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

impl KeyLine {
    fn of(catalog: &Catalog, key: ApiKey) -> Self {
        let scopes: Vec<&str> =
            key.scopes.iter().map(|s| ApiScope::parse(s).map_or(s.as_str(), |scope| scope.label())).collect();
        Self {
            id: key.id,
            scopes: scopes.join("、"),
            name: key.name,
            prefix: key.prefix,
            created_at: local_time(catalog, key.created_at),
            last_used_at: key.last_used_at.map(|at| local_time(catalog, at)),
            revoked_at: key.revoked_at.map(|at| local_time(catalog, at)),
        }
    }
}

/// The form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct KeyFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scopes: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin_api_keys.html", config = "src/web/askama.toml")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyLine>,
    name: String,
    scopes: Vec<Choice>,
    errors: FieldErrors,
    /// The key just made, with its name: shown this once.
    created: Option<(String, String)>,
    revoked: bool,
}

impl KeysPage {
    fn of(
        conn: &mut PgConnection,
        auth: &Authorized,
        catalog: &Catalog,
        chrome: Chrome,
        fields: &KeyFields,
        errors: FieldErrors,
    ) -> Result<Self, ServiceError> {
        // In the order they were made, as the API lists them; a key just made is also shown
        // above the list.
        let keys =
            accounts::list_api_keys(conn, auth, None, ROWS)?.into_iter().map(|k| KeyLine::of(catalog, k)).collect();
        Ok(Self {
            chrome,
            keys,
            name: fields.name.clone(),
            scopes: choices(&ApiScope::ALL, ApiScope::label, &fields.scopes),
            errors,
            created: None,
            revoked: false,
        })
    }
}

pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    shown: web::Query<Shown>,
) -> Result<HttpResponse, PageError> {
    let (catalog, revoked) = (state.catalog.clone(), shown.into_inner().saved.is_some());
    let page = page::signed_in(&state, visitor, None, "admin", move |conn, auth, chrome| {
        KeysPage::of(conn, auth, &catalog, chrome, &KeyFields::default(), FieldErrors::default())
    })
    .await?;
    Ok(page::form_html(StatusCode::OK, &KeysPage { revoked, ..page }))
}

/// Makes a key and answers with it on the page (not a redirect: the key is shown this
/// once, and the page is never cached).
pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form<KeyFields>,
) -> Result<HttpResponse, PageError> {
    let catalog = state.catalog.clone();
    let Form { csrf, once, fields, .. } = form;
    let answered = page::signed_in(&state, visitor, Some(csrf), "admin", move |conn, auth, chrome| {
        // The key is shown once, by the sending that made it; only its hash is kept.
        let mut made = None;
        // Who may not is told so before anything of the form is read.
        accounts::may_manage_api_keys(auth)?;
        let saved = page::at_most_once(conn, chrome.user_id, &once, "new-api-key", |conn| {
            let mut errors = FieldErrors::default();
            let mut scopes = Vec::new();
            for code in &fields.scopes {
                match ApiScope::parse(code) {
                    Some(scope) => scopes.push(scope),
                    None => errors.add("scopes", t("form.choose")),
                }
            }
            if errors.is_empty() {
                let input = CreateApiKey { name: fields.name.clone(), scopes };
                match accounts::create_api_key(conn, auth, &input) {
                    Ok((key, secret)) => {
                        made = Some((key.name, secret));
                        return Ok(Ok("/admin/api-keys".to_owned()));
                    }
                    Err(refusal) => errors = FieldErrors::from_refusal(refusal, str::to_owned)?,
                }
            }
            Ok(Err(errors))
        })?;
        Ok(match (saved, made) {
            (Ok(Saved::Now(_)), Some(created)) => {
                let page = KeysPage::of(conn, auth, &catalog, chrome, &KeyFields::default(), FieldErrors::default())?;
                Made::Shown(KeysPage { created: Some(created), ..page })
            }
            (Ok(saved), _) => Made::Before(saved),
            (Err(errors), _) => Made::Refused(KeysPage::of(conn, auth, &catalog, chrome, &fields, errors)?),
        })
    })
    .await?;
    Ok(match answered {
        Made::Shown(page) => page::form_html(StatusCode::CREATED, &page),
        Made::Before(saved) => page::answered_once(Ok::<_, KeysPage>(saved)),
        Made::Refused(page) => page::form_html(StatusCode::UNPROCESSABLE_ENTITY, &page),
    })
}

/// What the form to make a key came to.
enum Made {
    /// Made now: the page that shows the key, this once.
    Shown(KeysPage),
    /// Made by the same form sent before (or, without a token, on to the list).
    Before(Saved),
    Refused(KeysPage),
}

pub async fn revoke(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    form: Form<NoFields>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    page::signed_in(&state, visitor, Some(form.csrf), "admin", move |conn, auth, _| {
        accounts::revoke_api_key(conn, auth, id)
    })
    .await?;
    Ok(page::see_other("/admin/api-keys?saved=revoked"))
}
