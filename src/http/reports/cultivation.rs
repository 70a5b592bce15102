//! Cultivation for the bureau: the readiness radar, who is at risk of falling, the
//! certificates due for review (复核) and the obligations' completion —
//! `/api/v1/pipeline/{readiness,at-risk,reviews,obligations}`.

use crate::auth::Caller;
use crate::db::readiness::RankKey;
use crate::export::writer;
use crate::export::{self, ExportParams, cultivation};
use crate::http::problem::{ApiError, Problem};
use crate::http::support::extract::Query;
use crate::http::support::pagination::{Page, PageParams};
use crate::http::{AppState, authorized};
use crate::service::obligations::{self, CompletionQuery, CompletionReport};
use crate::service::readiness::{self, RadarQuery, Ready};
use crate::service::reviews::{self, Review, ReviewQuery};
use crate::service::risks::{self, AtRisk, RiskQuery};
use crate::service::{ladder, regions};
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use uuid::Uuid;

/// Every enterprise ranked by how close its latest figures bring it to its next rung (or
/// `tier`): fewest criteria short first, then the smallest gaps, each gap in the bureau's
/// words — whom to coach for this year's batch. Precomputed per enterprise.
#[utoipa::path(
    tag = "cultivation",
    params(RadarQuery, PageParams, ExportParams),
    responses(
        (status = 200, content(
            (Page<Ready> = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/readiness")]
pub async fn readiness_radar(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(query): Query<RadarQuery>,
    Query(paging): Query<PageParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    if let Some(tier) = &query.tier {
        ladder::tier_field(&state.catalog.ladder, "tier", tier)?;
    }
    if let Some(format) = format {
        let (scope, places) =
            authorized(&state, caller, |conn, auth| Ok((readiness::radar_scope(auth)?, regions::names(conn, auth)?)))
                .await?;
        let (title, file) = cultivation::RADAR;
        let heading = export::heading(&state.catalog, &request, title, file, &places);
        let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
        return Ok(writer::respond(format, heading, move |sink| {
            cultivation::radar(sink, &pool, &catalog, &scope, query.tier.as_deref(), query.street_id)
        }));
    }
    let page = paging.parse::<RankKey>()?;
    let (fetch, after, catalog) = (page.fetch(), page.after, state.catalog.clone());
    let rows =
        authorized(&state, caller, move |conn, auth| readiness::radar(conn, auth, &catalog, &query, after, fetch))
            .await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |(_, key)| *key, |(ready, _)| ready)))
}

/// Enterprises that may lose their rung, each with every reason: `criteria` its latest
/// figures fail, `obligation` items overdue, `expiring` the certificate it stands on ends
/// this year or within 90 days with no renewal in flight.
#[utoipa::path(
    tag = "cultivation",
    params(RiskQuery, PageParams),
    responses(
        (status = 200, body = Page<AtRisk>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/at-risk")]
pub async fn at_risk(
    state: web::Data<AppState>,
    caller: Caller,
    Query(query): Query<RiskQuery>,
    Query(paging): Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = paging.parse::<Uuid>()?;
    let (fetch, after, catalog) = (page.fetch(), page.after, state.catalog.clone());
    let rows =
        authorized(&state, caller, move |conn, auth| risks::list(conn, auth, &catalog, &query, after, fetch)).await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |row| row.enterprise_id, |row| row)))
}

/// Certificates due for review (复核) in a year — the rungs reviewed before their term
/// ends — soonest first, each with the rule set that will judge it.
#[utoipa::path(
    tag = "cultivation",
    params(ReviewQuery, PageParams, ExportParams),
    responses(
        (status = 200, content(
            (Page<Review> = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/reviews")]
pub async fn reviews_due(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(query): Query<ReviewQuery>,
    Query(paging): Query<PageParams>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let span = reviews::span_of(&state.catalog, query.year)?;
    if let Some(format) = format {
        let (scope, places) =
            authorized(&state, caller, |conn, auth| Ok((reviews::scope(auth)?, regions::names(conn, auth)?))).await?;
        let (title, file) = cultivation::REVIEWS;
        let heading = export::heading(&state.catalog, &request, title, file, &places);
        let (pool, catalog) = (state.pool.clone(), state.catalog.clone());
        let tiers = reviews::reviewed_tiers(&catalog);
        return Ok(writer::respond(format, heading, move |sink| {
            cultivation::reviews(sink, &pool, &catalog, &scope, &tiers, span)
        }));
    }
    let page = paging.parse::<(NaiveDate, Uuid)>()?;
    let (fetch, after, catalog) = (page.fetch(), page.after, state.catalog.clone());
    let rows =
        authorized(&state, caller, move |conn, auth| reviews::due(conn, auth, &catalog, span, after, fetch)).await?;
    Ok(HttpResponse::Ok().json(page.page(rows, |row| (row.valid_until, row.certificate_id), |row| row)))
}

/// Each obligation's completion for the items due in a year: the district and each
/// street — made, done, done on time, overdue, and the share done.
#[utoipa::path(
    tag = "cultivation",
    params(CompletionQuery, ExportParams),
    responses(
        (status = 200, content(
            (CompletionReport = "application/json"),
            (String = "text/csv"),
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/pipeline/obligations")]
pub async fn obligation_completion(
    state: web::Data<AppState>,
    caller: Caller,
    request: HttpRequest,
    Query(query): Query<CompletionQuery>,
    Query(export): Query<ExportParams>,
) -> Result<HttpResponse, ApiError> {
    let format = export.format(&request)?;
    let catalog = state.catalog.clone();
    let (report, places) = authorized(&state, caller, move |conn, auth| {
        Ok((obligations::completion(conn, auth, &catalog, &query)?, regions::names(conn, auth)?))
    })
    .await?;
    Ok(match format {
        None => HttpResponse::Ok().json(report),
        Some(format) => {
            let (title, file) = cultivation::OBLIGATIONS;
            let heading = export::heading(&state.catalog, &request, title, file, &places);
            export::report(format, heading, cultivation::obligations(&report))
        }
    })
}
