//! 申报: opening an enterprise's application for a rung in a yearly batch and moving it
//! through pre-review and submission to a decision; approval records the promotion.

use crate::config::Catalog;
use crate::db::applications::{self as store, Application, Move, NewApplication, NewTransition, Transition};
use crate::db::audit::{self, Change};
use crate::db::enterprises;
use crate::domain::application::{Action as ApplicationAction, Applications, Status};
use crate::domain::certification::Source;
use crate::domain::workflow::Workflow;
use crate::domain::{Action, dates};
use crate::service::ladder::{self, Grant, Moved};
use crate::service::{Authorized, FieldError, OrNotFound, ServiceError, cleaned};
use chrono::{Datelike, NaiveDate, Utc};
use diesel::{Connection, PgConnection};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

const ENTITY: &str = "application";

/// The first batch year applications are taken for.
const FIRST_BATCH_YEAR: i32 = 2000;

#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ApplicationBody)]
pub struct ApplicationInput {
    /// The rung applied for.
    #[schema(example = "hnte")]
    pub tier: String,
    /// The year of the batch (批次) it goes into: up to next year.
    #[schema(example = 2026)]
    pub batch_year: i32,
    #[validate(length(max = 2000))]
    pub note: Option<String>,
}

/// An application with the name of its enterprise.
pub struct Named {
    pub application: Application,
    pub enterprise_name: String,
    pub transitions: Vec<Transition>,
    /// The promotion (or certification) an approval recorded.
    pub promotion: Option<Moved>,
}

/// Opens an application (status `preparing`) for an enterprise in the caller's streets.
pub fn open(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    input: ApplicationInput,
) -> Result<Named, ServiceError> {
    input.validate()?;
    let mut errors = Vec::new();
    let tier = ladder::tier_field(&catalog.ladder, "tier", &input.tier)?;
    if tier == catalog.ladder.base() {
        errors.push(FieldError::new("tier", "one applies for a rung above the base"));
    }
    let next_year = catalog.today().year() + 1;
    if let Err(e) = dates::year_within(input.batch_year, FIRST_BATCH_YEAR, next_year) {
        errors.push(FieldError::new("batch_year", e));
    }
    ServiceError::unless_any(errors)?;
    let note = cleaned(input.note);
    let actor = auth.acting_user()?;
    conn.transaction(|conn| {
        let enterprise =
            enterprises::find(conn, enterprise_id, &auth.principal.street_scope()).or_not_found("enterprise")?;
        let created = store::insert(
            conn,
            &NewApplication {
                id: Uuid::now_v7(),
                enterprise_id,
                tier: tier.code(),
                batch_year: input.batch_year,
                status: Status::Preparing.as_str(),
                created_by: actor,
            },
        )?;
        store::record_transition(
            conn,
            &NewTransition {
                id: Uuid::now_v7(),
                application_id: created.id,
                action: "create",
                from_status: None,
                to_status: Status::Preparing.as_str(),
                actor_id: actor,
                note: note.as_deref(),
            },
        )?;
        audit::record(conn, &auth.audit, Change::created(ENTITY, created.id, &created))?;
        let transitions = store::transitions_of(conn, created.id)?;
        Ok(Named { application: created, enterprise_name: enterprise.fields.name, transitions, promotion: None })
    })
}

/// A move of an application along its workflow.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationMove {
    pub action: ApplicationAction,
    /// Required to `reject` and `withdraw`: the reason.
    #[validate(length(max = 2000))]
    pub note: Option<String>,
    /// With `approve`: the certificate granted.
    #[validate(length(max = 100))]
    pub certificate_no: Option<String>,
    /// With `approve`: the date on the certificate (default today).
    pub effective_on: Option<NaiveDate>,
    /// With `approve`: its last valid day (default: the rung's term).
    pub valid_until: Option<NaiveDate>,
    /// With `approve`: the published batch, e.g. 2026年第一批 (default "<batch_year>年").
    #[validate(length(max = 100))]
    pub batch: Option<String>,
}

impl ApplicationMove {
    /// The certificate fields, which only an approval takes.
    fn certificate_fields(&self) -> impl Iterator<Item = &'static str> {
        [
            ("certificate_no", self.certificate_no.is_some()),
            ("effective_on", self.effective_on.is_some()),
            ("valid_until", self.valid_until.is_some()),
            ("batch", self.batch.is_some()),
        ]
        .into_iter()
        .filter_map(|(field, given)| given.then_some(field))
    }

    /// What the caller must be allowed to do for this move: deciding is the bureau's.
    pub fn permission(&self) -> Action {
        if self.action.is_decision() { Action::CertifyEnterprises } else { Action::WriteEnterprises }
    }
}

/// Moves an application; an approval records the promotion (source `application`) in the
/// same transaction. An action its status does not allow is a conflict.
pub fn transition(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
    request: ApplicationMove,
) -> Result<Named, ServiceError> {
    request.validate()?;
    let action = request.action;
    let note = cleaned(request.note.clone());
    let mut errors = Vec::new();
    if action.needs_note() && note.is_none() {
        errors.push(FieldError::new("note", format!("a reason is required to {}", action.as_str())));
    }
    if action != ApplicationAction::Approve {
        errors.extend(request.certificate_fields().map(|field| FieldError::new(field, "is only taken with approve")));
    }
    let effective_on = match request.effective_on.map(|d| dates::happened_on(d, catalog.today())).transpose() {
        Ok(day) => day,
        Err(e) => {
            errors.push(FieldError::new("effective_on", e));
            None
        }
    };
    ServiceError::unless_any(errors)?;
    let actor = auth.acting_user()?;
    let scope = auth.principal.street_scope();
    conn.transaction(|conn| {
        let current = store::find_for_update(conn, id, &scope).or_not_found(ENTITY)?;
        let next = Applications::transition(current.status, action)?;
        let promotion = if action == ApplicationAction::Approve {
            let enterprise =
                enterprises::find_for_update(conn, current.enterprise_id, &scope).or_not_found("enterprise")?;
            let grant = Grant {
                tier: ladder::tier_field(&catalog.ladder, "tier", &current.tier)?,
                effective_on: effective_on.unwrap_or_else(|| catalog.today()),
                valid_until: request.valid_until,
                certificate_no: cleaned(request.certificate_no),
                batch: cleaned(request.batch).or_else(|| Some(format!("{}年", current.batch_year))),
                note: note.clone(),
                source: Source::Application,
                application_id: Some(id),
            };
            Some(ladder::grant(conn, catalog, &auth.audit, &enterprise, &grant)?)
        } else {
            None
        };
        let decided = matches!(next, Status::Approved | Status::Rejected | Status::Withdrawn);
        let updated = store::apply(
            conn,
            id,
            &Move {
                status: next.as_str(),
                outcome_note: note.as_deref().filter(|_| action.needs_note()),
                decided_at: decided.then(Utc::now),
            },
        )?;
        store::record_transition(
            conn,
            &NewTransition {
                id: Uuid::now_v7(),
                application_id: id,
                action: action.as_str(),
                from_status: Some(current.status.as_str()),
                to_status: next.as_str(),
                actor_id: actor,
                note: note.as_deref(),
            },
        )?;
        audit::record(conn, &auth.audit, Change::changed(ENTITY, id, action.as_str(), &current, &updated))?;
        let enterprise_name = enterprises::name_of(conn, updated.enterprise_id)?;
        let transitions = store::transitions_of(conn, id)?;
        Ok(Named { application: updated, enterprise_name, transitions, promotion })
    })
}
