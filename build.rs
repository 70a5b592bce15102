//! `embed_migrations!` reads `migrations/` at compile time, but a proc macro cannot tell
//! cargo to watch a directory: without this, a new migration is left out of the binary
//! until something else changes, and `peiyu migrate` or the tests run the old schema.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
