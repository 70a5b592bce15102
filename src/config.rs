//! Typed settings: compiled-in `config/default.toml`, then an optional file named by
//! `PEIYU_CONFIG_FILE`, then `PEIYU_*` environment variables (and `DATABASE_URL`).
//! Settings are loaded once and passed explicitly; there is no global.

use crate::domain::benefit::Benefit;
use crate::domain::calendar::{Calendar, CalendarFile};
use crate::domain::desk::{Desk, DeskSettings};
use crate::domain::eligibility::{self, RuleSet};
use crate::domain::obligation::Obligation;
use crate::domain::{Cluster, Clusters, Ladder, Rung};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;
use std::path::PathBuf;

const DEFAULT_SETTINGS: &str = include_str!("../config/default.toml");
const DEFAULT_TIERS: &str = include_str!("../config/tiers.toml");
const DEFAULT_CALENDAR: &str = include_str!("../config/calendar.toml");

/// A setting that must never be printed (`Debug` shows `[REDACTED]`), nor left in memory
/// after use.
pub type Secret = secrecy::SecretString;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    pub bind: String,
    pub data_dir: PathBuf,
    pub time_zone: String,
    pub tiers_file: String,
    pub calendar_file: String,
    pub config_file: String,
    /// `PEIYU_PUBLIC_URL`: where people open the console; https makes its cookies Secure.
    pub public_url: String,
    /// `PEIYU_JWT_SECRET`; empty: one generated and kept in the data directory.
    pub jwt_secret: Secret,
    pub database: DatabaseSettings,
    pub http: HttpSettings,
    pub auth: AuthSettings,
    pub console: ConsoleSettings,
    pub visits: VisitSettings,
    pub ladder: LadderSettings,
    pub desk: DeskSettings,
    /// How often `peiyu serve` urges and supervises late stages, in minutes; 0: never.
    pub desk_check_minutes: u64,
    pub clusters: Vec<Cluster>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DatabaseSettings {
    /// `DATABASE_URL`, which may carry a password; empty: the private cluster.
    pub url: Secret,
    pub pool_size: u32,
    pub connection_timeout_ms: u64,
    pub statement_timeout_ms: u64,
}

impl DatabaseSettings {
    /// Requests that hold a connection at once: `pool_size`, or when it is 0, two per core
    /// and one more. PostgreSQL runs on the same cores: sixteen busy backends on two cores
    /// only take turns on them, and their queueing was the whole of the API's p99 (209 ms
    /// at 16 client connections with 16, 5.5 ms with 4; docs/BENCHMARKS.md).
    pub fn request_connections(&self) -> u32 {
        match self.pool_size {
            0 => {
                let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
                u32::try_from(cores).unwrap_or(u32::MAX / 2).saturating_mul(2).saturating_add(1)
            }
            size => size,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct HttpSettings {
    pub json_limit_bytes: usize,
    pub workers: usize,
    /// Proxies whose `X-Forwarded-For` is believed (see `client`).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AuthSettings {
    pub access_token_minutes: i64,
    pub refresh_token_days: i64,
    pub max_failed_logins_per_user: i32,
    pub max_failed_logins_per_client: i32,
    pub failed_login_window_minutes: i64,
    /// Passwords checked at once, each on a thread of its own with 19 MiB.
    pub password_hash_threads: usize,
    /// Sign-ins that may wait for a hashing thread; more are answered 503 at once.
    pub password_hash_queue: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ConsoleSettings {
    pub idle_minutes: i64,
    pub absolute_hours: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct LadderSettings {
    /// How often `peiyu serve` looks for lapsed certificates; 0: never (use `peiyu expire`).
    pub expiry_check_minutes: u64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct VisitSettings {
    pub edit_days: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("settings: {0}")]
    Config(#[from] config::ConfigError),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    File { path: String, source: config::ConfigError },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The bureau's reference data and calendar, which input is checked against.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub ladder: Ladder,
    pub clusters: Clusters,
    pub time_zone: Tz,
    /// The bureau's working days and office hours, which deadlines count.
    pub calendar: Calendar,
    /// The service desk's stages, limits and departments.
    pub desk: Desk,
    /// Eligibility rule sets per tier, each tagged with its policy document and date.
    pub rule_sets: Vec<RuleSet>,
    /// The visit cadence while an application of this year's batch is in flight.
    pub visit_every_days_while_applying: Option<u32>,
    /// The visit cadence of an enterprise with an obligation due within
    /// [`crate::domain::visit::OBLIGATION_LEAD_DAYS`] or overdue.
    pub visit_every_days_while_obligation_due: Option<u32>,
    /// What certified enterprises owe to keep their rungs.
    pub obligations: Vec<Obligation>,
    /// What each rung is worth.
    pub benefits: Vec<Benefit>,
}

impl Catalog {
    /// Today in the bureau's time zone.
    pub fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.time_zone).date_naive()
    }

    /// This year and the next, when they have no holiday notice configured: their
    /// deadlines count Monday–Friday (requests raised in December reach into next year).
    pub fn years_without_notice(&self) -> Vec<i32> {
        let year = chrono::Datelike::year(&self.today());
        self.calendar.years_without_notice(year..=year + 1)
    }

    /// A moment on the bureau's wall clock.
    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.time_zone).naive_local()
    }

    /// The moment a day of the bureau's calendar begins.
    pub fn start_of(&self, day: NaiveDate) -> DateTime<Utc> {
        let midnight = day.and_time(NaiveTime::MIN);
        // A zone that skips midnight (a DST change) starts the day at the gap's end.
        self.time_zone
            .from_local_datetime(&midnight)
            .earliest()
            .map_or_else(|| midnight.and_utc(), |start| start.with_timezone(&Utc))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TiersFile {
    tiers: Vec<Rung>,
    /// The visit cadence of an enterprise with an application of this year's batch in
    /// flight, whatever its rung.
    #[serde(default)]
    visit_every_days_while_applying: Option<u32>,
    #[serde(default)]
    visit_every_days_while_obligation_due: Option<u32>,
    #[serde(default)]
    rule_sets: Vec<RuleSet>,
    #[serde(default)]
    obligations: Vec<Obligation>,
    #[serde(default)]
    benefits: Vec<Benefit>,
}

impl Settings {
    /// Whether the console is served over https, so that its cookies travel only there.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.trim().to_ascii_lowercase().starts_with("https://")
    }

    /// Loads the settings the running process should use.
    pub fn load() -> Result<Self, SettingsError> {
        let mut builder = Config::builder().add_source(File::from_str(DEFAULT_SETTINGS, FileFormat::Toml));
        if let Some(path) = std::env::var_os("PEIYU_CONFIG_FILE").filter(|p| !p.is_empty()) {
            builder = builder.add_source(File::from(PathBuf::from(path)).format(FileFormat::Toml));
        }
        let database_url = std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty());
        let settings = builder
            .add_source(
                Environment::with_prefix("PEIYU")
                    .prefix_separator("_")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("http.trusted_proxies"),
            )
            .set_override_option("database.url", database_url)?
            .build()?
            .try_deserialize()?;
        Ok(settings)
    }

    /// The ladder, clusters, calendar and desk, validated; a bad file fails start-up
    /// naming the problem.
    pub fn catalog(&self) -> Result<Catalog, SettingsError> {
        let (path, tiers) = read_file::<TiersFile>(&self.tiers_file, "config/tiers.toml", DEFAULT_TIERS)?;
        let ladder = Ladder::new(tiers.tiers)
            .map_err(|e| SettingsError::Invalid { path: path.clone(), message: e.to_string() })?;
        let codes: Vec<&str> = ladder.rungs().iter().map(|r| r.code.as_str()).collect();
        eligibility::validate(&tiers.rule_sets, &codes)
            .map_err(|e| SettingsError::Invalid { path: path.clone(), message: e.to_string() })?;
        check_cultivation(&tiers.obligations, &tiers.benefits, &tiers.rule_sets, &ladder, &codes)
            .map_err(|message| SettingsError::Invalid { path, message })?;
        let clusters = Clusters::new(self.clusters.clone())
            .map_err(|e| SettingsError::Invalid { path: "clusters".into(), message: e.to_string() })?;
        let time_zone = self.time_zone.parse().map_err(|_| SettingsError::Invalid {
            path: "time_zone".into(),
            message: format!("`{}` is not an IANA time zone such as Asia/Shanghai", self.time_zone),
        })?;
        let (path, calendar) =
            read_file::<CalendarFile>(&self.calendar_file, "config/calendar.toml", DEFAULT_CALENDAR)?;
        let calendar =
            Calendar::new(calendar, time_zone).map_err(|message| SettingsError::Invalid { path, message })?;
        let desk = Desk::new(self.desk.clone(), calendar.hours_per_day())
            .map_err(|message| SettingsError::Invalid { path: "settings".into(), message })?;
        let cadences = ladder
            .rungs()
            .iter()
            .filter_map(|r| r.visit_every_days)
            .chain(tiers.visit_every_days_while_applying)
            .chain(tiers.visit_every_days_while_obligation_due);
        if cadences.into_iter().any(|days| !(1..=crate::domain::visit::MAX_WINDOW_DAYS).contains(&days)) {
            let message = "visit_every_days: a cadence of 1 to 3650 days".to_owned();
            return Err(SettingsError::Invalid { path: "config/tiers.toml".into(), message });
        }
        Ok(Catalog {
            ladder,
            clusters,
            time_zone,
            calendar,
            desk,
            rule_sets: tiers.rule_sets,
            visit_every_days_while_applying: tiers.visit_every_days_while_applying,
            visit_every_days_while_obligation_due: tiers.visit_every_days_while_obligation_due,
            obligations: tiers.obligations,
            benefits: tiers.benefits,
        })
    }
}

/// Checks obligations, benefits and the criteria that keep a rung against the ladder and
/// the rule sets.
fn check_cultivation(
    obligations: &[Obligation],
    benefits: &[Benefit],
    rule_sets: &[RuleSet],
    ladder: &Ladder,
    codes: &[&str],
) -> Result<(), String> {
    let mut seen = std::collections::HashSet::new();
    for obligation in obligations {
        obligation.check(codes)?;
        if !seen.insert(obligation.code.as_str()) {
            return Err(format!("obligation `{}` appears twice", obligation.code));
        }
    }
    if let Some(benefit) = benefits.iter().find(|b| !codes.contains(&b.tier.as_str())) {
        return Err(format!("benefit `{}`: tier `{}` is not on the ladder", benefit.description, benefit.tier));
    }
    for rung in ladder.rungs() {
        for code in &rung.keep_criteria {
            let known = rule_sets.iter().any(|s| s.tier == rung.code && s.criteria.iter().any(|c| &c.code == code));
            if !known {
                return Err(format!("tier `{}`: keep_criteria `{code}` is no criterion of its rule sets", rung.code));
            }
        }
    }
    Ok(())
}

/// A TOML file of the catalogue: the one at `path`, or the built-in `text` of `default`
/// when `path` is empty. Returns the name to report problems under, and the contents.
fn read_file<T: serde::de::DeserializeOwned>(
    path: &str,
    default: &str,
    text: &str,
) -> Result<(String, T), SettingsError> {
    let (path, text) = if path.is_empty() {
        (format!("{default} (built in)"), text.to_owned())
    } else {
        let text = std::fs::read_to_string(path).map_err(|source| SettingsError::Read { path: path.into(), source })?;
        (path.to_owned(), text)
    };
    let contents = Config::builder()
        .add_source(File::from_str(&text, FileFormat::Toml))
        .build()
        .and_then(Config::try_deserialize)
        .map_err(|source| SettingsError::File { path: path.clone(), source })?;
    Ok((path, contents))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The built-in settings, as a process without a file or environment has them.
    fn defaults() -> Settings {
        Config::builder()
            .add_source(File::from_str(DEFAULT_SETTINGS, FileFormat::Toml))
            .build()
            .and_then(Config::try_deserialize)
            .expect("defaults deserialize")
    }

    #[test]
    fn the_pool_is_sized_from_the_machine_unless_set() {
        let mut database = defaults().database;
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        assert_eq!(database.request_connections() as usize, 2 * cores + 1);
        database.pool_size = 7;
        assert_eq!(database.request_connections(), 7);
    }

    #[test]
    fn secrets_are_never_printed() {
        let mut settings: Settings = defaults();
        settings.jwt_secret = "a-jwt-secret-nobody-may-read-in-a-log".into();
        settings.database.url = "postgres://peiyu:hunter2-password@db/peiyu".into();
        let printed = format!("{settings:?} {settings:#?}");
        assert!(!printed.contains("nobody-may-read") && !printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("[REDACTED]"), "{printed}");
    }

    #[test]
    fn built_in_defaults_load() {
        let settings: Settings = defaults();
        assert_eq!(settings.bind, "127.0.0.1:8080");
        let catalog = settings.catalog().expect("built-in catalog is valid");
        let codes: Vec<_> = catalog.ladder.rungs().iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["prospect", "tech_sme", "hnte_pool", "hnte", "srdi", "little_giant"]);
        assert_eq!(catalog.clusters.get("biomedicine").map(|c| c.name.as_str()), Ok("生物医药"));
        assert_eq!(catalog.time_zone, chrono_tz::Asia::Shanghai);
        assert_eq!(catalog.calendar.years_without_notice(2026..=2027), [2027]);
    }

    #[test]
    fn a_bad_rule_file_names_what_is_wrong() {
        let mut settings: Settings = defaults();
        let dir = std::env::temp_dir().join(format!("peiyu-tiers-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let ladder = "[[tiers]]\ncode = \"prospect\"\nlabel = \"未入库\"\n";
        let cases = [
            ("metric = \"vibes\"\nmin = 1", "vibes"),
            ("metric = \"staff\"\nminimum = 1", "minimum"),
            ("metric = \"staff\"", "needs `min`, `max` or `bands`"),
        ];
        for (criterion, named) in cases {
            let path = dir.join("tiers.toml");
            let rules = format!(
                "{ladder}[[rule_sets]]\ntier = \"prospect\"\ndocument = \"x\"\neffective_from = 2026-01-01\n\
                 [[rule_sets.criteria]]\ncode = \"c\"\ndescription = \"d\"\n{criterion}\n"
            );
            std::fs::write(&path, rules).expect("write");
            settings.tiers_file = path.display().to_string();
            let error = settings.catalog().expect_err("invalid").to_string();
            assert!(error.contains(named), "{error}");
        }
        std::fs::remove_dir_all(dir).ok();
    }

    /// The encoded 国高 rule set on the worked example: revenue ¥30m a year with
    /// R&D ¥0.9m fails the 5% rule; ¥1.8m passes.
    #[test]
    fn the_encoded_hnte_rules_judge_the_worked_example() {
        use crate::domain::eligibility::{DecisionKind, Enterprise, Indicators, evaluate, in_force};
        use std::collections::BTreeMap;
        let settings: Settings = defaults();
        let catalog = settings.catalog().expect("built-in catalog is valid");
        let on = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
        let rules = in_force(&catalog.rule_sets, "hnte", DecisionKind::New, on).expect("a 国高 rule set");
        assert_eq!(rules.document, "国科发火〔2016〕32号");
        let figures = |rd: i64| -> BTreeMap<i32, Indicators> {
            (2023..=2025)
                .map(|year| {
                    let year_figures = Indicators {
                        revenue: Some(30_000_000),
                        rd_expense: Some(rd),
                        rd_expense_domestic: Some(rd),
                        ..Indicators::default()
                    };
                    (year, year_figures)
                })
                .collect()
        };
        let verdict = |rd: i64| {
            let figures = figures(rd);
            let enterprise =
                Enterprise { established_on: NaiveDate::from_ymd_opt(2018, 3, 1), figures: &figures, titles: &[] };
            evaluate(rules, &enterprise, on).into_iter().map(|r| (r.code, r.met)).collect::<Vec<_>>()
        };
        let short = verdict(900_000);
        assert!(short.contains(&("rd_ratio".to_owned(), Some(false))), "{short:?}");
        let enough = verdict(1_800_000);
        assert!(enough.contains(&("rd_ratio".to_owned(), Some(true))), "{enough:?}");
        // What was not reported stays unknown: a to-do list, not a verdict.
        assert!(enough.contains(&("high_tech_income_share".to_owned(), None)), "{enough:?}");
        assert!(enough.contains(&("registered_years".to_owned(), Some(true))), "{enough:?}");
    }

    /// 专精特新 changed rules on 2026-04-01; 小巨人 is encoded from then on only.
    #[test]
    fn the_rule_set_in_force_follows_the_date() {
        use crate::domain::eligibility::{DecisionKind, in_force};
        let settings: Settings = defaults();
        let catalog = settings.catalog().expect("built-in catalog is valid");
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let document =
            |tier, on| in_force(&catalog.rule_sets, tier, DecisionKind::New, on).map(|r| r.document.as_str());
        assert_eq!(document("srdi", date(2026, 3, 31)), Some("工信部企业〔2022〕63号"));
        assert_eq!(document("srdi", date(2026, 4, 1)), Some("工信部企业〔2026〕2号"));
        assert_eq!(document("little_giant", date(2026, 3, 31)), None);
        assert_eq!(document("little_giant", date(2026, 4, 1)), Some("工信部企业〔2026〕2号"));
        assert_eq!(document("tech_sme", date(2026, 4, 1)), Some("国科发政〔2017〕115号"));
        assert_eq!(document("hnte_pool", date(2026, 4, 1)), None, "a district adds its own");
    }

    /// 2026: a 小巨人 review is judged by the 2022 rules without the growth test, counting
    /// the better score of the last two years; a new 专精特新 needs 科技和创新型中小企业
    /// from 2026-04-01, and its reviews stay with the 2022 rules.
    #[test]
    fn reviews_and_the_2026_prerequisite_follow_the_configured_rules() {
        use crate::domain::eligibility::{DecisionKind, Enterprise, Indicators, evaluate, in_force};
        use std::collections::BTreeMap;
        let settings: Settings = defaults();
        let catalog = settings.catalog().expect("built-in catalog is valid");
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let codes = |set: &RuleSet| set.criteria.iter().map(|c| c.code.clone()).collect::<Vec<_>>();
        let on = date(2026, 6, 1);
        let review = in_force(&catalog.rule_sets, "little_giant", DecisionKind::Review, on).expect("a review set");
        assert!(review.document.starts_with("工信部企业〔2022〕63号"), "{}", review.document);
        assert!(!codes(review).contains(&"revenue_growth".to_owned()), "no growth test in a 2026 review");
        let new = in_force(&catalog.rule_sets, "little_giant", DecisionKind::New, on).expect("a new set");
        assert!(codes(new).contains(&"revenue_growth".to_owned()));
        // The review passes on 2024's score of 62 though 2025 scored 55.
        let score = |s: f64| Indicators { assessment_score: Some(s), ..Indicators::default() };
        let figures = BTreeMap::from([(2024, score(62.0)), (2025, score(55.0))]);
        let judged = evaluate(review, &Enterprise { established_on: None, figures: &figures, titles: &[] }, on);
        let score_met = judged.iter().find(|c| c.code == "assessment_score").and_then(|c| c.met);
        assert_eq!(score_met, Some(true));

        let srdi = |on| in_force(&catalog.rule_sets, "srdi", DecisionKind::New, on).expect("a 专精特新 set");
        assert!(!codes(srdi(date(2026, 3, 31))).contains(&"prerequisite_title".to_owned()));
        let rules = srdi(date(2026, 4, 1));
        let prerequisite = |titles: &[String]| {
            let none = BTreeMap::new();
            let judged = evaluate(rules, &Enterprise { established_on: None, figures: &none, titles }, on);
            judged.into_iter().find(|c| c.code == "prerequisite_title").and_then(|c| c.met)
        };
        assert_eq!(prerequisite(&["tech_sme".to_owned()]), Some(true));
        assert_eq!(prerequisite(&["hnte".to_owned()]), Some(false));
        let srdi_review = in_force(&catalog.rule_sets, "srdi", DecisionKind::Review, on).expect("a review set");
        assert_eq!(srdi_review.document, "工信部企业〔2022〕63号");
        assert!(catalog.obligations.iter().any(|o| o.code == "hnte_annual_report"));
        assert!(catalog.benefits.iter().any(|b| b.tier == "hnte"));
    }
}
