//! Peiyu (培育): the CRM district science-and-technology bureaus use to cultivate their
//! enterprises up the ladder 科技型中小企业 → 国高培育库 → 国高 → 专精特新 → 小巨人.
//!
//! Layers point one way: `http` → `domain` + `db`; `db` → `domain`; `domain` → nothing.

pub mod accounts;
pub mod auth;
pub mod certification;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod export;
pub mod http;
pub mod import;
pub mod metrics;
pub mod registry;
pub mod startup;
