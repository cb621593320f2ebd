//! The Bot API description the Telegram sink checks parameters against: the methods it imitates
//! and every type their parameters reach, cut from the project's copy of the published
//! description (see `src/sink/specs/README.md`).

use std::sync::OnceLock;

use serde_json::{Map, Value};

const TEXT: &str = include_str!("../specs/telegram-bot-api.json");

fn spec() -> Option<&'static Value> {
    static SPEC: OnceLock<Option<Value>> = OnceLock::new();
    SPEC.get_or_init(|| serde_json::from_str(TEXT).ok())
        .as_ref()
}

/// `Bot API 10.1`: which version the checks follow.
pub fn version() -> &'static str {
    spec()
        .and_then(|s| s.get("version")?.as_str())
        .unwrap_or("Bot API")
}

/// The method's name as the spec spells it (method names are case-insensitive).
pub fn method(name: &str) -> Option<&'static str> {
    spec()?
        .get("methods")?
        .as_object()?
        .keys()
        .find(|m| m.eq_ignore_ascii_case(name))
        .map(String::as_str)
}

fn fields_of(value: &Value) -> &[Value] {
    value
        .get("fields")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A method's parameters: name, type names, required.
pub fn parameters(method: &str) -> &'static [Value] {
    spec()
        .and_then(|s| s.get("methods")?.get(method))
        .map_or(&[], fields_of)
}

/// The type names a parameter may take (`["Integer", "String"]`).
pub fn types_of(field: &Value) -> Vec<&str> {
    field
        .get("types")
        .and_then(Value::as_array)
        .map(|t| t.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

pub fn name_of(field: &Value) -> &str {
    field.get("name").and_then(Value::as_str).unwrap_or("")
}

pub fn required(field: &Value) -> bool {
    field.get("required").and_then(Value::as_bool) == Some(true)
}

/// Whether a parameter of these types is sent as a JSON-serialized string in query and form
/// encodings (objects and arrays, providers.md §3.1).
pub fn is_structured(types: &[&str]) -> bool {
    types
        .iter()
        .any(|t| !matches!(*t, "String" | "Integer" | "Float" | "Boolean" | "InputFile"))
}

/// Checks `value` against any of `types` in the embedded description.
pub fn check_types(value: &Value, types: &[&str], path: &str) -> Result<(), String> {
    let spec = spec().ok_or("the sink's copy of the Bot API description does not read")?;
    BotApi::new(spec).check_types(value, types, path)
}

/// A Bot API description in the published `api.json` shape, and the type checks against it:
/// the sink checks with its embedded cut, the test stand-in with the whole description.
#[derive(Clone, Copy)]
pub struct BotApi<'a> {
    spec: &'a Value,
}

impl<'a> BotApi<'a> {
    pub fn new(spec: &'a Value) -> Self {
        Self { spec }
    }

    /// Checks `value` against any of `types`; the error names the path and what was expected.
    pub fn check_types(&self, value: &Value, types: &[&str], path: &str) -> Result<(), String> {
        let mut last = format!("{path} has no type in the spec");
        for t in types {
            match self.check_type(value, t, path) {
                Ok(()) => return Ok(()),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn check_type(&self, value: &Value, t: &str, path: &str) -> Result<(), String> {
        let ok = match t {
            "String" | "InputFile" => value.is_string(),
            "Integer" => value.is_i64() || value.is_u64(),
            "Float" => value.is_number(),
            "Boolean" => value.is_boolean(),
            _ => {
                if let Some(inner) = t.strip_prefix("Array of ") {
                    let items = value
                        .as_array()
                        .ok_or_else(|| format!("{path} must be an array ({t})"))?;
                    for (i, item) in items.iter().enumerate() {
                        self.check_type(item, inner, &format!("{path}[{i}]"))?;
                    }
                    return Ok(());
                }
                return self.check_object(value, t, path);
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("{path} must be {t}, not {value}"))
        }
    }

    fn check_object(&self, value: &Value, type_name: &str, path: &str) -> Result<(), String> {
        let obj = value
            .as_object()
            .ok_or_else(|| format!("{path} must be a {type_name} object"))?;
        let ty = self
            .spec
            .get("types")
            .and_then(|t| t.get(type_name))
            .ok_or_else(|| format!("{path}: {type_name} is not in the Bot API description"))?;
        if let Some(subtypes) = ty.get("subtypes").and_then(Value::as_array) {
            let names: Vec<&str> = subtypes.iter().filter_map(Value::as_str).collect();
            return self.check_types(value, &names, path);
        }
        self.check_fields(obj, fields_of(ty), path)?;
        if type_name == "InlineKeyboardButton" {
            let actions = obj
                .keys()
                .filter(|k| !matches!(k.as_str(), "text" | "icon_custom_emoji_id" | "style"))
                .count();
            if actions != 1 {
                return Err(format!(
                    "{path}: an inline keyboard button needs exactly one action (url, callback_data, web_app…), it has {actions}"
                ));
            }
        }
        Ok(())
    }

    /// An object's fields: unknown ones refused (inside objects Telegram refuses what it cannot
    /// parse), required ones present, each of its type.
    pub fn check_fields(
        &self,
        obj: &Map<String, Value>,
        fields: &[Value],
        path: &str,
    ) -> Result<(), String> {
        for key in obj.keys() {
            if !fields.iter().any(|f| name_of(f) == key) {
                return Err(format!("{path}: {key} is not a field of this object"));
            }
        }
        for field in fields {
            let name = name_of(field);
            match obj.get(name) {
                None if required(field) => {
                    return Err(format!("{path}: the required field {name} is missing"));
                }
                None => {}
                Some(v) => self.check_types(v, &types_of(field), &format!("{path}.{name}"))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_embedded_copy_reads_and_has_what_the_sink_imitates() {
        assert!(version().starts_with("Bot API"), "{}", version());
        for m in ["sendMessage", "sendPhoto", "getMe", "getUpdates"] {
            assert_eq!(method(&m.to_lowercase()), Some(m));
        }
        assert!(
            parameters("sendMessage")
                .iter()
                .any(|f| name_of(f) == "chat_id" && required(f))
        );
    }

    /// Every method and type of the embedded cut has exactly the fields (names, types, required)
    /// of the whole published description the tests use: the cut leaves out, never changes.
    #[test]
    fn the_cut_matches_the_whole_description() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/specs/telegram-bot-api.json"
        );
        let whole: Value =
            serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON");
        let cut = spec().expect("embedded copy reads");
        assert_eq!(cut["version"], whole["version"]);
        let slim = |fields: &Value| -> Vec<Value> {
            fields
                .as_array()
                .map(|f| {
                    f.iter()
                        .map(|f| json!({"name": f["name"], "types": f["types"], "required": f["required"]}))
                        .collect()
                })
                .unwrap_or_default()
        };
        for kind in ["methods", "types"] {
            let entries = cut[kind].as_object().expect("object");
            assert!(!entries.is_empty());
            for (name, entry) in entries {
                let original = &whole[kind][name];
                assert_eq!(
                    slim(&entry["fields"]),
                    slim(&original["fields"]),
                    "{kind} {name}"
                );
                assert_eq!(entry["subtypes"], original["subtypes"], "{kind} {name}");
            }
        }
        assert_eq!(cut["types"].as_object().map(|t| t.len()), Some(23));
    }

    #[test]
    fn keyboards_are_checked_against_their_types() {
        let markup = [
            "InlineKeyboardMarkup",
            "ReplyKeyboardMarkup",
            "ReplyKeyboardRemove",
            "ForceReply",
        ];
        let good = json!({"inline_keyboard": [[{"text": "Open", "url": "https://example.com"}]]});
        assert_eq!(check_types(&good, &markup, "reply_markup"), Ok(()));
        let no_action = json!({"inline_keyboard": [[{"text": "Open"}]]});
        assert!(check_types(&no_action, &markup, "reply_markup").is_err());
        let flat = json!({"inline_keyboard": [{"text": "Open", "url": "https://example.com"}]});
        assert!(check_types(&flat, &markup, "reply_markup").is_err());
        assert_eq!(
            check_types(&json!({"remove_keyboard": true}), &markup, "m"),
            Ok(())
        );
    }
}
