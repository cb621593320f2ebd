//! The format header and the body it announces, checked as the hub checks them (providers.md
//! §2.4–2.5): JSON of the platform's shape for apple, fcmv1, gcm and the other JSON formats, a
//! flat object of strings for templates, well-formed XML whose root matches X-WNS-Type for
//! windows, and the platform's size limit.

use serde_json::Value;

use super::refusal::HubError;
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::azure::{FORMATS, WNS_RAW_MAX, check_xml, root_names};

/// The platforms refuse larger payloads (APNs, FCM, WNS toasts: 4 KB); WNS raw takes 5 KB.
pub const MAX_PAYLOAD: usize = 4 * 1024;

/// Formats the hub takes that Pushdeck itself does not send.
const OTHER_FORMATS: &[&str] = &["browser", "xiaomi"];

fn bad(detail: impl Into<String>) -> HubError {
    HubError::new(400, detail)
}

/// Checks the format header, Content-Type and body; the format's name on success.
pub fn check(arrival: &Arrival, findings: &mut Vec<Finding>) -> Result<String, HubError> {
    let Some(format) = arrival.header("servicebusnotification-format") else {
        findings.push(Finding::fail(
            "No ServiceBusNotification-Format header: the hub needs to know the platform (apple, fcmv1, windows, template…)",
        ));
        return Err(bad(
            "BadRequest: The ServiceBusNotification-Format header is required.",
        ));
    };
    let format = format.trim().to_ascii_lowercase();
    if !FORMATS.contains(&format.as_str()) && !OTHER_FORMATS.contains(&format.as_str()) {
        findings.push(Finding::fail(format!(
            "ServiceBusNotification-Format `{format}` is not a format: {}",
            FORMATS.join(", ")
        )));
        return Err(bad(format!(
            "BadRequest: The platform '{format}' in ServiceBusNotification-Format is not supported."
        )));
    }
    let content_type = arrival
        .header("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let wns_type = arrival.header("x-wns-type");
    let (expected, limit) = match (format.as_str(), wns_type) {
        ("windows", Some("wns/raw")) => ("application/octet-stream", WNS_RAW_MAX),
        ("windows", Some("wns/toast" | "wns/tile" | "wns/badge")) | ("windowsphone", _) => {
            ("application/xml", MAX_PAYLOAD)
        }
        ("windows", other) => {
            findings.push(Finding::fail(format!(
                "Format windows needs X-WNS-Type wns/toast, wns/tile, wns/badge or wns/raw; got {}",
                other.unwrap_or("none")
            )));
            return Err(bad(
                "BadRequest: The X-WNS-Type header is missing or invalid; expected wns/toast, wns/tile, wns/badge or wns/raw.",
            ));
        }
        _ => ("application/json", MAX_PAYLOAD),
    };
    if !content_type.starts_with(expected) {
        findings.push(Finding::fail(format!(
            "Format {format} needs Content-Type {expected}, not `{content_type}`"
        )));
        return Err(bad(format!(
            "BadRequest: Content-Type {content_type} is not valid for the {format} platform; expected {expected}."
        )));
    }
    if arrival.body.len() > limit {
        findings.push(Finding::fail(format!(
            "The payload is {} bytes; a {format} notification takes at most {limit}",
            arrival.body.len()
        )));
        return Err(HubError::new(413, "The request entity is too large."));
    }
    let text = String::from_utf8_lossy(&arrival.body);
    match expected {
        "application/json" => check_json(&format, &text, arrival, findings)?,
        "application/xml" => check_windows(&format, wns_type, &text, findings)?,
        _ => findings.push(Finding::ok(
            "A raw WNS notification (bytes passed on as they are)",
        )),
    }
    findings.push(Finding::ok(format!(
        "{format} payload: {} bytes (at most {limit})",
        arrival.body.len()
    )));
    Ok(format)
}

fn check_json(
    format: &str,
    text: &str,
    arrival: &Arrival,
    findings: &mut Vec<Finding>,
) -> Result<(), HubError> {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            findings.push(Finding::fail(format!(
                "The {format} payload is not JSON: {e}"
            )));
            return Err(bad("BadRequest: The payload is not valid JSON."));
        }
    };
    let problem = match format {
        "apple" => match value.get("aps") {
            _ if !value.is_object() => Some("the payload must be a JSON object".to_string()),
            Some(aps) if !aps.is_object() => Some("`aps` must be an object".into()),
            _ => None,
        },
        "fcmv1" => match value.get("message") {
            Some(Value::Object(m)) => ["token", "topic", "condition"]
                .into_iter()
                .find(|k| m.contains_key(*k))
                .map(|k| format!("`message.{k}` must be left out: the hub sets the target")),
            _ => Some(
                "the body must be {\"message\": {…}} (FCM v1's message, without its target)".into(),
            ),
        },
        "template" => match &value {
            Value::Object(map) => map
                .iter()
                .find(|(_, v)| !v.is_string())
                .map(|(k, _)| format!("template property `{k}` must be a string")),
            _ => Some("a template's body is a flat object of property → string".into()),
        },
        _ if !value.is_object() => Some("the payload must be a JSON object".into()),
        _ => None,
    };
    if let Some(problem) = problem {
        findings.push(Finding::fail(format!("The {format} payload: {problem}")));
        return Err(bad(format!(
            "BadRequest: The payload is not a valid {format} notification: {problem}."
        )));
    }
    if format == "gcm" {
        findings.push(Finding::warn(
            "Format gcm is FCM's legacy API, shut down in 2024: the hub can no longer deliver it; use fcmv1",
        ));
    }
    if format == "apple" {
        match arrival.header("apns-push-type") {
            Some(kind) => findings.push(Finding::ok(format!("apns-push-type {kind}"))),
            None => findings.push(Finding::warn(
                "No apns-push-type header: APNs requires it on iOS 13 and later (alert or background)",
            )),
        }
    }
    findings.push(Finding::ok(format!("A well-formed {format} payload")));
    Ok(())
}

fn check_windows(
    format: &str,
    wns_type: Option<&str>,
    text: &str,
    findings: &mut Vec<Finding>,
) -> Result<(), HubError> {
    if let Err(e) = check_xml(text) {
        findings.push(Finding::fail(format!(
            "The {format} payload is not well-formed XML: {e}"
        )));
        return Err(bad("BadRequest: The payload is not valid XML."));
    }
    if let Some(kind) = wns_type.and_then(|t| t.strip_prefix("wns/")) {
        let root = root_names(text).map(|(root, _)| root).unwrap_or_default();
        if root != kind {
            findings.push(Finding::fail(format!(
                "X-WNS-Type is wns/{kind}, but the XML's root is <{root}>: WNS refuses the mismatch"
            )));
            return Err(bad(format!(
                "BadRequest: X-WNS-Type wns/{kind} does not match the payload's <{root}>."
            )));
        }
        findings.push(Finding::ok(format!(
            "A well-formed <{kind}> for wns/{kind}"
        )));
    } else {
        findings.push(Finding::ok("Well-formed XML"));
    }
    Ok(())
}
