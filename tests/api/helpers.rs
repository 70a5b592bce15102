//! The test harness. PostgreSQL comes from `DATABASE_URL` or from the private cluster
//! (started once per run); migrations are applied once to a template database; every
//! test gets its own copy of the template and its own server on 127.0.0.1:0.

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use peiyu::config::Settings;
use peiyu::db::embedded::{EmbeddedCluster, Lifetime};
use peiyu::db::{self, PgPool};
use peiyu::domain::Role;
use peiyu::domain::uscc::check_character;
use peiyu::startup::Application;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use uuid::Uuid;

pub struct Server {
    /// URL of the maintenance database `postgres`.
    admin_url: String,
    template: String,
    /// The private cluster, when there is no `DATABASE_URL`: its data directory, and the
    /// handle that stops it when the run ends.
    pub data_dir: Option<PathBuf>,
    cluster: Mutex<Option<EmbeddedCluster>>,
}

static SERVER: OnceLock<Server> = OnceLock::new();

impl Server {
    pub fn admin_url(&self) -> String {
        self.admin_url.clone()
    }
}

/// `url` with its database replaced by `database`.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

pub fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let (admin_url, cluster, data_dir) = match std::env::var("DATABASE_URL").ok().filter(|u| !u.is_empty()) {
            Some(url) => (with_database(&url, "postgres"), None, None),
            None => {
                // Outside the checkout (which may sit in a home directory the `postgres`
                // account cannot enter), one directory per checkout and user.
                let mut hasher = DefaultHasher::new();
                (env!("CARGO_MANIFEST_DIR"), nix::unistd::geteuid().as_raw()).hash(&mut hasher);
                let data_dir = std::env::temp_dir().join(format!("peiyu-test-{:016x}", hasher.finish()));
                // nextest runs each test in its own process: the first must not take the
                // cluster down with it when it exits.
                let lifetime =
                    if std::env::var_os("NEXTEST_RUN_ID").is_some() { Lifetime::Detached } else { Lifetime::Process };
                let cluster =
                    EmbeddedCluster::start(&data_dir, lifetime).expect("start the private PostgreSQL cluster");
                (cluster.url("postgres"), Some(cluster), Some(data_dir))
            }
        };
        let template = prepare_template(&admin_url);
        // A static is never dropped: stop the cluster when the test process exits, so that
        // the next run starts a fresh one instead of meeting this one shutting down.
        // (If the process is killed instead, the cluster's watchdog stops it.)
        // SAFETY: `stop_cluster` is a plain function that does not unwind.
        unsafe { libc::atexit(stop_cluster) };
        Server { admin_url, template, data_dir, cluster: Mutex::new(cluster) }
    })
}

extern "C" fn stop_cluster() {
    let cluster = SERVER.get().map(|server| server.cluster.lock());
    if let Some(Ok(mut cluster)) = cluster
        && let Some(cluster) = cluster.as_mut()
    {
        cluster.stop_if_owner();
    }
}

/// A template database migrated to the current migrations, built once and reused by
/// later runs while the migrations stay the same.
fn prepare_template(admin_url: &str) -> String {
    let mut hasher = DefaultHasher::new();
    // The migrations this binary embeds, not only those on disk: a binary built before a
    // migration was added must not build a template under the newer files' name.
    let embedded =
        diesel::migration::MigrationSource::<diesel::pg::Pg>::migrations(&db::MIGRATIONS).expect("embedded migrations");
    for migration in &embedded {
        migration.name().to_string().hash(&mut hasher);
    }
    let mut entries: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations directory")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for dir in entries {
        for file in ["up.sql", "down.sql"] {
            std::fs::read_to_string(dir.join(file)).unwrap_or_default().hash(&mut hasher);
        }
    }
    let template = format!("peiyu_template_{:016x}", hasher.finish());
    let mut admin = PgConnection::establish(admin_url).expect("connect to the maintenance database");
    // Parallel test processes (nextest) build the template once.
    admin.batch_execute("SELECT pg_advisory_lock(4242)").expect("lock");
    let existing: Vec<String> =
        diesel::sql_query("SELECT datname AS name FROM pg_database WHERE datname LIKE 'peiyu_template_%'")
            .load::<Name>(&mut admin)
            .expect("list templates")
            .into_iter()
            .map(|n| n.name)
            .collect();
    for stale in existing.iter().filter(|name| **name != template) {
        execute(&mut admin, &format!("ALTER DATABASE {stale} IS_TEMPLATE false"));
        execute(&mut admin, &format!("DROP DATABASE {stale} WITH (FORCE)"));
    }
    if !existing.contains(&template) {
        let building = format!("{template}_building");
        execute(&mut admin, &format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"));
        execute(&mut admin, &format!("CREATE DATABASE {building}"));
        db::migrate(&with_database(admin_url, &building), chrono_tz::Asia::Shanghai).expect("migrate the template");
        // Renamed only once complete, so an interrupted build is never used.
        execute(&mut admin, &format!("ALTER DATABASE {building} RENAME TO {template}"));
        execute(&mut admin, &format!("ALTER DATABASE {template} IS_TEMPLATE true"));
    }
    admin.batch_execute("SELECT pg_advisory_unlock(4242)").expect("unlock");
    template
}

/// One statement at a time: CREATE and DROP DATABASE refuse to run in a transaction,
/// which is what several statements in one batch become.
fn execute(conn: &mut PgConnection, sql: &str) {
    conn.batch_execute(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
}

pub const ADMIN_PASSWORD: &str = "bureau-keys-2026!";
/// Every test user's password.
pub const PASSWORD: &str = "street-work-2026!";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    /// Straight to this test's database, for assertions on what was stored.
    pub pool: PgPool,
    /// The access token of the admin every test app starts with.
    pub admin: String,
    pub admin_id: String,
    pub database_url: String,
    database: String,
}

/// Requests on behalf of one caller (`None`: no credentials at all).
pub struct As<'a> {
    app: &'a TestApp,
    token: Option<String>,
}

impl As<'_> {
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.app.client.request(method, self.app.url(path));
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path).send().await.expect("request")
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.request(reqwest::Method::POST, path).json(body).send().await.expect("request")
    }

    pub async fn patch(&self, path: &str, if_match: Option<&str>, body: &Value) -> reqwest::Response {
        let mut request = self.request(reqwest::Method::PATCH, path).json(body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.expect("request")
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::DELETE, path).send().await.expect("request")
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_adjusted(|_| ()).await
    }

    /// An app on a fresh database, with `adjust` applied to its settings.
    pub async fn spawn_adjusted(adjust: impl FnOnce(&mut Settings)) -> Self {
        let server = server();
        let database = format!("test_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::establish(&server.admin_url).expect("connect");
        execute(&mut admin, &format!("CREATE DATABASE {database} TEMPLATE {}", server.template));
        Self::spawn_with(&with_database(&server.admin_url, &database), adjust).await
    }

    /// An app on the migrated database at `url`, with `adjust` applied to its settings.
    pub async fn spawn_with(url: &str, adjust: impl FnOnce(&mut Settings)) -> Self {
        let path = url.split('?').next().unwrap_or(url);
        let database = path.rsplit('/').next().expect("a database in the URL").to_owned();
        let mut settings = Settings::load().expect("settings");
        settings.bind = "127.0.0.1:0".into();
        settings.jwt_secret = "a test secret that is long enough to sign with".into();
        settings.database.url = url.into();
        settings.database.pool_size = 3;
        settings.http.workers = 1;
        adjust(&mut settings);
        let catalog = settings.catalog().expect("catalog");
        let pool =
            db::build_pool(settings.database.url.expose_secret(), &settings.database, catalog.time_zone).expect("pool");
        {
            let mut conn = pool.get().expect("connection");
            peiyu::service::accounts::create_user_by_codes(
                &mut conn,
                "admin",
                "系统管理员",
                Role::Admin,
                &[],
                ADMIN_PASSWORD,
            )
            .expect("first admin");
        }
        let application = Application::build(&settings, pool.clone(), catalog).expect("build the application");
        let address = format!("http://127.0.0.1:{}", application.port());
        actix_web::rt::spawn(application.run_until_stopped());
        let mut app = Self {
            address,
            client: reqwest::Client::new(),
            pool,
            admin: String::new(),
            admin_id: String::new(),
            database_url: settings.database.url.expose_secret().to_owned(),
            database,
        };
        let session = app.login("admin", ADMIN_PASSWORD).await;
        app.admin = session["access_token"].as_str().expect("token").to_owned();
        app.admin_id = id_of(&session["user"]);
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Requests as the admin.
    pub fn admin(&self) -> As<'_> {
        As { app: self, token: Some(self.admin.clone()) }
    }

    pub fn with_token(&self, token: &str) -> As<'_> {
        As { app: self, token: Some(token.to_owned()) }
    }

    pub fn anonymous(&self) -> As<'_> {
        As { app: self, token: None }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.admin().get(path).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.admin().post(path, body).await
    }

    pub async fn patch(&self, path: &str, if_match: Option<&str>, body: &Value) -> reqwest::Response {
        self.admin().patch(path, if_match, body).await
    }

    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.admin().delete(path).await
    }

    /// Signs in; the whole token response.
    pub async fn login(&self, username: &str, password: &str) -> Value {
        let response =
            self.anonymous().post("/api/v1/auth/login", &json!({"username": username, "password": password})).await;
        assert_eq!(response.status(), 200, "signing in as {username}");
        response.json().await.expect("json")
    }

    /// A new user of `role` in `streets`, signed in: (id, access token).
    pub async fn user(&self, username: &str, role: &str, streets: &[&str]) -> (String, String) {
        let body = json!({"username": username, "display_name": username, "password": PASSWORD, "role": role, "street_ids": streets});
        let response = self.post("/api/v1/users", &body).await;
        assert_eq!(response.status(), 201, "creating {username}");
        let id = id_of(&response.json::<Value>().await.expect("json"));
        let session = self.login(username, PASSWORD).await;
        (id, session["access_token"].as_str().expect("token").to_owned())
    }

    /// A district with two streets, the first with a park: (street, other street, park).
    pub async fn streets(&self) -> (String, String, String) {
        let district = self.region("宝安区", "baoan", "district", None).await;
        let street = self.region("新安街道", "xinan", "street", Some(&district)).await;
        let other = self.region("西乡街道", "xixiang", "street", Some(&district)).await;
        let park = self.region("宝安智谷", "zhigu", "park", Some(&street)).await;
        (street, other, park)
    }

    pub async fn region(&self, name: &str, code: &str, kind: &str, parent: Option<&str>) -> String {
        let response =
            self.post("/api/v1/regions", &json!({"name": name, "code": code, "kind": kind, "parent_id": parent})).await;
        assert_eq!(response.status(), 201, "creating region {code}");
        id_of(&response.json::<Value>().await.expect("json"))
    }

    /// A new API key with `scopes`: the key itself.
    pub async fn api_key(&self, scopes: &[&str]) -> String {
        let response = self.post("/api/v1/api-keys", &json!({"name": "integration", "scopes": scopes})).await;
        assert_eq!(response.status(), 201, "creating an API key");
        response.json::<Value>().await.expect("json")["key"].as_str().expect("key").to_owned()
    }

    /// Registers an enterprise and returns its body.
    pub async fn enterprise(&self, body: &Value) -> Value {
        let response = self.post("/api/v1/enterprises", body).await;
        assert_eq!(response.status(), 201, "registering {body}");
        response.json().await.expect("json")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&server().admin_url) {
            // Best effort: a database left behind only costs disk in a scratch cluster.
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.database));
        }
    }
}

pub fn id_of(body: &Value) -> String {
    body["id"].as_str().expect("an id").to_owned()
}

/// The `n`th of a family of valid USCCs (Shenzhen, enterprise legal person).
pub fn uscc(n: u32) -> String {
    let first17 = format!("91440300MA5{n:06}");
    let check = check_character(first17.as_bytes()).expect("alphabet");
    format!("{first17}{check}")
}

/// A problem+json body, after checking the status and content type.
pub async fn problem(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned());
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    let body: Value = response.json().await.expect("problem json");
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().is_some_and(|t| !t.is_empty()), "type in {body}");
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()), "title in {body}");
    assert!(body["detail"].as_str().is_some_and(|t| !t.is_empty()), "detail in {body}");
    body
}

/// The fields a problem names, in order.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| errors.iter().filter_map(|e| e["field"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default()
}

/// Runs SQL against the test's own database.
pub fn query<T: diesel::QueryableByName<diesel::pg::Pg> + 'static>(app: &TestApp, sql: &str) -> Vec<T> {
    let mut conn = app.pool.get().expect("connection");
    diesel::sql_query(sql).load(&mut conn).expect("query")
}

/// The day `n` days before today, in the bureau's calendar.
pub fn days_ago(n: u64) -> chrono::NaiveDate {
    Settings::load().expect("settings").catalog().expect("catalog").today() - chrono::Days::new(n)
}

/// A `SELECT count(*) AS n …` against the test's own database.
pub fn count(app: &TestApp, sql: &str) -> i64 {
    query::<crate::enterprises::Count>(app, sql)[0].n
}

/// Rows of the tables a certification list writes, to show that a call wrote none.
pub fn footprint(app: &TestApp) -> [i64; 4] {
    ["enterprises", "certificates", "tier_changes", "audit_log"]
        .map(|t| count(app, &format!("SELECT count(*) AS n FROM {t}")))
}

/// Runs SQL statements against the test's own database: for shaping history the API
/// rightly refuses to write (timestamps in the past).
pub fn run_sql(app: &TestApp, statements: &str) {
    execute(&mut app.pool.get().expect("connection"), statements);
}

/// A fresh database with the first `migrations` migrations applied: the schema of an
/// earlier release, for a test to fill with its data before migrating the rest. Its URL
/// and a connection to it.
pub fn database_at(prefix: &str, migrations: usize) -> (String, PgConnection) {
    use diesel_migrations::MigrationHarness;
    let name = format!("{prefix}_{}", uuid::Uuid::now_v7().simple());
    let admin_url = server().admin_url();
    let mut admin = PgConnection::establish(&admin_url).expect("connect");
    admin.batch_execute(&format!("CREATE DATABASE {name}")).expect("create");
    let url = with_database(&admin_url, &name);
    let mut conn = PgConnection::establish(&url).expect("connect");
    conn.batch_execute("SET peiyu.time_zone = 'Asia/Shanghai'").expect("zone");
    for _ in 0..migrations {
        conn.run_next_migration(peiyu::db::MIGRATIONS).expect("an earlier migration");
    }
    (url, conn)
}

/// Drops a database [`database_at`] made, once the test is done with it.
pub fn drop_database(url: &str) {
    let name = url.rsplit('/').next().and_then(|tail| tail.split('?').next()).unwrap_or_default();
    let mut admin = PgConnection::establish(&server().admin_url()).expect("connect");
    admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)")).expect("drop");
}
