//! What the GUI edits, and its conversion to and from a draft. Lists are typed one per line, JSON
//! fields as text; the conversion names the field when the text does not parse.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::draft::{Audience, Button, Draft, DraftError, Message, Translation};
use crate::provider::{FieldKind, FieldSpec, ProviderInfo};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComposerForm {
    pub title: String,
    pub subtitle: String,
    pub body: String,
    pub url: String,
    pub image: String,
    pub icon: String,
    pub buttons: Vec<Button>,
    /// Custom data as key/value rows; a value that parses as JSON (number, object…) is sent as such.
    pub data: Vec<(String, String)>,
    pub translations: Vec<(String, Translation)>,
    pub silent: bool,
    /// Audience and options by key, as typed.
    pub audience: BTreeMap<String, String>,
    pub options: BTreeMap<String, String>,
}

fn parse_field(section: &str, spec: &FieldSpec, text: &str) -> Result<Option<Value>, DraftError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let field = || format!("{section}.{}", spec.key);
    Ok(Some(match spec.kind {
        FieldKind::List => Value::Array(
            trimmed
                .split(['\n', ','])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| Value::String(s.to_string()))
                .collect(),
        ),
        FieldKind::Json => serde_json::from_str(trimmed)
            .map_err(|e| DraftError::new(field(), format!("invalid JSON: {e}")))?,
        FieldKind::JsonList => json_list(trimmed).map_err(|(line, e)| {
            DraftError::new(format!("{}[{line}]", field()), format!("invalid JSON: {e}"))
        })?,
        FieldKind::Number => Value::from(
            trimmed
                .parse::<u64>()
                .map_err(|_| DraftError::new(field(), "must be a whole number ≥ 0"))?,
        ),
        FieldKind::Bool => Value::Bool(matches!(trimmed, "true" | "yes" | "on" | "1")),
        FieldKind::Text | FieldKind::Choice(_) => Value::String(trimmed.to_string()),
    }))
}

/// A JSON array, or one JSON value per line (JSON Lines). The error gives the item index.
fn json_list(text: &str) -> Result<Value, (usize, serde_json::Error)> {
    if text.starts_with('[') {
        return serde_json::from_str(text).map_err(|e| (0, e));
    }
    text.lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, line)| serde_json::from_str(line).map_err(|e| (i, e)))
        .collect::<Result<Vec<Value>, _>>()
        .map(Value::Array)
}

fn field_text(spec: &FieldSpec, value: &Value) -> String {
    match (spec.kind, value) {
        (FieldKind::List, Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect::<Vec<_>>()
            .join("\n"),
        (FieldKind::Json, v) => serde_json::to_string_pretty(v).unwrap_or_default(),
        // One compact object per line: thousands of subscriptions stay one short line each.
        (FieldKind::JsonList, Value::Array(items)) => items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n"),
        (_, Value::String(s)) => s.clone(),
        (_, v) => v.to_string(),
    }
}

/// The options every provider has, with the GUI's labels.
pub const COMMON_OPTION_SPECS: &[FieldSpec] = &[
    FieldSpec::new(
        "ttl",
        "TTL (seconds)",
        FieldKind::Number,
        "how long push services keep an undelivered message",
    ),
    FieldSpec::new(
        "priority",
        "Priority",
        FieldKind::Choice(&["low", "normal", "high"]),
        "delivery priority",
    ),
    FieldSpec::new(
        "schedule_at",
        "Send at",
        FieldKind::Text,
        "RFC 3339, e.g. 2026-12-01T09:00:00+01:00; empty sends now",
    ),
];

impl ComposerForm {
    pub fn to_draft(&self, profile: &str, info: &ProviderInfo) -> Result<Draft, DraftError> {
        self.to_draft_with(profile, info, self.audience_of(info)?)
    }

    /// The audience fields, read from their text.
    pub fn audience_of(&self, info: &ProviderInfo) -> Result<Audience, DraftError> {
        let mut audience = Map::new();
        for spec in info.audience {
            if let Some(v) = parse_field(
                "audience",
                spec,
                self.audience.get(spec.key).map_or("", String::as_str),
            )? {
                audience.insert(spec.key.to_string(), v);
            }
        }
        Ok(audience.into())
    }

    /// The draft with an audience already read (the window reads it only when it changes).
    pub fn to_draft_with(
        &self,
        profile: &str,
        info: &ProviderInfo,
        audience: Audience,
    ) -> Result<Draft, DraftError> {
        let mut data = Map::new();
        for (i, (k, v)) in self.data.iter().enumerate() {
            let k = k.trim();
            if k.is_empty() && v.trim().is_empty() {
                continue;
            }
            if k.is_empty() {
                return Err(DraftError::new(
                    format!("message.data[{i}]"),
                    "a value needs a key",
                ));
            }
            // Objects, arrays, numbers and booleans typed as JSON stay typed; everything else is a string.
            let value = match serde_json::from_str::<Value>(v.trim()) {
                Ok(
                    json @ (Value::Object(_) | Value::Array(_) | Value::Number(_) | Value::Bool(_)),
                ) => json,
                _ => Value::String(v.clone()),
            };
            data.insert(k.to_string(), value);
        }
        let mut translations = BTreeMap::new();
        for (lang, t) in &self.translations {
            let lang = lang.trim();
            if lang.is_empty() {
                continue;
            }
            if translations.insert(lang.to_string(), t.clone()).is_some() {
                return Err(DraftError::new(
                    format!("message.translations.{lang}"),
                    "this language appears twice",
                ));
            }
        }
        let mut options = Map::new();
        for spec in COMMON_OPTION_SPECS.iter().chain(info.options) {
            if let Some(v) = parse_field(
                "options",
                spec,
                self.options.get(spec.key).map_or("", String::as_str),
            )? {
                options.insert(spec.key.to_string(), v);
            }
        }
        if let Some(raw) = self
            .options
            .get("raw")
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            // XML payloads travel as a string; JSON ones as the object itself.
            let value = if raw.starts_with('<') {
                Value::String(raw.to_string())
            } else {
                serde_json::from_str(raw)
                    .map_err(|e| DraftError::new("options.raw", format!("invalid JSON: {e}")))?
            };
            options.insert("raw".into(), value);
        }
        Ok(Draft {
            profile: profile.to_string(),
            message: Message {
                title: self.title.clone(),
                subtitle: self.subtitle.clone(),
                body: self.body.clone(),
                url: self.url.trim().to_string(),
                image: self.image.trim().to_string(),
                icon: self.icon.trim().to_string(),
                buttons: self
                    .buttons
                    .iter()
                    .filter(|b| !(b.id.is_empty() && b.label.is_empty() && b.url.is_empty()))
                    .cloned()
                    .collect(),
                data,
                translations,
                silent: self.silent,
            },
            audience,
            options,
        })
    }

    pub fn from_draft(draft: &Draft, info: &ProviderInfo) -> ComposerForm {
        let m = &draft.message;
        let mut form = ComposerForm {
            title: m.title.clone(),
            subtitle: m.subtitle.clone(),
            body: m.body.clone(),
            url: m.url.clone(),
            image: m.image.clone(),
            icon: m.icon.clone(),
            buttons: m.buttons.clone(),
            data: m
                .data
                .iter()
                .map(|(k, v)| {
                    (
                        k.clone(),
                        v.as_str()
                            .map(str::to_string)
                            .unwrap_or_else(|| v.to_string()),
                    )
                })
                .collect(),
            translations: m
                .translations
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            silent: m.silent,
            ..Default::default()
        };
        for spec in info.audience {
            if let Some(v) = draft.audience.get(spec.key) {
                form.audience
                    .insert(spec.key.to_string(), field_text(spec, v));
            }
        }
        for spec in COMMON_OPTION_SPECS.iter().chain(info.options) {
            if let Some(v) = draft.options.get(spec.key) {
                form.options
                    .insert(spec.key.to_string(), field_text(spec, v));
            }
        }
        match draft.options.get("raw") {
            Some(Value::String(xml)) => {
                form.options.insert("raw".into(), xml.clone());
            }
            Some(raw) => {
                let text = serde_json::to_string_pretty(raw).unwrap_or_default();
                form.options.insert("raw".into(), text);
            }
            None => {}
        }
        form
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_a_draft() {
        let info = crate::provider::find("onesignal")
            .expect("onesignal")
            .info();
        let mut form = ComposerForm {
            title: "T".into(),
            body: "B".into(),
            ..Default::default()
        };
        form.data.push(("campaign".into(), "fall".into()));
        form.data.push(("count".into(), "3".into()));
        form.audience
            .insert("segments".into(), "Active Users\nVIP".into());
        form.options.insert("ttl".into(), "3600".into());
        form.translations.push((
            "fr".into(),
            Translation {
                title: "t".into(),
                subtitle: String::new(),
                body: "b".into(),
            },
        ));
        let draft = form.to_draft("p", info).expect("converts");
        assert_eq!(
            draft.audience["segments"],
            serde_json::json!(["Active Users", "VIP"])
        );
        assert_eq!(draft.message.data["count"], serde_json::json!(3));
        assert_eq!(draft.options["ttl"], serde_json::json!(3600));
        let back = ComposerForm::from_draft(&draft, info);
        assert_eq!(back.to_draft("p", info).expect("again"), draft);
    }

    #[test]
    fn json_lists_read_lines_or_arrays_and_follow_edits() {
        let info = crate::provider::find("webpush").expect("webpush").info();
        let mut form = ComposerForm::default();
        form.audience
            .insert("subscriptions".into(), "{\"a\":1}\n{\"a\":2}".into());
        let first = form.to_draft("p", info).expect("lines");
        assert_eq!(
            first.audience["subscriptions"],
            serde_json::json!([{"a": 1}, {"a": 2}])
        );
        // An edit is read again, array or lines.
        form.audience
            .insert("subscriptions".into(), "[{\"a\":3}]".into());
        let second = form.to_draft("p", info).expect("array");
        assert_eq!(
            second.audience["subscriptions"],
            serde_json::json!([{"a": 3}])
        );
        form.audience
            .insert("subscriptions".into(), "{\"a\":1}\n{oops".into());
        assert_eq!(
            form.to_draft("p", info).expect_err("bad line").field,
            "audience.subscriptions[1]"
        );
    }

    #[test]
    fn bad_text_names_the_field() {
        let info = crate::provider::find("onesignal")
            .expect("onesignal")
            .info();
        let mut form = ComposerForm::default();
        form.options.insert("ttl".into(), "an hour".into());
        assert_eq!(
            form.to_draft("p", info).expect_err("ttl").field,
            "options.ttl"
        );
        form.options.clear();
        form.audience.insert("filters".into(), "[{".into());
        assert_eq!(
            form.to_draft("p", info).expect_err("json").field,
            "audience.filters"
        );
    }
}
