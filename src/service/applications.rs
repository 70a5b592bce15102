//! 申报: opening an enterprise's application for a rung in a yearly batch and moving it
//! through pre-review and submission to a decision; approval records the promotion.

use crate::config::Catalog;
use crate::db::applications::{self as store, Application, NewApplication, Transition};
use crate::db::workflow_tables::Step as HistoryStep;
use crate::db::{certificates, enterprises};
use crate::domain::Refusal;
use crate::domain::application::{Action as ApplicationAction, Applications, Approval, Move, Moving, Status};
use crate::domain::certification::Source;
use crate::domain::eligibility::DecisionKind;
use crate::domain::workflow::{Note, Workflow};
use crate::domain::{Action, StreetScope, dates};
use crate::service::ladder::{self, Grant, Moved};
use crate::service::workflow::{self, Step, Stored};
use crate::service::{Authorized, BasedOn, FieldError, OrNotFound, ServiceError, cleaned};
use chrono::{Datelike, NaiveDate, Utc};
use diesel::{Connection, PgConnection, QueryResult};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

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
    /// A first certificate (`new`, the default) or the review (复核) of a held one.
    #[serde(default)]
    pub kind: DecisionKind,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
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
    auth.require(Action::WriteEnterprises)?;
    input.validate()?;
    let mut errors = Vec::new();
    let tier = ladder::tier_field(&catalog.ladder, "tier", &input.tier)?;
    if tier == catalog.ladder.base() {
        errors.push(FieldError::new("tier", Refusal::RungAboveBase));
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
        if input.kind == DecisionKind::Review {
            let held = certificates::held(conn, &enterprise)?;
            let today = catalog.today();
            if !held.iter().any(|c| c.tier == tier.code() && c.valid_until.is_none_or(|until| until >= today)) {
                let refusal = Refusal::ReviewNeedsCertificate { tier: catalog.ladder.word(tier.code()) };
                return Err(ServiceError::invalid("tier", refusal));
            }
        }
        let created = store::insert(
            conn,
            &NewApplication {
                id: Uuid::now_v7(),
                enterprise_id,
                tier: tier.code(),
                batch_year: input.batch_year,
                status: Status::Preparing.as_str(),
                created_by: actor,
                kind: input.kind.as_str(),
            },
        )?;
        let step =
            Step { action: "create", from: None, to: Status::Preparing, actor: Some(actor), note: note.as_deref() };
        workflow::settle::<Applications>(conn, &auth.audit, created.id, &step, None, &created)?;
        let transitions = store::transitions_of(conn, created.id)?;
        Ok(Named {
            application: created,
            enterprise_name: enterprise.fields.name.clone(),
            transitions,
            promotion: None,
        })
    })
}

impl Stored for Applications {
    type Record = Application;
    const ENTITY: &'static str = "application";

    fn lock(conn: &mut PgConnection, id: Uuid, scope: &StreetScope) -> QueryResult<Application> {
        store::find_for_update(conn, id, scope)
    }

    fn status(application: &Application) -> Status {
        application.status
    }

    fn version(application: &Application) -> i32 {
        application.version
    }

    fn record(conn: &mut PgConnection, id: Uuid, step: &HistoryStep<'_>) -> QueryResult<()> {
        store::record_step(conn, id, step)
    }
}

/// A move of an application along its workflow, as the API takes it.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationMove {
    pub action: ApplicationAction,
    /// Required to `reject` and `withdraw`: the reason.
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
    /// With `approve`: the certificate granted.
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub certificate_no: Option<String>,
    /// With `approve`: the date on the certificate (default today).
    pub effective_on: Option<NaiveDate>,
    /// With `approve`: its last valid day (default: the rung's term).
    pub valid_until: Option<NaiveDate>,
    /// With `approve`: the published batch, e.g. 2026年第一批 (default "<batch_year>年").
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub batch: Option<String>,
}

impl ApplicationMove {
    /// The move asked for, with what it takes (422 naming each missing or wrong input).
    pub fn parse(self, catalog: &Catalog) -> Result<Moving, ServiceError> {
        self.validate()?;
        let certificate = Approval {
            certificate_no: cleaned(self.certificate_no),
            effective_on: self.effective_on,
            valid_until: self.valid_until,
            batch: cleaned(self.batch),
        };
        Moving::parse(self.action, certificate, self.note.as_deref(), catalog.today()).map_err(|refused| {
            ServiceError::Invalid(refused.into_iter().map(|(field, why)| FieldError::new(field, why)).collect())
        })
    }
}

/// Moves an application (see [`workflow::advance`]); an approval records the promotion
/// (source `application`) in the same transaction.
pub fn transition(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
    moving: &Moving,
) -> Result<Named, ServiceError> {
    let action = moving.action();
    let mut promotion = None;
    let updated = workflow::advance::<Applications>(
        conn,
        auth,
        id,
        action,
        moving.note(),
        &BasedOn::Any,
        |conn, current, next| {
            if let Move::Approve(certificate) = moving.step() {
                promotion = Some(approve(conn, auth, catalog, current, certificate, moving.note())?);
            }
            let change = store::Move {
                status: next.as_str(),
                outcome_note: moving.note().filter(|_| Applications::note(action) == Note::Reason),
                decided_at: next.is_decided().then(Utc::now),
            };
            Ok(store::apply(conn, id, &change)?)
        },
    )?;
    let enterprise_name = enterprises::name_of(conn, updated.enterprise_id)?;
    let transitions = store::transitions_of(conn, id)?;
    Ok(Named { application: updated, enterprise_name, transitions, promotion })
}

/// Records the certificate an approval grants, promoting the enterprise.
fn approve(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    application: &Application,
    certificate: &Approval,
    note: Option<&str>,
) -> Result<Moved, ServiceError> {
    let scope = auth.principal.street_scope();
    let enterprise =
        enterprises::find_for_update(conn, application.enterprise_id, &scope).or_not_found("enterprise")?;
    let grant = Grant {
        tier: ladder::tier_field(&catalog.ladder, "tier", &application.tier)?,
        effective_on: certificate.effective_on.unwrap_or_else(|| catalog.today()),
        valid_until: certificate.valid_until,
        certificate_no: certificate.certificate_no.clone(),
        batch: certificate.batch.clone().or_else(|| Some(format!("{}年", application.batch_year))),
        note: note.map(str::to_owned),
        source: Source::Application,
        application_id: Some(application.id),
    };
    ladder::grant(conn, catalog, &auth.audit, &enterprise, &grant)
}

/// One application in the caller's streets, with its enterprise's name and its history.
pub fn find(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<Named, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    let application = store::find(conn, id, &auth.principal.street_scope()).or_not_found("application")?;
    let enterprise_name = enterprises::name_of(conn, application.enterprise_id)?;
    let transitions = store::transitions_of(conn, id)?;
    Ok(Named { application, enterprise_name, transitions, promotion: None })
}

/// Applications in the caller's streets that `filter` keeps, each with its enterprise's
/// name, the page after `after`.
pub fn list(
    conn: &mut PgConnection,
    auth: &Authorized,
    filter: &store::ApplicationFilter,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(Application, String)>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    Ok(store::list(conn, filter, &auth.principal.street_scope(), after, limit)?)
}

/// The histories of `applications` (of a list the caller read), by application.
pub fn histories(
    conn: &mut PgConnection,
    auth: &Authorized,
    applications: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, Vec<Transition>>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    Ok(store::transitions_of_all(conn, applications)?)
}
