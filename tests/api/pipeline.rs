//! The pipeline summary, from maintained counters.

use crate::helpers::{TestApp, fields, id_of, problem, uscc};
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
