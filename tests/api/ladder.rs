//! Yearly figures and eligibility.

use crate::helpers::{TestApp, fields, id_of, problem, uscc};
use serde_json::{Value, json};

#[actix_web::test]
async fn eligibility_lists_every_criterion_and_names_what_is_missing() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let enterprise = app
        .enterprise(&json!({"uscc": uscc(1), "name": "星河智能", "street_id": street, "established_on": "2018-03-01"}))
        .await;
    let id = id_of(&enterprise);
    let put_years = |rd: i64| {
        let app = &app;
        let id = id.clone();
        async move {
            for year in 2023..=2025 {
                let figures = json!({"revenue": 30_000_000, "rd_expense": rd, "rd_expense_domestic": rd, "staff": 80, "tech_staff": 20});
                let response = app
                    .admin()
                    .request(reqwest::Method::PUT, &format!("/api/v1/enterprises/{id}/indicators/{year}"))
                    .json(&figures)
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 200);
            }
        }
    };
    let verdict = |on: &'static str| {
        let app = &app;
        let id = id.clone();
        async move {
            app.get(&format!("/api/v1/enterprises/{id}/eligibility?tier=hnte&on={on}"))
                .await
                .json::<Value>()
                .await
                .expect("json")
        }
    };
    let met = |answer: &Value, code: &str| {
        answer["criteria"].as_array().expect("criteria").iter().find(|c| c["code"] == code).map(|c| c["met"].clone())
    };

    // Revenue ¥30m a year with R&D ¥0.9m: 3% against 国高's 5%.
    put_years(900_000).await;
    let short = verdict("2026-06-01").await;
    assert_eq!(short["document"], "国科发火〔2016〕32号");
    assert_eq!(short["eligible"], false);
    assert_eq!(met(&short, "rd_ratio"), Some(json!(false)));
    assert_eq!(met(&short, "tech_staff_share"), Some(json!(true)));
    assert_eq!(met(&short, "high_tech_income_share"), Some(Value::Null), "not reported: unknown");
    assert_eq!(short["missing"][0], "rd_ratio", "unmet first, then unknown: {short}");
    let rd = short["criteria"]
        .as_array()
        .expect("criteria")
        .iter()
        .find(|c| c["code"] == "rd_ratio")
        .cloned()
        .expect("rd_ratio");
    assert_eq!((rd["required"].as_str(), rd["actual"].as_str()), (Some("≥ 5.00%"), Some("3.00%")));

    // ¥1.8m: 6%, met.
    put_years(1_800_000).await;
    assert_eq!(met(&verdict("2026-06-01").await, "rd_ratio"), Some(json!(true)));
    let years: Value = app.get(&format!("/api/v1/enterprises/{id}/indicators")).await.json().await.expect("json");
    let listed: Vec<_> =
        years.as_array().expect("years").iter().map(|y| (y["year"].as_i64(), y["version"].as_i64())).collect();
    assert_eq!(listed, [(Some(2025), Some(2)), (Some(2024), Some(2)), (Some(2023), Some(2))]);
    let audited: Vec<crate::enterprises::Count> = crate::helpers::query(
        &app,
        &format!("SELECT count(*) AS n FROM audit_log WHERE entity = 'indicators' AND entity_id = '{id}'"),
    );
    assert_eq!(audited[0].n, 6);
}

#[actix_web::test]
async fn figures_and_questions_are_checked() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let id = id_of(&app.enterprise(&json!({"uscc": uscc(2), "name": "甲", "street_id": street})).await);
    let put = |year: i32, body: Value| {
        let app = &app;
        let id = id.clone();
        async move {
            app.admin()
                .request(reqwest::Method::PUT, &format!("/api/v1/enterprises/{id}/indicators/{year}"))
                .json(&body)
                .send()
                .await
                .expect("request")
        }
    };
    assert_eq!(fields(&problem(put(2025, json!({"revenue": -1})).await, 422).await), ["revenue"]);
    assert_eq!(fields(&problem(put(2025, json!({"debt_ratio": 150.0})).await, 422).await), ["debt_ratio"]);
    assert_eq!(fields(&problem(put(1800, json!({})).await, 422).await), ["year"]);
    assert_eq!(fields(&problem(put(2099, json!({})).await, 422).await), ["year"]);
    assert_eq!(fields(&problem(put(2025, json!({"profit": 1})).await, 400).await), ["profit"]);
    let ask = |query: &str| {
        let (app, path) = (&app, format!("/api/v1/enterprises/{id}/eligibility?{query}"));
        async move { app.get(&path).await }
    };
    assert_eq!(fields(&problem(ask("tier=unicorn").await, 422).await), ["tier"]);
    assert_eq!(
        fields(&problem(ask("tier=srdi&on=2022-05-31").await, 422).await),
        ["tier"],
        "63号 dates from 2022-06-01"
    );
    assert_eq!(fields(&problem(ask("tier=hnte&on=2015-12-31").await, 422).await), ["tier"], "32号 took effect in 2016");
    assert_eq!(fields(&problem(ask("").await, 422).await), ["tier"]);
}
