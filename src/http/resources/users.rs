//! `/api/v1/users` (admin): people, their roles and their streets.

use crate::auth::Caller;
use crate::db::users::UserRecord;
use crate::domain::Role;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::{Json, Query};
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::accounts::{self as service, CreateUser, UpdateUser};
use actix_web::http::header;
use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

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

/// Hashes a new password on the blocking pool, holding no connection: it is slow on purpose.
async fn hash(password: String, username: String) -> Result<String, ApiError> {
    Ok(web::block(move || service::hashed_password(&password, &username)).await??)
}

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
pub async fn create_user(
    state: web::Data<AppState>,
    caller: Caller,
    Json(body): Json<CreateUser>,
) -> Result<HttpResponse, ApiError> {
    body.checked()?;
    // Only for someone who may: hashing is deliberately expensive.
    authorized(&state, caller.clone(), |_, auth| service::may_manage_users(auth)).await?;
    let password_hash = hash(body.password.clone(), body.username.clone()).await?;
    let created =
        authorized(&state, caller, move |conn, auth| service::create_user(conn, auth, &body, &password_hash)).await?;
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
pub async fn list_users(
    state: web::Data<AppState>,
    caller: Caller,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<UserResponse>>, ApiError> {
    let page = paging.parse::<Uuid>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let records = authorized(&state, caller, move |conn, auth| service::list_users(conn, auth, after, fetch)).await?;
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
pub async fn update_user(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<Uuid>,
    Json(body): Json<UpdateUser>,
) -> Result<web::Json<UserResponse>, ApiError> {
    body.validate()?;
    let id = id.into_inner();
    let password_hash = match &body.password {
        Some(password) => {
            // Only for someone who may, and against the user's own name: hashing is
            // deliberately expensive.
            let username =
                authorized(&state, caller.clone(), move |conn, auth| Ok(service::user(conn, auth, id)?.user.username))
                    .await?;
            body.checked(&username)?;
            Some(hash(password.clone(), username).await?)
        }
        None => None,
    };
    let updated =
        authorized(&state, caller, move |conn, auth| service::update_user(conn, auth, id, &body, password_hash))
            .await?;
    Ok(web::Json(UserResponse::from(updated)))
}
