//! `/api/v1/me/agenda`: the counselor's home screen. What is due in their streets.

use crate::auth::Caller;
use crate::http::problem::{ApiError, Problem};
use crate::http::reports::pipeline::ExpiringItem;
use crate::http::resources::requests::RequestResponse;
use crate::http::support::extract::Query;
use crate::http::{AppState, authorized};
use crate::service::agenda::{self as service, Closer};
use crate::service::obligations::ItemView;
use crate::service::risks::AtRisk;
use actix_web::{get, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AgendaParams {
    /// An enterprise counts as "not visited" after this many days (default 90).
    #[param(minimum = 0, maximum = 65535)]
    pub not_visited_days: Option<u16>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpItem {
    pub visit_id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: String,
    pub follow_up_on: NaiveDate,
    pub summary: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnvisitedItem {
    pub enterprise_id: Uuid,
    pub name: String,
    pub tier: String,
    /// `null`: never visited.
    pub last_visited_at: Option<DateTime<Utc>>,
}

/// An enterprise due for a visit by its cadence.
#[derive(Debug, Serialize, ToSchema)]
pub struct DueVisitItem {
    pub enterprise_id: Uuid,
    pub name: String,
    pub tier: String,
    /// `null`: never visited.
    pub last_visited_at: Option<DateTime<Utc>>,
    /// The cadence it is due by: its rung's, or a closer one while applying or owing.
    pub every_days: u32,
    /// Due by the cadence of an application of this year's batch in flight.
    pub applying: bool,
    /// Due by the cadence of an obligation falling due within 60 days (or overdue).
    pub owing: bool,
    /// The first day the visit was due (the bureau's calendar); `null`: never visited.
    pub due_on: Option<NaiveDate>,
}

/// Up to 50 items of each kind, most pressing first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Agenda {
    /// Follow-ups promised for today and the next 7 days.
    pub follow_ups: Vec<FollowUpItem>,
    /// For managers and admins: requests under 督办 (a stage past due) or escalated to
    /// the bureau.
    pub supervised_requests: Vec<RequestResponse>,
    /// Requests whose awaited stage is past its deadline.
    pub overdue_requests: Vec<RequestResponse>,
    /// For managers and admins: extensions waiting for an answer.
    pub extension_requests: Vec<RequestResponse>,
    /// The caller's requests urged (催办): their stage has used its share of time.
    pub urged_requests: Vec<RequestResponse>,
    /// The caller's resolved requests waiting for their callback (回访).
    pub callbacks_due: Vec<RequestResponse>,
    /// Pending requests assigned to the caller.
    pub assigned_to_me: Vec<RequestResponse>,
    /// Open requests nobody has been assigned yet.
    pub unassigned_requests: Vec<RequestResponse>,
    /// Held certificates whose term ends within 90 days, soonest first.
    pub expiring_certificates: Vec<ExpiringItem>,
    /// Enterprises not visited for `not_visited_days`, never-visited first.
    pub not_visited: Vec<UnvisitedItem>,
    /// Enterprises due for a visit by their rung's cadence (or, while applying, by the
    /// applying cadence), the most overdue first: never visited, then by `due_on`.
    pub due_for_visit: Vec<DueVisitItem>,
    /// Obligations not done that fall due within 60 days or are overdue, soonest first.
    pub obligations_due: Vec<ItemView>,
    /// For those who read the pipeline: enterprises that may lose their rung.
    pub at_risk: Vec<AtRisk>,
}

/// What is due in the caller's streets.
#[utoipa::path(
    tag = "field work",
    params(AgendaParams),
    responses((status = 200, body = Agenda), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
#[get("/me/agenda")]
pub async fn agenda(
    state: web::Data<AppState>,
    caller: Caller,
    Query(params): Query<AgendaParams>,
) -> Result<web::Json<Agenda>, ApiError> {
    let catalog = state.catalog.clone();
    let agenda =
        authorized(&state, caller, move |conn, auth| service::of(conn, auth, &catalog, params.not_visited_days))
            .await?;
    let requests = |list: Vec<crate::db::service_requests::ServiceRequest>| -> Vec<RequestResponse> {
        list.into_iter().map(|r| RequestResponse::new(&state.catalog, r, None)).collect()
    };
    Ok(web::Json(Agenda {
        follow_ups: agenda
            .follow_ups
            .into_iter()
            .map(|f| FollowUpItem {
                visit_id: f.visit_id,
                enterprise_id: f.enterprise_id,
                enterprise_name: f.enterprise_name,
                follow_up_on: f.follow_up_on,
                summary: f.summary,
            })
            .collect(),
        supervised_requests: requests(agenda.supervised),
        overdue_requests: requests(agenda.overdue_requests),
        extension_requests: requests(agenda.extensions),
        urged_requests: requests(agenda.urged),
        callbacks_due: requests(agenda.callbacks_due),
        assigned_to_me: requests(agenda.assigned_to_me),
        unassigned_requests: requests(agenda.unassigned),
        expiring_certificates: {
            let (today, rows) = agenda.expiring;
            rows.into_iter().map(|row| ExpiringItem::new(row, today)).collect()
        },
        not_visited: agenda
            .not_visited
            .into_iter()
            .map(|u| UnvisitedItem {
                enterprise_id: u.id,
                name: u.name,
                tier: u.tier,
                last_visited_at: u.last_visited_at,
            })
            .collect(),
        due_for_visit: agenda
            .due_for_visit
            .into_iter()
            .map(|d| DueVisitItem {
                enterprise_id: d.enterprise.id,
                name: d.enterprise.name,
                tier: d.enterprise.tier,
                last_visited_at: d.enterprise.last_visited_at,
                every_days: d.every_days,
                applying: d.closer == Some(Closer::Applying),
                owing: d.closer == Some(Closer::Owing),
                due_on: d.due_on,
            })
            .collect(),
        obligations_due: agenda.obligations,
        at_risk: agenda.at_risk,
    }))
}
