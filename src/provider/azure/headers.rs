//! `options.headers`: extra headers the hub passes on to the platform (`apns-*`, `X-WNS-*`,
//! `ServiceBusNotification-*`, providers.md §2.4), checked before anything is sent. The headers
//! Pushdeck sets from the draft itself are refused, naming where they come from.

use serde_json::Value;

use crate::draft::{DraftError, Fields};
use crate::http::PreparedRequest;

/// Headers Pushdeck sets itself, and where each one comes from.
const OWN: &[(&str, &str)] = &[
    (
        "Authorization",
        "Pushdeck signs every request with a SAS token made from the connection string",
    ),
    (
        "Content-Type",
        "Pushdeck sets it from the format (options.format, options.wns_type)",
    ),
    (
        "ServiceBusNotification-Format",
        "Pushdeck sets it from options.format",
    ),
    (
        "ServiceBusNotification-Tags",
        "Pushdeck sets it from audience.tags or audience.tag_expression",
    ),
    (
        "ServiceBusNotification-DeviceHandle",
        "Pushdeck sets it from audience.device_handle",
    ),
    (
        "ServiceBusNotification-ScheduleTime",
        "Pushdeck sets it from options.schedule_at",
    ),
    ("x-ms-version", "Pushdeck sets the API version it speaks"),
    ("Host", "the HTTP client sets it from the URL"),
    ("Content-Length", "the HTTP client sets it from the body"),
];

/// Prefixes of the headers the hub forwards to the push services.
const FORWARDED: &[&str] = &[
    "servicebusnotification-",
    "apns-",
    "x-wns-",
    "x-windowsphone-",
    "x-notificationclass",
];

/// `options.headers`, checked: an object of valid header names to string values.
pub fn parse(options: &Fields<'_>) -> Result<Vec<(String, String)>, DraftError> {
    let Some(value) = options.value("headers") else {
        return Ok(Vec::new());
    };
    let Value::Object(map) = value else {
        return Err(DraftError::new(
            "options.headers",
            "must be an object of header name → text, e.g. {\"apns-collapse-id\": \"sale\"}",
        ));
    };
    let mut out = Vec::new();
    for (name, value) in map {
        let field = format!("options.headers.{name}");
        if let Some(bad) = bad_name(name) {
            return Err(DraftError::new(field, bad));
        }
        if let Some((own, why)) = OWN.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
            return Err(DraftError::new(
                field,
                format!("{own} cannot be set here: {why}"),
            ));
        }
        let Value::String(text) = value else {
            return Err(DraftError::new(
                field,
                "a header value must be a string (write numbers in quotes)",
            ));
        };
        if text.chars().any(|c| c.is_control() && c != '\t') {
            return Err(DraftError::new(
                field,
                "a header value cannot hold line breaks or other control characters",
            ));
        }
        out.push((name.clone(), text.trim().to_string()));
    }
    Ok(out)
}

/// Why a header name is not one (RFC 9110 token), or `None` when it is.
fn bad_name(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("a header name cannot be empty".into());
    }
    let tchar = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    name.chars().find(|c| !tchar(*c)).map(|c| {
        format!("`{name}` is not a valid header name: `{c}` is not allowed (letters, digits and - _ . ! # $ % & ' * + ^ ` | ~)")
    })
}

/// Adds the checked headers to the request; one with the name of a generated header replaces
/// it, and the warnings say so (and which names the hub may not forward).
pub fn apply(
    request: &mut PreparedRequest,
    headers: Vec<(String, String)>,
    warnings: &mut Vec<String>,
) {
    for (name, value) in headers {
        let lower = name.to_ascii_lowercase();
        if let Some((old_name, old)) = request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
        {
            warnings.push(format!(
                "options.headers sets {name}: {value} in place of the generated {old_name}: {old}."
            ));
        }
        request
            .headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
        if !FORWARDED.iter().any(|p| lower.starts_with(p)) {
            warnings.push(format!(
                "The hub forwards ServiceBusNotification-*, apns-* and X-WNS-* headers; it may not pass {name} on to the push service."
            ));
        }
        request.headers.push((name, value));
    }
}
