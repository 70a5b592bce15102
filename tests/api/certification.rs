//! Certificates, promotions, demotions, expiry and applications.

use crate::enterprises::Count;
use crate::helpers::{TestApp, days_ago, fields, id_of, problem, query, uscc};
use chrono::{Days, NaiveDate};
use peiyu::config::{Catalog, Settings};
use serde_json::{Value, json};

fn catalog() -> Catalog {
    Settings::load().expect("settings").catalog().expect("catalog")
}

/// Today in the bureau's calendar, `n` days on.
fn day(n: u64) -> NaiveDate {
    catalog().today() + Days::new(n)
}

/// An enterprise in a fresh district's first street: (enterprise id, street, other street).
async fn enterprise(app: &TestApp, n: u32, name: &str) -> (String, String, String) {
    let (street, other, _) = app.streets().await;
    let id = id_of(&app.enterprise(&json!({"uscc": uscc(n), "name": name, "street_id": street})).await);
    (id, street, other)
}

async fn json_of(response: reqwest::Response, status: u16) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.expect("json")
}

async fn tier_of(app: &TestApp, id: &str) -> Value {
    json_of(app.get(&format!("/api/v1/enterprises/{id}")).await, 200).await["tier"].clone()
}

#[actix_web::test]
async fn promotions_go_up_and_leave_an_append_only_history() {
    let app = TestApp::spawn().await;
    let (id, street, _) = enterprise(&app, 1, "星河智能").await;
    let (_, manager) = app.user("zhang.ju", "manager", &[]).await;
    let promotions = format!("/api/v1/enterprises/{id}/promotions");

    let sme = json_of(
        app.with_token(&manager).post(&promotions, &json!({"to_tier": "tech_sme", "effective_on": days_ago(30)})).await,
        201,
    )
    .await;
    assert_eq!((sme["kind"].as_str(), sme["from_tier"].as_str()), (Some("promotion"), Some("prospect")));
    assert_eq!(sme["rule_set"], "国科发政〔2017〕115号");
    // One year from the certificate's date, through the day before its anniversary.
    let anniversary = days_ago(30).checked_add_months(chrono::Months::new(12)).expect("date");
    assert_eq!(sme["certificate"]["valid_until"], json!(anniversary.pred_opt().expect("date")));

    let body = json!({"to_tier": "hnte", "effective_on": days_ago(10), "certificate_no": "GR202544001234",
                      "batch": "2025年第二批", "note": "首次认定"});
    let hnte = json_of(app.with_token(&manager).post(&promotions, &body).await, 201).await;
    assert_eq!(hnte["certificate"]["certificate_no"], "GR202544001234");
    assert_eq!(hnte["certificate"]["batch"], "2025年第二批");
    assert_eq!(hnte["rule_set"], "国科发火〔2016〕32号");
    assert_eq!(hnte["source"], "manual");
    assert_eq!(hnte["recorded_by"]["kind"], "user");
    assert_eq!(tier_of(&app, &id).await, "hnte");

    // Not up: 409, whether the same rung or below.
    for to in ["hnte", "tech_sme"] {
        let answer = problem(
            app.with_token(&manager).post(&promotions, &json!({"to_tier": to, "effective_on": day(0)})).await,
            409,
        )
        .await;
        assert!(answer["detail"].as_str().is_some_and(|d| d.contains("hnte")), "{answer}");
    }
    // Bad input names its field.
    let bad = [
        (json!({"to_tier": "srdi", "effective_on": day(0), "valid_until": days_ago(1)}), "valid_until"),
        (json!({"to_tier": "srdi", "effective_on": days_ago(5), "valid_until": days_ago(1)}), "valid_until"),
        (json!({"to_tier": "unicorn", "effective_on": day(0)}), "to_tier"),
        (json!({"to_tier": "srdi", "effective_on": day(3)}), "effective_on"),
    ];
    for (body, field) in bad {
        assert_eq!(
            fields(&problem(app.with_token(&manager).post(&promotions, &body).await, 422).await),
            [field],
            "{body}"
        );
    }
    problem(app.with_token(&manager).post(&promotions, &json!({"to_tier": "srdi"})).await, 422).await;
    problem(app.with_token(&manager).post(&promotions, &json!({"to_tier": 3, "effective_on": day(0)})).await, 400)
        .await;
    // Counselors coach; the bureau records certificates.
    let (_, counselor) = app.user("li.xinan", "counselor", &[&street]).await;
    problem(
        app.with_token(&counselor).post(&promotions, &json!({"to_tier": "srdi", "effective_on": day(0)})).await,
        403,
    )
    .await;

    let history = json_of(app.with_token(&counselor).get(&promotions).await, 200).await;
    let moves: Vec<_> = history["items"].as_array().expect("items").iter().map(|m| m["to_tier"].clone()).collect();
    assert_eq!(moves, [json!("tech_sme"), json!("hnte")], "oldest first");
    let certificates = json_of(app.get(&format!("/api/v1/enterprises/{id}/certificates")).await, 200).await;
    assert_eq!(certificates.as_array().map(Vec::len), Some(2));
    assert!(certificates.as_array().expect("list").iter().all(|c| c["held"] == true));

    // The history is evidence: the database refuses to rewrite it.
    let mut conn = app.pool.get().expect("connection");
    let rewrite = diesel::RunQueryDsl::execute(diesel::sql_query("UPDATE tier_changes SET note = 'x'"), &mut conn);
    assert!(rewrite.is_err_and(|e| e.to_string().contains("append-only")));
    let audited: Vec<Count> = query(&app, "SELECT count(*) AS n FROM audit_log WHERE entity = 'tier_change'");
    assert_eq!(audited[0].n, 2);
}

#[actix_web::test]
async fn of_racing_promotions_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let (id, ..) = enterprise(&app, 2, "并发科技").await;
    let path = format!("/api/v1/enterprises/{id}/promotions");
    let body = json!({"to_tier": "hnte", "effective_on": day(0)});
    let racers = (0..8).map(|_| app.post(&path, &body));
    let statuses: Vec<u16> = futures_util::future::join_all(racers).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 409).count(), 7, "{statuses:?}");
    let stored: Vec<Count> =
        query(&app, &format!("SELECT count(*) AS n FROM tier_changes WHERE enterprise_id = '{id}'"));
    assert_eq!(stored[0].n, 1);
    let certificates: Vec<Count> =
        query(&app, &format!("SELECT count(*) AS n FROM certificates WHERE enterprise_id = '{id}'"));
    assert_eq!(certificates[0].n, 1, "the losers left nothing behind");
}

#[actix_web::test]
async fn a_demotion_ends_the_certificates_above_and_lands_on_one_still_held() {
    let app = TestApp::spawn().await;
    let (id, ..) = enterprise(&app, 3, "回落科技").await;
    let promote = format!("/api/v1/enterprises/{id}/promotions");
    let demote = format!("/api/v1/enterprises/{id}/demotions");
    for to in ["tech_sme", "hnte"] {
        assert_eq!(app.post(&promote, &json!({"to_tier": to, "effective_on": days_ago(3)})).await.status(), 201);
    }
    let not_held = problem(
        app.post(&demote, &json!({"to_tier": "hnte_pool", "reason": "revoked", "effective_on": day(0)})).await,
        422,
    )
    .await;
    assert_eq!(fields(&not_held), ["to_tier"]);
    problem(app.post(&demote, &json!({"to_tier": "srdi", "reason": "revoked", "effective_on": day(0)})).await, 409)
        .await;
    assert_eq!(
        fields(
            &problem(
                app.post(&demote, &json!({"to_tier": "tech_sme", "reason": "bored", "effective_on": day(0)})).await,
                422
            )
            .await
        ),
        ["reason"]
    );

    let body = json!({"to_tier": "tech_sme", "reason": "revoked", "effective_on": day(0), "note": "取消高企资格"});
    let demoted = json_of(app.post(&demote, &body).await, 201).await;
    assert_eq!((demoted["kind"].as_str(), demoted["reason"].as_str()), (Some("demotion"), Some("revoked")));
    assert_eq!(tier_of(&app, &id).await, "tech_sme");
    let certificates = json_of(app.get(&format!("/api/v1/enterprises/{id}/certificates")).await, 200).await;
    let held: Vec<_> = certificates
        .as_array()
        .expect("list")
        .iter()
        .map(|c| (c["tier"].clone(), c["held"].clone(), c["end_reason"].clone()))
        .collect();
    assert!(held.contains(&(json!("hnte"), json!(false), json!("revoked"))), "{held:?}");
    assert!(held.contains(&(json!("tech_sme"), json!(true), Value::Null)), "{held:?}");
}

#[actix_web::test]
async fn lapsed_certificates_drop_the_enterprise_to_what_it_still_holds() {
    let app = TestApp::spawn().await;
    let (id, street, other) = enterprise(&app, 4, "到期科技").await;
    let promote = format!("/api/v1/enterprises/{id}/promotions");
    let sme = json!({"to_tier": "tech_sme", "effective_on": days_ago(300), "valid_until": day(0)});
    assert_eq!(app.post(&promote, &sme).await.status(), 201);
    let hnte =
        json!({"to_tier": "hnte", "effective_on": days_ago(200), "certificate_no": "GR1", "valid_until": day(10)});
    assert_eq!(app.post(&promote, &hnte).await.status(), 201);

    // What lapses within 30 days, soonest first; the other street's counselor sees none.
    let (_, mine) = app.user("li.xinan", "counselor", &[&street]).await;
    let (_, theirs) = app.user("wang.xixiang", "counselor", &[&other]).await;
    let expiring = json_of(app.with_token(&mine).get("/api/v1/pipeline/expiring?within_days=30").await, 200).await;
    let items: Vec<_> = expiring["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| (i["tier"].clone(), i["days_left"].clone()))
        .collect();
    assert_eq!(items, [(json!("tech_sme"), json!(0)), (json!("hnte"), json!(10))]);
    assert_eq!(expiring["items"][1]["certificate_no"], "GR1");
    let paged = json_of(app.with_token(&mine).get("/api/v1/pipeline/expiring?within_days=30&limit=1").await, 200).await;
    let cursor = paged["next_cursor"].as_str().expect("a second page");
    let second = json_of(
        app.with_token(&mine).get(&format!("/api/v1/pipeline/expiring?within_days=30&limit=1&cursor={cursor}")).await,
        200,
    )
    .await;
    assert_eq!(second["items"][0]["tier"], "hnte");
    let none = json_of(app.with_token(&theirs).get("/api/v1/pipeline/expiring?within_days=30").await, 200).await;
    assert_eq!(none["items"], json!([]));
    problem(app.get("/api/v1/pipeline/expiring?within_days=0").await, 422).await;
    let listed = |query: &'static str| {
        let app = &app;
        async move {
            json_of(app.get(&format!("/api/v1/enterprises?{query}")).await, 200).await["items"].as_array().map(Vec::len)
        }
    };
    assert_eq!(listed("expiring_within_days=30").await, Some(1));
    assert_eq!(listed("expiring_within_days=30&tier=tech_sme").await, Some(0));
    assert_eq!(
        fields(&problem(app.get("/api/v1/enterprises?expiring_within_days=0").await, 422).await),
        ["expiring_within_days"]
    );

    // Tomorrow the 科技型中小企业 entry has lapsed; it stood on 国高, which it still holds.
    let catalog = catalog();
    let mut conn = app.pool.get().expect("connection");
    let run = peiyu::service::ladder::expire(&mut conn, &catalog, day(1)).expect("expiry run");
    assert_eq!(run, Some(peiyu::service::ladder::ExpiryRun { enterprises: 1, demoted: 0, failed: 0 }));
    assert_eq!(tier_of(&app, &id).await, "hnte");
    // Eleven days on, 国高 lapses too: down to the base, recorded as the system's doing.
    let run = peiyu::service::ladder::expire(&mut conn, &catalog, day(11)).expect("expiry run");
    assert_eq!(run, Some(peiyu::service::ladder::ExpiryRun { enterprises: 1, demoted: 1, failed: 0 }));
    assert_eq!(tier_of(&app, &id).await, "prospect");
    let history = json_of(app.get(&promote).await, 200).await;
    let last = &history["items"][2];
    assert_eq!(
        (last["kind"].as_str(), last["source"].as_str(), last["reason"].as_str()),
        (Some("demotion"), Some("expiry"), Some("expired"))
    );
    assert_eq!((last["from_tier"].as_str(), last["to_tier"].as_str()), (Some("hnte"), Some("prospect")));
    assert_eq!(last["effective_on"], json!(day(11)), "the day after its last valid day");
    assert_eq!(last["recorded_by"], json!({"kind": "system", "id": null}));
    // Nothing left to do, and a second instance stands aside while one runs.
    let again = peiyu::service::ladder::expire(&mut conn, &catalog, day(11)).expect("expiry run");
    assert_eq!(again, Some(peiyu::service::ladder::ExpiryRun::default()));
    let mut other_instance = app.pool.get().expect("connection");
    let lock = format!("SELECT pg_advisory_lock({})", peiyu::service::ladder::EXPIRY_LOCK);
    diesel::RunQueryDsl::execute(diesel::sql_query(lock), &mut other_instance).expect("lock");
    assert_eq!(peiyu::service::ladder::expire(&mut conn, &catalog, day(11)).expect("skipped"), None);
}

#[actix_web::test]
async fn an_application_moves_from_preparing_to_a_decision_and_approval_promotes() {
    let app = TestApp::spawn().await;
    let (id, street, other) = enterprise(&app, 5, "申报科技").await;
    let (_, counselor) = app.user("li.xinan", "counselor", &[&street]).await;
    let (_, outsider) = app.user("wang.xixiang", "counselor", &[&other]).await;
    let (_, manager) = app.user("zhang.ju", "manager", &[]).await;
    let applications = format!("/api/v1/enterprises/{id}/applications");
    let year = day(0).format("%Y").to_string().parse::<i32>().expect("year");

    let created = json_of(
        app.with_token(&counselor).post(&applications, &json!({"tier": "hnte", "batch_year": year})).await,
        201,
    )
    .await;
    assert_eq!(created["status"], "preparing");
    assert_eq!(created["allowed_actions"], json!(["pre_review", "withdraw"]));
    let again = problem(
        app.with_token(&counselor).post(&applications, &json!({"tier": "hnte", "batch_year": year})).await,
        409,
    )
    .await;
    assert_eq!(fields(&again), ["tier"]);
    let bad = problem(
        app.with_token(&counselor).post(&applications, &json!({"tier": "prospect", "batch_year": 1999})).await,
        422,
    )
    .await;
    assert_eq!(fields(&bad), ["tier", "batch_year"]);
    problem(app.with_token(&outsider).post(&applications, &json!({"tier": "hnte", "batch_year": year})).await, 404)
        .await;

    let moves = format!("/api/v1/applications/{}/transitions", id_of(&created));
    let step = |token: &str, body: Value| {
        let (app, moves, token) = (&app, moves.clone(), token.to_owned());
        async move { app.with_token(&token).post(&moves, &body).await }
    };
    problem(step(&manager, json!({"action": "approve"})).await, 409).await;
    problem(step(&outsider, json!({"action": "pre_review"})).await, 404).await;
    assert_eq!(
        fields(&problem(step(&counselor, json!({"action": "pre_review", "certificate_no": "X"})).await, 422).await),
        ["certificate_no"]
    );
    assert_eq!(
        json_of(step(&counselor, json!({"action": "pre_review", "note": "材料齐全"})).await, 200).await["status"],
        "pre_reviewed"
    );
    assert_eq!(json_of(step(&counselor, json!({"action": "submit"})).await, 200).await["status"], "submitted");
    problem(step(&counselor, json!({"action": "approve"})).await, 403).await;
    assert_eq!(fields(&problem(step(&manager, json!({"action": "reject"})).await, 422).await), ["note"]);

    // An approval that cannot record its certificate changes nothing at all.
    let lapsed = json!({"action": "approve", "effective_on": days_ago(10), "valid_until": days_ago(1)});
    assert_eq!(fields(&problem(step(&manager, lapsed).await, 422).await), ["valid_until"]);
    let unchanged =
        json_of(app.with_token(&counselor).get(&format!("/api/v1/applications/{}", id_of(&created))).await, 200).await;
    assert_eq!(unchanged["status"], "submitted");
    assert_eq!(tier_of(&app, &id).await, "prospect");

    let approved = json_of(
        step(
            &manager,
            json!({"action": "approve", "certificate_no": "GR202644000001", "batch": format!("{year}年第一批")}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(approved["status"], "approved");
    assert!(approved["decided_at"].is_string());
    assert_eq!(approved["allowed_actions"], json!([]));
    let actions: Vec<_> =
        approved["transitions"].as_array().expect("moves").iter().map(|t| t["action"].clone()).collect();
    assert_eq!(actions, [json!("create"), json!("pre_review"), json!("submit"), json!("approve")]);
    let promotion = &approved["promotion"];
    assert_eq!((promotion["kind"].as_str(), promotion["source"].as_str()), (Some("promotion"), Some("application")));
    assert_eq!(promotion["application_id"], created["id"]);
    assert_eq!(promotion["certificate"]["certificate_no"], "GR202644000001");
    assert_eq!(tier_of(&app, &id).await, "hnte");
    problem(step(&manager, json!({"action": "approve"})).await, 409).await;

    // A second application, rejected with its reason; then the lists the pass rate comes from.
    let srdi = json_of(
        app.with_token(&counselor).post(&applications, &json!({"tier": "srdi", "batch_year": year})).await,
        201,
    )
    .await;
    let srdi_moves = format!("/api/v1/applications/{}/transitions", id_of(&srdi));
    for body in [json!({"action": "pre_review"}), json!({"action": "submit"})] {
        assert_eq!(app.with_token(&counselor).post(&srdi_moves, &body).await.status(), 200);
    }
    let rejected = json_of(
        app.with_token(&manager).post(&srdi_moves, &json!({"action": "reject", "note": "研发费用占比不足"})).await,
        200,
    )
    .await;
    assert_eq!(
        (rejected["status"].as_str(), rejected["outcome_note"].as_str()),
        (Some("rejected"), Some("研发费用占比不足"))
    );
    let count = |token: &str, query: String| {
        let (app, token) = (&app, token.to_owned());
        async move {
            json_of(app.with_token(&token).get(&format!("/api/v1/applications?{query}")).await, 200).await["items"]
                .as_array()
                .map(Vec::len)
        }
    };
    assert_eq!(count(&manager, format!("batch_year={year}")).await, Some(2));
    assert_eq!(count(&manager, format!("batch_year={year}&status=approved")).await, Some(1));
    assert_eq!(
        count(&manager, format!("batch_year={year}&tier=srdi&status=rejected&street_id={street}")).await,
        Some(1)
    );
    assert_eq!(count(&manager, format!("batch_year={}", year - 1)).await, Some(0));
    assert_eq!(count(&outsider, format!("batch_year={year}")).await, Some(0));
    let listed = json_of(app.with_token(&counselor).get("/api/v1/applications?status=approved").await, 200).await;
    assert_eq!(listed["items"][0]["enterprise_name"], "申报科技");
    problem(app.with_token(&outsider).get(&format!("/api/v1/applications/{}", id_of(&srdi))).await, 404).await;

    // The timeline tells the story, newest first.
    let timeline =
        json_of(app.with_token(&counselor).get(&format!("/api/v1/enterprises/{id}/timeline")).await, 200).await;
    let kinds: Vec<_> = timeline["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(kinds.contains(&"promotion".to_owned()) && kinds.contains(&"application".to_owned()), "{kinds:?}");
    let promoted =
        timeline["items"].as_array().expect("items").iter().find(|e| e["kind"] == "promotion").expect("promotion");
    assert_eq!(promoted["summary"], "晋级：未入库 → 国家高新技术企业");
    assert_eq!(timeline["items"][0]["summary"], format!("{year}年专精特新中小企业申报未通过"));
}

#[actix_web::test]
async fn a_certificate_for_a_lower_rung_is_told_by_its_own_rung() {
    let app = TestApp::spawn().await;
    let (id, ..) = enterprise(&app, 1, "星河智能").await;
    let promote = json!({"to_tier": "hnte", "effective_on": days_ago(30)});
    assert_eq!(app.post(&format!("/api/v1/enterprises/{id}/promotions"), &promote).await.status(), 201);
    // A 国高 also passes the 科技型中小企业 evaluation: certified, not promoted.
    let body = json!({"tier": "tech_sme", "batch_year": 2026});
    let created = json_of(app.post(&format!("/api/v1/enterprises/{id}/applications"), &body).await, 201).await;
    let moves = format!("/api/v1/applications/{}/transitions", id_of(&created));
    for step in [json!({"action": "pre_review"}), json!({"action": "submit"}), json!({"action": "approve"})] {
        assert_eq!(app.post(&moves, &step).await.status(), 200, "{step}");
    }
    let timeline = json_of(app.get(&format!("/api/v1/enterprises/{id}/timeline")).await, 200).await;
    let certified = timeline["items"].as_array().expect("items").iter().find(|e| e["kind"] == "certification");
    assert_eq!(certified.map(|e| e["summary"].clone()), Some(json!("认定：科技型中小企业")));
    let held = json_of(app.get(&format!("/api/v1/enterprises/{id}")).await, 200).await;
    assert_eq!(held["tier"], "hnte", "the tier stays");
}
