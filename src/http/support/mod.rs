//! What every handler leans on: extractors, paging, problem+json, the OpenAPI document,
//! request observation and the operator's probes.

pub mod extract;
pub mod methods;
pub mod observe;
pub mod openapi;
pub mod operations;
pub mod pagination;
pub mod refusals;
