//! The notification body, Content-Type and platform headers for each `ServiceBusNotification-Format`
//! (providers.md §2.4–2.5), generated from the message or taken from `options.raw` after a
//! well-formedness check.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

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

const JSON: &str = "application/json;charset=utf-8";
const XML: &str = "application/xml;charset=utf-8";
const OCTETS: &str = "application/octet-stream";
/// WNS refuses raw notifications over 5 KB; APNs alerts over 4 KB.
const WNS_RAW_MAX: usize = 5 * 1024;
const APNS_MAX: usize = 4 * 1024;

/// A generated or raw payload with what goes with it on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Payload {
    pub format: &'static str,
    pub content_type: &'static str,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

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
        "windows" => windows(draft, &options, raw, wns_type.unwrap_or("toast"), ttl)?,
        "windowsphone" => {
            warnings.push("Format windowsphone (MPNS) is retired by Microsoft: nothing is delivered to new devices.".into());
            windowsphone(draft, raw)?
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

fn payload(content_type: &'static str, body: String) -> Payload {
    Payload {
        format: "",
        content_type,
        headers: Vec::new(),
        body,
    }
}

fn compact(v: &Value) -> String {
    // Plain data with string keys always serializes.
    serde_json::to_string(v).unwrap_or_default()
}

/// `options.raw` as XML text, checked well-formed.
fn raw_xml(raw: &Value) -> Result<String, DraftError> {
    let Value::String(text) = raw else {
        return Err(DraftError::new(
            "options.raw",
            "must be a string of XML for this format",
        ));
    };
    check_xml(text).map_err(|e| DraftError::new("options.raw", format!("invalid XML: {e}")))?;
    Ok(text.clone())
}

/// True when the text is one well-formed XML element (with an optional declaration).
pub fn check_xml(text: &str) -> Result<(), String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut depth = 0usize;
    let mut roots = 0usize;
    loop {
        let position = reader.buffer_position();
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                check_attributes(&e)?;
                if depth == 0 {
                    roots += 1;
                }
                depth += 1;
            }
            Ok(Event::Empty(e)) => {
                check_attributes(&e)?;
                if depth == 0 {
                    roots += 1;
                }
            }
            Ok(Event::End(_)) => depth = depth.saturating_sub(1),
            Ok(Event::Text(t)) if depth == 0 => {
                if !t.iter().all(u8::is_ascii_whitespace) {
                    return Err(format!("text outside the root element at byte {position}"));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(format!("{e} (near byte {})", reader.error_position())),
        }
        if roots > 1 {
            return Err(format!("more than one root element (at byte {position})"));
        }
    }
    if depth > 0 {
        return Err("an element is not closed".into());
    }
    if roots == 0 {
        return Err("there is no element".into());
    }
    Ok(())
}

fn check_attributes(e: &quick_xml::events::BytesStart<'_>) -> Result<(), String> {
    for attribute in e.attributes() {
        attribute.map_err(|err| {
            format!(
                "bad attribute in <{}>: {err}",
                String::from_utf8_lossy(e.name().as_ref())
            )
        })?;
    }
    Ok(())
}

pub fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// FCM and ADM `data` values must be strings; other JSON becomes its text.
fn string_map(data: &Map<String, Value>) -> Map<String, Value> {
    data.iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => compact(other),
            };
            (k.clone(), Value::String(s))
        })
        .collect()
}

fn require_body(draft: &Draft) -> Result<(), DraftError> {
    if draft.message.body.trim().is_empty() && !draft.message.silent {
        return Err(DraftError::new(
            "message.body",
            "is required (or make the message silent, or give options.raw)",
        ));
    }
    Ok(())
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
            if !map.contains_key("aps") {
                return Err(DraftError::new(
                    "options.raw",
                    "an apple payload needs an `aps` object",
                ));
            }
            Value::Object(map)
        }
        None => {
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
            Value::Object(body)
        }
    };
    let silent = m.silent
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

fn windows(
    draft: &Draft,
    options: &Fields<'_>,
    raw: Option<&Value>,
    wns_type: &str,
    ttl: Option<u64>,
) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let mut p = if wns_type == "raw" {
        let body = match raw {
            Some(Value::String(s)) => s.clone(),
            Some(other) => compact(other),
            None => {
                require_body(draft)?;
                let mut b = Map::new();
                for (k, v) in [("title", &m.title), ("body", &m.body), ("url", &m.url)] {
                    if !v.is_empty() {
                        b.insert(k.into(), json!(v));
                    }
                }
                if !m.data.is_empty() {
                    b.insert("data".into(), Value::Object(m.data.clone()));
                }
                compact(&Value::Object(b))
            }
        };
        if body.len() > WNS_RAW_MAX {
            return Err(DraftError::new(
                if raw.is_some() {
                    "options.raw"
                } else {
                    "message"
                },
                format!(
                    "a WNS raw notification is at most {WNS_RAW_MAX} bytes; this is {}",
                    body.len()
                ),
            ));
        }
        payload(OCTETS, body)
    } else {
        let body = match raw {
            Some(raw) => raw_xml(raw)?,
            None => match wns_type {
                "tile" => {
                    require_body(draft)?;
                    tile_xml(draft)
                }
                "badge" => {
                    let Some(value) = options.u64("badge")? else {
                        return Err(DraftError::new(
                            "options.badge",
                            "a badge notification needs a number",
                        ));
                    };
                    format!("<badge value=\"{value}\"/>")
                }
                _ => {
                    require_body(draft)?;
                    toast_xml(draft)
                }
            },
        };
        payload(XML, body)
    };
    p.headers
        .push(("X-WNS-Type".into(), format!("wns/{wns_type}")));
    if let Some(ttl) = ttl {
        p.headers.push(("X-WNS-TTL".into(), ttl.to_string()));
    }
    Ok(p)
}

fn toast_xml(draft: &Draft) -> String {
    let m = &draft.message;
    let mut x = String::from("<toast");
    if !m.url.is_empty() {
        x.push_str(&format!(
            " activationType=\"protocol\" launch=\"{}\"",
            escape(&m.url)
        ));
    }
    x.push_str("><visual><binding template=\"ToastGeneric\">");
    for text in [&m.title, &m.subtitle, &m.body] {
        if !text.trim().is_empty() {
            x.push_str(&format!("<text>{}</text>", escape(text)));
        }
    }
    if !m.icon.is_empty() {
        x.push_str(&format!(
            "<image placement=\"appLogoOverride\" src=\"{}\"/>",
            escape(&m.icon)
        ));
    }
    if !m.image.is_empty() {
        x.push_str(&format!(
            "<image placement=\"hero\" src=\"{}\"/>",
            escape(&m.image)
        ));
    }
    x.push_str("</binding></visual>");
    if !m.buttons.is_empty() {
        x.push_str("<actions>");
        for b in &m.buttons {
            if b.url.is_empty() {
                x.push_str(&format!(
                    "<action content=\"{}\" arguments=\"{}\" activationType=\"foreground\"/>",
                    escape(&b.label),
                    escape(&b.id)
                ));
            } else {
                x.push_str(&format!(
                    "<action content=\"{}\" arguments=\"{}\" activationType=\"protocol\"/>",
                    escape(&b.label),
                    escape(&b.url)
                ));
            }
        }
        x.push_str("</actions>");
    }
    if m.silent {
        x.push_str("<audio silent=\"true\"/>");
    }
    x.push_str("</toast>");
    x
}

fn tile_xml(draft: &Draft) -> String {
    let m = &draft.message;
    let mut inner = String::new();
    if !m.image.is_empty() {
        inner.push_str(&format!(
            "<image placement=\"background\" src=\"{}\"/>",
            escape(&m.image)
        ));
    }
    if !m.title.trim().is_empty() {
        inner.push_str(&format!(
            "<text hint-style=\"subtitle\">{}</text>",
            escape(&m.title)
        ));
    }
    inner.push_str(&format!(
        "<text hint-style=\"captionSubtle\" hint-wrap=\"true\">{}</text>",
        escape(&m.body)
    ));
    let bindings: String = ["TileMedium", "TileWide", "TileLarge"]
        .iter()
        .map(|t| format!("<binding template=\"{t}\">{inner}</binding>"))
        .collect();
    format!("<tile><visual>{bindings}</visual></tile>")
}

fn windowsphone(draft: &Draft, raw: Option<&Value>) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let body = match raw {
        Some(raw) => raw_xml(raw)?,
        None => {
            require_body(draft)?;
            let param = if m.url.is_empty() {
                String::new()
            } else {
                format!("<wp:Param>{}</wp:Param>", escape(&m.url))
            };
            format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\"><wp:Toast><wp:Text1>{}</wp:Text1><wp:Text2>{}</wp:Text2>{param}</wp:Toast></wp:Notification>",
                escape(&m.title),
                escape(&m.body)
            )
        }
    };
    let mut p = payload(XML, body);
    p.headers
        .push(("X-WindowsPhone-Target".into(), "toast".into()));
    p.headers.push(("X-NotificationClass".into(), "2".into()));
    Ok(p)
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
