//! Publish's parameters checked as SNS checks them (providers.md §6.1): one target, a message
//! within 256 KB, a per-protocol JSON when MessageStructure=json, well-formed message
//! attributes, FIFO's group id.

use serde_json::Value;

use super::aws::AwsError;
use crate::finding::Finding;
use crate::provider::sns::MAX_MESSAGE_BYTES;

pub struct Params<'a>(pub &'a [(String, String)]);

impl Params<'_> {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What was published, for the summary and the answer.
pub struct Published {
    /// `topic “Builds”`, `endpoint …/abc`, `+14155550100`.
    pub to: String,
    pub message: String,
    pub fifo: bool,
}

fn invalid(message: impl Into<String>) -> AwsError {
    AwsError::sender(400, "InvalidParameter", message)
}

pub fn check(
    params: &Params<'_>,
    region: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Result<Published, AwsError> {
    let targets: Vec<&str> = ["TopicArn", "TargetArn", "PhoneNumber"]
        .into_iter()
        .filter(|t| params.get(t).is_some())
        .collect();
    let to = match targets[..] {
        [] => {
            findings.push(Finding::fail(
                "No target: Publish needs TopicArn, TargetArn or PhoneNumber",
            ));
            return Err(invalid(
                "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
            ));
        }
        [one] => one,
        _ => {
            findings.push(Finding::fail(format!(
                "{} are all given: Publish takes exactly one target",
                targets.join(", ")
            )));
            return Err(invalid(
                "Invalid parameter: TopicArn or TargetArn Reason: Only one of TopicArn, TargetArn or PhoneNumber may be specified",
            ));
        }
    };
    let value = params.get(to).unwrap_or_default();
    let (to_text, fifo) = check_target(to, value, region, findings)?;

    let Some(message) = params.get("Message") else {
        findings.push(Finding::fail("No Message: Publish requires one"));
        return Err(AwsError::sender(
            400,
            "ValidationError",
            "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null",
        ));
    };
    if message.is_empty() {
        findings.push(Finding::fail("Message is empty"));
        return Err(invalid("Invalid parameter: Empty message"));
    }
    let attributes = check_attributes(params, findings)?;
    let size = message.len() + attributes;
    if size > MAX_MESSAGE_BYTES {
        findings.push(Finding::fail(format!(
            "Message and attributes are {size} bytes; SNS takes at most {MAX_MESSAGE_BYTES} (256 KB)"
        )));
        return Err(invalid("Invalid parameter: Message too long"));
    }
    findings.push(Finding::ok(format!(
        "Message: {size} bytes with its attributes (at most {MAX_MESSAGE_BYTES})"
    )));
    if let Some(subject) = params.get("Subject") {
        let starts_ok = subject
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
        if !subject.is_ascii()
            || subject.chars().count() >= 100
            || subject.chars().any(|c| c.is_control())
            || !starts_ok
        {
            findings.push(Finding::fail(format!(
                "Subject `{subject}` is not one SNS takes: ASCII, under 100 characters, starting with a letter, digit or punctuation, no line breaks"
            )));
            return Err(invalid("Invalid parameter: Subject"));
        }
        findings.push(Finding::ok("Subject is valid"));
    }
    match params.get("MessageStructure") {
        None => {}
        Some("json") => check_structure(message, findings)?,
        Some(other) => {
            findings.push(Finding::fail(format!(
                "MessageStructure `{other}`: the only value is json"
            )));
            return Err(invalid("Invalid parameter: MessageStructure"));
        }
    }
    if fifo {
        match params.get("MessageGroupId") {
            None => {
                findings.push(Finding::fail("A FIFO topic (.fifo) needs MessageGroupId"));
                return Err(invalid(
                    "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
                ));
            }
            Some(id) if id.is_empty() || id.chars().count() > 128 => {
                findings.push(Finding::fail("MessageGroupId must be 1 to 128 characters"));
                return Err(invalid("Invalid parameter: MessageGroupId"));
            }
            Some(_) => findings.push(Finding::ok("FIFO: MessageGroupId given")),
        }
    } else if params.get("MessageGroupId").is_some()
        && to != "PhoneNumber"
        && to_text.starts_with("topic")
    {
        findings.push(Finding::warn(
            "MessageGroupId on a standard topic: SNS ignores it for standard topics",
        ));
    }
    Ok(Published {
        to: to_text,
        message: message.to_string(),
        fifo,
    })
}

fn check_target(
    param: &str,
    value: &str,
    region: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Result<(String, bool), AwsError> {
    if param == "PhoneNumber" {
        let digits = value.strip_prefix('+').unwrap_or("");
        if digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
            findings.push(Finding::fail(format!(
                "PhoneNumber `{value}` is not E.164 (a + and up to 15 digits, e.g. +14155550100)"
            )));
            return Err(invalid(format!(
                "Invalid parameter: PhoneNumber Reason: {value} is not valid to publish to"
            )));
        }
        findings.push(Finding::ok(format!("Direct SMS to {value}")));
        return Ok((value.to_string(), false));
    }
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    let well_formed = parts.len() == 6
        && parts[0] == "arn"
        && parts[1].starts_with("aws")
        && parts[2] == "sns"
        && !parts[3].is_empty()
        && parts[4].len() == 12
        && parts[4].chars().all(|c| c.is_ascii_digit())
        && !parts[5].is_empty();
    if !well_formed {
        findings.push(Finding::fail(format!(
            "{param} `{value}` is not an SNS ARN (arn:aws:sns:REGION:ACCOUNT:NAME)"
        )));
        return Err(invalid(format!("Invalid parameter: {param}")));
    }
    if let Some(region) = region
        && parts[3] != region
    {
        findings.push(Finding::fail(format!(
            "{param} is in region {}, but the request is signed for {region}: SNS publishes only within the endpoint's region",
            parts[3]
        )));
        return Err(invalid(format!(
            "Invalid parameter: {param} Reason: A ARN must have the same region as the endpoint"
        )));
    }
    let name = parts[5];
    if param == "TopicArn" {
        findings.push(Finding::ok(format!("Topic {name} in {}", parts[3])));
        Ok((format!("topic “{name}”"), name.ends_with(".fifo")))
    } else {
        if !name.starts_with("endpoint/") {
            findings.push(Finding::warn(format!(
                "TargetArn `{value}` is not a platform endpoint (…:endpoint/PLATFORM/APP/ID)"
            )));
        } else {
            findings.push(Finding::ok("Mobile platform endpoint"));
        }
        let short = name.rsplit('/').next().unwrap_or(name);
        Ok((format!("endpoint …/{short}"), false))
    }
}

fn check_structure(message: &str, findings: &mut Vec<Finding>) -> Result<(), AwsError> {
    let parse_error =
        || invalid("Invalid parameter: Message Structure - JSON message body failed to parse");
    let map = match serde_json::from_str::<Value>(message) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            findings.push(Finding::fail(
                "MessageStructure=json, but Message is not a JSON object",
            ));
            return Err(parse_error());
        }
        Err(e) => {
            findings.push(Finding::fail(format!(
                "MessageStructure=json, but Message is not JSON: {e}"
            )));
            return Err(parse_error());
        }
    };
    if !map.contains_key("default") {
        findings.push(Finding::fail(
            "MessageStructure=json needs a `default` key (what protocols without their own key get)",
        ));
        return Err(invalid(
            "Invalid parameter: Message Structure - No default entry in JSON message body",
        ));
    }
    if let Some((key, _)) = map.iter().find(|(_, v)| !v.is_string()) {
        findings.push(Finding::fail(format!(
            "`{key}` in the per-protocol JSON is not a string: each value is a string (mobile payloads are JSON inside a string)"
        )));
        return Err(parse_error());
    }
    for key in [
        "APNS",
        "APNS_SANDBOX",
        "APNS_VOIP",
        "APNS_VOIP_SANDBOX",
        "GCM",
        "ADM",
        "BAIDU",
    ] {
        if let Some(Value::String(inner)) = map.get(key)
            && serde_json::from_str::<Value>(inner).is_err()
        {
            findings.push(Finding::warn(format!(
                "The {key} value is not JSON; the platform will refuse it"
            )));
        }
    }
    let keys: Vec<&str> = map.keys().map(String::as_str).collect();
    findings.push(Finding::ok(format!(
        "Per-protocol JSON with {}",
        keys.join(", ")
    )));
    Ok(())
}

/// Checks `MessageAttributes.entry.N.*`; the bytes they add to the message's size.
fn check_attributes(params: &Params<'_>, findings: &mut Vec<Finding>) -> Result<usize, AwsError> {
    let mut size = 0;
    let mut n = 1;
    loop {
        let key = |part: &str| format!("MessageAttributes.entry.{n}.{part}");
        let name = params.get(&key("Name"));
        let kind = params.get(&key("Value.DataType"));
        let string = params.get(&key("Value.StringValue"));
        let binary = params.get(&key("Value.BinaryValue"));
        if name.is_none() && kind.is_none() && string.is_none() && binary.is_none() {
            break;
        }
        let (Some(name), Some(kind)) = (name, kind) else {
            findings.push(Finding::fail(format!(
                "Message attribute {n} lacks its Name or Value.DataType"
            )));
            return Err(invalid(format!(
                "Invalid parameter: MessageAttributes.entry.{n} Reason: Name and Value.DataType are required"
            )));
        };
        let name_ok = !name.is_empty()
            && name.len() <= 256
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            && !name.starts_with('.')
            && !name.ends_with('.')
            && !name.contains("..");
        if !name_ok {
            findings.push(Finding::fail(format!(
                "Message attribute name `{name}` is not valid (letters, digits, _ - . ; at most 256)"
            )));
            return Err(invalid(format!(
                "Invalid parameter: MessageAttributes Reason: Message attribute name '{name}' is invalid"
            )));
        }
        let base = kind.split('.').next().unwrap_or(kind);
        let value = match (base, string, binary) {
            ("String" | "Number", Some(v), None) => v,
            ("Binary", None, Some(v)) => v,
            ("String" | "Number" | "Binary", _, _) => {
                findings.push(Finding::fail(format!(
                    "Message attribute `{name}` of type {kind} needs exactly its {} value",
                    if base == "Binary" {
                        "BinaryValue"
                    } else {
                        "StringValue"
                    }
                )));
                return Err(AwsError::sender(
                    400,
                    "ParameterValueInvalid",
                    format!(
                        "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{kind}'."
                    ),
                ));
            }
            _ => {
                findings.push(Finding::fail(format!(
                    "Message attribute `{name}` has type `{kind}`: String, Number, Binary or String.Array"
                )));
                return Err(AwsError::sender(
                    400,
                    "ParameterValueInvalid",
                    format!(
                        "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
                    ),
                ));
            }
        };
        if base == "Number" && value.parse::<f64>().is_err() {
            findings.push(Finding::fail(format!(
                "Message attribute `{name}` is a Number but `{value}` is not one"
            )));
            return Err(AwsError::sender(
                400,
                "ParameterValueInvalid",
                format!("Could not cast message attribute '{name}' value to number."),
            ));
        }
        if kind == "String.Array"
            && !matches!(serde_json::from_str::<Value>(value), Ok(Value::Array(_)))
        {
            findings.push(Finding::fail(format!(
                "Message attribute `{name}` is a String.Array but `{value}` is not a JSON array"
            )));
            return Err(AwsError::sender(
                400,
                "ParameterValueInvalid",
                format!(
                    "The message attribute '{name}' with type 'String.Array' must be a JSON array."
                ),
            ));
        }
        size += name.len() + kind.len() + value.len();
        n += 1;
    }
    if n > 1 {
        findings.push(Finding::ok(format!(
            "{} message attribute{}, well formed",
            n - 1,
            if n == 2 { "" } else { "s" }
        )));
    }
    Ok(size)
}
