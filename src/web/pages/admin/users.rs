//! 用户: the bureau's people. An admin creates an account with its role and streets,
//! changes a name, role or streets, sets a new password, or deactivates the account (which
//! ends its sessions at once). `service::accounts` holds every rule, as for the API.

use crate::db::users::{User, UserRecord};
use crate::domain::Refusal;
use crate::domain::{RegionKind, Role};
use crate::service::accounts::{self, CreateUser, UpdateUser};
use crate::service::pipeline::StreetNames;
use crate::service::{Authorized, ServiceError, regions};
use crate::startup::AppState;
use crate::web::form::{FieldErrors, Form};
use crate::web::messages::{self as msg, t};
use crate::web::page::{self, Chrome, PageError};
use crate::web::pages::{Choice, Line, Offered, choices};
use crate::web::session::Visitor;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

/// Accounts a page lists; "更多" shows the next.
const ROWS: usize = 100;

#[derive(Debug, Default, Deserialize)]
pub struct Listed {
    /// The last account shown; an address that names none starts from the top.
    #[serde(default)]
    after: String,
    saved: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_users.html", config = "src/web/askama.toml")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<Line>,
    more: Option<String>,
    saved: bool,
}

/// Every account, in the order they were made, with role, streets and standing.
pub async fn list(
    state: web::Data<AppState>,
    visitor: Visitor,
    asked: web::Query<Listed>,
) -> Result<HttpResponse, PageError> {
    let Listed { after, saved } = asked.into_inner();
    let after = after.parse::<Uuid>().ok();
    let page = page::signed_in(&state, visitor, None, "admin", move |conn, auth, chrome| {
        let mut found = accounts::list_users(conn, auth, after, ROWS as i64 + 1)?;
        let more = (found.len() > ROWS).then(|| {
            found.truncate(ROWS);
            found.last().map_or_else(String::new, |last| format!("/admin/users?after={}", last.user.id))
        });
        let names = StreetNames::load(conn)?;
        let users = found.into_iter().map(|record| line(record.user, &record.street_ids, &names)).collect();
        Ok(UsersPage { chrome, users, more, saved: saved.is_some() })
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

fn line(user: User, streets: &[Uuid], names: &StreetNames) -> Line {
    let mut detail = vec![user.username, user.role.label().to_owned()];
    if !streets.is_empty() {
        detail.push(streets.iter().map(|s| names.name(Some(*s))).collect::<Vec<_>>().join("、"));
    }
    if !user.active {
        detail.push(t("admin.inactive").to_owned());
    }
    Line {
        href: format!("/admin/users/{}", user.id),
        title: user.display_name,
        detail: detail.join(" · "),
        badge: None,
        urgent: !user.active,
    }
}

/// The form as typed.
#[derive(Debug, Default, Deserialize)]
pub struct UserFields {
    #[serde(default)]
    username: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    street_ids: Vec<String>,
    /// The edit form's 启用 box: absent when unticked.
    #[serde(default)]
    active: Option<String>,
}

impl UserFields {
    fn of(record: &UserRecord) -> Self {
        Self {
            username: record.user.username.clone(),
            display_name: record.user.display_name.clone(),
            password: String::new(),
            role: record.user.role.as_str().to_owned(),
            street_ids: record.street_ids.iter().map(Uuid::to_string).collect(),
            active: record.user.active.then(|| "on".to_owned()),
        }
    }

    fn role(&self, errors: &mut FieldErrors) -> Option<Role> {
        Role::try_from(self.role.clone()).map_err(|_| errors.add("role", t("form.choose"))).ok()
    }

    fn streets(&self, errors: &mut FieldErrors) -> Vec<Uuid> {
        self.street_ids
            .iter()
            .filter_map(|id| id.parse().map_err(|_| errors.refuse("street_ids", &Refusal::NotAStreet)).ok())
            .collect()
    }

    /// The new account; a role is needed to make one, and the form's message for a
    /// missing role keeps it from being saved with the stand-in.
    fn creating(&self, errors: &mut FieldErrors) -> CreateUser {
        CreateUser {
            username: self.username.trim().to_owned(),
            display_name: self.display_name.clone(),
            password: self.password.clone(),
            role: self.role(errors).unwrap_or(Role::Viewer),
            street_ids: self.streets(errors),
        }
    }

    /// The changes: every field as the form shows it; a blank password keeps the old one.
    fn updating(&self, errors: &mut FieldErrors) -> UpdateUser {
        UpdateUser {
            display_name: Some(self.display_name.clone()),
            password: Some(self.password.clone()).filter(|p| !p.is_empty()),
            role: self.role(errors),
            street_ids: Some(self.streets(errors)),
            active: Some(self.active.is_some()),
        }
    }
}

/// Every street of the map as a box to tick, those in `chosen` (ids as the form sends
/// them) ticked.
fn streets_offered(
    conn: &mut PgConnection,
    auth: &Authorized,
    chosen: &[String],
) -> Result<Vec<Offered>, ServiceError> {
    Ok(regions::all(conn, auth)?
        .into_iter()
        .filter(|r| r.kind == RegionKind::Street)
        .map(|r| {
            let code = r.id.to_string();
            Offered { selected: chosen.contains(&code), code, label: r.name }
        })
        .collect())
}

/// A use case's field (`street_ids[2]`) as the form names it.
fn field_name(path: &str) -> String {
    path.split('[').next().unwrap_or(path).to_owned()
}

#[derive(Template)]
#[template(path = "admin_user.html", config = "src/web/askama.toml")]
struct UserPage {
    chrome: Chrome,
    /// The account edited; `None`: a new one.
    editing: Option<Uuid>,
    username: String,
    display_name: String,
    roles: Vec<Choice>,
    streets: Vec<Offered>,
    active: bool,
    errors: FieldErrors,
}

impl UserPage {
    fn of(
        conn: &mut PgConnection,
        auth: &Authorized,
        chrome: Chrome,
        editing: Option<Uuid>,
        fields: &UserFields,
        errors: FieldErrors,
    ) -> Result<Self, ServiceError> {
        accounts::may_manage_users(auth)?;
        Ok(Self {
            chrome,
            editing,
            username: fields.username.clone(),
            display_name: fields.display_name.clone(),
            roles: choices(&Role::ALL, Role::label, &[&fields.role]),
            streets: streets_offered(conn, auth, &fields.street_ids)?,
            active: fields.active.is_some(),
            errors,
        })
    }

    fn title(&self) -> &'static str {
        if self.editing.is_some() { t("admin.edit_user") } else { t("admin.new_user") }
    }
}

/// Hashes a new password on the blocking pool, holding no connection: it is slow on
/// purpose. Callers make sure first that an admin asked, with the form's token.
async fn hash(password: String, username: String) -> Result<String, PageError> {
    let hashed = web::block(move || accounts::hashed_password(&password, &username))
        .await
        .map_err(|e| ServiceError::Internal(anyhow::anyhow!("hashing a password: {e}")))?;
    Ok(hashed?)
}

/// `/admin/users/new`: the form for a new account, a counselor by default.
pub async fn form(state: web::Data<AppState>, visitor: Visitor) -> Result<HttpResponse, PageError> {
    let page = page::signed_in(&state, visitor, None, "admin", move |conn, auth, chrome| {
        let fields = UserFields { role: Role::Counselor.as_str().to_owned(), ..UserFields::default() };
        UserPage::of(conn, auth, chrome, None, &fields, FieldErrors::default())
    })
    .await?;
    Ok(page::form_html(StatusCode::OK, &page))
}

pub async fn create(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: Form<UserFields>,
) -> Result<HttpResponse, PageError> {
    let Form { csrf, once, fields, .. } = form;
    let mut errors = FieldErrors::default();
    let input = fields.creating(&mut errors);
    let password_hash = if errors.is_empty() && input.checked().is_ok() {
        page::signed_in(&state, visitor.clone(), Some(csrf.clone()), "admin", |_, auth, _| {
            accounts::may_manage_users(auth)
        })
        .await?;
        Some(hash(input.password.clone(), input.username.clone()).await?)
    } else {
        None
    };
    let outcome = page::signed_in(&state, visitor, Some(csrf), "admin", move |conn, auth, chrome| {
        // Who may not is told so before anything of the form is read.
        accounts::may_manage_users(auth)?;
        page::at_most_once(conn, chrome.user_id, &once, "new-user", |conn| {
            if let Err(refusal) = input.checked() {
                errors.absorb(FieldErrors::from_refusal(refusal, field_name)?);
            }
            if let Some(password_hash) = password_hash.filter(|_| errors.is_empty()) {
                match accounts::create_user(conn, auth, &input, &password_hash) {
                    Ok(_) => return Ok(Ok("/admin/users?saved=created".to_owned())),
                    Err(refusal) => errors.absorb(FieldErrors::from_refusal(refusal, field_name)?),
                }
            }
            UserPage::of(conn, auth, chrome, None, &fields, errors).map(Err)
        })
    })
    .await?;
    Ok(page::answered_once(outcome))
}

/// `/admin/users/{id}`: the account's name, role, streets and standing, to change.
pub async fn edit(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let page = page::signed_in(&state, visitor, None, "admin", move |conn, auth, chrome| {
        let record = accounts::user(conn, auth, id)?;
        UserPage::of(conn, auth, chrome, Some(id), &UserFields::of(&record), FieldErrors::default())
    })
    .await?;
    Ok(page::html(StatusCode::OK, &page))
}

pub async fn update(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<Uuid>,
    form: Form<UserFields>,
) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let Form { csrf, fields, .. } = form;
    let mut errors = FieldErrors::default();
    let input = fields.updating(&mut errors);
    let password_hash = match &input.password {
        Some(password) if errors.is_empty() => {
            // The password is judged against the account's own name, which never changes.
            let username =
                page::signed_in(&state, visitor.clone(), Some(csrf.clone()), "admin", move |conn, auth, _| {
                    Ok(accounts::user(conn, auth, id)?.user.username)
                })
                .await?;
            match input.checked(&username) {
                Ok(()) => Some(hash(password.clone(), username).await?),
                Err(_) => None,
            }
        }
        _ => None,
    };
    let outcome = page::signed_in(&state, visitor, Some(csrf), "admin", move |conn, auth, chrome| {
        let username = accounts::user(conn, auth, id)?.user.username;
        if let Err(refusal) = input.checked(&username) {
            errors.absorb(FieldErrors::from_refusal(refusal, field_name)?);
        }
        let hashed_if_asked = input.password.is_none() || password_hash.is_some();
        if errors.is_empty() && hashed_if_asked {
            match accounts::update_user(conn, auth, id, &input, password_hash) {
                Ok(_) => return Ok(Ok(())),
                Err(refusal) => errors.absorb(FieldErrors::from_refusal(refusal, field_name)?),
            }
        }
        let fields = UserFields { username, ..fields };
        UserPage::of(conn, auth, chrome, Some(id), &fields, errors).map(Err)
    })
    .await?;
    Ok(page::answered(outcome.map(|()| "/admin/users?saved=updated".to_owned())))
}
