//! 义务: the items certified enterprises owe to keep their rungs — made from configuration
//! for every live certificate, listed for a street or the district, ticked off by the
//! counselor with its evidence, and measured per street.

use crate::config::Catalog;
use crate::db::audit::{self, Change};
use crate::db::obligations::{self as store, Filter, Item, Listed};
use crate::domain::obligation::{self, Obligation, Status, Trigger, Wants};
use crate::domain::{Action, Refusal};
use crate::service::{Authorized, OrNotFound, ServiceError, cleaned};
use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use diesel::{Connection, PgConnection, QueryResult};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::Validate;

/// How far ahead items are made: the ones falling due within a year.
const AHEAD_DAYS: u64 = 366;

/// Makes the items owed this year and up to a year ahead, for every live certificate (or
/// those of enterprises `only`), and drops the open items of certificates that ended
/// before them.
/// Items of earlier years are made only while the certificate is there to owe them: a
/// district starting with Peiyu is not shown years it never tracked.
pub fn materialize(conn: &mut PgConnection, catalog: &Catalog, only: Option<&[Uuid]>) -> QueryResult<usize> {
    let today = catalog.today();
    let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    materialize_from(conn, catalog, only, from)
}

/// [`materialize`] from a chosen day (the demo's history reaches back a year).
pub fn materialize_from(
    conn: &mut PgConnection,
    catalog: &Catalog,
    only: Option<&[Uuid]>,
    from: NaiveDate,
) -> QueryResult<usize> {
    let to = catalog.today().checked_add_days(Days::new(AHEAD_DAYS)).unwrap_or(from);
    let mut made = 0;
    for rule in &catalog.obligations {
        for dates in rule.periods_due(from, to) {
            made += store::materialize_annual(conn, &rule.code, &rule.tiers, &dates, only)?;
        }
    }
    store::drop_ended(conn, only)?;
    Ok(made)
}

/// Makes the items a change of name owes an enterprise holding `held` rungs: reported
/// within the configured months from `on`.
pub fn after_name_change(
    conn: &mut PgConnection,
    catalog: &Catalog,
    enterprise_id: Uuid,
    held: &[String],
    on: NaiveDate,
) -> QueryResult<Vec<Item>> {
    let mut made = Vec::new();
    for rule in catalog.obligations.iter().filter(|r| r.trigger == Trigger::NameChange) {
        if !rule.tiers.iter().any(|t| held.contains(t)) {
            continue;
        }
        if let Some(dates) = rule.after_change(on) {
            made.extend(store::insert_one(conn, enterprise_id, &rule.code, dates.period, dates.due_on)?);
        }
    }
    Ok(made)
}

/// An item as people read it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ItemView {
    pub id: Uuid,
    pub enterprise_id: Uuid,
    pub enterprise_name: Option<String>,
    pub code: String,
    /// E.g. 2025年度 高新技术企业年度发展情况报表.
    pub description: String,
    /// The policy that sets it.
    pub document: String,
    /// The year reported on.
    pub period: i32,
    /// The date that counts (the district's, where earlier than the nation's).
    pub due_on: NaiveDate,
    pub national_due_on: NaiveDate,
    pub status: Status,
    pub done_at: Option<DateTime<Utc>>,
    pub evidence: Option<String>,
}

impl ItemView {
    pub fn new(catalog: &Catalog, item: Item, enterprise_name: Option<String>) -> Self {
        let rule = rule_of(catalog, &item.code);
        Self {
            id: item.id,
            enterprise_id: item.enterprise_id,
            enterprise_name,
            description: rule.map_or_else(|| item.code.clone(), |r| r.title(item.period)),
            document: rule.map(|r| r.document.clone()).unwrap_or_default(),
            code: item.code,
            period: item.period,
            status: obligation::status(item.done_at.is_some(), item.due_on, catalog.today()),
            due_on: item.due_on,
            national_due_on: item.national_due_on,
            done_at: item.done_at,
            evidence: item.evidence,
        }
    }
}

fn rule_of<'a>(catalog: &'a Catalog, code: &str) -> Option<&'a Obligation> {
    catalog.obligations.iter().find(|r| r.code == code)
}

/// An enterprise's items, latest due first, and whether missed years may cost it a
/// certificate.
pub struct OfEnterprise {
    pub items: Vec<ItemView>,
    /// The obligations missed in a row often enough to put the certificate at risk
    /// (two years of the 国高's report): their descriptions.
    pub revocation_risks: Vec<String>,
}

/// The items of enterprise `id` in the caller's streets.
pub fn of_enterprise(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
) -> Result<OfEnterprise, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    let enterprise = crate::service::enterprises::find(conn, auth, id)?;
    let items = store::of_enterprise(conn, enterprise.id)?;
    let runs = store::missed_in_a_row(conn, &[enterprise.id], catalog.today())?;
    let revocation_risks = runs
        .into_iter()
        .filter_map(|(_, code, missed)| {
            let rule = rule_of(catalog, &code)?;
            obligation::revocation_risk(rule, usize::try_from(missed).unwrap_or(0)).then(|| rule.description.clone())
        })
        .collect();
    let name = &enterprise.fields.name;
    let items = items.into_iter().map(|i| ItemView::new(catalog, i, Some(name.clone()))).collect();
    Ok(OfEnterprise { items, revocation_risks })
}

#[derive(Debug, Default, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = ObligationDoneBody)]
pub struct DoneInput {
    /// What shows it was done: a receipt number, where it was filed.
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub evidence: Option<String>,
}

/// Ticks an item off, with its evidence, for an enterprise in the caller's streets; an
/// item already done is 409.
pub fn mark_done(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
    input: DoneInput,
) -> Result<ItemView, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    input.validate()?;
    let evidence = cleaned(input.evidence);
    let scope = auth.principal.street_scope();
    conn.transaction(|conn| {
        let before = store::find_for_update(conn, id, &scope).or_not_found("obligation")?;
        if before.done_at.is_some() {
            return Err(ServiceError::conflict(Refusal::ObligationDone));
        }
        let after = store::mark_done(conn, id, auth.audit.actor.id(), evidence.as_deref())?;
        audit::record(conn, &auth.audit, Change::changed("obligation", id, "done", &before, &after))?;
        let name = crate::db::enterprises::name_of(conn, after.enterprise_id)?;
        Ok(ItemView::new(catalog, after, Some(name)))
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ObligationQuery {
    /// `due`, `overdue`, `open` (either) or `done`; all when absent.
    pub status: Option<Wants>,
    /// One street (within the caller's).
    pub street_id: Option<Uuid>,
    /// Only items due before this day.
    pub due_before: Option<NaiveDate>,
}

/// Items in the caller's streets by due date, the page after `after` (due_on, id).
pub fn list(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    query: &ObligationQuery,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> Result<Vec<ItemView>, ServiceError> {
    auth.require(Action::ReadFieldWork)?;
    let filter = Filter {
        wanted: query.status,
        street_id: query.street_id,
        due_before: query.due_before,
        today: catalog.today(),
    };
    let rows = store::list(conn, &auth.principal.street_scope(), &filter, after, limit)?;
    Ok(rows
        .into_iter()
        .map(|Listed { item, enterprise_name }| ItemView::new(catalog, item, Some(enterprise_name)))
        .collect())
}

/// The open items past due in the caller's streets (or `street`).
pub fn overdue_count(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    street: Option<Uuid>,
) -> Result<i64, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    Ok(store::count_overdue(conn, &auth.principal.street_scope(), street, catalog.today())?)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompletionQuery {
    /// The year the items fell due in (default this year).
    pub year: Option<i32>,
}

/// One obligation's figures in one street (or, with `street_id` null, the district).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompletionRow {
    pub code: String,
    pub description: String,
    pub street_id: Option<Uuid>,
    /// The street's name (全区 for the district).
    pub street: String,
    /// Items due in the year.
    pub total: i64,
    pub done: i64,
    /// Done by their date.
    pub on_time: i64,
    /// Open and past due.
    pub overdue: i64,
    /// done ÷ total; `null` with no items.
    pub done_share: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CompletionReport {
    pub year: i32,
    /// Per obligation, the district (in the caller's streets) as a whole.
    pub total: Vec<CompletionRow>,
    /// Per obligation and street.
    pub streets: Vec<CompletionRow>,
}

/// A street's completion rate per obligation, for the items due in a year.
pub fn completion(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    query: &CompletionQuery,
) -> Result<CompletionReport, ServiceError> {
    auth.require(Action::ReadPipeline)?;
    let today = catalog.today();
    let year = query.year.unwrap_or(today.year());
    let year = crate::domain::dates::year_within(year, 2000, today.year() + 1)
        .map_err(|e| ServiceError::invalid("year", e))?;
    let span =
        (NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(today), NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(today));
    let rows = store::completion(conn, &auth.principal.street_scope(), span, today, catalog.time_zone.name())?;
    let names = crate::service::pipeline::StreetNames::load(conn)?;
    let row = |code: &str, street_id: Option<Uuid>, c: [i64; 4]| CompletionRow {
        street: names.name(street_id),
        description: rule_of(catalog, code).map_or_else(|| code.to_owned(), |r| r.description.clone()),
        code: code.to_owned(),
        street_id,
        total: c[0],
        done: c[1],
        on_time: c[2],
        overdue: c[3],
        done_share: (c[0] > 0).then(|| c[1] as f64 / c[0] as f64),
    };
    let mut totals: std::collections::BTreeMap<&str, [i64; 4]> = std::collections::BTreeMap::new();
    for r in &rows {
        let sum = totals.entry(r.code.as_str()).or_default();
        for (s, v) in sum.iter_mut().zip([r.total, r.done, r.on_time, r.overdue]) {
            *s += v;
        }
    }
    let order = |code: &str| catalog.obligations.iter().position(|r| r.code == code).unwrap_or(usize::MAX);
    let mut total: Vec<CompletionRow> =
        totals.iter().map(|(code, c)| CompletionRow { street: "全区".to_owned(), ..row(code, None, *c) }).collect();
    total.sort_by_key(|r| order(&r.code));
    let mut streets: Vec<CompletionRow> =
        rows.iter().map(|r| row(&r.code, r.street_id, [r.total, r.done, r.on_time, r.overdue])).collect();
    // One street order everywhere: by name, as every report lists them.
    streets.sort_by(|a, b| (order(&a.code), &a.street, a.street_id).cmp(&(order(&b.code), &b.street, b.street_id)));
    Ok(CompletionReport { year, total, streets })
}
