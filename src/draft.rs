//! The provider-neutral model of what the user composed: the draft file format of CONTRACT.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What the user composed, addressed to one profile. This is exactly the draft file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Draft {
    pub profile: String,
    #[serde(default)]
    pub message: Message,
    /// Provider-specific recipient keys (validated by the provider's description).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub audience: Audience,
    /// Common and provider-specific options (validated by the provider's description).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub options: Map<String, Value>,
}

/// The audience of a draft, shared between its copies: a 10,000-subscription list is not copied
/// when the window's draft is cloned for a preview or a send. It reads as a plain map; a write
/// copies it first if another draft shares it.
#[derive(Debug, Clone, Default)]
pub struct Audience(std::sync::Arc<Map<String, Value>>);

impl std::ops::Deref for Audience {
    type Target = Map<String, Value>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl std::ops::DerefMut for Audience {
    fn deref_mut(&mut self) -> &mut Self::Target {
        std::sync::Arc::make_mut(&mut self.0)
    }
}

impl PartialEq for Audience {
    fn eq(&self, other: &Self) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
    }
}

impl From<Map<String, Value>> for Audience {
    fn from(map: Map<String, Value>) -> Self {
        Audience(std::sync::Arc::new(map))
    }
}

impl Serialize for Audience {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Audience {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Map::deserialize(deserializer).map(Audience::from)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Message {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subtitle: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub buttons: Vec<Button>,
    /// Free-form custom data: the only place where unknown keys are allowed.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub data: Map<String, Value>,
    /// Language code → translated fields; the untranslated fields are the default language.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, Translation>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub silent: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Button {
    pub id: String,
    pub label: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub icon: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subtitle: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub body: String,
}

/// Parses a draft or campaign file: fast when it is valid, and only on error read again with path
/// tracking to name the field (`targets[1].audiense: unknown field …`); `whole` names an error of
/// the file as a whole.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    text: &str,
    whole: &str,
) -> Result<T, DraftError> {
    if let Ok(parsed) = serde_json::from_str(text) {
        return Ok(parsed);
    }
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner();
        let field = if path == "." || path.is_empty() {
            whole.to_string()
        } else {
            path
        };
        let message = if inner.is_syntax() || inner.is_eof() {
            format!("invalid JSON: {inner}")
        } else {
            inner.to_string()
        };
        DraftError::new(field, message)
    })
}

/// Bad input in a draft or profile: names the field, so the user can find it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct DraftError {
    pub field: String,
    pub message: String,
}

impl DraftError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl Draft {
    /// Parses a draft file, naming the offending field on error (`message.titel: unknown field …`).
    pub fn from_json(text: &str) -> Result<Self, DraftError> {
        // Most drafts are valid: parse fast, and only re-read with path tracking to name the
        // field of an error (a draft with 10,000 subscriptions is megabytes).
        parse_json(text, "draft")
    }

    pub fn to_json_pretty(&self) -> String {
        // Serializing plain data with string keys cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

/// Typed reads from the free-form `audience` and `options` maps, with errors naming the field.
pub struct Fields<'a> {
    section: &'static str,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    pub fn new(section: &'static str, map: &'a Map<String, Value>) -> Self {
        Self { section, map }
    }

    fn path(&self, key: &str) -> String {
        format!("{}.{key}", self.section)
    }

    fn err(&self, key: &str, message: impl Into<String>) -> DraftError {
        DraftError::new(self.path(key), message)
    }

    pub fn has(&self, key: &str) -> bool {
        self.map.get(key).is_some_and(|v| !v.is_null())
    }

    pub fn value(&self, key: &str) -> Option<&'a Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    pub fn string(&self, key: &str) -> Result<Option<&'a str>, DraftError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(self.err(key, "must be a string")),
        }
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, DraftError> {
        match self.value(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.err(key, "must be true or false")),
        }
    }

    pub fn u64(&self, key: &str) -> Result<Option<u64>, DraftError> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| self.err(key, "must be a whole number ≥ 0")),
        }
    }

    /// A list of strings; a single string is accepted as a one-item list. Blank items are dropped.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, DraftError> {
        match self.value(key) {
            None => Ok(Vec::new()),
            Some(Value::String(s)) => Ok(vec![s.clone()]).map(drop_blank),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) => Ok(s.trim().to_string()),
                    _ => Err(DraftError::new(
                        format!("{}[{i}]", self.path(key)),
                        "must be a string",
                    )),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(drop_blank),
            Some(_) => Err(self.err(key, "must be a list of strings")),
        }
    }

    pub fn one_of(&self, key: &str, allowed: &[&str]) -> Result<Option<&'a str>, DraftError> {
        match self.string(key)? {
            None => Ok(None),
            Some(s) if allowed.contains(&s) => Ok(Some(s)),
            Some(s) => Err(self.err(key, format!("`{s}` is not one of: {}", allowed.join(", ")))),
        }
    }

    /// Unknown keys are errors: a typo must not silently drop a field.
    pub fn reject_unknown(&self, known: &[&str]) -> Result<(), DraftError> {
        for key in self.map.keys() {
            if !known.contains(&key.as_str()) {
                return Err(self.err(
                    key,
                    format!("unknown key; expected one of: {}", known.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

fn drop_blank(items: Vec<String>) -> Vec<String> {
    items
        .into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

/// The options every provider understands (CONTRACT.md, "all").
pub const COMMON_OPTIONS: &[&str] = &["ttl", "priority", "schedule_at", "raw"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_example() {
        let text = r#"{
          "profile": "acme-prod",
          "message": {
            "title": "Flash sale", "subtitle": "Today only",
            "body": "50% off everything until midnight",
            "url": "https://example.com/sale",
            "buttons": [{"id": "shop", "label": "Shop now", "url": "https://example.com/shop"}],
            "data": {"campaign": "fall-2026", "anything": {"nested": true}},
            "translations": {"fr": {"title": "Vente flash", "body": "-50 %"}},
            "silent": false
          },
          "audience": {"segments": ["Active Users"]},
          "options": {"ttl": 3600}
        }"#;
        let draft = Draft::from_json(text).expect("valid draft");
        assert_eq!(draft.profile, "acme-prod");
        assert_eq!(draft.message.buttons[0].label, "Shop now");
        assert_eq!(draft.message.translations["fr"].title, "Vente flash");
        let again = Draft::from_json(&draft.to_json_pretty()).expect("round trip");
        assert_eq!(again, draft);
    }

    #[test]
    fn unknown_key_names_its_path() {
        let err = Draft::from_json(r#"{"profile":"p","message":{"titel":"x","body":"b"}}"#)
            .expect_err("typo must fail");
        assert_eq!(err.field, "message.titel");
        assert!(err.message.contains("unknown field"), "{err}");
        let err = Draft::from_json(
            r#"{"profile":"p","message":{"buttons":[{"id":"a","label":"b","colour":1}]}}"#,
        )
        .expect_err("typo in a button");
        assert_eq!(err.field, "message.buttons[0].colour");
    }

    #[test]
    fn invalid_json_is_reported_with_position() {
        let err = Draft::from_json("{\"profile\": \"p\",").expect_err("truncated");
        assert!(err.message.starts_with("invalid JSON"), "{err}");
        assert!(err.message.contains("line 1"), "{err}");
    }

    #[test]
    fn fields_name_the_offending_key() {
        let map: Map<String, Value> =
            serde_json::from_str(r#"{"ttl": "soon", "segments": ["a", 3], "sgments": []}"#)
                .expect("json");
        let f = Fields::new("options", &map);
        assert_eq!(f.u64("ttl").expect_err("string ttl").field, "options.ttl");
        assert_eq!(
            f.strings("segments").expect_err("number in list").field,
            "options.segments[1]"
        );
        assert_eq!(
            f.reject_unknown(&["ttl", "segments"])
                .expect_err("typo")
                .field,
            "options.sgments"
        );
    }
}
