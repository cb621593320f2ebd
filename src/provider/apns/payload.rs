//! The APNs payload a draft becomes (`aps` plus custom data), its device tokens and topic.

use serde_json::{Map, Value, json};

use crate::draft::{Draft, DraftError, Fields, Message};

pub const MAX_PAYLOAD: usize = 4096;

pub const MAX_VOIP_PAYLOAD: usize = 5120;

pub fn short(token: &str) -> String {
    if token.len() > 12 {
        format!("{}…", &token[..12])
    } else {
        token.to_string()
    }
}

/// The topic a push type needs: VoIP, complication, file provider and Live Activity pushes go to
/// the bundle id with Apple's suffix.
pub fn topic_for(bundle: &str, push_type: &str) -> String {
    let suffix = match push_type {
        "voip" => ".voip",
        "complication" => ".complication",
        "fileprovider" => ".pushkit.fileprovider",
        "liveactivity" => ".push-type.liveactivity",
        _ => "",
    };
    if suffix.is_empty() || bundle.ends_with(suffix) {
        bundle.to_string()
    } else {
        format!("{bundle}{suffix}")
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
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let t: String = t
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '<' && *c != '>')
                .collect();
            if t.is_empty()
                || !t.len().is_multiple_of(2)
                || !t.bytes().all(|b| b.is_ascii_hexdigit())
            {
                Err(DraftError::new(
                    format!("audience.device_tokens[{i}]"),
                    "is not a device token: APNs tokens are hexadecimal (64 or more characters)",
                ))
            } else {
                Ok(t.to_ascii_lowercase())
            }
        })
        .collect()
}

pub fn raw_payload(raw: &Value) -> Result<Value, DraftError> {
    let parsed = crate::provider::shared::raw_json(raw)?;
    if !parsed.get("aps").is_some_and(Value::is_object) {
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
    background: bool,
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
    let mut aps = Map::new();
    if background {
        if !m.title.is_empty() || !m.body.is_empty() {
            warnings.push("A background push shows nothing: the title and body are not sent (the app reads the data).".into());
        }
        aps.insert("content-available".into(), json!(1));
    } else {
        add_alert(&mut aps, m, options)?;
    }
    if !m.buttons.is_empty() {
        warnings
            .push("APNs sends no button labels: the app's category defines the buttons.".into());
    }
    let mut payload = Map::new();
    payload.insert("aps".into(), Value::Object(aps));
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
    Ok(())
}
