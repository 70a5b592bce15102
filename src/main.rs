//! The `peiyu` command line: thin wrappers over the library.

use anyhow::Context;
use clap::{Parser, Subcommand};
use peiyu::config::Settings;
use peiyu::startup::{self, Application};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "peiyu", version, about = "Peiyu (培育): cultivating enterprises up the ladder")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Migrate the database, then serve the API (PEIYU_BIND, default 127.0.0.1:8080).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .init();
    let cli = Cli::parse();
    let settings = Settings::load()?;
    let catalog = settings.catalog()?;
    match cli.command {
        Command::Serve => {
            let (_database, pool) = startup::prepare(&settings)?;
            actix_web::rt::System::new().block_on(async {
                let application = Application::build(&settings, pool, catalog)?;
                tracing::info!(url = format!("http://{}", settings.bind), docs = "/api/openapi.json", "serving");
                application.run_until_stopped().await.context("server")
            })?;
        }
        Command::Migrate => {
            let database = startup::Database::open(&settings)?;
            let applied = peiyu::db::migrate(&database.url)?;
            println!("applied {} migration(s); the database is up to date", applied.len());
        }
    }
    Ok(())
}
