//! Pipeline views for the bureau (counselors and viewers: their streets):
//! `/api/v1/pipeline/...`.

use crate::auth::Caller;
use crate::db::certificates::{self, ExpiringFilter};
use crate::domain::Action;
use crate::error::{AppError, Problem};
use crate::http::extract::Query;
use crate::http::pagination::{Page, PageParams};
use crate::http::promotions::tier_field;
use crate::http::{AppState, authorized};
use actix_web::{get, web};
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpiringParams {
    /// The window, in days from today (1–1095, default 90).
    pub within_days: Option<u32>,
    /// Only certificates for this tier.
    pub tier: Option<String>,
    pub street_id: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiringItem {
    pub enterprise_id: Uuid,
    pub name: String,
    pub street_id: Option<Uuid>,
    /// The rung of the certificate.
    pub tier: String,
    pub certificate_id: Uuid,
    pub certificate_no: Option<String>,
    /// Its last valid day.
    pub valid_until: NaiveDate,
    /// Days from today until `valid_until` (0: its last day is today).
    pub days_left: i64,
}

/// Certificates lapsing within the window, soonest first: whom to coach into a renewal.
#[utoipa::path(
    tag = "pipeline",
    params(ExpiringParams, PageParams),
    responses(
        (status = 200, body = Page<ExpiringItem>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/expiring")]
pub async fn expiring(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<ExpiringParams>,
    Query(paging): Query<PageParams>,
) -> Result<web::Json<Page<ExpiringItem>>, AppError> {
    let days = params.within_days.unwrap_or(90);
    if !(1..=1095).contains(&days) {
        return Err(AppError::invalid("within_days", "must be between 1 and 1095"));
    }
    if let Some(tier) = &params.tier {
        tier_field(&state.catalog.ladder, "tier", tier)?;
    }
    let today = state.catalog.today();
    let window = (today, today + Days::new(u64::from(days)));
    let page = paging.parse::<(NaiveDate, Uuid)>()?;
    let (fetch, after) = (page.fetch(), page.after);
    let filter = ExpiringFilter { tier: params.tier, street_id: params.street_id };
    let rows = authorized(&state, caller, Action::ReadPipeline, move |conn, auth| {
        Ok(certificates::expiring(conn, &auth.principal.street_scope(), &filter, window, after, fetch)?)
    })
    .await?;
    Ok(web::Json(page.page(
        rows,
        |row| (row.valid_until, row.certificate_id),
        |row| ExpiringItem {
            days_left: (row.valid_until - today).num_days(),
            enterprise_id: row.enterprise_id,
            name: row.name,
            street_id: row.street_id,
            tier: row.tier,
            certificate_id: row.certificate_id,
            certificate_no: row.certificate_no,
            valid_until: row.valid_until,
        },
    )))
}
