//! The private cluster and migrations, as a second process would meet them.

use crate::helpers::{server, with_database};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use peiyu::db::embedded::{EmbeddedCluster, Lifetime};

#[test]
fn a_second_process_joins_the_running_cluster_and_leaves_it_running() {
    let server = server();
    let Some(data_dir) = &server.data_dir else {
        return; // DATABASE_URL: there is no private cluster to join.
    };
    let joined = EmbeddedCluster::start(data_dir, Lifetime::Process).expect("join");
    assert!(!joined.is_owner());
    assert_eq!(joined.url("postgres"), server.admin_url());
    drop(joined);
    // Still up after the joiner is gone.
    PgConnection::establish(&server.admin_url()).expect("cluster still running");
}

#[test]
fn instances_starting_together_migrate_once() {
    let server = server();
    let database = format!("migrate_{}", uuid::Uuid::now_v7().simple());
    let admin_url = server.admin_url();
    let mut admin = PgConnection::establish(&admin_url).expect("connect");
    admin.batch_execute(&format!("CREATE DATABASE {database}")).expect("create");
    let url = with_database(&admin_url, &database);
    let runs: Vec<_> = (0..3)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || peiyu::db::migrate(&url, chrono_tz::Asia::Shanghai).expect("migrate"))
        })
        .collect();
    let applied: Vec<usize> = runs.into_iter().map(|r| r.join().expect("thread").len()).collect();
    assert_eq!(applied.iter().filter(|n| **n > 0).count(), 1, "{applied:?}");
    admin.batch_execute(&format!("DROP DATABASE {database} WITH (FORCE)")).expect("drop");
}
