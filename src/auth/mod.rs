//! Authentication mechanics: passwords, access tokens, API keys, and the extractor that
//! turns a request's credentials into a [`Principal`] checked against the database.
//! What a principal may then do is decided in `domain::access`.

pub mod password;
pub mod tokens;

use crate::config::Settings;
use crate::db::{api_keys, users};
use crate::domain::{ApiScope, Principal};
use crate::service::ServiceError;
use diesel::PgConnection;
use secrecy::ExposeSecret;
use std::os::unix::fs::PermissionsExt;
use tokens::Claims;
use uuid::Uuid;

/// API keys carry this prefix, which tells them apart from access tokens.
pub const API_KEY_PREFIX: &str = "pk_";
const MIN_SECRET_LENGTH: usize = 32;

/// The JWT signing secret: `PEIYU_JWT_SECRET`, else one generated once and kept in the
/// data directory. Several instances sharing a database must share the variable.
pub fn jwt_secret(settings: &Settings) -> anyhow::Result<Vec<u8>> {
    if !settings.jwt_secret.expose_secret().is_empty() {
        anyhow::ensure!(
            settings.jwt_secret.expose_secret().len() >= MIN_SECRET_LENGTH,
            "PEIYU_JWT_SECRET must have at least {MIN_SECRET_LENGTH} characters"
        );
        return Ok(settings.jwt_secret.expose_secret().as_bytes().to_vec());
    }
    let path = settings.data_dir.join("jwt.secret");
    match std::fs::read_to_string(&path) {
        Ok(secret) if secret.trim().len() >= MIN_SECRET_LENGTH => Ok(secret.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!("{} holds too short a secret; delete it to have a new one made", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&settings.data_dir)?;
            let secret = tokens::random_secret("")?;
            std::fs::write(&path, &secret)?;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
            Ok(secret.into_bytes())
        }
        Err(e) => Err(anyhow::anyhow!("{}: {e}", path.display())),
    }
}

/// What a request presents: a verified access token's claims or an API key still to be
/// looked up. Missing, malformed, forged or expired credentials fail extraction (401).
#[derive(Debug, Clone)]
pub enum Credentials {
    User(Claims),
    ApiKey(String),
    /// The user of a console session that the console has found live.
    Session(Uuid),
}

/// The credentials of a request and its id, before the database has had its say.
#[derive(Debug, Clone)]
pub struct Caller {
    credentials: Credentials,
    pub request_id: Option<Uuid>,
}

impl Caller {
    pub fn new(credentials: Credentials, request_id: Option<Uuid>) -> Self {
        Self { credentials, request_id }
    }

    /// Checks the credentials against the database as of now, so that deactivating a
    /// user, changing a role or revoking a key takes effect on the very next request.
    pub fn resolve(&self, conn: &mut PgConnection) -> Result<Principal, ServiceError> {
        match &self.credentials {
            Credentials::User(Claims { sub: user, .. }) | Credentials::Session(user) => {
                match users::access(conn, *user)? {
                    Some(access) if access.active => {
                        Ok(Principal::User { id: *user, role: access.role, streets: access.streets })
                    }
                    _ => Err(ServiceError::Unauthorized("this account is not active".into())),
                }
            }
            Credentials::ApiKey(key) => {
                let key = api_keys::find_active(conn, &tokens::fingerprint(key))?
                    .ok_or_else(|| ServiceError::Unauthorized("unknown or revoked API key".into()))?;
                api_keys::touch(conn, key.id)?;
                let scopes = key.scopes.iter().filter_map(|s| ApiScope::parse(s)).collect();
                Ok(Principal::ApiKey { id: key.id, scopes })
            }
        }
    }
}
