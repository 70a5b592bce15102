//! 数据导入 in the console: a dry run changes nothing, the real run lands the good rows,
//! the report names every bad row on the page and in the downloaded file; only the bureau
//! imports, and only with the form's CSRF token.

use crate::console::{Console, csrf_of, hidden_of};
use crate::helpers::{TestApp, count, footprint};
use crate::imports::certification_csv;
use reqwest::StatusCode;
use reqwest::header::LOCATION;

/// Uploads the file from the import page's form and follows the run until its report is
/// there; the report page.
pub async fn import(console: &mut Console, file: (&str, Vec<u8>), mode: &str) -> (String, String) {
    let form = console.page("/imports").await;
    let (token, once) = (csrf_of(&form), hidden_of(&form, "once").expect("a one-time token"));
    let started =
        console.upload("/imports/new", &[("csrf", &token), ("once", &once), ("kind", ""), ("mode", mode)], file).await;
    assert_eq!(started.status(), StatusCode::SEE_OTHER, "{}", started.text().await.unwrap_or_default());
    let run = started.headers()[LOCATION].to_str().expect("location").to_owned();
    // The run goes on in the background: wait for its report (the page reloads itself
    // while it runs), however long the machine takes.
    loop {
        let page = console.page(&run).await;
        if !page.contains(r#"http-equiv="refresh""#) {
            return (run, page);
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_manager_dry_runs_then_imports_a_list_and_downloads_its_bad_rows() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let app = TestApp::spawn().await;
    app.user("bureau.manager", "manager", &[]).await;
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let before = footprint(&app);

    let (_, dry) = import(&mut manager, ("2025认定名单.csv", certification_csv()), "dry_run").await;
    assert!(dry.contains("试运行完成"), "{dry}");
    assert!(dry.contains("<th scope=\"row\">读取行数</th><td>5</td>"), "{dry}");
    assert!(dry.contains("<th scope=\"row\">新登记企业</th><td>2</td>"), "{dry}");
    assert_eq!(footprint(&app), before, "a dry run changes nothing");

    let (run, report) = import(&mut manager, ("2025认定名单.csv", certification_csv()), "apply").await;
    assert!(report.contains("导入完成"), "{report}");
    assert!(report.contains("<th scope=\"row\">未导入的行</th><td>3</td>"), "{report}");
    // Each bad row with its USCC and name, and its column as the file names it.
    let line = |row: &str, column: &str| {
        report
            .split("<tr>")
            .any(|line| line.starts_with(&format!("<td>{row}</td>")) && line.contains(&format!("<td>{column}</td>")))
    };
    assert!(line("4", "统一社会信用代码") && line("5", "认定类型"), "{report}");
    assert_eq!(count(&app, "SELECT count(*) AS n FROM enterprises"), 2, "the good rows landed");
    let audited = count(
        &app,
        "SELECT count(*) AS n FROM audit_log WHERE actor_id = (SELECT id FROM users WHERE username = 'bureau.manager')",
    );
    assert!(audited > 0, "the import's changes are the manager's in the audit log");

    let (status, _, bytes) = manager.download(&format!("{run}/problems?format=xlsx")).await;
    assert_eq!(status, 200);
    let mut book: Xlsx<_> = open_workbook_from_rs(std::io::Cursor::new(bytes)).expect("a readable XLSX");
    let sheet = book.worksheet_range("问题行").expect("the sheet");
    let rows: Vec<String> = sheet.rows().filter_map(|row| row.first().map(ToString::to_string)).collect();
    assert!(rows.ends_with(&["行号".into(), "4".into(), "5".into(), "6".into()]), "{rows:?}");

    let list = manager.page("/imports").await;
    assert_eq!(list.matches("2025认定名单.csv").count(), 2, "both runs are listed: {list}");
    assert!(list.contains("3/5"), "each with its count of bad rows: {list}");
    // The list reads each report's counts, not its rows of problems.
    let mut conn = app.pool.get().expect("connection");
    let listed = peiyu::db::import_runs::latest(&mut conn, 20).expect("latest");
    let report = listed[0].0.report.as_ref().expect("a report");
    assert!(report.get("problems").is_none() && report["rejected"] == 3, "{report}");
}

#[actix_web::test]
async fn a_file_that_cannot_be_imported_is_named_beside_the_file_field() {
    let app = TestApp::spawn().await;
    app.user("bureau.manager", "manager", &[]).await;
    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let page = manager.page("/imports").await;
    let (token, once) = (csrf_of(&page), hidden_of(&page, "once").expect("a one-time token"));
    let form = [("csrf", token.as_str()), ("once", once.as_str()), ("kind", ""), ("mode", "apply")];

    let wrong = manager.upload("/imports/new", &form, ("名单.xls", certification_csv())).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = wrong.text().await.expect("page");
    assert!(page.contains(r#"id="file-error""#) && page.contains("名单.xls"), "{page}");
    assert!(page.contains(r#"value="apply" checked"#), "the choice is kept: {page}");

    let headless = manager.upload("/imports/new", &form, ("名单.csv", "名称,地址\n甲,乙\n".into())).await;
    assert_eq!(headless.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(headless.text().await.expect("page").contains("统一社会信用代码"));

    // 1.6 KB claiming A1:XFD1048576 (which once made the reader lay out 550 GB).
    let corners = crate::imports::corners_xlsx();
    let bomb = manager.upload("/imports/new", &form, ("名单.xlsx", corners)).await;
    assert_eq!(bomb.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bomb.text().await.expect("page");
    assert!(page.contains("第 256 列之后还有内容"), "{page}");

    let none = manager.upload("/imports/new", &form, ("", Vec::new())).await;
    assert_eq!(none.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.text().await.expect("page").contains("请选择要导入的文件"));
    assert_eq!(count(&app, "SELECT count(*) AS n FROM import_runs"), 0, "no run was recorded");
}

#[actix_web::test]
async fn only_the_bureau_imports_and_only_with_the_forms_token() {
    let app = TestApp::spawn().await;
    let (street, _, _) = app.streets().await;
    app.user("bureau.manager", "manager", &[]).await;
    app.user("li.xinan", "counselor", &[&street]).await;
    let mut counselor = Console::signed_in(&app, "li.xinan").await;
    assert_eq!(counselor.get("/imports").await.0, StatusCode::FORBIDDEN);
    let token = csrf_of(&counselor.page("/").await);
    let refused = counselor.upload("/imports/new", &[("csrf", &token)], ("名单.csv", certification_csv())).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(!counselor.page("/").await.contains(r#"href="/imports""#), "no 数据导入 in a counselor's navigation");

    let mut manager = Console::signed_in(&app, "bureau.manager").await;
    let forged = manager.upload("/imports/new", &[("csrf", "forged")], ("名单.csv", certification_csv())).await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM import_runs"), 0);
    assert_eq!(count(&app, "SELECT count(*) AS n FROM enterprises"), 0);
}
