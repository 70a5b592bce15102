//! Reading a spreadsheet (CSV or XLSX) into rows of text, as people typed them.

use calamine::{Data, Reader, Xlsx};
use std::io::Cursor;

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// The format a file's name says it is in.
    pub fn of_file_name(name: &str) -> Option<Self> {
        let lower = name.to_lowercase();
        if lower.ends_with(".csv") {
            Some(Self::Csv)
        } else if lower.ends_with(".xlsx") {
            Some(Self::Xlsx)
        } else {
            None
        }
    }
}

/// The first sheet of a workbook, or a CSV file: a header row, then data rows.
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub headers: Vec<String>,
    /// Each with its row number as a spreadsheet shows it (the header is row 1).
    pub rows: Vec<(usize, Vec<String>)>,
}

#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("the CSV file cannot be read: {0}")]
    Csv(#[from] csv::Error),
    #[error("the XLSX file cannot be read: {0}")]
    Xlsx(#[from] calamine::XlsxError),
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the file has no header row")]
    NoHeader,
}

/// Reads `bytes` as `format`. CSV may start with a byte-order mark (Excel writes one).
pub fn read(bytes: &[u8], format: Format) -> Result<Sheet, SheetError> {
    let mut lines = match format {
        Format::Csv => read_csv(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes))?,
        Format::Xlsx => read_xlsx(bytes)?,
    }
    .into_iter()
    .enumerate()
    .map(|(i, cells)| (i + 1, cells));
    let (_, headers) = lines.next().ok_or(SheetError::NoHeader)?;
    let headers = headers.into_iter().map(|h| h.trim().to_owned()).collect();
    let rows = lines.filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty())).collect();
    Ok(Sheet { headers, rows })
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    reader.records().map(|record| Ok(record?.iter().map(str::to_owned).collect())).collect()
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, SheetError> {
    let mut workbook = Xlsx::new(Cursor::new(bytes))?;
    let range = workbook.worksheet_range_at(0).ok_or(SheetError::NoSheet)??;
    Ok(range.rows().map(|row| row.iter().map(text).collect()).collect())
}

/// A cell as the text a person would read in it: whole numbers without `.0`, dates as
/// YYYY-MM-DD.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(at) => at.as_datetime().map(|at| at.date().to_string()).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_a_byte_order_mark_and_blank_rows() {
        let bytes = "\u{feff}统一社会信用代码,企业名称\n91440300MA5FXX9X4B,星河\n,\n".as_bytes();
        let sheet = read(bytes, Format::Csv).expect("readable");
        assert_eq!(sheet.headers, ["统一社会信用代码", "企业名称"]);
        assert_eq!(sheet.rows, [(2, vec!["91440300MA5FXX9X4B".to_owned(), "星河".to_owned()])]);
        assert_eq!(Format::of_file_name("名单.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::of_file_name("名单.xls"), None);
    }
}
