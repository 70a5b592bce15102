//! The service desk: stages counted in working time, extension, callback, urges and
//! supervision, transfer, the inbox's filters, and requests from before the desk.

use crate::fixtures::{self, District};
use crate::helpers::{TestApp, database_at, drop_database, fields, problem, run_sql};
use chrono::{DateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use peiyu::config::{Catalog, Settings};
use peiyu::domain::service_request::{Escalation, Stage};
use peiyu::service::desk::{self, Notice, Notifier};
use serde_json::{Value, json};
use std::sync::Mutex;

fn catalog() -> Catalog {
    Settings::load().expect("settings").catalog().expect("catalog")
}

fn at(value: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(value.as_str().unwrap_or_else(|| panic!("a moment: {value}"))).expect("date").to_utc()
}

/// The stages as (stage, done?, overdue) for a glance.
fn stages(request: &Value) -> Vec<(String, bool, bool)> {
    request["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| (s["stage"].as_str().unwrap_or("").to_owned(), s["done_at"].is_string(), s["overdue"] == true))
        .collect()
}

fn stage(request: &Value, name: &str) -> Value {
    request["stages"].as_array().expect("stages").iter().find(|s| s["stage"] == name).cloned().unwrap_or(Value::Null)
}

async fn moved(as_: &crate::helpers::As<'_>, request: &str, body: Value) -> Value {
    let response = as_.post(&format!("/api/v1/requests/{request}/transitions"), &body).await;
    assert_eq!(response.status(), 200, "{body}");
    response.json().await.expect("json")
}

/// A policy demand (5 working days to 办结) raised by the counselor of 新安.
async fn raised(district: &District<'_>, enterprise: &str, title: &str) -> Value {
    let body = json!({"category": "policy", "priority": "normal", "title": title, "description": "研发补助政策咨询"});
    let response =
        district.counselor.api(district.app).post(&format!("/api/v1/enterprises/{enterprise}/requests"), &body).await;
    assert_eq!(response.status(), 201);
    response.json().await.expect("json")
}

fn id(request: &Value) -> String {
    request["id"].as_str().expect("id").to_owned()
}

#[actix_web::test]
async fn each_stage_is_done_by_its_move_and_counted_in_working_time() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let counselor = district.counselor.api(&app);
    let calendar = catalog().calendar;
    let request = raised(&district, &enterprise, "研发补助咨询").await;
    let raised_at = at(&request["created_at"]);
    // 签收 in 2 working hours, 首次联系 in 1 working day, 办结 in 5 (policy, normal).
    assert_eq!(at(&stage(&request, "acknowledge")["due_at"]), calendar.working_hours_after(raised_at, 2));
    assert_eq!(at(&stage(&request, "contact")["due_at"]), calendar.working_days_after(raised_at, 1));
    assert_eq!(at(&request["due_at"]), calendar.working_days_after(raised_at, 5));
    assert_eq!(request["stage"], "acknowledge");
    let id = id(&request);

    let taken = moved(&counselor, &id, json!({"action": "acknowledge"})).await;
    assert_eq!(
        (taken["status"].as_str(), taken["assignee_id"].clone()),
        (Some("assigned"), json!(district.counselor.id))
    );
    assert_eq!(taken["stage"], "contact");
    assert!(stage(&taken, "acknowledge")["done_at"].is_string());

    let silent = counselor.post(&format!("/api/v1/requests/{id}/transitions"), &json!({"action": "contact"})).await;
    assert_eq!(fields(&problem(silent, 422).await), ["note"]);
    let contacted =
        moved(&counselor, &id, json!({"action": "contact", "note": "电话联系，企业补充了研发费用明细"})).await;
    assert_eq!((contacted["status"].as_str(), contacted["stage"].as_str()), (Some("in_progress"), Some("resolve")));

    let resolved = moved(&counselor, &id, json!({"action": "resolve", "note": "已讲解申报条件"})).await;
    let callback_due = calendar.working_days_after(at(&resolved["resolved_at"]), 3);
    assert_eq!(at(&stage(&resolved, "callback")["due_at"]), callback_due);
    assert_eq!(resolved["stage"], "callback");

    // A callback names how the enterprise was reached and how satisfied it is.
    let bare = counselor.post(&format!("/api/v1/requests/{id}/transitions"), &json!({"action": "callback"})).await;
    assert_eq!(fields(&problem(bare, 422).await), ["channel", "satisfaction"]);
    // Not satisfied: back to its handler with a new 办结 deadline.
    let unhappy = moved(
        &counselor,
        &id,
        json!({"action": "callback", "satisfaction": 2, "channel": "phone", "note": "未讲清楚"}),
    )
    .await;
    assert_eq!((unhappy["status"].as_str(), unhappy["stage"].as_str()), (Some("assigned"), Some("resolve")));
    assert_eq!((unhappy["reopened"].as_i64(), unhappy["callbacks"].as_i64()), (Some(1), Some(1)));
    assert!(unhappy["resolved_at"].is_null() && stage(&unhappy, "callback").is_null());
    let last = unhappy["transitions"].as_array().expect("history").last().cloned().expect("a step");
    assert_eq!((last["action"].as_str(), last["to_status"].as_str()), (Some("callback"), Some("assigned")));
    assert!(at(&unhappy["due_at"]) >= calendar.working_days_after(at(&last["at"]), 5) - chrono::Duration::seconds(1));

    moved(&counselor, &id, json!({"action": "resolve"})).await;
    let closed = moved(&counselor, &id, json!({"action": "callback", "satisfaction": 5, "channel": "onsite"})).await;
    assert_eq!((closed["status"].as_str(), closed["satisfaction"].as_i64()), (Some("closed"), Some(5)));
    assert_eq!((closed["callbacks"].as_i64(), closed["stage"].clone()), (Some(2), Value::Null));
    assert_eq!(closed["callback_channel"], "onsite");
    let actions: Vec<_> =
        closed["transitions"].as_array().expect("history").iter().map(|t| t["action"].as_str().unwrap_or("")).collect();
    assert_eq!(actions, ["raise", "acknowledge", "contact", "resolve", "callback", "resolve", "callback"]);
    assert!(stages(&closed).iter().all(|(_, done, _)| *done), "{:?}", stages(&closed));

    // The report counts it: every stage done, one callback of two reopened it.
    let report: Value = app.get("/api/v1/pipeline/requests").await.json().await.expect("json");
    let desk = &report["desk"];
    assert_eq!(desk["raised"], 1);
    assert_eq!((desk["callbacks"].as_i64(), desk["reopened"].as_i64()), (Some(2), Some(1)));
    assert_eq!((desk["callback_satisfaction"].as_f64(), desk["reopen_rate"].as_f64()), (Some(3.5), Some(0.5)));
    let on_time: Vec<_> = desk["stages"].as_array().expect("stages").iter().map(|s| s["on_time"].as_i64()).collect();
    assert_eq!(on_time, [Some(1), Some(1), Some(1), Some(1)], "{desk}");
}

#[actix_web::test]
async fn an_extension_needs_a_reason_and_a_managers_answer() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let (counselor, manager) = (district.counselor.api(&app), district.manager.api(&app));
    let calendar = catalog().calendar;
    let id = id(&raised(&district, &enterprise, "人才公寓").await);
    moved(&counselor, &id, json!({"action": "acknowledge"})).await;
    let path = format!("/api/v1/requests/{id}/transitions");

    let no_reason = counselor.post(&path, &json!({"action": "extend", "days": 3})).await;
    assert_eq!(fields(&problem(no_reason, 422).await), ["note"]);
    let too_long = counselor.post(&path, &json!({"action": "extend", "days": 30, "note": "等待评审"})).await;
    assert_eq!(fields(&problem(too_long, 422).await), ["days"]);
    let asked = moved(&counselor, &id, json!({"action": "extend", "days": 3, "note": "需等待区人才办评审"})).await;
    assert_eq!(asked["extension_days"], 3);
    let allowed = asked["allowed_actions"].as_array().expect("allowed");
    assert!(allowed.contains(&json!("approve_extension")) && !allowed.contains(&json!("extend")), "{allowed:?}");
    let again = counselor.post(&path, &json!({"action": "extend", "days": 1, "note": "再等等"})).await;
    assert_eq!(problem(again, 409).await["code"], "extension_pending");

    // Only the bureau answers.
    assert_eq!(counselor.post(&path, &json!({"action": "approve_extension"})).await.status(), 403);
    let approved = moved(&manager, &id, json!({"action": "approve_extension"})).await;
    assert_eq!(at(&approved["due_at"]), calendar.working_days_after(at(&asked["due_at"]), 3));
    assert_eq!((approved["extensions"].as_i64(), approved["extension_days"].clone()), (Some(1), Value::Null));
    let audited = crate::helpers::count(
        &app,
        &format!("SELECT count(*) AS n FROM audit_log WHERE entity_id = '{id}' AND action = 'approve_extension'"),
    );
    assert_eq!(audited, 1);
    // One extension per request (configured).
    let used_up = counselor.post(&path, &json!({"action": "extend", "days": 2, "note": "还需时间"})).await;
    assert_eq!(problem(used_up, 409).await["code"], "extensions_used_up");

    // A refusal says why and leaves the deadline.
    let other = id_of_raised(&district, &enterprise, "融资对接").await;
    moved(&counselor, &other, json!({"action": "acknowledge"})).await;
    let before = moved(&counselor, &other, json!({"action": "extend", "days": 2, "note": "银行审批中"})).await;
    let other_path = format!("/api/v1/requests/{other}/transitions");
    let bare = manager.post(&other_path, &json!({"action": "refuse_extension"})).await;
    assert_eq!(fields(&problem(bare, 422).await), ["note"]);
    let refused = moved(&manager, &other, json!({"action": "refuse_extension", "note": "请按期办结"})).await;
    assert_eq!((refused["due_at"].clone(), refused["extension_days"].clone()), (before["due_at"].clone(), Value::Null));
    let none = manager.post(&other_path, &json!({"action": "approve_extension"})).await;
    assert_eq!(problem(none, 409).await["code"], "no_extension_asked");
}

async fn id_of_raised(district: &District<'_>, enterprise: &str, title: &str) -> String {
    id(&raised(district, enterprise, title).await)
}

/// Keeps what the desk told, for the test to read.
#[derive(Default)]
struct Told(Mutex<Vec<(Escalation, Stage, usize)>>);

impl Notifier for Told {
    fn notify(&self, notice: &Notice<'_>) {
        self.0.lock().expect("lock").push((notice.escalation, notice.stage, notice.recipients.len()));
    }
}

#[actix_web::test]
async fn late_stages_are_urged_then_supervised_and_shown_to_whom_they_concern() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let (counselor, manager) = (district.counselor.api(&app), district.manager.api(&app));
    let id = id(&raised(&district, &enterprise, "专利布局").await);
    moved(&counselor, &id, json!({"action": "acknowledge"})).await;
    let told = Told::default();
    let escalate = || {
        let mut conn = PgConnection::establish(&app.database_url).expect("connect");
        desk::escalate(&mut conn, &told, Utc::now()).expect("escalation runs")
    };
    assert_eq!((escalate().urged, escalate().supervised), (0, 0), "nothing is due yet");

    // 首次联系 has used its share of time: the handler is urged, once.
    run_sql(&app, &format!("UPDATE service_requests SET urge_at = now() - interval '1 minute' WHERE id = '{id}'"));
    let run = escalate();
    assert_eq!((run.urged, run.supervised), (1, 0));
    assert_eq!(escalate().urged, 0, "urged once");
    assert_eq!(told.0.lock().expect("lock").as_slice(), [(Escalation::Urge, Stage::Contact, 1)]);
    let agenda: Value = counselor.get("/api/v1/me/agenda").await.json().await.expect("json");
    assert_eq!(agenda["urged_requests"][0]["id"], id.as_str(), "{agenda}");

    // Past due: the managers who oversee the street are told (督办).
    run_sql(&app, &format!("UPDATE service_requests SET stage_due_at = now() - interval '1 minute' WHERE id = '{id}'"));
    let run = escalate();
    assert_eq!((run.urged, run.supervised), (0, 1));
    let last = told.0.lock().expect("lock").last().copied();
    // The seeded admin and 陈局 oversee every street.
    assert_eq!(last, Some((Escalation::Supervise, Stage::Contact, 2)));
    let request: Value = manager.get(&format!("/api/v1/requests/{id}")).await.json().await.expect("json");
    let steps: Vec<_> = request["transitions"]
        .as_array()
        .expect("history")
        .iter()
        .map(|t| (t["action"].clone(), t["note"].clone()))
        .collect();
    assert_eq!(steps[2..], [(json!("urge"), json!("首次联系")), (json!("supervise"), json!("首次联系"))]);
    assert!(request["supervised_at"].is_string() && request["overdue"] == true);
    let agenda: Value = manager.get("/api/v1/me/agenda").await.json().await.expect("json");
    assert_eq!(agenda["supervised_requests"][0]["id"], id.as_str(), "{agenda}");

    // The inbox finds it by stage and as escalated; the counselor of another street does not.
    let ids = |page: Value| -> Vec<String> {
        page["items"].as_array().expect("items").iter().map(|r| r["id"].as_str().unwrap_or("").to_owned()).collect()
    };
    let list = |query: &'static str| {
        let manager = &manager;
        async move { ids(manager.get(&format!("/api/v1/requests?{query}")).await.json().await.expect("json")) }
    };
    assert_eq!(list("overdue_stage=contact").await, [id.as_str()]);
    assert!(list("overdue_stage=resolve").await.is_empty());
    assert_eq!(list("escalated=true").await, [id.as_str()]);
    assert!(list("unassigned=true").await.is_empty());
    let elsewhere: Value =
        district.other_counselor.api(&app).get("/api/v1/requests?escalated=true").await.json().await.expect("json");
    assert_eq!(elsewhere["items"], json!([]));

    // Contact made: the next stage starts afresh, neither urged nor supervised.
    let contacted = moved(&counselor, &id, json!({"action": "contact", "note": "已上门"})).await;
    assert_eq!((contacted["urged_at"].clone(), contacted["supervised_at"].clone()), (Value::Null, Value::Null));
    assert!(list("escalated=true").await.is_empty());
}

#[actix_web::test]
async fn a_transferred_request_leaves_the_old_holders_view() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let (xinan, xixiang, manager) =
        (district.counselor.api(&app), district.other_counselor.api(&app), district.manager.api(&app));
    let id = id(&raised(&district, &enterprise, "用地咨询").await);
    let path = format!("/api/v1/requests/{id}/transitions");
    let url = format!("/api/v1/requests/{id}");

    let to_xixiang = json!({"action": "transfer", "street_id": district.xixiang, "note": "企业实际经营地在西乡"});
    assert_eq!(xinan.post(&path, &to_xixiang).await.status(), 403, "the bureau hands requests over");
    let silent = json!({"action": "transfer", "street_id": district.xixiang});
    assert_eq!(xinan.post(&path, &silent).await.status(), 403, "forbidden before the note is asked for");
    let both = json!({"action": "transfer", "street_id": district.xixiang, "department": "hrss", "note": "x"});
    assert_eq!(fields(&problem(manager.post(&path, &both).await, 422).await), ["street_id"]);
    let nowhere = json!({"action": "transfer", "department": "weather", "note": "x"});
    assert_eq!(fields(&problem(manager.post(&path, &nowhere).await, 422).await), ["department"]);

    let here = json!({"action": "transfer", "street_id": district.xinan, "note": "x"});
    assert_eq!(problem(manager.post(&path, &here).await, 409).await["code"], "already_held");
    let handed = moved(&manager, &id, to_xixiang.clone()).await;
    assert_eq!(problem(manager.post(&path, &to_xixiang).await, 409).await["code"], "already_held");
    assert_eq!((handed["street_id"].clone(), handed["status"].as_str()), (json!(district.xixiang), Some("open")));
    assert_eq!(handed["stage"], "acknowledge", "the new holder signs for it");
    let due = |name: &str| at(&stage(&handed, name)["due_at"]);
    assert!(due("contact") >= due("acknowledge"), "and reaches the enterprise after signing for it");
    assert_eq!((xinan.get(&url).await.status().as_u16(), xixiang.get(&url).await.status().as_u16()), (404, 200));
    moved(&xixiang, &id, json!({"action": "acknowledge"})).await;
    let back = moved(&xixiang, &id, json!({"action": "return", "note": "经核实仍在新安经营"})).await;
    assert_eq!((back["street_id"].clone(), back["assignee_id"].clone()), (json!(district.xinan), Value::Null));
    assert_eq!((xinan.get(&url).await.status().as_u16(), xixiang.get(&url).await.status().as_u16()), (200, 404));
    let again = xinan.post(&path, &json!({"action": "return", "note": "x"})).await;
    assert_eq!(problem(again, 409).await["code"], "not_transferred");

    let to_department =
        moved(&manager, &id, json!({"action": "transfer", "department": "planning", "note": "用地审批"})).await;
    assert_eq!(
        (to_department["department"].as_str(), to_department["street_id"].clone()),
        (Some("planning"), Value::Null)
    );
    assert_eq!(
        (
            xinan.get(&url).await.status().as_u16(),
            xixiang.get(&url).await.status().as_u16(),
            manager.get(&url).await.status().as_u16()
        ),
        (404, 404, 200)
    );
    let departments: Value = app.get("/api/v1/departments").await.json().await.expect("json");
    assert!(
        departments
            .as_array()
            .expect("list")
            .iter()
            .any(|d| d["code"] == "planning" && d["name"] == "区规划和自然资源局")
    );
}

#[actix_web::test]
async fn several_requests_are_handed_out_at_once_or_not_at_all() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let here = district.enterprise("星河智能科技").create().await;
    let there = district.enterprise("西乡精密").in_street(&district.xixiang).create().await;
    let manager = district.manager.api(&app);
    let ours = [fixtures::request(&app, &here, "一").await, fixtures::request(&app, &here, "二").await];
    let theirs = fixtures::request(&app, &there, "三").await;
    // 李新安 does not serve 西乡: the third cannot be his, so none is.
    let mixed = json!({"request_ids": [ours[0], ours[1], theirs], "assignee_id": district.counselor.id});
    let refused = problem(manager.post("/api/v1/requests/assignments", &mixed).await, 422).await;
    assert_eq!(fields(&refused), ["request_ids[2]"]);
    assert_eq!(
        crate::helpers::count(&app, "SELECT count(*) AS n FROM service_requests WHERE assignee_id IS NOT NULL"),
        0
    );
    // Named twice, handed out once.
    let fine = json!({"request_ids": [ours[0], ours[1], ours[0]], "assignee_id": district.counselor.id});
    let assigned: Value = manager.post("/api/v1/requests/assignments", &fine).await.json().await.expect("json");
    assert_eq!(assigned.as_array().map(Vec::len), Some(2));
    // Already his: left as it is, and sent again it writes nothing.
    let again: Value = manager.post("/api/v1/requests/assignments", &fine).await.json().await.expect("json");
    assert_eq!(again, json!([]));
    let steps = "SELECT count(*) AS n FROM request_transitions WHERE action = 'assign'";
    assert_eq!(crate::helpers::count(&app, steps), 2);
    let none = json!({"request_ids": [], "assignee_id": district.counselor.id});
    assert_eq!(fields(&problem(manager.post("/api/v1/requests/assignments", &none).await, 422).await), ["request_ids"]);
}

/// A database with requests raised and worked before the service desk: migrating keeps
/// their history and computes their stages from it.
#[actix_web::test]
async fn requests_from_before_the_desk_get_their_stages_from_their_history() {
    // Today's schema: every migration up to 000016.
    let (url, mut conn) = database_at("before_desk", 16);
    conn.batch_execute(
        "INSERT INTO regions (id, kind, code, name) VALUES ('00000000-0000-7000-8000-000000000001', 'district', 'd', '宝安区');
         INSERT INTO regions (id, kind, code, name, parent_id) VALUES ('00000000-0000-7000-8000-000000000002', 'street', 's', '新安街道', '00000000-0000-7000-8000-000000000001');
         INSERT INTO users (id, username, display_name, password_hash, role) VALUES ('00000000-0000-7000-8000-000000000003', 'li', '李新安', 'x', 'counselor');
         INSERT INTO enterprises (id, uscc, name, street_id, tier) VALUES ('00000000-0000-7000-8000-000000000004', '91440300MA5FXXXX0X', '星河', '00000000-0000-7000-8000-000000000002', 'prospect');
         INSERT INTO service_requests (id, enterprise_id, category, priority, title, description, status, assignee_id, raised_by, due_at, created_at)
              VALUES ('00000000-0000-7000-8000-000000000005', '00000000-0000-7000-8000-000000000004', 'policy', 'normal', '旧诉求', 'd', 'in_progress',
                      '00000000-0000-7000-8000-000000000003', '00000000-0000-7000-8000-000000000003', '2026-12-10T10:00:00+08', '2026-12-03T10:00:00+08');
         INSERT INTO request_transitions (id, request_id, action, from_status, to_status, actor_id, at) VALUES
            ('00000000-0000-7000-8000-000000000006', '00000000-0000-7000-8000-000000000005', 'raise', NULL, 'open', '00000000-0000-7000-8000-000000000003', '2026-12-03T10:00:00+08'),
            ('00000000-0000-7000-8000-000000000007', '00000000-0000-7000-8000-000000000005', 'assign', 'open', 'assigned', '00000000-0000-7000-8000-000000000003', '2026-12-03T11:00:00+08'),
            ('00000000-0000-7000-8000-000000000008', '00000000-0000-7000-8000-000000000005', 'start', 'assigned', 'in_progress', '00000000-0000-7000-8000-000000000003', '2026-12-04T09:30:00+08');",
    )
    .expect("a request of before the desk");
    let catalog = catalog();
    peiyu::startup::migrate(&url, &catalog).expect("migrate and compute the stages");

    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Stages {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        acknowledge_due_at: Option<DateTime<Utc>>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        acknowledged_at: Option<DateTime<Utc>>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
        contacted_at: Option<DateTime<Utc>>,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
        stage: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        due_at: DateTime<Utc>,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        steps: i64,
    }
    let stored: Vec<Stages> = diesel::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT acknowledge_due_at, acknowledged_at, contacted_at, stage, due_at,
                    (SELECT count(*) FROM request_transitions) AS steps FROM service_requests",
        ),
        &mut conn,
    )
    .expect("read back");
    let moment = |text: &str| DateTime::parse_from_rfc3339(text).expect("a moment").to_utc();
    assert_eq!(
        stored,
        [Stages {
            // Raised Thursday 10:00: two working hours.
            acknowledge_due_at: Some(moment("2026-12-03T12:00:00+08:00")),
            acknowledged_at: Some(moment("2026-12-03T11:00:00+08:00")),
            contacted_at: Some(moment("2026-12-04T09:30:00+08:00")),
            stage: Some("resolve".into()),
            due_at: moment("2026-12-10T10:00:00+08:00"),
            steps: 3,
        }]
    );
    // Run again, it finds nothing left to compute.
    assert_eq!(desk::backfill(&mut conn, &catalog).expect("backfill"), 0);
    drop(conn);
    drop_database(&url);
}

/// A 12345 export: one order by USCC, one by name, one of an enterprise nobody knows, one
/// repeated, one with no content.
#[actix_web::test]
async fn work_orders_from_12345_are_taken_in_once_each_and_unmatched_ones_reported_by_row() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let by_code = district.enterprise("星河智能科技").create().await;
    let code: Value = app.get(&format!("/api/v1/enterprises/{by_code}")).await.json().await.expect("json");
    let uscc = code["uscc"].as_str().expect("uscc").to_owned();
    district.enterprise("西乡精密制造").in_street(&district.xixiang).create().await;
    let csv = format!(
        "工单编号,受理时间,统一社会信用代码,企业名称,诉求类别,诉求内容\n\
         GD20261201001,2026-12-01 16:00,{uscc},星河智能科技,企业服务-融资,申请科技贷款贴息\n\
         GD20261201002,2026/12/2 9:30,,西乡精密制造,子女教育,员工子女入学\n\
         GD20261201003,2026-12-02 10:00,,无此企业有限公司,政策咨询,咨询研发补助\n\
         GD20261201001,2026-12-01 16:00,{uscc},星河智能科技,企业服务-融资,申请科技贷款贴息\n\
         GD20261201004,2026-12-03 10:00,{uscc},星河智能科技,其他,\n"
    );
    let imported = crate::imports::upload(&app, &app.admin, "12345工单.csv", csv.clone().into_bytes(), "").await;
    assert_eq!(imported.status(), 200);
    let report: Value = imported.json().await.expect("json");
    assert_eq!(report["kind"], "work_orders", "detected by its 工单编号 column");
    assert_eq!((report["created"].as_i64(), report["unchanged"].as_i64()), (Some(2), Some(0)), "{report}");
    let problems: Vec<_> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["row"].as_i64(), p["column"].as_str(), p["refusal"]["code"].as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (Some(4), Some("企业名称"), Some("no_enterprise_matched")),
            (Some(5), Some("工单编号"), Some("repeats_work_order")),
            (Some(6), Some("诉求内容"), Some("length_required"))
        ]
    );
    let list: Value = app.get("/api/v1/requests").await.json().await.expect("json");
    let mut orders: Vec<_> = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|r| (r["external_no"].as_str().unwrap_or("").to_owned(), r["source"].clone(), r["category"].clone()))
        .collect();
    orders.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        orders,
        [
            ("GD20261201001".to_owned(), json!("12345"), json!("finance")),
            ("GD20261201002".to_owned(), json!("12345"), json!("education"))
        ]
    );
    // Its deadlines count from when the hotline received it: 16:00 on Tuesday 1 December.
    let first = list["items"].as_array().expect("items").iter().find(|r| r["external_no"] == "GD20261201001").cloned();
    let received = DateTime::parse_from_rfc3339("2026-12-01T16:00:00+08:00").expect("moment").to_utc();
    assert_eq!(first.map(|r| at(&r["created_at"])), Some(received));
    // The same file again takes nothing in twice.
    let again: Value = crate::imports::upload(&app, &app.admin, "12345工单.csv", csv.into_bytes(), "")
        .await
        .json()
        .await
        .expect("json");
    assert_eq!((again["created"].as_i64(), again["unchanged"].as_i64()), (Some(0), Some(2)));
    assert_eq!(crate::helpers::count(&app, "SELECT count(*) AS n FROM service_requests"), 2);
}

/// A visit is a contact: the counselor's requests of that enterprise pass 首次联系.
#[actix_web::test]
async fn a_visit_to_the_enterprise_is_the_first_contact_of_the_requests_its_counselor_holds() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let counselor = district.counselor.api(&app);
    let held = id(&raised(&district, &enterprise, "研发补助").await);
    let open = id(&raised(&district, &enterprise, "尚无人受理").await);
    moved(&counselor, &held, json!({"action": "acknowledge"})).await;
    let visit = json!({"visited_at": Utc::now().to_rfc3339(), "channel": "onsite",
        "purposes": ["policy_briefing"], "summary": "讲解研发费用加计扣除"});
    assert_eq!(counselor.post(&format!("/api/v1/enterprises/{enterprise}/visits"), &visit).await.status(), 201);
    let request: Value = counselor.get(&format!("/api/v1/requests/{held}")).await.json().await.expect("json");
    assert_eq!((request["status"].as_str(), request["stage"].as_str()), (Some("in_progress"), Some("resolve")));
    let last = request["transitions"].as_array().and_then(|t| t.last().cloned()).expect("a step");
    assert_eq!((last["action"].as_str(), last["note"].as_str()), (Some("contact"), Some("走访：讲解研发费用加计扣除")));
    let untouched: Value = counselor.get(&format!("/api/v1/requests/{open}")).await.json().await.expect("json");
    assert_eq!(untouched["stage"], "acknowledge", "nobody holds it yet");
}

/// A year without its holiday notice is said where operators look.
#[actix_web::test]
async fn readyz_names_the_years_without_a_holiday_notice() {
    let app = TestApp::spawn().await;
    let ready: Value = app.anonymous().get("/readyz").await.json().await.expect("json");
    let missing = catalog().years_without_notice();
    let details = ready["details"].as_array().cloned().unwrap_or_default();
    assert_eq!(details.len(), missing.len(), "{ready}");
    for (detail, year) in details.iter().zip(&missing) {
        assert!(detail.as_str().is_some_and(|d| d.contains(&year.to_string())), "{detail}");
    }
}

/// A move takes the demand's row only: a visit locks the enterprise and then its open
/// demands, so a move that also locked the enterprise (after the demand) deadlocked with
/// it under load. With the enterprise's row held elsewhere, moves still go through.
#[actix_web::test]
async fn a_move_does_not_wait_for_its_enterprise() {
    let app = TestApp::spawn().await;
    let district = District::seed(&app).await;
    let enterprise = district.enterprise("星河智能科技").create().await;
    let id = id(&raised(&district, &enterprise, "研发补助咨询").await);
    let mut holder = PgConnection::establish(&app.database_url).expect("connect");
    holder
        .batch_execute(&format!(
            "BEGIN; SET LOCAL lock_timeout = '5s'; SELECT 1 FROM enterprises WHERE id = '{enterprise}' FOR UPDATE"
        ))
        .expect("the enterprise locked");
    let counselor = district.counselor.api(&app);
    let (path, body) = (format!("/api/v1/requests/{id}/transitions"), json!({"action": "acknowledge"}));
    let answer = actix_web::rt::time::timeout(std::time::Duration::from_secs(3), counselor.post(&path, &body)).await;
    holder.batch_execute("ROLLBACK").expect("released");
    let answer = answer.expect("the move did not wait for the enterprise's lock");
    assert_eq!(answer.status(), 200);
    let taken: Value = answer.json().await.expect("json");
    assert_eq!((taken["status"].as_str(), taken["stage"].as_str()), (Some("assigned"), Some("contact")));
}
