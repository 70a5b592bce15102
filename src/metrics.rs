//! What an operator scrapes at `/metrics` (Prometheus text format): requests by route
//! template and status, how long they took, the connection pool, database errors and
//! expiry runs.
//!
//! One registry for the process, as Prometheus clients conventionally keep: the pool's
//! event handler, the error conversions and the expiry job record into it from wherever
//! they run, without threading a handle through every layer.

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};
use std::sync::LazyLock;
use std::time::Duration;

struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_seconds: HistogramVec,
    pool_wait_seconds: Histogram,
    pool_connections: IntGauge,
    pool_in_use: IntGauge,
    pool_max: IntGauge,
    database_errors: IntCounterVec,
    expiry_runs: IntCounterVec,
    expiry_failures: prometheus::IntCounter,
}

/// Registering a well-formed, uniquely named metric cannot fail; these are all literals.
fn registered<M: prometheus::core::Collector + Clone + 'static>(registry: &Registry, metric: M) -> M {
    registry.register(Box::new(metric.clone())).expect("metric names are literals and unique");
    metric
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| {
    let registry = Registry::new_custom(Some("peiyu".into()), None).expect("a literal prefix is valid");
    let r = &registry;
    let latency = vec![0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    Metrics {
        requests: registered(
            r,
            IntCounterVec::new(
                Opts::new("http_requests_total", "HTTP requests answered, by route template, method and status"),
                &["route", "method", "status"],
            )
            .expect("valid metric"),
        ),
        request_seconds: registered(
            r,
            HistogramVec::new(
                HistogramOpts::new(
                    "http_request_duration_seconds",
                    "Time to answer, by route template, method and status",
                )
                .buckets(latency.clone()),
                &["route", "method", "status"],
            )
            .expect("valid metric"),
        ),
        pool_wait_seconds: registered(
            r,
            Histogram::with_opts(
                HistogramOpts::new("db_pool_wait_seconds", "Time a request waited for a database connection")
                    .buckets(latency),
            )
            .expect("valid metric"),
        ),
        pool_connections: registered(
            r,
            IntGauge::new("db_pool_connections", "Connections the pool holds open").expect("valid metric"),
        ),
        pool_in_use: registered(
            r,
            IntGauge::new("db_pool_connections_in_use", "Connections checked out by requests and jobs")
                .expect("valid metric"),
        ),
        pool_max: registered(r, IntGauge::new("db_pool_max_size", "The pool's size limit").expect("valid metric")),
        database_errors: registered(
            r,
            IntCounterVec::new(
                Opts::new(
                    "db_errors_total",
                    "Database failures: no connection within the pool timeout (pool_timeout), \
                     a connection lost mid-request (connection), any other failed query (query)",
                ),
                &["kind"],
            )
            .expect("valid metric"),
        ),
        expiry_runs: registered(
            r,
            IntCounterVec::new(
                Opts::new("expiry_runs_total", "Certificate expiry runs, by outcome (done, skipped, failed)"),
                &["outcome"],
            )
            .expect("valid metric"),
        ),
        expiry_failures: registered(
            r,
            prometheus::IntCounter::new(
                "expiry_enterprise_failures_total",
                "Enterprises an expiry run could not process (skipped and logged; retried at the next run)",
            )
            .expect("valid metric"),
        ),
        registry,
    }
});

/// A request answered: `route` is the matched template (`/api/v1/enterprises/{id}`), never
/// the raw path, so that ids do not make a series each; a method is one of HTTP's own or
/// `other`, so that made-up ones do not either. (The status is a number below 1000.)
pub fn request_answered(route: &str, method: &actix_web::http::Method, status: u16, took: Duration) {
    let m = &*METRICS;
    let labels = [route, method_label(method), &status.to_string()];
    m.requests.with_label_values(&labels).inc();
    m.request_seconds.with_label_values(&labels).observe(took.as_secs_f64());
}

fn method_label(method: &actix_web::http::Method) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"];
    KNOWN.into_iter().find(|known| *known == method.as_str()).unwrap_or("other")
}

/// How the database failed a request.
#[derive(Debug, Clone, Copy)]
pub enum DatabaseError {
    PoolTimeout,
    Connection,
    Deadlock,
    Query,
}

pub fn database_error(kind: DatabaseError) {
    let label = match kind {
        DatabaseError::PoolTimeout => "pool_timeout",
        DatabaseError::Connection => "connection",
        DatabaseError::Deadlock => "deadlock",
        DatabaseError::Query => "query",
    };
    METRICS.database_errors.with_label_values(&[label]).inc();
}

/// An expiry run skipped an enterprise whose transaction failed.
pub fn expiry_failure() {
    METRICS.expiry_failures.inc();
}

/// An expiry run ended: `done`, `skipped` (another instance held it) or `failed`.
pub fn expiry_run(outcome: &str) {
    METRICS.expiry_runs.with_label_values(&[outcome]).inc();
}

/// The text a scrape returns, with the pool's state read now.
pub fn render(pool: &crate::db::PgPool) -> String {
    let m = &*METRICS;
    let state = pool.state();
    m.pool_connections.set(i64::from(state.connections));
    m.pool_in_use.set(i64::from(state.connections - state.idle_connections));
    m.pool_max.set(i64::from(pool.max_size()));
    let mut text = Vec::new();
    // Encoding into a Vec fails only on invalid metric families, which registration rules out.
    if let Err(error) = TextEncoder::new().encode(&m.registry.gather(), &mut text) {
        tracing::warn!(%error, "encoding metrics");
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// Feeds the pool's checkouts and timeouts into the metrics.
#[derive(Debug)]
pub struct PoolEvents;

impl r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        METRICS.pool_wait_seconds.observe(event.duration().as_secs_f64());
    }

    fn handle_timeout(&self, event: r2d2::event::TimeoutEvent) {
        METRICS.pool_wait_seconds.observe(event.timeout().as_secs_f64());
    }
}
