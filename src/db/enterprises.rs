use crate::db::schema::{certificates, enterprises};
use crate::db::{TextArray, lower, rows_per_insert, within_scope};
use crate::domain::{StreetScope, Uscc};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde::Serialize;
use std::collections::HashMap;
use uuid::Uuid;

diesel::define_sql_function! {
    /// The grams a name fragment is looked up by (migration 2026-11-23-000001_core).
    fn enterprise_search_grams(fragment: Text) -> Array<Nullable<Text>>;
}
diesel::define_sql_function!(fn strpos(text: Text, fragment: Text) -> Integer);

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = enterprises, check_for_backend(diesel::pg::Pg))]
pub struct Enterprise {
    pub id: Uuid,
    #[diesel(embed)]
    #[serde(flatten)]
    pub fields: EnterpriseFields,
    pub tier: String,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Kept by a trigger on visits.
    pub last_visited_at: Option<DateTime<Utc>>,
}

/// What people edit about an enterprise. Its tier is not here: it moves only by
/// promotion and demotion.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable, AsChangeset, Serialize)]
#[diesel(table_name = enterprises, check_for_backend(diesel::pg::Pg), treat_none_as_null = true)]
pub struct EnterpriseFields {
    pub uscc: String,
    pub name: String,
    pub street_id: Option<Uuid>,
    pub park_id: Option<Uuid>,
    pub cluster: Option<String>,
    pub established_on: Option<NaiveDate>,
    pub address: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub employees: Option<i32>,
    #[diesel(deserialize_as = TextArray)]
    pub tags: Vec<String>,
}

/// Which street's enterprises a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreetFilter {
    Street(Uuid),
    /// Registered by a registry feed or an import without a street: waiting for triage.
    Unassigned,
}

/// The filters of the enterprise list; every one is served by an index.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// A name fragment of any length, Chinese or Latin, or the start of a USCC.
    pub q: Option<String>,
    pub tier: Option<String>,
    pub street: Option<StreetFilter>,
    pub cluster: Option<String>,
    /// Holds a certificate whose last valid day falls in this window.
    pub expiring: Option<(NaiveDate, NaiveDate)>,
    /// Has no visit on or after this day (the bureau's calendar).
    pub not_visited_since: Option<NaiveDate>,
}

pub fn insert(conn: &mut PgConnection, id: Uuid, fields: &EnterpriseFields, tier: &str) -> QueryResult<Enterprise> {
    diesel::insert_into(enterprises::table)
        .values((enterprises::id.eq(id), fields, enterprises::tier.eq(tier)))
        .returning(Enterprise::as_returning())
        .get_result(conn)
}

/// Registers many enterprises, each at its tier, skipping USCCs registered meanwhile (the
/// caller locks those instead). Rows go in USCC order, so two batches registering the
/// same enterprises wait on each other instead of deadlocking.
pub fn insert_new(conn: &mut PgConnection, new: Vec<(Uuid, EnterpriseFields, String)>) -> QueryResult<Vec<Enterprise>> {
    let mut rows: Vec<_> = new
        .into_iter()
        .map(|(id, fields, tier)| (enterprises::id.eq(id), fields, enterprises::tier.eq(tier)))
        .collect();
    rows.sort_by(|a, b| a.1.uscc.cmp(&b.1.uscc));
    let mut inserted = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(rows_per_insert(13)) {
        inserted.extend(
            diesel::insert_into(enterprises::table)
                .values(chunk)
                .on_conflict(enterprises::uscc)
                .do_nothing()
                .returning(Enterprise::as_returning())
                .get_results(conn)?,
        );
    }
    Ok(inserted)
}

/// Row-locks the enterprises with these USCCs for the rest of the transaction, in id
/// order, so that two batches lock in the same order and never deadlock.
pub fn lock_by_uscc(conn: &mut PgConnection, usccs: &[String]) -> QueryResult<Vec<Enterprise>> {
    enterprises::table
        .filter(enterprises::uscc.eq_any(usccs))
        .order(enterprises::id)
        .select(Enterprise::as_select())
        .for_update()
        .load(conn)
}

/// Moves many enterprises to new tiers (see [`set_tier`]) in one statement.
pub fn set_tiers(conn: &mut PgConnection, moves: &[(Uuid, String)]) -> QueryResult<Vec<Enterprise>> {
    let (ids, tiers): (Vec<Uuid>, Vec<&str>) = moves.iter().map(|(id, tier)| (*id, tier.as_str())).unzip();
    diesel::sql_query(
        "UPDATE enterprises e SET tier = m.tier, version = e.version + 1, updated_at = now()
         FROM unnest($1::uuid[], $2::text[]) AS m (id, tier) WHERE e.id = m.id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<diesel::sql_types::Array<Text>, _>(&tiers)
    .execute(conn)?;
    enterprises::table.filter(enterprises::id.eq_any(&ids)).select(Enterprise::as_select()).load(conn)
}

/// Writes many enterprises' new fields (see [`update`]) in one statement.
pub fn update_all(conn: &mut PgConnection, changes: &[(Uuid, &EnterpriseFields)]) -> QueryResult<Vec<Enterprise>> {
    use diesel::sql_types::{Array, Date, Int4, Jsonb, Nullable, Uuid as SqlUuid};
    if changes.is_empty() {
        return Ok(Vec::new());
    }
    let n = changes.len();
    let (mut ids, mut usccs, mut names) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut streets, mut parks, mut clusters) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut established, mut addresses, mut contacts) =
        (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    let (mut phones, mut employees, mut tags) = (Vec::with_capacity(n), Vec::with_capacity(n), Vec::with_capacity(n));
    for (id, fields) in changes {
        // Every field by name: one added to EnterpriseFields does not compile here until
        // this statement writes it too.
        let EnterpriseFields {
            uscc,
            name,
            street_id,
            park_id,
            cluster,
            established_on,
            address,
            contact_name,
            contact_phone,
            employees: staff,
            tags: labels,
        } = fields;
        ids.push(*id);
        usccs.push(uscc.as_str());
        names.push(name.as_str());
        streets.push(*street_id);
        parks.push(*park_id);
        clusters.push(cluster.as_deref());
        established.push(*established_on);
        addresses.push(address.as_deref());
        contacts.push(contact_name.as_deref());
        phones.push(contact_phone.as_deref());
        employees.push(*staff);
        // An array of arrays must be rectangular in PostgreSQL: each row's tags travel as JSON.
        tags.push(serde_json::json!(labels));
    }
    diesel::sql_query(
        "UPDATE enterprises e
         SET uscc = m.uscc, name = m.name, street_id = m.street_id, park_id = m.park_id, cluster = m.cluster,
             established_on = m.established_on, address = m.address, contact_name = m.contact_name,
             contact_phone = m.contact_phone, employees = m.employees,
             tags = ARRAY(SELECT jsonb_array_elements_text(m.tags)), version = e.version + 1, updated_at = now()
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::uuid[], $6::text[], $7::date[],
                     $8::text[], $9::text[], $10::text[], $11::int4[], $12::jsonb[])
              AS m (id, uscc, name, street_id, park_id, cluster, established_on, address, contact_name,
                    contact_phone, employees, tags)
         WHERE e.id = m.id",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<Array<Text>, _>(usccs)
    .bind::<Array<Text>, _>(names)
    .bind::<Array<Nullable<SqlUuid>>, _>(streets)
    .bind::<Array<Nullable<SqlUuid>>, _>(parks)
    .bind::<Array<Nullable<Text>>, _>(clusters)
    .bind::<Array<Nullable<Date>>, _>(established)
    .bind::<Array<Nullable<Text>>, _>(addresses)
    .bind::<Array<Nullable<Text>>, _>(contacts)
    .bind::<Array<Nullable<Text>>, _>(phones)
    .bind::<Array<Nullable<Int4>>, _>(employees)
    .bind::<Array<Jsonb>, _>(tags)
    .execute(conn)?;
    enterprises::table.filter(enterprises::id.eq_any(&ids)).select(Enterprise::as_select()).load(conn)
}

/// An enterprise found within a street scope: made only by [`find`] and
/// [`find_for_update`]. The readers of what belongs to an enterprise (its certificates,
/// figures, moves) take one, so that no reader is handed an enterprise by a bare id that
/// nobody checked against the caller's streets.
#[derive(Debug, Clone)]
pub struct Visible(Enterprise);

impl std::ops::Deref for Visible {
    type Target = Enterprise;

    fn deref(&self) -> &Enterprise {
        &self.0
    }
}

impl Visible {
    pub fn into_inner(self) -> Enterprise {
        self.0
    }
}

pub fn find(conn: &mut PgConnection, id: Uuid, scope: &StreetScope) -> QueryResult<Visible> {
    let enterprise = enterprises::table.find(id).select(Enterprise::as_select()).get_result(conn)?;
    within_scope(scope, enterprise.fields.street_id, Visible(enterprise))
}

/// An enterprise's name, for answers that mention it.
pub fn name_of(conn: &mut PgConnection, id: Uuid) -> QueryResult<String> {
    enterprises::table.find(id).select(enterprises::name).get_result(conn)
}

/// The names of enterprises, by id: for lines that show requests or visits by name.
pub fn names_of(conn: &mut PgConnection, ids: &[Uuid]) -> QueryResult<HashMap<Uuid, String>> {
    let rows: Vec<(Uuid, String)> = enterprises::table
        .filter(enterprises::id.eq_any(ids))
        .select((enterprises::id, enterprises::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Reads and row-locks an enterprise for the rest of the transaction, so that concurrent
/// changes to it queue up instead of overwriting each other.
pub fn find_for_update(conn: &mut PgConnection, id: Uuid, scope: &StreetScope) -> QueryResult<Visible> {
    let enterprise = enterprises::table.find(id).select(Enterprise::as_select()).for_update().get_result(conn)?;
    within_scope(scope, enterprise.fields.street_id, Visible(enterprise))
}

/// Writes new fields and moves the version on.
pub fn update(conn: &mut PgConnection, id: Uuid, fields: &EnterpriseFields) -> QueryResult<Enterprise> {
    diesel::update(enterprises::table.find(id))
        .set((fields, enterprises::version.eq(enterprises::version + 1), enterprises::updated_at.eq(diesel::dsl::now)))
        .returning(Enterprise::as_returning())
        .get_result(conn)
}

/// Moves the enterprise to `tier` (only promotions, demotions and expiry do) and the
/// version on, so that edits based on the old tier must re-read it.
pub fn set_tier(conn: &mut PgConnection, id: Uuid, tier: &str) -> QueryResult<Enterprise> {
    diesel::update(enterprises::table.find(id))
        .set((
            enterprises::tier.eq(tier),
            enterprises::version.eq(enterprises::version + 1),
            enterprises::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Enterprise::as_returning())
        .get_result(conn)
}

pub fn archive(conn: &mut PgConnection, id: Uuid) -> QueryResult<Enterprise> {
    diesel::update(enterprises::table.find(id))
        .set((
            enterprises::archived_at.eq(diesel::dsl::now),
            enterprises::version.eq(enterprises::version + 1),
            enterprises::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Enterprise::as_returning())
        .get_result(conn)
}

/// Live enterprises newest first, the page after `after` (keyset on the time-ordered id).
pub fn list(
    conn: &mut PgConnection,
    filter: &ListFilter,
    scope: &StreetScope,
    after: Option<Uuid>,
    limit: i64,
) -> QueryResult<Vec<Enterprise>> {
    let mut query = enterprises::table
        .filter(enterprises::archived_at.is_null())
        .select(Enterprise::as_select())
        .order(enterprises::id.desc())
        .limit(limit)
        .into_boxed();
    if let StreetScope::Streets(streets) = scope {
        query = query.filter(enterprises::street_id.eq_any(streets.clone()));
    }
    if let Some(after) = after {
        query = query.filter(enterprises::id.lt(after));
    }
    if let Some(tier) = &filter.tier {
        query = query.filter(enterprises::tier.eq(tier.clone()));
    }
    match filter.street {
        Some(StreetFilter::Street(street_id)) => query = query.filter(enterprises::street_id.eq(street_id)),
        Some(StreetFilter::Unassigned) => query = query.filter(enterprises::street_id.is_null()),
        None => {}
    }
    if let Some(cluster) = &filter.cluster {
        query = query.filter(enterprises::cluster.eq(cluster.clone()));
    }
    if let Some((from, until)) = filter.expiring {
        query = query.filter(exists(
            certificates::table.filter(
                certificates::enterprise_id
                    .eq(enterprises::id)
                    .and(certificates::ended_on.is_null())
                    .and(certificates::valid_until.between(from, until)),
            ),
        ));
    }
    if let Some(since) = filter.not_visited_since {
        query = query.filter(enterprises::last_visited_on.is_null().or(enterprises::last_visited_on.lt(since)));
    }
    if let Some(fragment) = &filter.q {
        // The grams narrow the candidates through the GIN index; strpos keeps only names
        // that really contain the fragment in one piece (see the migration for why not LIKE).
        let by_name = enterprises::name_grams
            .contains(enterprise_search_grams(fragment.clone()))
            .and(strpos(lower(enterprises::name), lower(fragment.clone())).gt(0));
        query = match Uscc::normalized_prefix(fragment) {
            Some(prefix) => query.filter(by_name.or(enterprises::uscc.like(format!("{prefix}%")))),
            None => query.filter(by_name),
        };
    }
    query.load(conn)
}

/// A live enterprise nobody has visited for a while.
#[derive(Debug, Clone, QueryableByName)]
pub struct Unvisited {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub tier: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
    pub street_id: Option<Uuid>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamptz>)]
    pub last_visited_at: Option<DateTime<Utc>>,
}

/// Live enterprises in `scope` not visited since the day `since` (the bureau's calendar),
/// never-visited first, then the longest unvisited: a walk along the last-visit index
/// (kept by a trigger on visits).
pub fn not_visited(
    conn: &mut PgConnection,
    scope: &StreetScope,
    since: NaiveDate,
    limit: i64,
) -> QueryResult<Vec<Unvisited>> {
    diesel::sql_query(
        "SELECT e.id, e.name, e.tier, e.street_id, e.last_visited_at
         FROM enterprises e
         WHERE e.archived_at IS NULL
           AND ($1::uuid[] IS NULL OR e.street_id = ANY($1))
           AND (e.last_visited_on IS NULL OR e.last_visited_on < $2)
         ORDER BY e.last_visited_at NULLS FIRST, e.id
         LIMIT $3",
    )
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Array<diesel::sql_types::Uuid>>, _>(scope.streets())
    .bind::<diesel::sql_types::Date, _>(since)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)
}

/// The enterprises (not archived) with one of `usccs`, or named exactly one of `names`.
pub fn matching(conn: &mut PgConnection, usccs: &[String], names: &[String]) -> QueryResult<Vec<Enterprise>> {
    enterprises::table
        .filter(enterprises::archived_at.is_null())
        .filter(enterprises::uscc.eq_any(usccs).or(enterprises::name.eq_any(names)))
        .select(Enterprise::as_select())
        .load(conn)
}

/// Live enterprises on rung `tier` in `street` (`None`: every street, and none) not
/// visited since `before`, never-visited first, then the longest unvisited: a walk along
/// the rung's last-visit index. One street at a time, so that the walk is in order.
pub fn due_for_visit(
    conn: &mut PgConnection,
    street: Option<Uuid>,
    tier: &str,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Unvisited>> {
    let select = "SELECT e.id, e.name, e.tier, e.street_id, e.last_visited_at FROM enterprises e
         WHERE e.archived_at IS NULL AND e.tier = $1
           AND (e.last_visited_at IS NULL OR e.last_visited_at < $2)";
    let order = "ORDER BY e.last_visited_at NULLS FIRST, e.id LIMIT $3";
    match street {
        Some(street) => diesel::sql_query(format!("{select} AND e.street_id = $4 {order}"))
            .bind::<diesel::sql_types::Text, _>(tier)
            .bind::<diesel::sql_types::Timestamptz, _>(before)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .bind::<diesel::sql_types::Uuid, _>(street)
            .load(conn),
        None => diesel::sql_query(format!("{select} {order}"))
            .bind::<diesel::sql_types::Text, _>(tier)
            .bind::<diesel::sql_types::Timestamptz, _>(before)
            .bind::<diesel::sql_types::BigInt, _>(limit)
            .load(conn),
    }
}

/// What marks an enterprise for a closer cadence than its rung's.
pub enum Mark<'a> {
    /// An application of `batch_year` in flight (one of `statuses`).
    Applying { batch_year: i32, statuses: &'a [&'a str] },
    /// An obligation not done and due before `due_before` (or overdue).
    Owing { due_before: NaiveDate },
}

/// Live enterprises in `street` (`None`: every street, and none) carrying `mark`, not
/// visited since `before`, longest unvisited first.
pub fn marked_due_for_visit(
    conn: &mut PgConnection,
    street: Option<Uuid>,
    mark: &Mark,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<Unvisited>> {
    let select = "SELECT e.id, e.name, e.tier, e.street_id, e.last_visited_at
         FROM enterprises e
         WHERE e.archived_at IS NULL AND ($1::uuid IS NULL OR e.street_id = $1)
           AND (e.last_visited_at IS NULL OR e.last_visited_at < $2)";
    let order = "ORDER BY e.last_visited_at NULLS FIRST, e.id LIMIT $3";
    // A street's marked enterprises are a few hundred: found from the marked side, where
    // walking the street by last visit probed thousands before a page was marked (72 →
    // 18 ms at a million enterprises). The district's are tens of thousands: walked by
    // last visit, a page of them comes after a few hundred probes.
    let query = |table: &str, marked: &str| {
        let condition = match street {
            Some(_) => format!("e.id IN (SELECT m.enterprise_id FROM {table} m WHERE m.street_id = $1 AND {marked})"),
            None => format!("EXISTS (SELECT 1 FROM {table} m WHERE m.enterprise_id = e.id AND {marked})"),
        };
        diesel::sql_query(format!("{select} AND {condition} {order}"))
            .bind::<diesel::sql_types::Nullable<diesel::sql_types::Uuid>, _>(street)
            .bind::<diesel::sql_types::Timestamptz, _>(before)
            .bind::<diesel::sql_types::BigInt, _>(limit)
    };
    match mark {
        Mark::Applying { batch_year, statuses } => query("applications", "m.batch_year = $4 AND m.status = ANY($5)")
            .bind::<diesel::sql_types::Integer, _>(*batch_year)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(*statuses)
            .load(conn),
        Mark::Owing { due_before } => query("obligations", "m.done_at IS NULL AND m.due_on < $4")
            .bind::<diesel::sql_types::Date, _>(*due_before)
            .load(conn),
    }
}
