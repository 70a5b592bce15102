//! The pipeline summary, from maintained counters.

use crate::helpers::{TestApp, count, fields, id_of, problem, run_sql, uscc};
use serde_json::{Value, json};

async fn summary(app: &TestApp, token: &str, query: &str) -> Value {
    let response = app.with_token(token).get(&format!("/api/v1/pipeline/summary{query}")).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

fn tier_counts(summary: &Value) -> Vec<(String, i64)> {
    summary["tiers"]
        .as_array()
        .expect("tiers")
        .iter()
        .map(|t| (t["tier"].as_str().unwrap_or("").to_owned(), t["count"].as_i64().unwrap_or(-1)))
        .collect()
}

fn street<'a>(summary: &'a Value, id: &str) -> &'a Value {
    summary["by_street"].as_array().expect("streets").iter().find(|s| s["street_id"] == id).expect("street listed")
}

#[actix_web::test]
async fn the_summary_counts_live_enterprises_per_tier_street_and_cluster() {
    let app = TestApp::spawn().await;
    let (xinan, xixiang, park) = app.streets().await;
    let register = |n: u32, body: Value| {
        let app = &app;
        async move {
            let mut body = body;
            body["uscc"] = json!(uscc(n));
            body["name"] = json!(format!("企业{n}"));
            id_of(&app.enterprise(&body).await)
        }
    };
    let robot = register(1, json!({"street_id": xinan, "park_id": park, "cluster": "ai_robotics"})).await;
    register(2, json!({"street_id": xinan})).await;
    let bio = register(3, json!({"street_id": xixiang, "cluster": "biomedicine"})).await;
    let archived = register(4, json!({"street_id": xinan, "cluster": "ai_robotics"})).await;
    assert_eq!(app.delete(&format!("/api/v1/enterprises/{archived}")).await.status(), 204);
    let promote = json!({"to_tier": "hnte", "effective_on": "2026-01-05"});
    assert_eq!(app.post(&format!("/api/v1/enterprises/{robot}/promotions"), &promote).await.status(), 201);

    let all = summary(&app, &app.admin, "").await;
    assert_eq!(all["total"], 3, "archived enterprises are not counted");
    assert_eq!(
        tier_counts(&all),
        [("prospect", 2), ("tech_sme", 0), ("hnte_pool", 0), ("hnte", 1), ("srdi", 0), ("little_giant", 0)]
            .map(|(t, n)| (t.to_owned(), n))
    );
    assert_eq!(street(&all, &xinan)["counts"]["hnte"], 1);
    assert_eq!(street(&all, &xinan)["total"], 2);
    assert_eq!(
        street(&all, &xixiang)["counts"],
        json!({"prospect": 1, "tech_sme": 0, "hnte_pool": 0, "hnte": 0, "srdi": 0, "little_giant": 0})
    );
    let clusters = all["by_cluster"].as_array().expect("clusters");
    let cluster = |code: Value| clusters.iter().find(|c| c["cluster"] == code).map(|c| c["total"].clone());
    assert_eq!(cluster(json!("ai_robotics")), Some(json!(1)));
    assert_eq!(cluster(json!("new_energy")), Some(json!(0)), "every configured cluster, zeros included");
    assert_eq!(cluster(Value::Null), Some(json!(1)), "those without a cluster");

    // Filters: a park, a street, a cluster.
    assert_eq!(summary(&app, &app.admin, &format!("?region_id={park}")).await["total"], 1);
    assert_eq!(summary(&app, &app.admin, &format!("?region_id={xixiang}")).await["total"], 1);
    assert_eq!(summary(&app, &app.admin, "?cluster=biomedicine").await["total"], 1);
    assert_eq!(fields(&problem(app.get("/api/v1/pipeline/summary?cluster=vibes").await, 422).await), ["cluster"]);
    let unknown = format!("/api/v1/pipeline/summary?region_id={}", uuid::Uuid::now_v7());
    assert_eq!(fields(&problem(app.get(&unknown).await, 422).await), ["region_id"]);

    // The counters follow every change: a move to the other street.
    let current: Value = app.get(&format!("/api/v1/enterprises/{bio}")).await.json().await.expect("json");
    let moved = app
        .patch(
            &format!("/api/v1/enterprises/{bio}"),
            Some(&format!("\"{}\"", current["version"])),
            &json!({"street_id": xinan}),
        )
        .await;
    assert_eq!(moved.status(), 200);
    let after = summary(&app, &app.admin, "").await;
    assert_eq!(
        (street(&after, &xinan)["total"].clone(), street(&after, &xixiang)["total"].clone()),
        (json!(3), json!(0))
    );

    // A counselor sees their streets only, whatever they ask for.
    let (_, counselor) = app.user("wang.xixiang", "counselor", &[&xixiang]).await;
    let theirs = summary(&app, &counselor, "").await;
    assert_eq!(theirs["total"], 0);
    let streets: Vec<_> =
        theirs["by_street"].as_array().expect("streets").iter().map(|s| s["street_id"].clone()).collect();
    assert_eq!(streets, [json!(xixiang)]);
    assert_eq!(summary(&app, &counselor, &format!("?region_id={xinan}")).await["total"], 0);
}

/// The pipeline, coverage and funnel counters add each statement's changes set-wise. A
/// counter that another transaction creates and commits while such an add runs must be
/// added to, not missed: a miss left the counter short, and a later decrement failed its
/// `n >= 0` check as a 500.
#[actix_web::test]
async fn counters_miss_no_counter_created_while_they_add() {
    let app = TestApp::spawn().await;
    // Holds a session that asks for it inside an add (after its UPDATE, which adds with
    // nothing to add never reach) until the test opens the gate: advisory lock 1127.
    run_sql(
        &app,
        "CREATE FUNCTION hold_counter_add() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF current_setting('peiyu.hold', true) = 'on' THEN
                 PERFORM pg_advisory_xact_lock(1127);
             END IF;
             RETURN NULL;
         END $$;",
    );
    let enterprise = |n: u32, cluster: &str, tier: &str| {
        format!(
            "INSERT INTO enterprises (id, uscc, name, cluster, tier)
             VALUES (gen_random_uuid(), '{}', '竞速企业{n}', '{cluster}', '{tier}')",
            uscc(n)
        )
    };
    let promotion = |n: u32| {
        format!(
            "INSERT INTO tier_changes (id, enterprise_id, kind, from_tier, to_tier, effective_on, source, actor_kind)
             SELECT gen_random_uuid(), id, 'promotion', 'prospect', 'tech_sme', '2024-03-01', 'manual', 'system'
             FROM enterprises WHERE uscc = '{}'",
            uscc(n)
        )
    };
    // In each race the two writes share a counter no one has yet, the held one.
    race(&app, "enterprise_counts", enterprise(1, "c", "prospect"), enterprise(2, "c", "prospect"));
    race(&app, "coverage_counts", enterprise(3, "a", "tech_sme"), enterprise(4, "b", "tech_sme"));
    run_sql(&app, &format!("{}; {}", enterprise(5, "a", "prospect"), enterprise(6, "b", "prospect")));
    race(&app, "funnel_counts", promotion(5), promotion(6));
}

/// `held` begins and is held inside its add to `counter`; `free` then writes and either
/// commits or waits for `held`; then `held` goes on. The counters must agree with a recount.
fn race(app: &TestApp, counter: &str, held: String, free: String) {
    use diesel::{Connection, PgConnection, connection::SimpleConnection};
    let connect = || PgConnection::establish(&app.database_url).expect("connect");
    let waiting = |event: &str| {
        count(
            app,
            &format!(
                "SELECT count(*) AS n FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event = '{event}'"
            ),
        ) > 0
    };
    let until = |what: &str, done: &dyn Fn() -> bool| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while !done() {
            assert!(std::time::Instant::now() < deadline, "{counter}: {what} never happened");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    };
    run_sql(
        app,
        &format!(
            "CREATE TRIGGER held AFTER UPDATE ON {counter} FOR EACH STATEMENT EXECUTE FUNCTION hold_counter_add()"
        ),
    );
    let mut gate = connect();
    gate.batch_execute("SELECT pg_advisory_lock(1127)").expect("close the gate");

    let mut held_session = connect();
    let held = std::thread::spawn(move || held_session.batch_execute(&format!("SET peiyu.hold = 'on'; {held}")));
    until("the held add reaching the gate", &|| waiting("advisory"));
    let mut free_session = connect();
    let free = std::thread::spawn(move || free_session.batch_execute(&free));
    until("the free write ending or waiting for the held one", &|| free.is_finished() || waiting("transactionid"));

    gate.batch_execute("SELECT pg_advisory_unlock(1127)").expect("open the gate");
    held.join().expect("held write").expect("held write");
    free.join().expect("free write").expect("free write");
    run_sql(app, &format!("DROP TRIGGER held ON {counter}"));

    let kept = crate::demo::aggregates(app);
    run_sql(app, "SELECT refresh_pipeline_aggregates()");
    assert_eq!(crate::demo::aggregates(app), kept, "{counter} agrees with a recount");
}
