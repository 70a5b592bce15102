//! 准备度雷达: how close each enterprise's latest figures bring it to each rung above it,
//! and whether they still keep the rung it stands on. Evaluating every rule for a street
//! per request is too slow for a district, so the answers are kept per enterprise
//! (`readiness`, `rung_risks`) and recomputed where their inputs change: an enterprise's
//! figures, certificates, founding date or street, and — for everyone, in the background —
//! the rules, the ladder or the year.

use crate::config::Catalog;
use crate::db::readiness::{self as store, Held, NewReadiness, NewRisk, NewTerm, RankKey, Subject};
use crate::domain::eligibility::{CriterionResult, DecisionKind, Enterprise, Indicators, evaluate, in_force};
use crate::domain::{Action, Tier};
use crate::service::{Authorized, ServiceError};
use chrono::{Datelike, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;
use uuid::Uuid;

/// How many years of figures an evaluation reads (the longest look-back, growth over 3
/// years, needs 4).
const YEARS_READ: i32 = 6;
/// Enterprises per transaction of a full recount.
const BATCH: i64 = 1000;
/// Serialises full recounts across instances ("ready" in ASCII).
const RECOUNT_LOCK: i64 = 0x0000_0072_6561_6479;

/// A criterion not yet met, in the bureau's words: what the rule asks, what the figures
/// show, what is missing and which years have no figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Gap {
    pub code: String,
    /// What it measures, in a few words (研发费用占比).
    #[serde(default)]
    pub name: String,
    pub description: String,
    pub required: String,
    /// `null`: a figure is missing.
    pub actual: Option<String>,
    /// E.g. "研发费用还差 40 万元"; `null` when unknown.
    pub short_by: Option<String>,
    pub missing_years: Vec<i32>,
}

impl Gap {
    fn of(result: &CriterionResult) -> Self {
        Self {
            code: result.code.clone(),
            name: result.name.clone(),
            description: result.description.clone(),
            required: result.required.clone(),
            actual: result.actual.clone(),
            short_by: result.short_by.clone(),
            missing_years: result.missing_years.clone(),
        }
    }
}

/// The criteria not met, smallest gap first.
fn gaps(results: &[CriterionResult], keep: impl Fn(&CriterionResult) -> bool) -> Vec<Gap> {
    let mut open: Vec<&CriterionResult> = results.iter().filter(|r| r.met != Some(true) && keep(r)).collect();
    open.sort_by(|a, b| a.gap.total_cmp(&b.gap));
    open.into_iter().map(Gap::of).collect()
}

/// What the evaluations of some enterprises read: each one's founding date and rung, its
/// figures and the rungs it holds certificates for, loaded in three queries.
struct Subjects {
    subjects: Vec<Subject>,
    figures: HashMap<Uuid, BTreeMap<i32, Indicators>>,
    titles: HashMap<Uuid, Vec<String>>,
    /// The certificates held, by enterprise.
    held: HashMap<Uuid, Vec<Held>>,
    none: BTreeMap<i32, Indicators>,
}

impl Subjects {
    fn load(conn: &mut PgConnection, ids: &[Uuid], today: NaiveDate) -> QueryResult<Self> {
        let subjects = store::subjects(conn, ids)?;
        let mut figures: HashMap<Uuid, BTreeMap<i32, Indicators>> = HashMap::new();
        for (id, year, document) in store::figures(conn, ids, today.year() - YEARS_READ)? {
            // A document that no longer parses counts as not reported.
            figures.entry(id).or_default().insert(year, serde_json::from_value(document).unwrap_or_default());
        }
        let mut titles: HashMap<Uuid, Vec<String>> = HashMap::new();
        let mut held: HashMap<Uuid, Vec<Held>> = HashMap::new();
        for h in store::held(conn, ids, today)? {
            titles.entry(h.enterprise_id).or_default().push(h.tier.clone());
            held.entry(h.enterprise_id).or_default().push(h);
        }
        Ok(Self { subjects, figures, titles, held, none: BTreeMap::new() })
    }

    /// The term of the certificate `subject` stands on: the latest-ending of its rung's.
    fn term(&self, subject: &Subject) -> Option<NewTerm> {
        self.held
            .get(&subject.id)?
            .iter()
            .filter(|h| h.tier == subject.tier)
            .filter_map(|h| h.valid_until.map(|until| (until, h)))
            .max_by_key(|(until, _)| *until)
            .map(|(valid_until, h)| NewTerm {
                enterprise_id: subject.id,
                tier: h.tier.clone(),
                certificate_id: h.certificate_id,
                valid_until,
            })
    }

    fn of<'a>(&'a self, subject: &Subject) -> Enterprise<'a> {
        Enterprise {
            established_on: subject.established_on,
            figures: self.figures.get(&subject.id).unwrap_or(&self.none),
            titles: self.titles.get(&subject.id).map(Vec::as_slice).unwrap_or_default(),
        }
    }
}

/// What one enterprise's figures say: a row per rung above it that has rules (the first
/// is its next rung), and the criteria keeping its own rung that fail, if any.
fn assess(
    catalog: &Catalog,
    subject: &Subject,
    enterprise: &Enterprise,
    today: NaiveDate,
) -> (Vec<NewReadiness>, Option<NewRisk>) {
    let current: Tier = catalog.ladder.standing([subject.tier.as_str()]);
    let mut rows = Vec::new();
    for rung in catalog.ladder.rungs() {
        let Ok(tier) = catalog.ladder.tier(&rung.code) else { continue };
        if tier <= current {
            continue;
        }
        let Some(rules) = in_force(&catalog.rule_sets, &rung.code, DecisionKind::New, today) else { continue };
        let results = evaluate(rules, enterprise, today);
        let met = results.iter().filter(|r| r.met == Some(true)).count();
        let total = results.len();
        rows.push(NewReadiness {
            enterprise_id: subject.id,
            target_tier: rung.code.clone(),
            next: rows.is_empty(),
            met: i16::try_from(met).unwrap_or(i16::MAX),
            total: i16::try_from(total).unwrap_or(i16::MAX),
            short: i16::try_from(total - met).unwrap_or(i16::MAX),
            shortfall: results.iter().map(|r| r.gap).sum::<f64>() as f32,
        });
    }
    let rung = catalog.ladder.rung(&current);
    let risk = (!rung.keep_criteria.is_empty())
        .then(|| in_force(&catalog.rule_sets, &rung.code, DecisionKind::Review, today))
        .flatten()
        .and_then(|rules| {
            let results = evaluate(rules, enterprise, today);
            let failing = gaps(&results, |r| r.met == Some(false) && rung.keep_criteria.contains(&r.code));
            (!failing.is_empty()).then(|| NewRisk {
                enterprise_id: subject.id,
                tier: rung.code.clone(),
                rule_set: rules.document.clone(),
                gaps: serde_json::to_value(&failing).unwrap_or_default(),
            })
        });
    (rows, risk)
}

/// Recomputes the rows of `ids` (within the caller's transaction), locking the
/// enterprises so that two recomputations of one take turns. With `skip_locked`, an
/// enterprise another transaction holds is left to it (it recomputes on commit).
fn recompute(conn: &mut PgConnection, catalog: &Catalog, ids: &[Uuid], skip_locked: bool) -> QueryResult<usize> {
    let today = catalog.today();
    let locked = store::lock(conn, ids, skip_locked)?;
    let loaded = Subjects::load(conn, &locked, today)?;
    let (mut rows, mut risks, mut terms) = (Vec::new(), Vec::new(), Vec::new());
    for subject in &loaded.subjects {
        let (readiness, risk) = assess(catalog, subject, &loaded.of(subject), today);
        rows.extend(readiness);
        risks.extend(risk);
        terms.extend(loaded.term(subject));
    }
    store::replace(conn, &locked, &rows, &risks, &terms)?;
    Ok(locked.len())
}

/// Recomputes enterprise `ids` after a change to their figures, certificates, founding
/// date or archive, in the caller's transaction.
pub fn refresh(conn: &mut PgConnection, catalog: &Catalog, ids: &[Uuid]) -> QueryResult<()> {
    recompute(conn, catalog, ids, false).map(drop)
}

/// The version of what is kept per enterprise: a release that keeps something else (a new
/// column, another rank) bumps it, and its first start recomputes everyone.
const KEPT: u32 = 2;

/// What the rows depend on besides each enterprise: what is kept, the rules, the ladder
/// and the year.
fn fingerprint(catalog: &Catalog) -> String {
    let basis = format!("{KEPT}|{:?}|{:?}|{}", catalog.rule_sets, catalog.ladder, catalog.today().year());
    Sha256::digest(basis.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Recomputes every enterprise when the rules, the ladder or the year changed since the
/// rows were computed; `None` when nothing changed or another instance is at it, else how
/// many enterprises it recomputed.
pub fn recount_if_stale(conn: &mut PgConnection, catalog: &Catalog) -> Result<Option<usize>, ServiceError> {
    let fingerprint = fingerprint(catalog);
    if store::basis(conn)?.as_deref() == Some(fingerprint.as_str()) {
        return Ok(None);
    }
    if !diesel::select(crate::service::ladder::pg_try_advisory_lock(RECOUNT_LOCK)).get_result::<bool>(conn)? {
        return Ok(None);
    }
    let outcome = (|| {
        let (mut after, mut done) = (None, 0);
        loop {
            let ids = store::ids_after(conn, after, BATCH)?;
            let Some(last) = ids.last() else { break };
            after = Some(*last);
            done += conn.transaction(|conn| recompute(conn, catalog, &ids, true))?;
        }
        store::set_basis(conn, &fingerprint)?;
        Ok::<_, ServiceError>(done)
    })();
    conn.batch_execute(&format!("SELECT pg_advisory_unlock({RECOUNT_LOCK})"))?;
    outcome.map(Some)
}

/// The streets whose radar the caller may read, for an export that reads it after this
/// unit of work.
pub fn radar_scope(auth: &Authorized) -> Result<crate::domain::StreetScope, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    Ok(auth.principal.street_scope())
}

/// Which rows the radar ranks.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RadarQuery {
    /// Rank toward this rung; by default toward each enterprise's next rung with rules.
    pub tier: Option<String>,
    /// One street (within the caller's).
    pub street_id: Option<Uuid>,
}

/// One enterprise on the radar.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    pub enterprise_id: Uuid,
    pub name: String,
    /// Where it stands.
    pub tier: String,
    pub street_id: Option<Uuid>,
    /// The rung it is measured against.
    pub target_tier: String,
    /// Criteria met, of `total`.
    pub met: i16,
    pub total: i16,
    /// The rule set it was measured by.
    pub rule_set: String,
    /// What is missing, smallest gap first.
    pub gaps: Vec<Gap>,
}

/// The radar in the caller's streets, closest first: fewest criteria short, then the
/// smallest gaps, the page after `after`.
pub fn radar(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    query: &RadarQuery,
    after: Option<RankKey>,
    limit: i64,
) -> Result<Vec<(Ready, RankKey)>, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    if let Some(tier) = &query.tier {
        crate::service::ladder::tier_field(&catalog.ladder, "tier", tier)?;
    }
    Ok(ranked_page(conn, catalog, &auth.principal.street_scope(), query, after, limit)?)
}

/// A page of the radar in `scope` (already the caller's): the rank is kept per enterprise,
/// the gaps in words are evaluated again for the enterprises on the page.
pub fn ranked_page(
    conn: &mut PgConnection,
    catalog: &Catalog,
    scope: &crate::domain::StreetScope,
    query: &RadarQuery,
    after: Option<RankKey>,
    limit: i64,
) -> QueryResult<Vec<(Ready, RankKey)>> {
    let today = catalog.today();
    let rows = store::ranked(conn, scope, query.tier.as_deref(), query.street_id, after, limit)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.enterprise_id).collect();
    let loaded = Subjects::load(conn, &ids, today)?;
    let by_id: HashMap<Uuid, &Subject> = loaded.subjects.iter().map(|s| (s.id, s)).collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let key = (row.short, row.shortfall, row.enterprise_id);
            let rules = in_force(&catalog.rule_sets, &row.target_tier, DecisionKind::New, today);
            let results = match (rules, by_id.get(&row.enterprise_id)) {
                (Some(rules), Some(subject)) => evaluate(rules, &loaded.of(subject), today),
                _ => Vec::new(),
            };
            let ready = Ready {
                enterprise_id: row.enterprise_id,
                name: row.name,
                tier: row.tier,
                street_id: row.street_id,
                target_tier: row.target_tier,
                met: row.met,
                total: row.total,
                rule_set: rules.map(|r| r.document.clone()).unwrap_or_default(),
                gaps: gaps(&results, |_| true),
            };
            (ready, key)
        })
        .collect())
}
