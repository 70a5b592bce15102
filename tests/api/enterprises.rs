use crate::helpers::{TestApp, fields, id_of, problem, query, uscc};
use serde_json::{Value, json};

fn body(n: u32, street: &str) -> Value {
    json!({"uscc": uscc(n), "name": format!("深圳市测试{n}科技有限公司"), "street_id": street})
}

#[actix_web::test]
async fn registering_returns_the_enterprise_with_location_and_etag() {
    let app = TestApp::spawn().await;
    let (street, _, park) = app.streets().await;
    let response = app
        .post(
            "/api/v1/enterprises",
            &json!({
                "uscc": uscc(1).to_lowercase(),
                "name": "  深圳市星河智能装备有限公司 ",
                "street_id": street,
                "park_id": park,
                "cluster": "ai_robotics",
                "established_on": "2019-03-08",
                "address": "宝安区新安街道创业二路 1 号",
                "contact_name": "李工",
                "contact_phone": "+86 755-2777 0000",
                "employees": 120,
                "tags": ["重点企业", "上市后备", " 重点企业"]
            }),
        )
        .await;
    assert_eq!(response.status(), 201);
    let location = response.headers()["location"].to_str().expect("ascii").to_owned();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let created: Value = response.json().await.expect("json");
    assert_eq!(location, format!("/api/v1/enterprises/{}", id_of(&created)));
    // Normalised: upper-case USCC, trimmed name; starts at the bottom of the ladder.
    assert_eq!(created["uscc"], uscc(1));
    assert_eq!(created["name"], "深圳市星河智能装备有限公司");
    assert_eq!(created["tier"], "prospect");
    assert_eq!(created["tier_label"], "未入库");
    assert_eq!(created["version"], 1);
    assert_eq!(created["tags"], json!(["重点企业", "上市后备"]));
    assert_eq!(created["archived_at"], Value::Null);

    let read = app.get(&location).await;
    assert_eq!(read.status(), 200);
    assert_eq!(read.headers()["etag"], "\"1\"");
    assert_eq!(read.json::<Value>().await.expect("json"), created);
}

#[actix_web::test]
async fn invalid_usccs_are_422_on_uscc() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let mut wrong_check = uscc(2);
    let last = wrong_check.pop().expect("18 characters");
    wrong_check.push(if last == '0' { '1' } else { '0' });
    for (bad, says) in [
        ("91440300MA5", "18 characters"),
        (wrong_check.as_str(), "check character"),
        ("91440300MA5000O01X", "not allowed"),
    ] {
        let response =
            app.post("/api/v1/enterprises", &json!({"uscc": bad, "name": "某公司", "street_id": street})).await;
        let problem = problem(response, 422).await;
        assert_eq!(fields(&problem), ["uscc"], "{bad}");
        assert!(problem["errors"][0]["message"].as_str().is_some_and(|m| m.contains(says)), "{problem}");
    }
    let stored: Vec<Count> = query(&app, "SELECT count(*) AS n FROM enterprises");
    assert_eq!(stored[0].n, 0);
}

#[derive(diesel::QueryableByName)]
pub struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub n: i64,
}

#[actix_web::test]
async fn a_registered_uscc_cannot_be_registered_again() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    app.enterprise(&body(3, &street)).await;
    let again = json!({"uscc": uscc(3).to_lowercase(), "name": "另一家公司", "street_id": street});
    let problem = problem(app.post("/api/v1/enterprises", &again).await, 409).await;
    assert_eq!(fields(&problem), ["uscc"]);
    assert_eq!(problem["detail"], "an enterprise with this USCC already exists");
}

#[actix_web::test]
async fn every_invalid_field_is_named_at_once() {
    let app = TestApp::spawn().await;
    let (street, other, park) = app.streets().await;
    let response = app
        .post(
            "/api/v1/enterprises",
            &json!({
                "uscc": uscc(4), "name": "   ", "street_id": street, "cluster": "unicorns",
                "employees": -1, "contact_phone": "call me", "established_on": "2999-01-01",
                "tags": ["ok", ""]
            }),
        )
        .await;
    let all = problem(response, 422).await;
    assert_eq!(fields(&all), ["cluster", "contact_phone", "employees", "established_on", "name", "tags"]);

    // A park outside the street, and a street id that is a park.
    let response = app
        .post("/api/v1/enterprises", &json!({"uscc": uscc(4), "name": "甲", "street_id": other, "park_id": park}))
        .await;
    assert_eq!(fields(&problem(response, 422).await), ["park_id"]);
    let response = app.post("/api/v1/enterprises", &json!({"uscc": uscc(4), "name": "甲", "street_id": park})).await;
    assert_eq!(fields(&problem(response, 422).await), ["street_id"]);
    let response = app.post("/api/v1/enterprises", &json!({"uscc": uscc(4), "street_id": street})).await;
    let missing = problem(response, 422).await;
    assert_eq!(missing["errors"], json!([{"field": "name", "code": "required", "message": "is required"}]));
}

#[actix_web::test]
async fn malformed_requests_get_4xx_problems_never_500() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let send = |body: String| {
        app.admin()
            .request(reqwest::Method::POST, "/api/v1/enterprises")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let not_json = problem(send("{\"uscc\": ".into()).await.expect("request"), 400).await;
    assert!(not_json["detail"].as_str().is_some_and(|d| d.contains("not valid JSON")), "{not_json}");

    let wrong_type = json!({"uscc": uscc(5), "name": "甲", "street_id": street, "employees": "many"});
    let wrong_type = problem(send(wrong_type.to_string()).await.expect("request"), 400).await;
    assert_eq!(fields(&wrong_type), ["employees"]);

    let tier = json!({"uscc": uscc(5), "name": "甲", "street_id": street, "tier": "hnte"});
    let tier = problem(send(tier.to_string()).await.expect("request"), 400).await;
    assert_eq!(fields(&tier), ["tier"]);

    let bad_uuid = json!({"uscc": uscc(5), "name": "甲", "street_id": "not-a-uuid"});
    assert_eq!(fields(&problem(send(bad_uuid.to_string()).await.expect("request"), 400).await), ["street_id"]);

    let huge = json!({"uscc": uscc(5), "name": "名".repeat(1 << 20), "street_id": street});
    problem(send(huge.to_string()).await.expect("request"), 413).await;

    problem(app.get("/api/v1/enterprises/not-a-uuid").await, 404).await;
    problem(app.get(&format!("/api/v1/enterprises/{}", uuid::Uuid::now_v7())).await, 404).await;
    problem(app.get("/api/v1/no-such-thing").await, 404).await;
    // A method a documented address does not have is 405, naming the methods it has.
    let put = app.admin().request(reqwest::Method::PUT, "/api/v1/regions").send().await.expect("request");
    assert_eq!(put.headers()["allow"], "GET, POST");
    assert_eq!(problem(put, 405).await["type"], "tag:peiyu,2026:problem/method-not-allowed");
    // Also where another method's path would take the address for an id.
    let get = app.admin().request(reqwest::Method::GET, "/api/v1/requests/assignments").send().await.expect("request");
    assert_eq!(get.headers()["allow"], "POST");
    problem(get, 405).await;

    let stored: Vec<Count> = query(&app, "SELECT count(*) AS n FROM enterprises");
    assert_eq!(stored[0].n, 0);
}

#[actix_web::test]
async fn updates_need_the_current_version() {
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    let created =
        app.enterprise(&json!({"uscc": uscc(6), "name": "甲公司", "street_id": street, "address": "旧址"})).await;
    let path = format!("/api/v1/enterprises/{}", id_of(&created));

    problem(app.patch(&path, None, &json!({"name": "乙公司"})).await, 428).await;
    let stale = problem(app.patch(&path, Some("\"7\""), &json!({"name": "乙公司"})).await, 412).await;
    assert!(stale["detail"].as_str().is_some_and(|d| d.contains("current version 1")), "{stale}");

    let response =
        app.patch(&path, Some("\"1\""), &json!({"name": "乙公司", "address": null, "street_id": other})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    let updated: Value = response.json().await.expect("json");
    assert_eq!(updated["name"], "乙公司");
    assert_eq!(updated["address"], Value::Null);
    assert_eq!(updated["street_id"], other.as_str());
    assert_eq!(updated["uscc"], uscc(6));
    assert_eq!(updated["version"], 2);

    // The old version no longer matches; an unchanged body does not move the version.
    problem(app.patch(&path, Some("\"1\""), &json!({"name": "丙公司"})).await, 412).await;
    let same = app.patch(&path, Some("\"2\""), &json!({"name": "乙公司"})).await;
    assert_eq!(same.json::<Value>().await.expect("json")["version"], 2);

    // Invalid values are 422, a USCC taken by another enterprise 409, the tier not editable.
    app.enterprise(&body(7, &street)).await;
    assert_eq!(fields(&problem(app.patch(&path, Some("\"2\""), &json!({"name": ""})).await, 422).await), ["name"]);
    assert_eq!(fields(&problem(app.patch(&path, Some("\"2\""), &json!({"uscc": uscc(7)})).await, 409).await), ["uscc"]);
    assert_eq!(fields(&problem(app.patch(&path, Some("\"2\""), &json!({"tier": "hnte"})).await, 400).await), ["tier"]);
    let read: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!((read["name"].as_str(), read["version"].as_i64()), (Some("乙公司"), Some(2)));
}

#[actix_web::test]
async fn racing_updates_of_one_version_have_one_winner() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let created = app.enterprise(&body(8, &street)).await;
    let path = format!("/api/v1/enterprises/{}", id_of(&created));
    let bodies: Vec<Value> = (0..8).map(|i| json!({"employees": i})).collect();
    let attempts = bodies.iter().map(|body| app.patch(&path, Some("\"1\""), body));
    let statuses: Vec<u16> =
        futures_util::future::join_all(attempts).await.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 7, "{statuses:?}");
    let read: Value = app.get(&path).await.json().await.expect("json");
    assert_eq!(read["version"], 2);
}

#[actix_web::test]
async fn archived_enterprises_leave_the_list_but_stay_readable() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let kept = app.enterprise(&body(9, &street)).await;
    let archived = app.enterprise(&body(10, &street)).await;
    let path = format!("/api/v1/enterprises/{}", id_of(&archived));

    assert_eq!(app.delete(&path).await.status(), 204);
    assert_eq!(app.delete(&path).await.status(), 204);
    let read: Value = app.get(&path).await.json().await.expect("json");
    assert!(read["archived_at"].is_string(), "{read}");
    assert_eq!(read["version"], 2);
    let listed: Value = app.get("/api/v1/enterprises").await.json().await.expect("json");
    let ids: Vec<&str> = listed["items"].as_array().expect("items").iter().filter_map(|e| e["id"].as_str()).collect();
    assert_eq!(ids, [kept["id"].as_str().expect("id")]);
    problem(app.patch(&path, Some("\"2\""), &json!({"name": "新名"})).await, 409).await;
    problem(app.delete(&format!("/api/v1/enterprises/{}", uuid::Uuid::now_v7())).await, 404).await;
}

#[actix_web::test]
async fn paging_through_120_enterprises_has_no_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let mut registered = Vec::new();
    for n in 0..120 {
        registered.push(id_of(&app.enterprise(&body(100 + n, &street)).await));
    }
    registered.reverse(); // newest first

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/enterprises?limit=50&cursor={c}"),
            None => "/api/v1/enterprises?limit=50".to_owned(),
        };
        let page: Value = app.get(&path).await.json().await.expect("json");
        let items = page["items"].as_array().expect("items");
        sizes.push(items.len());
        seen.extend(items.iter().map(id_of));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(sizes, [50, 50, 20]);
    assert_eq!(seen, registered);

    let default: Value = app.get("/api/v1/enterprises").await.json().await.expect("json");
    assert_eq!(default["items"].as_array().map(Vec::len), Some(50));
    assert_eq!(fields(&problem(app.get("/api/v1/enterprises?limit=201").await, 422).await), ["limit"]);
    assert_eq!(fields(&problem(app.get("/api/v1/enterprises?limit=lots").await, 400).await), ["limit"]);
    assert_eq!(fields(&problem(app.get("/api/v1/enterprises?cursor=garbage").await, 422).await), ["cursor"]);
}

#[actix_web::test]
async fn lists_filter_by_name_fragment_uscc_prefix_tier_street_and_cluster() {
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    let huawei = app
        .enterprise(
            &json!({"uscc": uscc(201), "name": "华为技术有限公司", "street_id": street, "cluster": "next_gen_it"}),
        )
        .await;
    let byd = app
        .enterprise(
            &json!({"uscc": uscc(202), "name": "比亚迪股份有限公司", "street_id": other, "cluster": "new_energy"}),
        )
        .await;
    let dji = app
        .enterprise(&json!({"uscc": uscc(203), "name": "DJI 大疆创新 100%_Tech", "street_id": street, "cluster": "ai_robotics"}))
        .await;

    let names = |list: Value| -> Vec<String> {
        list["items"].as_array().expect("items").iter().map(|e| e["name"].as_str().unwrap_or("").to_owned()).collect()
    };
    let list = |query: String| {
        let app = &app;
        async move { app.get(&format!("/api/v1/enterprises?{query}")).await.json::<Value>().await.expect("json") }
    };
    let q = |text: &str| format!("q={}", form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>());

    assert_eq!(names(list(q("华为")).await), ["华为技术有限公司"]);
    assert_eq!(names(list(q("为")).await), ["华为技术有限公司"]);
    assert_eq!(names(list(q("比亚迪股份")).await), ["比亚迪股份有限公司"]);
    assert_eq!(names(list(q("有限公司")).await), ["比亚迪股份有限公司", "华为技术有限公司"]);
    assert_eq!(names(list(q("华迪")).await), Vec::<String>::new());
    assert_eq!(names(list(q("dji")).await), ["DJI 大疆创新 100%_Tech"]);
    assert_eq!(names(list(q("100%_")).await), ["DJI 大疆创新 100%_Tech"]);
    assert_eq!(names(list(q("0%x")).await), Vec::<String>::new());
    // USCC prefixes: the whole family, then one code.
    assert_eq!(names(list(q("91440300ma5")).await).len(), 3);
    assert_eq!(names(list(q(&uscc(202))).await), ["比亚迪股份有限公司"]);

    assert_eq!(names(list(format!("street_id={street}")).await), [dji["name"].clone(), huawei["name"].clone()]);
    assert_eq!(names(list(format!("street_id={other}&cluster=new_energy")).await), [byd["name"].clone()]);
    assert_eq!(names(list(format!("street_id={street}&{}", q("比亚迪"))).await), Vec::<String>::new());
    assert_eq!(names(list("tier=prospect".into()).await).len(), 3);
    assert_eq!(names(list("tier=hnte".into()).await), Vec::<String>::new());
    assert_eq!(fields(&problem(app.get("/api/v1/enterprises?tier=unicorn").await, 422).await), ["tier"]);
    assert_eq!(fields(&problem(app.get("/api/v1/enterprises?cluster=x").await, 422).await), ["cluster"]);
    assert_eq!(fields(&problem(app.get("/api/v1/enterprises?street_id=x").await, 422).await), ["street_id"]);
}

#[derive(Debug, diesel::QueryableByName)]
struct AuditRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    action: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    actor_kind: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    before_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    after_name: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    has_request_id: bool,
}

#[actix_web::test]
async fn every_change_is_audited_with_before_and_after() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let created = app.enterprise(&json!({"uscc": uscc(300), "name": "甲公司", "street_id": street})).await;
    let id = id_of(&created);
    let path = format!("/api/v1/enterprises/{id}");
    assert_eq!(app.patch(&path, Some("\"1\""), &json!({"name": "乙公司"})).await.status(), 200);
    // Refused changes leave no trace.
    assert_eq!(app.patch(&path, Some("\"1\""), &json!({"name": "丙公司"})).await.status(), 412);
    assert_eq!(app.delete(&path).await.status(), 204);
    assert_eq!(app.delete(&path).await.status(), 204);

    let rows: Vec<AuditRow> = query(
        &app,
        &format!(
            "SELECT action, actor_kind, before->>'name' AS before_name, after->>'name' AS after_name,
                    request_id IS NOT NULL AS has_request_id
             FROM audit_log WHERE entity = 'enterprise' AND entity_id = '{id}' ORDER BY id"
        ),
    );
    let summary: Vec<_> =
        rows.iter().map(|r| (r.action.as_str(), r.before_name.as_deref(), r.after_name.as_deref())).collect();
    assert_eq!(
        summary,
        [
            ("create", None, Some("甲公司")),
            ("update", Some("甲公司"), Some("乙公司")),
            ("archive", Some("乙公司"), Some("乙公司"))
        ]
    );
    assert!(rows.iter().all(|r| r.actor_kind == "user" && r.has_request_id), "{rows:?}");
}
