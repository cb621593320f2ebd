//! The `messages:send` body as FCM checks it: `{"message", "validate_only"}`, exactly one target,
//! string-only data, the Android, APNs and Web Push blocks, and the 4096-byte payload limit
//! (providers.md §8.1), refused in Google's words.

use serde_json::{Map, Value};

use super::Problem;
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::fcm::payload::{MAX_PAYLOAD_BYTES, MAX_TTL, reserved_data_key, topic_name_ok};

const MESSAGE_KEYS: &[&str] = &[
    "name",
    "token",
    "topic",
    "condition",
    "fid",
    "data",
    "notification",
    "android",
    "apns",
    "webpush",
    "fcm_options",
];
const TARGETS: &[&str] = &["token", "topic", "condition", "fid"];
const NOTIFICATION_KEYS: &[&str] = &["title", "body", "image"];
const ANDROID_KEYS: &[&str] = &[
    "collapse_key",
    "priority",
    "ttl",
    "restricted_package_name",
    "data",
    "notification",
    "fcm_options",
    "direct_boot_ok",
    "bandwidth_constrained_ok",
    "restricted_satellite_ok",
];
const MAX_CONDITION_TOPICS: usize = 5;
const MAX_LABEL: usize = 50;

fn unknown(name: &str, at: &str) -> Problem {
    let place = if at.is_empty() {
        String::new()
    } else {
        format!(" at '{at}'")
    };
    let text = format!(
        "Invalid JSON payload received. Unknown name \"{name}\"{place}: Cannot find field."
    );
    Problem::new(400, "INVALID_ARGUMENT", text.clone()).field(at, text)
}

fn invalid_value(at: &str, kind: &str, value: &Value) -> Problem {
    let text = format!("Invalid value at '{at}' ({kind}), {value}");
    Problem::new(400, "INVALID_ARGUMENT", text.clone()).field(at, text)
}

fn only_keys(map: &Map<String, Value>, allowed: &[&str], at: &str) -> Result<(), Problem> {
    match map.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(unknown(k, at)),
        None => Ok(()),
    }
}

/// Who the message is for, in a few words, for the summary line (read leniently).
pub fn target_words(arrival: &Arrival) -> String {
    let body: Value = serde_json::from_slice(&arrival.body).unwrap_or(Value::Null);
    let m = &body["message"];
    if let Some(t) = m["token"].as_str() {
        crate::sink::keys::short(t)
    } else if let Some(t) = m["topic"].as_str() {
        format!("topic {t}")
    } else if m["condition"].is_string() {
        "a condition".into()
    } else {
        "nobody".into()
    }
}

/// Checks the body; returns whether it is a `validate_only` dry run.
pub fn check(arrival: &Arrival, findings: &mut Vec<Finding>) -> Result<bool, Problem> {
    let result = check_body(arrival);
    match &result {
        Ok(validate_only) => findings.push(Finding::ok(format!(
            "Message well formed ({} bytes){}",
            arrival.body.len(),
            if *validate_only {
                "; validate_only: FCM checks it and delivers nothing"
            } else {
                ""
            }
        ))),
        Err(p) => findings.push(Finding::fail(format!(
            "FCM refuses the message: {}",
            p.message
        ))),
    }
    result.inspect(|_| advise(arrival, findings))
}

fn check_body(arrival: &Arrival) -> Result<bool, Problem> {
    let body: Value = serde_json::from_slice(&arrival.body).map_err(|e| {
        let text = format!("Invalid JSON payload received. {e}");
        Problem::new(400, "INVALID_ARGUMENT", text.clone()).field("", text)
    })?;
    let Some(body) = body.as_object() else {
        return Err(Problem::new(
            400,
            "INVALID_ARGUMENT",
            "Invalid JSON payload received. Expected an object.",
        ));
    };
    only_keys(body, &["message", "validate_only"], "")?;
    let validate_only = match body.get("validate_only") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(invalid_value("validate_only", "TYPE_BOOL", other)),
    };
    let Some(message) = body.get("message").and_then(Value::as_object) else {
        return Err(Problem::invalid("Recipient of the message is not set."));
    };
    only_keys(message, MESSAGE_KEYS, "message")?;
    target(message)?;
    strings(message.get("data"), "message.data")?;
    reserved_data(message)?;
    if let Some(n) = message.get("notification") {
        let n = object(n, "message.notification")?;
        only_keys(n, NOTIFICATION_KEYS, "message.notification")?;
    }
    if let Some(a) = message.get("android") {
        android(object(a, "message.android")?)?;
    }
    if let Some(a) = message.get("apns") {
        let a = object(a, "message.apns")?;
        only_keys(
            a,
            &["headers", "payload", "fcm_options", "live_activity_token"],
            "message.apns",
        )?;
        strings(a.get("headers"), "message.apns.headers")?;
        if let Some(p) = a.get("payload") {
            object(p, "message.apns.payload")?;
        }
    }
    if let Some(w) = message.get("webpush") {
        webpush(object(w, "message.webpush")?)?;
    }
    if let Some(label) = message
        .get("fcm_options")
        .and_then(|o| o.get("analytics_label"))
        .and_then(Value::as_str)
        && !label_ok(label)
    {
        return Err(Problem::invalid(format!(
            "Analytics label must be at most {MAX_LABEL} characters of [a-zA-Z0-9-_.~%]: {label}"
        )));
    }
    size(message)?;
    Ok(validate_only)
}

fn object<'a>(value: &'a Value, at: &str) -> Result<&'a Map<String, Value>, Problem> {
    value.as_object().ok_or_else(|| {
        let text =
            format!("Invalid value at '{at}', {value}: Starting an object on a scalar field");
        Problem::new(400, "INVALID_ARGUMENT", text.clone()).field(at, text)
    })
}

fn target(message: &Map<String, Value>) -> Result<(), Problem> {
    let set: Vec<&str> = TARGETS
        .iter()
        .copied()
        .filter(|k| message.contains_key(*k))
        .collect();
    match set.as_slice() {
        [] => return Err(Problem::invalid("Recipient of the message is not set.")),
        [_] => {}
        [first, second, ..] => {
            return Err(Problem::invalid(format!(
                "Invalid value at 'message' (oneof), oneof field 'target' is already set. Cannot set '{second}' (already set: '{first}')"
            )));
        }
    }
    if let Some(t) = message.get("token") {
        let ok = t.as_str().is_some_and(|t| {
            t.len() >= 20
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_:".contains(&b))
        });
        if !ok {
            return Err(Problem::invalid(
                "The registration token is not a valid FCM registration token",
            )
            .field("message.token", "Invalid registration token"));
        }
    }
    if let Some(t) = message.get("topic") {
        let name = t.as_str().unwrap_or_default();
        let name = name.strip_prefix("/topics/").unwrap_or(name);
        if !topic_name_ok(name) {
            return Err(Problem::invalid(format!("Invalid topic name: {t}"))
                .field("message.topic", "Topic names are [a-zA-Z0-9-_.~%]+"));
        }
    }
    if let Some(c) = message.get("condition") {
        let text = c.as_str().unwrap_or_default();
        let topics = text.matches("in topics").count();
        if topics == 0 || topics > MAX_CONDITION_TOPICS {
            return Err(Problem::invalid(format!(
                "Invalid condition expression provided: {topics} topics (1 to {MAX_CONDITION_TOPICS})"
            ))
            .field("message.condition", "Invalid condition"));
        }
    }
    Ok(())
}

/// A map whose values must all be strings (data, APNs and Web Push headers).
fn strings(value: Option<&Value>, at: &str) -> Result<(), Problem> {
    let Some(value) = value else {
        return Ok(());
    };
    let map = object(value, at)?;
    for (i, (_, v)) in map.iter().enumerate() {
        if !v.is_string() {
            return Err(invalid_value(&format!("{at}[{i}].value"), "TYPE_STRING", v));
        }
    }
    Ok(())
}

fn reserved_data(message: &Map<String, Value>) -> Result<(), Problem> {
    let Some(data) = message.get("data").and_then(Value::as_object) else {
        return Ok(());
    };
    for key in data.keys() {
        if reserved_data_key(key) {
            return Err(Problem::invalid(format!("Invalid data payload key: {key}"))
                .field("message.data", format!("{key} is reserved")));
        }
    }
    Ok(())
}

fn android(a: &Map<String, Value>) -> Result<(), Problem> {
    only_keys(a, ANDROID_KEYS, "message.android")?;
    if let Some(p) = a.get("priority")
        && !matches!(p.as_str(), Some("NORMAL" | "HIGH"))
    {
        return Err(invalid_value(
            "message.android.priority",
            "type.googleapis.com/google.firebase.fcm.v1.AndroidMessagePriority",
            p,
        ));
    }
    if let Some(ttl) = a.get("ttl") {
        let seconds = ttl
            .as_str()
            .and_then(|t| t.strip_suffix('s'))
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit() || b == b'.'))
            .and_then(|n| n.parse::<f64>().ok());
        match seconds {
            None => {
                return Err(invalid_value(
                    "message.android.ttl",
                    "type.googleapis.com/google.protobuf.Duration",
                    ttl,
                ));
            }
            Some(s) if s > MAX_TTL as f64 => {
                return Err(Problem::invalid(format!(
                    "android.ttl {ttl} is longer than FCM keeps messages ({MAX_TTL}s, 4 weeks)"
                ))
                .field("message.android.ttl", "At most 2419200s"));
            }
            Some(_) => {}
        }
    }
    strings(a.get("data"), "message.android.data")?;
    if let Some(color) = a
        .get("notification")
        .and_then(|n| n.get("color"))
        .and_then(Value::as_str)
    {
        let ok = color.len() == 7
            && color.starts_with('#')
            && color[1..].bytes().all(|b| b.is_ascii_hexdigit());
        if !ok {
            return Err(
                Problem::invalid(format!("Invalid color: {color}; the format is #rrggbb"))
                    .field("message.android.notification.color", "#rrggbb"),
            );
        }
    }
    Ok(())
}

fn webpush(w: &Map<String, Value>) -> Result<(), Problem> {
    only_keys(
        w,
        &["headers", "data", "notification", "fcm_options"],
        "message.webpush",
    )?;
    strings(w.get("headers"), "message.webpush.headers")?;
    strings(w.get("data"), "message.webpush.data")?;
    if let Some(link) = w
        .get("fcm_options")
        .and_then(|o| o.get("link"))
        .and_then(Value::as_str)
        && !link.starts_with("https://")
    {
        return Err(Problem::invalid(format!("The link must be HTTPS: {link}"))
            .field("message.webpush.fcm_options.link", "Must be an HTTPS URL"));
    }
    Ok(())
}

fn label_ok(label: &str) -> bool {
    label.chars().count() <= MAX_LABEL && topic_name_ok(label)
}

/// Notification plus data, as FCM counts the 4096 bytes.
fn size(message: &Map<String, Value>) -> Result<(), Problem> {
    let counted: usize = ["notification", "data"]
        .iter()
        .filter_map(|k| message.get(*k))
        .map(|v| serde_json::to_vec(v).map(|b| b.len()).unwrap_or(0))
        .sum();
    if counted > MAX_PAYLOAD_BYTES {
        return Err(Problem::invalid(format!(
            "Message is too big: notification and data are {counted} bytes; FCM allows {MAX_PAYLOAD_BYTES}"
        )));
    }
    Ok(())
}

/// What FCM accepts but a device may not show as meant.
fn advise(arrival: &Arrival, findings: &mut Vec<Finding>) {
    let body: Value = serde_json::from_slice(&arrival.body).unwrap_or(Value::Null);
    let m = &body["message"];
    if m["topic"]
        .as_str()
        .is_some_and(|t| t.starts_with("/topics/"))
    {
        findings.push(Finding::warn(
            "The topic starts with /topics/: the v1 API takes the bare name (the Admin SDK strips it)",
        ));
    }
    if m["notification"].is_null()
        && m["data"].is_null()
        && m["android"].is_null()
        && m["apns"].is_null()
        && m["webpush"].is_null()
    {
        findings.push(Finding::warn(
            "The message has no notification and no data: the device gets nothing to show or read",
        ));
    }
    let aps = &m["apns"]["payload"]["aps"];
    if m["apns"]["headers"]["apns-push-type"] == "background" && aps["content-available"] != 1 {
        findings.push(Finding::warn(
            "An APNs background push without aps.content-available: 1 does not wake the iOS app",
        ));
    }
}
