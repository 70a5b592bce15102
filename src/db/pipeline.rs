//! The pipeline's maintained aggregates (migration 2026-11-23-000006_pipeline_counts).

use crate::db::schema::enterprise_counts;
use crate::domain::StreetScope;
use diesel::prelude::*;
use uuid::Uuid;

/// How many live enterprises of one street, park, cluster and tier there are. No street,
/// park or cluster reads as `None`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Count {
    pub street_id: Option<Uuid>,
    pub park_id: Option<Uuid>,
    pub cluster: Option<String>,
    pub tier: String,
    pub n: i64,
}

/// Where to count.
#[derive(Debug, Clone, Default)]
pub struct CountFilter {
    /// Only these streets (a district's, or one street).
    pub streets: Option<Vec<Uuid>>,
    pub park_id: Option<Uuid>,
    pub cluster: Option<String>,
}

/// The non-zero counters within `scope` and `filter`.
pub fn counts(conn: &mut PgConnection, scope: &StreetScope, filter: &CountFilter) -> QueryResult<Vec<Count>> {
    let mut query = enterprise_counts::table.filter(enterprise_counts::n.gt(0)).into_boxed();
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(enterprise_counts::street_id.eq_any(streets.clone()));
    }
    if let Some(streets) = &filter.streets {
        query = query.filter(enterprise_counts::street_id.eq_any(streets.clone()));
    }
    if let Some(park) = filter.park_id {
        query = query.filter(enterprise_counts::park_id.eq(park));
    }
    if let Some(cluster) = &filter.cluster {
        query = query.filter(enterprise_counts::cluster.eq(cluster.clone()));
    }
    let rows: Vec<(Uuid, Uuid, String, String, i64)> = query
        .select((
            enterprise_counts::street_id,
            enterprise_counts::park_id,
            enterprise_counts::cluster,
            enterprise_counts::tier,
            enterprise_counts::n,
        ))
        .load(conn)?;
    let some = |id: Uuid| (!id.is_nil()).then_some(id);
    Ok(rows
        .into_iter()
        .map(|(street, park, cluster, tier, n)| Count {
            street_id: some(street),
            park_id: some(park),
            cluster: (!cluster.is_empty()).then_some(cluster),
            tier,
            n,
        })
        .collect())
}
