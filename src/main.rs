//! `peiyu`: the command line lives in [`peiyu::cli`]; this only runs it.

fn main() -> anyhow::Result<()> {
    // glibc gives every thread that allocates an arena of its own (up to eight per core) and
    // keeps what is freed in each: under load at a million enterprises the server grew to
    // 171 MB. Two arenas keep it near 100 MB (docs/BENCHMARKS.md). (mimalloc, tried
    // instead, kept a heap per thread and grew it to 360 MB.)
    // SAFETY: before any other thread exists; mallopt sets a tunable and touches no memory
    // of ours.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
    peiyu::cli::run()
}
