//! A local Telegram Bot API on 127.0.0.1 (wiremock) that serves `/bot<token>/<method>`, checks every
//! parameter of every call against the Bot API description in `tests/fixtures/specs/telegram-bot-api.json`
//! (names, required ones, types, nested objects such as the inline keyboard), and answers as
//! Telegram does: ok results, 400 "chat not found" / "can't parse entities", 401, 403 "bot was
//! blocked by the user", 409 for getUpdates while a webhook is set, 429 with retry_after.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Mutex, OnceLock};

use super::server::{Api, Record, Reply, Seen, StandIn};
use serde_json::{Map, Value, json};

pub const TOKEN: &str = "7012345678:AAHstandInTokenForPushdeckTests_0123";
pub const WRONG_TOKEN: &str = "7012345678:AAHwrongwrongwrongwrongwrongwrong_99";
pub const BOT_NAME: &str = "Acme Alerts";
pub const BOT_USERNAME: &str = "acme_alerts_bot";

/// Chats the stand-in knows, and how it treats them.
pub const ADA: i64 = 42;
pub const CHANNEL: &str = "@acme_news";
pub const CHANNEL_ID: i64 = -1_001_234_567_890;
pub const BLOCKED: i64 = 403_403;
/// A chat that is rate limited once (retry_after 1), then accepts.
pub const FLOODED: i64 = 429_429;
/// Private chats that all accept a message (a bot's subscribers, for a long list).
pub const FANS: std::ops::Range<i64> = 7_000_000..7_010_000;
/// A channel where the bot may not post.
pub const READ_ONLY_CHANNEL: &str = "@acme_readonly";

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/specs/telegram-bot-api.json");
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("the Bot API spec at {}: {e}", path.display()));
        serde_json::from_str(&text).expect("the Bot API spec is JSON")
    })
}

/// Checks a call's parameters against the method's fields in the spec (names, required ones,
/// types, nested objects such as the inline keyboard), with the Bot API checks the sink uses.
fn check_fields(obj: &Map<String, Value>, fields: &[Value], path: &str) -> Result<(), String> {
    pushdeck::sink::BotApi::new(spec()).check_fields(obj, fields, path)
}

/// One Bot API call the stand-in received (a path it could read, with parameters it could parse).
#[derive(Debug, Clone)]
pub struct Call {
    /// When it arrived: a test checks Telegram's pace from these.
    pub at: std::time::Instant,
    pub http_method: String,
    pub token: String,
    pub method: String,
    pub params: Value,
}

/// The Bot API for one bot: its webhook, pending updates and the calls it received.
pub struct Telegram {
    token: String,
    webhook: Mutex<Option<String>>,
    updates: Mutex<Vec<Value>>,
    calls: Mutex<Vec<Call>>,
    next_message: AtomicI64,
    flooded_once: Mutex<BTreeSet<String>>,
    /// How long each answer waits after its request arrived (a slow Bot API).
    delay: Mutex<Option<std::time::Duration>>,
}

pub type TelegramStandIn = StandIn<Telegram>;

fn answer(status: u16, body: Value) -> Reply {
    Reply::new(status).set_body_raw(body.to_string(), "application/json")
}

fn error(code: u16, description: &str) -> Reply {
    answer(
        code,
        json!({"ok": false, "error_code": code, "description": description}),
    )
}

fn ok(result: Value) -> Reply {
    answer(200, json!({"ok": true, "result": result}))
}

/// Parameters from the query string, a form or a JSON body. Query and form values are strings;
/// they are read as JSON when they parse (numbers, booleans, serialized objects), as Telegram does.
fn params(request: &Seen) -> Result<Map<String, Value>, String> {
    let mut map = Map::new();
    for (k, v) in request.query_pairs() {
        map.insert(k.to_string(), coerce(&v));
    }
    let content_type = request
        .header("content-type")
        .unwrap_or("")
        .to_ascii_lowercase();
    if request.body.is_empty() {
        return Ok(map);
    }
    if content_type.starts_with("application/json") {
        match serde_json::from_slice::<Value>(&request.body) {
            Ok(Value::Object(body)) => map.extend(body),
            _ => return Err("the JSON body is not an object".into()),
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        for (k, v) in url::form_urlencoded::parse(&request.body) {
            map.insert(k.to_string(), coerce(&v));
        }
    } else {
        return Err(format!("unsupported Content-Type `{content_type}`"));
    }
    Ok(map)
}

fn coerce(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// Roughly what Telegram counts after entity parsing (UTF-16 units): tags and markers are not shown,
/// an HTML entity or a MarkdownV2 escape is one character.
fn shown_len(text: &str, mode: Option<&str>) -> usize {
    let mut shown = String::new();
    match mode {
        Some("HTML") => {
            let mut in_tag = false;
            let mut rest = text;
            while let Some(c) = rest.chars().next() {
                if c == '<' {
                    in_tag = true;
                } else if c == '>' && in_tag {
                    in_tag = false;
                } else if !in_tag {
                    if c == '&'
                        && let Some(end) = rest.find(';').filter(|e| *e < 10)
                    {
                        shown.push('&');
                        rest = &rest[end + 1..];
                        continue;
                    }
                    shown.push(c);
                }
                rest = &rest[c.len_utf8()..];
            }
        }
        Some("MarkdownV2") => {
            let mut escaped = false;
            for c in text.chars() {
                if escaped {
                    shown.push(c);
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if !"*_~|`".contains(c) {
                    shown.push(c);
                }
            }
        }
        Some("Markdown") => shown.extend(text.chars().filter(|c| !"*_`\\".contains(*c))),
        _ => shown.push_str(text),
    }
    shown.encode_utf16().count()
}

/// The stand-in's own, deliberately simple reading of formatting errors (independent of the app's
/// checker): what Telegram answers for the most common mistakes.
fn parse_error(text: &str, mode: Option<&str>) -> Option<String> {
    match mode {
        Some("MarkdownV2") => {
            let mut escaped = false;
            for (offset, c) in text.char_indices() {
                if escaped {
                    escaped = false;
                    continue;
                }
                if c == '\\' {
                    escaped = true;
                } else if "#+-={}.!".contains(c) {
                    return Some(format!(
                        "Bad Request: can't parse entities: Character '{c}' is reserved and must be escaped with the preceding '\\' (byte offset {offset})"
                    ));
                }
            }
            None
        }
        Some("Markdown") => markdown_error(text),
        Some("HTML") => {
            let tags = [
                "b",
                "strong",
                "i",
                "em",
                "u",
                "ins",
                "s",
                "strike",
                "del",
                "span",
                "tg-spoiler",
                "a",
                "tg-emoji",
                "code",
                "pre",
                "blockquote",
            ];
            for (offset, _) in text.match_indices('<') {
                let rest = &text[offset + 1..];
                let name: String = rest
                    .trim_start_matches('/')
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                if !tags.contains(&name.to_ascii_lowercase().as_str()) {
                    return Some(format!(
                        "Bad Request: can't parse entities: Unsupported start tag \"{name}\" at byte offset {offset}"
                    ));
                }
            }
            None
        }
        _ => None,
    }
}

/// Legacy Markdown as Telegram's parser reads it: an entity runs to the next copy of its marker
/// (`]` for `[`, ```` ``` ```` for a pre block), with no nesting and no escapes inside.
fn markdown_error(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b'\\' && bytes.get(i + 1).is_some_and(|n| b"_*`[".contains(n)) {
            i += 2;
            continue;
        }
        if !b"_*`[".contains(&c) {
            i += 1;
            continue;
        }
        let begin = i;
        let end = match c {
            b'[' => "]",
            b'`' if text[i..].starts_with("```") => "```",
            b'`' => "`",
            b'*' => "*",
            _ => "_",
        };
        let width = end.len();
        let Some(found) = text[i + width..].find(end) else {
            return Some(format!(
                "Bad Request: can't parse entities: Can't find end of the entity starting at byte offset {begin}"
            ));
        };
        i += width + found + width;
        if c == b'[' && bytes.get(i) == Some(&b'(') {
            match text[i..].find(')') {
                Some(close) => i += close + 1,
                None => {
                    return Some(format!(
                        "Bad Request: can't parse entities: Can't find end of a URL at byte offset {}",
                        i + 1
                    ));
                }
            }
        }
    }
    None
}

impl Api for Telegram {
    const NAME: &'static str = "Telegram";

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        let reply = self.answer_now(request, record);
        match *self.delay.lock().expect("lock") {
            Some(delay) => reply.set_delay(delay),
            None => reply,
        }
    }
}

impl Telegram {
    fn answer_now(&self, request: &Seen, record: &Record) -> Reply {
        let path = request.path.as_str().to_string();
        let Some((token, method)) = path
            .strip_prefix("/bot")
            .and_then(|rest| rest.split_once('/'))
        else {
            return error(404, "Not Found");
        };
        let params = match params(request) {
            Ok(p) => p,
            Err(e) => {
                record.problem(e.clone());
                return error(400, &format!("Bad Request: {e}"));
            }
        };
        self.calls.lock().expect("lock").push(Call {
            at: std::time::Instant::now(),
            http_method: request.method.to_string(),
            token: token.to_string(),
            method: method.to_string(),
            params: Value::Object(params.clone()),
        });
        if token != self.token {
            return error(401, "Unauthorized");
        }
        let methods = spec()["methods"].as_object().expect("methods");
        let Some((name, def)) = methods.iter().find(|(n, _)| n.eq_ignore_ascii_case(method)) else {
            record.problem(format!("unknown method {method}"));
            return error(404, "Not Found");
        };
        let fields = def["fields"].as_array().cloned().unwrap_or_default();
        if let Err(e) = check_fields(&params, &fields, name) {
            record.problem(e.clone());
            return error(400, &format!("Bad Request: {e}"));
        }
        self.call(name, &params, record)
    }
}

impl Telegram {
    fn call(&self, method: &str, p: &Map<String, Value>, record: &Record) -> Reply {
        match method {
            "getMe" => ok(
                json!({"id": 7_012_345_678_i64, "is_bot": true, "first_name": BOT_NAME,
                "username": BOT_USERNAME, "can_join_groups": true, "can_read_all_group_messages": false,
                "supports_inline_queries": false}),
            ),
            "getUpdates" => {
                if self.webhook.lock().expect("lock").is_some() {
                    return error(
                        409,
                        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
                    );
                }
                let mut updates = self.updates.lock().expect("lock");
                // As the Bot API documents: a positive offset confirms (forgets) every update below
                // it; a negative one keeps only the last -offset updates, forgetting the rest.
                match p.get("offset").and_then(Value::as_i64) {
                    Some(offset) if offset > 0 => {
                        updates.retain(|u| u["update_id"].as_i64().is_some_and(|id| id >= offset));
                    }
                    Some(offset) if offset < 0 => {
                        let keep = usize::try_from(offset.unsigned_abs()).unwrap_or(usize::MAX);
                        let forget = updates.len().saturating_sub(keep);
                        updates.drain(..forget);
                    }
                    _ => {}
                }
                let limit = p.get("limit").and_then(Value::as_u64).unwrap_or(100);
                if !(1..=100).contains(&limit) {
                    record.problem(format!("getUpdates limit {limit} is outside 1-100"));
                }
                let limit = usize::try_from(limit.clamp(1, 100)).unwrap_or(100);
                ok(Value::Array(updates.iter().take(limit).cloned().collect()))
            }
            "getWebhookInfo" => {
                let url = self.webhook.lock().expect("lock").clone();
                match url {
                    Some(url) => ok(json!({"url": url, "has_custom_certificate": false,
                        "pending_update_count": self.updates.lock().expect("lock").len(),
                        "last_error_date": 1_790_000_000, "last_error_message": "Connection timed out",
                        "max_connections": 40})),
                    None => ok(
                        json!({"url": "", "has_custom_certificate": false, "pending_update_count": 0}),
                    ),
                }
            }
            "deleteWebhook" => {
                *self.webhook.lock().expect("lock") = None;
                answer(
                    200,
                    json!({"ok": true, "result": true, "description": "Webhook was deleted"}),
                )
            }
            "setWebhook" => {
                let url = p.get("url").and_then(Value::as_str).unwrap_or("");
                if !url.starts_with("https://") {
                    return error(
                        400,
                        "Bad Request: bad webhook: An HTTPS URL must be provided for webhook",
                    );
                }
                *self.webhook.lock().expect("lock") = Some(url.to_string());
                answer(
                    200,
                    json!({"ok": true, "result": true, "description": "Webhook was set"}),
                )
            }
            "sendMessage" | "sendPhoto" => self.send(method, p),
            other => {
                record.problem(format!("unexpected method {other}"));
                error(400, "Bad Request: method not played by the stand-in")
            }
        }
    }

    fn send(&self, method: &str, p: &Map<String, Value>) -> Reply {
        let chat = p.get("chat_id").cloned().unwrap_or(Value::Null);
        let chat_key = match &chat {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let text_key = if method == "sendPhoto" {
            "caption"
        } else {
            "text"
        };
        let text = p.get(text_key).and_then(Value::as_str).unwrap_or("");
        if method == "sendMessage" && text.trim().is_empty() {
            return error(400, "Bad Request: message text is empty");
        }
        let limit = if method == "sendPhoto" { 1024 } else { 4096 };
        if shown_len(text, p.get("parse_mode").and_then(Value::as_str)) > limit {
            return error(
                400,
                if method == "sendPhoto" {
                    "Bad Request: message caption is too long"
                } else {
                    "Bad Request: message is too long"
                },
            );
        }
        if let Some(e) = parse_error(text, p.get("parse_mode").and_then(Value::as_str)) {
            return error(400, &e);
        }
        let chat_obj = match chat_key.as_str() {
            "42" => json!({"id": ADA, "type": "private", "first_name": "Ada", "username": "ada"}),
            "@acme_news" => {
                json!({"id": CHANNEL_ID, "type": "channel", "title": "Acme News", "username": "acme_news"})
            }
            "-1001234567890" => {
                json!({"id": CHANNEL_ID, "type": "channel", "title": "Acme News", "username": "acme_news"})
            }
            "403403" => return error(403, "Forbidden: bot was blocked by the user"),
            "@acme_readonly" => {
                return error(
                    400,
                    "Bad Request: not enough rights to send text messages to the chat",
                );
            }
            "429429" => {
                if self
                    .flooded_once
                    .lock()
                    .expect("lock")
                    .insert(chat_key.clone())
                {
                    return answer(
                        429,
                        json!({"ok": false, "error_code": 429,
                        "description": "Too Many Requests: retry after 1", "parameters": {"retry_after": 1}}),
                    );
                }
                json!({"id": FLOODED, "type": "private", "first_name": "Flo"})
            }
            fan if fan.parse().is_ok_and(|n| FANS.contains(&n)) => {
                json!({"id": fan.parse::<i64>().unwrap_or_default(), "type": "private", "first_name": "Fan"})
            }
            _ => return error(400, "Bad Request: chat not found"),
        };
        let id = self.next_message.fetch_add(1, Ordering::SeqCst);
        let mut message = json!({"message_id": id, "date": 1_790_000_000, "chat": chat_obj});
        if method == "sendPhoto" {
            message["photo"] = json!([{"file_id": "AgACAgQAAx0", "file_unique_id": "AQAD", "width": 320, "height": 240}]);
            if !text.is_empty() {
                message["caption"] = json!(text);
            }
        } else {
            message["text"] = json!(text);
        }
        ok(message)
    }
}

/// One above the last update's id (ids keep growing after older updates are forgotten).
fn next_update_id(updates: &[Value]) -> i64 {
    updates
        .last()
        .and_then(|u| u["update_id"].as_i64())
        .map_or(1000, |id| id + 1)
}

impl TelegramStandIn {
    /// Starts on 127.0.0.1 (wiremock serves from a thread of its own). Call it outside async code.
    pub fn start() -> Self {
        Self::start_with_delay(None)
    }

    /// A slow Bot API: every answer comes `delay` after its request arrived.
    pub fn start_slow(delay: std::time::Duration) -> Self {
        Self::start_with_delay(Some(delay))
    }

    fn start_with_delay(delay: Option<std::time::Duration>) -> Self {
        let _ = spec(); // fail early and clearly when the spec is missing
        Self::serve(Telegram {
            token: TOKEN.to_string(),
            webhook: Mutex::new(None),
            updates: Mutex::new(Vec::new()),
            calls: Mutex::new(Vec::new()),
            next_message: AtomicI64::new(100),
            flooded_once: Mutex::new(BTreeSet::new()),
            delay: Mutex::new(delay),
        })
    }

    /// From now on, answers wait `delay` (`None`: at once).
    pub fn set_delay(&self, delay: Option<std::time::Duration>) {
        *self.api().delay.lock().expect("lock") = delay;
    }

    /// The Bot API calls received, in order.
    pub fn calls(&self) -> Vec<Call> {
        self.api().calls.lock().expect("lock").clone()
    }

    pub fn set_webhook(&self, url: Option<&str>) {
        *self.api().webhook.lock().expect("lock") = url.map(str::to_string);
    }

    pub fn webhook(&self) -> Option<String> {
        self.api().webhook.lock().expect("lock").clone()
    }

    /// Someone in a private chat sends `text` (e.g. `/start TOKEN` from a deep link).
    pub fn private_message(&self, chat_id: i64, first_name: &str, username: &str, text: &str) {
        let mut updates = self.api().updates.lock().expect("lock");
        let update_id = next_update_id(&updates);
        updates.push(json!({"update_id": update_id, "message": {"message_id": update_id, "date": 1_790_000_000,
            "from": {"id": chat_id, "is_bot": false, "first_name": first_name, "username": username},
            "chat": {"id": chat_id, "type": "private", "first_name": first_name, "username": username},
            "text": text}}));
    }

    /// The bot was added to a channel.
    pub fn added_to_channel(&self, chat_id: i64, title: &str) {
        let mut updates = self.api().updates.lock().expect("lock");
        let update_id = next_update_id(&updates);
        updates.push(json!({"update_id": update_id, "my_chat_member": {"chat": {"id": chat_id, "type": "channel", "title": title},
            "from": {"id": 1, "is_bot": false, "first_name": "Owner"}, "date": 1_790_000_000,
            "old_chat_member": {"status": "left", "user": {"id": 7_012_345_678_i64, "is_bot": true, "first_name": BOT_NAME}},
            "new_chat_member": {"status": "administrator", "user": {"id": 7_012_345_678_i64, "is_bot": true, "first_name": BOT_NAME}}}}));
    }
}
