//! The bureau's reports: the pipeline, funnel, coverage, request backlog, targets and the
//! counselor's agenda, each as JSON or (where it is a table) an export.

pub mod agenda;
pub mod coverage;
pub mod cultivation;
pub mod funnel;
pub mod pipeline;
pub mod request_report;
pub mod targets;
