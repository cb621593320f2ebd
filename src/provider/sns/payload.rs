//! The Publish parameters a draft becomes: the target, the message (one text or per-platform
//! JSON), subject and message attributes, within SNS's limits.

use serde_json::{Map, Value, json};

use super::account::{Account, VERSION};
use crate::draft::{Draft, DraftError, Fields, Message};
use crate::provider::shared::warn_unsent;

pub const MAX_MESSAGE_BYTES: usize = 262_144;

pub const TARGETS: [(&str, &str); 3] = [
    ("topic_arn", "TopicArn"),
    ("target_arn", "TargetArn"),
    ("phone_number", "PhoneNumber"),
];

pub fn raw_params(raw: &Value) -> Result<Vec<(String, String)>, DraftError> {
    let Value::Object(map) = raw else {
        return Err(DraftError::new(
            "options.raw",
            "must be an object of Query API parameters, e.g. {\"TopicArn\": …, \"Message\": …}",
        ));
    };
    let mut params = vec![
        ("Action".to_string(), "Publish".to_string()),
        ("Version".to_string(), VERSION.to_string()),
    ];
    for (k, v) in map {
        if k == "Action" || k == "Version" {
            continue;
        }
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => v.to_string(),
            _ => {
                return Err(DraftError::new(
                    format!("options.raw.{k}"),
                    "must be a string (Query API parameters are flat)",
                ));
            }
        };
        params.push((k.clone(), v));
    }
    Ok(params)
}

pub fn publish_params(
    draft: &Draft,
    options: &Fields<'_>,
    account: &Account<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<(String, String)>, DraftError> {
    let m = &draft.message;
    let mut params = vec![
        ("Action".to_string(), "Publish".to_string()),
        ("Version".to_string(), VERSION.to_string()),
    ];
    let (param, value) = target(draft, account)?;
    params.push((param.to_string(), value.to_string()));
    if !m.title.is_empty() {
        check_subject(&m.title)?;
        params.push(("Subject".into(), m.title.clone()));
    }
    if m.body.trim().is_empty() {
        return Err(DraftError::new("message.body", "is required"));
    }
    let structured = options.bool("message_structure_json")?.unwrap_or(false);
    let message = if structured {
        let text = per_platform(draft)?;
        warnings.push(format!(
            "Message, decoded (each value is sent as a JSON string): {}",
            decoded(&text)
        ));
        params.push(("MessageStructure".into(), "json".into()));
        text
    } else {
        m.body.clone()
    };
    params.push(("Message".into(), message));
    add_attributes(&mut params, m)?;
    let size: usize = params
        .iter()
        .filter(|(k, _)| k == "Message" || k.starts_with("MessageAttributes"))
        .map(|(_, v)| v.len())
        .sum();
    if size > MAX_MESSAGE_BYTES {
        return Err(DraftError::new(
            "message.body",
            format!("the message and attributes are {size} bytes; SNS allows {MAX_MESSAGE_BYTES}"),
        ));
    }
    warn_dropped(m, structured, warnings);
    Ok(params)
}

/// The one target of the audience as its Publish parameter, checked against the profile's region.
fn target<'a>(
    draft: &'a Draft,
    account: &Account<'_>,
) -> Result<(&'static str, &'a str), DraftError> {
    let audience = Fields::new("audience", &draft.audience);
    let mut chosen = Vec::new();
    for (key, param) in TARGETS {
        if let Some(v) = audience.string(key)? {
            chosen.push((key, param, v.trim()));
        }
    }
    let (key, param, value) = match chosen.as_slice() {
        [one] => *one,
        [] => {
            return Err(DraftError::new(
                "audience",
                "choose where to publish: topic_arn, target_arn or phone_number",
            ));
        }
        _ => {
            return Err(DraftError::new(
                "audience",
                "Publish takes exactly one of topic_arn, target_arn, phone_number",
            ));
        }
    };
    match key {
        "phone_number" => {
            let digits = value.strip_prefix('+').unwrap_or("");
            if digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit())
            {
                return Err(DraftError::new(
                    "audience.phone_number",
                    format!("`{value}` is not an E.164 number such as +14155550100"),
                ));
            }
        }
        _ => {
            let parts: Vec<&str> = value.split(':').collect();
            if parts.len() < 6 || parts[0] != "arn" || parts[2] != "sns" {
                return Err(DraftError::new(
                    format!("audience.{key}"),
                    format!("`{value}` is not an SNS ARN (arn:aws:sns:REGION:ACCOUNT:…)"),
                ));
            }
            if parts[3] != account.region {
                return Err(DraftError::new(
                    format!("audience.{key}"),
                    format!(
                        "is in region {} but this profile publishes to {}; SNS only publishes within one region (set region={} in the profile)",
                        parts[3], account.region, parts[3]
                    ),
                ));
            }
        }
    }
    Ok((param, value))
}

/// `message.data` as message attributes, numbered from 1 as the Query API wants.
fn add_attributes(params: &mut Vec<(String, String)>, m: &Message) -> Result<(), DraftError> {
    let mut n = 0;
    for (name, value) in &m.data {
        n += 1;
        let (kind, text) = attribute(name, value)?;
        params.push((format!("MessageAttributes.entry.{n}.Name"), name.clone()));
        params.push((
            format!("MessageAttributes.entry.{n}.Value.DataType"),
            kind.to_string(),
        ));
        params.push((
            format!("MessageAttributes.entry.{n}.Value.StringValue"),
            text,
        ));
    }
    Ok(())
}

/// The message fields no part of the Publish carries. With per-platform messages the URL goes into
/// the APNs and FCM payloads, and the image into FCM's notification (unless the push is silent,
/// which has no notification to carry it).
fn warn_dropped(m: &Message, structured: bool, warnings: &mut Vec<String>) {
    let image_in_fcm = structured && !m.silent;
    let fields = [
        ("subtitle", !m.subtitle.is_empty()),
        ("url", !m.url.is_empty() && !structured),
        ("image", !m.image.is_empty() && !image_in_fcm),
        ("icon", !m.icon.is_empty()),
        ("buttons", !m.buttons.is_empty()),
        ("translations", !m.translations.is_empty()),
    ];
    warn_unsent("SNS Publish", &fields, warnings);
}

/// AWS: ASCII, starts with a letter, number or punctuation, no line breaks or control
/// characters, at most 100 characters.
pub fn check_subject(subject: &str) -> Result<(), DraftError> {
    let err = |m: &str| {
        Err(DraftError::new(
            "message.title",
            format!("is the email Subject in SNS and {m}"),
        ))
    };
    if !subject.is_ascii() {
        return err("must be ASCII (no accents or emoji)");
    }
    if subject.chars().any(|c| c.is_ascii_control()) {
        return err("must not contain line breaks or control characters");
    }
    if subject.starts_with(' ') {
        return err("must start with a letter, number or punctuation");
    }
    if subject.len() > 100 {
        return err(&format!(
            "must be at most 100 characters (it has {})",
            subject.len()
        ));
    }
    Ok(())
}

pub fn attribute(name: &str, value: &Value) -> Result<(&'static str, String), DraftError> {
    let field = || format!("message.data.{name}");
    if name.is_empty()
        || name.len() > 256
        || name.starts_with('.')
        || name.ends_with('.')
        || name.contains("..")
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(DraftError::new(
            field(),
            "is a message attribute name: letters, digits, - _ . only (no leading, trailing or double dots), up to 256",
        ));
    }
    Ok(match value {
        Value::String(s) => ("String", s.clone()),
        Value::Number(n) => ("Number", n.to_string()),
        Value::Bool(b) => ("String", b.to_string()),
        Value::Array(_) => ("String.Array", value.to_string()),
        _ => {
            return Err(DraftError::new(
                field(),
                "must be a string, number, boolean or list (SNS attributes are flat)",
            ));
        }
    })
}

/// `{"default", "APNS", "APNS_SANDBOX", "GCM"}`: every value a JSON string.
pub fn per_platform(draft: &Draft) -> Result<String, DraftError> {
    let m = &draft.message;
    let mut alert = Map::new();
    if !m.title.is_empty() {
        alert.insert("title".into(), json!(m.title));
    }
    alert.insert("body".into(), json!(m.body));
    let mut apns = Map::new();
    let mut aps = Map::new();
    if m.silent {
        aps.insert("content-available".into(), json!(1));
    } else {
        aps.insert("alert".into(), Value::Object(alert.clone()));
        aps.insert("sound".into(), json!("default"));
    }
    apns.insert("aps".into(), Value::Object(aps));
    let mut fcm_data = Map::new();
    for (k, v) in &m.data {
        if k == "aps" {
            return Err(DraftError::new(
                "message.data.aps",
                "is reserved for the APNs payload",
            ));
        }
        apns.insert(k.clone(), v.clone());
        fcm_data.insert(
            k.clone(),
            json!(
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            ),
        );
    }
    if !m.url.is_empty() {
        apns.insert("url".into(), json!(m.url));
        fcm_data.insert("url".into(), json!(m.url));
    }
    let mut fcm_message = Map::new();
    if !m.silent {
        let mut notification = alert;
        if !m.image.is_empty() {
            notification.insert("image".into(), json!(m.image));
        }
        fcm_message.insert("notification".into(), Value::Object(notification));
    }
    if !fcm_data.is_empty() {
        fcm_message.insert("data".into(), Value::Object(fcm_data));
    }
    let apns_text = Value::Object(apns).to_string();
    let gcm_text = json!({ "fcmV1Message": { "message": fcm_message } }).to_string();
    let outer = json!({
        "default": m.body,
        "APNS": apns_text,
        "APNS_SANDBOX": apns_text,
        "GCM": gcm_text,
    });
    Ok(outer.to_string())
}

/// The JSON-in-JSON message with its string values parsed back, for reading.
pub fn decoded(text: &str) -> String {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return text.to_string();
    };
    let open: Map<String, Value> = map
        .into_iter()
        .map(|(k, v)| {
            let inner = v
                .as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .filter(Value::is_object)
                .unwrap_or(v);
            (k, inner)
        })
        .collect();
    Value::Object(open).to_string()
}
