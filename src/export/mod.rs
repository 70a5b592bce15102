//! Spreadsheets both faces hand out (the API's `format=csv|xlsx`, the console's 导出
//! buttons): the `format` parameter, content negotiation, the title row's wording, and the
//! exports of lists. The writing itself (streamed CSV and XLSX) is [`writer`].

pub mod cultivation;
pub mod enterprises;
pub mod expiring;
pub mod reports;
pub mod writer;

use crate::config::Catalog;
use crate::db::PgPool;
use crate::service::ServiceError;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::{PgConnection, QueryResult};
use serde::Deserialize;
use std::collections::HashMap;
use utoipa::IntoParams;
use uuid::Uuid;
use writer::{Cell, Format, Heading, Kind, Sheet, Sink};

/// The media type of XLSX exports, for the OpenAPI document.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` or `xlsx` to download the whole result (no paging), `json` (the default)
    /// for the API's answer. `Accept: text/csv` or the XLSX media type does the same.
    #[param(pattern = "^(csv|xlsx|json)$")]
    pub format: Option<String>,
}

impl ExportParams {
    /// The spreadsheet format asked for; `None`: answer JSON.
    pub fn format(&self, request: &HttpRequest) -> Result<Option<Format>, ServiceError> {
        Format::negotiate(self.format.as_deref(), request.headers())
    }
}

/// The title row: what, with which filters (from the query string), and when.
/// The title row of an export: its title and the filters it was asked with, in words
/// (`places`: region names by id, for a street or region filter; empty for a report that
/// takes none).
pub fn heading(
    catalog: &Catalog,
    request: &HttpRequest,
    title: &str,
    file: &str,
    places: &HashMap<Uuid, String>,
) -> Heading {
    let filters: Vec<String> = form_urlencoded::parse(request.query_string().as_bytes())
        .filter(|(key, _)| !matches!(key.as_ref(), "format" | "cursor" | "limit"))
        .map(|(key, value)| format!("{}={}", filter_label(&key), filter_value(catalog, places, &key, &value)))
        .collect();
    Heading {
        title: title.to_owned(),
        file: file.to_owned(),
        filters: filters.join("；"),
        generated_at: catalog.local(Utc::now()),
    }
}

/// A filter's value in the bureau's words: a rung, a cluster and a region by name, the
/// street of enterprises without one as such.
fn filter_value(catalog: &Catalog, places: &HashMap<Uuid, String>, key: &str, value: &str) -> String {
    let place = value.parse::<Uuid>().ok().and_then(|id| places.get(&id));
    match key {
        "street_id" | "region_id" | "park_id" if place.is_some() => place.cloned().unwrap_or_default(),
        "tier" => catalog.ladder.label(value).unwrap_or(value).to_owned(),
        "cluster" => catalog.clusters.get(value).map_or_else(|_| value.to_owned(), |c| c.name.clone()),
        "street_id" if value == "unassigned" => "未分配街道".to_owned(),
        _ => value.to_owned(),
    }
}

fn filter_label(key: &str) -> &str {
    match key {
        "q" => "关键词",
        "tier" => "梯队",
        "street_id" => "街道",
        "region_id" => "区域",
        "cluster" => "产业集群",
        "expiring_within_days" | "within_days" => "到期天数",
        "not_visited_days" => "未走访天数",
        "days" => "天数",
        "from_year" => "起始年份",
        "to_year" => "截止年份",
        "from" => "起始日期",
        "to" => "截止日期",
        "year" => "年度",
        other => other,
    }
}

/// One table of a report, rows in hand.
pub struct Table {
    pub sheet: Sheet,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: &str, columns: &[(&str, Kind, f64)], rows: Vec<Vec<Cell>>) -> Self {
        Self { sheet: Sheet::new(name, columns), rows }
    }
}

/// Answers with a report's tables: one worksheet each (CSV: one after another).
pub fn report(format: Format, heading: Heading, tables: Vec<Table>) -> HttpResponse {
    writer::respond(format, heading, move |sink| {
        for table in &tables {
            sink.sheet(&table.sheet)?;
            for row in &table.rows {
                sink.row(row)?;
            }
        }
        Ok(())
    })
}

/// Rows per keyset page of a streamed list export: what is held in memory at a time.
const EXPORT_PAGE: i64 = 2_000;

/// Writes every row of a keyset-paginated list: `fetch(conn, after, limit)` gives the page
/// after the key `key` takes from a row; `row` turns a row into cells. Each page takes a
/// pooled connection and gives it back before its rows are written, so a slow download
/// does not hold a connection.
pub fn page_through<T, K>(
    sink: &mut dyn Sink,
    pool: &PgPool,
    mut fetch: impl FnMut(&mut PgConnection, Option<K>, i64) -> QueryResult<Vec<T>>,
    key: impl Fn(&T) -> K,
    row: impl Fn(&T) -> Vec<Cell>,
) -> anyhow::Result<()> {
    let mut after = None;
    loop {
        let rows = fetch(&mut *pool.get()?, after, EXPORT_PAGE)?;
        for item in &rows {
            sink.row(&row(item))?;
        }
        match rows.last() {
            Some(last) if rows.len() as i64 == EXPORT_PAGE => after = Some(key(last)),
            _ => return Ok(()),
        }
    }
}
