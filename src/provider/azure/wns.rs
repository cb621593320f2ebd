//! The Windows formats (WNS toast, tile, badge and raw; retired MPNS) and the XML checks they
//! need: generated XML is escaped, raw XML must be well-formed.

use serde_json::{Map, Value, json};

use super::body::{OCTETS, Payload, XML, compact, payload, require_body};
use crate::draft::{Draft, DraftError, Fields};

/// WNS refuses raw notifications over 5 KB; APNs alerts over 4 KB.
pub const WNS_RAW_MAX: usize = 5 * 1024;

/// `options.raw` as XML text, checked well-formed.
pub fn raw_xml(raw: &Value) -> Result<String, DraftError> {
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

pub fn check_attributes(e: &quick_xml::events::BytesStart<'_>) -> Result<(), String> {
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

/// The qualified names of the root element and of its first child (`wp:Notification`,
/// `wp:Toast`), when the text is XML at all.
pub fn root_names(text: &str) -> Option<(String, Option<String>)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(text);
    let mut root: Option<String> = None;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                match root {
                    None => root = Some(name),
                    Some(r) => return Some((r, Some(name))),
                }
            }
            Ok(Event::Empty(e)) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                return Some(match root {
                    None => (name, None),
                    Some(r) => (r, Some(name)),
                });
            }
            Ok(Event::End(_)) | Ok(Event::Eof) | Err(_) => return root.map(|r| (r, None)),
            Ok(_) => {}
        }
    }
}

/// The WNS type of a raw payload the user gave without `options.wns_type`: the root element
/// names it (`<toast>`, `<tile>`, `<badge>`); text that is not XML at all goes as `wns/raw`.
/// Text that starts like XML stays XML (and is checked well-formed); an unknown root stays toast.
fn wns_type_of(raw: &Value) -> (&'static str, Option<String>) {
    let Value::String(text) = raw else {
        return ("raw", None);
    };
    if !text.trim_start().starts_with('<') {
        return ("raw", None);
    }
    match root_names(text) {
        Some((root, _)) => match root.as_str() {
            "toast" | "tile" | "badge" => {
                let kind = match root.as_str() {
                    "tile" => "tile",
                    "badge" => "badge",
                    _ => "toast",
                };
                (kind, Some(root))
            }
            _ => ("toast", None),
        },
        None => ("toast", None),
    }
}

pub fn windows(
    draft: &Draft,
    options: &Fields<'_>,
    raw: Option<&Value>,
    chosen: Option<&str>,
    ttl: Option<u64>,
    warnings: &mut Vec<String>,
) -> Result<Payload, DraftError> {
    let m = &draft.message;
    let wns_type = match (chosen, raw) {
        (Some(t), _) => t,
        (None, Some(raw)) => {
            let (kind, root) = wns_type_of(raw);
            match root {
                Some(root) => warnings.push(format!(
                    "X-WNS-Type wns/{kind} taken from the payload's <{root}> root."
                )),
                None if kind == "raw" => warnings.push(
                    "X-WNS-Type wns/raw (application/octet-stream) taken from the payload, which is not XML.".into(),
                ),
                None => {}
            }
            kind
        }
        (None, None) => "toast",
    };
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

pub fn toast_xml(draft: &Draft) -> String {
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

pub fn tile_xml(draft: &Draft) -> String {
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

pub fn windowsphone(
    draft: &Draft,
    raw: Option<&Value>,
    warnings: &mut Vec<String>,
) -> Result<Payload, DraftError> {
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
    // MPNS: a toast is target `toast`, class 2; a tile is target `token`, class 1.
    let (target, class) = match raw.and(root_names(&body)) {
        Some((_, Some(child))) if child.rsplit(':').next() == Some("Tile") => {
            warnings.push(format!(
                "X-WindowsPhone-Target token and X-NotificationClass 1 taken from the payload's <{child}>."
            ));
            ("token", "1")
        }
        _ => ("toast", "2"),
    };
    let mut p = payload(XML, body);
    p.headers
        .push(("X-WindowsPhone-Target".into(), target.into()));
    p.headers.push(("X-NotificationClass".into(), class.into()));
    Ok(p)
}
