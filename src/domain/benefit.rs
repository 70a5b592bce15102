//! What a rung is worth: the counselor's argument to an enterprise. Each benefit is
//! configuration (`[[benefits]]` in `config/tiers.toml`), with the document that grants it
//! and its amount where the policy fixes one.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Benefit {
    /// The rung that brings it.
    #[serde(skip_serializing)]
    pub tier: String,
    /// For people, e.g. 企业所得税减按15%的税率征收（一般企业25%）.
    pub description: String,
    /// Yuan, where the policy fixes an amount (a one-off award); `null` when it depends on
    /// the enterprise (a tax rate).
    pub amount: Option<i64>,
    /// The document that grants it.
    pub source: String,
}

/// The benefits of `tier`, in the configured order.
pub fn of<'a>(benefits: &'a [Benefit], tier: &'a str) -> impl Iterator<Item = &'a Benefit> + 'a {
    benefits.iter().filter(move |b| b.tier == tier)
}
