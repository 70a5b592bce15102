//! `/api/v1/users` (admin): people, their roles and their streets.

use crate::auth::{Caller, password};
use crate::db::audit::{self, Change};
use crate::db::users::{self as store, NewUser, UserChanges, UserRecord};
use crate::db::{refresh_tokens, regions};
use crate::domain::{Action, RegionKind, Role};
use crate::error::{AppError, FieldError, OrNotFound, Problem};
use crate::http::extract::{Json, Query};
use crate::http::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

const ENTITY: &str = "user";

#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// The streets this user works in (counselors, scoped viewers).
    pub street_ids: Vec<Uuid>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<UserRecord> for UserResponse {
    fn from(r: UserRecord) -> Self {
        let u = r.user;
        Self {
            id: u.id,
            username: u.username,
            display_name: u.display_name,
            role: u.role,
            street_ids: r.street_ids,
            active: u.active,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    /// Sign-in name: 3 to 50 of a-z, 0-9, `.`, `_`, `-`; unique regardless of case.
    #[validate(length(min = 3, max = 50), custom(function = username_characters))]
    #[schema(example = "li.xinan")]
    pub username: String,
    #[validate(length(min = 1, max = 100))]
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
    if username.chars().all(allowed) {
        Ok(())
    } else {
        Err(ValidationError::new("username").with_message("may hold only letters, digits, . _ and -".into()))
    }
}

/// Changes to a user; absent fields stay as they are. `active: false` deactivates: the
/// user's next request is refused and their sessions end.
#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[validate(length(min = 1, max = 100))]
    pub display_name: Option<String>,
    pub password: Option<String>,
    pub role: Option<Role>,
    pub street_ids: Option<Vec<Uuid>>,
    pub active: Option<bool>,
}

fn password_problem(password: &str, username: &str) -> Result<(), AppError> {
    match password::weakness(password, username) {
        Some(weakness) => Err(AppError::invalid("password", weakness)),
        None => Ok(()),
    }
}

/// Every id must be a street.
fn check_streets(conn: &mut PgConnection, streets: &[Uuid]) -> Result<(), AppError> {
    for (index, id) in streets.iter().enumerate() {
        let is_street = match regions::find(conn, *id) {
            Ok(region) => region.kind == RegionKind::Street,
            Err(diesel::result::Error::NotFound) => false,
            Err(e) => return Err(e.into()),
        };
        if !is_street {
            return Err(AppError::Validation(vec![FieldError::new(format!("street_ids[{index}]"), "is not a street")]));
        }
    }
    Ok(())
}

async fn hash(password: String) -> Result<String, AppError> {
    web::block(move || password::hash(&password)).await?.map_err(AppError::Internal)
}

/// Add a user.
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    responses(
        (status = 201, body = UserResponse, headers(("Location" = String))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The username is taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/users")]
pub async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateUser>,
) -> Result<HttpResponse, AppError> {
    body.validate()?;
    password_problem(&body.password, &body.username)?;
    // Only for someone who may: hashing is deliberately expensive.
    authorized(&state, caller.clone(), Action::ManageUsers, |_, _| Ok(())).await?;
    let password_hash = hash(body.password.clone()).await?;
    let created = authorized(&state, caller, Action::ManageUsers, move |conn, auth| {
        conn.transaction(|conn| {
            check_streets(conn, &body.street_ids)?;
            let user = store::insert(
                conn,
                &NewUser {
                    id: Uuid::now_v7(),
                    username: &body.username,
                    display_name: body.display_name.trim(),
                    password_hash: &password_hash,
                    role: body.role.as_str(),
                },
            )?;
            store::set_streets(conn, user.id, &body.street_ids)?;
            let created = store::record(conn, user)?;
            let change = Change::created(ENTITY, created.user.id, &created);
            audit::record(conn, &auth.audit, change)?;
            Ok(created)
        })
    })
    .await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/users/{}", created.user.id)))
        .json(UserResponse::from(created)))
}

/// Every user, in order of creation.
#[utoipa::path(
    tag = "users",
    params(PageParams),
    responses(
        (status = 200, body = Page<UserResponse>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/users")]
pub async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<UserResponse>>, AppError> {
    let page = paging.parse::<Uuid>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let records = authorized(&state, caller, Action::ManageUsers, move |conn, _| {
        let users = store::list(conn, after, fetch)?;
        let mut streets = store::streets_of_all(conn, &users.iter().map(|u| u.id).collect::<Vec<_>>())?;
        Ok(users
            .into_iter()
            .map(|user| {
                let street_ids = streets.remove(&user.id).unwrap_or_default();
                UserRecord { user, street_ids }
            })
            .collect())
    })
    .await?;
    Ok(web::Json(page.page(records, |r| r.user.id, UserResponse::from)))
}

/// Change a user's name, password, role, streets, or deactivate them.
#[utoipa::path(
    tag = "users",
    params(("id" = Uuid, Path, description = "User id")),
    request_body = UpdateUser,
    responses(
        (status = 200, body = UserResponse),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "It would leave no active admin", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/users/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(body): Json<UpdateUser>,
) -> Result<web::Json<UserResponse>, AppError> {
    body.validate()?;
    let id = id.into_inner();
    let password_hash = match &body.password {
        Some(password) => {
            // Only for someone who may: hashing is deliberately expensive.
            authorized(&state, caller.clone(), Action::ManageUsers, |_, _| Ok(())).await?;
            Some(hash(password.clone()).await?)
        }
        None => None,
    };
    let updated = authorized(&state, caller, Action::ManageUsers, move |conn, auth| {
        conn.transaction(|conn| {
            let user = store::find_for_update(conn, id).or_not_found(ENTITY)?;
            let current = store::record(conn, user)?;
            if let Some(password) = &body.password {
                password_problem(password, &current.user.username)?;
            }
            let stays_admin =
                body.role.unwrap_or(current.user.role) == Role::Admin && body.active.unwrap_or(current.user.active);
            if current.user.role == Role::Admin
                && current.user.active
                && !stays_admin
                && store::active_admins(conn)? <= 1
            {
                return Err(AppError::conflict("this is the last active admin"));
            }
            let changes = UserChanges {
                display_name: body.display_name.as_deref().map(|n| n.trim().to_owned()),
                password_hash,
                role: body.role.map(|r| r.as_str().to_owned()),
                active: body.active,
            };
            let user = store::update(conn, id, &changes)?;
            if let Some(streets) = &body.street_ids {
                check_streets(conn, streets)?;
                store::set_streets(conn, id, streets)?;
            }
            if !user.active || changes.password_hash.is_some() {
                refresh_tokens::revoke_user(conn, id)?;
            }
            let updated = store::record(conn, user)?;
            let change = Change::changed(ENTITY, id, "update", &current, &updated);
            audit::record(conn, &auth.audit, change)?;
            Ok(updated)
        })
    })
    .await?;
    Ok(web::Json(UserResponse::from(updated)))
}
