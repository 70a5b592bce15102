//! The status sets the database repeats are the domain's: the partial indexes of pending
//! requests and in-flight applications, and the statuses each table may hold. A status
//! added in `src/domain` without a migration fails here, not in production.

use crate::helpers::{TestApp, query};
use diesel::QueryableByName;
use diesel::sql_types::Text;
use peiyu::domain::{application, service_request};
use std::collections::BTreeSet;

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    definition: String,
}

/// The quoted words of an SQL expression: `status IN ('open', 'assigned')` → open, assigned.
fn quoted(sql: &str) -> BTreeSet<String> {
    sql.split('\'').skip(1).step_by(2).map(str::to_owned).collect()
}

fn definitions(app: &TestApp, sql: &str) -> Vec<BTreeSet<String>> {
    query::<Definition>(app, sql).into_iter().map(|d| quoted(&d.definition)).collect()
}

fn set<T: Copy>(values: &[T], code: fn(T) -> &'static str) -> BTreeSet<String> {
    values.iter().map(|v| code(*v).to_owned()).collect()
}

#[actix_web::test]
async fn the_databases_status_sets_are_the_domains() {
    let app = TestApp::spawn().await;
    let partial = |table: &str| {
        format!(
            "SELECT pg_get_expr(indpred, indrelid) AS definition FROM pg_index
             WHERE indrelid = '{table}'::regclass AND indpred IS NOT NULL
               AND pg_get_expr(indpred, indrelid) LIKE '%status%'"
        )
    };
    let checks = |table: &str| {
        format!(
            "SELECT pg_get_constraintdef(oid) AS definition FROM pg_constraint
             WHERE conrelid = '{table}'::regclass AND contype = 'c' AND pg_get_constraintdef(oid) LIKE '%status%'"
        )
    };
    let pending = set(&service_request::Status::PENDING, service_request::Status::as_str);
    let requests = definitions(&app, &partial("service_requests"));
    // The desk reads requests by the stage they await; a predicate on their status, if any, is the pending set.
    assert!(requests.iter().all(|d| *d == pending), "{requests:?} ≠ {pending:?}");
    let in_flight = set(&application::Status::IN_FLIGHT, application::Status::as_str);
    let applications = definitions(&app, &partial("applications"));
    assert!(!applications.is_empty() && applications.iter().all(|d| *d == in_flight), "{applications:?}");

    assert_eq!(
        definitions(&app, &checks("service_requests")),
        [set(&service_request::Status::ALL, service_request::Status::as_str)]
    );
    assert_eq!(
        definitions(&app, &checks("applications")),
        [set(&application::Status::ALL, application::Status::as_str)]
    );
}
