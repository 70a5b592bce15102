//! Access tokens (short-lived HS256 JWTs) and opaque secrets (refresh tokens, API keys)
//! that are stored only as SHA-256 hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// What an access token says. Every field is required: a token without one is invalid.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The user's id.
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

/// The signing key and the rules tokens are checked by; built once at start-up.
pub struct AccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

impl AccessTokens {
    pub fn new(secret: &[u8], lifetime: Duration) -> Self {
        // One algorithm, pinned: `alg: none` or an RSA/HMAC confusion cannot pass.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime,
        }
    }

    /// A signed token for `user`, and how many seconds it lasts.
    pub fn issue(&self, user: Uuid) -> anyhow::Result<(String, i64)> {
        let now = Utc::now();
        let claims =
            Claims { sub: user, iat: now.timestamp(), exp: (now + self.lifetime).timestamp(), jti: Uuid::now_v7() };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)?;
        Ok((token, self.lifetime.num_seconds()))
    }

    /// The claims of a token signed with our key and not expired.
    pub fn verify(&self, token: &str) -> Result<Claims, jsonwebtoken::errors::Error> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims)
    }
}

/// 32 random bytes, URL-safe, after `prefix`.
pub fn random_secret(prefix: &str) -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    Ok(format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes)))
}

/// How a secret is stored and looked up. Secrets are random, so a fast hash suffices.
pub fn fingerprint(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(secret: &[u8]) -> AccessTokens {
        AccessTokens::new(secret, Duration::minutes(15))
    }

    #[test]
    fn issued_tokens_verify_with_the_same_key_only() {
        let user = Uuid::now_v7();
        let (token, expires_in) = tokens(b"a secret of at least thirty-two bytes").issue(user).expect("issue");
        assert_eq!(expires_in, 900);
        assert_eq!(tokens(b"a secret of at least thirty-two bytes").verify(&token).map(|c| c.sub).ok(), Some(user));
        assert!(tokens(b"another secret, also thirty-two bytes").verify(&token).is_err());
        assert!(tokens(b"a secret of at least thirty-two bytes").verify(&token[..token.len() - 2]).is_err());
    }

    #[test]
    fn expired_and_unsigned_tokens_fail() {
        let keys = AccessTokens::new(b"a secret of at least thirty-two bytes", Duration::minutes(-10));
        let (expired, _) = keys.issue(Uuid::now_v7()).expect("issue");
        assert!(keys.verify(&expired).is_err());
        let claims = Claims { sub: Uuid::now_v7(), iat: 0, exp: i64::MAX / 2, jti: Uuid::now_v7() };
        let body = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).expect("json"));
        let unsigned = format!("{}.{body}.", URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#));
        assert!(keys.verify(&unsigned).is_err());
    }

    #[test]
    fn secrets_are_random_and_fingerprinted() {
        let (a, b) = (random_secret("pk_").expect("random"), random_secret("pk_").expect("random"));
        assert!(a.starts_with("pk_") && a.len() == 46 && a != b);
        assert_eq!(fingerprint(&a), fingerprint(&a));
        assert_ne!(fingerprint(&a), fingerprint(&b));
    }
}
