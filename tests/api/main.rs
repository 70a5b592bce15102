//! Peiyu's one integration test binary: real HTTP against real PostgreSQL.

mod access;
mod analytics;
mod browser;
mod certification;
mod cockpit;
mod console;
mod console_admin;
mod console_imports;
mod demo;
mod docs;
mod embedded;
mod enterprises;
mod exports;
mod field_work;
mod first_use;
mod helpers;
mod imports;
mod ladder;
mod operations;
mod outage;
mod pipeline;
mod process;
mod regions;
mod registry;
mod sign_in_limits;
mod street_moves;
