//! Putting the parts together: the database (external or private), the pool, the server.

use crate::auth::password::Hashing;
use crate::auth::{self, tokens::AccessTokens};
use crate::config::{AuthSettings, Catalog, ConsoleSettings, Settings, VisitSettings};
use crate::db::embedded::{self, EmbeddedCluster, Lifetime};
use crate::db::{self, PgPool};
use crate::http;
use crate::http::support::refusals::ProblemStream;
use crate::web::session::Cookies;
use actix_http::HttpService;
use actix_http::error::DispatchError;
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::AppConfig;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, web};
use anyhow::Context as _;
use diesel::Connection as _;
use secrecy::ExposeSecret;
use std::net::TcpListener;
use std::sync::Arc;
use tokio::sync::Semaphore;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

/// The database this process talks to. Holding it keeps a private cluster this process
/// started alive; dropping it stops that cluster.
pub struct Database {
    pub url: String,
    _cluster: Option<EmbeddedCluster>,
}

impl Database {
    /// `DATABASE_URL` when set; otherwise the private cluster in the data directory,
    /// started if it is not running yet.
    pub fn open(settings: &Settings) -> anyhow::Result<Self> {
        if !settings.database.url.expose_secret().is_empty() {
            return Ok(Self { url: settings.database.url.expose_secret().to_owned(), _cluster: None });
        }
        let cluster = EmbeddedCluster::start(&settings.data_dir, Lifetime::Process)?;
        Ok(Self { url: cluster.url(embedded::DATABASE), _cluster: Some(cluster) })
    }
}

/// Opens the database, migrates it and builds the pool: what every command needs.
pub fn prepare(settings: &Settings, catalog: &Catalog) -> anyhow::Result<(Database, PgPool)> {
    let database = Database::open(settings)?;
    let applied = migrate(&database.url, catalog)?;
    if !applied.is_empty() {
        tracing::info!(?applied, "applied migrations");
    }
    let missing = catalog.years_without_notice();
    if !missing.is_empty() {
        tracing::warn!(
            years = ?missing,
            "no holiday notice configured (config/calendar.toml): these years count Monday to Friday, 1 January off"
        );
    }
    let pool =
        db::build_pool(&database.url, &settings.database, catalog.time_zone).context("connecting to PostgreSQL")?;
    Ok((database, pool))
}

/// Applies pending migrations, then computes what migrations leave to the application
/// (the stage deadlines of requests made before the service desk, in working time).
pub fn migrate(url: &str, catalog: &Catalog) -> anyhow::Result<Vec<String>> {
    let applied = db::migrate(url, catalog.time_zone)?;
    let mut conn = diesel::PgConnection::establish(url)?;
    let computed = crate::service::desk::backfill(&mut conn, catalog)?;
    if computed > 0 {
        tracing::info!(requests = computed, "computed the stage deadlines of earlier requests");
    }
    Ok(applied)
}

/// What every handler of the API and the console shares. Built once at start-up.
pub struct AppState {
    pub pool: PgPool,
    pub catalog: Catalog,
    pub json_limit: usize,
    pub auth: AuthSettings,
    pub console: ConsoleSettings,
    pub cookies: Cookies,
    pub visits: VisitSettings,
    /// The threads that check passwords, for both faces' sign-ins.
    pub hashing: Hashing,
    /// Imports read or running at once, in both faces: each may hold ~150 MB of rows.
    pub imports: Arc<Semaphore>,
    /// Console forms above `web::form::SMALL` being read at once: each may hold up to
    /// `web::form::LIMIT` (1 MiB), so that a burst of them costs at most this many MiB.
    pub large_forms: Arc<Semaphore>,
}

/// How many imports may be read or run at once.
const CONCURRENT_IMPORTS: usize = 2;
const CONCURRENT_LARGE_FORMS: usize = 16;

pub struct Application {
    server: Server,
    port: u16,
}

impl Application {
    /// Binds the listener and builds the server; it runs once awaited.
    pub fn build(settings: &Settings, pool: PgPool, catalog: Catalog) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let access_tokens = web::Data::new(AccessTokens::new(
            &auth::jwt_secret(settings)?,
            chrono::Duration::minutes(settings.auth.access_token_minutes),
        ));
        let state = web::Data::new(AppState {
            pool,
            catalog,
            json_limit: settings.http.json_limit_bytes,
            auth: settings.auth.clone(),
            console: settings.console.clone(),
            cookies: Cookies { secure: settings.secure_cookies() },
            visits: settings.visits.clone(),
            hashing: Hashing::start(settings.auth.password_hash_threads, settings.auth.password_hash_queue)
                .context("starting the password-hashing threads")?,
            imports: Arc::new(Semaphore::new(CONCURRENT_IMPORTS)),
            large_forms: Arc::new(Semaphore::new(CONCURRENT_LARGE_FORMS)),
        });
        let trusted_proxies = web::Data::new(crate::client::TrustedProxies(settings.http.trusted_proxies.clone()));
        let document = http::support::openapi::document();
        let methods = web::Data::new(http::support::methods::Methods::from_document(&document));
        let app = move || {
            App::new()
                .wrap(from_fn(http::support::observe::observe))
                .wrap(TracingLogger::<http::support::observe::RootSpan>::new())
                .app_data(state.clone())
                .app_data(trusted_proxies.clone())
                .app_data(access_tokens.clone())
                .app_data(methods.clone())
                .app_data(web::PathConfig::default().error_handler(path_error))
                .into_utoipa_app()
                .configure(http::routes)
                .into_app()
                // The document, and Swagger UI reading it: bundled in the binary, no CDN.
                .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", document.clone()))
                .route("/api/docs", web::get().to(http::to_docs))
                .configure(crate::web::routes)
                .default_service(web::to(no_route))
        };
        // actix-web's HttpServer, assembled by hand for one thing it cannot do: wrap each
        // connection so that the dispatcher's own refusals leave as problem+json.
        let mut server = actix_server::Server::build().listen("peiyu", listener, move || {
            let app = app().into_factory().map_err(|e: actix_web::Error| e.error_response());
            fn_service(|stream: actix_web::rt::net::TcpStream| async move {
                stream.set_nodelay(true).map_err(DispatchError::Io)?;
                let peer = stream.peer_addr().ok();
                Ok((ProblemStream::new(stream), peer))
            })
            .and_then(
                HttpService::build()
                    .client_disconnect_timeout(std::time::Duration::from_secs(1))
                    .h1(map_config(app, |_| AppConfig::default())),
            )
        })?;
        if settings.http.workers > 0 {
            server = server.workers(settings.http.workers);
        }
        Ok(Self { server: server.run(), port })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGINT or SIGTERM, then drains requests in flight.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// An address whose id is not one: the API's problem+json under `/api`, the console's
/// 404 page elsewhere.
fn path_error(error: actix_web::error::PathError, request: &actix_web::HttpRequest) -> actix_web::Error {
    if request.path().starts_with("/api/") {
        http::path_error(error, request)
    } else {
        actix_web::error::InternalError::from_response(error, crate::web::not_found()).into()
    }
}

/// Unknown addresses: the API's problem+json under `/api` and for programs, the console's
/// 404 page for a browser.
async fn no_route(request: actix_web::HttpRequest) -> actix_web::HttpResponse {
    let wants_page = request
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_page && !request.path().starts_with("/api/") { crate::web::not_found() } else { http::no_route(&request) }
}

/// Runs `job` on the blocking pool now and then every `every`, for as long as the server
/// runs; what each run answers goes to `done` (a failed run is retried at the next tick).
fn schedule<T: Send + 'static>(
    pool: PgPool,
    every: std::time::Duration,
    job: impl Fn(&mut diesel::PgConnection) -> Result<T, crate::service::ServiceError> + Clone + Send + 'static,
    done: impl Fn(Result<T, String>) + 'static,
) {
    actix_web::rt::spawn(async move {
        let mut ticks = actix_web::rt::time::interval(every);
        loop {
            ticks.tick().await;
            let (pool, job) = (pool.clone(), job.clone());
            let run = web::block(move || {
                let mut conn = pool.get()?;
                job(&mut conn)
            })
            .await;
            done(match run {
                Ok(Ok(answer)) => Ok(answer),
                Ok(Err(error)) => Err(format!("{:#}", anyhow::Error::from(error))),
                Err(error) => Err(error.to_string()),
            });
        }
    });
}

/// Runs the expiry (see [`crate::service::ladder::expire`]) now and then every `every`.
pub fn schedule_expiry(pool: PgPool, catalog: Catalog, every: std::time::Duration) {
    let job = move |conn: &mut diesel::PgConnection| crate::service::ladder::expire(conn, &catalog, catalog.today());
    schedule(pool, every, job, |run| {
        let outcome = match run {
            Ok(Some(run)) => {
                tracing::info!(enterprises = run.enterprises, demoted = run.demoted, "expiry run");
                "done"
            }
            Ok(None) => {
                tracing::debug!("expiry run skipped: another instance is at it");
                "skipped"
            }
            Err(error) => {
                tracing::warn!(error, "expiry run failed");
                "failed"
            }
        };
        crate::metrics::expiry_run(outcome);
    });
}

/// Runs the cultivation upkeep (see [`crate::service::cultivation::upkeep`]) now and then
/// every `every`: obligations coming within reach, and the radar when its rules changed.
pub fn schedule_upkeep(pool: PgPool, catalog: Catalog, every: std::time::Duration) {
    let job = move |conn: &mut diesel::PgConnection| crate::service::cultivation::upkeep(conn, &catalog);
    schedule(pool, every, job, |run| match run {
        Ok(run) => {
            tracing::info!(obligations_made = run.obligations_made, recounted = ?run.recounted, "cultivation upkeep")
        }
        Err(error) => tracing::warn!(error, "cultivation upkeep failed"),
    });
}

/// Urges and supervises the service desk's late stages (see
/// [`crate::service::desk::escalate`]) now and then every `every`.
pub fn schedule_escalation(pool: PgPool, every: std::time::Duration) {
    let job = |conn: &mut diesel::PgConnection| {
        crate::service::desk::escalate(conn, &crate::service::desk::AgendaOnly, chrono::Utc::now())
    };
    schedule(pool, every, job, |run| match run {
        Ok(run) if run.urged + run.supervised > 0 => {
            tracing::info!(urged = run.urged, supervised = run.supervised, "service desk escalation");
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(error, "service desk escalation failed"),
    });
}
