//! The create-notification fields of OneSignal's OpenAPI document, embedded as the subset that
//! `scripts/onesignal-spec-subset tests/fixtures/specs/onesignal-openapi.json >
//! src/sink/specs/onesignal-notification.json` extracts (each property's type, item type, enum;
//! the language codes; the Button and Filter shapes), and the type check it drives.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;
use serde_json::Value;

const SUBSET: &str = include_str!("../specs/onesignal-notification.json");

/// Documented create-notification fields newer than the OpenAPI document (providers.md §1.2).
const NEWER: &[(&str, &str, Option<&str>)] = &[
    ("include_subscription_ids", "array", Some("string")),
    ("idempotency_key", "string", None),
    ("email_to", "array", Some("string")),
];

#[derive(Debug, Deserialize)]
pub struct Property {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub items: Option<String>,
    #[serde(default, rename = "enum")]
    pub allowed: Vec<String>,
    #[serde(default)]
    pub read_only: bool,
}

#[derive(Debug, Deserialize)]
pub struct Shape {
    pub required: Vec<String>,
    pub properties: BTreeMap<String, Property>,
}

#[derive(Debug, Deserialize)]
pub struct Spec {
    pub source: String,
    pub properties: BTreeMap<String, Property>,
    pub languages: Vec<String>,
    pub button: Shape,
    pub filter: Shape,
}

/// The embedded subset, read once. It is part of the binary, so a failure here is a build
/// mistake that the unit tests catch.
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut spec: Spec =
            serde_json::from_str(SUBSET).expect("the embedded OneSignal subset is valid JSON");
        for (name, kind, items) in NEWER {
            spec.properties.entry(name.to_string()).or_insert(Property {
                kind: kind.to_string(),
                items: items.map(str::to_string),
                allowed: Vec::new(),
                read_only: false,
            });
        }
        spec
    })
}

fn is(kind: &str, value: &Value) -> bool {
    match kind {
        "string" => value.is_string(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "array" => value.is_array(),
        "object" => value.is_object(),
        "language_map" => value
            .as_object()
            .is_some_and(|m| m.values().all(Value::is_string)),
        _ => true,
    }
}

fn kind_words(kind: &str) -> &str {
    match kind {
        "language_map" => "an object of language code → text",
        "string" => "a string",
        "integer" => "an integer",
        "number" => "a number",
        "boolean" => "true or false",
        "array" => "a list",
        "object" => "an object",
        other => other,
    }
}

/// Why `value` does not fit `property` (null is allowed: the document marks them nullable).
pub fn mismatch(name: &str, property: &Property, value: &Value) -> Option<String> {
    if value.is_null() {
        return None;
    }
    if !is(&property.kind, value) {
        return Some(format!(
            "`{name}` must be {}, not {}",
            kind_words(&property.kind),
            value
        ));
    }
    if !property.allowed.is_empty()
        && !value
            .as_str()
            .is_some_and(|v| property.allowed.iter().any(|a| a == v))
    {
        return Some(format!(
            "`{name}` must be one of {}, not {value}",
            property.allowed.join(", ")
        ));
    }
    if let (Some(items), Some(list)) = (&property.items, value.as_array())
        && let Some((i, bad)) = list.iter().enumerate().find(|(_, v)| !is(items, v))
    {
        return Some(format!(
            "`{name}[{i}]` must be {}, not {bad}",
            kind_words(items)
        ));
    }
    None
}

/// Why an object does not fit a shape of the document (Button): a required key or a type.
pub fn shape_mismatch(what: &str, shape: &Shape, value: &Value) -> Option<String> {
    let Some(map) = value.as_object() else {
        return Some(format!("{what} must be an object, not {value}"));
    };
    if let Some(missing) = shape.required.iter().find(|k| !map.contains_key(*k)) {
        return Some(format!("{what} lacks its required `{missing}`"));
    }
    map.iter().find_map(|(k, v)| {
        shape
            .properties
            .get(k)
            .and_then(|p| mismatch(&format!("{what}.{k}"), p, v))
    })
}
