//! The pipeline reports on small hand-built districts, checked number by number: the
//! funnel (promotions, cohort conversion, pass rates), coverage, requests and targets.

use crate::helpers::{TestApp, fields, id_of, problem, run_sql, uscc};
use chrono::{Datelike, Duration, Utc};
use serde_json::{Value, json};

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.expect("json")
}

async fn register(app: &TestApp, n: u32, street: &str) -> String {
    id_of(&app.enterprise(&json!({"uscc": uscc(n), "name": format!("企业{n}"), "street_id": street})).await)
}

async fn promote(app: &TestApp, enterprise: &str, tier: &str, on: &str) {
    let body = json!({"to_tier": tier, "effective_on": on, "valid_until": "2030-12-31"});
    let response = app.post(&format!("/api/v1/enterprises/{enterprise}/promotions"), &body).await;
    assert_eq!(response.status(), 201, "promoting {enterprise} to {tier} on {on}");
}

/// Applies and walks the application to its outcome (`None`: left preparing).
async fn apply(app: &TestApp, enterprise: &str, tier: &str, outcome: Option<Value>) {
    let body = json!({"tier": tier, "batch_year": 2026});
    let created = json_of(app.post(&format!("/api/v1/enterprises/{enterprise}/applications"), &body).await, 201).await;
    let Some(outcome) = outcome else { return };
    let moves = format!("/api/v1/applications/{}/transitions", id_of(&created));
    let walk = match outcome["action"].as_str() {
        Some("withdraw") => vec![outcome],
        _ => vec![json!({"action": "pre_review"}), json!({"action": "submit"}), outcome],
    };
    for step in walk {
        assert_eq!(app.post(&moves, &step).await.status(), 200, "{step}");
    }
}

#[actix_web::test]
async fn the_funnel_counts_promotions_cohorts_and_pass_rates_exactly() {
    let app = TestApp::spawn().await;
    let (xinan, xixiang, _) = app.streets().await;
    let [e1, e2, e3, e4] = [
        register(&app, 1, &xinan).await,
        register(&app, 2, &xinan).await,
        register(&app, 3, &xinan).await,
        register(&app, 4, &xinan).await,
    ];
    let e5 = register(&app, 5, &xixiang).await;
    promote(&app, &e1, "tech_sme", "2023-03-01").await;
    promote(&app, &e1, "hnte", "2023-12-01").await; // within a year
    promote(&app, &e1, "srdi", "2026-06-01").await; // hnte → srdi within three years, not two
    promote(&app, &e2, "tech_sme", "2023-05-01").await;
    promote(&app, &e2, "hnte", "2025-04-01").await; // within two years, not one
    promote(&app, &e3, "tech_sme", "2023-07-01").await;
    promote(&app, &e4, "tech_sme", "2024-02-01").await;
    let demotion = json!({"to_tier": "prospect", "reason": "revoked", "effective_on": "2024-06-01"});
    assert_eq!(app.post(&format!("/api/v1/enterprises/{e4}/demotions"), &demotion).await.status(), 201);
    promote(&app, &e4, "tech_sme", "2025-01-10").await; // a new entry; the first one left
    promote(&app, &e5, "hnte", "2024-03-01").await; // a jump over two rungs

    // Applications of the 2026 batch: approved (a promotion too), rejected, withdrawn, in flight.
    let approve = json!({"action": "approve", "effective_on": "2026-01-05", "valid_until": "2028-12-31"});
    apply(&app, &e3, "hnte", Some(approve)).await; // e3's 2023 tech_sme entry: reached in year three
    apply(&app, &e2, "srdi", Some(json!({"action": "reject", "note": "研发占比不足"}))).await;
    apply(&app, &e1, "little_giant", Some(json!({"action": "withdraw", "note": "明年再报"}))).await;
    apply(&app, &e5, "srdi", None).await;

    let funnel = json_of(app.get("/api/v1/pipeline/funnel?from_year=2023&to_year=2026").await, 200).await;
    let promotions: Vec<_> = funnel["promotions"]
        .as_array()
        .expect("promotions")
        .iter()
        .map(|p| {
            format!(
                "{} {}→{} {}",
                p["year"],
                p["from_tier"].as_str().unwrap_or(""),
                p["to_tier"].as_str().unwrap_or(""),
                p["count"]
            )
        })
        .collect();
    assert_eq!(
        promotions,
        [
            "2023 prospect→tech_sme 3",
            "2023 tech_sme→hnte 1",
            "2024 prospect→hnte 1",
            "2024 prospect→tech_sme 1",
            "2025 prospect→tech_sme 1",
            "2025 tech_sme→hnte 1",
            "2026 hnte→srdi 1",
            "2026 tech_sme→hnte 1",
        ]
    );

    let this_year = Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).year();
    let complete = |entry_year: i32| (this_year - entry_year - 1).clamp(0, 3);
    let cohorts: Vec<_> = funnel["cohorts"]
        .as_array()
        .expect("cohorts")
        .iter()
        .map(|c| {
            (
                c["tier"].as_str().unwrap_or("").to_owned(),
                c["entry_year"].as_i64().unwrap_or(0) as i32,
                c["entrants"].clone(),
                c["reached_within"].clone(),
                c["complete_years"].clone(),
            )
        })
        .collect();
    let expected = [
        ("tech_sme", 2023, 3, [1, 2, 3]),
        ("tech_sme", 2024, 1, [0, 0, 0]),
        ("tech_sme", 2025, 1, [0, 0, 0]),
        ("hnte", 2023, 1, [0, 0, 1]),
        ("hnte", 2024, 1, [0, 0, 0]),
        ("hnte", 2025, 1, [0, 0, 0]),
        ("hnte", 2026, 1, [0, 0, 0]),
        ("srdi", 2026, 1, [0, 0, 0]),
    ]
    .map(|(tier, year, entrants, reached)| {
        (tier.to_owned(), year, json!(entrants), json!(reached), json!(complete(year)))
    });
    assert_eq!(cohorts, expected);
    assert_eq!(funnel["cohorts"][0]["rate_within"], json!([0.3333, 0.6667, 1.0]));
    assert_eq!(funnel["cohorts"][0]["label"], "科技型中小企业");

    let rates: Vec<_> = funnel["pass_rates"]
        .as_array()
        .expect("pass rates")
        .iter()
        .map(|r| {
            let n = |k: &str| r[k].as_i64().unwrap_or(-1);
            (
                format!("{} {}", r["tier"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or("")),
                [n("applied"), n("in_flight"), n("approved"), n("rejected"), n("withdrawn")],
                r["pass_rate"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rates,
        [
            ("hnte 全区", [1, 0, 1, 0, 0], json!(1.0)),
            ("hnte 新安街道", [1, 0, 1, 0, 0], json!(1.0)),
            ("srdi 全区", [2, 1, 0, 1, 0], json!(0.0)),
            ("srdi 新安街道", [1, 0, 0, 1, 0], json!(0.0)),
            ("srdi 西乡街道", [1, 1, 0, 0, 0], Value::Null),
            ("little_giant 全区", [1, 0, 0, 0, 1], Value::Null),
            ("little_giant 新安街道", [1, 0, 0, 0, 1], Value::Null),
        ]
        .map(|(k, n, r)| (k.to_owned(), n, r))
    );

    // A counselor's funnel holds their street only; archiving keeps history.
    let (_, counselor) = app.user("wang.xixiang", "counselor", &[&xixiang]).await;
    let theirs =
        json_of(app.with_token(&counselor).get("/api/v1/pipeline/funnel?from_year=2023&to_year=2026").await, 200).await;
    assert_eq!(theirs["promotions"], json!([{"year": 2024, "from_tier": "prospect", "to_tier": "hnte", "count": 1}]));
    assert_eq!(theirs["pass_rates"].as_array().map(Vec::len), Some(2));

    for (query, field) in [
        ("?from_year=2026&to_year=2020", "from_year"),
        ("?to_year=3000", "to_year"),
        ("?from_year=1990&to_year=2026", "from_year"),
    ] {
        let url = format!("/api/v1/pipeline/funnel{query}");
        assert_eq!(fields(&problem(app.get(&url).await, 422).await), [field], "{query}");
    }
}

#[actix_web::test]
async fn coverage_counts_each_live_enterprise_by_its_last_visit() {
    let app = TestApp::spawn().await;
    let (xinan, xixiang, _) = app.streets().await;
    let [a, b, c, gone] = [
        register(&app, 1, &xinan).await,
        register(&app, 2, &xinan).await,
        register(&app, 3, &xixiang).await,
        register(&app, 4, &xixiang).await,
    ];
    promote(&app, &b, "hnte", "2026-01-05").await;
    let visit = |enterprise: &str, days_ago: i64| {
        let body = json!({
            "visited_at": (Utc::now() - Duration::days(days_ago)).to_rfc3339(),
            "channel": "onsite", "purposes": ["policy_briefing"], "summary": "宣讲政策",
        });
        let (app, path) = (&app, format!("/api/v1/enterprises/{enterprise}/visits"));
        async move { json_of(app.post(&path, &body).await, 201).await }
    };
    let a_visit = visit(&a, 10).await;
    visit(&b, 200).await;
    visit(&b, 5).await; // the newer visit counts
    visit(&gone, 1).await;
    assert_eq!(app.delete(&format!("/api/v1/enterprises/{gone}")).await.status(), 204);

    let coverage = json_of(app.get("/api/v1/pipeline/coverage?days=30").await, 200).await;
    assert_eq!(
        (coverage["enterprises"].clone(), coverage["visited"].clone(), coverage["share"].clone()),
        (json!(3), json!(2), json!(0.6667))
    );
    let by_tier = |report: &Value, tier: &str| {
        let row =
            report["by_tier"].as_array().expect("tiers").iter().find(|t| t["tier"] == tier).expect("tier").clone();
        (row["enterprises"].clone(), row["visited"].clone())
    };
    assert_eq!(by_tier(&coverage, "prospect"), (json!(2), json!(1)));
    assert_eq!(by_tier(&coverage, "hnte"), (json!(1), json!(1)));
    assert_eq!(by_tier(&coverage, "srdi"), (json!(0), json!(0)), "every tier listed");
    let streets: Vec<_> = coverage["by_street"]
        .as_array()
        .expect("streets")
        .iter()
        .map(|s| (s["name"].clone(), s["enterprises"].clone(), s["visited"].clone(), s["share"].clone()))
        .collect();
    assert_eq!(
        streets,
        [(json!("新安街道"), json!(2), json!(2), json!(1.0)), (json!("西乡街道"), json!(1), json!(0), json!(0.0))]
    );
    let unvisited: Vec<_> =
        coverage["longest_unvisited"].as_array().expect("list").iter().map(|u| u["enterprise_id"].clone()).collect();
    assert_eq!(unvisited, [json!(c)], "never visited; the archived one is gone");

    // Moving a visit back in time moves the enterprise's last visit with it.
    let path = format!("/api/v1/visits/{}", id_of(&a_visit));
    let moved = json!({"visited_at": (Utc::now() - Duration::days(100)).to_rfc3339()});
    assert_eq!(app.patch(&path, Some("\"1\""), &moved).await.status(), 200);
    let after = json_of(app.get("/api/v1/pipeline/coverage?days=30").await, 200).await;
    assert_eq!(after["visited"], 1);
    let unvisited: Vec<_> =
        after["longest_unvisited"].as_array().expect("list").iter().map(|u| u["enterprise_id"].clone()).collect();
    assert_eq!(unvisited, [json!(c), json!(a)], "never visited first, then the longest unvisited");
    assert_eq!(json_of(app.get("/api/v1/pipeline/coverage?days=365").await, 200).await["visited"], 2);

    let (_, counselor) = app.user("wang.xixiang", "counselor", &[&xixiang]).await;
    let theirs = json_of(app.with_token(&counselor).get("/api/v1/pipeline/coverage?days=30").await, 200).await;
    assert_eq!((theirs["enterprises"].clone(), theirs["visited"].clone()), (json!(1), json!(0)));
    assert_eq!(fields(&problem(app.get("/api/v1/pipeline/coverage?days=0").await, 422).await), ["days"]);
}

#[actix_web::test]
async fn the_request_report_gives_backlog_speed_and_satisfaction() {
    let app = TestApp::spawn().await;
    let (xinan, xixiang, _) = app.streets().await;
    let (here, there) = (register(&app, 1, &xinan).await, register(&app, 2, &xixiang).await);
    let raise = |enterprise: &str, category: &str| {
        let body = json!({"category": category, "priority": "normal", "title": "诉求", "description": "详情"});
        let (app, path) = (&app, format!("/api/v1/enterprises/{enterprise}/requests"));
        async move { id_of(&json_of(app.post(&path, &body).await, 201).await) }
    };
    let (admin_id, mut ids) = (app.admin_id.clone(), Vec::new());
    for (category, satisfaction) in [("finance", Some(5)), ("finance", Some(3)), ("policy", None)] {
        let id = raise(&here, category).await;
        let moves = format!("/api/v1/requests/{id}/transitions");
        let mut steps = vec![
            json!({"action": "assign", "assignee_id": admin_id}),
            json!({"action": "start"}),
            json!({"action": "resolve", "note": "已解决"}),
        ];
        steps.extend(satisfaction.map(|s| json!({"action": "close", "satisfaction": s})));
        for step in steps {
            assert_eq!(app.post(&moves, &step).await.status(), 200, "{step}");
        }
        ids.push(id);
    }
    let overdue = raise(&there, "talent").await;
    // History the API rightly will not write: 10, 30 and 50 hours to resolve (90% within
    // the 72-hour bucket bound); one past due.
    run_sql(
        &app,
        &format!(
            "UPDATE service_requests SET created_at = resolved_at - interval '10 hours' WHERE id = '{}';
             UPDATE service_requests SET created_at = resolved_at - interval '30 hours' WHERE id = '{}';
             UPDATE service_requests SET created_at = resolved_at - interval '50 hours' WHERE id = '{}';
             UPDATE service_requests SET due_at = now() - interval '1 hour', stage_due_at = now() - interval '1 hour' WHERE id = '{overdue}';",
            ids[0], ids[1], ids[2]
        ),
    );

    let report = json_of(app.get("/api/v1/pipeline/requests").await, 200).await;
    let figures = |row: &Value| {
        ["open", "overdue", "resolved", "mean_hours_to_resolve", "p90_hours_to_resolve", "rated", "satisfaction"]
            .map(|k| row[k].clone())
    };
    assert_eq!(figures(&report), [json!(1), json!(1), json!(3), json!(30.0), json!(72.0), json!(2), json!(4.0)]);
    let category = |code: &str| {
        figures(
            report["by_category"]
                .as_array()
                .expect("categories")
                .iter()
                .find(|c| c["category"] == code)
                .expect("category"),
        )
    };
    assert_eq!(category("finance"), [json!(0), json!(0), json!(2), json!(20.0), json!(36.0), json!(2), json!(4.0)]);
    assert_eq!(category("talent"), [json!(1), json!(1), json!(0), Value::Null, Value::Null, json!(0), Value::Null]);
    assert_eq!(
        category("market"),
        [json!(0), json!(0), json!(0), Value::Null, Value::Null, json!(0), Value::Null],
        "every category"
    );
    let streets: Vec<_> = report["by_street"]
        .as_array()
        .expect("streets")
        .iter()
        .map(|s| (s["name"].clone(), s["resolved"].clone(), s["open"].clone()))
        .collect();
    assert_eq!(streets, [(json!("新安街道"), json!(3), json!(0)), (json!("西乡街道"), json!(0), json!(1))]);

    // A window before any resolution; a counselor's own street.
    let early = json_of(app.get("/api/v1/pipeline/requests?from=2020-01&to=2020-12").await, 200).await;
    assert_eq!(figures(&early), [json!(1), json!(1), json!(0), Value::Null, Value::Null, json!(0), Value::Null]);
    let (_, counselor) = app.user("wang.xixiang", "counselor", &[&xixiang]).await;
    let theirs = json_of(app.with_token(&counselor).get("/api/v1/pipeline/requests").await, 200).await;
    assert_eq!((theirs["open"].clone(), theirs["resolved"].clone()), (json!(1), json!(0)));
    assert_eq!(
        fields(&problem(app.get("/api/v1/pipeline/requests?from=2026-02&to=2026-01").await, 422).await),
        ["from"]
    );
}

#[actix_web::test]
async fn targets_show_progress_and_the_projected_year_end() {
    let app = TestApp::spawn().await;
    let district = app.region("宝安区", "baoan", "district", None).await;
    let xinan = app.region("新安街道", "xinan", "street", Some(&district)).await;
    let xixiang = app.region("西乡街道", "xixiang", "street", Some(&district)).await;
    let park = app.region("宝安智谷", "zhigu", "park", Some(&xinan)).await;
    let (a, b, c) =
        (register(&app, 1, &xinan).await, register(&app, 2, &xixiang).await, register(&app, 3, &xixiang).await);
    promote(&app, &a, "hnte", "2025-03-01").await;
    promote(&app, &b, "hnte", "2025-06-01").await;
    promote(&app, &c, "tech_sme", "2025-02-01").await;

    let set = json!({"targets": [
        {"tier": "hnte", "region_id": district, "target": 4},
        {"tier": "hnte", "region_id": xinan, "target": 2},
        {"tier": "tech_sme", "region_id": xixiang, "target": 5},
    ]});
    let report = json_of(
        app.admin().request(reqwest::Method::PUT, "/api/v1/targets/2025").json(&set).send().await.expect("put"),
        200,
    )
    .await;
    assert_eq!(report["elapsed"], 1.0, "2025 is over");
    let rows: Vec<_> = report["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| {
            (
                t["region_name"].clone(),
                t["tier"].clone(),
                t["target"].clone(),
                t["achieved"].clone(),
                t["progress"].clone(),
                t["projected"].clone(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (json!("宝安区"), json!("hnte"), json!(4), json!(2), json!(0.5), json!(2)),
            (json!("新安街道"), json!("hnte"), json!(2), json!(1), json!(0.5), json!(1)),
            (json!("西乡街道"), json!("tech_sme"), json!(5), json!(1), json!(0.2), json!(1)),
        ]
    );
    assert_eq!(json_of(app.get("/api/v1/targets?year=2025").await, 200).await["items"], report["items"]);

    // The set is replaced as a whole, and every change is audited.
    let replace = json!({"targets": [{"tier": "hnte", "region_id": district, "target": 6}]});
    let replaced = json_of(
        app.admin().request(reqwest::Method::PUT, "/api/v1/targets/2025").json(&replace).send().await.expect("put"),
        200,
    )
    .await;
    assert_eq!(replaced["items"].as_array().map(Vec::len), Some(1));
    let audit = json_of(app.get("/api/v1/audit?entity=target").await, 200).await;
    let actions: Vec<_> = audit["items"]
        .as_array()
        .expect("audit")
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(actions.iter().filter(|a| *a == "deleted").count(), 2, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "updated").count(), 1, "{actions:?}");

    let bad = json!({"targets": [
        {"tier": "prospect", "region_id": xinan, "target": 1},
        {"tier": "hnte", "region_id": park, "target": 1},
        {"tier": "hnte", "region_id": xixiang, "target": 0},
        {"tier": "hnte", "region_id": xixiang, "target": 1},
    ]});
    let refused = problem(
        app.admin().request(reqwest::Method::PUT, "/api/v1/targets/2025").json(&bad).send().await.expect("put"),
        422,
    )
    .await;
    assert_eq!(fields(&refused), ["targets[0].tier", "targets[1].region_id", "targets[2].target", "targets[3].tier"]);

    // Counselors may read their street's targets only, and set none.
    let (_, counselor) = app.user("wang.xixiang", "counselor", &[&xixiang]).await;
    let street_target = json!({"targets": [{"tier": "hnte", "region_id": district, "target": 6}, {"tier": "tech_sme", "region_id": xixiang, "target": 3}]});
    assert_eq!(
        app.admin()
            .request(reqwest::Method::PUT, "/api/v1/targets/2025")
            .json(&street_target)
            .send()
            .await
            .expect("put")
            .status(),
        200
    );
    let theirs = json_of(app.with_token(&counselor).get("/api/v1/targets?year=2025").await, 200).await;
    let regions: Vec<_> = theirs["items"].as_array().expect("items").iter().map(|t| t["region_id"].clone()).collect();
    assert_eq!(regions, [json!(xixiang)]);
    let as_counselor = app.with_token(&counselor).request(reqwest::Method::PUT, "/api/v1/targets/2025").json(&replace);
    problem(as_counselor.send().await.expect("put"), 403).await;
}

#[actix_web::test]
async fn the_database_buckets_resolution_times_as_the_report_reads_them() {
    #[derive(diesel::QueryableByName)]
    struct Bucket {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        bucket: i32,
    }
    let app = TestApp::spawn().await;
    for (i, bound) in peiyu::domain::service_request::RESOLUTION_BOUNDS.iter().enumerate() {
        // Bucket i + 1 (SQL counts from 1) holds the hours up to, not including, its bound.
        let sql =
            format!("SELECT resolution_bucket({bound} - 0.001) AS bucket UNION ALL SELECT resolution_bucket({bound})");
        let buckets: Vec<i32> = crate::helpers::query::<Bucket>(&app, &sql).into_iter().map(|b| b.bucket).collect();
        assert_eq!(buckets, [i as i32 + 1, i as i32 + 2], "around {bound} hours");
    }
}
