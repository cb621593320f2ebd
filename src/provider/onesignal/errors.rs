//! OneSignal's `errors` in a response body, in plain words with what to do.

use serde_json::Value;

/// The provider's name in every outcome's words.
pub const NAME: &str = "OneSignal";

/// OneSignal's `errors` is polymorphic: a list of strings or objects, or an object.
pub fn errors_text(errors: &Value) -> String {
    match errors {
        Value::Array(items) => items
            .iter()
            .map(|e| match e {
                Value::String(s) => s.clone(),
                Value::Object(o) => o
                    .get("title")
                    .or_else(|| o.get("message"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string()),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Object(inner) => inner
                    .iter()
                    .map(|(label, ids)| {
                        format!("{} {label}: {}", k.replace('_', " "), ids_text(ids))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                other => format!("{}: {}", k.replace('_', " "), ids_text(other)),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

pub fn ids_text(v: &Value) -> String {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| other.to_string()),
    }
}

pub fn or_status(errors: &str, status: u16) -> String {
    if errors.is_empty() {
        format!("HTTP {status}")
    } else {
        errors.to_string()
    }
}

/// Plain-language hints for the errors OneSignal documents.
pub fn hint_for(errors: &str) -> Option<&'static str> {
    let e = errors.to_ascii_lowercase();
    if e.contains("not subscribed") {
        Some(
            "This audience has no subscribers right now: pick another segment, or check that devices have opted in.",
        )
    } else if e.contains("must include which players") {
        Some("Choose an audience: a segment, filters, external IDs or subscription IDs.")
    } else if e.contains("content must not be null") {
        Some("Write a message body in the default language (en).")
    } else if e.contains("rate limit") {
        Some("Wait a minute, then send again.")
    } else if e.contains("access denied") || e.contains("authorization") {
        Some("Check the App API key in this profile.")
    } else {
        None
    }
}
