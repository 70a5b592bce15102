//! Pure types and rules of the domain: no actix, no diesel.

/// A value with a stable code, as stored and as the API spells it.
pub trait Code: Copy {
    fn code(self) -> &'static str;
}

/// Stored codes back to values, for enums that list `ALL` and name themselves `as_str`.
macro_rules! from_code {
    ($($kind:ty),*) => {$(
        impl $crate::domain::Code for $kind {
            fn code(self) -> &'static str {
                self.as_str()
            }
        }

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
pub mod dates;
pub mod eligibility;
pub mod figures;
pub mod ladder;
pub mod listing;
pub mod region;
pub mod service_request;
pub mod sla;
pub mod text;
pub mod uscc;
pub mod visit;
pub mod workflow;

pub use access::{Action, Actor, ApiScope, Forbidden, Principal, Role};
pub use cluster::{Cluster, Clusters};
pub use ladder::{Ladder, Rung, Tier};
pub use region::{RegionKind, StreetScope};
pub use sla::Sla;
pub use uscc::Uscc;
