//! File imports: CSV and XLSX with Chinese headers, over HTTP and from the command line.

use crate::enterprises::Count;
use crate::helpers::{TestApp, count, days_ago, fields, footprint, problem, query, uscc};
use serde_json::Value;

pub async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>, query: &str) -> reqwest::Response {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    app.with_token(token)
        .request(reqwest::Method::POST, &format!("/api/v1/imports{query}"))
        .multipart(form)
        .send()
        .await
        .expect("request")
}

/// A workbook of two cells at its corners, A1 and XFD1048576: 1.6 KB claiming a sheet of
/// 17 billion cells.
pub fn corners_xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "统一社会信用代码").expect("cell");
    sheet.write_string(1_048_575, 16_383, "x").expect("cell");
    book.save_to_buffer().expect("xlsx")
}

#[actix_web::test]
async fn a_spreadsheet_that_claims_more_than_it_holds_is_refused_naming_the_limit() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user("zhang.ju", "manager", &[]).await;
    let refused = problem(upload(&app, &manager, "名单.xlsx", corners_xlsx(), "").await, 422).await;
    assert_eq!(fields(&refused), ["file"]);
    assert_eq!(refused["errors"][0]["message"], "the file has a cell beyond column 256");
    // The server is still there, and nothing was stored.
    assert_eq!(app.anonymous().get("/healthz").await.status(), 200);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM enterprises"), 0);
}

/// A certification list as a district keeps it: Chinese headers, Chinese tier names,
/// dates written three ways, one bad check digit, one unknown tier, one repeat.
pub fn certification_csv() -> Vec<u8> {
    let mut bad = uscc(3);
    bad.replace_range(17.., if bad.ends_with('0') { "1" } else { "0" });
    let on = days_ago(30);
    let slashed = on.format("%Y/%-m/%-d").to_string();
    let rows = [
        "统一社会信用代码,企业名称,认定类型,证书编号,认定日期,批次".to_owned(),
        format!("{},星河智能,国家高新技术企业,GR2025440001,{on},2025年第一批", uscc(1)),
        format!("{},深蓝海洋,科技型中小企业,,{slashed},2025年第一批", uscc(2)),
        format!("{bad},校验错误,国家高新技术企业,,{on},"),
        format!("{},独角兽,独角兽企业,,{on},", uscc(4)),
        format!("{},星河智能,国家高新技术企业,GR2025440001,{on},2025年第一批", uscc(1)),
    ];
    format!("\u{feff}{}\n", rows.join("\n")).into_bytes()
}

#[actix_web::test]
async fn a_certification_list_imports_once_and_reports_its_bad_rows() {
    let app = TestApp::spawn().await;
    let (_, manager) = app.user("zhang.ju", "manager", &[]).await;
    let before = footprint(&app);

    let dry = upload(&app, &manager, "2025认定名单.csv", certification_csv(), "?dry_run=true").await;
    assert_eq!(dry.status(), 200);
    let dry: Value = dry.json().await.expect("json");
    assert_eq!((dry["dry_run"].as_bool(), dry["created"].as_u64()), (Some(true), Some(2)), "{dry}");
    assert_eq!(footprint(&app), before, "a dry run changes nothing");

    let report: Value =
        upload(&app, &manager, "2025认定名单.csv", certification_csv(), "").await.json().await.expect("json");
    assert_eq!(report["kind"], "certifications");
    assert_eq!((report["rows"].as_u64(), report["created"].as_u64()), (Some(5), Some(2)), "{report}");
    assert_eq!(report["rejected"], 3);
    let problems: Vec<(u64, &str)> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["row"].as_u64().unwrap_or(0), p["column"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(problems, [(4, "统一社会信用代码"), (5, "认定类型"), (6, "统一社会信用代码")]);
    assert!(report["problems"][2]["problem"].as_str().is_some_and(|p| p.contains("row 2")), "{report}");
    let unassigned = count(&app, "SELECT count(*) AS n FROM enterprises WHERE street_id IS NULL");
    assert_eq!(unassigned, 2, "both enterprises wait for triage");
    let after = footprint(&app);

    let again: Value =
        upload(&app, &manager, "2025认定名单.csv", certification_csv(), "").await.json().await.expect("json");
    assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(2)), "{again}");
    assert_eq!(footprint(&app), after, "importing the same file again changes nothing");

    let (_, counselor) = app.user("li.jd", "counselor", &[]).await;
    problem(upload(&app, &counselor, "x.csv", certification_csv(), "").await, 403).await;
    let wrong = problem(upload(&app, &manager, "名单.xls", certification_csv(), "").await, 422).await;
    assert_eq!(fields(&wrong), ["file"]);
    let headless = problem(upload(&app, &manager, "名单.csv", "名称,地址\n甲,乙\n".into(), "").await, 422).await;
    assert!(headless["errors"][0]["message"].as_str().is_some_and(|d| d.contains("统一社会信用代码")), "{headless}");
}

/// An enterprise roster as XLSX: 所属街道 by name, a date cell, a number cell, a blank
/// street (unassigned), an unknown street and a bad phone.
fn roster_xlsx() -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let headers = ["统一社会信用代码", "企业名称", "所属街道", "成立日期", "从业人数", "联系电话"];
    for (column, header) in headers.iter().enumerate() {
        sheet.write_string(0, column as u16, *header).expect("header");
    }
    let date = rust_xlsxwriter::ExcelDateTime::from_ymd(2019, 5, 6).expect("date");
    let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let rows = [
        (uscc(11), "新安智造有限公司", "新安", 120.0, "0755-1234567"),
        (uscc(12), "未分街道科技有限公司", "", 8.0, ""),
        (uscc(13), "远方科技有限公司", "火星街道", 5.0, ""),
        (uscc(14), "号码科技有限公司", "西乡街道", 5.0, "call me"),
    ];
    for (i, (code, name, street, staff, phone)) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        sheet.write_string(row, 0, code).expect("cell");
        sheet.write_string(row, 1, *name).expect("cell");
        sheet.write_string(row, 2, *street).expect("cell");
        sheet.write_datetime_with_format(row, 3, &date, &format).expect("cell");
        sheet.write_number(row, 4, *staff).expect("cell");
        sheet.write_string(row, 5, *phone).expect("cell");
    }
    workbook.save_to_buffer().expect("xlsx")
}

#[actix_web::test]
async fn a_roster_registers_and_updates_enterprises_by_uscc() {
    let app = TestApp::spawn().await;
    let (street, ..) = app.streets().await;
    let (_, manager) = app.user("zhang.ju", "manager", &[]).await;
    let report: Value = upload(&app, &manager, "企业名录.xlsx", roster_xlsx(), "").await.json().await.expect("json");
    assert_eq!(report["kind"], "enterprises", "{report}");
    assert_eq!((report["created"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(2)), "{report}");
    let problems: Vec<(u64, &str)> = report["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .map(|p| (p["row"].as_u64().unwrap_or(0), p["column"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(problems, [(4, "所属街道"), (5, "联系电话")]);
    let listed: Value = app.get(&format!("/api/v1/enterprises?street_id={street}")).await.json().await.expect("json");
    let xinan = &listed["items"][0];
    assert_eq!((xinan["name"].as_str(), xinan["employees"].as_i64()), (Some("新安智造有限公司"), Some(120)));
    assert_eq!(xinan["established_on"], "2019-05-06");
    let triage: Value = app.get("/api/v1/enterprises?street_id=unassigned").await.json().await.expect("json");
    assert_eq!(triage["items"][0]["name"], "未分街道科技有限公司");

    let again: Value = upload(&app, &manager, "企业名录.xlsx", roster_xlsx(), "").await.json().await.expect("json");
    assert_eq!((again["unchanged"].as_u64(), again["updated"].as_u64()), (Some(2), Some(0)), "{again}");
    // A later roster moves a number: the enterprise is updated (its tags kept), and the
    // change audited.
    let tag = format!(
        "WITH t AS (UPDATE enterprises SET tags = '{{重点, 上市后备}}' WHERE uscc = '{}' RETURNING 1) SELECT count(*) AS n FROM t",
        uscc(11)
    );
    assert_eq!(count(&app, &tag), 1);
    // (Its USCC in lower case, as spreadsheets sometimes have it.)
    let csv = format!("统一社会信用代码,企业名称,从业人数\n{},新安智造有限公司,150\n", uscc(11).to_lowercase());
    let moved: Value =
        upload(&app, &manager, "更新.csv", csv.into_bytes(), "?kind=enterprises").await.json().await.expect("json");
    assert_eq!(moved["updated"], 1, "{moved}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM audit_log WHERE entity = 'enterprise' AND action = 'update'"), 1);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) AS n FROM enterprises WHERE employees = 150 AND street_id = '{street}' \
             AND tags = '{{重点, 上市后备}}' AND version = 2"
            )
        ),
        1
    );

    // Rows naming one USCC apply in file order, each over what the one before left: the
    // enterprise is registered once, with the later row's number and the earlier's phone.
    let csv = format!(
        "统一社会信用代码,企业名称,所属街道,从业人数,联系电话\n{u},两行科技有限公司,新安,10,0755-7654321\n{u},两行科技有限公司,,12,\n",
        u = uscc(15)
    );
    let twice: Value =
        upload(&app, &manager, "两行.csv", csv.into_bytes(), "?kind=enterprises").await.json().await.expect("json");
    assert_eq!((twice["created"].as_u64(), twice["updated"].as_u64()), (Some(1), Some(1)), "{twice}");
    let both = format!(
        "SELECT count(*) AS n FROM enterprises WHERE uscc = '{}' AND employees = 12 AND contact_phone = '0755-7654321' \
         AND street_id = '{street}'",
        uscc(15)
    );
    assert_eq!(count(&app, &both), 1);
    assert_eq!(count(&app, &format!("SELECT count(*) AS n FROM audit_log WHERE after->>'uscc' = '{}'", uscc(15))), 1);
}

/// Runs `peiyu import FILE ARGS…` against the test's database: its standard output.
async fn peiyu_import(app: &TestApp, file: &std::path::Path, args: &[&str]) -> String {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_peiyu"));
    command.arg("import").arg(file).args(args).env("DATABASE_URL", &app.database_url);
    command.env("PEIYU_DATA_DIR", file.parent().expect("a directory"));
    let output = actix_web::rt::task::spawn_blocking(move || command.output()).await.expect("ran").expect("peiyu");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[actix_web::test]
async fn the_command_line_imports_with_a_report_next_to_the_file() {
    let app = TestApp::spawn().await;
    let directory = std::env::temp_dir().join(format!("peiyu-import-{}", uuid::Uuid::now_v7().simple()));
    std::fs::create_dir_all(&directory).expect("directory");
    let file = directory.join("名单.csv");
    std::fs::write(&file, certification_csv()).expect("fixture");

    let dry = peiyu_import(&app, &file, &["--dry-run"]).await;
    assert!(dry.starts_with("dry run, nothing saved: 5 rows"), "{dry}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM certificates"), 0);
    let report = std::fs::read_to_string(directory.join("名单.csv.errors.csv")).expect("report");
    let lines: Vec<&str> = report.lines().collect();
    assert_eq!(lines[0], "row,column,problem");
    assert_eq!(lines.len(), 4, "{report}");
    assert!(lines[1].starts_with("4,统一社会信用代码,"), "{report}");

    let done = peiyu_import(&app, &file, &["--kind", "certifications"]).await;
    assert!(done.contains("2 created"), "{done}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM certificates"), 2);
    // Two enterprises registered (already on their rung), two certificates, two moves.
    let audited: Vec<Count> = query(
        &app,
        "SELECT count(*) AS n FROM audit_log WHERE actor_kind = 'system' AND entity <> 'user' GROUP BY entity, action ORDER BY entity, action",
    );
    assert_eq!(audited.iter().map(|c| c.n).collect::<Vec<_>>(), [2, 2, 2]);
    std::fs::remove_dir_all(&directory).ok();
}

#[actix_web::test]
async fn a_third_import_while_two_are_being_read_is_answered_503() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn().await;
    let (_, manager) = app.user("zhang.ju", "manager", &[]).await;
    let address = app.url("").trim_start_matches("http://").trim_end_matches('/').to_owned();
    let head = format!(
        "POST /api/v1/imports HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {manager}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000\r\n\r\n--x\r\n"
    );
    let hold = || async {
        let mut stream = tokio::net::TcpStream::connect(&address).await.expect("connect");
        stream.write_all(head.as_bytes()).await.expect("write");
        stream
    };
    // Two uploads whose bodies are still on their way hold the two places. One that was
    // itself turned away (a third arrived first on a busy machine) is sent again.
    let mut held = vec![hold().await, hold().await];
    let mut third = None;
    for _ in 0..50 {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        for stream in &mut held {
            let mut answer = [0; 64];
            if let Ok(Ok(n)) =
                tokio::time::timeout(std::time::Duration::from_millis(10), stream.read(&mut answer)).await
            {
                assert!(n == 0 || answer.starts_with(b"HTTP/1.1 503"), "{}", String::from_utf8_lossy(&answer));
                *stream = hold().await;
            } else {
                // Still being read: a byte more keeps it from stalling.
                stream.write_all(b"a").await.expect("write");
            }
        }
        let response = upload(&app, &manager, "名单.csv", certification_csv(), "?dry_run=true").await;
        if response.status() == 503 {
            third = Some(response);
            break;
        }
    }
    let third = third.expect("a third import while two are read is refused");
    assert_eq!(third.headers()["retry-after"], "10");
    assert_eq!(problem(third, 503).await["type"], "tag:peiyu,2026:problem/busy");
}
