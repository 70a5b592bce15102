//! The `peiyu` command line: argument handling and printing over the library's layers.

pub mod demo;

use crate::config::Settings;
use crate::domain::Role;
use crate::startup::{self, Application};
use anyhow::Context;
use clap::{Parser, Subcommand};
use std::time::Duration;
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
    /// Seed a demo district (宝安区: streets, parks, people and years of history) unless it
    /// is there, print its accounts with fresh passwords, then serve like `serve`.
    Demo {
        /// How many enterprises to generate.
        #[arg(long, default_value_t = 2_000)]
        enterprises: u64,
        /// How many visits to generate.
        #[arg(long, default_value_t = 20_000)]
        visits: u64,
        /// Which district to generate: the same seed and sizes give the same enterprises,
        /// names, certificates and histories (dated relative to today).
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Seed and exit without serving (for benchmarks and scripts).
        #[arg(long)]
        no_serve: bool,
    },
    /// End lapsed certificates and demote their holders, once (for cron; `serve` also
    /// does it every `ladder.expiry_check_minutes`).
    Expire,
    /// Manage accounts (the first admin, scripts).
    #[command(subcommand)]
    User(UserCommand),
    /// Import an enterprise roster or a certification list (CSV or XLSX, columns named
    /// in Chinese or English). Bad rows are listed in FILE's name + `.errors.csv`, next
    /// to it; running it again resumes an interrupted import and changes nothing else.
    Import {
        /// The file: .csv or .xlsx.
        file: std::path::PathBuf,
        /// What the file holds; by default certifications if it has a tier column.
        #[arg(long, value_enum)]
        kind: Option<crate::service::file_import::Kind>,
        /// Check and count every row, then roll everything back.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user; the password is read from standard input.
    Create {
        #[arg(long)]
        username: String,
        /// admin, manager, counselor or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Code of a street the user works in (repeatable).
        #[arg(long = "street")]
        streets: Vec<String>,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
    },
}

fn parse_role(role: &str) -> Result<Role, String> {
    Role::try_from(role.to_owned())
}

/// Parses the command line and runs the command.
pub fn run() -> anyhow::Result<()> {
    init_logs()?;
    let cli = Cli::parse();
    let settings = Settings::load()?;
    let catalog = settings.catalog()?;
    match cli.command {
        Command::Serve => {
            let (_database, pool) = startup::prepare(&settings, &catalog)?;
            serve(&settings, pool, catalog)?;
        }
        Command::Demo { enterprises, visits, seed, no_serve } => {
            let (_database, pool) = startup::prepare(&settings, &catalog)?;
            let seeded = crate::cli::demo::seed(
                &mut *pool.get()?,
                &catalog,
                crate::cli::demo::Size { enterprises, visits, seed },
            )?;
            if seeded.generated {
                for (step, took) in &seeded.steps {
                    println!("{step:<34} {:>8.1} s", took.as_secs_f64());
                }
            } else {
                println!("the demo district is already there; its accounts have fresh passwords");
            }
            println!("\n{:<22} {:<10} password", "username", "role");
            for user in &seeded.users {
                println!("{:<22} {:<10} {}", user.username, user.role.as_str(), user.password);
            }
            if !no_serve {
                println!(
                    "\nopen http://{0}/ and sign in as counselor.xinan (a street counselor) or bureau.manager\n\
                     (API docs: http://{0}/api/docs/)",
                    settings.bind
                );
                serve(&settings, pool, catalog)?;
            }
        }
        Command::User(UserCommand::Create { username, role, streets, password_stdin: _ }) => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password).context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            let (_database, pool) = startup::prepare(&settings, &catalog)?;
            let mut conn = pool.get()?;
            let user = crate::service::accounts::create_user_by_codes(
                &mut conn, &username, &username, role, &streets, password,
            )?;
            println!("created {} ({}) with id {}", user.user.username, role.as_str(), user.user.id);
        }
        Command::Expire => {
            let (_database, pool) = startup::prepare(&settings, &catalog)?;
            let mut conn = pool.get()?;
            match crate::service::ladder::expire(&mut conn, &catalog, catalog.today())? {
                Some(run) => println!(
                    "{} enterprise(s) held lapsed certificates; {} dropped a rung",
                    run.enterprises, run.demoted
                ),
                None => println!("another instance is running the expiry; nothing done"),
            }
        }
        Command::Import { file, kind, dry_run } => import(&settings, &catalog, &file, kind, dry_run)?,
        Command::Migrate => {
            let database = startup::Database::open(&settings)?;
            let applied = startup::migrate(&database.url, &catalog)?;
            println!("applied {} migration(s); the database is up to date", applied.len());
        }
    }
    Ok(())
}

/// Logs to standard error (standard output is the commands' own), filtered by `RUST_LOG` (default `info`): lines for people, or
/// one JSON object per line for a log pipeline when `PEIYU_LOG_FORMAT=json`. Within a
/// request every line carries the request's span, and with it its `request_id`.
fn init_logs() -> anyhow::Result<()> {
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")));
    match std::env::var("PEIYU_LOG_FORMAT").as_deref() {
        Ok("json") => logs.json().flatten_event(true).with_current_span(false).init(),
        Ok("text") | Err(std::env::VarError::NotPresent) => logs.init(),
        Ok(other) => anyhow::bail!("PEIYU_LOG_FORMAT: expected text or json, not {other:?}"),
        Err(error) => anyhow::bail!("PEIYU_LOG_FORMAT: {error}"),
    }
    Ok(())
}

/// `peiyu import`: reads the file, imports it with a progress bar, writes the row-level
/// report next to it and prints what was done.
fn import(
    settings: &Settings,
    catalog: &crate::config::Catalog,
    file: &std::path::Path,
    kind: Option<crate::service::file_import::Kind>,
    dry_run: bool,
) -> anyhow::Result<()> {
    use crate::service::file_import::{self as import, sheet};
    let format = sheet::Format::of_file_name(&file.to_string_lossy())
        .with_context(|| format!("{}: only .csv and .xlsx files can be imported", file.display()))?;
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let sheet = sheet::read(&bytes, format, &sheet::Limits::LOCAL_FILE).with_context(|| file.display().to_string())?;
    let (_database, pool) = startup::prepare(settings, catalog)?;
    let bar = indicatif::ProgressBar::new(sheet.rows.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let context = crate::db::audit::Context { actor: crate::domain::Actor::System, request_id: None };
    let started = std::time::Instant::now();
    let report = import::run(
        &mut *pool.get()?,
        catalog,
        &import::Importer { context: &context, scope: &crate::domain::StreetScope::All },
        sheet,
        kind,
        dry_run,
        &|rows| bar.inc(rows as u64),
    )?;
    bar.finish_and_clear();
    let took = started.elapsed().as_secs_f64();
    let mut errors = file.as_os_str().to_owned();
    errors.push(".errors.csv");
    let errors = std::path::PathBuf::from(errors);
    write_problems(&errors, &report.problems)?;
    let t = &report.tally;
    println!(
        "{}{} rows in {took:.1} s ({:.0} rows/s): {} created, {} promoted, {} certified, {} updated, {} unchanged, {} rejected",
        if dry_run { "dry run, nothing saved: " } else { "" },
        report.rows,
        report.rows as f64 / took.max(f64::EPSILON),
        t.created,
        t.promoted,
        t.certified,
        report.updated,
        t.unchanged,
        report.rejected
    );
    println!("row-level problems: {} ({} lines)", errors.display(), report.problems.len());
    Ok(())
}

/// Serves the API until stopped, running the expiry check on its schedule.
fn serve(settings: &Settings, pool: crate::db::PgPool, catalog: crate::config::Catalog) -> anyhow::Result<()> {
    actix_web::rt::System::new().block_on(async {
        let minutes = settings.ladder.expiry_check_minutes;
        if minutes > 0 {
            startup::schedule_expiry(pool.clone(), catalog.clone(), Duration::from_secs(minutes * 60));
            startup::schedule_upkeep(pool.clone(), catalog.clone(), Duration::from_secs(minutes * 60));
        }
        let minutes = settings.desk_check_minutes;
        if minutes > 0 {
            startup::schedule_escalation(pool.clone(), Duration::from_secs(minutes * 60));
        }
        let application = Application::build(settings, pool, catalog)?;
        tracing::info!(url = format!("http://{}", settings.bind), docs = "/api/docs/", "serving");
        application.run_until_stopped().await.context("server")
    })
}

/// The row-level report written next to an imported file: `row,column,problem`, its text
/// kept text as every CSV Peiyu writes (a column the file named `=…` stays words).
fn write_problems(path: &std::path::Path, problems: &[crate::service::file_import::RowProblem]) -> anyhow::Result<()> {
    use crate::export::writer::inert;
    let mut writer = csv::Writer::from_path(path)?;
    writer.write_record(["row", "column", "problem"])?;
    for p in problems {
        writer.write_record([p.row.to_string(), inert(&p.column), inert(&p.problem)])?;
    }
    writer.flush()?;
    Ok(())
}
