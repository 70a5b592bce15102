//! An enterprise that moves street takes its visits, requests and applications along: the
//! old street's counselor finds none of them, by any path, and the new street's finds all.

use crate::console::Console;
use crate::helpers::{TestApp, count, id_of, uscc};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// What one enterprise of 新安 has when it moves: a visit with a demand (open), a second
/// request assigned to 新安's counselor, and an application being prepared.
struct Records {
    enterprise: String,
    visit: String,
    demand: String,
    assigned: String,
    application: String,
}

async fn records_in_xinan(app: &TestApp, counselor: &str, counselor_id: &str, street: &str, n: u32) -> Records {
    let as_counselor = app.with_token(counselor);
    let enterprise =
        id_of(&app.enterprise(&json!({"uscc": uscc(n), "name": format!("迁移企业{n}"), "street_id": street})).await);
    let visit = json!({
        "visited_at": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339(),
        "channel": "onsite",
        "purposes": ["demand_collection"],
        "summary": "了解搬迁计划",
        "follow_up_on": (chrono::Utc::now() + chrono::Duration::days(2)).date_naive().to_string(),
        "requests": [{"category": "space", "priority": "high", "title": format!("新厂房{n}"), "description": "2000 平方米"}],
    });
    let visited = as_counselor.post(&format!("/api/v1/enterprises/{enterprise}/visits"), &visit).await;
    assert_eq!(visited.status(), 201);
    let visited: Value = visited.json().await.expect("json");
    let demand = id_of(&visited["requests"][0]);
    let raised = as_counselor
        .post(
            &format!("/api/v1/enterprises/{enterprise}/requests"),
            &json!({"category": "talent", "priority": "normal", "title": format!("人才公寓{n}"), "description": "5 套"}),
        )
        .await;
    let assigned = id_of(&raised.json::<Value>().await.expect("json"));
    let assign = json!({"action": "assign", "assignee_id": counselor_id});
    assert_eq!(as_counselor.post(&format!("/api/v1/requests/{assigned}/transitions"), &assign).await.status(), 200);
    let applied = as_counselor
        .post(&format!("/api/v1/enterprises/{enterprise}/applications"), &json!({"tier": "hnte", "batch_year": 2026}))
        .await;
    assert_eq!(applied.status(), 201);
    let application = id_of(&applied.json::<Value>().await.expect("json"));
    Records { enterprise, visit: id_of(&visited), demand, assigned, application }
}

fn ids(list: &Value) -> Vec<String> {
    list["items"].as_array().expect("items").iter().map(id_of).collect()
}

/// Every read and write of the records that the old street's counselor tries is 404, and
/// the lists and the agenda no longer hold them.
async fn gone_for(app: &TestApp, counselor: &str, records: &Records) {
    let as_counselor = app.with_token(counselor);
    let Records { enterprise, visit, demand, assigned, application } = records;
    for path in [
        format!("/api/v1/enterprises/{enterprise}"),
        format!("/api/v1/enterprises/{enterprise}/visits"),
        format!("/api/v1/requests/{demand}"),
        format!("/api/v1/requests/{assigned}"),
        format!("/api/v1/applications/{application}"),
    ] {
        assert_eq!(as_counselor.get(&path).await.status(), 404, "{path}");
    }
    let writes = [
        (format!("/api/v1/requests/{demand}/transitions"), json!({"action": "reject", "note": "不归我管"})),
        (format!("/api/v1/requests/{assigned}/transitions"), json!({"action": "escalate"})),
        (format!("/api/v1/applications/{application}/transitions"), json!({"action": "pre_review"})),
    ];
    for (path, body) in writes {
        assert_eq!(as_counselor.post(&path, &body).await.status(), 404, "{path}");
    }
    let edit = as_counselor.patch(&format!("/api/v1/visits/{visit}"), Some("\"1\""), &json!({"summary": "改"})).await;
    assert_eq!(edit.status(), 404);
    for list in ["/api/v1/visits", "/api/v1/requests", "/api/v1/applications?batch_year=2026"] {
        let listed: Value = as_counselor.get(list).await.json().await.expect("json");
        assert!(
            ids(&listed).iter().all(|id| ![visit, demand, assigned, application].contains(&id)),
            "{list}: {listed}"
        );
    }
}

#[actix_web::test]
async fn a_moved_enterprise_takes_its_visits_requests_and_applications_to_the_new_street() {
    let app = TestApp::spawn().await;
    let (xinan, xixiang, _) = app.streets().await;
    let (li_id, li) = app.user("li.xinan", "counselor", &[&xinan]).await;
    let (_, wang) = app.user("wang.xixiang", "counselor", &[&xixiang]).await;
    let records = records_in_xinan(&app, &li, &li_id, &xinan, 1).await;
    let (mut li_console, mut wang_console) =
        (Console::signed_in(&app, "li.xinan").await, Console::signed_in(&app, "wang.xixiang").await);
    assert!(li_console.page("/").await.contains("新厂房1"));

    let moved = app
        .patch(&format!("/api/v1/enterprises/{}", records.enterprise), Some("\"1\""), &json!({"street_id": xixiang}))
        .await;
    assert_eq!(moved.status(), 200);

    gone_for(&app, &li, &records).await;
    let agenda = li_console.page("/").await;
    assert!(!agenda.contains("新厂房1") && !agenda.contains("人才公寓1"), "{agenda}");
    let (status, _) = li_console.get(&format!("/requests/{}", records.demand)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // 西乡 sees all of it, and the request 新安's counselor held is back to be taken there.
    let as_wang = app.with_token(&wang);
    for path in [
        format!("/api/v1/requests/{}", records.demand),
        format!("/api/v1/applications/{}", records.application),
        format!("/api/v1/enterprises/{}/visits", records.enterprise),
    ] {
        assert_eq!(as_wang.get(&path).await.status(), 200, "{path}");
    }
    let released: Value =
        as_wang.get(&format!("/api/v1/requests/{}", records.assigned)).await.json().await.expect("json");
    assert_eq!((released["status"].as_str(), released["assignee_id"].as_str()), (Some("open"), None), "{released}");
    let last = released["transitions"].as_array().and_then(|t| t.last()).cloned().unwrap_or_default();
    assert_eq!((last["action"].as_str(), last["from_status"].as_str()), (Some("release"), Some("assigned")));
    assert_eq!(last["actor_id"], app.admin_id.as_str());
    let listed: Value = as_wang.get("/api/v1/visits").await.json().await.expect("json");
    assert_eq!(ids(&listed), std::slice::from_ref(&records.visit));
    let listed: Value = as_wang.get("/api/v1/requests").await.json().await.expect("json");
    assert_eq!(ids(&listed).len(), 2);
    let pre_review = json!({"action": "pre_review"});
    let path = format!("/api/v1/applications/{}/transitions", records.application);
    assert_eq!(as_wang.post(&path, &pre_review).await.status(), 200);
    let agenda = wang_console.page("/").await;
    assert!(agenda.contains("新厂房1") && agenda.contains("人才公寓1"), "{agenda}");
    let page = wang_console.page(&format!("/requests/{}", records.assigned)).await;
    assert!(page.contains("企业迁出街道，退回待受理"), "{page}");

    // The counters by street moved with them; nothing of the enterprise is left in 新安.
    let left_behind = format!(
        "SELECT (SELECT count(*) FROM visits WHERE street_id = '{xinan}')
              + (SELECT count(*) FROM service_requests WHERE street_id = '{xinan}')
              + (SELECT count(*) FROM applications WHERE street_id = '{xinan}')
              + (SELECT coalesce(sum(n), 0) FROM application_counts WHERE street_id = '{xinan}') AS n"
    );
    assert_eq!(count(&app, &left_behind), 0);
    // The move of the request is audited as the mover's.
    let audited = count(&app, "SELECT count(*) AS n FROM audit_log WHERE action = 'release' AND actor_kind = 'user'");
    assert_eq!(audited, 1);
}

#[actix_web::test]
async fn a_roster_import_that_moves_an_enterprise_moves_its_records_too() {
    let app = TestApp::spawn().await;
    let (xinan, xixiang, _) = app.streets().await;
    let (li_id, li) = app.user("li.xinan", "counselor", &[&xinan]).await;
    let (_, manager) = app.user("zhang.ju", "manager", &[]).await;
    let records = records_in_xinan(&app, &li, &li_id, &xinan, 2).await;

    let roster = format!("统一社会信用代码,企业名称,所属街道\n{},迁移企业2,西乡街道\n", uscc(2));
    let part = reqwest::multipart::Part::bytes(roster.into_bytes()).file_name("企业名录.csv");
    let imported = app
        .with_token(&manager)
        .request(reqwest::Method::POST, "/api/v1/imports?kind=enterprises")
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("request");
    assert_eq!(imported.status(), 200);
    assert_eq!(imported.json::<Value>().await.expect("json")["updated"], 1);

    gone_for(&app, &li, &records).await;
    let released: Value = app.get(&format!("/api/v1/requests/{}", records.assigned)).await.json().await.expect("json");
    assert_eq!(released["status"], "open", "{released}");
    let moved = format!("SELECT count(*) AS n FROM service_requests WHERE street_id = '{xixiang}'");
    assert_eq!(count(&app, &moved), 2);
}

#[actix_web::test]
async fn a_record_cannot_be_placed_in_another_street_than_its_enterprise() {
    let app = TestApp::spawn().await;
    let (xinan, xixiang, _) = app.streets().await;
    let (li_id, li) = app.user("li.xinan", "counselor", &[&xinan]).await;
    let records = records_in_xinan(&app, &li, &li_id, &xinan, 3).await;
    // Even SQL by hand cannot leave a record in a street its enterprise is not in.
    crate::helpers::run_sql(
        &app,
        &format!(
            "UPDATE visits SET street_id = '{xixiang}';
             UPDATE service_requests SET street_id = '{xixiang}';
             UPDATE applications SET street_id = '{xixiang}';"
        ),
    );
    let strays = format!(
        "SELECT (SELECT count(*) FROM visits WHERE street_id <> '{xinan}')
              + (SELECT count(*) FROM service_requests WHERE street_id <> '{xinan}')
              + (SELECT count(*) FROM applications WHERE street_id <> '{xinan}') AS n"
    );
    assert_eq!(count(&app, &strays), 0);
    assert_eq!(app.with_token(&li).get(&format!("/api/v1/requests/{}", records.demand)).await.status(), 200);
}
