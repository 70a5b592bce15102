//! The enterprise register: registering, editing and archiving enterprises, and where an
//! enterprise may be placed (street and park), for every path that writes one.

use crate::config::Catalog;
use crate::db::audit::{self, Change};
use crate::db::enterprises::{self as store, Enterprise, EnterpriseFields, ListFilter, StreetFilter, Visible};
use crate::db::regions::{self, Region};
use crate::domain::Action;
use crate::domain::Refusal;
use crate::domain::{RegionKind, StreetScope, Uscc, certification, dates, visit};
use crate::service::refusing;
use crate::service::{Authorized, BasedOn, FieldError, OrNotFound, ServiceError, cleaned, not_blank, requests};
use crate::service::{obligations, readiness};
use chrono::NaiveDate;
use diesel::{Connection, OptionalExtension, PgConnection};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;
use validator::{Validate, ValidateArgs, ValidationError};

const ENTITY: &str = "enterprise";

/// The editable state of an enterprise, as registering takes it (and, merged with the
/// current state, as an edit leaves it): one set of rules for both, and for imports.
#[derive(Debug, Clone, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
#[validate(context = Catalog)]
#[schema(as = EnterpriseBody)]
pub struct EnterpriseInput {
    /// 统一社会信用代码, 18 characters with a valid GB 32100 check character.
    #[validate(custom(function = valid_uscc))]
    #[schema(example = "91440300MA5FXX9X4B")]
    pub uscc: String,
    /// 企业名称.
    #[validate(length(max = 200), custom(function = not_blank))]
    #[schema(max_length = 200, pattern = "\\S")]
    #[schema(example = "深圳市星河智能装备有限公司")]
    pub name: String,
    /// The street (街道) the enterprise belongs to. Required when registering; `null` only
    /// for enterprises a registry feed or an import registered, awaiting triage.
    #[schema(required = true)]
    pub street_id: Option<Uuid>,
    /// A park (园区) within that street.
    pub park_id: Option<Uuid>,
    /// Industry cluster code (GET /api/v1/clusters).
    #[validate(custom(function = known_cluster, use_context))]
    pub cluster: Option<String>,
    /// 成立日期: not in the future, not before 1900.
    #[validate(custom(function = founded, use_context))]
    pub established_on: Option<NaiveDate>,
    #[validate(length(max = 500))]
    #[schema(max_length = 500)]
    pub address: Option<String>,
    #[validate(length(max = 100))]
    #[schema(max_length = 100)]
    pub contact_name: Option<String>,
    #[validate(length(max = 40), custom(function = phone_number))]
    #[schema(max_length = 40)]
    pub contact_phone: Option<String>,
    #[validate(range(min = 0, max = 10_000_000))]
    #[schema(minimum = 0, maximum = 10_000_000)]
    pub employees: Option<i32>,
    #[serde(default)]
    #[validate(length(max = 20), custom(function = valid_tags))]
    #[schema(max_items = 20)]
    pub tags: Vec<String>,
}

fn valid_uscc(uscc: &str) -> Result<(), ValidationError> {
    Uscc::parse(uscc).map(drop).map_err(|e| refusing(e.into()))
}

fn known_cluster(code: &str, catalog: &Catalog) -> Result<(), ValidationError> {
    catalog.clusters.get(code).map(drop).map_err(|e| refusing(e.into()))
}

fn founded(date: &NaiveDate, catalog: &Catalog) -> Result<(), ValidationError> {
    dates::happened_on(*date, catalog.today()).map(drop).map_err(refusing)
}

fn phone_number(phone: &str) -> Result<(), ValidationError> {
    let allowed = |c: char| c.is_ascii_digit() || " +-()".contains(c);
    if phone.chars().all(allowed) && phone.chars().any(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(refusing(Refusal::PhoneCharacters))
    }
}

fn valid_tags(tags: &[String]) -> Result<(), ValidationError> {
    match tags.iter().find(|t| t.trim().is_empty() || t.chars().count() > 30) {
        Some(_) => Err(refusing(Refusal::TagLength)),
        None => Ok(()),
    }
}

impl EnterpriseInput {
    /// Checks every rule and returns the fields in their stored form, or every bad field
    /// at once.
    pub fn into_fields(self, catalog: &Catalog) -> Result<EnterpriseFields, ServiceError> {
        self.validate_with_args(catalog)?;
        let uscc = Uscc::parse(&self.uscc).map_err(|e| ServiceError::invalid("uscc", e))?;
        let mut seen = std::collections::HashSet::new();
        let tags = self.tags.iter().map(|t| t.trim().to_owned()).filter(|t| seen.insert(t.clone())).collect();
        Ok(EnterpriseFields {
            uscc: uscc.into_string(),
            name: self.name.trim().to_owned(),
            street_id: self.street_id,
            park_id: self.park_id,
            cluster: self.cluster,
            established_on: self.established_on,
            address: cleaned(self.address),
            contact_name: cleaned(self.contact_name),
            contact_phone: cleaned(self.contact_phone),
            employees: self.employees,
            tags,
        })
    }
}

impl From<EnterpriseFields> for EnterpriseInput {
    fn from(f: EnterpriseFields) -> Self {
        Self {
            uscc: f.uscc,
            name: f.name,
            street_id: f.street_id,
            park_id: f.park_id,
            cluster: f.cluster,
            established_on: f.established_on,
            address: f.address,
            contact_name: f.contact_name,
            contact_phone: f.contact_phone,
            employees: f.employees,
            tags: f.tags,
        }
    }
}

/// Where an enterprise may stand: its street is a street, and its park a park of that
/// street. `region` looks a region up (in the database, or in a map an import loaded).
/// The database holds the park rule too (migration `000012`), so no path can break it.
pub fn placement_errors(
    fields: &EnterpriseFields,
    mut region: impl FnMut(Uuid) -> Result<Option<Region>, ServiceError>,
) -> Result<Vec<FieldError>, ServiceError> {
    let mut errors = Vec::new();
    if let Some(street_id) = fields.street_id
        && region(street_id)?.is_none_or(|r| r.kind != RegionKind::Street)
    {
        errors.push(FieldError::new("street_id", Refusal::NotAStreet));
    }
    if let Some(park_id) = fields.park_id {
        match region(park_id)? {
            Some(park) if park.kind == RegionKind::Park && park.parent_id == fields.street_id => {}
            Some(park) if park.kind == RegionKind::Park => {
                errors.push(FieldError::new("park_id", Refusal::ParkElsewhere))
            }
            _ => errors.push(FieldError::new("park_id", Refusal::NotAPark)),
        }
    }
    Ok(errors)
}

/// What is said of a park outside the enterprise's street.
pub const PARK_ELSEWHERE: &str = "lies in another street";

/// The street must be one the caller works in (403), be a street, and hold the park.
fn check_placement(conn: &mut PgConnection, auth: &Authorized, fields: &EnterpriseFields) -> Result<(), ServiceError> {
    auth.principal.may_place_in(fields.street_id)?;
    let errors = placement_errors(fields, |id| Ok(regions::find(conn, id).optional()?))?;
    ServiceError::unless_any(errors)
}

/// Registers an enterprise (counselors: in their own streets) at the bottom rung.
pub fn register(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    input: EnterpriseInput,
) -> Result<Enterprise, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    if input.street_id.is_none() {
        return Err(ServiceError::invalid("street_id", Refusal::Required));
    }
    let fields = input.into_fields(catalog)?;
    conn.transaction(|conn| {
        check_placement(conn, auth, &fields)?;
        let created = store::insert(conn, Uuid::now_v7(), &fields, catalog.ladder.base().code())?;
        audit::record(conn, &auth.audit, Change::created(ENTITY, created.id, &created))?;
        readiness::refresh(conn, catalog, &[created.id])?;
        Ok(created)
    })
}

/// One enterprise in the caller's streets, archived or not: the scoped lookup every
/// reader of what belongs to an enterprise starts from (see [`Visible`]).
pub fn find(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<Visible, ServiceError> {
    auth.require(Action::ReadEnterprises)?;
    visible(conn, auth, id)
}

/// The enterprise `id` if it lies in the caller's streets, else not found: for a use case
/// that has required its own permission (reading field work needs no right to the
/// enterprise list).
pub(crate) fn visible(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<Visible, ServiceError> {
    store::find(conn, id, &auth.principal.street_scope()).or_not_found(ENTITY)
}

/// One enterprise in the caller's streets, for field work with it (a visit, a demand, an
/// application, its figures): the forms for these ask for it.
pub fn for_field_work(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<Visible, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    find(conn, auth, id)
}

/// Edits an enterprise as `edit` changes its current state, if it is still at the version
/// the edit is `based_on`. An edit that changes nothing writes nothing.
pub fn update(
    conn: &mut PgConnection,
    auth: &Authorized,
    catalog: &Catalog,
    id: Uuid,
    based_on: &BasedOn,
    edit: impl FnOnce(EnterpriseInput) -> EnterpriseInput,
) -> Result<Enterprise, ServiceError> {
    auth.require(Action::WriteEnterprises)?;
    conn.transaction(|conn| {
        let current =
            store::find_for_update(conn, id, &auth.principal.street_scope()).or_not_found(ENTITY)?.into_inner();
        if current.archived_at.is_some() {
            return Err(ServiceError::conflict(Refusal::Archived));
        }
        based_on.check(current.version)?;
        let fields = edit(current.fields.clone().into()).into_fields(catalog)?;
        if fields == current.fields {
            return Ok(current);
        }
        check_placement(conn, auth, &fields)?;
        let updated = store::update(conn, id, &fields)?;
        audit::record(conn, &auth.audit, Change::changed(ENTITY, id, "update", &current, &updated))?;
        if updated.fields.street_id != current.fields.street_id {
            requests::release_unserved(conn, &auth.audit, &[id])?;
        }
        if updated.fields.name != current.fields.name {
            let held: Vec<String> =
                crate::db::readiness::titles(conn, &[id], catalog.today())?.into_iter().map(|(_, tier)| tier).collect();
            for item in obligations::after_name_change(conn, catalog, id, &held, catalog.today())? {
                audit::record(conn, &auth.audit, Change::created("obligation", item.id, &item))?;
            }
        }
        if updated.fields.established_on != current.fields.established_on {
            readiness::refresh(conn, catalog, &[id])?;
        }
        Ok(updated)
    })
}

/// Archives an enterprise: it leaves lists and analytics but keeps its history. Archiving
/// an archived enterprise changes nothing.
pub fn archive(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<(), ServiceError> {
    auth.require(Action::ArchiveEnterprises)?;
    conn.transaction(|conn| {
        let current =
            store::find_for_update(conn, id, &auth.principal.street_scope()).or_not_found(ENTITY)?.into_inner();
        if current.archived_at.is_none() {
            let archived = store::archive(conn, id)?;
            audit::record(conn, &auth.audit, Change::changed(ENTITY, id, "archive", &current, &archived))?;
        }
        Ok(())
    })
}

/// The filters of the enterprise list, as a person or a program writes them.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EnterpriseQuery {
    /// A name fragment (中文 or Latin, any length) or the start of a USCC.
    pub q: Option<String>,
    /// Tier code.
    pub tier: Option<String>,
    /// A street's id, or `unassigned`: enterprises a registry feed or an import registered
    /// without a street, waiting for triage (managers).
    #[param(
        pattern = "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32}|unassigned)$"
    )]
    pub street_id: Option<String>,
    /// Cluster code.
    pub cluster: Option<String>,
    /// Only enterprises holding a certificate that lapses within this many days (1–1095).
    #[param(minimum = 1, maximum = 1095)]
    pub expiring_within_days: Option<u32>,
    /// Only enterprises nobody has visited for this many days (1–3650).
    #[param(minimum = 1, maximum = 3650)]
    pub not_visited_days: Option<u32>,
}

impl EnterpriseQuery {
    /// The filter the list is read by, or every parameter that is wrong.
    pub fn into_filter(self, catalog: &Catalog) -> Result<ListFilter, ServiceError> {
        let mut errors = Vec::new();
        if let Some(Err(e)) = self.tier.as_deref().map(|t| catalog.ladder.tier(t)) {
            errors.push(FieldError::new("tier", e));
        }
        if let Some(Err(e)) = self.cluster.as_deref().map(|c| catalog.clusters.get(c)) {
            errors.push(FieldError::new("cluster", e));
        }
        let street = match self.street_id.as_deref().map(str::trim) {
            None => None,
            Some("unassigned") => Some(StreetFilter::Unassigned),
            Some(id) => match Uuid::parse_str(id) {
                Ok(id) => Some(StreetFilter::Street(id)),
                Err(_) => {
                    errors.push(FieldError::new("street_id", Refusal::StreetOrUnassigned));
                    None
                }
            },
        };
        let q = cleaned(self.q);
        // PostgreSQL cannot compare text holding NUL (a 500 in the console's search, whose
        // query string no extractor screens as the API's does).
        if q.as_deref().is_some_and(|q| !crate::domain::text::storable(q)) {
            errors.push(FieldError::new("q", Refusal::Unstorable));
        }
        if q.as_ref().is_some_and(|q| q.chars().count() > 100) {
            errors.push(FieldError::new("q", Refusal::LengthAtMost { max: 100 }));
        }
        let today = catalog.today();
        /// A window asked for, or its field's error kept.
        fn asked<T>(errors: &mut Vec<FieldError>, field: &str, window: Option<Result<T, Refusal>>) -> Option<T> {
            window?.map_err(|e| errors.push(FieldError::new(field, e))).ok()
        }
        let expiring = self.expiring_within_days.map(|days| certification::expiry_window(today, days));
        let expiring = asked(&mut errors, "expiring_within_days", expiring);
        let not_visited = self.not_visited_days.map(|days| visit::asked_window_start(today, days));
        let not_visited_since = asked(&mut errors, "not_visited_days", not_visited);
        if !errors.is_empty() {
            return Err(ServiceError::Invalid(errors));
        }
        Ok(ListFilter { q, tier: self.tier, street, cluster: self.cluster, expiring, not_visited_since })
    }
}

/// Up to `fetch` live enterprises in the caller's streets after `after`, newest first.
pub fn list(
    conn: &mut PgConnection,
    auth: &Authorized,
    filter: &ListFilter,
    after: Option<Uuid>,
    fetch: i64,
) -> Result<Vec<Enterprise>, ServiceError> {
    auth.require(Action::ReadEnterprises)?;
    Ok(store::list(conn, filter, &auth.principal.street_scope(), after, fetch)?)
}

/// The streets whose enterprises the caller may list, for an export that reads them
/// after this unit of work.
pub fn list_scope(auth: &Authorized) -> Result<StreetScope, ServiceError> {
    auth.require(Action::ReadEnterprises)?;
    Ok(auth.principal.street_scope())
}

/// The names of enterprises, by id, for lines that show the requests and visits another
/// use case gave the caller.
pub fn names_of(
    conn: &mut PgConnection,
    auth: &Authorized,
    ids: &[Uuid],
) -> Result<std::collections::HashMap<Uuid, String>, ServiceError> {
    auth.require(Action::ReadEnterprises)?;
    Ok(store::names_of(conn, ids)?)
}
