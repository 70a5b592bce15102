//! Pure types and rules of the domain: no actix, no diesel.

pub mod access;
pub mod cluster;
pub mod ladder;
pub mod region;
pub mod service_request;
pub mod sla;
pub mod uscc;

pub use access::{Action, Actor, ApiScope, Forbidden, Principal, Role};
pub use cluster::{Cluster, Clusters};
pub use ladder::{Ladder, Rung, Tier};
pub use region::{RegionKind, StreetScope};
pub use sla::Sla;
pub use uscc::Uscc;
