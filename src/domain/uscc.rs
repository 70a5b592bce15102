//! 统一社会信用代码 (unified social credit code), GB 32100-2015.
//!
//! 18 characters: registration authority (1), organisation kind (1), administrative
//! division (6 digits), organisation identifier (9), check character (1). Characters come
//! from a 31-symbol alphabet without I, O, S, V and Z, so that they are not misread.

use std::fmt;

/// The 31 symbols in order; a symbol's index is its value in the check computation.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
pub const LENGTH: usize = 18;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    #[error("character {position} ('{found}') is not allowed: use 0-9 and A-Z except I, O, S, V, Z")]
    Character { position: usize, found: char },
    #[error("characters 3 to 8 must be the digits of an administrative division code")]
    Division,
    #[error("check character does not match: one of the characters is mistyped")]
    CheckCharacter,
}

fn value_of(symbol: u8) -> Option<u32> {
    ALPHABET.iter().position(|&s| s == symbol).map(|v| v as u32)
}

/// The 18th character for the first 17 (which must be alphabet symbols).
pub fn check_character(first17: &[u8]) -> Option<char> {
    let mut sum = 0;
    for (&symbol, weight) in first17.iter().zip(WEIGHTS) {
        sum += value_of(symbol)? * weight;
    }
    let check = (31 - sum % 31) % 31;
    Some(char::from(ALPHABET[check as usize]))
}

impl Uscc {
    /// Parses user input: surrounding blanks are ignored and lower case is accepted,
    /// because codes are typed from paper certificates.
    pub fn parse(input: &str) -> Result<Self, UsccError> {
        let code = input.trim().to_ascii_uppercase();
        let length = code.chars().count();
        if length != LENGTH {
            return Err(UsccError::Length(length));
        }
        if let Some((index, found)) =
            code.chars().enumerate().find(|&(_, c)| !c.is_ascii() || value_of(c as u8).is_none())
        {
            return Err(UsccError::Character { position: index + 1, found });
        }
        let bytes = code.as_bytes();
        if !bytes[2..8].iter().all(u8::is_ascii_digit) {
            return Err(UsccError::Division);
        }
        if check_character(&bytes[..17]) != Some(char::from(bytes[17])) {
            return Err(UsccError::CheckCharacter);
        }
        Ok(Self(code))
    }

    /// Whether `input` could begin a code: the contract's `q` matches USCC prefixes, and
    /// only such input is worth an index probe on the code column.
    pub fn normalized_prefix(input: &str) -> Option<String> {
        let prefix = input.trim().to_ascii_uppercase();
        let plausible = !prefix.is_empty() && prefix.len() <= LENGTH && prefix.bytes().all(|b| value_of(b).is_some());
        plausible.then_some(prefix)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // 小米科技有限责任公司's code as printed on its business licence.
    const KNOWN: &str = "91110108551385082Q";

    #[test]
    fn accepts_a_real_code() {
        assert_eq!(Uscc::parse(KNOWN).map(|u| u.to_string()), Ok(KNOWN.to_string()));
    }

    #[test]
    fn normalises_case_and_blanks() {
        assert_eq!(Uscc::parse(" 91110108551385082q ").map(|u| u.to_string()), Ok(KNOWN.to_string()));
    }

    #[test]
    fn names_what_is_wrong() {
        assert_eq!(Uscc::parse("9111010855138508"), Err(UsccError::Length(16)));
        assert_eq!(Uscc::parse("91110108551385082I"), Err(UsccError::Character { position: 18, found: 'I' }));
        assert_eq!(Uscc::parse("911A0108551385082Q"), Err(UsccError::Division));
        assert_eq!(Uscc::parse("91110108551385082R"), Err(UsccError::CheckCharacter));
        assert_eq!(Uscc::parse("91110108551385082华"), Err(UsccError::Character { position: 18, found: '华' }));
    }

    #[test]
    fn prefixes() {
        assert_eq!(Uscc::normalized_prefix("9144"), Some("9144".into()));
        assert_eq!(Uscc::normalized_prefix("91440300ab"), Some("91440300AB".into()));
        assert_eq!(Uscc::normalized_prefix("华为"), None);
        assert_eq!(Uscc::normalized_prefix(""), None);
    }

    fn symbol() -> impl Strategy<Value = u8> {
        proptest::sample::select(ALPHABET.to_vec())
    }

    prop_compose! {
        fn valid_code()(
            head in proptest::collection::vec(symbol(), 2),
            division in proptest::collection::vec(b'0'..=b'9', 6),
            identifier in proptest::collection::vec(symbol(), 9),
        ) -> String {
            let mut bytes = [head, division, identifier].concat();
            let check = check_character(&bytes).expect("generated from the alphabet");
            bytes.push(check as u8);
            String::from_utf8(bytes).expect("ASCII")
        }
    }

    proptest! {
        #[test]
        fn every_valid_code_parses(code in valid_code()) {
            prop_assert_eq!(Uscc::parse(&code).map(|u| u.into_string()), Ok(code));
        }

        #[test]
        fn every_single_character_corruption_is_rejected(
            code in valid_code(),
            position in 0..LENGTH,
            replacement in proptest::char::any(),
        ) {
            let mut chars: Vec<char> = code.chars().collect();
            prop_assume!(!chars[position].eq_ignore_ascii_case(&replacement));
            chars[position] = replacement;
            let corrupted: String = chars.into_iter().collect();
            prop_assert!(Uscc::parse(&corrupted).is_err(), "{} was accepted", corrupted);
        }
    }
}
