//! Pure types and rules of the domain: no actix, no diesel.

pub mod cluster;
pub mod ladder;
pub mod region;
pub mod uscc;

pub use cluster::{Cluster, Clusters};
pub use ladder::{Ladder, Rung, Tier};
pub use region::RegionKind;
pub use uscc::Uscc;
