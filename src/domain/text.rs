//! Text as PostgreSQL can store it. Its `text` type cannot hold the NUL character, so a
//! NUL anywhere in an input would fail the statement that stores it (or searches by it):
//! every face refuses it where the input comes in, naming the field.

/// What is said of a field that holds a NUL character.
pub const NUL_MESSAGE: &str = "must not contain the NUL character (\\u0000)";

/// Whether `text` can be stored and searched for as it is.
pub fn storable(text: &str) -> bool {
    !text.contains('\0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_nul_is_unstorable() {
        assert!(storable("深圳市星河智能装备有限公司 \u{1} \t\n"));
        assert!(!storable("a\0b"));
        assert!(!storable("\0"));
    }
}
