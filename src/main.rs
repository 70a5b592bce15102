//! `peiyu`: the command line lives in [`peiyu::cli`]; this only runs it.

fn main() -> anyhow::Result<()> {
    peiyu::cli::run()
}
