//! Pushbullet's lookups: your devices and the channels you own, as chips for the audience.

use serde_json::Value;

use super::{NAME, answer, error_outcome};
use crate::http::Exchange;
use crate::outcome::{LookupItem, Outcome};

pub(super) fn interpret(id: &str, exchange: &Exchange) -> Outcome {
    let response = match answer(exchange) {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let body = response.json();
    if !response.is_success() {
        return error_outcome(response, body.as_ref());
    }
    let (key, noun, item, none): (_, _, fn(&Value) -> Option<LookupItem>, _) = match id {
        "channels" => (
            "channels",
            "channel",
            channel_item,
            Outcome::accepted("This account owns no channels").with_hint(
                "Create a channel on pushbullet.com (My Channels), or push to a device or an email instead.",
            ),
        ),
        _ => (
            "devices",
            "device",
            device_item,
            Outcome::accepted("This account has no devices yet").with_hint(
                "Install Pushbullet on a phone or browser, or push to an email instead.",
            ),
        ),
    };
    let Some(list) = body
        .as_ref()
        .and_then(|b| b.get(key))
        .and_then(Value::as_array)
    else {
        // Empty values are left out of Pushbullet answers: no `devices` key means no devices.
        if body.as_ref().is_some_and(Value::is_object) {
            return none;
        }
        return Outcome::refused(format!("{NAME} answered without a {noun} list"))
            .with_hint("Check the base URL.");
    };
    let items: Vec<LookupItem> = list.iter().filter_map(item).collect();
    let mut o = Outcome::accepted(format!(
        "Loaded {} {noun}{}",
        items.len(),
        if items.len() == 1 { "" } else { "s" }
    ));
    o.items = items;
    o
}

/// A device as a chip: its iden, shown by nickname (or make and model).
fn device_item(device: &Value) -> Option<LookupItem> {
    if device.get("active").and_then(Value::as_bool) == Some(false) {
        return None;
    }
    let iden = device.get("iden").and_then(Value::as_str)?;
    let text = |k: &str| {
        device
            .get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
    };
    let label = match (text("nickname"), text("manufacturer"), text("model")) {
        (Some(nick), _, _) => nick.to_string(),
        (None, Some(make), Some(model)) => format!("{make} {model}"),
        (None, None, Some(model)) => model.to_string(),
        (None, Some(make), None) => make.to_string(),
        (None, None, None) => iden.to_string(),
    };
    Some(LookupItem::new(iden, label))
}

/// A channel as a chip: its tag (what a push names), shown by name.
fn channel_item(channel: &Value) -> Option<LookupItem> {
    if channel.get("active").and_then(Value::as_bool) == Some(false) {
        return None;
    }
    let tag = channel.get("tag").and_then(Value::as_str)?;
    let label = channel
        .get("name")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(tag);
    Some(LookupItem::new(tag, label))
}
