//! 12345 工单: the city hotline's work orders about enterprises, taken in as service
//! requests tagged with their source and number. Each number is taken in once: a file
//! imported again, or a later export that repeats earlier orders, adds only the new ones;
//! a number repeated within one file is reported on its later rows. A category the desk
//! does not know is taken in as 其他 (the hotline's own categories are many and local);
//! the USCC, when given, decides the enterprise over the name.
//! An order is matched to an enterprise in the importer's streets by USCC, else by its
//! exact name; an order that matches none (or several) is reported by row. Its stage
//! deadlines count from when the hotline received it.

use super::{CHUNK, Columns, Report, RowProblem};
use crate::config::Catalog;
use crate::db::audit::Context;
use crate::db::enterprises::{self, Enterprise};
use crate::db::service_requests as store;
use crate::domain::service_request::{Category, Priority};
use crate::domain::{Actor, Refusal, StreetScope, Uscc, dates};
use crate::service::ServiceError;
use crate::service::requests::{self, NewRequest, SOURCE_12345};
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use diesel::{Connection, PgConnection};
use std::collections::HashMap;

/// A work order read from its row and checked.
struct Order {
    row: usize,
    number: String,
    received_at: DateTime<Utc>,
    uscc: Option<Uscc>,
    name: String,
    request: NewRequest,
}

/// How a hotline export may write a moment: with seconds or without, dashes or slashes,
/// or only the day (then counted from the day's start).
const MOMENTS: [&str; 5] =
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y-%m-%dT%H:%M:%S"];

fn moment(catalog: &Catalog, text: &str) -> Option<DateTime<Utc>> {
    let local = MOMENTS.iter().find_map(|format| NaiveDateTime::parse_from_str(text, format).ok()).or_else(|| {
        ["%Y-%m-%d", "%Y/%m/%d"]
            .iter()
            .find_map(|format| NaiveDate::parse_from_str(text, format).ok())
            .map(|day| day.and_time(NaiveTime::MIN))
    })?;
    catalog.time_zone.from_local_datetime(&local).earliest().map(|at| at.to_utc())
}

/// A hotline's category as the desk's: its code, its label, or a label it contains
/// ("企业服务-融资" is 融资); anything else is 其他.
fn category_of(text: &str) -> Category {
    Category::parse(text)
        .or_else(|| Category::ALL.into_iter().find(|c| c.label() == text))
        .or_else(|| Category::ALL.into_iter().filter(|c| *c != Category::Other).find(|c| text.contains(c.label())))
        .unwrap_or(Category::Other)
}

/// A hotline's urgency as a priority: its code or label, 加急 as high; else normal.
fn priority_of(text: Option<&str>) -> Priority {
    match text {
        None => Priority::Normal,
        Some("加急") => Priority::High,
        Some("一般") => Priority::Normal,
        Some(text) => Priority::parse(text)
            .or_else(|| Priority::ALL.into_iter().find(|p| p.label() == text))
            .unwrap_or(Priority::Normal),
    }
}

pub(super) fn import(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    scope: &StreetScope,
    rows: &[(usize, Vec<String>)],
    columns: &Columns,
    progress: &dyn Fn(usize),
) -> Result<Report, ServiceError> {
    let mut report = Report::default();
    // A work order is a demand someone takes in: it needs a signed-in importer to name.
    let Actor::User(raised_by) = context.actor else {
        return Err(ServiceError::invalid("file", Refusal::UsersOnly));
    };
    let now = Utc::now();
    let mut orders = Vec::with_capacity(rows.len());
    // Each number's first row: a later row with it is a repeat, reported, not taken in.
    let mut first_rows: HashMap<String, usize> = HashMap::new();
    for (row, cells) in rows {
        let cell = |field| columns.cell(cells, field);
        let (uscc_text, name) = (cell("uscc").unwrap_or_default(), cell("name").unwrap_or_default());
        let mut problems = Vec::new();
        let mut refuse = |field: &str, refusal| problems.push((columns.header(field), refusal));
        let number = cell("number").unwrap_or_default();
        if number.is_empty() || number.chars().count() > 64 {
            refuse("number", Refusal::LengthRequired { max: 64 });
        } else if let Some(first) = first_rows.get(number) {
            refuse("number", Refusal::RepeatsWorkOrder { row: *first as u64 });
        }
        let received_at = match cell("received_at") {
            None => {
                refuse("received_at", Refusal::Required);
                None
            }
            Some(text) => match moment(catalog, text).map(|at| dates::happened_at(at, now)) {
                None => {
                    refuse("received_at", Refusal::NotADate { text: text.to_owned() });
                    None
                }
                Some(Err(refusal)) => {
                    refuse("received_at", refusal);
                    None
                }
                Some(Ok(at)) => Some(at),
            },
        };
        let uscc =
            if uscc_text.is_empty() { None } else { Uscc::parse(uscc_text).map_err(|e| refuse("uscc", e.into())).ok() };
        if uscc_text.is_empty() && name.is_empty() {
            refuse("name", Refusal::Required);
        }
        let content = cell("content").unwrap_or_default();
        if content.is_empty() || content.chars().count() > 4000 {
            refuse("content", Refusal::LengthRequired { max: 4000 });
        }
        let category = cell("category").map_or(Category::Other, category_of);
        let title = cell("title").map_or_else(|| content.chars().take(40).collect(), |t| t.chars().take(200).collect());
        let request = NewRequest {
            category,
            priority: priority_of(cell("priority")),
            title,
            description: content.to_owned(),
            visit_id: None,
        };
        if !number.is_empty() {
            first_rows.entry(number.to_owned()).or_insert(*row);
        }
        match received_at {
            Some(received_at) if problems.is_empty() => orders.push(Order {
                row: *row,
                number: number.to_owned(),
                received_at,
                uscc,
                name: name.to_owned(),
                request,
            }),
            _ => {
                report.rejected += 1;
                report.problems.extend(
                    problems
                        .into_iter()
                        .map(|(column, refusal)| RowProblem::new(*row, uscc_text, name, column, refusal)),
                );
            }
        }
    }
    progress(report.rejected);
    for chunk in orders.chunks(CHUNK) {
        let taker = Taker { catalog, context, scope, columns, raised_by };
        conn.transaction(|conn| taker.take_in(conn, chunk, &mut report))?;
        progress(chunk.len());
    }
    Ok(report)
}

/// What taking orders in needs besides the orders.
struct Taker<'a> {
    catalog: &'a Catalog,
    context: &'a Context,
    scope: &'a StreetScope,
    columns: &'a Columns,
    raised_by: uuid::Uuid,
}

impl Taker<'_> {
    /// Takes a chunk of checked orders in: each matched to one enterprise in the importer's
    /// streets, each number once.
    fn take_in(&self, conn: &mut PgConnection, orders: &[Order], report: &mut Report) -> Result<(), ServiceError> {
        let Self { catalog, context, scope, columns, raised_by } = *self;
        let usccs: Vec<String> = orders.iter().filter_map(|o| o.uscc.as_ref().map(|u| u.as_str().to_owned())).collect();
        let names: Vec<String> = orders.iter().filter(|o| o.uscc.is_none()).map(|o| o.name.clone()).collect();
        let found: Vec<Enterprise> = enterprises::matching(conn, &usccs, &names)?
            .into_iter()
            .filter(|e| scope.allows(e.fields.street_id))
            .collect();
        let by_uscc: HashMap<&str, &Enterprise> = found.iter().map(|e| (e.fields.uscc.as_str(), e)).collect();
        let mut by_name: HashMap<&str, Vec<&Enterprise>> = HashMap::new();
        for e in &found {
            by_name.entry(e.fields.name.as_str()).or_default().push(e);
        }
        for order in orders {
            let matched = match &order.uscc {
                Some(uscc) => by_uscc.get(uscc.as_str()).copied().ok_or(("uscc", Refusal::NoEnterpriseMatched)),
                None => match by_name.get(order.name.as_str()).map(Vec::as_slice) {
                    Some([one]) => Ok(*one),
                    Some([_, _, ..]) => Err(("name", Refusal::SeveralEnterprisesMatched)),
                    _ => Err(("name", Refusal::NoEnterpriseMatched)),
                },
            };
            let enterprise = match matched {
                Ok(enterprise) => enterprise,
                Err((field, refusal)) => {
                    let uscc = order.uscc.as_ref().map_or("", Uscc::as_str);
                    report.rejected += 1;
                    report.problems.push(RowProblem::new(order.row, uscc, &order.name, columns.header(field), refusal));
                    continue;
                }
            };
            if store::by_external(conn, SOURCE_12345, &order.number)?.is_some() {
                report.tally.unchanged += 1;
                continue;
            }
            let external = Some((SOURCE_12345, order.number.as_str()));
            let new =
                requests::new_request(catalog, enterprise, &order.request, raised_by, order.received_at, external);
            requests::store_raised(conn, context, &new)?;
            report.tally.created += 1;
        }
        Ok(())
    }
}
