//! Peiyu's one integration test binary: real HTTP against real PostgreSQL.

mod embedded;
mod enterprises;
mod helpers;
mod operations;
mod regions;
