//! Accounts: people (their roles and streets) and integrations' API keys.

use crate::auth::{API_KEY_PREFIX, password, tokens};
use crate::db::api_keys::{self as keys, ApiKey, NewApiKey};
use crate::db::audit::{self, Change};
use crate::db::users::{self, NewUser, UserChanges, UserRecord};
use crate::db::{console_sessions, refresh_tokens, regions, schema};
use crate::domain::Action;
use crate::domain::{Actor, ApiScope, RegionKind, Role};
use crate::domain::{Code, Refusal};
use crate::service::refusing;
use crate::service::regions::canonical_code;
use crate::service::{Authorized, FieldError, OrNotFound, ServiceError, not_blank};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError, ValidationErrors};

/// How much of a key is kept in the clear, to tell keys apart in lists.
const SHOWN_PREFIX: usize = 10;

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Sign-in name: 3 to 50 of a-z, 0-9, `.`, `_`, `-`; unique regardless of case.
    #[validate(length(min = 3, max = 50), custom(function = username_characters))]
    #[schema(min_length = 3, max_length = 50)]
    #[schema(example = "li.xinan")]
    pub username: String,
    #[validate(length(max = 100), custom(function = not_blank))]
    #[schema(max_length = 100, pattern = "\\S")]
    #[schema(example = "李辅导员")]
    pub display_name: String,
    /// At least 10 characters, 4 of them different, not containing the username.
    pub password: String,
    pub role: Role,
    #[serde(default)]
    pub street_ids: Vec<Uuid>,
}

fn username_characters(username: &str) -> Result<(), ValidationError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || ".-_".contains(c);
    if username.chars().all(allowed) { Ok(()) } else { Err(refusing(Refusal::UsernameCharacters)) }
}

/// Changes to a user; absent fields stay as they are. `active: false` deactivates: the
/// user's next request is refused and their sessions end.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(length(max = 100), custom(function = not_blank))]
    #[schema(max_length = 100, pattern = "\\S")]
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub role: Option<Role>,
    pub street_ids: Option<Vec<Uuid>>,
    pub active: Option<bool>,
}

impl CreateUser {
    /// Every bad field at once, the password's among them: the checks that cost nothing,
    /// made before the deliberately slow hash.
    pub fn checked(&self) -> Result<(), ServiceError> {
        checked(self.validate(), Some(&self.password), &self.username)
    }
}

impl UpdateUser {
    /// As [`CreateUser::checked`], for the user named `username`.
    pub fn checked(&self, username: &str) -> Result<(), ServiceError> {
        checked(self.validate(), self.password.as_deref(), username)
    }
}

fn checked(rules: Result<(), ValidationErrors>, password: Option<&str>, username: &str) -> Result<(), ServiceError> {
    let mut errors = match rules.map_err(ServiceError::from) {
        Err(ServiceError::Invalid(errors)) => errors,
        _ => Vec::new(),
    };
    if let Some(weakness) = password.and_then(|password| password::weakness(password, username)) {
        errors.push(FieldError::new("password", weakness));
    }
    ServiceError::unless_any(errors)
}

/// A password fit for `username`, hashed (deliberately slow: call it on a blocking
/// thread and before taking a connection).
pub fn hashed_password(password: &str, username: &str) -> Result<String, ServiceError> {
    if let Some(weakness) = password::weakness(password, username) {
        return Err(ServiceError::invalid("password", weakness));
    }
    password::hash(password).map_err(ServiceError::Internal)
}

fn check_streets(conn: &mut PgConnection, streets: &[Uuid]) -> Result<(), ServiceError> {
    for (index, id) in streets.iter().enumerate() {
        if regions::find(conn, *id).optional()?.is_none_or(|region| region.kind != RegionKind::Street) {
            return Err(ServiceError::invalid(format!("street_ids[{index}]"), Refusal::NotAStreet));
        }
    }
    Ok(())
}

/// That the caller may create and change users: asked before the costly hash of a new
/// password, so that hashing is only ever done for someone who may.
pub fn may_manage_users(auth: &Authorized) -> Result<(), ServiceError> {
    auth.require(Action::ManageUsers)
}

/// Creates a user with `password_hash` (from [`hashed_password`]).
pub fn create_user(
    conn: &mut PgConnection,
    auth: &Authorized,
    input: &CreateUser,
    password_hash: &str,
) -> Result<UserRecord, ServiceError> {
    auth.require(Action::ManageUsers)?;
    insert_user(conn, &auth.audit, input, password_hash)
}

/// Every user with their streets, in order of creation, after `after`.
pub fn list_users(
    conn: &mut PgConnection,
    auth: &Authorized,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<UserRecord>, ServiceError> {
    auth.require(Action::ManageUsers)?;
    let found = users::list(conn, after, limit)?;
    let mut streets = users::streets_of_all(conn, &found.iter().map(|u| u.id).collect::<Vec<_>>())?;
    Ok(found
        .into_iter()
        .map(|user| {
            let street_ids = streets.remove(&user.id).unwrap_or_default();
            UserRecord { user, street_ids }
        })
        .collect())
}

/// One user with their streets.
pub fn user(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<UserRecord, ServiceError> {
    auth.require(Action::ManageUsers)?;
    let user = users::find(conn, id).or_not_found("user")?;
    Ok(users::record(conn, user)?)
}

/// The signed-in user with their streets (an API key is not a user).
pub fn me(conn: &mut PgConnection, auth: &Authorized) -> Result<UserRecord, ServiceError> {
    auth.require(Action::ReadSelf)?;
    let user = users::find(conn, auth.acting_user()?)?;
    Ok(users::record(conn, user)?)
}

/// The name the signed-in user goes by.
pub fn display_name(conn: &mut PgConnection, auth: &Authorized) -> Result<String, ServiceError> {
    auth.require(Action::ReadSelf)?;
    Ok(users::find(conn, auth.acting_user()?)?.display_name)
}

/// The names of the people who did field work the caller reads (who logged a visit, who
/// moved a request): a name is no secret among colleagues, a person's account is.
pub fn names_of(
    conn: &mut PgConnection,
    auth: &Authorized,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    Ok(users::names_of(conn, ids)?)
}

/// That the caller may make and revoke API keys (the page of the form asks first).
pub fn may_manage_api_keys(auth: &Authorized) -> Result<(), ServiceError> {
    auth.require(Action::ManageApiKeys)
}

/// The API keys, in order of creation, after `after`.
pub fn list_api_keys(
    conn: &mut PgConnection,
    auth: &Authorized,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<ApiKey>, ServiceError> {
    may_manage_api_keys(auth)?;
    Ok(keys::list(conn, after, limit)?)
}

/// Creates a user, audited with `context`: the API's and the console's through
/// [`create_user`], the command line's as the system.
fn insert_user(
    conn: &mut PgConnection,
    context: &audit::Context,
    input: &CreateUser,
    password_hash: &str,
) -> Result<UserRecord, ServiceError> {
    input.validate()?;
    conn.transaction(|conn| {
        check_streets(conn, &input.street_ids)?;
        let user = users::insert(
            conn,
            &NewUser {
                id: Uuid::now_v7(),
                username: &input.username,
                display_name: input.display_name.trim(),
                password_hash,
                role: input.role.as_str(),
            },
        )?;
        users::set_streets(conn, user.id, &input.street_ids)?;
        let created = users::record(conn, user)?;
        audit::record(conn, context, Change::created("user", created.user.id, &created))?;
        Ok(created)
    })
}

/// The ids of the streets named by their codes (any case), for the command line.
pub fn streets_by_code(conn: &mut PgConnection, codes: &[String]) -> Result<Vec<Uuid>, ServiceError> {
    codes
        .iter()
        .map(|code| {
            schema::regions::table
                .filter(schema::regions::code.eq(canonical_code(code)))
                .select(regions::Region::as_select())
                .first(conn)
                .optional()?
                .filter(|r| r.kind == RegionKind::Street)
                .map(|r| r.id)
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "street",
                        Refusal::NoPlaceNamed { kind: RegionKind::Street.word(), name: code.clone() },
                    )
                })
        })
        .collect()
}

/// Changes a user; `password_hash` is the new password's, if one is set, from
/// [`hashed_password`] with the user's name (which never changes). Deactivating a user or
/// setting a password ends their sign-ins; the last active admin stays one.
pub fn update_user(
    conn: &mut PgConnection,
    auth: &Authorized,
    id: Uuid,
    input: &UpdateUser,
    password_hash: Option<String>,
) -> Result<UserRecord, ServiceError> {
    auth.require(Action::ManageUsers)?;
    input.validate()?;
    conn.transaction(|conn| {
        let user = users::find_for_update(conn, id).or_not_found("user")?;
        let current = users::record(conn, user)?;
        let stays_admin =
            input.role.unwrap_or(current.user.role) == Role::Admin && input.active.unwrap_or(current.user.active);
        if current.user.role == Role::Admin && current.user.active && !stays_admin && users::active_admins(conn)? <= 1 {
            return Err(ServiceError::conflict(Refusal::LastAdmin));
        }
        let changes = UserChanges {
            display_name: input.display_name.as_deref().map(|n| n.trim().to_owned()),
            password_hash,
            role: input.role.map(|r| r.as_str().to_owned()),
            active: input.active,
        };
        let user = users::update(conn, id, &changes)?;
        if let Some(streets) = &input.street_ids {
            check_streets(conn, streets)?;
            users::set_streets(conn, id, streets)?;
        }
        if !user.active || changes.password_hash.is_some() {
            refresh_tokens::revoke_user(conn, id)?;
            console_sessions::delete_of_user(conn, id)?;
        }
        let updated = users::record(conn, user)?;
        audit::record(conn, &auth.audit, Change::changed("user", id, "update", &current, &updated))?;
        if changes.password_hash.is_some() {
            // The hash is never shown, so the record alone would not tell: said as a move.
            let set = Change::<UserRecord> {
                entity: "user",
                entity_id: id,
                action: "set_password",
                before: None,
                after: None,
            };
            audit::record(conn, &auth.audit, set)?;
        }
        Ok(updated)
    })
}

fn some_scope(scopes: &[ApiScope]) -> Result<(), ValidationError> {
    if scopes.is_empty() { Err(refusing(Refusal::ScopeRequired)) } else { Ok(()) }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    /// Who uses it, e.g. 省科技厅高企认定系统.
    #[validate(length(max = 100), custom(function = not_blank))]
    #[schema(max_length = 100, pattern = "\\S")]
    pub name: String,
    #[validate(custom(function = some_scope))]
    #[schema(min_items = 1)]
    pub scopes: Vec<ApiScope>,
}

/// Creates an API key; the key itself is returned this once and only its hash is kept.
pub fn create_api_key(
    conn: &mut PgConnection,
    auth: &Authorized,
    input: &CreateApiKey,
) -> Result<(ApiKey, String), ServiceError> {
    may_manage_api_keys(auth)?;
    input.validate()?;
    let creator = auth.acting_user()?;
    let key = tokens::random_secret(API_KEY_PREFIX).map_err(ServiceError::Internal)?;
    let mut scopes: Vec<&str> = input.scopes.iter().map(|s| s.as_str()).collect();
    scopes.sort_unstable();
    scopes.dedup();
    conn.transaction(|conn| {
        let created = keys::insert(
            conn,
            &NewApiKey {
                id: Uuid::now_v7(),
                name: input.name.trim(),
                key_hash: &tokens::fingerprint(&key),
                prefix: &key[..SHOWN_PREFIX],
                scopes,
                created_by: creator,
            },
        )?;
        audit::record(conn, &auth.audit, Change::created("api_key", created.id, &created))?;
        Ok((created, key))
    })
}

/// Revokes an API key; revoking a revoked key changes nothing.
pub fn revoke_api_key(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<(), ServiceError> {
    may_manage_api_keys(auth)?;
    conn.transaction(|conn| {
        let current = keys::find_for_update(conn, id).or_not_found("API key")?;
        if current.revoked_at.is_none() {
            let revoked = keys::revoke(conn, id)?;
            audit::record(conn, &auth.audit, Change::changed("api_key", id, "revoke", &current, &revoked))?;
        }
        Ok(())
    })
}

/// Creates a user from the command line (the first admin, scripts, the demo): streets by
/// their codes, audited as the system.
pub fn create_user_by_codes(
    conn: &mut PgConnection,
    username: &str,
    display_name: &str,
    role: Role,
    street_codes: &[String],
    password: &str,
) -> Result<UserRecord, ServiceError> {
    let password_hash = hashed_password(password, username)?;
    let input = CreateUser {
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        password: password.to_owned(),
        role,
        street_ids: streets_by_code(conn, street_codes)?,
    };
    insert_user(conn, &audit::Context { actor: Actor::System, request_id: None }, &input, &password_hash)
}
