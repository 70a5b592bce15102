//! The bureau's map: district → street → park.

use crate::db::audit::{self, Change};
use crate::db::regions::{self as store, NewRegion, Region};
use crate::domain::Action;
use crate::domain::RegionKind;
use crate::domain::{Code, Refusal};
use crate::service::refusing;
use crate::service::{Authorized, ServiceError, not_blank};
use diesel::{Connection, OptionalExtension, PgConnection};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;
use validator::{Validate, ValidationError};

#[derive(Debug, Deserialize, Validate, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRegion {
    /// e.g. 新安街道
    #[validate(length(max = 100), custom(function = not_blank))]
    #[schema(max_length = 100, pattern = "\\S")]
    #[schema(example = "新安街道")]
    pub name: String,
    /// Stable short code, used by the CLI (`--street xinan`) and imports: letters, digits,
    /// `-` and `_`, such as `xinan`, `ST01` or a GB/T 2260 code like `440306001`. Stored
    /// in lower case; matched whatever the case.
    #[validate(length(min = 1, max = 50), custom(function = region_code))]
    #[schema(min_length = 1, max_length = 50)]
    #[schema(example = "xinan")]
    pub code: String,
    pub kind: RegionKind,
    /// Required for streets (a district) and parks (a street); absent for a district.
    pub parent_id: Option<Uuid>,
}

fn region_code(code: &str) -> Result<(), ValidationError> {
    if code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        Ok(())
    } else {
        Err(refusing(Refusal::CodeCharacters))
    }
}

/// The one form a region code is stored and looked up in.
pub fn canonical_code(code: &str) -> String {
    code.trim().to_ascii_lowercase()
}

/// Adds a district, a street under a district, or a park under a street.
pub fn create(conn: &mut PgConnection, auth: &Authorized, region: CreateRegion) -> Result<Region, ServiceError> {
    auth.require(Action::ManageRegions)?;
    region.validate()?;
    conn.transaction(|conn| {
        match (region.kind.parent_kind(), region.parent_id) {
            (None, None) => {}
            (None, Some(_)) => return Err(ServiceError::invalid("parent_id", Refusal::DistrictHasNoParent)),
            (Some(kind), None) => {
                return Err(ServiceError::invalid("parent_id", Refusal::ParentRequired { kind: kind.word() }));
            }
            (Some(kind), Some(parent_id)) => {
                if store::find(conn, parent_id).optional()?.is_none_or(|parent| parent.kind != kind) {
                    return Err(ServiceError::invalid("parent_id", Refusal::ParentNotA { kind: kind.word() }));
                }
            }
        }
        let code = canonical_code(&region.code);
        let new = NewRegion {
            id: Uuid::now_v7(),
            kind: region.kind.as_str(),
            code: &code,
            name: region.name.trim(),
            parent_id: region.parent_id,
        };
        let created = store::insert(conn, &new)?;
        audit::record(conn, &auth.audit, Change::created("region", created.id, &created))?;
        Ok(created)
    })
}

/// Every region: the district, its streets and parks.
pub fn all(conn: &mut PgConnection, auth: &Authorized) -> Result<Vec<Region>, ServiceError> {
    may_read_reference(auth)?;
    Ok(store::all(conn)?)
}

/// The streets the caller sees, by id and name: where they may hand something to.
pub fn streets_in_scope(conn: &mut PgConnection, auth: &Authorized) -> Result<Vec<(Uuid, String)>, ServiceError> {
    let scope = auth.principal.street_scope();
    Ok(all(conn, auth)?.into_iter().filter(|r| is_street_in(r, &scope)).map(|r| (r.id, r.name)).collect())
}

/// Whether `region` is a street within `scope`.
pub fn is_street_in(region: &Region, scope: &crate::domain::StreetScope) -> bool {
    region.kind == RegionKind::Street && scope.allows(Some(region.id))
}

/// That the caller may read the reference data: the regions, the ladder, the clusters.
pub fn may_read_reference(auth: &Authorized) -> Result<(), ServiceError> {
    auth.require(Action::ReadReference)
}

/// The name of a region (an enterprise's street, say).
pub fn name_of(conn: &mut PgConnection, auth: &Authorized, id: Uuid) -> Result<String, ServiceError> {
    may_read_reference(auth)?;
    Ok(store::find(conn, id)?.name)
}

/// That the caller may add regions (the page of the form asks).
pub fn may_manage(auth: &Authorized) -> Result<(), ServiceError> {
    auth.require(Action::ManageRegions)
}

/// Every region's name by its id: for the words of a spreadsheet's title row.
pub fn names(
    conn: &mut PgConnection,
    auth: &Authorized,
) -> Result<std::collections::HashMap<Uuid, String>, ServiceError> {
    Ok(all(conn, auth)?.into_iter().map(|r| (r.id, r.name)).collect())
}
