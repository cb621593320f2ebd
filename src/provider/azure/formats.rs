//! The notification body, Content-Type and platform headers for each `ServiceBusNotification-Format`
//! (providers.md §2.4–2.5), generated from the message or taken from `options.raw` after a
//! well-formedness check.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::body::{JSON, Payload, compact, payload, require_body, string_map};
use super::wns::{windows, windowsphone};
use crate::draft::{Draft, DraftError, Fields};
use crate::provider::shared::raw_object;

pub const FORMATS: &[&str] = &[
    "apple",
    "fcmv1",
    "gcm",
    "windows",
    "windowsphone",
    "adm",
    "baidu",
    "template",
];
pub const WNS_TYPES: &[&str] = &["toast", "tile", "badge", "raw"];

const APNS_MAX: usize = 4 * 1024;

pub fn format_of(options: &Fields<'_>) -> Result<&'static str, DraftError> {
    let name = options.one_of("format", FORMATS)?.unwrap_or("apple");
    Ok(FORMATS
        .iter()
        .copied()
        .find(|f| *f == name)
        .unwrap_or("apple"))
}

/// Builds the payload for the draft's format.
pub fn build(
    draft: &Draft,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Payload, DraftError> {
    let options = Fields::new("options", &draft.options);
    let format = format_of(&options)?;
    let wns_type = options.one_of("wns_type", WNS_TYPES)?;
    if wns_type.is_some() && format != "windows" {
        return Err(DraftError::new(
            "options.wns_type",
            "only applies to format `windows`",
        ));
    }
    let ttl = options.u64("ttl")?;
    let priority = options.one_of("priority", &["low", "normal", "high"])?;
    let raw = options.value("raw");
    let mut payload = match format {
        "apple" => apple(draft, &options, raw, ttl, priority, now, warnings)?,
        "fcmv1" => fcmv1(draft, raw, ttl, priority, warnings)?,
        "gcm" => {
            warnings.push("Format gcm is FCM's legacy API, which Google shut down in 2024: registrations must move to fcmv1.".into());
            gcm(draft, raw, ttl, priority)?
        }
        "windows" => windows(draft, &options, raw, wns_type, ttl, warnings)?,
        "windowsphone" => {
            warnings.push("Format windowsphone (MPNS) is retired by Microsoft: nothing is delivered to new devices.".into());
            windowsphone(draft, raw, warnings)?
        }
        "adm" => adm(draft, raw, ttl)?,
        "baidu" => baidu(draft, raw)?,
        _ => template(draft, raw)?,
    };
    payload.format = format;
    if payload.headers.iter().all(|(n, _)| n != "Content-Type") {
        payload
            .headers
            .insert(0, ("Content-Type".into(), payload.content_type.into()));
    }
    if format == "apple" && payload.body.len() > APNS_MAX {
        warnings.push(format!(
            "The payload is {} bytes; APNs refuses alerts over {APNS_MAX} bytes.",
            payload.body.len()
        ));
    }
    Ok(payload)
}

fn apple(
    draft: &Draft,
    options: &Fields<'_>,
    raw: Option<&Value>,
    ttl: Option<u64>,
    priority: Option<&str>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let mut headers = Vec::new();
    let body = match raw {
        Some(raw) => {
            let map = raw_object(raw)?;
            match map.get("aps") {
                None => warnings.push(
                    "options.raw has no aps: iOS delivers it as a background/data message only (no alert, sound or badge).".into(),
                ),
                Some(Value::Object(_)) => {}
                Some(_) => {
                    return Err(DraftError::new(
                        "options.raw.aps",
                        "must be an object (or leave it out for a data-only message)",
                    ));
                }
            }
            Value::Object(map)
        }
        None => apple_body(draft, options, warnings)?,
    };
    let silent = m.silent
        || body.get("aps").is_none()
        || body
            .get("aps")
            .and_then(|a| a.get("content-available"))
            .is_some_and(|v| v == &json!(1))
            && body.get("aps").and_then(|a| a.get("alert")).is_none();
    headers.push((
        "apns-push-type".to_string(),
        if silent { "background" } else { "alert" }.to_string(),
    ));
    let prio = if silent || priority == Some("low") {
        "5"
    } else {
        "10"
    };
    headers.push(("apns-priority".into(), prio.into()));
    if let Some(ttl) = ttl {
        let expiry = now + time::Duration::seconds(i64::try_from(ttl).unwrap_or(i64::MAX / 2));
        headers.push(("ServiceBusNotification-Apns-Expiry".into(), w3c(expiry)));
    }
    let mut p = payload(JSON, compact(&body));
    p.headers = headers;
    Ok(p)
}

/// The APNs payload generated from the message: `aps` plus the image, link and custom data.
fn apple_body(
    draft: &Draft,
    options: &Fields<'_>,
    warnings: &mut Vec<String>,
) -> Result<Value, DraftError> {
    let m = &draft.message;
    require_body(draft)?;
    let mut aps = Map::new();
    if m.silent {
        aps.insert("content-available".into(), json!(1));
    } else {
        let mut alert = Map::new();
        for (k, v) in [
            ("title", &m.title),
            ("subtitle", &m.subtitle),
            ("body", &m.body),
        ] {
            if !v.trim().is_empty() {
                alert.insert(k.into(), json!(v));
            }
        }
        aps.insert("alert".into(), Value::Object(alert));
    }
    if let Some(badge) = options.u64("badge")? {
        aps.insert("badge".into(), json!(badge));
    }
    match options.string("sound")? {
        Some(sound) => {
            aps.insert("sound".into(), json!(sound));
        }
        None if !m.silent => {
            aps.insert("sound".into(), json!("default"));
        }
        None => {}
    }
    let category = match options.string("category")? {
        Some(c) => Some(c.to_string()),
        None => m.buttons.first().map(|b| b.id.clone()),
    };
    if !m.buttons.is_empty() {
        warnings.push(format!(
            "iOS shows the buttons the app registered for category “{}”; the labels in this draft are not sent.",
            category.as_deref().unwrap_or_default()
        ));
    }
    if let Some(c) = category {
        aps.insert("category".into(), json!(c));
    }
    if !m.image.is_empty() && !m.silent {
        aps.insert("mutable-content".into(), json!(1));
    }
    let mut body = Map::new();
    body.insert("aps".into(), Value::Object(aps));
    if !m.image.is_empty() {
        body.insert("image".into(), json!(m.image));
    }
    if !m.url.is_empty() {
        body.insert("url".into(), json!(m.url));
    }
    for (k, v) in &m.data {
        if k == "aps" {
            return Err(DraftError::new(
                "message.data.aps",
                "`aps` is reserved by Apple",
            ));
        }
        body.insert(k.clone(), v.clone());
    }
    Ok(Value::Object(body))
}

/// `2025-06-01T12:00:00Z`
pub fn w3c(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn fcmv1(
    draft: &Draft,
    raw: Option<&Value>,
    ttl: Option<u64>,
    priority: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let body = match raw {
        Some(raw) => {
            let map = raw_object(raw)?;
            let Some(Value::Object(message)) = map.get("message") else {
                return Err(DraftError::new(
                    "options.raw",
                    "an fcmv1 payload is {\"message\": {…}}",
                ));
            };
            for key in ["token", "topic", "condition"] {
                if message.contains_key(key) {
                    return Err(DraftError::new(
                        format!("options.raw.message.{key}"),
                        "the hub fills in the target; leave it out",
                    ));
                }
            }
            Value::Object(map)
        }
        None => {
            require_body(draft)?;
            let mut message = Map::new();
            if !m.silent {
                let mut n = Map::new();
                for (k, v) in [("title", &m.title), ("body", &m.body), ("image", &m.image)] {
                    if !v.trim().is_empty() {
                        n.insert(k.into(), json!(v));
                    }
                }
                message.insert("notification".into(), Value::Object(n));
            }
            let mut data = string_map(&m.data);
            if !m.url.is_empty() && !data.contains_key("url") {
                data.insert("url".into(), json!(m.url));
            }
            if !data.is_empty() {
                message.insert("data".into(), Value::Object(data));
            }
            let mut android = Map::new();
            if let Some(ttl) = ttl {
                android.insert("ttl".into(), json!(format!("{ttl}s")));
            }
            if let Some(p) = priority {
                android.insert(
                    "priority".into(),
                    json!(if p == "high" { "HIGH" } else { "NORMAL" }),
                );
            }
            if !m.icon.is_empty() && !m.silent {
                android.insert("notification".into(), json!({"icon": m.icon}));
            }
            if !android.is_empty() {
                message.insert("android".into(), Value::Object(android));
            }
            if !m.subtitle.is_empty() {
                warnings.push("FCM has no subtitle: it is not sent.".into());
            }
            if !m.buttons.is_empty() {
                warnings.push("FCM has no action buttons: they are not sent.".into());
            }
            json!({ "message": message })
        }
    };
    Ok(payload(JSON, compact(&body)))
}

fn gcm(
    draft: &Draft,
    raw: Option<&Value>,
    ttl: Option<u64>,
    priority: Option<&str>,
) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let body = match raw {
        Some(raw) => Value::Object(raw_object(raw)?),
        None => {
            require_body(draft)?;
            let mut body = Map::new();
            if !m.silent {
                let mut n = Map::new();
                for (k, v) in [
                    ("title", &m.title),
                    ("body", &m.body),
                    ("image", &m.image),
                    ("icon", &m.icon),
                ] {
                    if !v.trim().is_empty() {
                        n.insert(k.into(), json!(v));
                    }
                }
                body.insert("notification".into(), Value::Object(n));
            }
            if !m.data.is_empty() {
                body.insert("data".into(), Value::Object(m.data.clone()));
            }
            if let Some(ttl) = ttl {
                body.insert("time_to_live".into(), json!(ttl));
            }
            if let Some(p) = priority {
                body.insert(
                    "priority".into(),
                    json!(if p == "high" { "high" } else { "normal" }),
                );
            }
            Value::Object(body)
        }
    };
    Ok(payload(JSON, compact(&body)))
}

fn adm(draft: &Draft, raw: Option<&Value>, ttl: Option<u64>) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let body = match raw {
        Some(raw) => Value::Object(raw_object(raw)?),
        None => {
            require_body(draft)?;
            let mut data = Map::new();
            for (k, v) in [
                ("title", &m.title),
                ("body", &m.body),
                ("url", &m.url),
                ("image", &m.image),
            ] {
                if !v.is_empty() {
                    data.insert(k.into(), json!(v));
                }
            }
            data.extend(string_map(&m.data));
            let mut body = json!({ "data": data });
            if let Some(ttl) = ttl {
                body["expiresAfter"] = json!(ttl);
            }
            body
        }
    };
    Ok(payload(JSON, compact(&body)))
}

fn baidu(draft: &Draft, raw: Option<&Value>) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let body = match raw {
        Some(raw) => Value::Object(raw_object(raw)?),
        None => {
            require_body(draft)?;
            let mut body = Map::new();
            body.insert("title".into(), json!(m.title));
            body.insert("description".into(), json!(m.body));
            if !m.data.is_empty() || !m.url.is_empty() {
                let mut custom = m.data.clone();
                if !m.url.is_empty() && !custom.contains_key("url") {
                    custom.insert("url".into(), json!(m.url));
                }
                body.insert("custom_content".into(), Value::Object(custom));
            }
            Value::Object(body)
        }
    };
    Ok(payload(JSON, compact(&body)))
}

/// A flat property bag that fills each registration's `$(name)` placeholders.
fn template(draft: &Draft, raw: Option<&Value>) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let bag = match raw {
        Some(raw) => {
            let map = raw_object(raw)?;
            for (k, v) in &map {
                if !v.is_string() {
                    return Err(DraftError::new(
                        format!("options.raw.{k}"),
                        "template properties must be strings",
                    ));
                }
            }
            map
        }
        None => {
            let mut bag = Map::new();
            for (k, v) in [
                ("title", &m.title),
                ("subtitle", &m.subtitle),
                ("body", &m.body),
                ("url", &m.url),
                ("image", &m.image),
                ("icon", &m.icon),
            ] {
                if !v.is_empty() {
                    bag.insert(k.into(), json!(v));
                }
            }
            for (k, v) in string_map(&m.data) {
                if bag.contains_key(&k) {
                    return Err(DraftError::new(
                        format!("message.data.{k}"),
                        format!("clashes with the message's own `{k}` property in the template"),
                    ));
                }
                bag.insert(k, v);
            }
            if bag.is_empty() {
                return Err(DraftError::new(
                    "message",
                    "a template send needs at least one property: a body, a title or data",
                ));
            }
            bag
        }
    };
    Ok(payload(JSON, compact(&Value::Object(bag))))
}
