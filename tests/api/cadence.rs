//! Visit cadence: who is due for a visit by their rung (or this year's application), and
//! coverage measured against each rung's cadence.

use crate::fixtures::{self, District};
use crate::helpers::{TestApp, days_ago};
use chrono::{Duration, Utc};
use serde_json::{Value, json};

#[actix_web::test]
async fn enterprises_are_due_for_a_visit_by_their_rungs_cadence_the_most_overdue_first() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let counselor = district.counselor.api(&app);
    // (name, rung, days since the last visit): 小巨人 every 30 days, 国高 90, 未入库 180.
    let cases = [
        ("从未走访", "prospect", None),
        ("小巨人久未走访", "little_giant", Some(45)),
        ("小巨人刚走访", "little_giant", Some(10)),
        ("国高百日未访", "hnte", Some(100)),
        ("未入库百日未访", "prospect", Some(100)),
        ("申报中的企业", "prospect", Some(35)),
    ];
    let mut ids = Vec::new();
    for (name, rung, visited) in cases {
        let id = district.enterprise(name).create().await;
        if rung != "prospect" {
            let promotion = json!({"to_tier": rung, "effective_on": days_ago(200)});
            assert_eq!(app.post(&format!("/api/v1/enterprises/{id}/promotions"), &promotion).await.status(), 201);
        }
        if let Some(days) = visited {
            let visit = json!({"visited_at": (Utc::now() - Duration::days(days)).to_rfc3339(), "channel": "onsite",
                "purposes": ["policy_briefing"], "summary": "例行走访"});
            assert_eq!(counselor.post(&format!("/api/v1/enterprises/{id}/visits"), &visit).await.status(), 201);
        }
        ids.push(id);
    }
    // In this year's application batch: every 30 days, whatever its rung.
    fixtures::application(&app, &ids[5], "tech_sme", &[]).await;

    let agenda: Value = counselor.get("/api/v1/me/agenda").await.json().await.expect("json");
    let due: Vec<_> = agenda["due_for_visit"]
        .as_array()
        .expect("due_for_visit")
        .iter()
        .map(|d| (d["name"].as_str().unwrap_or("").to_owned(), d["every_days"].as_u64(), d["applying"].as_bool()))
        .collect();
    // The 国高 certified 200 days ago owes its 2025 report (overdue since 31 May): while it
    // owes, it is visited every 30 days rather than its rung's 90.
    let expected = [
        ("从未走访", 180, false),
        ("国高百日未访", 30, false),
        ("小巨人久未走访", 30, false),
        ("申报中的企业", 30, true),
    ];
    assert_eq!(due, expected.map(|(n, d, a)| (n.to_owned(), Some(d), Some(a))), "{agenda}");
    assert_eq!(agenda["due_for_visit"][1]["owing"], true, "{agenda}");
    assert!(agenda["due_for_visit"][0]["due_on"].is_null(), "never visited");

    // Coverage against cadence: a rung's enterprises visited within its cadence.
    let coverage: Value = counselor.get("/api/v1/pipeline/coverage?days=90").await.json().await.expect("json");
    let cadence = &coverage["cadence"];
    let tier = |code: &str| {
        let row = cadence["by_tier"].as_array().expect("by_tier").iter().find(|t| t["tier"] == code).cloned();
        row.map(|t| (t["visit_every_days"].as_u64(), t["enterprises"].as_i64(), t["visited"].as_i64()))
    };
    assert_eq!(tier("little_giant"), Some((Some(30), Some(2), Some(1))));
    assert_eq!(tier("hnte"), Some((Some(90), Some(1), Some(0))));
    assert_eq!(tier("prospect"), Some((Some(180), Some(3), Some(2))));
    assert_eq!((cadence["enterprises"].as_i64(), cadence["visited"].as_i64()), (Some(6), Some(3)));
    // The 90-day window counts otherwise: the 100-day-old visits are out of it.
    assert_eq!(coverage["visited"].as_i64(), Some(3));

    // The console's 我的待办 says the cadence and how late.
    let mut console = crate::console::Console::signed_in(&app, "li.xinan").await;
    let home = console.page("/").await;
    assert!(
        home.contains("应走访")
            && home.contains("申报期间每 30 天走访一次")
            && home.contains("有义务临近截止，每 30 天走访一次")
    );
}
