//! Visits and service requests.

use crate::enterprises::Count;
use crate::helpers::{TestApp, fields, id_of, problem, query, uscc};
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

/// A street with its counselor and one enterprise: (street, counselor token, enterprise id).
async fn setting(app: &TestApp) -> (String, String, String) {
    let (street, ..) = app.streets().await;
    let (_, counselor) = app.user("li.xinan", "counselor", &[&street]).await;
    let enterprise = app.enterprise(&json!({"uscc": uscc(1), "name": "星河智能", "street_id": street})).await;
    (street, counselor, id_of(&enterprise))
}

fn visit(visited_at: DateTime<Utc>) -> Value {
    json!({
        "visited_at": visited_at.to_rfc3339(),
        "channel": "onsite",
        "purposes": ["demand_collection", "policy_briefing"],
        "summary": "了解扩产计划，宣讲高企认定政策",
        "participants": "总经理张伟",
        "follow_up_on": (visited_at + Duration::days(14)).date_naive().to_string(),
    })
}

#[actix_web::test]
async fn a_visit_and_the_demands_raised_in_it_are_stored_together_or_not_at_all() {
    let app = TestApp::spawn().await;
    let (street, counselor, enterprise) = setting(&app).await;
    let as_counselor = app.with_token(&counselor);
    let path = format!("/api/v1/enterprises/{enterprise}/visits");
    let mut body = visit(Utc::now() - Duration::hours(1));
    body["requests"] = json!([
        {"category": "space", "priority": "high", "title": "研发楼扩租", "description": "需要 2000 平方米"},
        {"category": "policy", "priority": "urgent", "title": "高企认定口径", "description": "研发费用归集"}
    ]);
    let before = Utc::now();
    let response = as_counselor.post(&path, &body).await;
    assert_eq!(response.status(), 201);
    let created: Value = response.json().await.expect("json");
    assert_eq!(created["street_id"], street.as_str());
    assert_eq!(created["purposes"], json!(["policy_briefing", "demand_collection"]));
    let requests = created["requests"].as_array().expect("requests");
    assert_eq!(requests.len(), 2);
    assert!(requests.iter().all(|r| r["status"] == "open" && r["visit_id"] == created["id"] && r["overdue"] == false));
    // 办结 deadlines in working days from the configured limits: space/high 10, policy/urgent 1.
    let calendar = peiyu::config::Settings::load().expect("settings").catalog().expect("catalog").calendar;
    let moment =
        |r: &Value, key: &str| DateTime::parse_from_rfc3339(r[key].as_str().expect(key)).expect("date").to_utc();
    for (request, days) in requests.iter().zip([10, 1]) {
        assert!(moment(request, "created_at") >= before);
        assert_eq!(
            moment(request, "due_at"),
            calendar.working_days_after(moment(request, "created_at"), days),
            "{request}"
        );
    }

    // One bad demand: nothing of the second visit is stored.
    let mut bad = visit(Utc::now() - Duration::hours(2));
    bad["requests"] = json!([
        {"category": "talent", "priority": "normal", "title": "招聘", "description": "博士后"},
        {"category": "talent", "priority": "normal", "title": "", "description": "x"}
    ]);
    assert_eq!(fields(&problem(as_counselor.post(&path, &bad).await, 422).await), ["requests[1].title"]);
    let visits: Vec<Count> = query(&app, "SELECT count(*) AS n FROM visits");
    let requests: Vec<Count> = query(&app, "SELECT count(*) AS n FROM service_requests");
    assert_eq!((visits[0].n, requests[0].n), (1, 2));
}

#[actix_web::test]
async fn visits_are_checked_field_by_field() {
    let app = TestApp::spawn().await;
    let (_, counselor, enterprise) = setting(&app).await;
    let as_counselor = app.with_token(&counselor);
    let path = format!("/api/v1/enterprises/{enterprise}/visits");

    let future = visit(Utc::now() + Duration::hours(2));
    assert_eq!(fields(&problem(as_counselor.post(&path, &future).await, 422).await), ["visited_at"]);
    let mut early_follow_up = visit(Utc::now() - Duration::days(3));
    early_follow_up["follow_up_on"] = json!((Utc::now() - Duration::days(10)).date_naive().to_string());
    assert_eq!(fields(&problem(as_counselor.post(&path, &early_follow_up).await, 422).await), ["follow_up_on"]);
    let mut no_purpose = visit(Utc::now());
    no_purpose["purposes"] = json!([]);
    assert_eq!(fields(&problem(as_counselor.post(&path, &no_purpose).await, 422).await), ["purposes"]);
    let mut channel = visit(Utc::now());
    channel["channel"] = json!("pigeon");
    assert_eq!(fields(&problem(as_counselor.post(&path, &channel).await, 422).await), ["channel"]);
    let mut purpose = visit(Utc::now());
    purpose["purposes"] = json!(["lunch"]);
    assert_eq!(fields(&problem(as_counselor.post(&path, &purpose).await, 422).await), ["purposes[0]"]);
    let mut category = visit(Utc::now());
    category["requests"] = json!([{"category": "parking", "priority": "low", "title": "t", "description": "d"}]);
    assert_eq!(fields(&problem(as_counselor.post(&path, &category).await, 422).await), ["requests[0].category"]);
    let mut wrong_type = visit(Utc::now());
    wrong_type["purposes"] = json!("policy_briefing");
    assert_eq!(fields(&problem(as_counselor.post(&path, &wrong_type).await, 400).await), ["purposes"]);
    let visits: Vec<Count> = query(&app, "SELECT count(*) AS n FROM visits");
    assert_eq!(visits[0].n, 0);
}

#[actix_web::test]
async fn requests_move_through_their_workflow_and_refuse_illegal_moves() {
    let app = TestApp::spawn().await;
    let (_, counselor, enterprise) = setting(&app).await;
    let (counselor_id, _) = app.user("wang.bureau", "manager", &[]).await;
    let as_counselor = app.with_token(&counselor);
    let created = as_counselor
        .post(
            &format!("/api/v1/enterprises/{enterprise}/requests"),
            &json!({"category": "finance", "priority": "normal", "title": "贷款贴息", "description": "申请科技贷"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    assert_eq!(created["allowed_actions"], json!(["acknowledge", "assign", "transfer", "escalate", "reject"]));
    let path = format!("/api/v1/requests/{}/transitions", id_of(&created));
    let step = |body: Value| {
        let (as_counselor, path) = (&as_counselor, &path);
        async move { as_counselor.post(path, &body).await }
    };

    assert_eq!(fields(&problem(step(json!({"action": "assign"})).await, 422).await), ["assignee_id"]);
    let illegal = problem(step(json!({"action": "start"})).await, 409).await;
    assert_eq!(
        illegal["detail"],
        "cannot start a request that is open; allowed now: acknowledge, assign, transfer, escalate, reject"
    );
    assert_eq!(step(json!({"action": "assign", "assignee_id": counselor_id})).await.status(), 200);
    assert_eq!(step(json!({"action": "start"})).await.status(), 200);
    let resolved: Value =
        step(json!({"action": "resolve", "note": "已对接合作银行"})).await.json().await.expect("json");
    assert!(resolved["resolved_at"].is_string());
    assert_eq!(fields(&problem(step(json!({"action": "close"})).await, 422).await), ["satisfaction"]);
    assert_eq!(
        fields(&problem(step(json!({"action": "close", "satisfaction": 6})).await, 422).await),
        ["satisfaction"]
    );
    let closed: Value = step(json!({"action": "close", "satisfaction": 5})).await.json().await.expect("json");
    assert_eq!((closed["status"].as_str(), closed["satisfaction"].as_i64()), (Some("closed"), Some(5)));
    let moves: Vec<_> = closed["transitions"]
        .as_array()
        .expect("transitions")
        .iter()
        .map(|t| t["action"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(moves, ["raise", "assign", "start", "resolve", "close"]);
    assert_eq!(closed["transitions"][3]["note"], "已对接合作银行");

    let reopened: Value = step(json!({"action": "reopen"})).await.json().await.expect("json");
    assert_eq!((reopened["status"].as_str(), reopened["satisfaction"].clone()), (Some("open"), Value::Null));
    assert_eq!(fields(&problem(step(json!({"action": "reject"})).await, 422).await), ["note"]);
    assert_eq!(step(json!({"action": "reject", "note": "不属于本区职能"})).await.status(), 200);
}

#[actix_web::test]
async fn racing_transitions_of_one_request_have_one_winner() {
    let app = TestApp::spawn().await;
    let (_, counselor, enterprise) = setting(&app).await;
    let me = app.with_token(&counselor).get("/api/v1/me").await.json::<Value>().await.expect("json");
    let created: Value = app
        .with_token(&counselor)
        .post(
            &format!("/api/v1/enterprises/{enterprise}/requests"),
            &json!({"category": "ip", "priority": "high", "title": "专利布局", "description": "d"}),
        )
        .await
        .json()
        .await
        .expect("json");
    let path = format!("/api/v1/requests/{}/transitions", id_of(&created));
    let assign = json!({"action": "assign", "assignee_id": me["id"]});
    assert_eq!(app.with_token(&counselor).post(&path, &assign).await.status(), 200);
    let start = json!({"action": "start"});
    let as_counselor = app.with_token(&counselor);
    let attempts = (0..8).map(|_| as_counselor.post(&path, &start));
    let statuses: Vec<u16> =
        futures_util::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
    let transitions: Vec<Count> = query(&app, "SELECT count(*) AS n FROM request_transitions WHERE action = 'start'");
    assert_eq!(transitions[0].n, 1);
}

#[actix_web::test]
async fn lists_of_visits_and_requests_filter_page_and_stay_in_scope() {
    let app = TestApp::spawn().await;
    let (street, counselor, enterprise) = setting(&app).await;
    let (_, elsewhere) = app.user("zhao.other", "counselor", &[]).await;
    let as_counselor = app.with_token(&counselor);
    for hours in [30, 20, 10] {
        let response = as_counselor
            .post(&format!("/api/v1/enterprises/{enterprise}/visits"), &visit(Utc::now() - Duration::hours(hours)))
            .await;
        assert_eq!(response.status(), 201);
    }
    let page: Value =
        as_counselor.get(&format!("/api/v1/enterprises/{enterprise}/visits?limit=2")).await.json().await.expect("json");
    let first: Vec<String> = page["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| v["visited_at"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(first.len(), 2);
    assert!(first[0] > first[1], "newest first: {first:?}");
    let cursor = page["next_cursor"].as_str().expect("more");
    let rest: Value = as_counselor
        .get(&format!("/api/v1/enterprises/{enterprise}/visits?limit=2&cursor={cursor}"))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(rest["items"].as_array().map(Vec::len), Some(1));
    assert!(rest["next_cursor"].is_null());

    let since = (Utc::now() - Duration::hours(25)).to_rfc3339();
    let recent: Value = as_counselor
        .get(&format!(
            "/api/v1/visits?street_id={street}&from={}",
            form_urlencoded::byte_serialize(since.as_bytes()).collect::<String>()
        ))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(recent["items"].as_array().map(Vec::len), Some(2));
    let theirs: Value = app.with_token(&elsewhere).get("/api/v1/visits").await.json().await.expect("json");
    assert_eq!(theirs["items"], json!([]));

    // Requests: one overdue (its deadline moved into the past), one not.
    for title in ["逾期的诉求", "按时的诉求"] {
        let body = json!({"category": "other", "priority": "low", "title": title, "description": "d"});
        assert_eq!(as_counselor.post(&format!("/api/v1/enterprises/{enterprise}/requests"), &body).await.status(), 201);
    }
    query::<Count>(
        &app,
        "WITH moved AS (UPDATE service_requests SET due_at = now() - interval '1 day', stage_due_at = now() - interval '1 day' WHERE title = '逾期的诉求' RETURNING 1) SELECT count(*) AS n FROM moved",
    );
    let overdue: Value = as_counselor.get("/api/v1/requests?overdue=true").await.json().await.expect("json");
    let titles: Vec<_> = overdue["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| (r["title"].as_str(), r["overdue"].as_bool()))
        .collect();
    assert_eq!(titles, [(Some("逾期的诉求"), Some(true))]);
    let open: Value = as_counselor.get("/api/v1/requests?status=open&category=other").await.json().await.expect("json");
    assert_eq!(open["items"].as_array().map(Vec::len), Some(2));
    let theirs: Value = app.with_token(&elsewhere).get("/api/v1/requests").await.json().await.expect("json");
    assert_eq!(theirs["items"], json!([]));
    problem(app.with_token(&elsewhere).get(&format!("/api/v1/requests/{}", id_of(&open["items"][0]))).await, 404).await;
    let transition = json!({"action": "escalate"});
    problem(
        app.with_token(&elsewhere)
            .post(&format!("/api/v1/requests/{}/transitions", id_of(&open["items"][0])), &transition)
            .await,
        404,
    )
    .await;
    assert_eq!(fields(&problem(as_counselor.get("/api/v1/requests?status=lost").await, 422).await), ["status"]);
}

#[actix_web::test]
async fn visits_can_be_corrected_by_their_counselor_for_a_week_then_by_managers() {
    let app = TestApp::spawn().await;
    let (street, counselor, enterprise) = setting(&app).await;
    let (_, colleague) = app.user("liu.xinan", "counselor", &[&street]).await;
    let (_, manager) = app.user("chen.bureau", "manager", &[]).await;
    let created: Value = app
        .with_token(&counselor)
        .post(&format!("/api/v1/enterprises/{enterprise}/visits"), &visit(Utc::now() - Duration::hours(3)))
        .await
        .json()
        .await
        .expect("json");
    let path = format!("/api/v1/visits/{}", id_of(&created));
    let fix = json!({"summary": "补充：企业计划明年申报国高", "findings": null});

    problem(app.with_token(&counselor).patch(&path, None, &fix).await, 428).await;
    problem(app.with_token(&colleague).patch(&path, Some("\"1\""), &fix).await, 403).await;
    let fixed = app.with_token(&counselor).patch(&path, Some("\"1\""), &fix).await;
    assert_eq!(fixed.status(), 200);
    let fixed: Value = fixed.json().await.expect("json");
    assert_eq!((fixed["summary"].as_str(), fixed["version"].as_i64()), (Some("补充：企业计划明年申报国高"), Some(2)));
    problem(
        app.with_token(&counselor)
            .patch(&path, Some("\"2\""), &json!({"visited_at": (Utc::now() + Duration::days(1)).to_rfc3339()}))
            .await,
        422,
    )
    .await;

    // Eight days on, only a manager may still correct it.
    query::<Count>(
        &app,
        "WITH moved AS (UPDATE visits SET created_at = now() - interval '8 days' RETURNING 1) SELECT count(*) AS n FROM moved",
    );
    problem(app.with_token(&counselor).patch(&path, Some("\"2\""), &json!({"summary": "再改"})).await, 403).await;
    assert_eq!(
        app.with_token(&manager).patch(&path, Some("\"2\""), &json!({"summary": "经理更正"})).await.status(),
        200
    );
    let audited: Vec<Count> = query(
        &app,
        &format!("SELECT count(*) AS n FROM audit_log WHERE entity = 'visit' AND entity_id = '{}'", id_of(&created)),
    );
    assert_eq!(audited[0].n, 3);
}

#[actix_web::test]
async fn the_timeline_merges_visits_and_request_moves_newest_first() {
    let app = TestApp::spawn().await;
    let (_, counselor, enterprise) = setting(&app).await;
    let me = app.with_token(&counselor).get("/api/v1/me").await.json::<Value>().await.expect("json");
    let as_counselor = app.with_token(&counselor);
    let mut body = visit(Utc::now() - Duration::hours(3));
    body["requests"] = json!([{"category": "space", "priority": "high", "title": "研发楼扩租", "description": "d"}]);
    let logged: Value =
        as_counselor.post(&format!("/api/v1/enterprises/{enterprise}/visits"), &body).await.json().await.expect("json");
    let request = id_of(&logged["requests"][0]);
    let assign = json!({"action": "assign", "assignee_id": me["id"]});
    assert_eq!(as_counselor.post(&format!("/api/v1/requests/{request}/transitions"), &assign).await.status(), 200);

    let path = format!("/api/v1/enterprises/{enterprise}/timeline");
    let first: Value = as_counselor.get(&format!("{path}?limit=2")).await.json().await.expect("json");
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second: Value = as_counselor.get(&format!("{path}?limit=2&cursor={cursor}")).await.json().await.expect("json");
    assert!(second["next_cursor"].is_null());
    let events: Vec<(String, String, String)> = [first, second]
        .iter()
        .flat_map(|page| page["items"].as_array().cloned().unwrap_or_default())
        .map(|e| {
            (
                e["kind"].as_str().unwrap_or("").to_owned(),
                e["summary"].as_str().unwrap_or("").to_owned(),
                id_of(&json!({"id": e["ref_id"]})),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("request".to_owned(), "诉求「研发楼扩租」分派".to_owned(), request.clone()),
            ("request".to_owned(), "诉求「研发楼扩租」提出".to_owned(), request.clone()),
            ("visit".to_owned(), "上门走访：了解扩产计划，宣讲高企认定政策".to_owned(), id_of(&logged)),
        ]
    );
}

#[actix_web::test]
async fn the_agenda_shows_what_is_due_in_my_streets() {
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    let (_, counselor) = app.user("li.xinan", "counselor", &[&street]).await;
    let me = app.with_token(&counselor).get("/api/v1/me").await.json::<Value>().await.expect("json");
    let as_counselor = app.with_token(&counselor);
    let app = &app;
    let register = |n: u32, name: &str, street: &str| {
        let body = json!({"uscc": uscc(n), "name": name, "street_id": street});
        async move { id_of(&app.enterprise(&body).await) }
    };
    let recent = register(11, "近期走访", &street).await;
    let never = register(12, "从未走访", &street).await;
    let long_ago = register(13, "久未走访", &street).await;
    let elsewhere = register(14, "别的街道", &other).await;

    let mut soon = visit(Utc::now() - Duration::hours(3));
    soon["follow_up_on"] = json!((Utc::now() + Duration::days(3)).date_naive().to_string());
    soon["requests"] = json!([
        {"category": "talent", "priority": "normal", "title": "逾期", "description": "d"},
        {"category": "talent", "priority": "normal", "title": "分给我", "description": "d"}
    ]);
    let logged: Value =
        as_counselor.post(&format!("/api/v1/enterprises/{recent}/visits"), &soon).await.json().await.expect("json");
    let mut old = visit(Utc::now() - Duration::days(100));
    old["follow_up_on"] = Value::Null;
    assert_eq!(as_counselor.post(&format!("/api/v1/enterprises/{long_ago}/visits"), &old).await.status(), 201);
    let mine = id_of(&logged["requests"][1]);
    let assign = json!({"action": "assign", "assignee_id": me["id"]});
    assert_eq!(as_counselor.post(&format!("/api/v1/requests/{mine}/transitions"), &assign).await.status(), 200);
    query::<Count>(
        app,
        "WITH moved AS (UPDATE service_requests SET due_at = now() - interval '1 hour', stage_due_at = now() - interval '1 hour' WHERE title = '逾期' RETURNING 1) SELECT count(*) AS n FROM moved",
    );

    for enterprise in [&recent, &elsewhere] {
        let lapsing = json!({"to_tier": "tech_sme", "effective_on": crate::helpers::days_ago(300)});
        assert_eq!(app.post(&format!("/api/v1/enterprises/{enterprise}/promotions"), &lapsing).await.status(), 201);
    }

    let agenda: Value = as_counselor.get("/api/v1/me/agenda?not_visited_days=30").await.json().await.expect("json");
    let follow_ups: Vec<_> =
        agenda["follow_ups"].as_array().expect("follow_ups").iter().map(|f| f["enterprise_name"].as_str()).collect();
    assert_eq!(follow_ups, [Some("近期走访")]);
    let titles = |key: &str| -> Vec<String> {
        agenda[key].as_array().expect(key).iter().filter_map(|r| r["title"].as_str().map(str::to_owned)).collect()
    };
    assert_eq!(titles("overdue_requests"), ["逾期"]);
    assert_eq!(titles("assigned_to_me"), ["分给我"]);
    // Open and nobody has it, but overdue: each request is listed once, where it is late.
    assert_eq!(titles("unassigned_requests"), Vec::<String>::new());
    let expiring = &agenda["expiring_certificates"];
    assert_eq!(expiring.as_array().map(Vec::len), Some(1), "{expiring}");
    assert_eq!(expiring[0]["name"], "近期走访");
    assert!(expiring[0]["days_left"].as_i64().is_some_and(|days| (1..=90).contains(&days)), "{expiring}");
    let unvisited: Vec<_> = agenda["not_visited"]
        .as_array()
        .expect("not_visited")
        .iter()
        .map(|u| (id_of(&json!({"id": u["enterprise_id"]})), u["last_visited_at"].is_null()))
        .collect();
    assert_eq!(unvisited, [(never, true), (long_ago, false)]);
    assert!(!agenda.to_string().contains(&elsewhere));
}

#[actix_web::test]
async fn the_enterprise_list_finds_those_not_visited_for_a_while() {
    let app = TestApp::spawn().await;
    let (street, counselor, visited) = setting(&app).await;
    let quiet = id_of(&app.enterprise(&json!({"uscc": uscc(2), "name": "冷门科技", "street_id": street})).await);
    let path = format!("/api/v1/enterprises/{visited}/visits");
    assert_eq!(app.with_token(&counselor).post(&path, &visit(Utc::now() - Duration::days(40))).await.status(), 201);
    let ids = |days: u32| {
        let (app, counselor) = (&app, counselor.clone());
        async move {
            let page: Value = app
                .with_token(&counselor)
                .get(&format!("/api/v1/enterprises?not_visited_days={days}"))
                .await
                .json()
                .await
                .expect("json");
            page["items"].as_array().expect("items").iter().map(id_of).collect::<Vec<_>>()
        }
    };
    assert_eq!(ids(30).await, [quiet.clone(), visited.clone()], "visited 40 days ago, or never");
    assert_eq!(ids(60).await, [quiet], "the visit 40 days ago counts within 60");
    let bad = problem(app.get("/api/v1/enterprises?not_visited_days=0").await, 422).await;
    assert_eq!(fields(&bad), ["not_visited_days"]);
}
