//! Reading a spreadsheet (CSV or XLSX) into rows of text, as people typed them.

use crate::domain::Refusal;
use calamine::{Data, Reader, Xlsx};
use std::collections::BTreeMap;
use std::io::{Cursor, Read};

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

/// What reading one spreadsheet may cost, whatever the file says of itself: the rows are
/// kept in memory as text, so their cells (every slot up to a row's last cell) and their
/// text are bounded; an XLSX is a zip, so what its parts unpack to is bounded before any
/// of it is parsed (a 1.6 KB file can claim a sheet of 17 billion cells, and a zip of
/// 200 MB unpack to hundreds of gigabytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub cells: usize,
    pub text_bytes: usize,
    /// A cell further right than this many columns is refused.
    pub columns: usize,
    /// What one part of an XLSX (a worksheet) may unpack to.
    pub part_bytes: u64,
    /// What an XLSX's shared strings may unpack to: they are all read into memory before
    /// the first cell, used or not (a 613 KB file of 14 million tiny strings took 640 MB).
    pub shared_strings_bytes: u64,
    /// What all the parts of an XLSX may unpack to together.
    pub unpacked_bytes: u64,
}

impl Limits {
    /// A file uploaded to the server (at most 32 MiB): about 120 MB of rows in memory at
    /// the most, and a second of unpacking.
    pub const UPLOAD: Self = Self {
        cells: 2_000_000,
        text_bytes: 32 * 1024 * 1024,
        columns: 256,
        part_bytes: 256 * 1024 * 1024,
        shared_strings_bytes: 16 * 1024 * 1024,
        unpacked_bytes: 512 * 1024 * 1024,
    };

    /// A file on the operator's own disk (`peiyu import`): a province's list.
    pub const LOCAL_FILE: Self = Self {
        cells: 20_000_000,
        text_bytes: 512 * 1024 * 1024,
        columns: 256,
        part_bytes: 4 * 1024 * 1024 * 1024,
        shared_strings_bytes: 512 * 1024 * 1024,
        unpacked_bytes: 8 * 1024 * 1024 * 1024,
    };
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
    #[error("the XLSX file cannot be read: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the file has no header row")]
    NoHeader,
    #[error("the file has more than {0} cells; split it into smaller files")]
    TooManyCells(usize),
    #[error("the file has more than {0} bytes of text; split it into smaller files")]
    TooMuchText(usize),
    #[error("the file has a cell beyond column {0}")]
    TooWide(usize),
    #[error("the XLSX file unpacks to more than {0} bytes")]
    Unpacks(u64),
}

impl SheetError {
    /// The refusal it is, for the faces to word.
    pub fn refusal(&self) -> Refusal {
        let count = |n: &usize| *n as u64;
        match self {
            Self::Csv(e) => Refusal::UnreadableCsv { detail: e.to_string() },
            Self::Xlsx(e) => Refusal::UnreadableXlsx { detail: e.to_string() },
            Self::Zip(e) => Refusal::UnreadableXlsx { detail: e.to_string() },
            Self::NoSheet => Refusal::NoSheet,
            Self::NoHeader => Refusal::NoHeader,
            Self::TooManyCells(cells) => Refusal::TooManyCells { cells: count(cells) },
            Self::TooMuchText(bytes) => Refusal::TooMuchText { bytes: count(bytes) },
            Self::TooWide(columns) => Refusal::TooWide { columns: count(columns) },
            Self::Unpacks(bytes) => Refusal::Unpacks { bytes: *bytes },
        }
    }
}

/// Reads `bytes` as `format` within `limits`. CSV may start with a byte-order mark (Excel
/// writes one).
pub fn read(bytes: &[u8], format: Format, limits: &Limits) -> Result<Sheet, SheetError> {
    let mut rows = Rows { limits, kept: BTreeMap::new(), cells: 0, text: 0 };
    match format {
        Format::Csv => read_csv(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes), &mut rows)?,
        Format::Xlsx => read_xlsx(bytes, &mut rows)?,
    }
    let mut lines = rows.kept.into_iter();
    let (_, headers) = lines.next().ok_or(SheetError::NoHeader)?;
    let headers = headers.into_iter().map(|h| h.trim().to_owned()).collect();
    let rows = lines.filter(|(_, cells)| cells.iter().any(|c| !c.trim().is_empty())).collect();
    Ok(Sheet { headers, rows })
}

/// The rows read so far, by number (a file may list them in any order), and what they cost.
struct Rows<'a> {
    limits: &'a Limits,
    kept: BTreeMap<usize, Vec<String>>,
    cells: usize,
    text: usize,
}

impl Rows<'_> {
    /// Puts `text` in row `row` (1-based), column `column` (0-based).
    fn put(&mut self, row: usize, column: usize, text: String) -> Result<(), SheetError> {
        if column >= self.limits.columns {
            return Err(SheetError::TooWide(self.limits.columns));
        }
        self.text += text.len();
        if self.text > self.limits.text_bytes {
            return Err(SheetError::TooMuchText(self.limits.text_bytes));
        }
        if !self.kept.contains_key(&row) {
            self.start(row)?;
        }
        let cells = self.kept.entry(row).or_default();
        if cells.len() <= column {
            self.cells += column + 1 - cells.len();
            if self.cells > self.limits.cells {
                return Err(SheetError::TooManyCells(self.limits.cells));
            }
            cells.resize(column + 1, String::new());
        }
        cells[column] = text;
        Ok(())
    }

    /// Starts row `row`; a row costs a cell even when it has none.
    fn start(&mut self, row: usize) -> Result<(), SheetError> {
        self.cells += 1;
        if self.cells > self.limits.cells {
            return Err(SheetError::TooManyCells(self.limits.cells));
        }
        self.kept.insert(row, Vec::new());
        Ok(())
    }
}

fn read_csv(bytes: &[u8], rows: &mut Rows) -> Result<(), SheetError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut record = csv::StringRecord::new();
    let mut row = 0;
    while reader.read_record(&mut record)? {
        row += 1;
        rows.start(row)?;
        for (column, cell) in record.iter().enumerate() {
            rows.put(row, column, cell.to_owned())?;
        }
    }
    Ok(())
}

/// The first worksheet, cell by cell as the file lists them: nothing is laid out for
/// the range the sheet claims.
fn read_xlsx(bytes: &[u8], rows: &mut Rows) -> Result<(), SheetError> {
    check_unpacked(bytes, rows.limits)?;
    let mut workbook = Xlsx::new(Cursor::new(bytes))?;
    let first = workbook.sheet_names().into_iter().next().ok_or(SheetError::NoSheet)?;
    let mut cells = workbook.worksheet_cells_reader(&first)?;
    while let Some(cell) = cells.next_cell()? {
        let (row, column) = cell.get_position();
        let value = text(&Data::from(cell.get_value().clone()));
        if !value.is_empty() {
            rows.put(row as usize + 1, column as usize, value)?;
        }
    }
    Ok(())
}

/// Unpacks every part of the zip without keeping it, and refuses the file when a part or
/// the whole unpacks to more than `limits` allow. What a part says of its own size is not
/// trusted: the bytes are counted.
fn check_unpacked(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))?;
    let mut total = 0;
    for index in 0..archive.len() {
        let mut part = archive.by_index(index)?;
        let shared_strings = part.name().is_ok_and(|name| name.to_ascii_lowercase().ends_with("sharedstrings.xml"));
        let limit = if shared_strings { limits.shared_strings_bytes } else { limits.part_bytes };
        let unpacked = std::io::copy(&mut (&mut part).take(limit + 1), &mut std::io::sink())
            .map_err(|e| SheetError::Zip(e.into()))?;
        if unpacked > limit {
            return Err(SheetError::Unpacks(limit));
        }
        total += unpacked;
        if total > limits.unpacked_bytes {
            return Err(SheetError::Unpacks(limits.unpacked_bytes));
        }
    }
    Ok(())
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
        let sheet = read(bytes, Format::Csv, &Limits::UPLOAD).expect("readable");
        assert_eq!(sheet.headers, ["统一社会信用代码", "企业名称"]);
        assert_eq!(sheet.rows, [(2, vec!["91440300MA5FXX9X4B".to_owned(), "星河".to_owned()])]);
        assert_eq!(Format::of_file_name("名单.XLSX"), Some(Format::Xlsx));
        assert_eq!(Format::of_file_name("名单.xls"), None);
    }

    /// A workbook whose first sheet holds `cells` ((row, column), text), as Excel writes it.
    fn workbook(cells: &[((u32, u16), &str)]) -> Vec<u8> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for ((row, column), text) in cells {
            sheet.write_string(*row, *column, *text).expect("cell");
        }
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn a_sheet_is_read_as_its_cells_not_as_the_range_it_claims() {
        // 1.6 KB that claims A1:XFD1048576: refused at its far cell, nothing laid out.
        let corners = workbook(&[((0, 0), "统一社会信用代码"), ((1_048_575, 16_383), "x")]);
        assert!(corners.len() < 10_000);
        let refused = read(&corners, Format::Xlsx, &Limits::UPLOAD).expect_err("too wide");
        assert!(matches!(refused, SheetError::TooWide(256)), "{refused}");
        // A far row within the columns is one row, numbered as Excel numbers it.
        let far = workbook(&[((0, 0), "统一社会信用代码"), ((0, 1), "企业名称"), ((1_048_575, 1), "星河")]);
        let sheet = read(&far, Format::Xlsx, &Limits::UPLOAD).expect("readable");
        assert_eq!(sheet.rows, [(1_048_576, vec![String::new(), "星河".to_owned()])]);
    }

    #[test]
    fn rows_listed_in_any_order_are_kept_in_the_order_of_their_numbers() {
        let mut rows = Rows { limits: &Limits::UPLOAD, kept: BTreeMap::new(), cells: 0, text: 0 };
        for (row, column, text) in [(1, 0, "表头"), (9, 1, "乙"), (5, 0, "甲"), (9, 0, "丙")] {
            rows.put(row, column, text.to_owned()).expect("within the limits");
        }
        let kept: Vec<_> = rows.kept.into_iter().collect();
        assert_eq!(kept, [(1, vec!["表头".into()]), (5, vec!["甲".into()]), (9, vec!["丙".into(), "乙".into()])]);
    }

    #[test]
    fn what_a_file_may_cost_is_bounded_before_and_while_it_is_read() {
        let small = Limits {
            cells: 100,
            text_bytes: 1_000,
            columns: 10,
            part_bytes: 50_000,
            shared_strings_bytes: 50_000,
            unpacked_bytes: 80_000,
        };
        // A sheet that packs small and unpacks large (the same cell, thousands of times).
        let cells: Vec<_> = (0..5_000).map(|row| ((row, 0), "科技")).collect();
        let packed = workbook(&cells);
        assert!(packed.len() < 50_000, "{}", packed.len());
        let refused = read(&packed, Format::Xlsx, &small).expect_err("unpacks too far");
        assert!(matches!(refused, SheetError::Unpacks(50_000)), "{refused}");
        let refused = read(&packed, Format::Xlsx, &Limits { part_bytes: 1 << 30, unpacked_bytes: 1 << 30, ..small })
            .expect_err("too many cells");
        assert!(matches!(refused, SheetError::TooManyCells(100)), "{refused}");
        // Unique strings go to the shared strings, all read before the first cell.
        let unique: Vec<String> = (0..3_000).map(|n| format!("企业{n}")).collect();
        let cells: Vec<_> = unique.iter().enumerate().map(|(row, name)| ((row as u32, 0), name.as_str())).collect();
        let wide = Limits { part_bytes: 1 << 30, unpacked_bytes: 1 << 30, shared_strings_bytes: 20_000, ..small };
        let refused = read(&workbook(&cells), Format::Xlsx, &wide).expect_err("too many shared strings");
        assert!(matches!(refused, SheetError::Unpacks(20_000)), "{refused}");
        let csv = "a\n".repeat(101);
        assert!(matches!(read(csv.as_bytes(), Format::Csv, &small), Err(SheetError::TooManyCells(100))));
        let csv = format!("a\n{}\n", "长".repeat(400));
        assert!(matches!(read(csv.as_bytes(), Format::Csv, &small), Err(SheetError::TooMuchText(1_000))));
    }
}
