//! The APNs payload a draft becomes (`aps` plus custom data), its device tokens and topic.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::live_activity;
use super::push_types::{Content, PushType};
use crate::draft::{Draft, DraftError, Fields, Message};

/// The options of a visible notification only, with their `aps` keys.
const ALERT_ONLY: &[(&str, &str)] = &[
    ("target_content_id", "target-content-id"),
    ("interruption_level", "interruption-level"),
    ("relevance_score", "relevance-score"),
    ("filter_criteria", "filter-criteria"),
];
pub const INTERRUPTION_LEVELS: &[&str] = &["passive", "active", "time-sensitive", "critical"];

pub const MAX_PAYLOAD: usize = 4096;

pub const MAX_VOIP_PAYLOAD: usize = 5120;

pub fn short(token: &str) -> String {
    if token.len() > 12 {
        format!("{}…", &token[..12])
    } else {
        token.to_string()
    }
}

pub fn device_tokens(draft: &Draft) -> Result<Vec<String>, DraftError> {
    let tokens = Fields::new("audience", &draft.audience).strings("device_tokens")?;
    if tokens.is_empty() {
        return Err(DraftError::new(
            "audience.device_tokens",
            "add at least one device token",
        ));
    }
    tokens
        .iter()
        .enumerate()
        .map(|(i, t)| {
            device_token(t).map_err(|e| DraftError::new(format!("audience.device_tokens[{i}]"), e))
        })
        .collect()
}

/// One device token as typed (spaces and `<…>` from Xcode's log dropped), checked and lowercased.
pub fn device_token(raw: &str) -> Result<String, &'static str> {
    let t: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '<' && *c != '>')
        .collect();
    if t.is_empty() || !t.len().is_multiple_of(2) || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        Err("is not a device token: APNs tokens are hexadecimal (64 or more characters)")
    } else {
        Ok(t.to_ascii_lowercase())
    }
}

pub fn raw_payload(raw: &Value, t: &PushType) -> Result<Value, DraftError> {
    let parsed = crate::provider::shared::raw_json(raw)?;
    // An MDM push is {"mdm": PushMagic} with no aps.
    let mdm = t.content == Content::Mdm && parsed.get("mdm").is_some();
    if !mdm && !parsed.get("aps").is_some_and(Value::is_object) {
        return Err(DraftError::new(
            "options.raw",
            "must be an APNs payload: a JSON object with an \"aps\" dictionary",
        ));
    }
    Ok(parsed)
}

pub fn payload(
    draft: &Draft,
    options: &Fields<'_>,
    t: &PushType,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Value, DraftError> {
    let m = &draft.message;
    if !m.translations.is_empty() {
        return Err(DraftError::new(
            "message.translations",
            "APNs sends one language per notification: send one draft per language, or use loc-key in options.raw",
        ));
    }
    if m.data.contains_key("aps") {
        return Err(DraftError::new(
            "message.data.aps",
            "is reserved for Apple's dictionary; use another key",
        ));
    }
    if t.content != Content::Alert {
        for (key, _) in ALERT_ONLY {
            if options.has(key) {
                return Err(DraftError::new(
                    format!("options.{key}"),
                    format!(
                        "belongs to a visible notification (push type alert); a {} push shows none",
                        t.name
                    ),
                ));
            }
        }
    }
    if options.has("live_activity") && t.content != Content::LiveActivity {
        return Err(DraftError::new(
            "options.live_activity",
            format!(
                "goes with push type liveactivity, not {}: clear the push type or the Live Activity",
                t.name
            ),
        ));
    }
    let shown = !m.title.is_empty() || !m.body.is_empty();
    let mut aps = Map::new();
    match t.content {
        Content::Alert => add_alert(&mut aps, m, options)?,
        Content::Background => {
            if shown {
                warnings.push("A background push shows nothing: the title and body are not sent (the app reads the data).".into());
            }
            aps.insert("content-available".into(), json!(1));
        }
        Content::LiveActivity => {
            let Some(la) = options.value("live_activity") else {
                return Err(DraftError::new(
                    "options.live_activity",
                    "a liveactivity push needs the Live Activity: event start, update or end, and its content state",
                ));
            };
            aps = live_activity::aps(la, now, warnings)?;
            if shown {
                warnings.push("A Live Activity push shows its own alert: the title and body are not sent (use the Live Activity's alert).".into());
            }
        }
        Content::ContentChanged => {
            aps.insert("content-changed".into(), json!(true));
            if shown {
                warnings.push(format!(
                    "A {} push shows nothing: the title and body are not sent.",
                    t.name
                ));
            }
        }
        Content::Mdm | Content::AppDefined => {
            if shown {
                warnings.push(format!(
                    "A {} push is handed to the app, not shown: the title and body are not sent (put what the app reads in data).",
                    t.name
                ));
            }
        }
    }
    if !m.buttons.is_empty() {
        warnings
            .push("APNs sends no button labels: the app's category defines the buttons.".into());
    }
    let mut payload = Map::new();
    if t.content != Content::Mdm {
        payload.insert("aps".into(), Value::Object(aps));
    }
    for (k, v) in &m.data {
        payload.insert(k.clone(), v.clone());
    }
    // For the app's Notification Service Extension and tap handling.
    if !m.image.trim().is_empty() && !payload.contains_key("image") {
        payload.insert("image".into(), json!(m.image.trim()));
    }
    if !m.url.trim().is_empty() && !payload.contains_key("url") {
        payload.insert("url".into(), json!(m.url.trim()));
    }
    Ok(Value::Object(payload))
}

/// A visible notification's `aps`: the alert, badge, sound, thread and category.
fn add_alert(
    aps: &mut Map<String, Value>,
    m: &Message,
    options: &Fields<'_>,
) -> Result<(), DraftError> {
    if m.body.trim().is_empty() && m.title.trim().is_empty() {
        return Err(DraftError::new(
            "message.body",
            "is required for a visible notification (or mark the message silent)",
        ));
    }
    let mut alert = Map::new();
    for (key, value) in [
        ("title", &m.title),
        ("subtitle", &m.subtitle),
        ("body", &m.body),
    ] {
        if !value.trim().is_empty() {
            alert.insert(key.into(), json!(value));
        }
    }
    aps.insert("alert".into(), Value::Object(alert));
    if let Some(badge) = options.u64("badge")? {
        aps.insert("badge".into(), json!(badge));
    }
    aps.insert(
        "sound".into(),
        json!(options.string("sound")?.unwrap_or("default")),
    );
    if let Some(thread) = options.string("thread_id")? {
        aps.insert("thread-id".into(), json!(thread));
    }
    match options.string("category")? {
        Some(c) => {
            aps.insert("category".into(), json!(c));
        }
        None if !m.buttons.is_empty() => {
            return Err(DraftError::new(
                "options.category",
                "iOS shows buttons from a notification category the app registers: give that category's identifier",
            ));
        }
        None => {}
    }
    if !m.image.trim().is_empty() {
        aps.insert("mutable-content".into(), json!(1));
    }
    notification_extras(aps, options)
}

/// Interruption level, relevance score, target content id and filter criteria (iOS 15+).
fn notification_extras(
    aps: &mut Map<String, Value>,
    options: &Fields<'_>,
) -> Result<(), DraftError> {
    for (key, aps_key) in ALERT_ONLY {
        let value = match *key {
            "interruption_level" => options.one_of(key, INTERRUPTION_LEVELS)?.map(|l| json!(l)),
            "relevance_score" => match options.value(key) {
                None => None,
                Some(v) => {
                    let score = v
                        .as_f64()
                        .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
                        .filter(|s| (0.0..=1.0).contains(s))
                        .ok_or_else(|| {
                            DraftError::new(
                                "options.relevance_score",
                                "must be a number from 0 to 1 (how prominently iOS ranks it in a summary)",
                            )
                        })?;
                    Some(live_activity::number(score))
                }
            },
            _ => options.string(key)?.map(|s| json!(s)),
        };
        if let Some(v) = value {
            aps.insert((*aps_key).into(), v);
        }
    }
    Ok(())
}
