//! What every Azure format builds: a body with its Content-Type and headers, and the helpers the
//! JSON and XML formats share.

use serde_json::{Map, Value};

use crate::draft::{Draft, DraftError};

pub const JSON: &str = "application/json;charset=utf-8";

pub const XML: &str = "application/xml;charset=utf-8";

pub const OCTETS: &str = "application/octet-stream";

/// A generated or raw payload with what goes with it on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub format: &'static str,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

pub fn payload(content_type: &'static str, body: String) -> Payload {
    Payload {
        format: "",
        content_type,
        headers: Vec::new(),
        body,
    }
}

pub fn compact(v: &Value) -> String {
    // Plain data with string keys always serializes.
    serde_json::to_string(v).unwrap_or_default()
}

/// FCM and ADM `data` values must be strings; other JSON becomes its text.
pub fn string_map(data: &Map<String, Value>) -> Map<String, Value> {
    data.iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => compact(other),
            };
            (k.clone(), Value::String(s))
        })
        .collect()
}

pub fn require_body(draft: &Draft) -> Result<(), DraftError> {
    if draft.message.body.trim().is_empty() && !draft.message.silent {
        return Err(DraftError::new(
            "message.body",
            "is required (or make the message silent, or give options.raw)",
        ));
    }
    Ok(())
}
