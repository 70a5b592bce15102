//! How fast every pipeline report and export answers at district scale, over HTTP
//! against a release build with its PostgreSQL.
//!
//!   PEIYU_BENCH_ENTERPRISES=1000000 PEIYU_BENCH_VISITS=10000000 cargo bench --bench reports
//!
//! Loads the demo district at that size (`peiyu demo`'s generator; skipped when the
//! database already holds it), then asks each report `PEIYU_BENCH_ROUNDS` times (default
//! 200) one request at a time, as a manager (the whole district) and as a street
//! counselor, and prints p50 / p99 / max. `DATABASE_URL` picks the server; unset, a
//! private cluster under `target/peiyu-bench` is used (and kept for the next run).

use peiyu::cli::demo::{self, Size};
use peiyu::config::Settings;
use peiyu::domain::Role;
use peiyu::startup::{self, Application};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() -> anyhow::Result<()> {
    let size = Size {
        enterprises: env_number("PEIYU_BENCH_ENTERPRISES", 100_000),
        visits: env_number("PEIYU_BENCH_VISITS", 1_000_000),
        seed: 0,
    };
    let rounds = env_number("PEIYU_BENCH_ROUNDS", 200) as usize;
    let mut settings = Settings::load()?;
    if std::env::var_os("PEIYU_DATA_DIR").is_none() {
        settings.data_dir = "target/peiyu-bench".into();
    }
    settings.bind = "127.0.0.1:0".into();
    let catalog = settings.catalog()?;
    let (_database, pool) = startup::prepare(&settings, &catalog)?;
    let started = Instant::now();
    let seeded = demo::seed(&mut *pool.get()?, &catalog, size)?;
    if seeded.generated {
        println!(
            "loaded {} enterprises and {} visits in {:.0} s",
            size.enterprises,
            size.visits,
            started.elapsed().as_secs_f64()
        );
    }
    let password =
        |role: Role| seeded.users.iter().find(|u| u.role == role).map(|u| (u.username.clone(), u.password.clone()));
    let (manager, counselor) = (password(Role::Manager), password(Role::Counselor));

    let application = Application::build(&settings, pool, catalog)?;
    let base = format!("http://127.0.0.1:{}", application.port());
    std::thread::spawn(move || actix_web::rt::System::new().block_on(application.run_until_stopped()));

    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = reqwest::Client::new();
        let login = |(username, password): (String, String)| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let body = json!({"username": username, "password": password});
                let response = client.post(format!("{base}/api/v1/auth/login")).json(&body).send().await?;
                anyhow::ensure!(response.status().is_success(), "signing in as {username}: {}", response.status());
                let session: Value = response.json().await?;
                anyhow::Ok(session["access_token"].as_str().unwrap_or_default().to_owned())
            }
        };
        let tokens = [
            ("manager", login(manager.ok_or_else(|| anyhow::anyhow!("no manager"))?).await?),
            ("counselor", login(counselor.ok_or_else(|| anyhow::anyhow!("no counselor"))?).await?),
        ];
        let year = chrono::Utc::now().format("%Y").to_string();
        let reports = [
            "/api/v1/pipeline/summary".to_owned(),
            "/api/v1/pipeline/funnel?from_year=2020".to_owned(),
            "/api/v1/pipeline/coverage?days=90".to_owned(),
            "/api/v1/pipeline/requests".to_owned(),
            // The service desk's inbox: its queues and a stage.
            "/api/v1/requests?limit=50".to_owned(),
            "/api/v1/requests?overdue=true&limit=50".to_owned(),
            "/api/v1/requests?overdue_stage=resolve&limit=50".to_owned(),
            "/api/v1/requests?escalated=true&limit=50".to_owned(),
            "/api/v1/requests?awaiting=callback&limit=50".to_owned(),
            "/api/v1/requests?unassigned=true&limit=50".to_owned(),
            "/api/v1/me/agenda".to_owned(),
            format!("/api/v1/targets?year={year}"),
            "/api/v1/pipeline/expiring?within_days=90&limit=50".to_owned(),
            "/api/v1/enterprises?limit=50".to_owned(),
            "/api/v1/enterprises?tier=hnte&not_visited_days=90&limit=50".to_owned(),
            "/api/v1/enterprises?q=智能&limit=50".to_owned(),
        ];
        println!("\n| report | caller | p50 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|");
        for path in &reports {
            for (who, token) in &tokens {
                let mut times = Vec::with_capacity(rounds);
                for round in 0..rounds + 5 {
                    let started = Instant::now();
                    let response = client.get(format!("{base}{path}")).bearer_auth(token).send().await?;
                    let status = response.status();
                    response.bytes().await?;
                    anyhow::ensure!(status.is_success(), "{path}: {status}");
                    if round >= 5 {
                        times.push(started.elapsed());
                    }
                }
                times.sort();
                let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
                let ms = |d: Duration| d.as_secs_f64() * 1000.0;
                println!("| `{path}` | {who} | {:.1} | {:.1} | {:.1} |", ms(at(0.5)), ms(at(0.99)), ms(at(1.0)));
            }
        }
        // The server runs in this process: its peak resident memory shows whether an
        // export of every row stays flat (the body is counted here, not kept).
        println!("\npeak memory before the exports: {} MiB", peak_rss_mib());
        println!("\n| export | rows | bytes | seconds | peak memory MiB |\n|---|---:|---:|---:|---:|");
        for (path, format) in [("/api/v1/enterprises", "csv"), ("/api/v1/enterprises", "xlsx")] {
            let started = Instant::now();
            let mut response =
                client.get(format!("{base}{path}?format={format}")).bearer_auth(&tokens[0].1).send().await?;
            anyhow::ensure!(response.status().is_success(), "{path}: {}", response.status());
            let mut bytes = 0;
            while let Some(chunk) = response.chunk().await? {
                bytes += chunk.len();
            }
            let seconds = started.elapsed().as_secs_f64();
            println!(
                "| `{path}?format={format}` | {} | {bytes} | {seconds:.1} | {} |",
                size.enterprises,
                peak_rss_mib()
            );
        }
        anyhow::Ok(())
    })
}

/// This process's peak resident set (Linux), in MiB; 0 where unknown.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?.to_owned();
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .map_or(0, |kib| kib / 1024)
}
