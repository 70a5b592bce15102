//! Exports (导出): lists and reports as CSV (UTF-8 with a BOM, so that Excel reads the
//! Chinese right) or XLSX (a title row naming the filters and the time, a bold frozen
//! header, column widths, dates as dates).
//!
//! Rows are written on a blocking thread into a bounded channel that feeds the response
//! body, so a million-row export holds one page of rows and one buffer in memory: CSV
//! goes out as it is written; XLSX worksheets spill to a temporary file (rust_xlsxwriter's
//! constant-memory mode) and are zipped into the stream at the end.

use crate::domain::Refusal;
use crate::service::ServiceError;
use actix_web::http::header::{self, HeaderMap};
use actix_web::{HttpResponse, web::Bytes};
use chrono::{NaiveDate, NaiveDateTime};
use rust_xlsxwriter::{Format as CellFormat, Workbook, XlsxError};
use std::io::{self, Write};
use tokio::sync::mpsc;

const CSV: &str = "text/csv; charset=utf-8";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// Bytes gathered before a chunk goes to the client.
const CHUNK: usize = 64 * 1024;

/// Exports written at once in this process; more wait their turn with their headers sent.
/// Each holds a writer's buffers (an XLSX one ~5 MB: sixty-four at once took the server
/// from 105 to 404 MB) and a connection from the pool's reserve, so two keep memory
/// bounded and leave the requests' connections alone.
static WRITING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A spreadsheet format; JSON is the API's own answer, not an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// `?format=csv|xlsx|json` wins; otherwise the `Accept` header. `None`: answer JSON.
    pub fn negotiate(format: Option<&str>, headers: &HeaderMap) -> Result<Option<Self>, ServiceError> {
        match format {
            Some("json") => return Ok(None),
            Some(name) => {
                return Self::named(name).map(Some).ok_or_else(|| {
                    ServiceError::invalid("format", Refusal::NotInList { allowed: "csv, xlsx, json".into() })
                });
            }
            None => {}
        }
        let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        Ok(accept.split(',').map(|m| m.split(';').next().unwrap_or("").trim()).find_map(|media| match media {
            "text/csv" => Some(Self::Csv),
            XLSX => Some(Self::Xlsx),
            _ => None,
        }))
    }

    /// The format a `format` parameter names.
    pub fn named(name: &str) -> Option<Self> {
        match name {
            "csv" => Some(Self::Csv),
            "xlsx" => Some(Self::Xlsx),
            _ => None,
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Self::Csv => CSV,
            Self::Xlsx => XLSX,
        }
    }

    fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
        }
    }
}

/// How a column's cells are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Decimal,
    /// A share (0–1), shown as a percentage in XLSX.
    Share,
    Date,
    /// A moment in the bureau's time zone.
    DateTime,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    pub kind: Kind,
    /// In characters.
    pub width: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Integer(i64),
    Decimal(f64),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(value: Option<T>) -> Self {
        value.map_or(Cell::Empty, Into::into)
    }
}

impl From<String> for Cell {
    fn from(value: String) -> Self {
        Cell::Text(value)
    }
}

impl From<&str> for Cell {
    fn from(value: &str) -> Self {
        Cell::Text(value.to_owned())
    }
}

impl From<i64> for Cell {
    fn from(value: i64) -> Self {
        Cell::Integer(value)
    }
}

impl From<i32> for Cell {
    fn from(value: i32) -> Self {
        Cell::Integer(value.into())
    }
}

impl From<f64> for Cell {
    fn from(value: f64) -> Self {
        Cell::Decimal(value)
    }
}

impl From<NaiveDate> for Cell {
    fn from(value: NaiveDate) -> Self {
        Cell::Date(value)
    }
}

impl From<NaiveDateTime> for Cell {
    fn from(value: NaiveDateTime) -> Self {
        Cell::DateTime(value)
    }
}

/// One table of an export; a report may have several (XLSX: one worksheet each).
#[derive(Debug, Clone)]
pub struct Sheet {
    pub name: String,
    pub columns: Vec<Column>,
}

impl Sheet {
    /// `columns`: the header, kind and width of each.
    pub fn new(name: &str, columns: &[(&str, Kind, f64)]) -> Self {
        let columns = columns.iter().map(|&(header, kind, width)| Column { header: header.to_owned(), kind, width });
        Self { name: name.to_owned(), columns: columns.collect() }
    }
}

/// What the title row of each worksheet says.
#[derive(Debug, Clone)]
pub struct Heading {
    /// e.g. 企业名录; also the file name's stem (`file`).
    pub title: String,
    pub file: String,
    /// The filters applied, e.g. `梯队=国高；街道=新安街道`; empty: none.
    pub filters: String,
    /// When the export was made, in the bureau's time zone.
    pub generated_at: NaiveDateTime,
}

/// Where rows go: begin a sheet, then its rows in order.
pub trait Sink {
    fn sheet(&mut self, sheet: &Sheet) -> anyhow::Result<()>;
    fn row(&mut self, cells: &[Cell]) -> anyhow::Result<()>;
}

/// Answers with the export, produced by `produce` on a blocking thread.
pub fn respond<F>(format: Format, heading: Heading, produce: F) -> HttpResponse
where
    F: FnOnce(&mut dyn Sink) -> anyhow::Result<()> + Send + 'static,
{
    let (tx, rx) = mpsc::channel::<io::Result<Bytes>>(4);
    let filename = format!("{}-{}.{}", heading.file, heading.generated_at.format("%Y%m%d-%H%M"), format.extension());
    actix_web::rt::spawn(async move {
        let Ok(turn) = WRITING.acquire().await else { return };
        // A client that left while waiting costs no writing.
        if tx.is_closed() {
            return;
        }
        let written = actix_web::rt::task::spawn_blocking(move || write(format, heading, produce, tx)).await;
        drop(turn);
        if let Err(e) = written {
            tracing::error!(error = %e, "an export's writer did not finish");
        }
    });
    let body = futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")))
        // Enterprises, contacts, figures: no copy kept in a cache on the way, or on disk.
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body)
}

/// Writes the export into the channel, and ends the body with an error if it fails.
fn write<F>(format: Format, heading: Heading, produce: F, tx: mpsc::Sender<io::Result<Bytes>>)
where
    F: FnOnce(&mut dyn Sink) -> anyhow::Result<()>,
{
    let mut out = ChannelWriter { tx: tx.clone(), buffer: Vec::with_capacity(CHUNK) };
    let written = match format {
        Format::Csv => write_csv(&mut out, produce),
        Format::Xlsx => write_xlsx(&mut out, &heading, produce),
    }
    .and_then(|()| out.flush().map_err(Into::into));
    match written {
        Ok(()) => {}
        // Asked of the channel: the XLSX writer wraps the error without its source.
        Err(_) if tx.is_closed() => tracing::info!("export abandoned: the client went away"),
        Err(e) => {
            // The status has gone out already: end the body with an error, so the
            // client sees a broken download rather than a short file that looks whole.
            tracing::error!(error = %e, "export failed");
            let _ = tx.blocking_send(Err(io::Error::other(e.to_string())));
        }
    }
}

/// Writes into the response body's channel in chunks; blocks while the client is slow.
struct ChannelWriter {
    tx: mpsc::Sender<io::Result<Bytes>>,
    buffer: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.flush()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK)));
        self.tx.blocking_send(Ok(chunk)).map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }
}

fn write_csv<F>(out: &mut ChannelWriter, produce: F) -> anyhow::Result<()>
where
    F: FnOnce(&mut dyn Sink) -> anyhow::Result<()>,
{
    out.write_all("\u{feff}".as_bytes())?;
    let mut sink = CsvSink { writer: csv::WriterBuilder::new().flexible(true).from_writer(out), sheets: 0 };
    produce(&mut sink)?;
    sink.writer.flush()?;
    Ok(())
}

struct CsvSink<W: Write> {
    writer: csv::Writer<W>,
    sheets: usize,
}

impl<W: Write> Sink for CsvSink<W> {
    fn sheet(&mut self, sheet: &Sheet) -> anyhow::Result<()> {
        // Several tables in one CSV: each after a blank line and its name.
        if self.sheets > 0 {
            self.writer.write_record([""])?;
            self.writer.write_record([&sheet.name])?;
        }
        self.sheets += 1;
        self.writer.write_record(sheet.columns.iter().map(|c| c.header.as_str()))?;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> anyhow::Result<()> {
        self.writer.write_record(cells.iter().map(|cell| match cell {
            Cell::Empty => String::new(),
            Cell::Text(text) => inert(text),
            Cell::Integer(n) => n.to_string(),
            Cell::Decimal(x) => x.to_string(),
            Cell::Date(day) => day.to_string(),
            Cell::DateTime(at) => at.format("%Y-%m-%d %H:%M:%S").to_string(),
        }))?;
        Ok(())
    }
}

/// Text as a spreadsheet reader will take it as text: what starts like a formula (`=`,
/// `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, as OWASP advises, so that
/// a name a registry sent as `=HYPERLINK(…)` reaches the bureau's Excel as the words it
/// is. XLSX needs none of this: its strings are written as strings.
pub fn inert(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_owned() }
}

fn write_xlsx<F>(out: &mut ChannelWriter, heading: &Heading, produce: F) -> anyhow::Result<()>
where
    F: FnOnce(&mut dyn Sink) -> anyhow::Result<()>,
{
    let tx = out.tx.clone();
    let mut sink =
        XlsxSink { workbook: Workbook::new(), heading, formats: Formats::new(), sheet: None, row: 0, tx: &tx };
    produce(&mut sink)?;
    sink.workbook.save_to_writer(out)?;
    Ok(())
}

/// The cell formats an export uses, made once: rust_xlsxwriter hashes a format on every
/// use, and a million rows use them millions of times.
struct Formats {
    bold: CellFormat,
    share: CellFormat,
    date: CellFormat,
    date_time: CellFormat,
}

impl Formats {
    fn new() -> Self {
        Self {
            bold: CellFormat::new().set_bold(),
            share: CellFormat::new().set_num_format("0.0%"),
            date: CellFormat::new().set_num_format("yyyy-mm-dd"),
            date_time: CellFormat::new().set_num_format("yyyy-mm-dd hh:mm"),
        }
    }
}

struct XlsxSink<'a> {
    workbook: Workbook,
    heading: &'a Heading,
    formats: Formats,
    /// The current sheet's index and columns.
    sheet: Option<(usize, Vec<Kind>)>,
    row: u32,
    /// The response's channel, asked now and then whether anyone still listens: rows go
    /// to a temporary file until the end, so a download given up would otherwise be
    /// written in full.
    tx: &'a mpsc::Sender<io::Result<Bytes>>,
}

/// Rows between two looks at whether the client is still there.
const LISTENING_EVERY: u32 = 4096;

/// The title and the header take the first two rows.
const FIRST_DATA_ROW: u32 = 2;

impl Sink for XlsxSink<'_> {
    fn sheet(&mut self, sheet: &Sheet) -> anyhow::Result<()> {
        let index = self.workbook.worksheets().len();
        let worksheet = self.workbook.add_worksheet_with_constant_memory()?;
        // Excel allows 31 characters and no []:*?/\ in a sheet name.
        let name: String = sheet.name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
        worksheet.set_name(name)?;
        let heading = self.heading;
        let filters = if heading.filters.is_empty() { "全部".to_owned() } else { heading.filters.clone() };
        let title =
            format!("{}（筛选：{}；生成于 {}）", heading.title, filters, heading.generated_at.format("%Y-%m-%d %H:%M"));
        worksheet.write_string_with_format(0, 0, title, &self.formats.bold)?;
        for (col, column) in (0u16..).zip(&sheet.columns) {
            worksheet.set_column_width(col, column.width)?;
            worksheet.write_string_with_format(1, col, &column.header, &self.formats.bold)?;
        }
        worksheet.set_freeze_panes(FIRST_DATA_ROW, 0)?;
        self.sheet = Some((index, sheet.columns.iter().map(|c| c.kind).collect()));
        self.row = FIRST_DATA_ROW;
        Ok(())
    }

    fn row(&mut self, cells: &[Cell]) -> anyhow::Result<()> {
        if self.row.is_multiple_of(LISTENING_EVERY) && self.tx.is_closed() {
            anyhow::bail!("the client went away");
        }
        let (index, kinds) = self.sheet.as_ref().ok_or_else(|| anyhow::anyhow!("a row before its sheet"))?;
        let worksheet = self.workbook.worksheet_from_index(*index)?;
        for ((col, cell), kind) in (0u16..).zip(cells).zip(kinds) {
            write_cell(worksheet, &self.formats, self.row, col, cell, *kind)?;
        }
        self.row += 1;
        Ok(())
    }
}

fn write_cell(
    worksheet: &mut rust_xlsxwriter::Worksheet,
    formats: &Formats,
    row: u32,
    col: u16,
    cell: &Cell,
    kind: Kind,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => {}
        Cell::Text(text) => {
            worksheet.write_string(row, col, text)?;
        }
        Cell::Integer(n) => {
            // Exact in a double up to 2^53: counts and ids of this domain are far below.
            worksheet.write_number(row, col, *n as f64)?;
        }
        Cell::Decimal(x) if kind == Kind::Share => {
            worksheet.write_number_with_format(row, col, *x, &formats.share)?;
        }
        Cell::Decimal(x) => {
            worksheet.write_number(row, col, *x)?;
        }
        Cell::Date(day) => {
            worksheet.write_date_with_format(row, col, day, &formats.date)?;
        }
        Cell::DateTime(at) => {
            worksheet.write_datetime_with_format(row, col, at, &formats.date_time)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::inert;

    #[test]
    fn text_that_starts_like_a_formula_is_kept_text() {
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(inert(formula), format!("'{formula}"));
        }
        for text in ["星河智能", "1-2", "a=b", "", "'quoted"] {
            assert_eq!(inert(text), text);
        }
    }
}
