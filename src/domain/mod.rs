//! Pure types and rules of the domain: no actix, no diesel.

/// Stored codes back to values, for enums that list `ALL` and name themselves `as_str`.
macro_rules! from_code {
    ($($kind:ty),*) => {$(
        impl TryFrom<String> for $kind {
            type Error = String;

            fn try_from(code: String) -> Result<Self, String> {
                Self::ALL.into_iter().find(|v| v.as_str() == code).ok_or_else(|| format!("unknown code `{code}`"))
            }
        }
    )*};
}

pub mod access;
pub mod application;
pub mod certification;
pub mod cluster;
pub mod eligibility;
pub mod ladder;
pub mod region;
pub mod service_request;
pub mod sla;
pub mod uscc;
pub mod visit;
pub mod workflow;

pub use access::{Action, Actor, ApiScope, Forbidden, Principal, Role};
pub use cluster::{Cluster, Clusters};
pub use ladder::{Ladder, Rung, Tier};
pub use region::{RegionKind, StreetScope};
pub use sla::Sla;
pub use uscc::Uscc;
