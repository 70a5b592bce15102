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
//!
//! `http` and `web` call no `db` function: they may name the rows a use case returns
//! (`db::enterprises::Enterprise`), never read or write the database themselves, so that
//! every read and write goes through a use case that requires its permission (a test below
//! holds them to it). `cli` may: migrating and the demo generator's bulk loading are
//! operations on the database as such, not use cases of a person.

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

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// What a `crate::db::` path in `line` brings in that is not a type: a module (to call
    /// its functions) or a function.
    fn database_calls(line: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (at, _) in line.match_indices("crate::db::") {
            let rest = &line[at + "crate::db::".len()..];
            let path: String = rest.chars().take_while(|c| c.is_alphanumeric() || "_:{}, ".contains(*c)).collect();
            let items: Vec<&str> = match path.split_once('{') {
                Some((_, list)) => list.split(['}', ',']).map(str::trim).collect(),
                None => vec![path.rsplit("::").next().unwrap_or_default().trim()],
            };
            let lower = |item: &&str| item.starts_with(|c: char| c.is_ascii_lowercase());
            found.extend(items.iter().filter(|item| !item.is_empty() && lower(item)).map(|item| item.to_string()));
        }
        found
    }

    #[test]
    fn the_api_and_the_console_call_no_database_function() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.join("http"), root.join("web")];
        let mut calls = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).expect("a directory").map(|e| e.expect("an entry").path()));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("a source file");
                for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                    calls.extend(database_calls(line).into_iter().map(|c| format!("{}: {c}", path.display())));
                }
            }
        }
        assert!(calls.is_empty(), "faces that reach the database past the use cases: {calls:#?}");
    }

    #[test]
    fn a_type_is_not_a_call() {
        assert!(database_calls("use crate::db::enterprises::{Enterprise, Visible};").is_empty());
        assert!(database_calls("use crate::db::PgPool;").is_empty());
        assert_eq!(database_calls("use crate::db::users::{self as store, User};"), ["self as store"]);
        assert_eq!(database_calls("use crate::db::{audit, users};"), ["audit", "users"]);
        assert_eq!(database_calls("crate::db::migrate(&url)"), ["migrate"]);
        assert_eq!(database_calls("use crate::db::regions;"), ["regions"]);
    }
}
