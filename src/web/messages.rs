//! The message catalogue: every label and sentence of the console's own, by key, from
//! `messages.zh.toml` (compiled in), and the console's wording of every refusal
//! (`[refusal]`, by the refusal's code). Another language is another file of the same
//! keys. Where words live: the names of values (tiers from the configuration; statuses,
//! categories, channels and every other code list beside its codes in `domain`, declared
//! with `code_list!`) and sentences here; the English of a refusal beside its code in
//! `domain::refusal`.

use crate::domain::Refusal;
use std::collections::HashMap;
use std::sync::LazyLock;

const CHINESE: &str = include_str!("messages.zh.toml");

static CATALOGUE: LazyLock<HashMap<String, String>> = LazyLock::new(|| parse(CHINESE));

/// `[section] key = "text"` becomes `section.key`.
fn parse(text: &str) -> HashMap<String, String> {
    let sections: HashMap<String, HashMap<String, String>> = config::Config::builder()
        .add_source(config::File::from_str(text, config::FileFormat::Toml))
        .build()
        .and_then(config::Config::try_deserialize)
        .unwrap_or_default();
    sections
        .into_iter()
        .flat_map(|(section, entries)| entries.into_iter().map(move |(key, text)| (format!("{section}.{key}"), text)))
        .collect()
}

/// The text of `key`; the key itself if the catalogue lacks it (a test keeps that from
/// happening).
pub fn t(key: &'static str) -> &'static str {
    CATALOGUE.get(key).map_or(key, String::as_str)
}

/// A refusal in the catalogue's words, each `{name}` replaced by the value the refusal
/// names; its English if the catalogue lacks the code (a test keeps that from happening).
pub fn said(refusal: &Refusal) -> String {
    match CATALOGUE.get(&format!("refusal.{}", refusal.code())) {
        Some(text) => refusal
            .params()
            .into_iter()
            .fold(text.clone(), |text, (name, value)| text.replace(&format!("{{{name}}}"), &value)),
        None => refusal.to_string(),
    }
}

/// The text of `key` with `{}` replaced by `value`.
pub fn with(key: &'static str, value: impl std::fmt::Display) -> String {
    with_all(key, &[&value])
}

/// The text of `key` with each `{}` in turn replaced by the next of `values`.
pub fn with_all(key: &'static str, values: &[&dyn std::fmt::Display]) -> String {
    values.iter().fold(t(key).to_owned(), |text, value| text.replacen("{}", &value.to_string(), 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    /// Every refusal a rule can make has Chinese words, with a value for each `{name}`.
    #[test]
    fn every_refusal_is_said_in_chinese() {
        let catalogue = parse(CHINESE);
        for refusal in Refusal::every() {
            let key = format!("refusal.{}", refusal.code());
            assert!(catalogue.contains_key(&key), "messages.zh.toml lacks {key}");
            let text = said(&refusal);
            assert!(!text.contains('{'), "{key} names a value the refusal does not have: {text}");
            assert!(!text.is_ascii() || text.is_empty(), "{key} is not in Chinese: {text}");
        }
        let codes: Vec<_> = Refusal::every().iter().map(|r| format!("refusal.{}", r.code())).collect();
        let unused: Vec<_> =
            catalogue.keys().filter(|k| k.split('.').next() == Some("refusal") && !codes.contains(k)).collect();
        assert!(unused.is_empty(), "entries for no refusal: {unused:?}");
    }

    /// Every `t("…")`, `with("…"` and `=> "…"` (a key chosen by a match) in the console's
    /// templates and code names a key of the catalogue.
    #[test]
    fn every_key_used_is_in_the_catalogue() {
        let catalogue = parse(CHINESE);
        assert!(catalogue.len() > 50, "the catalogue did not parse");
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web");
        let mut missing = Vec::new();
        let mut files = vec![root.clone()];
        while let Some(path) = files.pop() {
            if path.is_dir() {
                files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for opener in ["t(\"", "with(\"", "with_all(\"", "=> \""] {
                for (at, _) in text.match_indices(opener) {
                    let rest = &text[at + opener.len()..];
                    let key = &rest[..rest.find('"').unwrap()];
                    let section = key.split('.').next().unwrap_or_default();
                    // A match arm's string is a key only if it is in a section of the catalogue.
                    let known_section = catalogue.keys().any(|k| k.starts_with(&format!("{section}.")));
                    let is_key = key.contains('.') && !key.contains(' ') && (opener != "=> \"" || known_section);
                    if is_key && !catalogue.contains_key(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(missing.is_empty(), "keys missing from messages.zh.toml: {missing:#?}");
    }
}
