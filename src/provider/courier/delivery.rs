//! "Check delivery": a sent message's status and each provider attempt, in words.

use serde_json::Value;

use super::errors::{NAME, error_outcome};
use crate::http::Exchange;
use crate::outcome::{LookupItem, Outcome};
use crate::provider::shared::answer;

/// The delivery status in words; each provider attempt is an item ("email via sendgrid: SENT").
pub fn interpret_delivery(exchange: &Exchange) -> Outcome {
    let response = match answer(exchange) {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let body = response.json();
    if response.status == 404 {
        return Outcome::refused(format!(
            "{NAME} has no message with this id yet (404)"
        ))
        .with_hint("Courier needs a moment to log a new send: try again in a few seconds. A list or audience send has one message id per recipient; find them in Courier's Message Logs.");
    }
    if !response.is_success() {
        return error_outcome(response.status, body.as_ref(), response.retry_after());
    }
    let Some(msg) = body.as_ref().filter(|b| b.is_object()) else {
        return Outcome::refused(format!("{NAME} answered without message details"));
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let status = text(msg, "status");
    let status = if status.is_empty() {
        "UNKNOWN".to_string()
    } else {
        status
    };
    let mut summary = format!("Delivery status: {status}");
    let reason = text(msg, "reason");
    if !reason.is_empty() {
        summary.push_str(&format!(" ({reason})"));
    }
    let error = text(msg, "error");
    if !error.is_empty() {
        summary.push_str(&format!(": {error}"));
    }
    let mut stamps = Vec::new();
    for key in ["enqueued", "sent", "delivered", "opened", "clicked"] {
        if let Some(ms) = msg.get(key).and_then(Value::as_i64) {
            stamps.push(format!("{key} {}", millis_text(ms)));
        }
    }
    if !stamps.is_empty() {
        summary.push_str(&format!(" · {}", stamps.join(", ")));
    }
    let items: Vec<LookupItem> = msg
        .get("providers")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(attempt_item).collect())
        .unwrap_or_default();
    let failed = matches!(
        status.as_str(),
        "UNDELIVERABLE" | "UNROUTABLE" | "UNMAPPED" | "CANCELED" | "FILTERED" | "THROTTLED"
    );
    let mut outcome = if failed {
        Outcome::refused(summary).with_hint(reason_hint(&reason, &status))
    } else {
        Outcome::accepted(summary)
    };
    if let Some(id) = msg.get("id").and_then(Value::as_str) {
        outcome = outcome.with_id(id);
    }
    outcome.items = items;
    outcome
}

/// One provider attempt: "email via sendgrid: DELIVERED".
pub fn attempt_item(attempt: &Value) -> LookupItem {
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => ["key", "name", "id"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    };
    let channel = text(attempt.get("channel"));
    let provider = text(attempt.get("provider"));
    let status = text(attempt.get("status"));
    let error = text(attempt.get("error"));
    let mut label = match (channel.is_empty(), provider.is_empty()) {
        (false, false) => format!("{channel} via {provider}"),
        (false, true) => channel.clone(),
        (true, false) => provider.clone(),
        (true, true) => "attempt".into(),
    };
    if !status.is_empty() {
        label.push_str(&format!(": {status}"));
    }
    if !error.is_empty() {
        label.push_str(&format!(" ({error})"));
    }
    let value = if provider.is_empty() {
        channel
    } else {
        provider
    };
    LookupItem::new(value, label)
}

pub fn reason_hint(reason: &str, status: &str) -> &'static str {
    match reason {
        "NO_CHANNELS" => {
            "No channel could reach this recipient: give them an email, phone number or push token, or route to other channels."
        }
        "NO_PROVIDERS" => {
            "No provider is configured for the routed channels: add one under Channels in Courier's designer."
        }
        "UNSUBSCRIBED" | "OPT_IN_REQUIRED" => "The recipient's preferences block this message.",
        "UNPUBLISHED" => "The template is not published: publish it in Courier's designer.",
        "BOUNCED" => "The address bounced: check the email address.",
        "PROVIDER_ERROR" | "FAILED" => {
            "The downstream provider refused it: open the message in Courier's logs for its error."
        }
        _ if status == "UNMAPPED" => {
            "The event is not mapped to a notification: map it in Courier, or send a template id instead."
        }
        _ => "Open the message in Courier's Message Logs for details.",
    }
}

pub fn millis_text(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second()))
        .unwrap_or_else(|_| ms.to_string())
}
