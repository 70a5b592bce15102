//! The console's pages, over real HTTP: sessions and CSRF, the street scope, and the
//! counselor's pages with their forms (values kept, messages beside the fields, nothing
//! half-saved). The browser itself is in `browser.rs`.

use crate::helpers::{PASSWORD, TestApp, count, id_of, run_sql, uscc};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use std::collections::HashMap;

/// A browser without the browser: cookies kept by hand, redirects not followed.
pub struct Console {
    base: String,
    client: reqwest::Client,
    cookies: HashMap<String, String>,
    /// The `Set-Cookie` headers of the last response.
    pub set_cookies: Vec<String>,
}

impl Console {
    pub fn new(app: &TestApp) -> Self {
        let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
        Self { base: app.url(""), client, cookies: HashMap::new(), set_cookies: Vec::new() }
    }

    /// Signed in as `username`.
    pub async fn signed_in(app: &TestApp, username: &str) -> Self {
        let mut console = Self::new(app);
        let response = console.sign_in(username, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "signing in as {username}");
        console
    }

    pub async fn sign_in(&mut self, username: &str, password: &str) -> reqwest::Response {
        let (_, form) = self.get("/login").await;
        let token = csrf_of(&form);
        self.post("/login", &[("csrf", &token), ("username", username), ("password", password), ("next", "/")]).await
    }

    fn keep_cookies(&mut self, response: &reqwest::Response) {
        self.set_cookies =
            response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
        for header in &self.set_cookies {
            let pair = header.split(';').next().unwrap_or_default();
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if value.is_empty() || header.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// The status and the page.
    pub async fn get(&mut self, path: &str) -> (StatusCode, String) {
        let (status, _, page) = self.get_with_headers(path).await;
        (status, page)
    }

    /// The status, the headers and the page.
    pub async fn get_with_headers(&mut self, path: &str) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .header("Accept", "text/html")
            .send()
            .await
            .expect("request");
        self.keep_cookies(&response);
        let (status, headers) = (response.status(), response.headers().clone());
        (status, headers, response.text().await.expect("body"))
    }

    /// A download: its media type and bytes.
    pub async fn download(&mut self, path: &str) -> (StatusCode, String, Vec<u8>) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .send()
            .await
            .expect("request");
        let status = response.status();
        let kind = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        (status, kind, response.bytes().await.expect("body").to_vec())
    }

    /// A page that must be there.
    pub async fn page(&mut self, path: &str) -> String {
        let (status, page) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {page}");
        page
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        let body = serde_html_form::to_string(form).expect("form");
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .expect("request");
        self.keep_cookies(&response);
        response
    }

    /// Posts a multipart form with a file, as a browser sends `enctype="multipart/form-data"`.
    pub async fn upload(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, Vec<u8>)) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        form = form.part("file", reqwest::multipart::Part::bytes(file.1).file_name(file.0.to_owned()));
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Cookie", self.cookie_header())
            .multipart(form)
            .send()
            .await
            .expect("request");
        self.keep_cookies(&response);
        response
    }

    /// Fills the form of the page at `page` (its CSRF token, and its one-time token if it
    /// has one, as a browser sends every hidden field) and posts it to `action`.
    pub async fn submit(&mut self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let page = self.page(page).await;
        let (token, once) = (csrf_of(&page), hidden_of(&page, "once").unwrap_or_default());
        let mut form = vec![("csrf", token.as_str()), ("once", once.as_str())];
        form.extend_from_slice(fields);
        self.post(action, &form).await
    }
}

/// The first CSRF token of a page.
pub fn csrf_of(page: &str) -> String {
    hidden_of(page, "csrf").expect("a CSRF field")
}

/// The value of the first hidden field `name` of a page.
pub fn hidden_of(page: &str, name: &str) -> Option<String> {
    let field = format!(r#"name="{name}" value=""#);
    let start = page.find(&field)? + field.len();
    page[start..].split('"').next().map(str::to_owned)
}

fn location(response: &reqwest::Response) -> String {
    response.headers()[LOCATION].to_str().expect("location").to_owned()
}

/// A street with a counselor (li.xinan) and an enterprise there, and one on another street:
/// (street, enterprise here, enterprise elsewhere).
async fn district(app: &TestApp) -> (String, String, String) {
    let (street, other, _) = app.streets().await;
    app.user("li.xinan", "counselor", &[&street]).await;
    let body = json!({"uscc": uscc(1), "name": "星河智能科技", "street_id": street,
        "contact_name": "张伟", "contact_phone": "13800138000"});
    let here = id_of(&app.enterprise(&body).await);
    let there = id_of(&app.enterprise(&json!({"uscc": uscc(2), "name": "远方材料科技", "street_id": other})).await);
    (street, here, there)
}

#[actix_web::test]
async fn a_visitor_signs_in_with_a_session_cookie_and_out_again() {
    let app = TestApp::spawn().await;
    district(&app).await;
    let mut console = Console::new(&app);
    let (status, form) = console.get("/login").await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("用户名") && form.contains("密码"), "{form}");
    let sign_in_cookie = console.set_cookies.join("\n");
    assert!(sign_in_cookie.contains("HttpOnly") && sign_in_cookie.contains("SameSite=Strict"), "{sign_in_cookie}");

    let wrong = console.sign_in("li.xinan", "not the password").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let page = wrong.text().await.expect("body");
    assert!(page.contains("用户名或密码错误") && page.contains(r#"value="li.xinan""#), "the name is kept: {page}");

    // Odd addresses are pages too, never a bare error.
    let (status, _) = console.get("/login?next=%2F%2Fevil.example").await;
    assert_eq!(status, StatusCode::OK);
    let right = console.sign_in("li.xinan", PASSWORD).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/");
    let session = console.set_cookies.iter().find(|c| c.starts_with("peiyu_session=")).expect("a session cookie");
    assert!(
        session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"),
        "{session}"
    );
    assert!(!session.contains("Secure"), "plain http has no Secure cookies: {session}");
    let home = console.page("/").await;
    assert!(home.contains("我的待办") && home.contains("li.xinan"), "{home}");

    // Signing in again in the same browser ends the session it held.
    let held = console.cookies.clone();
    let again = console.sign_in("li.xinan", PASSWORD).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(console.get("/").await.0, StatusCode::OK, "the new session works");
    let new = std::mem::replace(&mut console.cookies, held);
    assert_eq!(console.get("/").await.0, StatusCode::SEE_OTHER, "the old one ended");
    console.cookies = new;

    // A crafted `next` (a tab that browsers drop, a line break for the header) goes home.
    for crafted in ["/\t/evil.example", "/\r\nSet-Cookie: x=y"] {
        let mut other = Console::new(&app);
        let (_, form) = other.get("/login").await;
        let token = csrf_of(&form);
        let fields = [("csrf", token.as_str()), ("username", "li.xinan"), ("password", PASSWORD), ("next", crafted)];
        let signed_in = other.post("/login", &fields).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "{crafted:?}");
        assert_eq!(location(&signed_in), "/");
        assert!(other.set_cookies.iter().any(|c| c.starts_with("peiyu_session=")), "{crafted:?}");
    }

    let before = console.cookies.clone();
    let out = console.submit("/", "/logout", &[]).await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&out), "/login");
    let (status, _) = console.get("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "signed out");
    // The old cookie no longer opens anything: the session ended on the server.
    console.cookies = before;
    let (status, _) = console.get("/").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the session is gone, not only the cookie");
}

#[actix_web::test]
async fn signing_in_is_throttled_like_the_api() {
    let app = TestApp::spawn().await;
    district(&app).await;
    let mut console = Console::new(&app);
    for _ in 0..5 {
        assert_eq!(console.sign_in("li.xinan", "wrong").await.status(), StatusCode::UNAUTHORIZED);
    }
    let throttled = console.sign_in("li.xinan", PASSWORD).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.text().await.expect("body").contains("失败次数过多"));
    // The API counts the same failures.
    let api = app.anonymous().post("/api/v1/auth/login", &json!({"username": "li.xinan", "password": PASSWORD})).await;
    assert_eq!(api.status(), 429);
}

#[actix_web::test]
async fn the_cookie_is_secure_when_the_console_is_served_over_https() {
    let app = TestApp::spawn_adjusted(|settings| settings.public_url = "https://peiyu.example.gov.cn".into()).await;
    district(&app).await;
    let console = Console::signed_in(&app, "li.xinan").await;
    let session = console.set_cookies.iter().find(|c| c.starts_with("peiyu_session=")).expect("a session cookie");
    assert!(session.contains("Secure") && session.contains("HttpOnly"), "{session}");
}

#[actix_web::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (_, here, _) = district(&app).await;
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let visit =
        [("visited_at", "2026-12-01T10:00"), ("channel", "onsite"), ("purposes", "follow_up"), ("summary", "走访")];
    let action = format!("/enterprises/{here}/visits");
    let without = console.post(&action, &visit).await;
    assert_eq!(without.status(), StatusCode::FORBIDDEN);
    assert!(without.text().await.expect("body").contains("表单已失效"));
    let mut forged = vec![("csrf", "forged")];
    forged.extend_from_slice(&visit);
    assert_eq!(console.post(&action, &forged).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM visits"), 0);
    // The sign-in form has its own token.
    let sign_in = console.post("/login", &[("username", "li.xinan"), ("password", PASSWORD)]).await;
    assert_eq!(sign_in.status(), StatusCode::FORBIDDEN);
}

#[actix_web::test]
async fn an_idle_expired_or_deactivated_session_is_sent_to_the_login_page() {
    let app = TestApp::spawn().await;
    district(&app).await;
    let mut console = Console::signed_in(&app, "li.xinan").await;
    assert_eq!(console.get("/enterprises").await.0, StatusCode::OK);

    run_sql(&app, "UPDATE console_sessions SET last_seen_at = now() - interval '3 hours'");
    let (status, _) = console.get("/enterprises?q=星河").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "idle longer than two hours");

    let mut console = Console::signed_in(&app, "li.xinan").await;
    run_sql(&app, "UPDATE console_sessions SET expires_at = now() - interval '1 second'");
    assert_eq!(console.get("/").await.0, StatusCode::SEE_OTHER, "past the absolute end");

    let console = Console::signed_in(&app, "li.xinan").await;
    let users: Value = app.get("/api/v1/users").await.json().await.expect("json");
    let counselor =
        users["items"].as_array().expect("items").iter().find(|u| u["username"] == "li.xinan").expect("user");
    let response = app.patch(&format!("/api/v1/users/{}", id_of(counselor)), None, &json!({"active": false})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM console_sessions"), 0, "deactivation ends the sessions");
    let response = console
        .client
        .get(format!("{}/enterprises", console.base))
        .header("Cookie", console.cookie_header())
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/login?next=%2Fenterprises");
}

#[actix_web::test]
async fn another_streets_enterprise_is_a_not_found_page() {
    let app = TestApp::spawn().await;
    let (_, here, there) = district(&app).await;
    let mut console = Console::signed_in(&app, "li.xinan").await;
    for path in [
        format!("/enterprises/{there}"),
        format!("/enterprises/{there}/visits/new"),
        format!("/enterprises/{there}/indicators"),
        "/enterprises/not-an-id".to_owned(),
        "/no/such/page".to_owned(),
    ] {
        let (status, page) = console.get(&path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(page.contains("找不到该页面"), "{path}: {page}");
    }
    // Posting to it changes nothing either.
    let response = console
        .submit(
            &format!("/enterprises/{here}/visits/new"),
            &format!("/enterprises/{there}/visits"),
            &[
                ("visited_at", "2026-12-01T10:00"),
                ("channel", "onsite"),
                ("purposes", "follow_up"),
                ("summary", "走访"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM visits"), 0);
    let search = console.page("/enterprises?q=%E7%A7%91%E6%8A%80").await;
    assert!(search.contains("星河智能科技") && !search.contains("远方材料科技"), "{search}");
}

#[actix_web::test]
async fn the_search_finds_by_name_fragment_uscc_and_tier_and_pages_on() {
    let app = TestApp::spawn().await;
    let (street, here, _) = district(&app).await;
    for n in 10..35 {
        app.enterprise(&json!({"uscc": uscc(n), "name": format!("光明电子{n}号"), "street_id": street})).await;
    }
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let found = console.page("/enterprises?q=%E6%98%9F%E6%B2%B3").await;
    assert!(found.contains(&format!("/enterprises/{here}")) && found.contains("未入库"), "{found}");
    let by_uscc = console.page(&format!("/enterprises?q={}", &uscc(1)[..17])).await;
    assert!(by_uscc.contains("星河智能科技"), "{by_uscc}");
    let tier = console.page("/enterprises?tier=hnte").await;
    assert!(tier.contains("没有符合条件的企业"), "{tier}");
    let odd = console.page("/enterprises?after=not-an-id&q=%E5%85%89%E6%98%8E").await;
    assert_eq!(odd.matches(r#"class="title""#).count(), 20, "an odd cursor starts from the top");
    let bad = console.get("/enterprises?tier=nonsense").await;
    assert_eq!(bad.0, StatusCode::OK);
    assert!(bad.1.contains(r#"id="tier-error""#), "the message is beside the field: {}", bad.1);
    let nul = console.get("/enterprises?q=%E6%98%9F%00").await;
    assert_eq!(nul.0, StatusCode::OK, "{}", nul.1);
    assert!(nul.1.contains(r#"id="q-error""#) && nul.1.contains("无法保存的字符"), "{}", nul.1);

    let first = console.page("/enterprises?q=%E5%85%89%E6%98%8E").await;
    assert_eq!(first.matches(r#"class="title""#).count(), 20);
    let more = first.split(r#"class="button more" href=""#).nth(1).expect("a more link");
    let more = more.split('"').next().expect("address").replace("&#38;", "&");
    let second = console.page(&more).await;
    assert_eq!(second.matches(r#"class="title""#).count(), 5);
    assert!(!second.contains("class=\"button more\""), "the last page has no more");
}

#[actix_web::test]
async fn the_enterprise_page_shows_where_it_stands_and_what_to_do_next() {
    let app = TestApp::spawn().await;
    let (_, here, _) = district(&app).await;
    let promote = format!("/api/v1/enterprises/{here}/promotions");
    let sme = json!({"to_tier": "tech_sme", "effective_on": crate::helpers::days_ago(300), "certificate_no": "2026440306A0001"});
    assert_eq!(app.post(&promote, &sme).await.status(), 201);
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let page = console.page(&format!("/enterprises/{here}")).await;
    for expected in [
        "星河智能科技",
        "科技型中小企业",
        "2026440306A0001",
        r#"href="tel:13800138000""#,
        "记录走访",
        "提交诉求",
        "发起申报",
        "年度指标",
        // Past the pool, the next rung with rules: the to-do for 国高.
        "晋级「国家高新技术企业」条件",
        "研究开发费用",
    ] {
        assert!(page.contains(expected), "missing {expected}: {page}");
    }
    assert!(page.contains("剩余") && page.contains(" 天"), "days left of the certificate: {page}");
    // The home page lists the certificate among those coming to an end.
    let home = console.page("/").await;
    assert!(home.contains("证书即将到期") && home.contains("星河智能科技"), "{home}");
}

#[actix_web::test]
async fn a_visit_with_demands_is_saved_whole_or_shown_again_with_every_value() {
    let app = TestApp::spawn().await;
    let (_, here, _) = district(&app).await;
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let form = format!("/enterprises/{here}/visits/new");
    let action = format!("/enterprises/{here}/visits");
    let page = console.page(&form).await;
    assert!(page.contains(r#"value="onsite" checked"#), "on site by default: {page}");
    assert!(page.contains(r#"type="datetime-local" value="20"#), "now by default: {page}");

    // A blank summary and a demand without its description: nothing is saved, every
    // value comes back, and each message is beside its field.
    let bad = console
        .submit(
            &form,
            &action,
            &[
                ("visited_at", "2026-12-01T10:00"),
                ("channel", "phone"),
                ("purposes", "policy_briefing"),
                ("summary", "  "),
                ("findings", "研发投入不足"),
                ("demand_category", "space"),
                ("demand_priority", "high"),
                ("demand_title", "扩租研发楼"),
                ("demand_description", ""),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bad.text().await.expect("body");
    assert!(page.contains(r#"id="summary-error""#) && page.contains(r#"id="demand_description_0-error""#), "{page}");
    assert!(page.contains("研发投入不足") && page.contains(r#"value="扩租研发楼""#), "values kept: {page}");
    assert!(page.contains(r#"value="phone" checked"#) && page.contains(r#"value="space" selected"#), "{page}");
    assert_eq!(
        count(&app, "SELECT count(*) AS n FROM visits") + count(&app, "SELECT count(*) AS n FROM service_requests"),
        0
    );

    // Asking for one more demand without JavaScript brings the form back with two.
    let more =
        console.submit(&form, &action, &[("summary", "了解扩产"), ("demand_title", "扩租研发楼"), ("more", "1")]).await;
    let page = more.text().await.expect("body");
    assert!(page.contains(r#"id="demand_title_1""#) && page.contains(r#"value="扩租研发楼""#), "{page}");

    let saved = console
        .submit(
            &form,
            &action,
            &[
                ("visited_at", "2026-12-01T10:00"),
                ("channel", "onsite"),
                ("purposes", "policy_briefing"),
                ("purposes", "demand_collection"),
                ("summary", "了解扩产计划"),
                ("follow_up_on", "2026-12-15"),
                ("demand_category", "space"),
                ("demand_priority", "high"),
                ("demand_title", "扩租研发楼"),
                ("demand_description", "需要 2000 平方米"),
                ("demand_category", "finance"),
                ("demand_priority", "normal"),
                ("demand_title", "贷款贴息"),
                ("demand_description", "科技贷"),
                ("demand_category", ""),
                ("demand_priority", "normal"),
                ("demand_title", ""),
                ("demand_description", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), format!("/enterprises/{here}?saved=visit"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM visits WHERE 'demand_collection' = ANY(purposes)"), 1);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM service_requests WHERE visit_id IS NOT NULL"), 2);
    let page = console.page(&location(&saved)).await;
    assert!(page.contains("走访已记录") && page.contains("了解扩产计划") && page.contains("扩租研发楼"), "{page}");
    let audit = count(&app, "SELECT count(*) AS n FROM audit_log WHERE entity IN ('visit', 'service_request')");
    assert_eq!(audit, 3, "every change is audited");
}

#[actix_web::test]
async fn a_request_moves_only_as_its_status_allows_and_a_stale_move_says_so() {
    let app = TestApp::spawn().await;
    let (_, here, _) = district(&app).await;
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let raised = console
        .submit(
            &format!("/enterprises/{here}/requests/new"),
            &format!("/enterprises/{here}/requests"),
            &[
                ("demand_category", "policy"),
                ("demand_priority", "urgent"),
                ("demand_title", "高企认定口径"),
                ("demand_description", "研发费用如何归集"),
            ],
        )
        .await;
    assert_eq!(raised.status(), StatusCode::SEE_OTHER);
    let request = location(&raised).split('?').next().expect("path").to_owned();
    let page = console.page(&location(&raised)).await;
    assert!(page.contains("诉求已提交") && page.contains("高企认定口径"), "{page}");
    assert!(
        page.contains(r#"value="assign""#) && !page.contains(r#"value="resolve""#),
        "only what open allows: {page}"
    );
    let home = console.page("/").await;
    assert!(home.contains("待分派的诉求") && home.contains("高企认定口径"), "{home}");
    let version = |page: &str| page.split(r#"name="version" value=""#).nth(1).expect("version")[..1].to_owned();
    let v1 = version(&page);

    // Assigned to oneself (the default), the request is on the counselor's list.
    let chosen = page.split(r#"<option value=""#).find(|option| option.contains(r#"" selected>"#));
    let me = chosen.expect("the caller, chosen").split('"').next().expect("id").to_owned();
    let assign =
        console.submit(&request, &request, &[("action", "assign"), ("version", &v1), ("assignee_id", &me)]).await;
    assert_eq!(assign.status(), StatusCode::SEE_OTHER);
    let home = console.page("/").await;
    let mine = home.split("分派给我的诉求").nth(1).expect("section");
    assert!(mine.contains("高企认定口径"), "{home}");

    // A move based on the version before the assignment is stale.
    let stale = console.submit(&request, &request, &[("action", "reject"), ("version", &v1), ("note", "不属实")]).await;
    assert_eq!(stale.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = stale.text().await.expect("body");
    assert!(page.contains("已被他人修改"), "{page}");

    let page = console.page(&request).await;
    let v2 = version(&page);
    let reject = console.submit(&request, &request, &[("action", "reject"), ("version", &v2), ("note", " ")]).await;
    assert_eq!(reject.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reject.text().await.expect("body").contains(r#"id="note-reject-error""#), "a reason is asked for");
    let resolve =
        console.submit(&request, &request, &[("action", "resolve"), ("version", &v2), ("note", "已答复")]).await;
    assert_eq!(resolve.status(), StatusCode::SEE_OTHER);
    let page = console.page(&request).await;
    assert!(page.contains("已办结") || page.contains("办结"), "{page}");
    let close = console.submit(&request, &request, &[("action", "close"), ("version", &version(&page))]).await;
    assert_eq!(close.status(), StatusCode::UNPROCESSABLE_ENTITY, "closing asks for the satisfaction");
    let page = console.page(&request).await;
    let close = console
        .submit(&request, &request, &[("action", "close"), ("version", &version(&page)), ("satisfaction", "5")])
        .await;
    assert_eq!(close.status(), StatusCode::SEE_OTHER);
    let page = console.page(&request).await;
    assert!(page.contains("5 分") && page.contains(r#"value="reopen""#), "{page}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM request_transitions"), 4, "raised, assigned, resolved, closed");
}

#[actix_web::test]
async fn the_yearly_figures_save_and_show_the_refreshed_eligibility() {
    let app = TestApp::spawn().await;
    let (_, here, _) = district(&app).await;
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let form = format!("/enterprises/{here}/indicators?year=2025");
    let action = format!("/enterprises/{here}/indicators");
    let page = console.page(&form).await;
    assert!(page.contains("2025 年度指标") && page.contains("缺数据"), "{page}");
    let odd = console.page(&format!("/enterprises/{here}/indicators?year=next")).await;
    assert!(odd.contains("年度指标"), "{odd}");
    let figures =
        [("year", "2025"), ("version", ""), ("staff", "120"), ("revenue", "30,000,000"), ("tech_staff", "abc")];
    let bad = console.submit(&form, &action, &figures).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bad.text().await.expect("body");
    assert!(page.contains(r#"id="tech_staff-error""#) && page.contains(r#"value="30,000,000""#), "{page}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM enterprise_indicators"), 0);

    let good = [("year", "2025"), ("version", ""), ("staff", "120"), ("revenue", "30,000,000"), ("tech_staff", "30")];
    let saved = console.submit(&form, &action, &good).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let page = console.page(&location(&saved)).await;
    assert!(page.contains("指标已保存") && page.contains(r#"value="120""#) && page.contains("达标"), "{page}");

    // Someone else saves meanwhile: an edit based on the first version says so and keeps
    // what was typed.
    let put = app.admin().request(reqwest::Method::PUT, &format!("/api/v1/enterprises/{here}/indicators/2025"));
    assert_eq!(put.json(&json!({"staff": 130})).send().await.expect("request").status(), 200);
    let stale = [("year", "2025"), ("version", "1"), ("staff", "125")];
    let response = console.submit(&form, &action, &stale).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.expect("body");
    assert!(page.contains("已被他人修改") && page.contains(r#"value="125""#), "{page}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM enterprise_indicators WHERE figures->>'staff' = '130'"), 1);
}

#[actix_web::test]
async fn an_application_is_opened_for_a_rung_above() {
    let app = TestApp::spawn().await;
    let (_, here, _) = district(&app).await;
    let mut console = Console::signed_in(&app, "li.xinan").await;
    let form = format!("/enterprises/{here}/applications/new");
    let action = format!("/enterprises/{here}/applications");
    let page = console.page(&form).await;
    assert!(page.contains(r#"value="tech_sme" selected"#) && !page.contains(r#"value="prospect""#), "{page}");
    let bad = console.submit(&form, &action, &[("tier", "tech_sme"), ("batch_year", "1800")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.expect("body").contains(r#"id="batch_year-error""#));
    let saved =
        console.submit(&form, &action, &[("tier", "tech_sme"), ("batch_year", "2026"), ("note", "材料齐全")]).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM applications WHERE batch_year = 2026"), 1);
}

#[actix_web::test]
async fn the_stylesheet_and_script_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    for (path, kind) in [("/static/console.css", "text/css"), ("/static/console.js", "text/javascript")] {
        let response = app.anonymous().get(path).await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().expect("type").starts_with(kind));
        assert!(response.headers()["cache-control"].to_str().expect("cache").contains("immutable"));
    }
    assert_eq!(app.anonymous().get("/static/other.css").await.status(), 404);
}
