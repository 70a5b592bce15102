//! Recording certification lists (认定名单) in bulk: a registry's batch, or a spreadsheet
//! imported by the bureau.
//!
//! The rules are those of a single grant ([`crate::service::ladder::grant`], source
//! `registry`), applied set-wise so that a list of 100,000 rows takes a handful of
//! statements rather than a million: lock the enterprises named, register the unknown
//! ones (unassigned to a street, for triage) straight at the rung their listings take
//! them to, skip certificates already recorded, then write certificates, history, the
//! known enterprises' new tiers and audit entries a chunk at a time.

use crate::config::Catalog;
use crate::db::audit::{self, Change, Context};
use crate::db::certificates::{self, NewCertificate};
use crate::db::enterprises::{self, Enterprise, EnterpriseFields};
use crate::domain::Tier;
use crate::domain::certification::{self, ChangeKind, Source};
use crate::domain::listing::Listing;
use crate::service::ServiceError;
use crate::service::ladder::Step;
use chrono::NaiveDate;
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// What recording a list did, one count per listing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Tally {
    /// Listings of enterprises Peiyu did not know: registered (without a street, for
    /// triage) and certified.
    pub created: usize,
    /// Listings that raised a known enterprise's tier.
    pub promoted: usize,
    /// Listings recorded without moving the tier: the current rung certified again
    /// (国高 every three years), or a lower rung held beside a higher one.
    pub certified: usize,
    /// Certificates already recorded: nothing changed.
    pub unchanged: usize,
}

impl Tally {
    pub fn add(&mut self, other: &Tally) {
        self.created += other.created;
        self.promoted += other.promoted;
        self.certified += other.certified;
        self.unchanged += other.unchanged;
    }
}

/// Records `listings` (checked, no certificate twice) in the caller's transaction.
/// `note` says where the list came from (e.g. 广东省科学技术厅) on every move it makes.
pub fn record(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    listings: &[Listing],
    note: Option<&str>,
) -> Result<Tally, ServiceError> {
    let mut usccs: Vec<String> = listings.iter().map(|l| l.uscc.clone()).collect();
    usccs.sort_unstable();
    usccs.dedup();
    let mut known: HashMap<String, Enterprise> =
        enterprises::lock_by_uscc(conn, &usccs)?.into_iter().map(|e| (e.fields.uscc.clone(), e)).collect();
    let registered = register_unknown(conn, catalog, context, listings, &mut known)?;
    let ids: Vec<Uuid> = known.values().map(|e| e.id).filter(|id| !registered.contains(id)).collect();
    let recorded: HashSet<(Uuid, String, NaiveDate)> = certificates::identities(conn, &ids)?.into_iter().collect();

    let plan = plan(catalog, listings, &known, &registered, &recorded)?;
    let new_certificates: Vec<NewCertificate> = plan
        .grants
        .iter()
        .map(|g| NewCertificate {
            id: g.certificate_id,
            enterprise_id: g.enterprise_id,
            tier: g.listing.tier.code(),
            certificate_no: g.listing.certificate_no.as_deref(),
            effective_on: g.listing.effective_on,
            valid_until: g.listing.valid_until,
            batch: g.listing.batch.as_deref(),
            source: Source::Registry.as_str(),
        })
        .collect();
    let granted = certificates::insert_all(conn, &new_certificates)?;
    audit::record_all(conn, context, granted.iter().map(|c| Change::created("certificate", c.id, c)))?;
    let history: Vec<_> = plan
        .grants
        .iter()
        .map(|g| {
            let to = if g.kind == ChangeKind::Promotion { &g.listing.tier } else { &g.from };
            let step = Step {
                kind: g.kind,
                from: &g.from,
                to,
                effective_on: g.listing.effective_on,
                certificate_id: Some(g.certificate_id),
                reason: None,
                note,
                source: Source::Registry,
                application_id: None,
            };
            step.history_row(catalog, context, g.enterprise_id)
        })
        .collect();
    let changes = certificates::record_changes(conn, &history)?;
    audit::record_all(conn, context, changes.iter().map(|c| Change::created("tier_change", c.id, c)))?;

    let by_id: HashMap<Uuid, &Enterprise> = known.values().map(|e| (e.id, e)).collect();
    let moved = enterprises::set_tiers(conn, &plan.moves)?;
    audit::record_all(
        conn,
        context,
        moved.iter().filter_map(|after| {
            let before = by_id.get(&after.id)?;
            Some(Change::changed("enterprise", after.id, ChangeKind::Promotion.as_str(), *before, after))
        }),
    )?;
    let certified: Vec<Uuid> = granted.iter().map(|c| c.enterprise_id).collect();
    crate::service::cultivation::certificates_changed(conn, catalog, &certified)?;
    Ok(plan.tally)
}

/// Registers the enterprises of `listings` not in `known` (named as their lowest-rung
/// listing names them, unassigned to a street) and adds them to `known`, locked. Each is
/// registered at the rung its listings take it to from the bottom, so that it is written
/// once rather than registered and then moved; its history still records each step (see
/// [`plan`]). Returns the ids it registered.
fn register_unknown(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    listings: &[Listing],
    known: &mut HashMap<String, Enterprise>,
) -> Result<HashSet<Uuid>, ServiceError> {
    // Each newcomer's name and the rung its listings take it to.
    let mut newcomers: HashMap<&str, (&str, Tier)> = HashMap::new();
    for listing in sorted(listings).into_iter().filter(|l| !known.contains_key(&l.uscc)) {
        let (_, tier) = newcomers.entry(&listing.uscc).or_insert_with(|| (&listing.name, catalog.ladder.base()));
        if certification::grant(tier, &listing.tier, Source::Registry)
            .map_err(|e| ServiceError::conflict(e.refusal(&catalog.ladder)))?
            == ChangeKind::Promotion
        {
            *tier = listing.tier.clone();
        }
    }
    if newcomers.is_empty() {
        return Ok(HashSet::new());
    }
    let new: Vec<(Uuid, EnterpriseFields, String)> = newcomers
        .iter()
        .map(|(uscc, (name, tier))| {
            let fields = EnterpriseFields {
                uscc: (*uscc).to_owned(),
                name: (*name).to_owned(),
                street_id: None,
                park_id: None,
                cluster: None,
                established_on: None,
                address: None,
                contact_name: None,
                contact_phone: None,
                employees: None,
                tags: Vec::new(),
            };
            (Uuid::now_v7(), fields, tier.code().to_owned())
        })
        .collect();
    let inserted = enterprises::insert_new(conn, new)?;
    audit::record_all(conn, context, inserted.iter().map(|e| Change::created("enterprise", e.id, e)))?;
    let registered = inserted.iter().map(|e| e.id).collect();
    known.extend(inserted.into_iter().map(|e| (e.fields.uscc.clone(), e)));
    // Registered by someone else since this transaction looked: lock theirs instead.
    let raced: Vec<String> =
        newcomers.keys().filter(|uscc| !known.contains_key(**uscc)).map(|u| (*u).to_owned()).collect();
    if !raced.is_empty() {
        known.extend(enterprises::lock_by_uscc(conn, &raced)?.into_iter().map(|e| (e.fields.uscc.clone(), e)));
    }
    Ok(registered)
}

/// A certificate to grant.
struct Planned<'a> {
    listing: &'a Listing,
    enterprise_id: Uuid,
    certificate_id: Uuid,
    kind: ChangeKind,
    /// Where the enterprise stood just before.
    from: Tier,
}

struct Plan<'a> {
    grants: Vec<Planned<'a>>,
    /// Enterprises whose tier rises, and where to.
    moves: Vec<(Uuid, String)>,
    tally: Tally,
}

/// Decides each listing's move, an enterprise's listings in [`sorted`] order.
fn plan<'a>(
    catalog: &Catalog,
    listings: &'a [Listing],
    known: &HashMap<String, Enterprise>,
    registered: &HashSet<Uuid>,
    recorded: &HashSet<(Uuid, String, NaiveDate)>,
) -> Result<Plan<'a>, ServiceError> {
    // Where each enterprise named stands as its listings are applied in turn.
    let mut standing: HashMap<Uuid, (&Enterprise, Tier)> = HashMap::new();
    let mut seen = HashSet::new();
    let (mut grants, mut tally) = (Vec::new(), Tally::default());
    for listing in sorted(listings) {
        let enterprise = known.get(&listing.uscc).ok_or_else(|| {
            ServiceError::Internal(anyhow::anyhow!("{} was neither found nor registered", listing.uscc))
        })?;
        let first = seen.insert(enterprise.id);
        if recorded.contains(&(enterprise.id, listing.tier.code().to_owned(), listing.effective_on)) {
            tally.unchanged += 1;
            continue;
        }
        // A newly registered enterprise already stands where its listings take it; its
        // history starts from the bottom rung all the same.
        let (_, from) = standing.entry(enterprise.id).or_insert_with(|| {
            let from = if registered.contains(&enterprise.id) {
                catalog.ladder.base()
            } else {
                catalog.ladder.standing([enterprise.tier.as_str()])
            };
            (enterprise, from)
        });
        let kind = certification::grant(from, &listing.tier, Source::Registry)
            .map_err(|e| ServiceError::conflict(e.refusal(&catalog.ladder)))?;
        let count = match kind {
            _ if first && registered.contains(&enterprise.id) => &mut tally.created,
            ChangeKind::Promotion => &mut tally.promoted,
            _ => &mut tally.certified,
        };
        *count += 1;
        grants.push(Planned {
            listing,
            enterprise_id: enterprise.id,
            certificate_id: Uuid::now_v7(),
            kind,
            from: from.clone(),
        });
        if kind == ChangeKind::Promotion {
            *from = listing.tier.clone();
        }
    }
    let moves = standing
        .into_values()
        .filter(|(enterprise, tier)| !registered.contains(&enterprise.id) && enterprise.tier != tier.code())
        .map(|(enterprise, tier)| (enterprise.id, tier.code().to_owned()))
        .collect();
    Ok(Plan { grants, moves, tally })
}

/// An enterprise's listings lowest rung first, so that a list naming it for
/// 科技型中小企业 and 国高 applies them in ladder order.
fn sorted(listings: &[Listing]) -> Vec<&Listing> {
    let mut order: Vec<&Listing> = listings.iter().collect();
    order.sort_by(|a, b| (&a.uscc, &a.tier, a.effective_on).cmp(&(&b.uscc, &b.tier, b.effective_on)));
    order
}
