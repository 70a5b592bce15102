//! `peiyu`: the command line lives in [`peiyu::cli`]; this only runs it.

/// mimalloc rather than glibc's allocator: see Cargo.toml.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    peiyu::cli::run()
}
