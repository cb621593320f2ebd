//! The FCM `message` a draft becomes: its target, notification, data and the Android, APNs and
//! Web Push blocks, within FCM's limits.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::draft::{Draft, DraftError, Fields, Message};

/// FCM keeps messages at most 4 weeks.
pub const MAX_TTL: u64 = 2_419_200;

/// Notification plus data payload.
pub const MAX_PAYLOAD_BYTES: usize = 4096;

pub enum Target {
    Tokens(Vec<String>),
    Topic(String),
    Condition(String),
}

pub fn target(draft: &Draft) -> Result<Target, DraftError> {
    let a = Fields::new("audience", &draft.audience);
    let tokens = a.strings("tokens")?;
    let topic = a.string("topic")?.map(str::trim);
    let condition = a.string("condition")?.map(str::trim);
    let count = usize::from(!tokens.is_empty())
        + usize::from(topic.is_some())
        + usize::from(condition.is_some());
    if count == 0 {
        return Err(DraftError::new(
            "audience",
            "choose who receives it: tokens, a topic or a condition",
        ));
    }
    if count > 1 {
        return Err(DraftError::new(
            "audience",
            "FCM takes exactly one target: use only one of tokens, topic, condition",
        ));
    }
    if !tokens.is_empty() {
        return Ok(Target::Tokens(tokens));
    }
    if let Some(topic) = topic {
        let name = topic.strip_prefix("/topics/").unwrap_or(topic);
        let valid = topic_name_ok(name);
        if !valid {
            return Err(DraftError::new(
                "audience.topic",
                format!("`{topic}` is not a topic name: use letters, digits and - _ . ~ %"),
            ));
        }
        return Ok(Target::Topic(name.to_string()));
    }
    let condition = condition.unwrap_or_default();
    let topics = condition.matches("in topics").count();
    if topics == 0 {
        return Err(DraftError::new(
            "audience.condition",
            "write it like 'dogs' in topics || 'cats' in topics",
        ));
    }
    if topics > 5 {
        return Err(DraftError::new(
            "audience.condition",
            format!("FCM allows at most 5 topics in a condition; this has {topics}"),
        ));
    }
    Ok(Target::Condition(condition.to_string()))
}

/// FCM's topic names: `[a-zA-Z0-9-_.~%]+` (also what analytics labels are made of).
pub fn topic_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b))
}

/// Data keys FCM keeps for itself: from, notification, message_type, google.*, gcm.*.
pub fn reserved_data_key(key: &str) -> bool {
    let lower = key.to_ascii_lowercase();
    ["from", "notification", "message_type"].contains(&lower.as_str())
        || lower.starts_with("google.")
        || lower.starts_with("gcm.")
}

pub fn short_token(token: &str) -> String {
    if token.chars().count() > 16 {
        let head: String = token.chars().take(12).collect();
        format!("{head}…")
    } else {
        token.to_string()
    }
}

pub fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `options.raw` is the `message` object; the target from the audience is added when missing.
pub fn raw_message(raw: &Value) -> Result<Map<String, Value>, DraftError> {
    let parsed = crate::provider::shared::raw_json(raw)?;
    match parsed {
        Value::Object(mut map) => {
            // Accept a whole send body too.
            if let Some(Value::Object(inner)) = map.remove("message") {
                return Ok(inner);
            }
            Ok(map)
        }
        _ => Err(DraftError::new(
            "options.raw",
            "must be a JSON object: the FCM `message`",
        )),
    }
}

/// The message without its target: notification, data and the three platform blocks.
pub fn message(
    draft: &Draft,
    options: &Fields<'_>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Map<String, Value>, DraftError> {
    let m = &draft.message;
    let mut message = content(draft, options, warnings)?;
    let delivery = Delivery::from(options)?;
    if let Some(android) = android(&delivery) {
        message.insert("android".into(), Value::Object(android));
    }
    let live = live_activity(options, now, warnings)?;
    if let Some(apns) = apns(m, &delivery, live, now)? {
        message.insert("apns".into(), Value::Object(apns));
    }
    if let Some(webpush) = webpush(m, &delivery, warnings)? {
        message.insert("webpush".into(), Value::Object(webpush));
    }
    Ok(message)
}

/// The notification and data every platform shares, after the checks FCM would fail.
fn content(
    draft: &Draft,
    options: &Fields<'_>,
    warnings: &mut Vec<String>,
) -> Result<Map<String, Value>, DraftError> {
    let m = &draft.message;
    if !m.translations.is_empty() {
        return Err(DraftError::new(
            "message.translations",
            "FCM sends one language per message: send one draft per language, or use localization keys in options.raw",
        ));
    }
    if options.has("schedule_at") {
        return Err(DraftError::new(
            "options.schedule_at",
            "FCM cannot schedule messages; send it at the time you want it delivered",
        ));
    }
    let data = data(&m.data, warnings)?;
    // A Live Activity carries its own content; a notification beside it is optional.
    let live = options.has("live_activity");
    if !m.silent && !live && m.body.trim().is_empty() {
        return Err(DraftError::new(
            "message.body",
            "is required, unless the message is silent (data only)",
        ));
    }
    if m.silent && data.is_empty() {
        return Err(DraftError::new(
            "message.data",
            "a silent message carries data only: add at least one data key",
        ));
    }
    let mut message = Map::new();
    let nothing_shown = live && m.title.trim().is_empty() && m.body.trim().is_empty();
    if !m.silent && !nothing_shown {
        let mut notification = Map::new();
        put(&mut notification, "title", &m.title);
        put(&mut notification, "body", &m.body);
        put(&mut notification, "image", &m.image);
        message.insert("notification".into(), Value::Object(notification));
    } else if !m.title.is_empty() || !m.image.is_empty() {
        warnings.push("A silent message shows nothing: the title and image are not sent.".into());
    }
    if !data.is_empty() {
        let size =
            serde_json::to_vec(&data).map(|v| v.len()).unwrap_or(0) + m.title.len() + m.body.len();
        if size > MAX_PAYLOAD_BYTES {
            return Err(DraftError::new(
                "message.data",
                format!("the message is about {size} bytes; FCM allows {MAX_PAYLOAD_BYTES}"),
            ));
        }
        message.insert("data".into(), Value::Object(data));
    }
    Ok(message)
}

/// The common delivery options, read once for the three platform blocks.
struct Delivery<'a> {
    ttl: Option<u64>,
    priority: Option<&'a str>,
    collapse: Option<&'a str>,
    channel: Option<&'a str>,
}

impl<'a> Delivery<'a> {
    fn from(options: &Fields<'a>) -> Result<Self, DraftError> {
        let ttl = options.u64("ttl")?;
        if ttl.is_some_and(|t| t > MAX_TTL) {
            return Err(DraftError::new(
                "options.ttl",
                format!("FCM keeps messages at most {MAX_TTL} s (4 weeks)"),
            ));
        }
        let priority = options.one_of("priority", &["low", "normal", "high"])?;
        let collapse = options.string("collapse_key")?;
        let channel = options.string("channel_id")?;
        Ok(Self {
            ttl,
            priority,
            collapse,
            channel,
        })
    }
}

fn android(d: &Delivery<'_>) -> Option<Map<String, Value>> {
    let Delivery {
        ttl,
        priority,
        collapse,
        channel,
    } = *d;
    let mut android = Map::new();
    if let Some(c) = collapse {
        android.insert("collapse_key".into(), json!(c));
    }
    match priority {
        Some("high") => {
            android.insert("priority".into(), json!("HIGH"));
        }
        Some(_) => {
            android.insert("priority".into(), json!("NORMAL"));
        }
        None => {}
    }
    if let Some(ttl) = ttl {
        android.insert("ttl".into(), json!(format!("{ttl}s")));
    }
    if let Some(c) = channel {
        android.insert("notification".into(), json!({"channel_id": c}));
    }
    (!android.is_empty()).then_some(android)
}

/// A Live Activity for iOS apps through FCM: the `aps` (as APNs builds it) and the ActivityKit
/// token for `apns.live_activity_token` (providers.md §8.1 names the field; FCM's headers for it
/// are not documented there, so only APNs' own `apns-push-type` is set).
struct LiveActivity {
    aps: Map<String, Value>,
    token: String,
}

fn live_activity(
    options: &Fields<'_>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Option<LiveActivity>, DraftError> {
    let token = options.string("live_activity_token")?.map(str::trim);
    let Some(la) = options.value("live_activity") else {
        if token.is_some() {
            return Err(DraftError::new(
                "options.live_activity_token",
                "goes with a Live Activity: fill options.live_activity too",
            ));
        }
        return Ok(None);
    };
    let Some(token) = token else {
        return Err(DraftError::new(
            "options.live_activity_token",
            "a Live Activity through FCM needs the activity's push token (or the push-to-start token for a start) from ActivityKit",
        ));
    };
    let aps = crate::provider::apns::live_activity::aps(la, now, warnings)?;
    Ok(Some(LiveActivity {
        aps,
        token: token.to_string(),
    }))
}

fn apns(
    m: &Message,
    d: &Delivery<'_>,
    live: Option<LiveActivity>,
    now: OffsetDateTime,
) -> Result<Option<Map<String, Value>>, DraftError> {
    let Delivery {
        ttl,
        priority,
        collapse,
        ..
    } = *d;
    let mut headers = Map::new();
    let mut aps = Map::new();
    if let Some(live) = &live {
        headers.insert("apns-push-type".into(), json!("liveactivity"));
        headers.insert(
            "apns-priority".into(),
            json!(if priority == Some("low") { "5" } else { "10" }),
        );
        aps = live.aps.clone();
    } else if m.silent {
        headers.insert("apns-push-type".into(), json!("background"));
        headers.insert("apns-priority".into(), json!("5"));
        aps.insert("content-available".into(), json!(1));
    } else if let Some(p) = priority {
        headers.insert(
            "apns-priority".into(),
            json!(if p == "low" { "5" } else { "10" }),
        );
    }
    if let Some(ttl) = ttl {
        let at = now.unix_timestamp() + i64::try_from(ttl).unwrap_or(0);
        headers.insert("apns-expiration".into(), json!(at.to_string()));
    }
    if let Some(c) = collapse {
        if c.len() > 64 {
            return Err(DraftError::new(
                "options.collapse_key",
                "iOS collapse ids are at most 64 bytes",
            ));
        }
        headers.insert("apns-collapse-id".into(), json!(c));
    }
    if live.is_none() && !m.silent && !m.subtitle.is_empty() {
        aps.insert("alert".into(), json!({"subtitle": m.subtitle}));
    }
    if live.is_none() && !m.silent && !m.image.is_empty() {
        aps.insert("mutable-content".into(), json!(1));
    }
    let mut apns = Map::new();
    if let Some(live) = live {
        apns.insert("live_activity_token".into(), json!(live.token));
    }
    if !headers.is_empty() {
        apns.insert("headers".into(), Value::Object(headers));
    }
    if !aps.is_empty() {
        apns.insert("payload".into(), json!({"aps": aps}));
    }
    if !m.silent && !m.image.is_empty() {
        apns.insert("fcm_options".into(), json!({"image": m.image}));
    }
    Ok((!apns.is_empty()).then_some(apns))
}

fn webpush(
    m: &Message,
    d: &Delivery<'_>,
    warnings: &mut Vec<String>,
) -> Result<Option<Map<String, Value>>, DraftError> {
    let Delivery { ttl, priority, .. } = *d;
    let mut web_headers = Map::new();
    if let Some(ttl) = ttl {
        web_headers.insert("TTL".into(), json!(ttl.to_string()));
    }
    if let Some(p) = priority {
        web_headers.insert("Urgency".into(), json!(p));
    }
    let mut web_notification = Map::new();
    if !m.silent {
        put(&mut web_notification, "icon", &m.icon);
        if !m.buttons.is_empty() {
            let mut actions = Vec::new();
            for (i, b) in m.buttons.iter().enumerate() {
                if b.id.trim().is_empty() || b.label.trim().is_empty() {
                    return Err(DraftError::new(
                        format!("message.buttons[{i}]"),
                        "every button needs an id and a label",
                    ));
                }
                let mut action = json!({"action": b.id, "title": b.label});
                if !b.icon.is_empty() {
                    action["icon"] = json!(b.icon);
                }
                actions.push(action);
            }
            web_notification.insert("actions".into(), Value::Array(actions));
            warnings.push("Buttons show in browsers only: FCM has no buttons for Android, and iOS buttons need a category the app registers (use options.raw).".into());
            if m.buttons.iter().any(|b| !b.url.is_empty()) {
                warnings.push("Button links are not sent: the web page's service worker decides what a button click opens.".into());
            }
        }
    }
    let mut webpush = Map::new();
    if !web_headers.is_empty() {
        webpush.insert("headers".into(), Value::Object(web_headers));
    }
    if !web_notification.is_empty() {
        webpush.insert("notification".into(), Value::Object(web_notification));
    }
    if !m.url.trim().is_empty() {
        if !m.url.trim().starts_with("https://") {
            return Err(DraftError::new(
                "message.url",
                "FCM opens only https:// links from a web notification",
            ));
        }
        webpush.insert("fcm_options".into(), json!({"link": m.url.trim()}));
        warnings.push("The link opens from web notifications; Android and iOS apps decide themselves what a tap opens.".into());
    }
    Ok((!webpush.is_empty()).then_some(webpush))
}

pub fn put(map: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        map.insert(key.into(), json!(value));
    }
}

/// FCM data is a string → string map: numbers and booleans are sent as their text, nested values
/// are refused.
pub fn data(
    input: &Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<Map<String, Value>, DraftError> {
    let mut out = Map::new();
    let mut converted = Vec::new();
    for (key, value) in input {
        if reserved_data_key(key) {
            return Err(DraftError::new(
                format!("message.data.{key}"),
                "is reserved by FCM (from, notification, message_type, google.*, gcm.*); rename it",
            ));
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => {
                converted.push(key.clone());
                n.to_string()
            }
            Value::Bool(b) => {
                converted.push(key.clone());
                b.to_string()
            }
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => {
                return Err(DraftError::new(
                    format!("message.data.{key}"),
                    "FCM data values must be strings: nested lists and objects are not allowed (send them as a JSON string)",
                ));
            }
        };
        out.insert(key.clone(), Value::String(text));
    }
    if !converted.is_empty() {
        warnings.push(format!(
            "FCM data values are strings: {} sent as text.",
            converted.join(", ")
        ));
    }
    Ok(out)
}

#[cfg(test)]
#[path = "live_activity_tests.rs"]
mod live_activity_tests;
