//! Registry feeds: idempotent certification batches, triage of the enterprises they
//! register, and the change feed.

use crate::helpers::{TestApp, count, days_ago, fields, footprint, id_of, problem, run_sql, uscc};
use chrono::NaiveDate;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use serde_json::{Value, json};
use std::collections::HashSet;

const BATCHES: &str = "/api/v1/registry/certifications";

async fn feed(app: &TestApp, key: &str, body: &Value, idempotency_key: &str) -> reqwest::Response {
    app.with_token(key)
        .request(reqwest::Method::POST, BATCHES)
        .header("Idempotency-Key", idempotency_key)
        .json(body)
        .send()
        .await
        .expect("request")
}

#[actix_web::test]
async fn a_mixed_batch_lands_its_good_items_and_names_the_bad_ones() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let known = id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "星河智能", "street_id": street})).await);
    let certified = id_of(&app.enterprise(&json!({"uscc": uscc(2), "name": "深蓝海洋", "street_id": street})).await);
    let granted = json!({"to_tier": "hnte", "effective_on": days_ago(100), "certificate_no": "GR2025440001"});
    let response = app.post(&format!("/api/v1/enterprises/{certified}/promotions"), &granted).await;
    assert_eq!(response.status(), 201);
    let key = app.api_key(&["registry:write"]).await;

    let mut bad_digit = uscc(3);
    bad_digit.replace_range(17.., if bad_digit.ends_with('0') { "1" } else { "0" });
    let item = |uscc: &str, name: &str, tier: &str, on: NaiveDate| json!({"uscc": uscc, "name": name, "tier": tier, "effective_on": on});
    let batch = json!({"source": "广东省科学技术厅", "batch": "2025年第一批", "items": [
        item(&uscc(10), "新注册科技", "国家高新技术企业", days_ago(20)),
        item(&uscc(1), "星河智能", "tech_sme", days_ago(20)),
        item(&bad_digit, "校验错误", "hnte", days_ago(20)),
        item(&uscc(10), "新注册科技", "hnte", days_ago(20)),
        item(&uscc(4), "独角兽", "unicorn", days_ago(20)),
        {"uscc": uscc(2), "name": "深蓝海洋", "tier": "hnte", "effective_on": days_ago(100), "certificate_no": "GR2025440001"},
        item(&uscc(1), "星河智能", "hnte", days_ago(10)),
        {"uscc": uscc(5), "tier": "hnte", "effective_on": "2025-02-30"},
    ]});
    let before = footprint(&app);
    let response = feed(&app, &key, &batch, "batch-1").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["idempotent-replayed"], "false");
    let answer: Value = response.json().await.expect("json");
    assert_eq!((answer["created"].as_u64(), answer["promoted"].as_u64()), (Some(1), Some(2)), "{answer}");
    assert_eq!((answer["certified"].as_u64(), answer["unchanged"].as_u64()), (Some(0), Some(1)), "{answer}");
    let rejected: Vec<(u64, String, Vec<String>)> = answer["rejected"]
        .as_array()
        .expect("rejected")
        .iter()
        .map(|r| (r["index"].as_u64().expect("index"), r["uscc"].as_str().expect("uscc").to_owned(), fields(r)))
        .collect();
    assert_eq!(
        rejected,
        [
            (2, bad_digit.clone(), vec!["uscc".to_owned()]),
            (3, uscc(10), vec!["uscc".to_owned()]),
            (4, uscc(4), vec!["tier".to_owned()]),
            (7, uscc(5), vec!["name".to_owned(), "effective_on".to_owned()]),
        ]
    );
    assert!(answer["rejected"][1]["errors"][0]["message"].as_str().is_some_and(|m| m.contains("item 0")), "{answer}");

    // The known enterprise climbed twice, in ladder order, each move from the registry.
    let history: Value = app.get(&format!("/api/v1/enterprises/{known}/promotions")).await.json().await.expect("json");
    let moves: Vec<(&str, &str, &str, &str)> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|m| {
            let text = |f: &str| m[f].as_str().unwrap_or("");
            (text("from_tier"), text("to_tier"), text("source"), text("note"))
        })
        .collect();
    assert_eq!(
        moves,
        [
            ("prospect", "tech_sme", "registry", "广东省科学技术厅"),
            ("tech_sme", "hnte", "registry", "广东省科学技术厅")
        ]
    );
    let certificate_batches = count(
        &app,
        &format!("SELECT count(*) AS n FROM certificates WHERE enterprise_id = '{known}' AND batch = '2025年第一批'"),
    );
    assert_eq!(certificate_batches, 2);
    // The certificate sent again was not recorded twice.
    assert_eq!(count(&app, &format!("SELECT count(*) AS n FROM certificates WHERE enterprise_id = '{certified}'")), 1);

    // The new enterprise waits for triage, outside every counselor's streets.
    let triage: Value = app.get("/api/v1/enterprises?street_id=unassigned").await.json().await.expect("json");
    let items = triage["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{triage}");
    assert_eq!((items[0]["uscc"].as_str(), items[0]["tier"].as_str()), (Some(uscc(10).as_str()), Some("hnte")));
    assert!(items[0]["street_id"].is_null());
    // The counters the triggers kept are what a rebuild from the base tables finds.
    let kept = crate::demo::aggregates(&app);
    run_sql(&app, "SELECT refresh_pipeline_aggregates()");
    assert_eq!(crate::demo::aggregates(&app), kept);
    // Registered straight onto its rung: written once, audited once, its history still
    // starting from the bottom.
    let registered = id_of(&items[0]);
    let audit: Value =
        app.get(&format!("/api/v1/audit?entity=enterprise&entity_id={registered}")).await.json().await.expect("json");
    let entries = audit["items"].as_array().expect("items");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!((entries[0]["action"].as_str(), entries[0]["after"]["tier"].as_str()), (Some("create"), Some("hnte")));
    let history: Value =
        app.get(&format!("/api/v1/enterprises/{registered}/promotions")).await.json().await.expect("json");
    assert_eq!(
        (history["items"][0]["from_tier"].as_str(), history["items"][0]["to_tier"].as_str()),
        (Some("prospect"), Some("hnte"))
    );
    let (_, counselor) = app.user("li.jd", "counselor", &[&street]).await;
    problem(app.with_token(&counselor).get(&format!("/api/v1/enterprises/{}", id_of(&items[0]))).await, 404).await;
    let theirs: Value =
        app.with_token(&counselor).get("/api/v1/enterprises?street_id=unassigned").await.json().await.expect("json");
    assert_eq!(theirs["items"], json!([]));
    problem(app.get("/api/v1/enterprises?street_id=nowhere").await, 422).await;

    // Every change is audited as the API key's.
    let audited = count(&app, "SELECT count(*) AS n FROM audit_log WHERE actor_kind = 'api_key'");
    // 1 enterprise registered (on its rung), 3 certificates, 3 moves, 1 known enterprise moved.
    assert_eq!(audited, 8);
    let after = footprint(&app);
    assert_eq!(after[..3], [before[0] + 1, before[1] + 3, before[2] + 3]);

    // The same key again: the first answer, and nothing written.
    let replay = feed(&app, &key, &batch, "batch-1").await;
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.headers()["idempotent-replayed"], "true");
    assert_eq!(replay.json::<Value>().await.expect("json"), answer);
    assert_eq!(footprint(&app), after);
    // A key is the caller's own: another key's "batch-1" is another call.
    let other = app.api_key(&["registry:write"]).await;
    // The same list under a new key: every certificate is already there.
    let again: Value = feed(&app, &other, &batch, "batch-1").await.json().await.expect("json");
    assert_eq!(
        [&again["created"], &again["promoted"], &again["certified"], &again["unchanged"]],
        [&json!(0), &json!(0), &json!(0), &json!(4)]
    );
    assert_eq!(footprint(&app)[..3], after[..3]);

    // A key reused for another body, a missing key, a key without the scope.
    let changed = json!({"source": "工信部", "items": []});
    assert_eq!(fields(&problem(feed(&app, &key, &changed, "batch-1").await, 422).await), ["Idempotency-Key"]);
    let missing = app.with_token(&key).post(BATCHES, &changed).await;
    assert_eq!(fields(&problem(missing, 400).await), ["Idempotency-Key"]);
    let reader = app.api_key(&["enterprises:read"]).await;
    problem(feed(&app, &reader, &changed, "k").await, 403).await;
    let (_, manager) = app.user("zhang.ju", "manager", &[]).await;
    problem(feed(&app, &manager, &changed, "k").await, 403).await;
    let blank = json!({"source": " ", "items": []});
    assert_eq!(fields(&problem(feed(&app, &key, &blank, "k2").await, 422).await), ["source"]);
}

#[actix_web::test]
async fn racing_retries_apply_a_batch_once() {
    let app = TestApp::spawn().await;
    let key = app.api_key(&["registry:write"]).await;
    let effective_on = days_ago(5);
    let items: Vec<Value> = (0..50)
        .map(|n| json!({"uscc": uscc(100 + n), "name": format!("并发企业{n}"), "tier": "tech_sme", "effective_on": effective_on}))
        .collect();
    let batch = json!({"source": "广东省科学技术厅", "items": items});
    let racers = (0..6).map(|_| feed(&app, &key, &batch, "the-same-call"));
    let responses = futures_util::future::join_all(racers).await;
    let mut answers = Vec::new();
    let mut first_calls = 0;
    for response in responses {
        assert_eq!(response.status(), 200);
        first_calls += usize::from(response.headers()["idempotent-replayed"] == "false");
        answers.push(response.json::<Value>().await.expect("json"));
    }
    assert_eq!(first_calls, 1, "exactly one call applied the batch");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
    assert_eq!(answers[0]["created"], 50);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM certificates"), 50);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM enterprises"), 50);
}

#[actix_web::test]
async fn a_batch_of_ten_thousand_works_and_a_larger_one_is_413() {
    let app = TestApp::spawn().await;
    let key = app.api_key(&["registry:write"]).await;
    let effective_on = days_ago(3);
    let items = |n: u32| -> Vec<Value> {
        (0..n)
            .map(|i| json!({"uscc": uscc(200_000 + i), "name": format!("名单企业{i}"), "tier": "tech_sme", "effective_on": effective_on, "certificate_no": format!("2025440300{i:06}")}))
            .collect()
    };
    let big = feed(&app, &key, &json!({"source": "广东省科学技术厅", "items": items(10_001)}), "big").await;
    let big = problem(big, 413).await;
    assert!(big["detail"].as_str().is_some_and(|d| d.contains("10000")), "{big}");
    let full = feed(&app, &key, &json!({"source": "广东省科学技术厅", "items": items(10_000)}), "full").await;
    assert_eq!(full.status(), 200);
    let answer: Value = full.json().await.expect("json");
    assert_eq!((answer["created"].as_u64(), answer["rejected"].as_array().map(Vec::len)), (Some(10_000), Some(0)));
    let triage: Value = app.get("/api/v1/enterprises?street_id=unassigned&limit=200").await.json().await.expect("json");
    assert_eq!(triage["items"].as_array().map(Vec::len), Some(200));
    assert!(triage["next_cursor"].is_string());
}

/// Reads the feed from `cursor` until it has nothing more: (changes, where to resume).
async fn drain(app: &TestApp, reader: &str, mut cursor: Option<String>) -> (Vec<Value>, Option<String>) {
    let mut items = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/changes?limit=200&cursor={c}"),
            None => "/api/v1/changes?limit=200".to_owned(),
        };
        let page: Value = app.with_token(reader).get(&path).await.json().await.expect("json");
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        cursor = page["next_cursor"].as_str().map(str::to_owned);
        if page["has_more"] != true {
            return (items, cursor);
        }
    }
}

/// Follows the feed from `cursor` into `seen` until `enough` holds of what was seen (or
/// ten seconds pass): other tests' transactions share the cluster and may hold the
/// feed's horizon a moment. Returns where to resume.
async fn follow(
    app: &TestApp,
    reader: &str,
    mut cursor: Option<String>,
    seen: &mut Vec<Value>,
    enough: impl Fn(&[Value]) -> bool,
) -> Option<String> {
    for _ in 0..100 {
        let (more, next) = drain(app, reader, cursor.clone()).await;
        seen.extend(more);
        cursor = next;
        if enough(seen) {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    cursor
}

#[actix_web::test]
async fn the_change_feed_waits_for_a_late_commit_instead_of_skipping_it() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let reader = app.api_key(&["enterprises:read"]).await;
    let early = id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "先行科技", "street_id": street})).await);

    // A transaction that starts writing first and commits last.
    let mut slow = diesel::PgConnection::establish(&app.database_url).expect("connect");
    slow.batch_execute(&format!(
        "BEGIN; UPDATE enterprises SET name = '迟到科技' WHERE id = '{early}';
         INSERT INTO audit_log (id, actor_kind, action, entity, entity_id)
         VALUES (gen_random_uuid(), 'system', 'update', 'enterprise', '{early}');"
    ))
    .expect("a transaction left open");
    let late = id_of(&app.enterprise(&json!({"uscc": uscc(2), "name": "后发科技", "street_id": street})).await);

    // The early change is waited for; the late one must not come while `slow` is open.
    let mentions = |id: &str| {
        let id = id.to_owned();
        move |seen: &[Value]| seen.iter().any(|c| c["entity_id"] == id.as_str())
    };
    let mut seen = Vec::new();
    let cursor = follow(&app, &reader, None, &mut seen, mentions(&early)).await;
    let ids: Vec<&str> = seen.iter().filter_map(|c| c["entity_id"].as_str()).collect();
    assert!(ids.contains(&early.as_str()), "changes before the open transaction are listed");
    assert!(!ids.contains(&late.as_str()), "a change committed behind an open transaction waits for it: {seen:?}");

    slow.batch_execute("COMMIT").expect("commit");
    let mut rest = Vec::new();
    follow(&app, &reader, cursor, &mut rest, mentions(&late)).await;
    let order: Vec<(&str, &str)> =
        rest.iter().map(|c| (c["entity_id"].as_str().unwrap_or(""), c["action"].as_str().unwrap_or(""))).collect();
    assert_eq!(
        order,
        [(early.as_str(), "update"), (late.as_str(), "create")],
        "the late commit comes first, in txid order"
    );
    assert_eq!(rest[1]["data"]["name"], "后发科技");
    assert_eq!(rest[1]["enterprise_id"], late.as_str());

    problem(app.with_token(&app.api_key(&["registry:write"]).await).get("/api/v1/changes").await, 403).await;
    let (_, counselor) = app.user("li.jd", "counselor", &[&street]).await;
    problem(app.with_token(&counselor).get("/api/v1/changes").await, 403).await;
    assert_eq!(fields(&problem(app.get("/api/v1/changes?cursor=nonsense").await, 422).await), ["cursor"]);
}

#[actix_web::test]
async fn the_change_feed_misses_nothing_under_concurrent_writers() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let reader = app.api_key(&["enterprises:read"]).await;
    let feeder = app.api_key(&["registry:write"]).await;
    let writers = (0..4u32).map(|w| {
        let (app, street, feeder) = (&app, &street, &feeder);
        async move {
            for n in 0..10 {
                let serial = w * 100 + n;
                let body = json!({"uscc": uscc(1000 + serial), "name": format!("写入企业{serial}"), "street_id": street});
                let id = id_of(&app.enterprise(&body).await);
                let path = format!("/api/v1/enterprises/{id}/promotions");
                let promoted = app.post(&path, &json!({"to_tier": "tech_sme", "effective_on": days_ago(1)})).await;
                let status = promoted.status();
                assert_eq!(status, 201, "{}", promoted.text().await.unwrap_or_default());
                let item = json!({"uscc": uscc(5000 + serial), "name": format!("名单企业{serial}"), "tier": "hnte", "effective_on": days_ago(1)});
                let fed = feed(app, feeder, &json!({"source": "工信部", "items": [item]}), &format!("w{serial}")).await;
                assert_eq!(fed.status(), 200);
            }
        }
    });
    // A reader follows the feed while the writers write.
    let follower = async {
        let mut seen = Vec::new();
        let mut cursor = None;
        for _ in 0..20 {
            let (more, next) = drain(&app, &reader, cursor.clone()).await;
            seen.extend(more);
            cursor = next;
            actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        (seen, cursor)
    };
    let (_, (mut seen, cursor)) = futures_util::future::join(futures_util::future::join_all(writers), follower).await;
    let expected =
        count(&app, "SELECT count(*) AS n FROM audit_log WHERE entity IN ('enterprise', 'certificate', 'tier_change')");
    follow(&app, &reader, cursor, &mut seen, |seen| seen.len() as i64 >= expected).await;
    // 40 enterprises registered and promoted by hand (create, certificate, move, tier) and
    // 40 registered by the feed on their rung (create, certificate, move).
    assert_eq!(expected, 280);
    let distinct: HashSet<(String, String, String)> =
        seen.iter().map(|c| (c["entity_id"].to_string(), c["action"].to_string(), c["at"].to_string())).collect();
    assert_eq!((seen.len(), distinct.len()), (280, 280), "every change once, none twice");
}
