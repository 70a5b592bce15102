//! Passwords: argon2id hashes in PHC format, and the minimum policy for new ones.
//! Hashing is deliberately slow (~tens of ms): callers run it on the blocking pool.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use std::sync::LazyLock;

pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

pub fn hash(password: &str) -> anyhow::Result<String> {
    let hash = Argon2::default().hash_password(password.as_bytes()).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches `stored`; a malformed stored hash matches nothing.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Checked instead of a real hash when the username is unknown, so that a wrong
/// username costs as long as a wrong password and names cannot be probed by timing.
pub fn verify_against_nothing(password: &str) {
    static DECOY: LazyLock<String> = LazyLock::new(|| hash("peiyu-decoy-password").unwrap_or_default());
    verify(password, &DECOY);
}

/// The policy for a new password, as a message for the caller; `None` when it passes.
pub fn weakness(password: &str, username: &str) -> Option<String> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Some(format!("must have at least {MIN_LENGTH} characters"));
    }
    if length > MAX_LENGTH {
        return Some(format!("must have at most {MAX_LENGTH} characters"));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Some("must use at least 4 different characters".into());
    }
    if password.to_lowercase().contains(&username.to_lowercase()) {
        return Some("must not contain the username".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let stored = hash("correct horse battery").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse battery!", &stored));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_named() {
        assert_eq!(weakness("short", "li"), Some("must have at least 10 characters".into()));
        assert_eq!(weakness("aaaaaaaaaaaa", "li"), Some("must use at least 4 different characters".into()));
        assert_eq!(weakness("zhangwei-2026!", "ZhangWei"), Some("must not contain the username".into()));
        assert_eq!(weakness("新安街道辅导员2026", "li"), None);
    }
}
