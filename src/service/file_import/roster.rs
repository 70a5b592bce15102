//! Enterprise rosters (企业名录): registering and updating enterprises by USCC.
//!
//! A chunk is read and checked in memory first, then written set-wise: one statement
//! locks the enterprises it names, one writes the changes to those recorded, one registers
//! the new ones. Rows naming the same USCC apply in file order, each over what the rows
//! before it left.

use super::{CHUNK, Columns, Report, RowProblem};
use crate::config::Catalog;
use crate::db::audit::{self, Change, Context};
use crate::db::enterprises::{self, Enterprise, EnterpriseFields};
use crate::db::regions::{self, Region};
use crate::domain::listing;
use crate::domain::{Code, Refusal, RegionKind, Uscc};
use crate::service::enterprises::{EnterpriseInput, placement_errors};
use crate::service::{FieldError, ServiceError, requests};
use chrono::NaiveDate;
use diesel::{Connection, PgConnection};
use std::collections::HashMap;
use uuid::Uuid;

/// A row's problems, as (column header, why).
type Problems = Vec<(String, Refusal)>;

/// Streets and parks by name (with or without 街道) and by code.
struct Places {
    streets: HashMap<String, Uuid>,
    parks: HashMap<String, Uuid>,
    /// Every region by id, for the placement rule.
    regions: HashMap<Uuid, Region>,
}

impl Places {
    fn load(conn: &mut PgConnection) -> Result<Self, ServiceError> {
        let (mut streets, mut parks, mut by_id) = (HashMap::new(), HashMap::new(), HashMap::new());
        for region in regions::all(conn)? {
            by_id.insert(region.id, region.clone());
            let names = match region.kind {
                RegionKind::Street => &mut streets,
                RegionKind::Park => &mut parks,
                RegionKind::District => continue,
            };
            names.insert(region.code.to_lowercase(), region.id);
            names.insert(region.name.trim_end_matches("街道").to_owned(), region.id);
            names.insert(region.name, region.id);
        }
        Ok(Self { streets, parks, regions: by_id })
    }
}

/// A row's cells, read: `None` where the cell is blank, which leaves what is recorded.
struct RosterRow {
    uscc: String,
    name: String,
    street_id: Option<Uuid>,
    park_id: Option<Uuid>,
    cluster: Option<String>,
    established_on: Option<NaiveDate>,
    address: Option<String>,
    contact_name: Option<String>,
    contact_phone: Option<String>,
    employees: Option<i32>,
}

impl RosterRow {
    /// Reads the cells, naming each one that cannot be read (an unknown street, a date
    /// or a number that is not one): such a cell reads as blank, so that the row's other
    /// cells are still checked and every problem of the row is reported at once.
    fn read(catalog: &Catalog, places: &Places, columns: &Columns, cells: &[String]) -> (Self, Problems) {
        let cell = |field: &'static str| columns.cell(cells, field);
        let text = |field: &'static str| cell(field).map(str::to_owned);
        let mut problems = Vec::new();
        let mut place = |field: &'static str, names: &HashMap<String, Uuid>| {
            let name = cell(field)?;
            let id = names.get(name).or_else(|| names.get(&name.to_lowercase())).copied();
            if id.is_none() {
                let kind = if field == "park" { RegionKind::Park } else { RegionKind::Street };
                problems
                    .push((columns.header(field), Refusal::NoPlaceNamed { kind: kind.word(), name: name.to_owned() }));
            }
            id
        };
        let street_id = place("street", &places.streets);
        let park_id = place("park", &places.parks);
        let established_on = cell("established_on")
            .and_then(|d| listing::date(d).map_err(|e| problems.push((columns.header("established_on"), e))).ok());
        let employees = cell("employees").and_then(|n| {
            n.parse::<i32>()
                .map_err(|_| problems.push((columns.header("employees"), Refusal::NotANumber { text: n.to_owned() })))
                .ok()
        });
        let row = Self {
            // Written as the enterprise is recorded, so that `91440300ma…` finds it; a code
            // that does not parse stays as written, for the checks to name.
            uscc: cell("uscc")
                .map(|u| Uscc::parse(u).map_or_else(|_| u.to_owned(), Uscc::into_string))
                .unwrap_or_default(),
            name: text("name").unwrap_or_default(),
            street_id,
            park_id,
            cluster: cell("cluster").map(|c| {
                catalog.clusters.all().iter().find(|k| k.name == c).map_or_else(|| c.to_owned(), |k| k.code.clone())
            }),
            established_on,
            address: text("address"),
            contact_name: text("contact_name"),
            contact_phone: text("contact_phone"),
            employees,
        };
        (row, problems)
    }

    /// The enterprise as this row leaves it: its filled cells over `recorded`, checked by
    /// the rules the API registers and edits enterprises by.
    fn onto(
        &self,
        catalog: &Catalog,
        places: &Places,
        columns: &Columns,
        recorded: Option<&EnterpriseFields>,
    ) -> Result<EnterpriseFields, Problems> {
        // A row that moves the enterprise to another street and names no park leaves the
        // old street's park behind.
        let moved = self.street_id.is_some() && self.street_id != recorded.and_then(|r| r.street_id);
        let recorded_park = if moved { None } else { recorded.and_then(|r| r.park_id) };
        let kept = |cell: &Option<String>, was: fn(&EnterpriseFields) -> &Option<String>| {
            cell.clone().or_else(|| recorded.and_then(|r| was(r).clone()))
        };
        let body = EnterpriseInput {
            uscc: self.uscc.clone(),
            name: self.name.clone(),
            street_id: self.street_id.or(recorded.and_then(|r| r.street_id)),
            park_id: self.park_id.or(recorded_park),
            cluster: kept(&self.cluster, |r| &r.cluster),
            established_on: self.established_on.or(recorded.and_then(|r| r.established_on)),
            address: kept(&self.address, |r| &r.address),
            contact_name: kept(&self.contact_name, |r| &r.contact_name),
            contact_phone: kept(&self.contact_phone, |r| &r.contact_phone),
            employees: self.employees.or(recorded.and_then(|r| r.employees)),
            tags: recorded.map(|r| r.tags.clone()).unwrap_or_default(),
        };
        let named = |errors: Vec<FieldError>| -> Problems {
            errors.into_iter().map(|f| (columns.header(field_of(&f.field)), f.refusal)).collect()
        };
        let fields = body.into_fields(catalog).map_err(|e| match e {
            ServiceError::Invalid(errors) => named(errors),
            _ => vec![(String::new(), Refusal::Invalid)],
        })?;
        let misplaced = placement_errors(&fields, |id| Ok(places.regions.get(&id).cloned()))
            .map_err(|_| vec![(String::new(), Refusal::Invalid)])?;
        if misplaced.is_empty() { Ok(fields) } else { Err(named(misplaced)) }
    }
}

/// The import field a validation error names (`street_id` is the `street` column).
fn field_of(api_field: &str) -> &str {
    api_field.strip_suffix("_id").unwrap_or(api_field)
}

/// Imports the roster in `sheet`'s rows, a chunk per transaction.
pub(super) fn import(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    rows: &[(usize, Vec<String>)],
    columns: &Columns,
    progress: &dyn Fn(usize),
) -> Result<Report, ServiceError> {
    let places = Places::load(conn)?;
    let mut report = Report::default();
    for chunk in rows.chunks(CHUNK) {
        let read: Vec<(usize, (RosterRow, Problems))> =
            chunk.iter().map(|(number, cells)| (*number, RosterRow::read(catalog, &places, columns, cells))).collect();
        conn.transaction(|conn| save(conn, catalog, context, &places, columns, &read, &mut report))?;
        progress(chunk.len());
    }
    Ok(report)
}

/// Applies a chunk's rows in file order and writes what they change, counting each row
/// in `report` as created, updated, unchanged or rejected.
fn save(
    conn: &mut PgConnection,
    catalog: &Catalog,
    context: &Context,
    places: &Places,
    columns: &Columns,
    rows: &[(usize, (RosterRow, Problems))],
    report: &mut Report,
) -> Result<(), ServiceError> {
    let mut usccs: Vec<String> =
        rows.iter().filter(|(_, (_, unread))| unread.is_empty()).map(|(_, (row, _))| row.uscc.clone()).collect();
    usccs.sort_unstable();
    usccs.dedup();
    let stored: HashMap<String, Enterprise> =
        enterprises::lock_by_uscc(conn, &usccs)?.into_iter().map(|e| (e.fields.uscc.clone(), e)).collect();
    // Each enterprise as the rows so far leave it.
    let mut latest: HashMap<&str, EnterpriseFields> = HashMap::new();
    for (number, (row, unread)) in rows {
        let recorded = latest.get(row.uscc.as_str()).or_else(|| stored.get(&row.uscc).map(|e| &e.fields));
        let applied = match row.onto(catalog, places, columns, recorded) {
            Ok(fields) if unread.is_empty() => Ok((row, recorded.is_none(), recorded == Some(&fields), fields)),
            Ok(_) => Err(unread.clone()),
            // A cell that could not be read is named once, for why it could not.
            Err(checked) => Err(unread
                .iter()
                .cloned()
                .chain(checked.into_iter().filter(|(column, _)| unread.iter().all(|(named, _)| named != column)))
                .collect()),
        };
        match applied {
            Ok((row, new, unchanged, fields)) => {
                let count = match (new, unchanged) {
                    (true, _) => &mut report.tally.created,
                    (false, true) => &mut report.tally.unchanged,
                    (false, false) => &mut report.updated,
                };
                *count += 1;
                latest.insert(&row.uscc, fields);
            }
            Err(problems) => {
                report.rejected += 1;
                let problems = problems
                    .into_iter()
                    .map(|(column, refusal)| RowProblem::new(*number, &row.uscc, &row.name, column, refusal));
                report.problems.extend(problems);
            }
        }
    }

    let mut new = Vec::new();
    let mut changes = Vec::new();
    for (uscc, fields) in &latest {
        match stored.get(*uscc) {
            None => new.push((Uuid::now_v7(), fields.clone(), catalog.ladder.base().code().to_owned())),
            Some(current) if current.fields != *fields => changes.push((current.id, fields)),
            Some(_) => {}
        }
    }
    let updated = enterprises::update_all(conn, &changes)?;
    let before: HashMap<Uuid, &Enterprise> = stored.values().map(|e| (e.id, e)).collect();
    let moved: Vec<Uuid> = updated
        .iter()
        .filter(|after| before.get(&after.id).is_some_and(|was| was.fields.street_id != after.fields.street_id))
        .map(|after| after.id)
        .collect();
    requests::release_unserved(conn, context, &moved)?;
    audit::record_all(
        conn,
        context,
        updated.iter().filter_map(|after| {
            Some(Change::changed("enterprise", after.id, "update", *before.get(&after.id)?, after))
        }),
    )?;
    let registering = new.len();
    let created = enterprises::insert_new(conn, new)?;
    if created.len() < registering {
        return Err(ServiceError::conflict(Refusal::ConcurrentChange));
    }
    audit::record_all(conn, context, created.iter().map(|e| Change::created("enterprise", e.id, e)))?;
    let measured: Vec<Uuid> = created.iter().chain(&updated).map(|e| e.id).collect();
    crate::service::readiness::refresh(conn, catalog, &measured)?;
    Ok(())
}
