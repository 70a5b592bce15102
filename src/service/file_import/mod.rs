//! Importing spreadsheets the bureau keeps: enterprise rosters (企业名录) and certification
//! lists (认定名单), in CSV or XLSX, with columns named in Chinese or English.
//!
//! Every row is checked on its own: a bad row is reported (row, column, problem) and the
//! good rows land. Rows go in chunks, each in a transaction of its own, and every row is
//! idempotent (a certificate already recorded is `unchanged`, an enterprise whose cells
//! match is `unchanged`), so an import that stopped half-way is resumed by running it
//! again, and importing the same file twice changes nothing. A dry run does it all in a
//! transaction it rolls back.

mod roster;
pub mod sheet;
mod work_orders;

use crate::config::Catalog;
use crate::db::audit::Context;
use crate::domain::listing::{self, ListedRow};
use crate::domain::text;
use crate::domain::{Refusal, StreetScope};
use crate::service::ServiceError;
use crate::service::certification_lists::{self, Tally};
use diesel::{Connection, PgConnection};
use serde::{Deserialize, Serialize};
use sheet::Sheet;
use std::collections::HashMap;
use utoipa::ToSchema;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
#[schema(as = ImportKind)]
pub enum Kind {
    /// 企业名录: enterprises to register or update, by USCC.
    Enterprises,
    /// 认定名单: certificates to record, by USCC (as a registry feed would).
    Certifications,
    /// 12345 工单: the city hotline's work orders, taken in as service requests by their
    /// number (once each), matched to enterprises by USCC or name.
    WorkOrders,
}

impl Kind {
    pub const ALL: [Self; 3] = [Self::Enterprises, Self::Certifications, Self::WorkOrders];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enterprises => "enterprises",
            Self::Certifications => "certifications",
            Self::WorkOrders => "work_orders",
        }
    }

    /// The name people use for it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Enterprises => "企业名录",
            Self::Certifications => "认定名单",
            Self::WorkOrders => "12345工单",
        }
    }
}

/// The largest file an upload may carry, in either face.
pub const FILE_LIMIT: usize = 32 * 1024 * 1024;

/// One bad cell (or row) of the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct RowProblem {
    /// The row number as the spreadsheet shows it (the header is row 1).
    pub row: usize,
    /// The row's USCC and name as the file writes them, so that a reader finds the row.
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub name: String,
    /// The column's header as the file names it; empty for the row as a whole.
    pub column: String,
    /// The problem in English.
    pub problem: String,
    /// The problem as its code and the values it names (absent from reports stored
    /// before problems had codes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub refusal: Option<Refusal>,
}

impl RowProblem {
    pub fn new(row: usize, uscc: &str, name: &str, column: String, refusal: Refusal) -> Self {
        Self {
            row,
            uscc: uscc.to_owned(),
            name: name.to_owned(),
            column,
            problem: refusal.to_string(),
            refusal: Some(refusal),
        }
    }
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Report {
    pub kind: Option<Kind>,
    pub dry_run: bool,
    /// Data rows read (blank rows are skipped).
    pub rows: usize,
    #[serde(flatten)]
    pub tally: Tally,
    /// Enterprises whose cells changed their record.
    pub updated: usize,
    /// Rows not imported, each with at least one problem below.
    pub rejected: usize,
    /// Every problem, by row and column.
    // Absent from a stored report read for its counts alone (a list of runs).
    #[serde(default)]
    #[schema(required = true)]
    pub problems: Vec<RowProblem>,
}

/// Rows per transaction.
const CHUNK: usize = 5_000;

/// A field of a kind, with the headers that name it.
struct Field {
    name: &'static str,
    headers: &'static [&'static str],
    required: bool,
}

const fn field(name: &'static str, headers: &'static [&'static str], required: bool) -> Field {
    Field { name, headers, required }
}

const USCC: Field = field("uscc", &["统一社会信用代码", "社会信用代码", "信用代码", "uscc"], true);
const NAME: Field = field("name", &["企业名称", "名称", "name"], true);

const CERTIFICATION_FIELDS: [Field; 7] = [
    USCC,
    NAME,
    field("tier", &["梯队", "认定类型", "资质类型", "资质", "tier"], true),
    field("certificate_no", &["证书编号", "证书号", "certificate_no"], false),
    field("effective_on", &["认定日期", "发证日期", "生效日期", "effective_on"], true),
    field("valid_until", &["有效期至", "有效期截止", "到期日期", "valid_until"], false),
    field("batch", &["批次", "batch"], false),
];

const ENTERPRISE_FIELDS: [Field; 10] = [
    USCC,
    NAME,
    field("street", &["所属街道", "街道", "street"], false),
    field("park", &["所属园区", "园区", "park"], false),
    field("cluster", &["产业集群", "集群", "cluster"], false),
    field("established_on", &["成立日期", "注册日期", "established_on"], false),
    field("address", &["地址", "注册地址", "经营地址", "address"], false),
    field("contact_name", &["联系人", "contact_name"], false),
    field("contact_phone", &["联系电话", "电话", "手机", "contact_phone"], false),
    field("employees", &["员工人数", "从业人数", "职工人数", "employees"], false),
];

const WORK_ORDER_FIELDS: [Field; 8] = [
    field("number", &["工单编号", "工单号", "编号", "work_order_no", "number"], true),
    field("received_at", &["受理时间", "登记时间", "来电时间", "工单时间", "received_at"], true),
    field("uscc", &["统一社会信用代码", "社会信用代码", "信用代码", "uscc"], false),
    field("name", &["企业名称", "诉求企业", "单位名称", "name"], false),
    field("category", &["诉求类别", "诉求类型", "类别", "category"], true),
    field("title", &["标题", "工单标题", "诉求标题", "title"], false),
    field("content", &["诉求内容", "工单内容", "内容", "content"], true),
    field("priority", &["紧急程度", "优先级", "priority"], false),
];

/// Which column of the file holds each field.
struct Columns {
    kind: Kind,
    /// Field name → (column index, header as the file writes it).
    found: HashMap<&'static str, (usize, String)>,
}

impl Columns {
    /// Maps the file's headers onto `kind`'s fields (when not given: certifications if
    /// a tier column is there). A required column missing is a problem with the file.
    fn map(headers: &[String], kind: Option<Kind>) -> Result<Self, ServiceError> {
        let normalize = |h: &str| h.trim().to_lowercase().replace([' ', '_', '（', '）', '(', ')'], "");
        let find =
            |f: &Field| headers.iter().position(|h| f.headers.iter().any(|name| normalize(h) == normalize(name)));
        let kind = kind.unwrap_or_else(|| {
            if find(&WORK_ORDER_FIELDS[0]).is_some() {
                Kind::WorkOrders
            } else if find(&CERTIFICATION_FIELDS[2]).is_some() {
                Kind::Certifications
            } else {
                Kind::Enterprises
            }
        });
        let fields: &[Field] = match kind {
            Kind::Certifications => &CERTIFICATION_FIELDS,
            Kind::Enterprises => &ENTERPRISE_FIELDS,
            Kind::WorkOrders => &WORK_ORDER_FIELDS,
        };
        let mut found = HashMap::new();
        let mut missing = Vec::new();
        for f in fields {
            match find(f) {
                Some(index) => {
                    found.insert(f.name, (index, headers[index].clone()));
                }
                None if f.required => missing.push(f.headers.join(" / ")),
                None => {}
            }
        }
        if !missing.is_empty() {
            return Err(ServiceError::invalid("file", Refusal::MissingColumns { columns: missing.join("；") }));
        }
        Ok(Self { kind, found })
    }

    /// A row's cell for `field`, trimmed; `None` when the file has no such column or the
    /// cell is blank.
    fn cell<'a>(&self, cells: &'a [String], field: &str) -> Option<&'a str> {
        let (index, _) = self.found.get(field)?;
        cells.get(*index).map(|c| c.trim()).filter(|c| !c.is_empty())
    }

    /// The file's header for `field` (for reports), or the field's own name.
    fn header(&self, field: &str) -> String {
        self.found.get(field).map_or_else(|| field.to_owned(), |(_, header)| header.clone())
    }
}

/// The format a file's name says it is in; any other file is refused on `file`.
pub fn format_of(file_name: &str) -> Result<sheet::Format, ServiceError> {
    sheet::Format::of_file_name(file_name)
        .ok_or_else(|| ServiceError::invalid("file", Refusal::NotAList { name: file_name.to_owned() }))
}

/// An uploaded file read as a sheet, within the limits of an upload (422 on `file` for a
/// file that is not a list, cannot be read or costs too much). Slow: run it on a blocking
/// thread, holding no connection.
pub fn read_upload(file_name: &str, bytes: &[u8]) -> Result<Sheet, ServiceError> {
    let format = format_of(file_name)?;
    sheet::read(bytes, format, &sheet::Limits::UPLOAD).map_err(|e| ServiceError::invalid("file", e.refusal()))
}

/// What `sheet` holds: `kind` if given, else detected from its headers. A required column
/// missing is a problem with the file.
pub fn kind_of(sheet: &Sheet, kind: Option<Kind>) -> Result<Kind, ServiceError> {
    Ok(Columns::map(&sheet.headers, kind)?.kind)
}

/// Who imports: whom the audit names, and the streets they see (a work order of an
/// enterprise outside them is not theirs to take in).
pub struct Importer<'a> {
    pub context: &'a Context,
    pub scope: &'a StreetScope,
}

/// Imports `sheet` as `kind` (detected when `None`). `progress` hears how many rows each
/// finished chunk held.
pub fn run(
    conn: &mut PgConnection,
    catalog: &Catalog,
    importer: &Importer<'_>,
    mut sheet: Sheet,
    kind: Option<Kind>,
    dry_run: bool,
    progress: &dyn Fn(usize),
) -> Result<Report, ServiceError> {
    let columns = Columns::map(&sheet.headers, kind)?;
    let unstorable = set_aside_unstorable(&mut sheet);
    let Importer { context, scope } = *importer;
    let import = |conn: &mut PgConnection| match columns.kind {
        Kind::Certifications => import_certifications(conn, catalog, context, &sheet, &columns, progress),
        Kind::Enterprises => roster::import(conn, catalog, context, &sheet.rows, &columns, progress),
        Kind::WorkOrders => work_orders::import(conn, catalog, context, scope, &sheet.rows, &columns, progress),
    };
    let mut report = if dry_run {
        // Everything in one transaction, rolled back: the chunks become savepoints.
        enum Stop {
            Done(Report),
            Failed(ServiceError),
        }
        impl From<diesel::result::Error> for Stop {
            fn from(e: diesel::result::Error) -> Self {
                Stop::Failed(e.into())
            }
        }
        match conn.transaction::<(), Stop, _>(|conn| Err(import(conn).map_or_else(Stop::Failed, Stop::Done))) {
            Err(Stop::Done(report)) => report,
            Err(Stop::Failed(error)) => return Err(error),
            Ok(()) => return Err(ServiceError::Internal(anyhow::anyhow!("a dry run committed"))),
        }
    } else {
        import(conn)?
    };
    report.kind = Some(columns.kind);
    report.dry_run = dry_run;
    report.rows = sheet.rows.len() + unstorable.len();
    report.rejected += unstorable.iter().map(|p| p.row).collect::<std::collections::BTreeSet<_>>().len();
    report.problems.extend(unstorable);
    report.problems.sort_by_key(|p| p.row);
    Ok(report)
}

/// Takes the rows that hold text PostgreSQL cannot store (a NUL character) out of the
/// sheet, with a problem for each such cell: those rows are reported, the others imported.
fn set_aside_unstorable(sheet: &mut Sheet) -> Vec<RowProblem> {
    let mut problems = Vec::new();
    let headers = &sheet.headers;
    sheet.rows.retain(|(row, cells)| {
        let before = problems.len();
        problems.extend(cells.iter().enumerate().filter(|(_, cell)| !text::storable(cell)).map(|(index, _)| {
            let column = headers.get(index).cloned().unwrap_or_default();
            RowProblem::new(*row, "", "", column, Refusal::Unstorable)
        }));
        problems.len() == before
    });
    problems
}

fn import_certifications(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    sheet: &Sheet,
    columns: &Columns,
    progress: &dyn Fn(usize),
) -> Result<Report, ServiceError> {
    let rows: Vec<(usize, ListedRow)> = sheet
        .rows
        .iter()
        .map(|(number, cells)| {
            let text = |field| columns.cell(cells, field).unwrap_or_default().to_owned();
            let optional = |field| columns.cell(cells, field).map(str::to_owned);
            let row = ListedRow {
                uscc: text("uscc"),
                name: text("name"),
                tier: text("tier"),
                certificate_no: optional("certificate_no"),
                effective_on: text("effective_on"),
                valid_until: optional("valid_until"),
                batch: optional("batch"),
            };
            (*number, row)
        })
        .collect();
    let checked = listing::check_all(rows.iter().map(|(n, r)| (*n, r)), "row", &catalog.ladder, catalog.today());
    let mut report = Report { rejected: checked.rejected.len(), ..Report::default() };
    let listed: HashMap<usize, &ListedRow> = rows.iter().map(|(n, r)| (*n, r)).collect();
    for (row, fields) in checked.rejected {
        let (uscc, name) = listed.get(&row).map_or(("", ""), |r| (r.uscc.as_str(), r.name.as_str()));
        report
            .problems
            .extend(fields.into_iter().map(|f| RowProblem::new(row, uscc, name, columns.header(f.field), f.refusal)));
    }
    progress(report.rejected);
    let listings: Vec<_> = checked.listings.into_iter().map(|(_, l)| l).collect();
    for chunk in listings.chunks(CHUNK) {
        let tally =
            conn.transaction(|conn| certification_lists::record(conn, catalog, context, chunk, Some("导入认定名单")))?;
        report.tally.add(&tally);
        progress(chunk.len());
    }
    Ok(report)
}
