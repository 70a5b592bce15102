//! 系统管理 and 年度目标 in the console, over real HTTP: what an admin saves is what the
//! API then answers; bad input comes back beside its field with nothing stored; the pages
//! are the admins' (targets: the bureau's) and every form needs its token.

use crate::console::Console;
use crate::helpers::{PASSWORD, TestApp, count};
use reqwest::StatusCode;
use reqwest::header::LOCATION;
use serde_json::Value;

/// A district with two streets, and an admin, a manager and a counselor of the first street.
async fn bureau(app: &TestApp) -> (String, String) {
    let (street, other, _) = app.streets().await;
    app.user("bureau.admin", "admin", &[]).await;
    app.user("bureau.manager", "manager", &[]).await;
    app.user("li.xinan", "counselor", &[&street]).await;
    (street, other)
}

fn users(app: &TestApp) -> i64 {
    count(app, "SELECT count(*) AS n FROM users")
}

/// The user of the API's list named `username`.
async fn api_user(app: &TestApp, username: &str) -> Value {
    let list: Value = app.get("/api/v1/users?limit=200").await.json().await.expect("json");
    list["items"].as_array().expect("items").iter().find(|u| u["username"] == username).cloned().expect(username)
}

#[actix_web::test]
async fn an_admin_creates_a_counselor_for_a_street_who_can_then_sign_in_and_sees_only_it() {
    let app = TestApp::spawn().await;
    let (street, other) = bureau(&app).await;
    app.enterprise(&serde_json::json!({"uscc": crate::helpers::uscc(1), "name": "新安科技", "street_id": street}))
        .await;
    app.enterprise(&serde_json::json!({"uscc": crate::helpers::uscc(2), "name": "西乡科技", "street_id": other})).await;
    let mut admin = Console::signed_in(&app, "bureau.admin").await;
    assert!(admin.page("/").await.contains(r#"href="/admin""#), "系统管理 in an admin's navigation");
    let form = admin.page("/admin/users/new").await;
    assert!(form.contains(&format!(r#"name="street_ids" value="{street}""#)) && form.contains("新安街道"), "{form}");
    assert!(form.contains(r#"value="counselor" checked"#), "a counselor by default: {form}");
    let created = admin
        .submit(
            "/admin/users/new",
            "/admin/users",
            &[
                ("username", "wang.xinan"),
                ("display_name", "王辅导员"),
                ("password", "xinan-street-2026"),
                ("role", "counselor"),
                ("street_ids", &street),
            ],
        )
        .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    assert_eq!(created.headers()[LOCATION], "/admin/users?saved=created");
    let list = admin.page("/admin/users?saved=created").await;
    assert!(list.contains("用户已保存") && list.contains("王辅导员"), "{list}");
    assert!(list.contains("wang.xinan · 街道辅导员 · 新安街道"), "role and street on the line: {list}");
    let user = api_user(&app, "wang.xinan").await;
    assert_eq!(user["role"], "counselor");
    assert_eq!(user["street_ids"], serde_json::json!([street]));
    let audited = count(
        &app,
        &format!(
            "SELECT count(*) AS n FROM audit_log WHERE entity = 'user' AND entity_id = '{}'",
            user["id"].as_str().expect("id")
        ),
    );
    assert_eq!(audited, 1, "the creation is in the audit log");
    // The new counselor signs in with the password the admin chose, and sees their street.
    let mut counselor = Console::new(&app);
    assert_eq!(counselor.sign_in("wang.xinan", "xinan-street-2026").await.status(), StatusCode::SEE_OTHER);
    let list = counselor.page("/enterprises").await;
    assert!(list.contains("新安科技") && !list.contains("西乡科技"), "{list}");
    assert!(!counselor.page("/").await.contains(r#"href="/admin""#), "no 系统管理 for a counselor");
}

#[actix_web::test]
async fn a_bad_account_comes_back_with_each_message_beside_its_field_and_nothing_stored() {
    let app = TestApp::spawn().await;
    let (street, _) = bureau(&app).await;
    let mut admin = Console::signed_in(&app, "bureau.admin").await;
    let before = users(&app);
    let refused = admin
        .submit(
            "/admin/users/new",
            "/admin/users",
            &[("username", "李 四"), ("display_name", " "), ("password", "short"), ("street_ids", &street)],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    for field in ["username", "display_name", "password", "role"] {
        assert!(page.contains(&format!(r#"id="{field}-error""#)), "{field} named: {page}");
    }
    assert!(page.contains("只能包含字母、数字和 . _ -") && page.contains("至少 10 个字符"), "in Chinese: {page}");
    assert!(page.contains(r#"value="李 四""#), "the name typed is kept: {page}");
    assert!(page.contains(&format!(r#"value="{street}" checked"#)), "the street ticked is kept: {page}");
    assert!(!page.contains("short"), "a password is never sent back: {page}");
    // A taken name is said beside the name.
    let taken = admin
        .submit(
            "/admin/users/new",
            "/admin/users",
            &[("username", "Li.Xinan"), ("display_name", "重名"), ("password", "another-one-2026"), ("role", "viewer")],
        )
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = taken.text().await.expect("body");
    assert!(page.contains(r#"<p class="error" id="username-error">该用户名已被使用</p>"#), "{page}");
    assert_eq!(users(&app), before, "nothing stored");
}

#[actix_web::test]
async fn an_admin_changes_a_role_streets_and_password_and_deactivating_ends_the_sessions() {
    let app = TestApp::spawn().await;
    let (street, other) = bureau(&app).await;
    let id = api_user(&app, "li.xinan").await["id"].as_str().expect("id").to_owned();
    let mut counselor = Console::signed_in(&app, "li.xinan").await;
    let mut admin = Console::signed_in(&app, "bureau.admin").await;
    let edit = format!("/admin/users/{id}");
    let form = admin.page(&edit).await;
    assert!(form.contains("li.xinan") && form.contains(&format!(r#"value="{street}" checked"#)), "{form}");
    assert!(form.contains(r#"name="active" value="on" checked"#), "{form}");
    // Another street and a new password.
    let moved = admin
        .submit(
            &edit,
            &edit,
            &[
                ("display_name", "李辅导员"),
                ("role", "counselor"),
                ("street_ids", &other),
                ("password", "xixiang-street-2026"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let user = api_user(&app, "li.xinan").await;
    assert_eq!((user["display_name"].as_str(), &user["street_ids"]), (Some("李辅导员"), &serde_json::json!([other])));
    let old = Console::new(&app).sign_in("li.xinan", PASSWORD).await;
    assert_eq!(old.status(), StatusCode::UNAUTHORIZED, "the old password fails");
    let mut again = Console::new(&app);
    assert_eq!(again.sign_in("li.xinan", "xixiang-street-2026").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(counselor.get("/").await.0, StatusCode::SEE_OTHER, "a new password ended the old session");
    let set =
        "SELECT count(*) AS n FROM audit_log WHERE entity = 'user' AND action = 'set_password' AND actor_kind = 'user'";
    assert_eq!(crate::helpers::count(&app, set), 1, "the new password is in the audit log");
    // Deactivated: the session just opened ends too.
    let off = admin
        .submit(&edit, &edit, &[("display_name", "李辅导员"), ("role", "counselor"), ("street_ids", &other)])
        .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    assert_eq!(api_user(&app, "li.xinan").await["active"], false);
    let (status, _) = again.get("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out at once");
    assert!(admin.page("/admin/users").await.contains("已停用"), "the list says so");
    // The last active admin stays one.
    let admin_id = api_user(&app, "bureau.admin").await["id"].as_str().expect("id").to_owned();
    let demote = format!("/admin/users/{admin_id}");
    crate::helpers::run_sql(&app, "UPDATE users SET active = false WHERE username = 'admin'");
    let refused =
        admin.submit(&demote, &demote, &[("display_name", "管理员"), ("role", "manager"), ("active", "on")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.expect("body").contains("这是最后一个启用的系统管理员"));
    let admins = count(&app, "SELECT count(*) AS n FROM users WHERE username = 'bureau.admin' AND role = 'admin'");
    assert_eq!(admins, 1);
}

#[actix_web::test]
async fn regions_are_added_under_their_parents_and_a_wrong_one_is_named() {
    let app = TestApp::spawn().await;
    let (street, _) = bureau(&app).await;
    let mut admin = Console::signed_in(&app, "bureau.admin").await;
    let map = admin.page("/admin/regions").await;
    assert!(map.contains("宝安区") && map.contains("新安街道") && map.contains("宝安智谷"), "{map}");
    let added = admin
        .submit(
            "/admin/regions",
            "/admin/regions",
            &[("kind", "park"), ("parent_id", &street), ("name", "新安创新园"), ("code", "XA-Park")],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let map = admin.page("/admin/regions?saved=region").await;
    assert!(map.contains("区域已添加") && map.contains("新安创新园 <span class=\"code\">xa-park</span>"), "{map}");
    let regions: Value = app.get("/api/v1/regions").await.json().await.expect("json");
    assert!(regions.to_string().contains("新安创新园"), "{regions}");
    // A park under no street, and a code taken.
    let orphan = admin
        .submit("/admin/regions", "/admin/regions", &[("kind", "park"), ("name", "无主园区"), ("code", "orphan")])
        .await;
    assert_eq!(orphan.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = orphan.text().await.expect("body");
    assert!(page.contains(r#"<p class="error" id="parent_id-error">请选择所属的街道</p>"#), "{page}");
    assert!(page.contains(r#"value="无主园区""#), "{page}");
    let taken = admin
        .submit("/admin/regions", "/admin/regions", &[("kind", "district"), ("name", "又一个区"), ("code", "BAOAN")])
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(taken.text().await.expect("body").contains(r#"id="code-error">已有区域使用该代码"#));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM regions"), 5, "the two refused were not stored");
}

#[actix_web::test]
async fn an_api_key_is_shown_once_works_and_stops_working_when_revoked() {
    let app = TestApp::spawn().await;
    bureau(&app).await;
    let mut admin = Console::signed_in(&app, "bureau.admin").await;
    let none = admin.submit("/admin/api-keys", "/admin/api-keys/new", &[("name", "省科技厅")]).await;
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.text().await.expect("body").contains(r#"id="scopes-error">请至少选择一项权限"#));
    let made = admin
        .submit(
            "/admin/api-keys",
            "/admin/api-keys/new",
            &[("name", "省科技厅高企认定系统"), ("scopes", "enterprises:read")],
        )
        .await;
    assert_eq!(made.status(), StatusCode::CREATED);
    let page = made.text().await.expect("body");
    let start = page.find(r#"class="key" value=""#).expect("the key on the page") + r#"class="key" value=""#.len();
    let key = page[start..].split('"').next().expect("key").to_owned();
    assert!(key.starts_with("pk_") && page.contains("密钥只显示这一次"), "{page}");
    assert_eq!(app.with_token(&key).get("/api/v1/enterprises").await.status(), 200, "the key works");
    let list = admin.page("/admin/api-keys").await;
    assert!(list.contains("省科技厅高企认定系统") && list.contains("读取企业") && !list.contains(&key), "{list}");
    // Revoked from its form: the next call with it is refused.
    let id = list.split(r#"action="/admin/api-keys/"#).nth(1).expect("a revoke form").split('/').next().expect("id");
    let revoked = admin.submit("/admin/api-keys", &format!("/admin/api-keys/{id}/revoke"), &[]).await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.with_token(&key).get("/api/v1/enterprises").await.status(), 401);
    let list = admin.page("/admin/api-keys?saved=revoked").await;
    assert!(list.contains("密钥已吊销") && list.contains("已吊销"), "{list}");
}

#[actix_web::test]
async fn the_years_targets_are_set_on_one_form_and_the_api_reads_them_back() {
    let app = TestApp::spawn().await;
    let (street, _) = bureau(&app).await;
    let tree: Value = app.get("/api/v1/regions").await.json().await.expect("json");
    let district = tree[0]["id"].as_str().expect("the district").to_owned();
    let year = chrono::Utc::now().format("%Y").to_string();
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let cockpit = manager.page("/cockpit").await;
    assert!(
        cockpit.contains(&format!(r#"href="/targets?year={year}""#)),
        "the cockpit leads to the targets: {cockpit}"
    );
    let street_box = format!("target.{street}.tech_sme");
    let district_box = format!("target.{district}.hnte");
    let form = manager.page("/targets").await;
    assert!(form.contains(&format!(r#"name="{street_box}""#)) && form.contains(&format!(r#"name="{district_box}""#)));
    assert!(!form.contains(r#"class="tabs""#), "the admin's tabs are not a manager's");
    let saved =
        manager.submit("/targets", "/targets", &[("year", &year), (&street_box, "12"), (&district_box, "40")]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let targets: Value = app.get(&format!("/api/v1/targets?year={year}")).await.json().await.expect("json");
    let mut set: Vec<(String, i64)> = targets["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|t| (t["tier"].as_str().expect("tier").to_owned(), t["target"].as_i64().expect("target")))
        .collect();
    set.sort();
    assert_eq!(set, [("hnte".to_owned(), 40), ("tech_sme".to_owned(), 12)]);
    let page = manager.page(&format!("/targets?year={year}&saved=1")).await;
    assert!(page.contains("年度目标已保存") && page.contains(r#"value="12""#) && page.contains("已完成 0"), "{page}");
    // Bad figures are named beside their boxes; the year's targets stay as they were.
    let refused =
        manager.submit("/targets", "/targets", &[("year", &year), (&street_box, "十二"), (&district_box, "0")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.expect("body");
    assert!(page.contains(&format!(r#"id="{street_box}-error">请填写数字"#)), "{page}");
    assert!(page.contains(r#"value="十二""#), "{page}");
    let refused = manager.submit("/targets", "/targets", &[("year", &year), (&district_box, "0")]).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.text().await.expect("body").contains(&format!(r#"id="{district_box}-error">须在 1 到 1000000 之间"#))
    );
    assert_eq!(count(&app, "SELECT count(*) AS n FROM targets"), 2);
    // Another year, kept in the address, is the one the year switch shows.
    assert!(manager.page("/targets?year=2020").await.contains(r#"<option value="2020" selected>"#));
    // Cleared boxes remove their targets.
    assert_eq!(manager.submit("/targets", "/targets", &[("year", &year), (&street_box, "12")]).await.status(), 303);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM targets"), 1);
}

#[actix_web::test]
async fn administration_is_for_admins_and_every_form_needs_its_token() {
    let app = TestApp::spawn().await;
    let (street, _) = bureau(&app).await;
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    assert!(!manager.page("/cockpit").await.contains(r#"href="/admin""#), "no 系统管理 for a manager");
    for page in ["/admin/users", "/admin/users/new", "/admin/regions", "/admin/api-keys"] {
        let (status, body) = manager.get(page).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
        assert!(body.contains("无权访问"), "{body}");
    }
    let mut counselor = Console::signed_in(&app, "li.xinan").await;
    assert_eq!(counselor.get("/targets").await.0, StatusCode::FORBIDDEN, "targets are the bureau's");
    assert_eq!(counselor.get("/admin").await.0, StatusCode::SEE_OTHER);
    // A manager's token is good, the role is not.
    let before = (users(&app), count(&app, "SELECT count(*) AS n FROM regions"));
    let fields = [("username", "sneaky"), ("display_name", "x"), ("password", "sneaky-pass-2026"), ("role", "admin")];
    assert_eq!(manager.submit("/cockpit", "/admin/users", &fields).await.status(), StatusCode::FORBIDDEN);
    let region = [("kind", "park"), ("parent_id", street.as_str()), ("name", "x"), ("code", "x")];
    assert_eq!(manager.submit("/cockpit", "/admin/regions", &region).await.status(), StatusCode::FORBIDDEN);
    // An admin without the token.
    let mut admin = Console::signed_in(&app, "bureau.admin").await;
    assert_eq!(admin.post("/admin/users", &fields).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin.post("/admin/regions", &region).await.status(), StatusCode::FORBIDDEN);
    let key = [("name", "x"), ("scopes", "registry:write")];
    assert_eq!(admin.post("/admin/api-keys/new", &key).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin.post("/targets", &[("year", "2026")]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!((users(&app), count(&app, "SELECT count(*) AS n FROM regions")), before, "nothing stored");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM api_keys"), 0);
}
