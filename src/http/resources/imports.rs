//! `/api/v1/imports`: managers upload a roster or a certification list (what `peiyu
//! import` does from the command line).

use crate::auth::Caller;
use crate::domain::Refusal;
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::ServiceError;
use crate::service::file_import::{self, Kind, Report};
use crate::service::import_runs;
use crate::upload::{self, UploadError};
use actix_multipart::Multipart;
use actix_web::{post, web};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// What the file holds; by default certifications if it has a tier column (梯队 / 认定类型).
    pub kind: Option<Kind>,
    /// Check and count every row, then roll everything back.
    #[serde(default)]
    pub dry_run: bool,
}

/// The uploaded file: its name as sent, and its bytes.
async fn read_upload(multipart: Multipart) -> Result<(String, Vec<u8>), ApiError> {
    let upload = upload::read(multipart).await.map_err(|e| match e {
        UploadError::TooLarge => ApiError::PayloadTooLarge(e.to_string()),
        UploadError::Stalled | UploadError::TooSlow => ApiError::RequestTimeout,
        UploadError::NotMultipart(_) => ApiError::BadRequest { detail: e.to_string(), errors: Vec::new() },
    })?;
    let (name, bytes) = upload.file.ok_or_else(|| ServiceError::invalid("file", Refusal::FileRequired))?;
    Ok((name, bytes))
}

/// Import an enterprise roster (企业名录) or a certification list (认定名单) from CSV or
/// XLSX, columns named in Chinese or English (统一社会信用代码 / uscc, 企业名称 / name,
/// 所属街道 / street, 梯队 / tier, 认定日期 / effective_on, …). Managers and admins. Good
/// rows land, bad ones are reported by row and column; importing a file again changes
/// nothing.
#[utoipa::path(
    tag = "enterprises",
    params(ImportParams),
    request_body(content = String, content_type = "multipart/form-data",
        description = "One part named `file`: the .csv or .xlsx file"),
    responses(
        (status = 200, description = "Imported (or, with dry_run, counted)", body = Report),
        (status = 400, description = "Not a multipart form", body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "Two imports are already being read or run: try again after `Retry-After`", body = Problem,
            content_type = "application/problem+json", headers(("Retry-After" = u64))),
        (status = 408, description = "The upload stalled for 10 s or took over 300 s", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "File above 32 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file, not CSV or XLSX, unreadable, or a required column missing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/imports")]
pub async fn upload_file(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<ImportParams>,
    multipart: Multipart,
) -> Result<web::Json<Report>, ApiError> {
    // Who may import, and whether there is room for one more, is settled before a byte
    // of the file is read; the file is read holding no connection.
    authorized(&state, caller.clone(), |_, auth| import_runs::may_import(auth)).await?;
    let _room = state.imports.clone().try_acquire_owned().map_err(|_| ServiceError::Busy { retry_after: 10 })?;
    let (name, bytes) = read_upload(multipart).await?;
    let sheet = web::block(move || file_import::read_upload(&name, &bytes)).await??;
    let catalog = state.catalog.clone();
    let report = authorized(&state, caller, move |conn, auth| {
        import_runs::import_now(conn, auth, &catalog, sheet, params.kind, params.dry_run)
    })
    .await?;
    Ok(web::Json(report))
}
