//! The app's translations (frontend/locales) are checked here because the app itself
//! is built only for wasm and its crate runs no native tests: German and English must
//! have the same keys, no empty text, and the same placeholders.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

fn locale(name: &str) -> Map<String, Value> {
    let path = format!("{}/../frontend/locales/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
    match serde_json::from_str(&text) {
        Ok(Value::Object(map)) => map,
        other => panic!("{path} is not a JSON object: {other:?}"),
    }
}

/// `{{ name }}` (interpolated by the app's i18n) and `{name}` (replaced by hand).
fn placeholders(text: &str) -> BTreeSet<String> {
    text.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}'))
        .map(|(name, _)| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .collect()
}

#[test]
fn german_and_english_have_the_same_keys_and_no_empty_text() {
    let (de, en) = (locale("de"), locale("en"));
    let only_de: Vec<&String> = de.keys().filter(|key| !en.contains_key(*key)).collect();
    let only_en: Vec<&String> = en.keys().filter(|key| !de.contains_key(*key)).collect();
    assert!(
        only_de.is_empty() && only_en.is_empty(),
        "only German: {only_de:?}; only English: {only_en:?}"
    );
    for (name, map) in [("de", &de), ("en", &en)] {
        for (key, value) in map {
            let text = value.as_str().unwrap_or_else(|| panic!("{name}.{key} is not a string"));
            assert!(!text.trim().is_empty(), "{name}.{key} is empty");
        }
    }
    for (key, german) in &de {
        let english = &en[key];
        assert_eq!(
            placeholders(german.as_str().unwrap_or_default()),
            placeholders(english.as_str().unwrap_or_default()),
            "{key}: the placeholders differ"
        );
    }
}

#[test]
fn placeholders_are_read_from_double_braces() {
    assert_eq!(
        placeholders("Hallo {{ name }}, {{count}} {field}"),
        BTreeSet::from(["name".to_owned(), "count".to_owned(), "field".to_owned()])
    );
    assert!(placeholders("kein Platzhalter").is_empty());
}
