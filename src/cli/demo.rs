//! `peiyu demo`: a demo district (宝安区, ten streets with their parks) with its people
//! and a realistic history of enterprises, certificates, promotions, visits, service
//! requests, applications, targets, yearly figures and obligations, at any size.
//!
//! Rows are generated from their index by a seeded hash, so the same size always gives
//! the same district, and each table is streamed in with one `COPY`. For a large load the
//! secondary indexes are dropped and rebuilt afterwards and triggers are switched off
//! (`session_replication_role`); the maintained aggregates are then rebuilt in one pass
//! by `refresh_pipeline_aggregates()`. A million enterprises with ten million visits load
//! in minutes instead of hours.

use crate::auth::password;
use crate::config::Catalog;
use crate::db::regions::{self, NewRegion};
use crate::db::schema::{
    applications, certificates, enterprise_indicators, enterprises, service_requests, tier_changes, users, visits,
};
use crate::domain::service_request::{Category, Priority, Stage, Status};
use crate::domain::{Role, Uscc, application, uscc};
use crate::service::{accounts, desk, obligations};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use diesel::connection::SimpleConnection;
use diesel::pg::CopyFormat;
use diesel::prelude::*;
use std::collections::HashMap;
use std::io::Write;
use std::time::Instant;
use uuid::Uuid;

/// The demo district's code: the district and all its streets present mean it has been seeded.
const DISTRICT: (&str, &str) = ("baoan", "宝安区");
const STREETS: [(&str, &str); 10] = [
    ("xinan", "新安街道"),
    ("xixiang", "西乡街道"),
    ("hangcheng", "航城街道"),
    ("fuyong", "福永街道"),
    ("fuhai", "福海街道"),
    ("shajing", "沙井街道"),
    ("xinqiao", "新桥街道"),
    ("songgang", "松岗街道"),
    ("yanluo", "燕罗街道"),
    ("shiyan", "石岩街道"),
];
const PARK_NAMES: [&str; 2] = ["科技园", "智造园"];
/// The demo's bureau manager: the generated targets are set by them.
const MANAGER: &str = "bureau.manager";
/// Bigger loads than this drop and rebuild indexes instead of maintaining them row by row.
const BULK_ROWS: u64 = 50_000;

#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub enterprises: u64,
    pub visits: u64,
    /// Which district of this size: the same seed generates the same rows, names and
    /// histories (apart from the accounts' passwords, which are always fresh).
    pub seed: u64,
}

/// An account of the demo and its fresh password.
#[derive(Debug, Clone)]
pub struct DemoUser {
    pub username: String,
    pub role: Role,
    pub password: String,
}

#[derive(Debug)]
pub struct Seeded {
    /// `false`: the district was there already; only the passwords were renewed.
    pub generated: bool,
    pub users: Vec<DemoUser>,
    /// What each step took, for the record.
    pub steps: Vec<(String, std::time::Duration)>,
}

/// Seeds the demo district unless it is there, then gives every demo account a fresh
/// password (printed by the caller: the only way to learn it).
///
/// All in one transaction: a load cut short (Ctrl-C, a full disk) leaves nothing behind,
/// neither a district that later runs would take for complete nor tables whose indexes
/// were dropped for the load. Only the closing `VACUUM ANALYZE` runs after it.
pub fn seed(conn: &mut PgConnection, catalog: &Catalog, size: Size) -> anyhow::Result<Seeded> {
    let mut seeded = conn.transaction(|conn| seed_in_transaction(conn, catalog, size))?;
    if seeded.generated {
        let started = Instant::now();
        // VACUUM cannot run in a transaction, so no SET LOCAL: the connection's statement
        // timeout (meant for requests) is lifted around it, and put back.
        let timeout: String =
            diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>("current_setting('statement_timeout')"))
                .get_result(conn)?;
        // One statement per call: several in one simple query run as one transaction.
        conn.batch_execute("SET statement_timeout = 0")?;
        conn.batch_execute("VACUUM ANALYZE")?;
        conn.batch_execute(&format!("SET statement_timeout = '{timeout}'"))?;
        seeded.steps.push(("vacuum, analyze".to_owned(), started.elapsed()));
    }
    // The radar and the obligations as the server keeps them, before it serves: computed
    // for a new district, and again for one computed under other rules.
    let started = Instant::now();
    let upkeep = crate::service::cultivation::upkeep(conn, catalog)?;
    if upkeep.recounted.is_some() {
        seeded.steps.push(("readiness radar".to_owned(), started.elapsed()));
    }
    Ok(seeded)
}

fn seed_in_transaction(conn: &mut PgConnection, catalog: &Catalog, size: Size) -> anyhow::Result<Seeded> {
    let known: HashMap<String, Uuid> = regions::all(conn)?.into_iter().map(|r| (r.code, r.id)).collect();
    // A database an older demo seeded may hold part of the district (one street): it
    // gets the rest, and the load.
    let present =
        std::iter::once(DISTRICT.0).chain(STREETS.iter().map(|(code, _)| *code)).all(|code| known.contains_key(code));
    let streets = if present { None } else { Some(ensure_regions(conn, &known)?) };
    // Accounts with fresh passwords, created where missing (a database seeded before an
    // account was added to the demo, or one whose account was removed).
    let mut users = Vec::new();
    let mut ids = HashMap::new();
    for (username, display_name, role, street_codes) in accounts_of_district() {
        let password = fresh_password()?;
        let updated = diesel::update(users::table.filter(users::username.eq(&username)))
            .set(users::password_hash.eq(password::hash(&password)?))
            .returning(users::id)
            .get_result::<Uuid>(conn)
            .optional()?;
        let id = match updated {
            Some(id) => id,
            None => {
                accounts::create_user_by_codes(conn, &username, &display_name, role, &street_codes, &password)?.user.id
            }
        };
        ids.insert(username.clone(), id);
        users.push(DemoUser { username, role, password });
    }
    let mut steps = Vec::new();
    if let Some(streets) = streets {
        let district = District {
            streets: streets
                .into_iter()
                .zip(STREETS)
                .map(|((id, parks), (code, _))| StreetOf { id, parks, counselor: ids[&format!("counselor.{code}")] })
                .collect(),
            manager: ids[MANAGER],
        };
        // A pooled connection gives up on long statements; a load of millions is one.
        conn.batch_execute("SET LOCAL statement_timeout = 0")?;
        Load { district: &district, catalog, size, today: catalog.today(), now: Utc::now() }.run(conn, &mut steps)?;
    }
    Ok(Seeded { generated: !present, users, steps })
}

/// The district's accounts: username, role, street codes.
/// The people of the demo district: username, the name they go by, role, streets.
fn accounts_of_district() -> Vec<(String, String, Role, Vec<String>)> {
    const COUNSELORS: [&str; 10] = ["王芳", "李静", "张伟", "刘洋", "陈晨", "杨帆", "赵敏", "黄磊", "周婷", "吴昊"];
    let mut accounts = vec![
        ("bureau.admin".to_owned(), "系统管理员".to_owned(), Role::Admin, vec![]),
        (MANAGER.to_owned(), "陈建国（区科技局）".to_owned(), Role::Manager, vec![]),
        ("bureau.viewer".to_owned(), "林晓（只读）".to_owned(), Role::Viewer, vec![]),
    ];
    accounts.extend(STREETS.iter().zip(COUNSELORS).map(|((code, street), name)| {
        (format!("counselor.{code}"), format!("{name}（{street}）"), Role::Counselor, vec![code.to_string()])
    }));
    accounts
}

fn fresh_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 12];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let tail: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()])).collect();
    Ok(format!("Peiyu-{tail}"))
}

/// The regions and people the generated rows refer to.
struct District {
    /// Per street: its id, its parks and its counselor.
    streets: Vec<StreetOf>,
    manager: Uuid,
}

struct StreetOf {
    id: Uuid,
    parks: Vec<Uuid>,
    counselor: Uuid,
}

/// The district, its streets and their parks, each created unless `known` (regions by
/// code) has it: per street, its id and its parks' ids.
fn ensure_regions(conn: &mut PgConnection, known: &HashMap<String, Uuid>) -> anyhow::Result<Vec<(Uuid, Vec<Uuid>)>> {
    let region =
        |conn: &mut PgConnection, kind: &str, code: &str, name: &str, parent_id: Option<Uuid>| match known.get(code) {
            Some(id) => Ok(*id),
            None => regions::insert(conn, &NewRegion { id: Uuid::now_v7(), kind, code, name, parent_id }).map(|r| r.id),
        };
    let district = region(conn, "district", DISTRICT.0, DISTRICT.1, None)?;
    let mut streets = Vec::new();
    for (code, name) in STREETS {
        let street = region(conn, "street", code, name, Some(district))?;
        let mut parks = Vec::new();
        for (n, park) in PARK_NAMES.iter().enumerate() {
            let park_name = format!("{}{park}", name.trim_end_matches("街道"));
            parks.push(region(conn, "park", &format!("{code}-park{}", n + 1), &park_name, Some(street))?);
        }
        streets.push((street, parks));
    }
    Ok(streets)
}

/// A seeded hash (splitmix64): every generated value is a function of a row's index.
#[derive(Clone, Copy)]
struct Dice(u64);

impl Dice {
    fn new(seed: u64, table: u64, row: u64) -> Self {
        // Seed 0 leaves the table's stream as it was before there were seeds.
        let stream = table ^ seed.wrapping_mul(0xD1B5_4A32_D192_ED03);
        Self(stream.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ row)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// A time-ordered UUIDv7 for row `row` created `millis` after the epoch.
    fn uuid_v7(&mut self, millis: u64) -> Uuid {
        let random = self.next().to_le_bytes();
        let mut bytes = [0u8; 10];
        bytes[..8].copy_from_slice(&random);
        bytes[8..].copy_from_slice(&self.next().to_le_bytes()[..2]);
        uuid::Builder::from_unix_timestamp_millis(millis, &bytes).into_uuid()
    }
}

/// One generated enterprise, derived from its index alone.
struct Synthetic {
    id: Uuid,
    street: usize,
    park: Option<usize>,
    cluster: Option<usize>,
    /// Ladder ranks climbed, lowest first, with the day of each promotion.
    climbs: Vec<(usize, NaiveDate)>,
    established_on: NaiveDate,
    created_at: DateTime<Utc>,
}

impl Synthetic {
    fn rank(&self) -> usize {
        self.climbs.last().map_or(0, |(rank, _)| *rank)
    }
}

struct Load<'a> {
    district: &'a District,
    catalog: &'a Catalog,
    size: Size,
    today: NaiveDate,
    now: DateTime<Utc>,
}

/// Table seeds for `Dice::new`.
const ENTERPRISES: u64 = 1;
const VISITS: u64 = 2;
const REQUESTS: u64 = 3;
const APPLICATIONS: u64 = 4;
const NAMES: u64 = 5;
const FIGURES: u64 = 6;

impl Load<'_> {
    fn run(&self, conn: &mut PgConnection, steps: &mut Vec<(String, std::time::Duration)>) -> anyhow::Result<()> {
        let bulk = self.size.enterprises + self.size.visits > BULK_ROWS;
        let mut step = |name: &str, started: Instant| steps.push((name.to_owned(), started.elapsed()));
        let started = Instant::now();
        let dropped = if bulk { drop_secondary_indexes(conn)? } else { Vec::new() };
        if bulk {
            // Index builds sort in memory rather than in temporary files.
            conn.batch_execute("SET LOCAL maintenance_work_mem = '512MB'")?;
        }
        // Triggers and foreign-key checks off for the load: the aggregates are rebuilt at
        // the end, and every reference is generated from rows that exist. Needs a
        // superuser (the private cluster's role is one); otherwise the triggers run.
        let unchecked = bulk && superuser(conn)?;
        if unchecked {
            conn.batch_execute("SET LOCAL session_replication_role = replica")?;
        }
        step("prepare", started);

        let started = Instant::now();
        self.copy_enterprises(conn)?;
        step("enterprises", started);
        let started = Instant::now();
        self.copy_ladder(conn)?;
        step("certificates and promotions", started);
        let started = Instant::now();
        self.copy_visits(conn)?;
        step("visits", started);
        let started = Instant::now();
        self.copy_requests(conn)?;
        self.copy_applications(conn)?;
        self.targets(conn)?;
        step("requests, applications, targets", started);
        let started = Instant::now();
        self.copy_figures(conn)?;
        step("yearly figures", started);

        // The rebuild writes every enterprise's last visit: cheaper before the indexes are back.
        let started = Instant::now();
        if unchecked {
            conn.batch_execute("SELECT refresh_pipeline_aggregates(); SET LOCAL session_replication_role = origin;")?;
        }
        step("aggregates", started);
        let started = Instant::now();
        for definition in &dropped {
            conn.batch_execute(definition)?;
        }
        step("indexes", started);
        let started = Instant::now();
        self.obligations(conn)?;
        step("obligations", started);
        Ok(())
    }

    /// Three years of figures for every enterprise on a rung and for three prospects in
    /// ten: spread around the rules' thresholds, so that the radar has some close, some
    /// far, and some 国高 whose figures have fallen below what keeps them.
    fn copy_figures(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        use enterprise_indicators::*;
        let last = self.today.year() - 1;
        diesel::copy_from(table)
            .from_raw_data((enterprise_id, year, figures), |out| {
                buffered(out, |out| {
                    for i in 0..self.size.enterprises {
                        let e = self.enterprise(i);
                        let mut dice = Dice::new(self.size.seed, FIGURES, i);
                        if e.rank() == 0 && !dice.chance(30) {
                            continue;
                        }
                        // Revenue ¥5m–¥300m, bigger higher up the ladder; growth −10%…+25% a year.
                        let mut revenue = (5_000_000 + dice.below(60_000_000)) * (1 + e.rank() as u64);
                        let staff = 20 + dice.below(380);
                        let tech_share = 4 + dice.below(30);
                        let rd_share = 10 + dice.below(70);
                        let high_tech = 40 + dice.below(55);
                        for year_back in (0..3).rev() {
                            let grown = 90 + dice.below(36);
                            revenue = revenue * grown / 100;
                            let rd = revenue * rd_share / 1000;
                            let document = serde_json::json!({
                                "revenue": revenue,
                                "total_income": revenue * 105 / 100,
                                "rd_expense": rd,
                                "rd_expense_domestic": rd * (70 + dice.below(31)) / 100,
                                "staff": staff,
                                "tech_staff": staff * tech_share / 100,
                                "high_tech_revenue": revenue * high_tech / 100,
                                "total_assets": revenue * (50 + dice.below(100)) / 100,
                                "debt_ratio": 20 + dice.below(65),
                                "main_business_share": 60 + dice.below(40),
                                "ip_class1": dice.below(9),
                                "ip_class2": dice.below(21),
                                "years_in_niche": 1 + dice.below(10),
                                "assessment_score": 40 + dice.below(51),
                                "major_incident": dice.chance(1),
                                "market_share": 1 + dice.below(20),
                            });
                            writeln!(out, "{}\t{}\t{document}", e.id, last - year_back)?;
                        }
                    }
                    Ok(())
                })
            })
            .with_format(CopyFormat::Text)
            .execute(conn)?;
        Ok(())
    }

    /// The items the certificates owe since the start of last year, most of those already
    /// due done by their date: a district that keeps up, with a few enterprises behind.
    fn obligations(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let from = NaiveDate::from_ymd_opt(self.today.year() - 1, 1, 1).unwrap_or(self.today);
        obligations::materialize_from(conn, self.catalog, None, from)?;
        diesel::sql_query(
            "UPDATE obligations SET done_at = (due_on - (abs(hashtext(id::text)) % 40) * interval '1 day')::timestamptz,
                                    evidence = '火炬统计回执'
             WHERE due_on < $1 AND abs(hashtext(id::text)) % 100 < 85",
        )
        .bind::<diesel::sql_types::Date, _>(self.today)
        .execute(conn)?;
        Ok(())
    }

    fn enterprise(&self, i: u64) -> Synthetic {
        let mut dice = Dice::new(self.size.seed, ENTERPRISES, i);
        let streets = self.district.streets.len();
        let street = dice.below(streets as u64) as usize;
        let park = dice.chance(40).then(|| dice.below(PARK_NAMES.len() as u64) as usize);
        let clusters = self.catalog.clusters.all().len() as u64;
        let cluster = (clusters > 0 && dice.chance(80)).then(|| dice.below(clusters) as usize);
        // 55% 未入库, 25% 科技型中小企业, 8% 培育库, 9% 国高, 2.5% 专精特新, 0.5% 小巨人.
        let top = self.catalog.ladder.rungs().len().saturating_sub(1);
        let rank = match dice.below(1000) {
            0..550 => 0,
            550..800 => 1,
            800..880 => 2,
            880..970 => 3,
            970..995 => 4,
            _ => 5,
        }
        .min(top);
        // The current rung was reached within its term, so its certificate still holds;
        // earlier rungs 200–700 days apart before it. Some climbs skip a rung.
        let mut day = self.today - Days::new(1 + dice.below(330));
        let mut climbs = Vec::new();
        let mut at = rank;
        while at > 0 {
            climbs.push((at, day));
            day = day - Days::new(200 + dice.below(500));
            at = if at > 1 && dice.chance(15) { at - 2 } else { at - 1 };
        }
        climbs.reverse();
        let established_on = day - Days::new(365 + dice.below(365 * 12));
        let created_ms = 1_600_000_000_000 + i * 60_000 + dice.below(60_000);
        let id = dice.uuid_v7(created_ms);
        let created_at = DateTime::from_timestamp_millis(created_ms as i64).unwrap_or(self.now);
        Synthetic { id, street, park, cluster, climbs, established_on, created_at }
    }

    fn copy_enterprises(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        use enterprises::*;
        let columns = (
            id,
            uscc,
            name,
            street_id,
            park_id,
            cluster,
            established_on,
            contact_name,
            contact_phone,
            employees,
            tier,
            created_at,
        );
        diesel::copy_from(table)
            .from_raw_data(columns, |out| {
                buffered(out, |out| {
                    for i in 0..self.size.enterprises {
                        let e = self.enterprise(i);
                        let mut dice = Dice::new(self.size.seed, NAMES, i);
                        let street = &self.district.streets[e.street];
                        let park = e.park.map(|p| street.parks[p].to_string());
                        let cluster_code = e.cluster.map(|c| self.catalog.clusters.all()[c].code.clone());
                        writeln!(
                            out,
                            // A mobile number: 1, a two-digit network prefix, eight digits.
                            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t1{}{:08}\t{}\t{}\t{}",
                            e.id,
                            demo_uscc(i),
                            enterprise_name(&mut dice, e.cluster),
                            street.id,
                            park.as_deref().unwrap_or("\\N"),
                            cluster_code.as_deref().unwrap_or("\\N"),
                            e.established_on,
                            person_name(&mut dice),
                            dice.pick(&["35", "36", "37", "38", "39", "58", "86"]),
                            dice.below(100_000_000),
                            10 + dice.below(400),
                            self.catalog.ladder.rungs()[e.rank()].code,
                            e.created_at.to_rfc3339(),
                        )?;
                    }
                    Ok(())
                })
            })
            .with_format(CopyFormat::Text)
            .execute(conn)?;
        Ok(())
    }

    /// The certificate of each promoted enterprise's current rung, and its climb.
    fn copy_ladder(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let rungs = self.catalog.ladder.rungs();
        let certificate_of = |e: &Synthetic| Uuid::from_u64_pair(e.id.as_u64_pair().0 ^ 0xC, e.id.as_u64_pair().1);
        {
            use certificates::*;
            diesel::copy_from(table)
                .from_raw_data(
                    (id, enterprise_id, tier, certificate_no, effective_on, valid_until, batch, source),
                    |out| {
                        buffered(out, |out| {
                            for i in 0..self.size.enterprises {
                                let e = self.enterprise(i);
                                let Some(&(rank, on)) = e.climbs.last() else { continue };
                                let tier_of =
                                    self.catalog.ladder.tier(&rungs[rank].code).map_err(std::io::Error::other)?;
                                let until = self.catalog.ladder.term_end(&tier_of, on);
                                writeln!(
                                    out,
                                    "{}\t{}\t{}\tPY{}{:08}\t{on}\t{}\t{}年第{}批\tmanual",
                                    certificate_of(&e),
                                    e.id,
                                    rungs[rank].code,
                                    on.year(),
                                    i,
                                    until.map_or_else(|| "\\N".to_owned(), |d| d.to_string()),
                                    on.year(),
                                    1 + i % 2,
                                )?;
                            }
                            Ok(())
                        })
                    },
                )
                .with_format(CopyFormat::Text)
                .execute(conn)?;
        }
        use tier_changes::*;
        diesel::copy_from(table)
            .from_raw_data(
                (id, enterprise_id, kind, from_tier, to_tier, effective_on, certificate_id, source, actor_kind),
                |out| {
                    buffered(out, |out| {
                        for i in 0..self.size.enterprises {
                            let e = self.enterprise(i);
                            let mut from = 0;
                            let mut dice = Dice::new(self.size.seed, ENTERPRISES ^ 0xFF, i);
                            for (n, &(rank, on)) in e.climbs.iter().enumerate() {
                                let last = n + 1 == e.climbs.len();
                                let at = e.created_at.timestamp_millis() as u64 + n as u64;
                                writeln!(
                                    out,
                                    "{}\t{}\tpromotion\t{}\t{}\t{on}\t{}\tmanual\tsystem",
                                    dice.uuid_v7(at),
                                    e.id,
                                    rungs[from].code,
                                    rungs[rank].code,
                                    if last { certificate_of(&e).to_string() } else { "\\N".to_owned() },
                                )?;
                                from = rank;
                            }
                        }
                        Ok(())
                    })
                },
            )
            .with_format(CopyFormat::Text)
            .execute(conn)?;
        Ok(())
    }

    fn copy_visits(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        const PURPOSES: [&str; 5] = [
            "{policy_briefing}",
            "{demand_collection}",
            "{application_coaching}",
            "{follow_up}",
            "{policy_briefing,demand_collection}",
        ];
        const SUMMARIES: [&str; 6] = [
            "宣讲高企认定政策，了解研发投入情况",
            "收集企业用地用房需求",
            "辅导专精特新申报材料",
            "回访上次提出的融资诉求",
            "了解扩产计划与人才需求",
            "核对知识产权与研发费用归集",
        ];
        const THREE_YEARS_SECONDS: u64 = 3 * 365 * 86_400;
        use visits::*;
        let now = self.now.timestamp() as u64;
        diesel::copy_from(table)
            .from_raw_data(
                (id, enterprise_id, street_id, counselor_id, visited_at, channel, purposes, summary),
                |out| {
                    buffered(out, |out| {
                        for v in 0..self.size.visits {
                            let mut dice = Dice::new(self.size.seed, VISITS, v);
                            let e = self.enterprise(dice.below(self.size.enterprises));
                            let street = &self.district.streets[e.street];
                            // Skewed towards the recent past, as counselors keep up their rounds.
                            let ago = dice.below(THREE_YEARS_SECONDS).min(dice.below(THREE_YEARS_SECONDS));
                            let at = now - ago;
                            let visited = DateTime::from_timestamp(at as i64, 0).unwrap_or(self.now);
                            writeln!(
                                out,
                                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                                dice.uuid_v7(at * 1000),
                                e.id,
                                street.id,
                                street.counselor,
                                visited.to_rfc3339(),
                                dice.pick(&["onsite", "onsite", "phone", "video", "event"]),
                                dice.pick(&PURPOSES),
                                dice.pick(&SUMMARIES),
                            )?;
                        }
                        Ok(())
                    })
                },
            )
            .with_format(CopyFormat::Text)
            .execute(conn)?;
        Ok(())
    }

    /// One request per eight enterprises, most of them long resolved, the pending ones
    /// raised in the last four weeks; their stages as the desk would have kept them, and
    /// the urges and supervisions its job would have made by now.
    fn copy_requests(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        const CATEGORIES: [(Category, &str); 10] = [
            (Category::Space, "扩产用房需求"),
            (Category::Talent, "引进研发骨干"),
            (Category::Housing, "人才住房申请"),
            (Category::Education, "子女入学咨询"),
            (Category::Finance, "科技贷款贴息"),
            (Category::Policy, "研发补助政策咨询"),
            (Category::Ip, "专利申请辅导"),
            (Category::Certification, "国高申报辅导"),
            (Category::Market, "对接采购渠道"),
            (Category::Other, "其他事项"),
        ];
        const PRIORITIES: [Priority; 5] =
            [Priority::Low, Priority::Normal, Priority::Normal, Priority::High, Priority::Urgent];
        use service_requests::*;
        let now = self.now.timestamp();
        let moment = |seconds: i64| DateTime::from_timestamp(seconds, 0).unwrap_or(self.now);
        let text = |at: Option<DateTime<Utc>>| at.map_or_else(|| "\\N".to_owned(), |at| at.to_rfc3339());
        diesel::copy_from(table)
            .from_raw_data(
                (
                    id, enterprise_id, street_id, category, priority, title, description, status, assignee_id, raised_by,
                    due_at, resolved_at, closed_at, satisfaction, created_at, acknowledge_due_at, acknowledged_at,
                    contact_due_at, contacted_at, callback_due_at, called_back_at, callbacks, callback_rating_total,
                    stage, stage_due_at, urge_at, urged_at, supervised_at,
                ),
                |out| {
                    buffered(out, |out| {
                    for r in 0..self.size.enterprises / 8 {
                        let mut dice = Dice::new(self.size.seed, REQUESTS, r);
                        let e = self.enterprise(dice.below(self.size.enterprises));
                        let street = &self.district.streets[e.street];
                        let (kind, title_text) = *dice.pick(&CATEGORIES);
                        let mut created = now - dice.below(2 * 365 * 86_400) as i64;
                        let hours = (2 + dice.below(24 * 20)).min(2 + dice.below(24 * 40)) as i64;
                        let (state, rating) = match dice.below(100) {
                            0..12 => (*dice.pick(&[Status::Open, Status::Assigned, Status::InProgress, Status::Escalated]), None),
                            12..22 => (Status::Resolved, None),
                            22..95 => (Status::Closed, Some(3 + dice.below(3) as i16)),
                            _ => (Status::Rejected, None),
                        };
                        if state.is_pending() {
                            // Still being worked: raised within the last four weeks.
                            created = now - (now - created) % (28 * 86_400);
                        }
                        let request_id = dice.uuid_v7(created as u64 * 1000);
                        let urgency = *dice.pick(&PRIORITIES);
                        let raised = moment(created);
                        let [acknowledge, contact, resolve] = desk::deadlines(self.catalog, kind, urgency, raised);
                        let assigned = !matches!(state, Status::Open);
                        let worked = matches!(state, Status::InProgress | Status::Resolved | Status::Closed);
                        let resolved = matches!(state, Status::Resolved | Status::Closed)
                            .then(|| moment((created + hours * 3600).min(now)));
                        let closing = resolved.filter(|_| state == Status::Closed).map(|at| at + chrono::Duration::days(1));
                        let mut m = crate::db::service_requests::Move {
                            status: state.as_str(),
                            assignee_id: assigned.then_some(street.counselor),
                            due_at: resolve,
                            resolved_at: resolved,
                            closed_at: closing,
                            satisfaction: rating,
                            acknowledge_due_at: Some(acknowledge),
                            acknowledged_at: assigned.then(|| moment(created + 1800 + dice.below(4 * 3600) as i64)),
                            contact_due_at: Some(contact),
                            contacted_at: worked.then(|| moment(created + 3600 + dice.below(30 * 3600) as i64)),
                            callback_due_at: resolved.map(|at| {
                                self.catalog.desk.due(&self.catalog.calendar, Stage::Callback, kind, urgency, at)
                            }),
                            called_back_at: closing,
                            callback_channel: None,
                            stage: None,
                            stage_due_at: None,
                            urge_at: None,
                            urged_at: None,
                            supervised_at: None,
                            extension_days: None,
                            extensions: 0,
                            callbacks: i16::from(closing.is_some()),
                            callback_rating_total: rating.unwrap_or(0),
                            reopened: 0,
                            transferred_street_id: None,
                            department: None,
                        };
                        desk::await_stage(self.catalog, &mut m, raised);
                        let urged = m.urge_at.filter(|at| *at < self.now);
                        let supervised = m.stage_due_at.filter(|at| *at < self.now);
                        writeln!(
                            out,
                            "{}\t{}\t{}\t{}\t{}\t{title_text}\t企业反映：{title_text}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                            request_id,
                            e.id,
                            street.id,
                            kind.as_str(),
                            urgency.as_str(),
                            state.as_str(),
                            m.assignee_id.map_or_else(|| "\\N".to_owned(), |u| u.to_string()),
                            street.counselor,
                            m.due_at.to_rfc3339(),
                            text(m.resolved_at),
                            text(m.closed_at),
                            rating.map_or_else(|| "\\N".to_owned(), |r| r.to_string()),
                            raised.to_rfc3339(),
                            text(m.acknowledge_due_at),
                            text(m.acknowledged_at),
                            text(m.contact_due_at),
                            text(m.contacted_at),
                            text(m.callback_due_at),
                            text(m.called_back_at),
                            m.callbacks,
                            m.callback_rating_total,
                            m.stage.as_deref().unwrap_or("\\N"),
                            text(m.stage_due_at),
                            text(m.urge_at),
                            text(urged),
                            text(supervised),
                        )?;
                    }
                    Ok(())
                    })
                },
            )
            .with_format(CopyFormat::Text)
            .execute(conn)?;
        Ok(())
    }

    /// Approved applications behind promotions since 2024; open and failed ones for 国高.
    fn copy_applications(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        let rungs = self.catalog.ladder.rungs();
        let this_year = self.today.year();
        use applications::*;
        diesel::copy_from(table)
            .from_raw_data((id, enterprise_id, street_id, tier, batch_year, status, created_by, decided_at), |out| {
                buffered(out, |out| {
                    for i in 0..self.size.enterprises {
                        let e = self.enterprise(i);
                        let mut dice = Dice::new(self.size.seed, APPLICATIONS, i);
                        let street = &self.district.streets[e.street];
                        let applied = match e.climbs.last() {
                            Some(&(rank, on)) if rank >= 2 && on.year() >= 2024 => Some((rank, on.year(), "approved")),
                            _ if (1..=2).contains(&e.rank()) && rungs.len() > 3 && dice.chance(30) => Some((
                                3,
                                this_year - i32::from(dice.chance(40)),
                                *dice.pick(&[
                                    "preparing",
                                    "pre_reviewed",
                                    "submitted",
                                    "rejected",
                                    "rejected",
                                    "withdrawn",
                                ]),
                            )),
                            _ => None,
                        };
                        let Some((rank, year, state)) = applied else { continue };
                        let decided = application::Status::parse(state).is_some_and(application::Status::is_decided);
                        writeln!(
                            out,
                            "{}\t{}\t{}\t{}\t{year}\t{state}\t{}\t{}",
                            dice.uuid_v7(e.created_at.timestamp_millis() as u64 + 7),
                            e.id,
                            street.id,
                            rungs[rank].code,
                            street.counselor,
                            if decided { self.now.to_rfc3339() } else { "\\N".to_owned() },
                        )?;
                    }
                    Ok(())
                })
            })
            .with_format(CopyFormat::Text)
            .execute(conn)?;
        Ok(())
    }

    /// This year's targets: new 国高 and 科技型中小企业 per street and for the district.
    fn targets(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        use crate::db::schema::targets::dsl as t;
        let year = self.today.year();
        let per_street = (self.size.enterprises / 400).max(1) as i32;
        let rungs = self.catalog.ladder.rungs();
        let mut rows = Vec::new();
        for (rank, factor) in [(3usize, 1), (1, 4)] {
            let Some(rung) = rungs.get(rank) else { continue };
            for street in &self.district.streets {
                rows.push((
                    t::year.eq(year),
                    t::region_id.eq(street.id),
                    t::tier.eq(rung.code.clone()),
                    t::target.eq(per_street * factor),
                    t::set_by.eq(self.district.manager),
                ));
            }
        }
        diesel::insert_into(t::targets).values(rows).execute(conn)?;
        Ok(())
    }
}

/// Runs `write` on a buffered `COPY` stream, in the error type `COPY` callbacks need.
fn buffered(out: &mut dyn Write, write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> QueryResult<()> {
    let mut buffer = std::io::BufWriter::with_capacity(1 << 16, out);
    write(&mut buffer).and_then(|()| buffer.flush()).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// Whether this connection's role may switch triggers off.
fn superuser(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>("current_setting('is_superuser') = 'on'"))
        .get_result(conn)
}

/// Drops the secondary (non-unique) indexes of the tables a load fills; returns the
/// statements that rebuild them, as PostgreSQL itself prints them.
fn drop_secondary_indexes(conn: &mut PgConnection) -> anyhow::Result<Vec<String>> {
    #[derive(QueryableByName)]
    struct Index {
        #[diesel(sql_type = diesel::sql_types::Text)]
        name: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        definition: String,
    }
    let indexes: Vec<Index> = diesel::sql_query(
        "SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         WHERE t.relname IN ('enterprises', 'visits', 'certificates', 'tier_changes', 'service_requests', 'applications')
           AND NOT x.indisunique AND NOT x.indisprimary",
    )
    .load(conn)?;
    for index in &indexes {
        conn.batch_execute(&format!("DROP INDEX {}", index.name))?;
    }
    Ok(indexes.into_iter().map(|i| i.definition).collect())
}

/// The `i`th USCC of the demo: Bao'an (440306), organization codes counted in base 31.
fn demo_uscc(i: u64) -> String {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let mut code = [b'0'; 7];
    let mut n = i;
    for slot in code.iter_mut().rev() {
        *slot = DIGITS[(n % 31) as usize];
        n /= 31;
    }
    let first17 = format!("91440306MA{}", String::from_utf8_lossy(&code));
    let check = uscc::check_character(first17.as_bytes()).unwrap_or('0');
    let full = format!("{first17}{check}");
    debug_assert!(Uscc::parse(&full).is_ok());
    full
}

fn enterprise_name(dice: &mut Dice, cluster: Option<usize>) -> String {
    const BRAND: &[char] = &[
        '华', '星', '腾', '科', '创', '智', '联', '达', '信', '恒', '鑫', '宏', '泰', '瑞', '安', '海', '新', '源',
        '光', '微', '芯', '天', '云', '博', '睿', '锐', '航', '宇', '正', '远', '嘉', '盛', '德', '益', '康', '佳',
    ];
    const TRADE: [&str; 9] =
        ["机器人", "新材料", "航空", "医疗器械", "信息技术", "智能装备", "生物医药", "新能源", "电子"];
    const KIND: [&str; 6] = ["科技", "技术", "智能", "电子", "实业", "股份"];
    let brand: String = (0..2 + dice.below(2)).map(|_| *dice.pick(BRAND)).collect();
    let trade = cluster.map_or_else(|| *dice.pick(&TRADE), |c| TRADE[c % TRADE.len()]);
    format!("深圳市{brand}{trade}{}有限公司", dice.pick(&KIND))
}

fn person_name(dice: &mut Dice) -> String {
    const FAMILY: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙"];
    const GIVEN: [&str; 12] = ["伟", "芳", "娜", "敏", "静", "强", "磊", "洋", "艳", "勇", "军", "杰"];
    format!("{}{}{}", dice.pick(&FAMILY), dice.pick(&GIVEN), if dice.chance(50) { *dice.pick(&GIVEN) } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_usccs_are_valid_and_distinct() {
        let codes: std::collections::HashSet<_> = (0..2_000).map(demo_uscc).collect();
        assert_eq!(codes.len(), 2_000);
        assert!(codes.iter().all(|c| Uscc::parse(c).is_ok()));
    }

    #[test]
    fn the_dice_are_a_function_of_the_row() {
        let roll = |row| Dice::new(0, ENTERPRISES, row).below(1_000);
        assert_eq!(roll(7), roll(7));
        let rolls: std::collections::HashSet<_> = (0..100).map(roll).collect();
        assert!(rolls.len() > 50, "spread out");
    }
}
