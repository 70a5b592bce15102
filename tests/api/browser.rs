//! The console end to end in headless Chromium, driven over WebDriver (Debian's
//! `chromium` and `chromium-driver`): a counselor's morning on a 390 × 844 phone, then
//! every page again at 1440 × 900. Screenshots land in `target/screenshots/console/`.
//! Without a browser the test says so and passes, except where PEIYU_REQUIRE_BROWSER is
//! set (CI), where it fails.

use crate::helpers::{TestApp, days_ago, id_of, uscc};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";
const DRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, stopped when dropped.
struct Driver {
    child: Child,
    port: u16,
    profile: PathBuf,
    /// Where the browser saves downloads.
    downloads: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
        let _ = std::fs::remove_dir_all(&self.downloads);
    }
}

/// The browser, or `None` (having said why) where it is not installed and not required.
async fn browser() -> Option<(Driver, Client)> {
    if !Path::new(CHROMIUM).exists() || !Path::new(DRIVER).exists() {
        assert!(
            std::env::var_os("PEIYU_REQUIRE_BROWSER").is_none(),
            "PEIYU_REQUIRE_BROWSER is set but chromium or chromedriver is not installed"
        );
        eprintln!("skipped: apt-get install chromium chromium-driver fonts-noto-cjk to run the console in a browser");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("address").port();
    let child = Command::new(DRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let profile = std::env::temp_dir().join(format!("peiyu-console-{}", uuid::Uuid::now_v7().simple()));
    let downloads = profile.with_extension("downloads");
    std::fs::create_dir_all(&downloads).expect("a download directory");
    let driver = Driver { child, port, profile, downloads };
    let args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        "--lang=zh-CN",
        "--window-size=390,844",
    ];
    let mut args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    args.push(format!("--user-data-dir={}", driver.profile.display()));
    let mut capabilities = serde_json::Map::new();
    let prefs = json!({"download.default_directory": driver.downloads, "download.prompt_for_download": false});
    capabilities.insert("goog:chromeOptions".into(), json!({"binary": CHROMIUM, "args": args, "prefs": prefs}));
    let url = format!("http://127.0.0.1:{}", driver.port);
    let mut last_error = String::new();
    for _ in 0..50 {
        let connecting = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities.clone())
            .connect(&url)
            .await;
        match connecting {
            Ok(client) => return Some((driver, client)),
            Err(error) => last_error = error.to_string(),
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not start a browser session: {last_error}");
}

fn screenshots() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().expect("target").join("screenshots/console");
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    dir
}

/// A picture of the whole page at `width`: the window is made as tall as the page.
async fn snap(client: &Client, width: u32, name: &str) {
    let height = client
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .expect("page height")
        .as_u64()
        .unwrap_or(900) as u32;
    client.set_window_size(width, height.max(844)).await.expect("resize");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(screenshots().join(format!("{width}-{name}.png")), png).expect("write screenshot");
    client.set_window_size(width, if width < 800 { 844 } else { 900 }).await.expect("resize back");
}

async fn source(client: &Client) -> String {
    client.source().await.expect("page source")
}

async fn fill(client: &Client, css: &str, text: &str) {
    client.find(Locator::Css(css)).await.expect(css).send_keys(text).await.expect("type");
}

async fn click(client: &Client, css: &str) {
    client.find(Locator::Css(css)).await.expect(css).click().await.unwrap_or_else(|e| panic!("click {css}: {e}"));
}

/// Waits for the page a click led to, known by an element only it has.
async fn arrived(client: &Client, css: &str) {
    client.wait().at_most(Duration::from_secs(10)).for_element(Locator::Css(css)).await.expect(css);
}

/// Whether the page fits the window's width: no sideways scrolling of the page itself.
async fn fits(client: &Client) -> bool {
    let overflow = "return document.documentElement.scrollWidth > window.innerWidth";
    client.execute(overflow, vec![]).await.expect("overflow") == Value::Bool(false)
}

/// Opens each page at each window size, checks that it fits and photographs it.
async fn photograph(client: &Client, app: &TestApp, sizes: &[(u32, u32)], pages: &[(&str, String)]) {
    for &(width, height) in sizes {
        client.set_window_size(width, height).await.expect("resize");
        for (name, path) in pages {
            client.goto(&app.url(path)).await.expect("open");
            assert!(fits(client).await, "{name} at {width}");
            snap(client, width, name).await;
        }
    }
}

#[actix_web::test]
async fn a_manager_imports_a_csv_with_a_bad_row_and_sees_that_row_in_the_report() {
    let Some((driver, client)) = browser().await else { return };
    let app = TestApp::spawn().await;
    app.user("bureau.manager", "manager", &[]).await;
    let file = driver.downloads.join("2025认定名单.csv");
    std::fs::write(&file, crate::imports::certification_csv()).expect("the file to upload");

    client.set_window_size(1440, 900).await.expect("a desk");
    client.goto(&app.url("/login?next=/imports")).await.expect("open");
    fill(&client, "#username", "bureau.manager").await;
    fill(&client, "#password", crate::helpers::PASSWORD).await;
    click(&client, "button[type=submit]").await;
    arrived(&client, "#file").await;
    fill(&client, "#file", &file.to_string_lossy()).await;
    click(&client, "input[name=mode][value=apply]").await;
    snap(&client, 1440, "import-form").await;
    snap(&client, 390, "import-form").await;
    click(&client, "form[action='/imports/new'] button[type=submit]").await;
    // The page follows the run until its report is there.
    arrived(&client, "#problems").await;
    let report = source(&client).await;
    assert!(report.contains("导入完成"), "{report}");
    let bad_row =
        report.split("<tr>").any(|line| line.starts_with("<td>4</td>") && line.contains("<td>统一社会信用代码</td>"));
    assert!(bad_row, "the bad row, by row and column: {report}");
    snap(&client, 1440, "import-report").await;
    client.set_window_size(390, 844).await.expect("a phone");
    assert!(fits(&client).await, "no sideways scrolling");
    snap(&client, 390, "import-report").await;
    client.close().await.expect("close the browser");
}

#[actix_web::test]
async fn a_counselor_logs_a_visit_with_a_demand_and_resolves_it_on_a_phone() {
    let Some((_driver, client)) = browser().await else { return };
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    app.user("counselor.xinan", "counselor", &[&street]).await;
    let body = json!({"uscc": uscc(1), "name": "星河智能科技有限公司", "street_id": street, "cluster": "ai_robotics",
        "contact_name": "张伟", "contact_phone": "13800138000", "address": "宝安区新安街道创业二路 1 号"});
    let here = id_of(&app.enterprise(&body).await);
    let sme = json!({"to_tier": "tech_sme", "effective_on": days_ago(330), "certificate_no": "2026440306A0001"});
    assert_eq!(app.post(&format!("/api/v1/enterprises/{here}/promotions"), &sme).await.status(), 201);
    let put = app.admin().request(reqwest::Method::PUT, &format!("/api/v1/enterprises/{here}/indicators/2025"));
    let figures =
        json!({"staff": 120, "tech_staff": 30, "revenue": 48_000_000, "rd_expense": 2_600_000, "ip_class1": 2});
    assert_eq!(put.json(&figures).send().await.expect("request").status(), 200);
    app.enterprise(&json!({"uscc": uscc(2), "name": "星河远方材料", "street_id": other})).await;
    app.enterprise(&json!({"uscc": uscc(3), "name": "光明电子", "street_id": street})).await;

    // Signing in.
    client.goto(&app.url("/")).await.expect("open the console");
    assert!(client.current_url().await.expect("url").path().ends_with("/login"), "signed out: to the login page");
    snap(&client, 390, "login").await;
    fill(&client, "#username", "counselor.xinan").await;
    fill(&client, "#password", crate::helpers::PASSWORD).await;
    click(&client, "button[type=submit]").await;
    arrived(&client, "nav.nav").await;
    assert!(source(&client).await.contains("我的待办"), "the counselor lands on 我的待办");
    let width = client.execute("return window.innerWidth", vec![]).await.expect("width");
    assert_eq!(width, Value::from(390), "the phone's viewport");

    // Finding the enterprise by a fragment of its name.
    click(&client, "nav.nav a[href='/enterprises']").await;
    fill(&client, "#q", "星河").await;
    click(&client, "form.search button[type=submit]").await;
    arrived(&client, &format!("ul.lines a[href='/enterprises/{here}']")).await;
    let found = source(&client).await;
    assert!(found.contains("星河智能科技有限公司") && !found.contains("星河远方材料"), "only the counselor's street");
    snap(&client, 390, "search").await;
    click(&client, &format!("a[href='/enterprises/{here}']")).await;
    arrived(&client, "#certificates").await;
    let page = source(&client).await;
    assert!(page.contains("科技型中小企业") && page.contains("tel:13800138000") && page.contains("晋级"), "{page}");
    assert!(fits(&client).await, "no sideways scrolling");
    snap(&client, 390, "enterprise").await;

    // Logging the visit with a demand.
    click(&client, &format!("a[href='/enterprises/{here}/visits/new']")).await;
    arrived(&client, "#summary").await;
    click(&client, "input[name=purposes][value=demand_collection]").await;
    fill(&client, "#summary", "与总经理张伟沟通研发投入与扩产计划").await;
    fill(&client, "#follow_up_on", "").await;
    client
        .find(Locator::Css("#demand_category_0"))
        .await
        .expect("category")
        .select_by_value("space")
        .await
        .expect("select");
    fill(&client, "#demand_title_0", "扩租研发楼 2000 平方米").await;
    fill(&client, "#demand_description_0", "现有场地不足，希望园区协调").await;
    assert!(fits(&client).await, "no sideways scrolling");
    snap(&client, 390, "visit").await;
    click(&client, "form button.primary[type=submit]").await;
    arrived(&client, ".notice").await;
    let page = source(&client).await;
    assert!(page.contains("走访已记录"), "{page}");
    assert!(
        page.contains("与总经理张伟沟通研发投入") && page.contains("扩租研发楼 2000 平方米"),
        "both on the timeline"
    );

    // Back to the form as it was filled, and the same button again: nothing saved twice.
    client.back().await.expect("back");
    arrived(&client, "#summary").await;
    click(&client, "form button.primary[type=submit]").await;
    arrived(&client, "a.button.primary").await;
    let page = source(&client).await;
    assert!(page.contains("这份表单已经提交过"), "{page}");
    snap(&client, 390, "already-saved").await;
    let saved = "SELECT (SELECT count(*) FROM visits) + (SELECT count(*) FROM service_requests) AS n";
    assert_eq!(crate::helpers::count(&app, saved), 2, "one visit and one demand");
    click(&client, "a.button.primary").await;
    arrived(&client, "#certificates").await;

    // The demand waits in 我的待办; it is taken and resolved.
    click(&client, "nav.nav a[href='/']").await;
    arrived(&client, "#section-1").await;
    let home = source(&client).await;
    let waiting = home.split("待分派的诉求").nth(1).expect("the unassigned section");
    assert!(waiting.contains("扩租研发楼 2000 平方米"), "{home}");
    snap(&client, 390, "home").await;
    click(&client, "section:has(h2[id]) a[href^='/requests/']").await;
    arrived(&client, "input[name=action]").await;
    snap(&client, 390, "request").await;
    click(&client, "form:has(input[name=action][value=acknowledge]) button[type=submit]").await;
    arrived(&client, "input[name=action][value=resolve]").await;
    assert!(source(&client).await.contains("已分派"), "taken by the counselor (签收)");
    fill(&client, "form:has(input[name=action][value=resolve]) textarea", "已协调园区空置楼层").await;
    click(&client, "form:has(input[name=action][value=resolve]) button[type=submit]").await;
    arrived(&client, "input[name=action][value=callback]").await;
    let page = source(&client).await;
    assert!(page.contains("已办结") && page.contains("已协调园区空置楼层"), "{page}");
    snap(&client, 390, "request-resolved").await;

    // The other pages, and every page again on a desk.
    let request = client.current_url().await.expect("url").path().to_owned();
    let pages = [
        ("home", "/".to_owned()),
        ("search", "/enterprises?q=%E6%98%9F%E6%B2%B3".to_owned()),
        ("enterprise", format!("/enterprises/{here}")),
        ("visit", format!("/enterprises/{here}/visits/new")),
        ("raise", format!("/enterprises/{here}/requests/new")),
        ("apply", format!("/enterprises/{here}/applications/new")),
        ("indicators", format!("/enterprises/{here}/indicators?year=2025")),
        ("request", request),
        ("applications", "/applications".to_owned()),
        ("not-found", "/enterprises/00000000-0000-7000-8000-000000000000".to_owned()),
    ];
    photograph(&client, &app, &[(390, 844), (1440, 900)], &pages).await;
    client.close().await.expect("close the browser");
}

#[actix_web::test]
async fn a_manager_goes_from_the_cockpit_to_the_enterprises_behind_a_number_and_exports_them() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let Some((driver, client)) = browser().await else { return };
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    app.user("bureau.manager", "manager", &[]).await;
    for n in 1..=4 {
        let here = if n % 2 == 0 { &street } else { &other };
        let id = id_of(
            &app.enterprise(&json!({"uscc": uscc(n), "name": format!("光谷{n}号科技"), "street_id": here})).await,
        );
        let sme = json!({"to_tier": "tech_sme", "effective_on": days_ago(200)});
        assert_eq!(app.post(&format!("/api/v1/enterprises/{id}/promotions"), &sme).await.status(), 201);
    }
    app.enterprise(&json!({"uscc": uscc(9), "name": "未入库企业", "street_id": other})).await;
    let targets = json!({"targets": [{"tier": "tech_sme", "region_id": street, "target": 30}]});
    let year = chrono::Utc::now().format("%Y");
    let put = app.admin().request(reqwest::Method::PUT, &format!("/api/v1/targets/{year}")).json(&targets);
    assert_eq!(put.send().await.expect("request").status(), 200);

    client.set_window_size(1440, 900).await.expect("a desk");
    client.goto(&app.url("/login")).await.expect("open");
    fill(&client, "#username", "bureau.manager").await;
    fill(&client, "#password", crate::helpers::PASSWORD).await;
    click(&client, "button[type=submit]").await;
    arrived(&client, "#ladder").await;
    snap(&client, 1440, "cockpit").await;
    // The 西乡 × 科技型中小企业 cell: two enterprises, and the list of exactly them.
    let cell = format!("a[href='/enterprises?tier=tech_sme&street_id={other}']");
    assert_eq!(client.find(Locator::Css(&cell)).await.expect("the cell").text().await.expect("text"), "2");
    click(&client, &cell).await;
    arrived(&client, "#results").await;
    let list = source(&client).await;
    assert_eq!(list.matches(r#"class="title""#).count(), 2, "{list}");
    assert!(list.contains("光谷1号科技") && list.contains("光谷3号科技") && !list.contains("未入库企业"), "{list}");
    snap(&client, 1440, "list").await;
    click(&client, "a[href^='/enterprises/export'][href*='format=xlsx']").await;
    let mut file = None;
    for _ in 0..50 {
        file = std::fs::read_dir(&driver.downloads)
            .expect("downloads")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|x| x == "xlsx"));
        if file.is_some() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let file = file.expect("the browser saved the XLSX");
    let mut book: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(std::fs::read(&file).expect("read"))).expect("XLSX");
    let sheet = book.worksheet_range("企业名录").expect("the sheet");
    let mut names: Vec<String> =
        sheet.rows().filter_map(|row| row.get(1).map(ToString::to_string)).filter(|n| n.starts_with("光谷")).collect();
    names.sort();
    assert_eq!(names, ["光谷1号科技", "光谷3号科技"]);

    // The cockpit on a phone: no sideways scrolling of the page itself.
    client.set_window_size(390, 844).await.expect("a phone");
    client.goto(&app.url("/cockpit")).await.expect("open");
    assert!(fits(&client).await, "no sideways scrolling");
    snap(&client, 390, "cockpit").await;
    client.close().await.expect("close the browser");
}

#[actix_web::test]
async fn an_admin_creates_a_counselor_for_a_street_who_then_signs_in() {
    let Some((_driver, client)) = browser().await else { return };
    let app = TestApp::spawn().await;
    let (street, other, _) = app.streets().await;
    app.user("bureau.admin", "admin", &[]).await;
    app.enterprise(&json!({"uscc": uscc(1), "name": "新安光电科技", "street_id": street})).await;
    app.enterprise(&json!({"uscc": uscc(2), "name": "西乡精密制造", "street_id": other})).await;
    let year = chrono::Utc::now().format("%Y");
    let targets = json!({"targets": [{"tier": "hnte", "region_id": street, "target": 25}]});
    let put = app.admin().request(reqwest::Method::PUT, &format!("/api/v1/targets/{year}")).json(&targets);
    assert_eq!(put.send().await.expect("request").status(), 200);
    app.api_key(&["registry:write"]).await;

    client.set_window_size(1440, 900).await.expect("a desk");
    client.goto(&app.url("/login")).await.expect("open");
    fill(&client, "#username", "bureau.admin").await;
    fill(&client, "#password", crate::helpers::PASSWORD).await;
    click(&client, "button[type=submit]").await;
    arrived(&client, "nav.nav a[href='/admin']").await;
    click(&client, "nav.nav a[href='/admin']").await;
    arrived(&client, "a[href='/admin/users/new']").await;
    click(&client, "a[href='/admin/users/new']").await;
    arrived(&client, "#username").await;
    fill(&client, "#username", "zhao.xinan").await;
    fill(&client, "#display_name", "赵辅导员").await;
    fill(&client, "#password", "xinan-mornings-2026").await;
    click(&client, &format!("input[name=street_ids][value='{street}']")).await;
    snap(&client, 1440, "admin-user-form").await;
    click(&client, "form button.primary[type=submit]").await;
    arrived(&client, ".notice").await;
    let list = source(&client).await;
    assert!(list.contains("赵辅导员") && list.contains("zhao.xinan · 街道辅导员 · 新安街道"), "{list}");
    snap(&client, 1440, "admin-users").await;
    click(&client, "ul.lines li:last-child a").await;
    arrived(&client, "input[name=active]").await;
    assert!(source(&client).await.contains("zhao.xinan"), "the account's own page");
    snap(&client, 1440, "admin-user-edit").await;
    // An empty form comes back with its messages beside the fields.
    client.set_window_size(390, 844).await.expect("a phone");
    client.goto(&app.url("/admin/users/new")).await.expect("open");
    click(&client, "form button.primary[type=submit]").await;
    arrived(&client, "#username-error").await;
    snap(&client, 390, "admin-user-errors").await;

    // The other pages of 系统管理, on a desk and on a phone.
    let pages = [
        ("admin-users", "/admin/users".to_owned()),
        ("admin-user-form", "/admin/users/new".to_owned()),
        ("admin-regions", "/admin/regions".to_owned()),
        ("admin-api-keys", "/admin/api-keys".to_owned()),
        ("targets", "/targets".to_owned()),
    ];
    photograph(&client, &app, &[(1440, 900), (390, 844)], &pages).await;
    // A key, shown once.
    client.set_window_size(1440, 900).await.expect("a desk");
    client.goto(&app.url("/admin/api-keys")).await.expect("open");
    fill(&client, "#name", "省科技厅高企认定系统").await;
    click(&client, "input[name=scopes][value='registry:write']").await;
    click(&client, "form[action='/admin/api-keys/new'] button[type=submit]").await;
    arrived(&client, "#key").await;
    let key = client.find(Locator::Css("#key")).await.expect("key").prop("value").await.expect("value");
    assert!(key.is_some_and(|k| k.starts_with("pk_")));
    snap(&client, 1440, "admin-api-key-created").await;
    // Back and the same button: no second key, and this one is not shown again.
    client.back().await.expect("back");
    arrived(&client, "#name").await;
    click(&client, "form[action='/admin/api-keys/new'] button[type=submit]").await;
    arrived(&client, "a.button.primary").await;
    let again = source(&client).await;
    assert!(again.contains("这份表单已经提交过") && !again.contains("pk_"), "{again}");
    let made = "SELECT count(*) AS n FROM api_keys WHERE name = '省科技厅高企认定系统'";
    assert_eq!(crate::helpers::count(&app, made), 1, "one key");
    click(&client, "a.button.primary").await;
    arrived(&client, "#name").await;

    // The new counselor signs in and works their own street.
    click(&client, "form[action='/logout'] button").await;
    arrived(&client, "#username").await;
    fill(&client, "#username", "zhao.xinan").await;
    fill(&client, "#password", "xinan-mornings-2026").await;
    click(&client, "button[type=submit]").await;
    arrived(&client, "nav.nav").await;
    let home = source(&client).await;
    assert!(home.contains("我的待办") && home.contains("赵辅导员") && !home.contains("href=\"/admin\""), "{home}");
    client.goto(&app.url("/enterprises")).await.expect("open");
    arrived(&client, "#q").await;
    let list = source(&client).await;
    assert!(list.contains("新安光电科技") && !list.contains("西乡精密制造"), "{list}");
    client.close().await.expect("close the browser");
}

#[actix_web::test]
async fn a_manager_finds_an_overdue_request_approves_an_extension_and_a_callback_reopens_another() {
    let Some((_driver, client)) = browser().await else { return };
    let app = TestApp::spawn().await;
    let (street, _, _) = app.streets().await;
    app.user("bureau.manager", "manager", &[]).await;
    let (counselor_id, counselor) = app.user("counselor.xinan", "counselor", &[&street]).await;
    let here = id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "星河智能科技", "street_id": street})).await);
    let raise = |title: &'static str| {
        let (app, here, counselor_id) = (&app, &here, &counselor_id);
        async move {
            let body = json!({"category": "space", "priority": "normal", "title": title, "description": "企业反映"});
            let raised = app.post(&format!("/api/v1/enterprises/{here}/requests"), &body).await;
            let id = id_of(&raised.json::<Value>().await.expect("json"));
            let assign = json!({"action": "assign", "assignee_id": counselor_id});
            assert_eq!(app.post(&format!("/api/v1/requests/{id}/transitions"), &assign).await.status(), 200);
            id
        }
    };
    let late = raise("逾期的用地诉求").await;
    crate::helpers::run_sql(
        &app,
        &format!("UPDATE service_requests SET stage_due_at = now() - interval '2 days' WHERE id = '{late}'"),
    );
    let extended = raise("扩租需延期").await;
    let ask = json!({"action": "extend", "days": 5, "note": "等待园区腾退"});
    let asked = app.with_token(&counselor).post(&format!("/api/v1/requests/{extended}/transitions"), &ask).await;
    assert_eq!(asked.status(), 200);
    let resolved = raise("已办结待回访").await;
    let resolve = json!({"action": "resolve", "note": "已协调空置楼层"});
    assert_eq!(app.post(&format!("/api/v1/requests/{resolved}/transitions"), &resolve).await.status(), 200);

    client.goto(&app.url("/login")).await.expect("open");
    fill(&client, "#username", "bureau.manager").await;
    fill(&client, "#password", crate::helpers::PASSWORD).await;
    click(&client, "button[type=submit]").await;
    arrived(&client, "#requests").await;
    // The cockpit's overdue count leads to the inbox's overdue queue.
    click(&client, "#requests + dl a[href^='/inbox?view=overdue']").await;
    arrived(&client, ".queues").await;
    let inbox = source(&client).await;
    assert!(inbox.contains("逾期的用地诉求") && !inbox.contains("扩租需延期"), "only the overdue one");
    snap(&client, 390, "inbox-overdue").await;

    // The extension waiting for an answer, approved from its page.
    click(&client, ".queues a[href^='/inbox?view=extension']").await;
    arrived(&client, &format!("a[href='/requests/{extended}']")).await;
    click(&client, &format!("a[href='/requests/{extended}']")).await;
    arrived(&client, "input[name=action][value=approve_extension]").await;
    assert!(source(&client).await.contains("申请延期 5 个工作日，待审批"));
    click(&client, "form:has(input[name=action][value=approve_extension]) button[type=submit]").await;
    arrived(&client, "p.notice").await;
    let approved = source(&client).await;
    assert!(!approved.contains("待审批") && approved.contains("同意延期"), "{approved}");
    snap(&client, 390, "extension-approved").await;

    // A callback that finds the enterprise dissatisfied sends the request back to work.
    client.goto(&app.url(&format!("/requests/{resolved}"))).await.expect("open");
    arrived(&client, "input[name=action][value=callback]").await;
    click(&client, "form:has(input[name=action][value=callback]) input[name=channel][value=phone]").await;
    click(&client, "form:has(input[name=action][value=callback]) input[name=satisfaction][value='2']").await;
    fill(&client, "form:has(input[name=action][value=callback]) textarea", "企业认为楼层面积不足").await;
    click(&client, "form:has(input[name=action][value=callback]) button[type=submit]").await;
    arrived(&client, "p.notice").await;
    let reopened = source(&client).await;
    assert!(
        reopened.contains("已分派") && reopened.contains("企业认为楼层面积不足"),
        "back to its handler: {reopened}"
    );
    snap(&client, 390, "callback-reopened").await;

    let pages = [
        ("inbox", "/inbox".to_owned()),
        ("agenda-manager", "/agenda".to_owned()),
        ("request-reopened", format!("/requests/{resolved}")),
        ("cockpit-manager", "/cockpit".to_owned()),
    ];
    photograph(&client, &app, &[(390, 844), (1440, 900)], &pages).await;
    client.close().await.expect("close the browser");
}

#[actix_web::test]
async fn a_manager_reads_the_strip_follows_at_risk_and_picks_from_the_radar_on_a_phone_and_a_desk() {
    let Some((_driver, client)) = browser().await else { return };
    let app = TestApp::spawn().await;
    let (street, _, _) = app.streets().await;
    app.user("bureau.manager", "manager", &[]).await;
    let enterprise = |n: u32, name: &str| json!({"uscc": uscc(n), "name": name, "street_id": street});
    let close = id_of(&app.enterprise(&enterprise(1, "差两名科技人员")).await);
    let figures = json!({"staff": 100, "tech_staff": 8, "revenue": 30_000_000, "total_assets": 20_000_000, "assessment_score": 72.0});
    let put = app.admin().request(reqwest::Method::PUT, &format!("/api/v1/enterprises/{close}/indicators/2025"));
    assert!(put.header("If-Match", "*").json(&figures).send().await.expect("figures").status().is_success());
    let owing = id_of(&app.enterprise(&enterprise(2, "欠年报的国高")).await);
    let hnte = json!({"to_tier": "hnte", "effective_on": "2025-03-01"});
    assert_eq!(app.post(&format!("/api/v1/enterprises/{owing}/promotions"), &hnte).await.status(), 201);

    client.set_window_size(390, 844).await.expect("a phone");
    client.goto(&app.url("/login")).await.expect("open");
    fill(&client, "#username", "bureau.manager").await;
    fill(&client, "#password", crate::helpers::PASSWORD).await;
    click(&client, "button[type=submit]").await;
    arrived(&client, ".strip").await;
    assert!(fits(&client).await, "the strip at 390 px");
    snap(&client, 390, "cockpit-strip").await;
    // 掉级风险企业: one, and a click away from the list of it.
    let at_risk = client.find(Locator::Css("a.figure[href^='/at-risk']")).await.expect("the at-risk figure");
    assert!(at_risk.text().await.expect("text").starts_with('1'));
    at_risk.click().await.expect("follow");
    arrived(&client, "#list-title").await;
    assert!(source(&client).await.contains("欠年报的国高"));
    client.goto(&app.url("/radar")).await.expect("open");
    arrived(&client, "#list-title").await;
    let radar = source(&client).await;
    assert!(radar.contains("差两名科技人员") && radar.contains("还差 2 名科技人员"), "{radar}");
    assert!(fits(&client).await, "the radar at 390 px");
    snap(&client, 390, "radar").await;
    client.set_window_size(1440, 900).await.expect("a desk");
    photograph(&client, &app, &[(1440, 900)], &[("radar", "/radar".into()), ("cockpit-strip", "/cockpit".into())])
        .await;
    client.close().await.expect("close the browser");
}
