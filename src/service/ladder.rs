//! Moving enterprises on the ladder: promotions and demotions by hand, granting
//! certificates (for applications and registries too), and the expiry run.
//!
//! Each move works inside the caller's transaction on an enterprise the caller has locked
//! (`enterprises::find_for_update`): racing moves of one enterprise queue up on the row
//! lock, and the second sees where the first left it (so of two racing promotions to
//! the same rung, exactly one wins and the other gets 409).

use crate::config::Catalog;
use crate::db::audit::{self, Change, Context};
use crate::db::certificates::{self, Certificate, NewCertificate, NewTierChange, TierChange};
use crate::db::enterprises::{self, Enterprise, Visible};
use crate::domain::Action;
use crate::domain::certification::{self, ChangeKind, DemotionReason, MoveError, Source};
use crate::domain::eligibility::{DecisionKind, in_force};
use crate::domain::{Actor, Ladder, StreetScope, Tier, dates};
use crate::service::{Authorized, OrNotFound, cleaned};
use crate::service::{ServiceError, cultivation};
use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::Validate;

/// A tier code from an input, on the ladder (invalid on `field` otherwise).
pub fn tier_field(ladder: &Ladder, field: &str, code: &str) -> Result<Tier, ServiceError> {
    ladder.tier(code).map_err(|e| ServiceError::invalid(field, e))
}

/// A day a move took effect: not in the future, not before 1900.
fn effective_field(catalog: &Catalog, field: &str, day: NaiveDate) -> Result<NaiveDate, ServiceError> {
    dates::happened_on(day, catalog.today()).map_err(|e| ServiceError::invalid(field, e))
}

/// A promotion recorded by hand, with the certificate it rests on.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = PromotionBody)]
pub struct PromotionInput {
    /// The rung it moves up to; must be above its tier now.
    #[schema(example = "hnte")]
    pub to_tier: String,
    /// The date on the certificate; not in the future.
    pub effective_on: NaiveDate,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    #[schema(example = "GR202544001234")]
    pub certificate_no: Option<String>,
    /// Its last valid day. Default: the rung's term from `effective_on` (3 years for 国高).
    pub valid_until: Option<NaiveDate>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    #[schema(example = "2025年第一批")]
    pub batch: Option<String>,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// A demotion recorded by hand.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = DemotionBody)]
pub struct DemotionInput {
    /// The rung it falls to: below its tier now, and one it still holds (or `prospect`).
    pub to_tier: String,
    pub reason: DemotionReason,
    pub effective_on: NaiveDate,
    #[validate(length(max = 2000))]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Records a promotion by hand on an enterprise in the caller's streets, locked for the
/// transaction: of two racing promotions to one rung, exactly one wins.
pub fn promote(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    input: PromotionInput,
) -> Result<Moved, ServiceError> {
    auth.require(Action::CertifyEnterprises)?;
    input.validate()?;
    let certificate = Grant {
        tier: tier_field(&catalog.ladder, "to_tier", &input.to_tier)?,
        effective_on: effective_field(catalog, "effective_on", input.effective_on)?,
        valid_until: input.valid_until,
        certificate_no: cleaned(input.certificate_no),
        batch: cleaned(input.batch),
        note: cleaned(input.note),
        source: Source::Manual,
        application_id: None,
    };
    on_locked(conn, auth, enterprise_id, |conn, enterprise| grant(conn, catalog, &auth.audit, enterprise, &certificate))
}

/// Records a demotion by hand: every certificate above the new rung ends.
pub fn demote_by_hand(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    enterprise_id: Uuid,
    input: DemotionInput,
) -> Result<Moved, ServiceError> {
    auth.require(Action::CertifyEnterprises)?;
    input.validate()?;
    let demotion = Demotion {
        tier: tier_field(&catalog.ladder, "to_tier", &input.to_tier)?,
        reason: input.reason,
        effective_on: effective_field(catalog, "effective_on", input.effective_on)?,
        note: cleaned(input.note),
        source: Source::Manual,
    };
    on_locked(conn, auth, enterprise_id, |conn, enterprise| demote(conn, catalog, &auth.audit, enterprise, &demotion))
}

/// Runs `make` on the enterprise, locked, in one transaction.
fn on_locked(
    conn: &mut PgConnection,
    auth: &Authorized,
    enterprise_id: Uuid,
    make: impl FnOnce(&mut PgConnection, &Visible) -> Result<Moved, ServiceError>,
) -> Result<Moved, ServiceError> {
    conn.transaction(|conn| {
        let enterprise = enterprises::find_for_update(conn, enterprise_id, &auth.principal.street_scope())
            .or_not_found("enterprise")?;
        make(conn, &enterprise)
    })
}

/// A certificate to record.
#[derive(Debug, Clone)]
pub struct Grant {
    pub tier: Tier,
    pub effective_on: NaiveDate,
    /// `None`: the rung's term from `effective_on` (see [`crate::domain::Ladder::term_end`]).
    pub valid_until: Option<NaiveDate>,
    pub certificate_no: Option<String>,
    pub batch: Option<String>,
    pub note: Option<String>,
    pub source: Source,
    pub application_id: Option<Uuid>,
}

/// A demotion to record.
#[derive(Debug, Clone)]
pub struct Demotion {
    pub tier: Tier,
    pub reason: DemotionReason,
    pub effective_on: NaiveDate,
    pub note: Option<String>,
    pub source: Source,
}

/// What a move did.
#[derive(Debug, Clone)]
pub struct Moved {
    pub change: TierChange,
    /// The certificate granted, if any.
    pub certificate: Option<Certificate>,
    pub enterprise: Enterprise,
}

fn conflict(ladder: &Ladder, error: MoveError) -> ServiceError {
    let refusal = error.refusal(ladder);
    match error {
        MoveError::NotHeld { .. } => ServiceError::invalid("to_tier", refusal),
        MoveError::NotUpward { .. } | MoveError::NotDownward { .. } => ServiceError::conflict(refusal),
    }
}

/// One move, as the history records it.
pub(crate) struct Step<'a> {
    pub kind: ChangeKind,
    pub from: &'a Tier,
    pub to: &'a Tier,
    pub effective_on: NaiveDate,
    pub certificate_id: Option<Uuid>,
    pub reason: Option<DemotionReason>,
    pub note: Option<&'a str>,
    pub source: Source,
    pub application_id: Option<Uuid>,
}

/// Appends a move to the enterprise's history, with who made it and the rule set in
/// force for the rung it went to, and audits it.
fn record(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    enterprise: &Enterprise,
    step: Step,
) -> Result<TierChange, ServiceError> {
    let change = certificates::record_change(conn, &step.history_row(catalog, context, enterprise.id))?;
    audit::record(conn, context, Change::created("tier_change", change.id, &change))?;
    Ok(change)
}

impl<'a> Step<'a> {
    /// The history row of this step of `enterprise_id`.
    pub(crate) fn history_row(
        &self,
        catalog: &'a Catalog,
        context: &Context,
        enterprise_id: Uuid,
    ) -> NewTierChange<'a> {
        NewTierChange {
            id: Uuid::now_v7(),
            enterprise_id,
            kind: self.kind.as_str(),
            from_tier: self.from.code(),
            to_tier: self.to.code(),
            effective_on: self.effective_on,
            certificate_id: self.certificate_id,
            reason: self.reason.map(DemotionReason::as_str),
            note: self.note,
            source: self.source.as_str(),
            actor_kind: context.actor.kind(),
            actor_id: context.actor.id(),
            rule_set: in_force(&catalog.rule_sets, self.to.code(), DecisionKind::New, self.effective_on)
                .map(|r| r.document.as_str()),
            application_id: self.application_id,
        }
    }
}

/// Moves the enterprise's tier, audited as the move's kind.
fn move_tier(
    conn: &mut PgConnection,
    context: &Context,
    enterprise: &Enterprise,
    kind: ChangeKind,
    tier: &Tier,
) -> Result<Enterprise, ServiceError> {
    let moved = enterprises::set_tier(conn, enterprise.id, tier.code())?;
    audit::record(conn, context, Change::changed("enterprise", enterprise.id, kind.as_str(), enterprise, &moved))?;
    Ok(moved)
}

/// Grants `enterprise` (locked by the caller) a certificate: a promotion when it goes
/// above the current tier; otherwise, for applications and registries, a certification
/// that leaves the tier where it is. By hand, a grant that does not promote is 409.
pub fn grant(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    enterprise: &Enterprise,
    grant: &Grant,
) -> Result<Moved, ServiceError> {
    let current = catalog.ladder.standing([enterprise.tier.as_str()]);
    let kind = certification::grant(&current, &grant.tier, grant.source).map_err(|e| conflict(&catalog.ladder, e))?;
    let valid_until = certification::valid_until(
        &catalog.ladder,
        &grant.tier,
        grant.effective_on,
        grant.valid_until,
        catalog.today(),
    )
    .map_err(|e| ServiceError::invalid("valid_until", e))?;
    let certificate = certificates::insert(
        conn,
        &NewCertificate {
            id: Uuid::now_v7(),
            enterprise_id: enterprise.id,
            tier: grant.tier.code(),
            certificate_no: grant.certificate_no.as_deref(),
            effective_on: grant.effective_on,
            valid_until,
            batch: grant.batch.as_deref(),
            source: grant.source.as_str(),
        },
    )?;
    audit::record(conn, context, Change::created("certificate", certificate.id, &certificate))?;
    let to = if kind == ChangeKind::Promotion { &grant.tier } else { &current };
    let change = record(
        conn,
        catalog,
        context,
        enterprise,
        Step {
            kind,
            from: &current,
            to,
            effective_on: grant.effective_on,
            certificate_id: Some(certificate.id),
            reason: None,
            note: grant.note.as_deref(),
            source: grant.source,
            application_id: grant.application_id,
        },
    )?;
    let enterprise = if kind == ChangeKind::Promotion {
        move_tier(conn, context, enterprise, kind, to)?
    } else {
        enterprise.clone()
    };
    cultivation::certificates_changed(conn, catalog, &[enterprise.id])?;
    Ok(Moved { change, certificate: Some(certificate), enterprise })
}

/// Demotes `enterprise` (locked by the caller): every certificate above the new rung
/// ends on `effective_on`, and the new rung must be one it still holds (or the base).
pub fn demote(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    enterprise: &Visible,
    demotion: &Demotion,
) -> Result<Moved, ServiceError> {
    let ladder = &catalog.ladder;
    let current = ladder.standing([enterprise.tier.as_str()]);
    let held = certificates::held(conn, enterprise)?;
    certification::demotion(ladder, &current, &demotion.tier, held.iter().map(|c| c.tier.as_str()))
        .map_err(|e| conflict(&catalog.ladder, e))?;
    let above: Vec<Uuid> =
        held.iter().filter(|c| ladder.tier(&c.tier).is_ok_and(|t| t > demotion.tier)).map(|c| c.id).collect();
    end_certificates(conn, context, &held, &above, demotion.effective_on, demotion.reason)?;
    moved_down(conn, catalog, context, enterprise, &current, demotion)
}

/// Ends `ids` among `held`, auditing each.
fn end_certificates(
    conn: &mut PgConnection,
    context: &Context,
    held: &[Certificate],
    ids: &[Uuid],
    on: NaiveDate,
    reason: DemotionReason,
) -> Result<(), ServiceError> {
    for ended in certificates::end(conn, ids, on, reason)? {
        if let Some(before) = held.iter().find(|c| c.id == ended.id) {
            audit::record(conn, context, Change::changed("certificate", ended.id, "end", before, &ended))?;
        }
    }
    Ok(())
}

fn moved_down(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    enterprise: &Enterprise,
    current: &Tier,
    demotion: &Demotion,
) -> Result<Moved, ServiceError> {
    let change = record(
        conn,
        catalog,
        context,
        enterprise,
        Step {
            kind: ChangeKind::Demotion,
            from: current,
            to: &demotion.tier,
            effective_on: demotion.effective_on,
            certificate_id: None,
            reason: Some(demotion.reason),
            note: demotion.note.as_deref(),
            source: demotion.source,
            application_id: None,
        },
    )?;
    let enterprise = move_tier(conn, context, enterprise, ChangeKind::Demotion, &demotion.tier)?;
    cultivation::certificates_changed(conn, catalog, &[enterprise.id])?;
    Ok(Moved { change, certificate: None, enterprise })
}

/// Ends the certificates of one enterprise that lapsed before `today` and, if it no
/// longer holds its rung, drops it to the highest it still holds (source `expiry`).
fn expire_enterprise(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    id: Uuid,
    today: NaiveDate,
) -> Result<Option<TierChange>, ServiceError> {
    let enterprise = enterprises::find_for_update(conn, id, &StreetScope::All)?;
    let held = certificates::held(conn, &enterprise)?;
    let (lapsed, kept): (Vec<&Certificate>, Vec<&Certificate>) =
        held.iter().partition(|c| c.valid_until.is_some_and(|until| until < today));
    // A certificate is valid through its last day and lapses the day after.
    let lapsed_on = |c: &Certificate| c.valid_until.and_then(|until| until.succ_opt()).unwrap_or(today);
    for certificate in &lapsed {
        end_certificates(conn, context, &held, &[certificate.id], lapsed_on(certificate), DemotionReason::Expired)?;
    }
    let current = catalog.ladder.standing([enterprise.tier.as_str()]);
    let standing = catalog.ladder.standing(kept.iter().map(|c| c.tier.as_str()));
    if standing >= current {
        // A lower certificate lapsed: the titles it held changed.
        cultivation::certificates_changed(conn, catalog, &[enterprise.id])?;
        return Ok(None);
    }
    let effective_on = lapsed.iter().map(|c| lapsed_on(c)).max().unwrap_or(today);
    let demotion =
        Demotion { tier: standing, reason: DemotionReason::Expired, effective_on, note: None, source: Source::Expiry };
    Ok(Some(moved_down(conn, catalog, context, &enterprise, &current, &demotion)?.change))
}

/// What an expiry run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpiryRun {
    /// Enterprises that held a lapsed certificate.
    pub enterprises: usize,
    /// Those of them that dropped a rung.
    pub demoted: usize,
    /// Those whose transaction failed: skipped and logged, for the next run to retry.
    pub failed: usize,
}

/// Serialises expiry runs across instances ("expire" in ASCII).
pub const EXPIRY_LOCK: i64 = 0x0000_6578_7069_7265;

/// Batches of enterprises, each enterprise in a transaction of its own.
const BATCH: i64 = 500;

diesel::define_sql_function!(
    /// Takes a session-level advisory lock if free: jobs that one instance runs at a time.
    fn pg_try_advisory_lock(key: diesel::sql_types::BigInt) -> Bool
);

/// Ends every certificate that lapsed before `today` and demotes whoever it leaves
/// below their rung. Only one instance runs it at a time (an advisory lock); `None`
/// when another holds it.
pub fn expire(conn: &mut PgConnection, catalog: &Catalog, today: NaiveDate) -> Result<Option<ExpiryRun>, ServiceError> {
    if !diesel::select(pg_try_advisory_lock(EXPIRY_LOCK)).get_result::<bool>(conn)? {
        return Ok(None);
    }
    let context = Context { actor: Actor::System, request_id: None };
    let mut run = ExpiryRun::default();
    let outcome = (|| {
        // In id order, past each batch: an enterprise that fails is passed over, so that
        // it holds back no other.
        let mut after = None;
        loop {
            let holders = certificates::lapsed_holders(conn, today, after, BATCH)?;
            let Some(last) = holders.last() else { return Ok(run) };
            after = Some(*last);
            for id in holders {
                run.enterprises += 1;
                match conn.transaction(|conn| expire_enterprise(conn, catalog, &context, id, today)) {
                    Ok(demoted) => run.demoted += usize::from(demoted.is_some()),
                    Err(ServiceError::Unavailable(cause)) => return Err(ServiceError::Unavailable(cause)),
                    Err(error) => {
                        tracing::error!(enterprise = %id, error = format!("{:#}", anyhow::Error::from(error)), "expiry skipped an enterprise");
                        crate::metrics::expiry_failure();
                        run.failed += 1;
                    }
                }
            }
        }
    })();
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({EXPIRY_LOCK})"))?;
    outcome.map(Some)
}

/// An enterprise's moves oldest first, each with the certificate it granted, the page
/// after `after`.
pub fn history(
    conn: &mut PgConnection,
    auth: &Authorized,
    enterprise_id: Uuid,
    after: Option<Uuid>,
    limit: i64,
) -> Result<Vec<(TierChange, Option<Certificate>)>, ServiceError> {
    let enterprise = crate::service::enterprises::find(conn, auth, enterprise_id)?;
    Ok(certificates::history(conn, &enterprise, after, limit)?)
}

/// Every certificate of an enterprise, held or ended, newest first.
pub fn certificates_of(
    conn: &mut PgConnection,
    auth: &Authorized,
    enterprise: &Visible,
) -> Result<Vec<Certificate>, ServiceError> {
    auth.require(Action::ReadEnterprises)?;
    Ok(certificates::of_enterprise(conn, enterprise)?)
}

/// The certificates an enterprise still holds.
pub fn held(
    conn: &mut PgConnection,
    auth: &Authorized,
    enterprise: &Visible,
) -> Result<Vec<Certificate>, ServiceError> {
    auth.require(Action::ReadEnterprises)?;
    Ok(certificates::held(conn, enterprise)?)
}

/// Certificates that lapse within `window`, in the caller's streets, the page after `after`.
pub fn expiring(
    conn: &mut PgConnection,
    auth: &Authorized,
    filter: &certificates::ExpiringFilter,
    window: (NaiveDate, NaiveDate),
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<certificates::Expiring>, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    Ok(certificates::expiring(conn, &auth.principal.street_scope(), filter, window, after, limit)?)
}

/// The streets whose expiring certificates the caller may read, for an export that reads
/// them after this unit of work.
pub fn expiring_scope(auth: &Authorized) -> Result<StreetScope, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    Ok(auth.principal.street_scope())
}
