//! A Bot API call's parameters as Telegram reads them (providers.md §3.1): from the query string,
//! a form or a JSON body, with object parameters as JSON-serialized strings where the encoding
//! is text, each then checked against the method's parameters in the spec.

use serde_json::{Map, Value};

use super::spec;
use super::{Failure, Step};
use crate::finding::Finding;
use crate::http::Arrival;

/// The parameters, and how they came (`JSON body`, `form`, `query string`).
pub struct Params {
    pub values: Map<String, Value>,
    pub encoding: &'static str,
}

/// Reads the parameters; a body Telegram cannot read is its 400.
pub fn read(arrival: &Arrival) -> Result<Params, Failure> {
    let mut values = Map::new();
    for (k, v) in arrival.query_pairs() {
        values.insert(k, Value::String(v));
    }
    let mut encoding = "query string";
    let content_type = arrival
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if !arrival.body.is_empty() {
        if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&arrival.body) {
                Ok(Value::Object(body)) => values.extend(body),
                Ok(_) => {
                    return Err(Failure::bad_request(
                        "the JSON body is not an object",
                        "Bad Request: the request body must be a JSON object",
                    ));
                }
                Err(e) => {
                    return Err(Failure::bad_request(
                        format!("the JSON body does not parse ({e})"),
                        "Bad Request: can't parse JSON object",
                    ));
                }
            }
            encoding = "JSON body";
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            values.extend(
                arrival
                    .form()
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v))),
            );
            encoding = "form";
        } else if content_type.starts_with("multipart/form-data") {
            return Err(Failure::bad_request(
                "a multipart upload: the sink reads query, form and JSON parameters, not uploaded files; send the photo by URL to try it here",
                "Bad Request: multipart uploads are not imitated by this sink",
            ));
        } else {
            return Err(Failure::bad_request(
                format!(
                    "a body with Content-Type `{content_type}`: the Bot API reads application/json, application/x-www-form-urlencoded or multipart/form-data"
                ),
                "Bad Request: unsupported Content-Type",
            ));
        }
    }
    Ok(Params { values, encoding })
}

/// A text value read as the parameter's type says (numbers, booleans, serialized objects), as
/// Telegram does for every encoding.
fn coerce(value: &Value, types: &[&str]) -> Value {
    let Value::String(text) = value else {
        return value.clone();
    };
    if spec::is_structured(types)
        && let Ok(parsed) = serde_json::from_str::<Value>(text)
        && (parsed.is_object() || parsed.is_array())
    {
        return parsed;
    }
    if types.contains(&"Integer")
        && let Ok(n) = text.trim().parse::<i64>()
    {
        return Value::from(n);
    }
    if types.contains(&"Float")
        && let Ok(n) = text.trim().parse::<f64>()
    {
        return Value::from(n);
    }
    if types.contains(&"Boolean") && !types.contains(&"String") {
        match text.trim() {
            "true" | "1" => return Value::Bool(true),
            "false" | "0" => return Value::Bool(false),
            _ => {}
        }
    }
    value.clone()
}

/// The reply markup's type, named by its key (a union the spec cannot pick by itself).
fn markup_type(value: &Value) -> Option<&'static str> {
    let obj = value.as_object()?;
    [
        ("inline_keyboard", "InlineKeyboardMarkup"),
        ("keyboard", "ReplyKeyboardMarkup"),
        ("remove_keyboard", "ReplyKeyboardRemove"),
        ("force_reply", "ForceReply"),
    ]
    .into_iter()
    .find(|(key, _)| obj.contains_key(*key))
    .map(|(_, t)| t)
}

/// Parameters Bot API 7.0 replaced that libraries still send (apprise sends the first).
fn replaced_by(name: &str) -> Option<&'static str> {
    match name {
        "disable_web_page_preview" => Some("link_preview_options.is_disabled"),
        "reply_to_message_id" | "allow_sending_without_reply" => Some("reply_parameters"),
        _ => None,
    }
}

/// Missing-parameter errors in Telegram's words.
fn missing(method: &str, name: &str) -> String {
    match (method, name) {
        (_, "chat_id") => "Bad Request: chat_id is empty".into(),
        ("sendMessage", "text") => "Bad Request: message text is empty".into(),
        ("sendPhoto", "photo") => "Bad Request: there is no photo in the request".into(),
        _ => format!("Bad Request: parameter \"{name}\" is required"),
    }
}

/// Checks every parameter against the method's description; returns them read as typed.
pub fn check(method: &str, params: &Params, step: &mut Step) -> Map<String, Value> {
    let declared = spec::parameters(method);
    let mut typed = Map::new();
    for (name, value) in &params.values {
        let Some(field) = declared.iter().find(|f| spec::name_of(f) == name) else {
            step.findings.push(Finding::warn(match replaced_by(name) {
                Some(now) => format!(
                    "{name} was replaced by {now} in Bot API 7.0: Telegram still takes it, but it is no longer documented"
                ),
                None => format!(
                    "{name} is not a parameter of {method} ({}): Telegram ignores it",
                    spec::version()
                ),
            }));
            continue;
        };
        let types = spec::types_of(field);
        let value = coerce(value, &types);
        let checked = if name == "reply_markup" {
            match markup_type(&value) {
                Some(t) => spec::check_types(&value, &[t], name),
                None => Err("reply_markup must be an object with inline_keyboard, keyboard, remove_keyboard or force_reply".into()),
            }
        } else {
            spec::check_types(&value, &types, name)
        };
        if let Err(e) = checked {
            let description = match name.as_str() {
                "reply_markup" => {
                    "Bad Request: can't parse reply keyboard markup JSON object".to_string()
                }
                "link_preview_options" => {
                    "Bad Request: can't parse link preview options JSON object".to_string()
                }
                "reply_parameters" => {
                    "Bad Request: can't parse reply parameters JSON object".to_string()
                }
                "entities" | "caption_entities" => {
                    "Bad Request: can't parse entities JSON object".to_string()
                }
                _ => format!("Bad Request: wrong parameter \"{name}\" type"),
            };
            step.refuse(Failure::bad_request(e, description));
        }
        typed.insert(name.clone(), value);
    }
    for field in declared.iter().filter(|f| spec::required(f)) {
        let name = spec::name_of(field);
        if !typed.contains_key(name) {
            step.refuse(Failure::bad_request(
                format!("the required parameter {name} is missing"),
                missing(method, name),
            ));
        }
    }
    if step.refusal.is_none() && !params.values.is_empty() {
        step.findings.push(Finding::ok(format!(
            "the parameters ({}) match {method} in {}",
            params.encoding,
            spec::version()
        )));
    }
    typed
}
