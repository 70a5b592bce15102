//! Creating accounts from the command line: the first admin, and scripts.

use crate::auth::password;
use crate::db::audit::{self, Change, Context};
use crate::db::users::{self, NewUser};
use crate::db::{regions, schema};
use crate::domain::{Actor, RegionKind, Role};
use diesel::prelude::*;
use uuid::Uuid;

/// Creates a user with the streets named by their region codes, audited as the system.
pub fn create_user(
    conn: &mut PgConnection,
    username: &str,
    role: Role,
    street_codes: &[String],
    password: &str,
) -> anyhow::Result<users::UserRecord> {
    if let Some(weakness) = password::weakness(password, username) {
        anyhow::bail!("the password {weakness}");
    }
    let password_hash = password::hash(password)?;
    conn.transaction(|conn| {
        let mut streets = Vec::new();
        for code in street_codes {
            let region = schema::regions::table
                .filter(schema::regions::code.eq(code))
                .select(regions::Region::as_select())
                .first(conn)
                .optional()?
                .filter(|r| r.kind == RegionKind::Street)
                .ok_or_else(|| anyhow::anyhow!("no street with code `{code}`"))?;
            streets.push(region.id);
        }
        let user = users::insert(
            conn,
            &NewUser {
                id: Uuid::now_v7(),
                username,
                display_name: username,
                password_hash: &password_hash,
                role: role.as_str(),
            },
        )
        .map_err(|e| match e {
            diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _) => {
                anyhow::anyhow!("the username `{username}` is taken")
            }
            other => other.into(),
        })?;
        users::set_streets(conn, user.id, &streets)?;
        let record = users::record(conn, user)?;
        let context = Context { actor: Actor::System, request_id: None };
        let change = Change::created("user", record.user.id, &record);
        audit::record(conn, &context, change)?;
        Ok(record)
    })
}
