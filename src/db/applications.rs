//! 申报: applications and their moves.

use crate::db::enterprises::Visible;
use crate::db::schema::{application_transitions, applications, enterprises};
use crate::domain::StreetScope;
use crate::domain::application::Status;
use crate::domain::eligibility::DecisionKind;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = applications, check_for_backend(diesel::pg::Pg))]
pub struct Application {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub street_id: Option<Uuid>,
    pub tier: String,
    pub batch_year: i32,
    #[diesel(deserialize_as = String)]
    pub status: Status,
    pub created_by: Uuid,
    pub outcome_note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[diesel(deserialize_as = String)]
    pub kind: DecisionKind,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = applications)]
pub struct NewApplication<'a> {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub tier: &'a str,
    pub batch_year: i32,
    pub status: &'a str,
    pub created_by: Uuid,
    pub kind: &'a str,
}

/// What a transition changes on the application itself.
#[derive(Debug, AsChangeset)]
#[diesel(table_name = applications)]
pub struct Move<'a> {
    pub status: &'a str,
    pub outcome_note: Option<&'a str>,
    pub decided_at: Option<DateTime<Utc>>,
}

workflow_tables!(records: applications, row: Application, moves: Move, history: application_transitions, owner: application_id);

#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    pub batch_year: Option<i32>,
    pub tier: Option<String>,
    pub street_id: Option<Uuid>,
    pub status: Option<Status>,
    pub enterprise_id: Option<Uuid>,
}

pub fn insert(conn: &mut PgConnection, application: &NewApplication) -> QueryResult<Application> {
    diesel::insert_into(applications::table).values(application).returning(Application::as_returning()).get_result(conn)
}

/// The histories of several applications at once, each oldest first.
pub fn transitions_of_all(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> QueryResult<std::collections::HashMap<Uuid, Vec<Transition>>> {
    let rows = application_transitions::table
        .filter(application_transitions::application_id.eq_any(ids))
        .order(application_transitions::id)
        .select(Transition::as_select())
        .load(conn)?;
    let mut by_application = std::collections::HashMap::<Uuid, Vec<Transition>>::new();
    for row in rows {
        by_application.entry(row.application_id).or_default().push(row);
    }
    Ok(by_application)
}

/// Applications newest first, each with the enterprise's name, after `after`.
pub fn list(
    conn: &mut PgConnection,
    filter: &ApplicationFilter,
    scope: &StreetScope,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<(Application, String)>> {
    let mut query = applications::table
        .inner_join(enterprises::table)
        .select((Application::as_select(), enterprises::name))
        .order(applications::id.desc())
        .limit(limit)
        .into_boxed();
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(applications::street_id.eq_any(streets.clone()));
    }
    if let Some(year) = filter.batch_year {
        query = query.filter(applications::batch_year.eq(year));
    }
    if let Some(tier) = &filter.tier {
        query = query.filter(applications::tier.eq(tier.clone()));
    }
    if let Some(street) = filter.street_id {
        query = query.filter(applications::street_id.eq(street));
    }
    if let Some(status) = filter.status {
        query = query.filter(applications::status.eq(status.as_str()));
    }
    if let Some(enterprise) = filter.enterprise_id {
        query = query.filter(applications::enterprise_id.eq(enterprise));
    }
    if let Some(after) = after {
        query = query.filter(applications::id.lt(after));
    }
    query.load(conn)
}

/// An application's move, with what was applied for, for an enterprise's timeline.
#[derive(Debug, Clone, Queryable)]
pub struct TimelineMove {
    pub id: Uuid,
    pub application_id: Uuid,
    pub tier: String,
    pub batch_year: i32,
    pub action: String,
    pub at: DateTime<Utc>,
}

/// The moves of an enterprise's applications, newest first, before `(at, id)`.
pub fn moves_of_enterprise(
    conn: &mut PgConnection,
    enterprise: &Visible,
    before: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<TimelineMove>> {
    let mut query = application_transitions::table
        .inner_join(applications::table)
        .filter(applications::enterprise_id.eq(enterprise.id))
        .select((
            application_transitions::id,
            application_transitions::application_id,
            applications::tier,
            applications::batch_year,
            application_transitions::action,
            application_transitions::at,
        ))
        .order((application_transitions::at.desc(), application_transitions::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = before {
        query = query.filter(
            application_transitions::at
                .lt(at)
                .or(application_transitions::at.eq(at).and(application_transitions::id.lt(id))),
        );
    }
    query.load(conn)
}
