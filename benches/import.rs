//! How fast certification lists and rosters import, beside a raw `COPY` of the same rows.
//!
//!   DATABASE_URL=… PEIYU_BENCH_ROWS=100000 cargo bench --bench import
//!
//! Writes a list of `PEIYU_BENCH_ROWS` (default 100,000) certifications as CSV with
//! Chinese headers, `COPY`s it into a scratch table (the floor: PostgreSQL storing the
//! same rows, nothing checked, nothing derived), then imports it the way `peiyu import`
//! does three times: as a list of enterprises Peiyu does not know yet (each registered,
//! certified, audited), as a list of a higher rung for the same enterprises (each
//! promoted), and the second list again (each unchanged). Then a roster (企业名录) of as
//! many other enterprises, three times: new, the same again, every contact changed.
//! `DATABASE_URL` picks the server; unset, a private cluster under `target/peiyu-bench`
//! is used. The enterprises it registers carry USCCs in a range the demo does not use,
//! and are removed at the end.

use diesel::connection::SimpleConnection;
use diesel::{Connection, ExecuteCopyFromDsl, PgConnection};
use peiyu::config::Settings;
use peiyu::db::audit::Context;
use peiyu::domain::Actor;
use peiyu::domain::uscc::check_character;
use peiyu::service::file_import::{self as import, Kind, sheet};
use peiyu::startup;

use std::time::Instant;

fn uscc(n: u64) -> String {
    let first17 = format!("91440300MB{n:07}");
    let check = check_character(first17.as_bytes()).unwrap_or('0');
    format!("{first17}{check}")
}

fn list(rows: u64, tier: &str, effective_on: chrono::NaiveDate) -> Vec<u8> {
    let mut csv = String::from("统一社会信用代码,企业名称,认定类型,证书编号,认定日期,批次\n");
    for n in 0..rows {
        csv.push_str(&format!(
            "{},深圳市基准测试{n}科技有限公司,{tier},GR2026{n:08},{effective_on},2026年第一批\n",
            uscc(n)
        ));
    }
    csv.into_bytes()
}

/// A roster of `rows` enterprises (numbered after the list's, so in the same USCC range)
/// naming `contact` as each one's contact.
fn roster(rows: u64, contact: &str) -> Vec<u8> {
    let mut csv = String::from("统一社会信用代码,企业名称,成立日期,地址,联系人,联系电话,从业人数\n");
    for n in 0..rows {
        csv.push_str(&format!(
            "{},深圳市名录基准{n}电子有限公司,2015-03-01,深圳市宝安区基准路{n}号,{contact},138{:08},{}\n",
            uscc(5_000_000 + n),
            n % 100_000_000,
            10 + n % 300
        ));
    }
    csv.into_bytes()
}

fn main() -> anyhow::Result<()> {
    let rows = std::env::var("PEIYU_BENCH_ROWS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let mut settings = Settings::load()?;
    if std::env::var_os("PEIYU_DATA_DIR").is_none() {
        settings.data_dir = "target/peiyu-bench".into();
    }
    let catalog = settings.catalog()?;
    let (database, pool) = startup::prepare(&settings, &catalog)?;
    let effective_on = catalog.today() - chrono::Days::new(30);
    let first = list(rows, "科技型中小企业", effective_on);
    let second = list(rows, "国家高新技术企业", effective_on);
    let (roster_first, roster_second) = (roster(rows, "张三"), roster(rows, "李四"));
    let rate = |seconds: f64| rows as f64 / seconds;

    // The floor: the same bytes into a scratch table by COPY.
    let mut raw = PgConnection::establish(&database.url)?;
    raw.batch_execute(
        "CREATE TEMP TABLE scratch (uscc text, name text, tier text, certificate_no text, effective_on date, batch text)",
    )?;
    let started = Instant::now();
    let copied = {
        use peiyu_scratch::scratch::dsl::*;
        diesel::copy_from(scratch)
            .from_raw_data((uscc, name, tier, certificate_no, effective_on, batch), |out| {
                out.write_all(&first).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
            })
            .with_format(diesel::pg::CopyFormat::Csv)
            .with_header(diesel::pg::CopyHeader::Set(true))
            .execute(&mut raw)?
    };
    let copy = started.elapsed().as_secs_f64();
    println!("raw COPY of {copied} rows into a scratch table: {copy:.2} s ({:.0} rows/s)", rate(copy));

    let context = Context { actor: Actor::System, request_id: None };
    let started_at = chrono::Utc::now().to_rfc3339();
    let mut conn = pool.get()?;
    let runs = [
        (Kind::Certifications, "new enterprises", &first),
        (Kind::Certifications, "promotions", &second),
        (Kind::Certifications, "the same list again", &second),
        (Kind::Enterprises, "new enterprises", &roster_first),
        (Kind::Enterprises, "the same roster again", &roster_first),
        (Kind::Enterprises, "each contact changed", &roster_second),
    ];
    for (kind, what, bytes) in runs {
        let sheet = sheet::read(bytes, sheet::Format::Csv, &sheet::Limits::LOCAL_FILE)?;
        let started = Instant::now();
        let importer = import::Importer { context: &context, scope: &peiyu::domain::StreetScope::All };
        let report = import::run(&mut conn, &catalog, &importer, sheet, Some(kind), false, &|_| {})?;
        let took = started.elapsed().as_secs_f64();
        let t = &report.tally;
        println!(
            "import {}, {what}: {took:.2} s ({:.0} rows/s, {:.1}× the COPY time): {} created, {} promoted, {} updated, {} unchanged, {} rejected",
            kind.label(),
            rate(took),
            took / copy,
            t.created,
            t.promoted,
            report.updated,
            t.unchanged,
            report.rejected
        );
    }
    // Everything the imports wrote goes again: the enterprises in the benchmark's USCC
    // range with their history, the audit rows the run wrote, then the counters.
    conn.batch_execute(&format!(
        "SET statement_timeout = 0; SET session_replication_role = replica;
         DELETE FROM audit_log WHERE actor_kind = 'system' AND at >= '{started_at}';
         CREATE TEMP TABLE benchmarked AS SELECT id FROM enterprises WHERE uscc LIKE '91440300MB%';
         DELETE FROM rung_entries WHERE enterprise_id IN (SELECT id FROM benchmarked);
         DELETE FROM tier_changes WHERE enterprise_id IN (SELECT id FROM benchmarked);
         DELETE FROM certificates WHERE enterprise_id IN (SELECT id FROM benchmarked);
         DELETE FROM enterprises WHERE id IN (SELECT id FROM benchmarked);
         SET session_replication_role = origin;
         SELECT refresh_pipeline_aggregates();"
    ))?;
    Ok(())
}

/// The scratch table, for diesel's COPY.
mod peiyu_scratch {
    diesel::table! {
        scratch (uscc) {
            uscc -> Text,
            name -> Text,
            tier -> Text,
            certificate_no -> Text,
            effective_on -> Date,
            batch -> Text,
        }
    }
}
