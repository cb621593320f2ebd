//! ntfy's publishing, as the sink reads it: the JSON form to the root URL and the plain form to
//! `/<topic>` with its headers, checked as ntfy's server checks them, into the message it echoes.

use serde_json::{Map, Value, json};

use super::errors::{
    ACTIONS_INVALID, ATTACHMENT_URL_INVALID, JSON_INVALID, NtfyError, PRIORITY_INVALID, TOO_LARGE,
    TOPIC_INVALID, short,
};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::ntfy::{MAX_ACTIONS, MAX_MESSAGE_BYTES};
use crate::sink::seam::Verdict;

/// ntfy keeps a message in its cache this long (the server default).
const CACHE_SECONDS: u64 = 12 * 3600;

/// ntfy.sh's attachment limit; a self-hosted server's `attachment-file-size-limit` defaults to
/// 15 MB, so a backend that fits ntfy.sh fits both.
const MAX_ATTACHMENT_BYTES: usize = 2 * 1024 * 1024;

/// ntfy's topic names: `[-_A-Za-z0-9]{1,64}`.
fn topic_ok(topic: &str) -> bool {
    (1..=64).contains(&topic.len())
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// `POST /` with the message as JSON.
pub(super) fn publish_json(
    arrival: &Arrival,
    verdict: &mut Verdict,
) -> Result<Value, &'static NtfyError> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&arrival.body) else {
        verdict.findings.push(Finding::fail(
            "the body is not a JSON object: publishing to the root URL takes the message as JSON (or publish plain text to /<topic>)",
        ));
        return Err(&JSON_INVALID);
    };
    verdict
        .findings
        .push(Finding::ok("JSON publish to the root URL"));
    let topic = body.get("topic").and_then(Value::as_str).unwrap_or("");
    if !topic_ok(topic) {
        verdict.findings.push(Finding::fail(format!(
            "topic “{topic}” is missing or not letters, digits, - and _ (up to 64)"
        )));
        return Err(&TOPIC_INVALID);
    }
    let mut message = Message::new(topic);
    for (key, value) in &body {
        match (key.as_str(), value) {
            ("topic", _) => {}
            (
                "message" | "title" | "click" | "attach" | "filename" | "icon" | "delay" | "email"
                | "call",
                Value::String(s),
            ) => {
                message.set(key, s);
            }
            ("priority", Value::Number(n)) => match n.as_u64() {
                Some(p @ 0..=5) => message.priority = p,
                _ => {
                    verdict.findings.push(Finding::fail(format!(
                        "priority {n} is not 1 to 5 (0 or absent: default)"
                    )));
                    return Err(&PRIORITY_INVALID);
                }
            },
            ("tags", Value::Array(tags)) => {
                message.tags = tags
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
            }
            ("markdown", Value::Bool(b)) => message.markdown = *b,
            ("actions", Value::Array(actions)) => {
                message.actions = check_actions(actions, verdict)?;
            }
            (other, v) => verdict.findings.push(Finding::warn(format!(
                "field “{other}” ({}) is not one ntfy reads from a JSON publish: it is ignored",
                kind_of(v)
            ))),
        }
    }
    message.check(verdict)?;
    Ok(message.to_json(arrival))
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// One option of a plain publish: its header (or an alias) or query parameter, as `readParam`.
fn param(arrival: &Arrival, names: &[&str]) -> Option<String> {
    for name in names {
        if let Some(v) = arrival.header(name) {
            return Some(v.trim().to_string());
        }
    }
    let query = arrival.query_pairs();
    names.iter().find_map(|name| {
        let bare = name.trim_start_matches("x-");
        query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(bare) || k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
    })
}

/// `POST /<topic>` with the message as the body and the options as headers.
pub(super) fn publish_plain(
    arrival: &Arrival,
    topic: &str,
    verdict: &mut Verdict,
) -> Result<Value, &'static NtfyError> {
    if !topic_ok(topic) {
        verdict.findings.push(Finding::fail(format!(
            "topic “{topic}” is not letters, digits, - and _ (up to 64)"
        )));
        return Err(&TOPIC_INVALID);
    }
    verdict
        .findings
        .push(Finding::ok(format!("plain publish to topic “{topic}”")));
    // A body ntfy keeps as an attachment (not text, or over the message limit) is held to the
    // attachment limit: ntfy refuses it whole with 41301.
    let attachment =
        arrival.body.len() > MAX_MESSAGE_BYTES || std::str::from_utf8(&arrival.body).is_err();
    if attachment && arrival.body.len() > MAX_ATTACHMENT_BYTES {
        verdict.findings.push(Finding::fail(format!(
            "the body is {} bytes: ntfy keeps a body over {MAX_MESSAGE_BYTES} bytes as an attachment, and ntfy.sh takes attachments up to 2 MB (a self-hosted server's attachment-file-size-limit defaults to 15 MB); send less, or link to the file with X-Attach",
            arrival.body.len()
        )));
        return Err(&TOO_LARGE);
    }
    let mut message = Message::new(topic);
    match std::str::from_utf8(&arrival.body) {
        Ok(text) => message.message = text.to_string(),
        Err(_) => verdict.findings.push(Finding::warn(
            "the body is not UTF-8 text: ntfy keeps it as an attachment, not as the message",
        )),
    }
    for (field, names) in [
        ("title", &["x-title", "title", "t"][..]),
        ("message", &["x-message", "message", "m"]),
        ("click", &["x-click", "click"]),
        ("attach", &["x-attach", "attach", "a"]),
        ("filename", &["x-filename", "filename", "file", "f"]),
        ("icon", &["x-icon", "icon"]),
        ("delay", &["x-delay", "delay", "x-at", "at", "x-in", "in"]),
        (
            "email",
            &["x-email", "x-e-mail", "email", "e-mail", "mail", "e"],
        ),
        ("call", &["x-call", "call"]),
    ] {
        if let Some(value) = param(arrival, names) {
            message.set(field, &value);
        }
    }
    if let Some(p) = param(arrival, &["x-priority", "priority", "prio", "p"]) {
        message.priority = match p.to_ascii_lowercase().as_str() {
            "1" | "min" => 1,
            "2" | "low" => 2,
            "" | "3" | "default" => 3,
            "4" | "high" => 4,
            "5" | "max" | "urgent" => 5,
            _ => {
                verdict.findings.push(Finding::fail(format!(
                    "X-Priority “{p}” is not 1–5 or min, low, default, high, max, urgent"
                )));
                return Err(&PRIORITY_INVALID);
            }
        };
    }
    if let Some(tags) = param(arrival, &["x-tags", "tags", "tag", "ta"]) {
        message.tags = tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
    }
    if let Some(md) = param(arrival, &["x-markdown", "markdown", "md"]) {
        message.markdown = matches!(md.to_ascii_lowercase().as_str(), "yes" | "1" | "true");
    }
    if arrival
        .header("content-type")
        .is_some_and(|c| c.starts_with("text/markdown"))
    {
        message.markdown = true;
    }
    if let Some(actions) = param(arrival, &["x-actions", "actions", "action"]) {
        message.actions = header_actions(&actions, verdict)?;
    }
    if arrival
        .headers
        .iter()
        .any(|(n, v)| n.starts_with("x-") && v.contains('\u{FFFD}'))
    {
        verdict.findings.push(Finding::warn(
            "a header value is not ASCII: ntfy garbles it; encode it as RFC 2047 (=?UTF-8?B?…?=) or publish as JSON",
        ));
    }
    message.check(verdict)?;
    Ok(message.to_json(arrival))
}

/// `X-Actions` in its short form (`view, Open, https://…; http, …`) or as JSON.
fn header_actions(text: &str, verdict: &mut Verdict) -> Result<Vec<Value>, &'static NtfyError> {
    if text.trim_start().starts_with('[') {
        return match serde_json::from_str::<Vec<Value>>(text) {
            Ok(list) => check_actions(&list, verdict),
            Err(e) => {
                verdict.findings.push(
                    Finding::fail("X-Actions is not a JSON list of actions")
                        .with_detail(e.to_string()),
                );
                Err(&ACTIONS_INVALID)
            }
        };
    }
    let list: Vec<Value> = text
        .split(';')
        .filter(|a| !a.trim().is_empty())
        .map(|a| {
            let parts: Vec<&str> = a.split(',').map(str::trim).collect();
            let mut action = Map::new();
            action.insert("action".into(), json!(parts.first().copied().unwrap_or("")));
            action.insert("label".into(), json!(parts.get(1).copied().unwrap_or("")));
            if let Some(url) = parts.get(2).filter(|u| !u.contains('=')) {
                action.insert("url".into(), json!(url));
            }
            Value::Object(action)
        })
        .collect();
    check_actions(&list, verdict)
}

fn check_actions(list: &[Value], verdict: &mut Verdict) -> Result<Vec<Value>, &'static NtfyError> {
    if list.len() > MAX_ACTIONS {
        verdict.findings.push(Finding::fail(format!(
            "{} actions: ntfy allows at most {MAX_ACTIONS}",
            list.len()
        )));
        return Err(&ACTIONS_INVALID);
    }
    for (i, a) in list.iter().enumerate() {
        let field = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").trim();
        let action = field("action");
        let problem = match action {
            "view" | "http" if field("url").is_empty() => Some("needs a url"),
            "view" | "http" | "broadcast" | "copy" => None,
            _ => Some("is not view, http, broadcast or copy"),
        };
        if let Some(problem) = problem.or(field("label").is_empty().then_some("needs a label")) {
            verdict.findings.push(Finding::fail(format!(
                "action {} (“{action}”) {problem}",
                i + 1
            )));
            return Err(&ACTIONS_INVALID);
        }
    }
    if !list.is_empty() {
        verdict
            .findings
            .push(Finding::ok(format!("{} action button(s)", list.len())));
    }
    Ok(list.to_vec())
}

/// The message as ntfy keeps it: what the success answer echoes.
#[derive(Default)]
struct Message {
    topic: String,
    message: String,
    priority: u64,
    tags: Vec<String>,
    markdown: bool,
    actions: Vec<Value>,
    strings: Vec<(&'static str, String)>,
}

impl Message {
    fn new(topic: &str) -> Self {
        Self {
            topic: topic.into(),
            ..Default::default()
        }
    }

    fn set(&mut self, field: &str, value: &str) {
        if field == "message" {
            self.message = value.to_string();
            return;
        }
        let known = [
            "title", "click", "attach", "filename", "icon", "delay", "email", "call",
        ];
        if let Some(name) = known.iter().find(|k| **k == field) {
            self.strings.retain(|(k, _)| k != name);
            self.strings.push((name, value.to_string()));
        }
    }

    fn get(&self, field: &str) -> Option<&str> {
        self.strings
            .iter()
            .find(|(k, _)| *k == field)
            .map(|(_, v)| v.as_str())
    }

    fn check(&self, verdict: &mut Verdict) -> Result<(), &'static NtfyError> {
        if self.message.is_empty() && self.get("attach").is_none() {
            verdict.findings.push(Finding::warn(
                "no message text: ntfy publishes the placeholder “triggered”",
            ));
        }
        if self.message.len() > MAX_MESSAGE_BYTES {
            verdict.findings.push(Finding::warn(format!(
                "the message is {} bytes: ntfy turns messages over {MAX_MESSAGE_BYTES} bytes into a text attachment",
                self.message.len()
            )));
        }
        if let Some(title) = self.get("title") {
            verdict
                .findings
                .push(Finding::ok(format!("title “{}”", short(title))));
        }
        if self.priority != 0 {
            verdict
                .findings
                .push(Finding::ok(format!("priority {}", self.priority)));
        }
        for (field, value) in &self.strings {
            let bad = url::Url::parse(value).is_err();
            match *field {
                "attach" if bad => {
                    verdict.findings.push(Finding::fail(format!(
                        "attach “{value}” is not a URL: ntfy refuses the message"
                    )));
                    return Err(&ATTACHMENT_URL_INVALID);
                }
                "click" | "icon" if bad => verdict.findings.push(Finding::warn(format!(
                    "{field} “{value}” is not a URL: phones cannot open it"
                ))),
                _ => {}
            }
        }
        Ok(())
    }

    fn to_json(&self, arrival: &Arrival) -> Value {
        let time = arrival
            .received_at
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let id: String = uuid::Uuid::new_v4()
            .simple()
            .to_string()
            .chars()
            .take(12)
            .collect();
        let mut m = Map::new();
        m.insert("id".into(), json!(id));
        m.insert("time".into(), json!(time));
        m.insert("expires".into(), json!(time + CACHE_SECONDS));
        m.insert("event".into(), json!("message"));
        m.insert("topic".into(), json!(self.topic));
        if let Some(title) = self.get("title") {
            m.insert("title".into(), json!(title));
        }
        m.insert(
            "message".into(),
            json!(if self.message.is_empty() && self.get("attach").is_none() {
                "triggered"
            } else {
                self.message.as_str()
            }),
        );
        if self.priority != 0 {
            m.insert("priority".into(), json!(self.priority));
        }
        if !self.tags.is_empty() {
            m.insert("tags".into(), json!(self.tags));
        }
        for field in ["click", "icon"] {
            if let Some(v) = self.get(field) {
                m.insert(field.into(), json!(v));
            }
        }
        if !self.actions.is_empty() {
            let actions: Vec<Value> = self
                .actions
                .iter()
                .enumerate()
                .map(|(i, a)| {
                    let mut a = a.clone();
                    a["id"] = json!(format!("{id}{i}"));
                    a
                })
                .collect();
            m.insert("actions".into(), json!(actions));
        }
        if let Some(url) = self.get("attach") {
            let name = self
                .get("filename")
                .map(str::to_string)
                .unwrap_or_else(|| url.rsplit('/').next().unwrap_or("attachment").to_string());
            m.insert("attachment".into(), json!({"name": name, "url": url}));
        }
        if self.markdown {
            m.insert("content_type".into(), json!("text/markdown"));
        }
        Value::Object(m)
    }
}
