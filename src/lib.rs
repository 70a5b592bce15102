//! Peiyu (培育): the CRM district science-and-technology bureaus use to cultivate their
//! enterprises up the ladder 科技型中小企业 → 国高培育库 → 国高 → 专精特新 → 小巨人.
//!
//! The layers point one way:
//!
//! ```text
//! cli, http, web ──▶ service ──▶ db ──▶ domain
//!                        └──────────────▶ domain
//! ```
//!
//! - [`domain`]: pure types and rules (the ladder, USCCs, workflows, access policy); no
//!   actix, no diesel.
//! - [`db`]: the schema and one module of queries per aggregate; returns diesel results.
//! - [`service`]: the use cases, one function per thing a user does, taking a connection,
//!   the authorized principal and domain inputs, returning domain outputs or a
//!   [`service::ServiceError`]. Every rule of a use case lives in its function.
//! - [`export`]: the spreadsheets both faces hand out (streamed CSV and XLSX); [`upload`]:
//!   the files both faces take in.
//! - [`http`]: the JSON API: DTOs, thin handlers (extract → one service call in one unit of
//!   work → response), problem+json. [`web`]: the console, pages over the same use cases.
//!   [`cli`]: the command line and the demo district.
//!
//! Nothing below `http`, `web` and `cli` imports from them (they share
//! [`startup::AppState`]); [`auth`] (credentials) and [`config`]
//! sit beside the layers and are used by all of them.

pub mod auth;
pub mod cli;
pub mod client;
pub mod config;
pub mod db;
pub mod domain;
pub mod export;
pub mod http;
pub mod metrics;
pub mod service;
pub mod startup;
pub mod upload;
pub mod web;
