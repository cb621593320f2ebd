//! The notification itself, as APNs checks it: the device token, the `apns-*` headers and the
//! payload, with Apple's reasons, and the push-type rules of the provider (`push_types::lint`)
//! for what APNs accepts but iOS drops.

use serde_json::Value;

use super::{Refusal, refuse};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::apns::payload::{MAX_PAYLOAD, MAX_VOIP_PAYLOAD};
use crate::provider::apns::push_types::{NAMES, PUSH_TYPES, PushType, lint, rule};

const MAX_COLLAPSE_ID: usize = 64;

/// Hex, even, at least 64 characters: a device token's shape.
pub fn device_token_ok(token: &str) -> bool {
    token.len() >= 64
        && token.len().is_multiple_of(2)
        && token.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A canonical lowercase UUID (8-4-4-4-12), as `apns-id` must be.
pub fn apns_id_ok(id: &str) -> bool {
    uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

/// The push type the request names (alert when it names none, as Apple assumes).
fn push_type(arrival: &Arrival) -> Option<&'static PushType> {
    match arrival.header("apns-push-type") {
        None => Some(rule("alert")),
        Some(name) => NAMES.contains(&name).then(|| rule(name)),
    }
}

pub fn duplicate_headers(arrival: &Arrival, findings: &mut Vec<Finding>) -> Result<(), Refusal> {
    for (i, (name, _)) in arrival.headers.iter().enumerate() {
        let counted = name == "authorization" || name.starts_with("apns-");
        if counted && arrival.headers[..i].iter().any(|(n, _)| n == name) {
            findings.push(Finding::fail(format!("{name} was sent twice")));
            return Err(refuse(400, "DuplicateHeaders"));
        }
    }
    Ok(())
}

pub fn device(device: &str, test_token: &str, findings: &mut Vec<Finding>) -> Result<(), Refusal> {
    if device.is_empty() {
        findings.push(Finding::fail(
            "No device token in the path: /3/device/<token>",
        ));
        return Err(refuse(400, "MissingDeviceToken"));
    }
    if !device_token_ok(device) {
        findings.push(Finding::fail(format!(
            "Device token {device} is not a device token: APNs tokens are hexadecimal, 64 characters or more"
        )));
        return Err(refuse(400, "BadDeviceToken"));
    }
    if device.bytes().all(|b| b == b'0') {
        findings.push(Finding::fail(
            "Device token 000…0 is registered to nobody (what credential checks send)",
        ));
        return Err(refuse(400, "BadDeviceToken"));
    }
    if device.eq_ignore_ascii_case(test_token) {
        findings.push(Finding::ok("Device token is the sink's test device token"));
    } else {
        findings.push(Finding::warn(
            "Device token is well formed but not the sink's test token; accepted (the sink cannot know which devices exist)",
        ));
    }
    Ok(())
}

/// The topic suffix (`.voip`, `.push-type.liveactivity`…) `topic` ends with, if any.
fn suffix_of(topic: &str) -> &'static str {
    PUSH_TYPES
        .iter()
        .map(|t| t.suffix)
        .filter(|s| !s.is_empty() && topic.ends_with(s))
        .max_by_key(|s| s.len())
        .unwrap_or("")
}

pub fn headers(
    arrival: &Arrival,
    topic: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Result<(), Refusal> {
    let Some(t) = push_type(arrival) else {
        findings.push(Finding::fail(format!(
            "apns-push-type {} is not one APNs knows ({})",
            arrival.header("apns-push-type").unwrap_or_default(),
            NAMES.join(", ")
        )));
        return Err(refuse(400, "InvalidPushType"));
    };
    if arrival.header("apns-push-type").is_none() {
        findings.push(Finding::warn(
            "No apns-push-type: iOS 13+ and watchOS 6+ need it; APNs assumes alert",
        ));
    }
    if let Some(topic) = topic {
        let has = suffix_of(topic);
        if has != t.suffix {
            findings.push(Finding::fail(format!(
                "A {} push goes to the topic {}; {topic} {}: devices register such tokens under the suffixed topic",
                t.name,
                if t.suffix.is_empty() {
                    "without a suffix (the bundle id)".to_string()
                } else {
                    format!("<bundle id>{}", t.suffix)
                },
                if has.is_empty() {
                    "has none".to_string()
                } else {
                    format!("ends with {has}")
                }
            )));
            return Err(refuse(400, "DeviceTokenNotForTopic"));
        }
    }
    match arrival.header("apns-priority") {
        None if !t.priorities.contains(&"10") => findings.push(Finding::warn(format!(
            "No apns-priority: APNs assumes 10, and {} pushes must be sent with {}",
            t.name, t.priorities[0]
        ))),
        None => {}
        Some(p) => {
            let known = ["10", "5", "1"].contains(&p);
            let fits = t.priorities.contains(&p) || (p == "1" && t.priorities.len() > 1);
            if !known || !fits {
                findings.push(Finding::fail(format!(
                    "apns-priority {p}: {} pushes take {}",
                    t.name,
                    t.priorities.join(" or ")
                )));
                return Err(refuse(400, "BadPriority"));
            }
        }
    }
    if let Some(e) = arrival.header("apns-expiration")
        && e.trim().parse::<u64>().is_err()
    {
        findings.push(Finding::fail(format!(
            "apns-expiration {e} is not a time in UNIX seconds (0: deliver now or never)"
        )));
        return Err(refuse(400, "BadExpirationDate"));
    }
    if let Some(c) = arrival.header("apns-collapse-id")
        && c.len() > MAX_COLLAPSE_ID
    {
        findings.push(Finding::fail(format!(
            "apns-collapse-id is {} bytes; APNs allows {MAX_COLLAPSE_ID}",
            c.len()
        )));
        return Err(refuse(400, "BadCollapseId"));
    }
    if let Some(id) = arrival.header("apns-id")
        && !apns_id_ok(id)
    {
        findings.push(Finding::fail(format!(
            "apns-id {id} is not a lowercase UUID (8-4-4-4-12)"
        )));
        return Err(refuse(400, "BadMessageId"));
    }
    findings.push(Finding::ok(format!(
        "Headers: push type {}, priority {}",
        t.name,
        arrival.header("apns-priority").unwrap_or("10 (default)")
    )));
    Ok(())
}

pub fn payload(arrival: &Arrival, findings: &mut Vec<Finding>) -> Result<(), Refusal> {
    let t = push_type(arrival).unwrap_or_else(|| rule("alert"));
    let body = &arrival.body;
    if body.is_empty() {
        findings.push(Finding::fail("The payload is empty"));
        return Err(refuse(400, "PayloadEmpty"));
    }
    let limit = if t.name == "voip" {
        MAX_VOIP_PAYLOAD
    } else {
        MAX_PAYLOAD
    };
    if body.len() > limit {
        findings.push(Finding::fail(format!(
            "The payload is {} bytes; APNs allows {limit} for a {} push",
            body.len(),
            t.name
        )));
        return Err(refuse(413, "PayloadTooLarge"));
    }
    let payload = match serde_json::from_slice::<Value>(body) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => {
            // Apple's reason table names no reason for this; the sink says BadPayload.
            findings.push(Finding::fail(
                "The payload is not a JSON object (Apple's reasons do not name this case; the sink answers BadPayload)",
            ));
            return Err(refuse(400, "BadPayload"));
        }
    };
    let mut warnings = Vec::new();
    if let Err(e) = lint(t, &payload, true, &mut warnings) {
        let why = e.message.replace("options.raw", "the payload");
        findings.push(Finding::fail(format!(
            "APNs accepts it, but the device drops it: {why}"
        )));
    }
    if t.name == "liveactivity" {
        live_activity(&payload, findings);
    }
    findings.extend(warnings.into_iter().map(Finding::warn));
    findings.push(Finding::ok(format!(
        "Payload: {} of {limit} bytes",
        body.len()
    )));
    Ok(())
}

/// What ActivityKit needs beyond `event` and `timestamp` (which `lint` checks).
fn live_activity(payload: &Value, findings: &mut Vec<Finding>) {
    let aps = &payload["aps"];
    let event = aps.get("event").and_then(Value::as_str).unwrap_or("");
    if !["start", "update", "end"].contains(&event) {
        findings.push(Finding::fail(format!(
            "aps.event `{event}` is not start, update or end: ActivityKit ignores the push"
        )));
    }
    if event != "end" && !aps.get("content-state").is_some_and(Value::is_object) {
        findings.push(Finding::fail(
            "aps.content-state (an object) is missing: a Live Activity start or update needs the new content",
        ));
    }
    if event == "start"
        && !(aps.get("attributes-type").is_some_and(Value::is_string)
            && aps.get("attributes").is_some_and(Value::is_object))
    {
        findings.push(Finding::fail(
            "A Live Activity start needs aps.attributes-type (a string) and aps.attributes (an object)",
        ));
    }
}

/// The push in a few words for the summary: its type and what it shows.
pub fn describe(arrival: &Arrival) -> String {
    let kind = arrival.header("apns-push-type").unwrap_or("alert");
    let payload: Value = serde_json::from_slice(&arrival.body).unwrap_or(Value::Null);
    let alert = &payload["aps"]["alert"];
    let shown = alert
        .as_str()
        .or_else(|| alert["title"].as_str())
        .or_else(|| alert["body"].as_str());
    match shown {
        Some(text) => {
            let text: String = text.chars().take(40).collect();
            format!("{kind} “{text}”")
        }
        None => kind.to_string(),
    }
}
