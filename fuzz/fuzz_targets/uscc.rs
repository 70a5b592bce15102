//! 统一社会信用代码 as people type them: never a panic, and a code that parses is in its
//! normal form (parsing it again gives itself) and a plausible prefix of itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use peiyu::domain::uscc::Uscc;

fuzz_target!(|input: &str| {
    if let Ok(code) = Uscc::parse(input) {
        let again = Uscc::parse(code.as_str()).expect("a parsed code parses again");
        assert_eq!(again.as_str(), code.as_str());
        assert_eq!(Uscc::normalized_prefix(code.as_str()).as_deref(), Some(code.as_str()));
    }
    let _ = Uscc::normalized_prefix(input);
});
