//! The pipeline: how many live enterprises stand on each rung, overall, per street and per
//! cluster, from counters kept in the same transaction as every change.

use crate::config::Catalog;
use crate::db::certificates::ExpiringFilter;
use crate::db::pipeline::{self, CountFilter};
use crate::db::regions;
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::{RegionKind, StreetScope, certification};
use crate::service::ladder::tier_field;
use crate::service::{Authorized, ServiceError};
use chrono::NaiveDate;
use diesel::PgConnection;
use diesel::QueryResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// What reports call enterprises without a street (registry feeds land them unassigned).
pub const UNASSIGNED_STREET: &str = "未分配街道";

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SummaryQuery {
    /// A district, street or park: count only within it.
    pub region_id: Option<Uuid>,
    /// Cluster code: count only this industry cluster.
    pub cluster: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TierCount {
    pub tier: String,
    pub label: String,
    pub count: i64,
}

/// Counts per tier code, every tier of the ladder present (zeros included).
pub type TierCounts = BTreeMap<String, i64>;

#[derive(Debug, Serialize, ToSchema)]
pub struct StreetCounts {
    /// `null`: enterprises not yet assigned to a street (from registry feeds).
    pub street_id: Option<Uuid>,
    pub name: String,
    pub total: i64,
    pub counts: TierCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClusterCounts {
    /// `null`: enterprises without a cluster.
    pub cluster: Option<String>,
    pub name: String,
    pub total: i64,
    pub counts: TierCounts,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    /// Live (not archived) enterprises counted.
    pub total: i64,
    /// Every tier, lowest first, zeros included.
    pub tiers: Vec<TierCount>,
    /// Every street in view, zeros included.
    pub by_street: Vec<StreetCounts>,
    /// Every configured cluster, zeros included.
    pub by_cluster: Vec<ClusterCounts>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExpiringQuery {
    /// The window, in days from today (1–1095, default 90).
    pub within_days: Option<u32>,
    /// Only certificates for this tier.
    pub tier: Option<String>,
    pub street_id: Option<Uuid>,
}

impl ExpiringQuery {
    /// The filter and the window (today, the last day looked at) the list is read by.
    pub fn into_filter(self, catalog: &Catalog) -> Result<(ExpiringFilter, (NaiveDate, NaiveDate)), ServiceError> {
        let window = certification::expiry_window(catalog.today(), self.within_days.unwrap_or(DEFAULT_WINDOW_DAYS))
            .map_err(|e| ServiceError::invalid("within_days", e))?;
        if let Some(tier) = &self.tier {
            tier_field(&catalog.ladder, "tier", tier)?;
        }
        Ok((ExpiringFilter { tier: self.tier, street_id: self.street_id }, window))
    }
}

/// How far ahead the expiring list looks unless asked otherwise.
const DEFAULT_WINDOW_DAYS: u32 = 90;

/// The summary within the caller's streets, and within `query`'s region and cluster.
pub fn summary(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    params: SummaryQuery,
) -> Result<Summary, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    if let Some(Err(e)) = params.cluster.as_deref().map(|c| catalog.clusters.get(c)) {
        return Err(ServiceError::invalid("cluster", e));
    }
    let scope = auth.principal.street_scope();
    let all_streets: Vec<_> = regions::all(conn)?.into_iter().filter(|r| r.kind == RegionKind::Street).collect();
    let mut filter = CountFilter { cluster: params.cluster, ..CountFilter::default() };
    let mut in_view: Vec<_> = all_streets.iter().filter(|s| scope.allows(Some(s.id))).collect();
    if let Some(region_id) = params.region_id {
        let region = match regions::find(conn, region_id) {
            Err(diesel::result::Error::NotFound) => {
                return Err(ServiceError::invalid("region_id", Refusal::NoSuchRegion));
            }
            found => found?,
        };
        let (streets, park) = match region.kind {
            RegionKind::District => {
                (all_streets.iter().filter(|s| s.parent_id == Some(region.id)).map(|s| s.id).collect(), None)
            }
            RegionKind::Street => (vec![region.id], None),
            RegionKind::Park => (region.parent_id.into_iter().collect(), Some(region.id)),
        };
        in_view.retain(|s| streets.contains(&s.id));
        filter.streets = Some(streets);
        filter.park_id = park;
    }
    let named: Vec<(Option<Uuid>, String)> = in_view.into_iter().map(|s| (Some(s.id), s.name.clone())).collect();
    let unassigned_in_view = scope == StreetScope::All && filter.streets.is_none();
    Ok(summarize(catalog, &pipeline::counts(conn, &scope, &filter)?, (named, unassigned_in_view)))
}

/// Turns counters into the summary: every tier, street and cluster present, zeros included.
fn summarize(
    catalog: &Catalog,
    counts: &[pipeline::Count],
    (streets, unassigned_in_view): (Vec<(Option<Uuid>, String)>, bool),
) -> Summary {
    let zeros: TierCounts = catalog.ladder.rungs().iter().map(|r| (r.code.clone(), 0)).collect();
    let tally = |keep: &dyn Fn(&pipeline::Count) -> bool| {
        let mut tiers = zeros.clone();
        for count in counts.iter().filter(|c| keep(c)) {
            *tiers.entry(count.tier.clone()).or_default() += count.n;
        }
        (tiers.values().sum::<i64>(), tiers)
    };
    let (total, overall) = tally(&|_| true);
    let mut by_street: Vec<StreetCounts> = streets
        .into_iter()
        .map(|(street_id, name)| {
            let (total, counts) = tally(&|c| c.street_id == street_id);
            StreetCounts { street_id, name, total, counts }
        })
        .collect();
    let (unassigned, counts) = tally(&|c| c.street_id.is_none());
    if unassigned_in_view && unassigned > 0 {
        by_street.push(StreetCounts { street_id: None, name: UNASSIGNED_STREET.into(), total: unassigned, counts });
    }
    let mut by_cluster: Vec<ClusterCounts> = catalog
        .clusters
        .all()
        .iter()
        .map(|cluster| {
            let (total, counts) = tally(&|c| c.cluster.as_deref() == Some(cluster.code.as_str()));
            ClusterCounts { cluster: Some(cluster.code.clone()), name: cluster.name.clone(), total, counts }
        })
        .collect();
    let (without, counts) = tally(&|c| c.cluster.is_none());
    if without > 0 {
        by_cluster.push(ClusterCounts { cluster: None, name: "未分类".into(), total: without, counts });
    }
    Summary {
        total,
        tiers: catalog
            .ladder
            .rungs()
            .iter()
            .map(|r| TierCount {
                tier: r.code.clone(),
                label: r.label.clone(),
                count: overall.get(&r.code).copied().unwrap_or(0),
            })
            .collect(),
        by_street,
        by_cluster,
    }
}

/// Street names for report rows, read once per report.
pub struct StreetNames(HashMap<Uuid, String>);

impl StreetNames {
    pub fn load(conn: &mut PgConnection) -> QueryResult<Self> {
        let streets = regions::all(conn)?.into_iter().filter(|r| r.kind == RegionKind::Street);
        Ok(Self(streets.map(|s| (s.id, s.name)).collect()))
    }

    pub fn name(&self, street_id: Option<Uuid>) -> String {
        street_id.and_then(|id| self.0.get(&id)).map_or_else(|| UNASSIGNED_STREET.to_owned(), Clone::clone)
    }
}
