//! The notification body a draft becomes: app, audience (segments, filters, ids or aliases),
//! content in every language, buttons, and the delivery options, within OneSignal's limits.

use serde_json::{Map, Value, json};

use crate::draft::{Draft, DraftError, Fields, Message};
use crate::provider::seam::PrepareContext;

/// OneSignal's documented limits.
pub const MAX_IDS: usize = 2000;

pub const MAX_DATA_BYTES: usize = 2048;

pub const MAX_TTL: u64 = 2_419_200;

pub const MAX_MOBILE_BUTTONS: usize = 3;

pub const MAX_WEB_BUTTONS: usize = 2;

/// A raw payload replaces the generated one; `app_id` is filled in when it is missing, since a
/// request without it can only fail.
pub fn raw_body(raw: &Value, app_id: &str) -> Result<Value, DraftError> {
    let mut raw = crate::provider::shared::raw_object(raw)?;
    if !raw.contains_key("app_id") {
        raw.insert("app_id".into(), json!(app_id));
    }
    Ok(Value::Object(raw))
}

pub fn add_audience(
    body: &mut Map<String, Value>,
    draft: &Draft,
    options: &Fields<'_>,
) -> Result<(), DraftError> {
    let a = Fields::new("audience", &draft.audience);
    let segments = a.strings("segments")?;
    let excluded = a.strings("exclude_segments")?;
    let external = a.strings("external_ids")?;
    let subscriptions = a.strings("subscription_ids")?;
    let filters = super::filters::check(a.value("filters"))?;
    let methods = [
        !segments.is_empty(),
        filters.is_some(),
        !external.is_empty(),
        !subscriptions.is_empty(),
    ];
    match methods.iter().filter(|m| **m).count() {
        0 => {
            return Err(DraftError::new(
                "audience",
                "choose who receives it: segments, filters, external_ids or subscription_ids",
            ));
        }
        1 => {}
        _ => {
            return Err(DraftError::new(
                "audience",
                "OneSignal takes exactly one way of targeting: use only one of segments, filters, external_ids, subscription_ids",
            ));
        }
    }
    if !excluded.is_empty() && segments.is_empty() {
        return Err(DraftError::new(
            "audience.exclude_segments",
            "only works together with segments",
        ));
    }
    for (key, ids) in [
        ("external_ids", &external),
        ("subscription_ids", &subscriptions),
    ] {
        if ids.len() > MAX_IDS {
            return Err(DraftError::new(
                format!("audience.{key}"),
                format!(
                    "OneSignal takes at most {MAX_IDS} ids per request; this has {}",
                    ids.len()
                ),
            ));
        }
    }
    if !segments.is_empty() {
        body.insert("included_segments".into(), json!(segments));
        if !excluded.is_empty() {
            body.insert("excluded_segments".into(), json!(excluded));
        }
    }
    if let Some(filters) = filters {
        body.insert("filters".into(), Value::Array(filters));
    }
    if !external.is_empty() {
        let channel = options
            .one_of("target_channel", &["push", "email", "sms"])?
            .unwrap_or("push");
        body.insert("target_channel".into(), json!(channel));
        body.insert("include_aliases".into(), json!({ "external_id": external }));
    } else if let Some(channel) = options.one_of("target_channel", &["push", "email", "sms"])? {
        body.insert("target_channel".into(), json!(channel));
    }
    if !subscriptions.is_empty() {
        body.insert("include_subscription_ids".into(), json!(subscriptions));
    }
    Ok(())
}

/// headings / subtitle / contents as language maps with `en` as the default language.
pub fn add_content(
    body: &mut Map<String, Value>,
    draft: &Draft,
    warnings: &mut Vec<String>,
) -> Result<(), DraftError> {
    let m = &draft.message;
    if m.translations.contains_key("en") {
        return Err(DraftError::new(
            "message.translations.en",
            "the untranslated fields are already English (en); translate into other languages only",
        ));
    }
    let mut maps: [(&str, Map<String, Value>); 3] = [
        ("headings", Map::new()),
        ("subtitle", Map::new()),
        ("contents", Map::new()),
    ];
    let mut put = |lang: &str, title: &str, subtitle: &str, text: &str| {
        for (i, value) in [title, subtitle, text].into_iter().enumerate() {
            if !value.trim().is_empty() {
                maps[i].1.insert(lang.to_string(), json!(value));
            }
        }
    };
    put("en", &m.title, &m.subtitle, &m.body);
    for (lang, t) in &m.translations {
        if lang.trim().is_empty() {
            return Err(DraftError::new(
                "message.translations",
                "a language code is empty",
            ));
        }
        put(lang, &t.title, &t.subtitle, &t.body);
    }
    let contents = &maps[2].1;
    if !m.silent && !contents.contains_key("en") {
        return Err(DraftError::new(
            "message.body",
            "is required (OneSignal needs English text), unless the message is silent",
        ));
    }
    for (lang, t) in &m.translations {
        if !t.title.is_empty() && m.title.is_empty() {
            warnings.push(format!("The {lang} title is sent but there is no default (en) title: OneSignal needs en in every language map."));
        }
        if t.body.is_empty() && !m.silent {
            warnings.push(format!(
                "No {lang} body: {lang} readers get the English text."
            ));
        }
    }
    for (key, map) in maps {
        if !map.is_empty() {
            body.insert(key.into(), Value::Object(map));
        }
    }
    if m.silent {
        body.insert("content_available".into(), json!(true));
    }
    add_media(body, m);
    add_buttons(body, draft, warnings)?;
    if !m.data.is_empty() {
        let size = serde_json::to_vec(&m.data).map(|v| v.len()).unwrap_or(0);
        if size > MAX_DATA_BYTES {
            return Err(DraftError::new(
                "message.data",
                format!("is {size} bytes; OneSignal allows at most {MAX_DATA_BYTES}"),
            ));
        }
        body.insert("data".into(), Value::Object(m.data.clone()));
    }
    Ok(())
}

/// The link and pictures, under every name the platforms read them by.
fn add_media(body: &mut Map<String, Value>, m: &Message) {
    if !m.url.is_empty() {
        body.insert("url".into(), json!(m.url));
    }
    if !m.image.is_empty() {
        body.insert("big_picture".into(), json!(m.image));
        body.insert("chrome_web_image".into(), json!(m.image));
        body.insert("ios_attachments".into(), json!({ "image": m.image }));
    }
    if !m.icon.is_empty() {
        body.insert("large_icon".into(), json!(m.icon));
        body.insert("chrome_web_icon".into(), json!(m.icon));
    }
}

pub fn add_buttons(
    body: &mut Map<String, Value>,
    draft: &Draft,
    warnings: &mut Vec<String>,
) -> Result<(), DraftError> {
    let buttons = &draft.message.buttons;
    if buttons.is_empty() {
        return Ok(());
    }
    if buttons.len() > MAX_MOBILE_BUTTONS {
        return Err(DraftError::new(
            "message.buttons",
            format!(
                "OneSignal shows at most {MAX_MOBILE_BUTTONS} buttons on mobile; this has {}",
                buttons.len()
            ),
        ));
    }
    for (i, b) in buttons.iter().enumerate() {
        if b.id.trim().is_empty() || b.label.trim().is_empty() {
            return Err(DraftError::new(
                format!("message.buttons[{i}]"),
                "every button needs an id and a label",
            ));
        }
    }
    let mobile: Vec<Value> = buttons
        .iter()
        .map(|b| {
            let mut v = json!({ "id": b.id, "text": b.label });
            if !b.icon.is_empty() {
                v["icon"] = json!(b.icon);
            }
            v
        })
        .collect();
    let web: Vec<Value> = buttons
        .iter()
        .take(MAX_WEB_BUTTONS)
        .map(|b| {
            let mut v = json!({ "id": b.id, "text": b.label });
            if !b.icon.is_empty() {
                v["icon"] = json!(b.icon);
            }
            if !b.url.is_empty() {
                v["url"] = json!(b.url);
            }
            v
        })
        .collect();
    if buttons.len() > MAX_WEB_BUTTONS {
        warnings.push(format!(
            "Browsers show at most {MAX_WEB_BUTTONS} buttons: “{}” appears on mobile only.",
            buttons[MAX_WEB_BUTTONS].label
        ));
    }
    if buttons.iter().any(|b| !b.url.is_empty()) {
        warnings.push("Button links open on the web only; mobile apps receive the button id and handle the click themselves.".into());
    }
    body.insert("buttons".into(), Value::Array(mobile));
    body.insert("web_buttons".into(), Value::Array(web));
    Ok(())
}

pub fn add_options(
    body: &mut Map<String, Value>,
    options: &Fields<'_>,
    ctx: &PrepareContext<'_>,
) -> Result<(), DraftError> {
    if let Some(ttl) = options.u64("ttl")? {
        if ttl > MAX_TTL {
            return Err(DraftError::new(
                "options.ttl",
                format!("OneSignal keeps messages at most {MAX_TTL} s (28 days)"),
            ));
        }
        body.insert("ttl".into(), json!(ttl));
    }
    if let Some(priority) = options.one_of("priority", &["low", "normal", "high"])? {
        // OneSignal: 10 is high, anything else normal (its docs use 5).
        body.insert(
            "priority".into(),
            json!(if priority == "high" { 10 } else { 5 }),
        );
    }
    if let Some(at) = options.string("schedule_at")? {
        let when = crate::clock::parse_rfc3339(at)
            .map_err(|e| DraftError::new("options.schedule_at", e))?;
        if when < ctx.now {
            return Err(DraftError::new("options.schedule_at", "is in the past"));
        }
        body.insert("send_after".into(), json!(send_after(when)));
    }
    let key = options
        .string("idempotency_key")?
        .unwrap_or(ctx.idempotency_key);
    if !key.is_empty() {
        body.insert("idempotency_key".into(), json!(key));
    }
    Ok(())
}

/// OneSignal reads a date without an offset as UTC−11, so always send one: `2026-12-01 08:00:00 GMT+0000`.
pub fn send_after(when: time::OffsetDateTime) -> String {
    let utc = when.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} GMT+0000",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}
