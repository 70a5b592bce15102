//! The API's resources: one module per collection the contract names, each a set of thin
//! handlers over the use cases in [`crate::service`].

pub mod api_keys;
pub mod applications;
pub mod audit_log;
pub mod changes;
pub mod eligibility;
pub mod enterprises;
pub mod imports;
pub mod obligations;
pub mod promotions;
pub mod reference;
pub mod regions;
pub mod registry;
pub mod requests;
pub mod session;
pub mod timeline;
pub mod users;
pub mod visits;
