//! Text as PostgreSQL can store it. Its `text` type cannot hold the NUL character, so a
//! NUL anywhere in an input would fail the statement that stores it (or searches by it):
//! every face refuses it where the input comes in, naming the field.

/// Whether `text` can be stored and searched for as it is.
pub fn storable(text: &str) -> bool {
    !text.contains('\0')
}

/// `text` as an answer may echo it and PostgreSQL keep it: a NUL written out as `\u0000`.
pub fn shown(text: &str) -> String {
    text.replace('\0', "\\u0000")
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

    #[test]
    fn what_is_shown_can_be_stored() {
        assert_eq!(shown("91\0x"), "91\\u0000x");
        assert!(storable(&shown("\0\0")));
    }
}
