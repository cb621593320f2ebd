//! What Telegram checks in a message beyond parameter types (providers.md §3.2–3.4): the chat,
//! the parse mode and its markup (with the provider's own MarkdownV2/HTML/Markdown checkers), the
//! length after entity parsing, the photo; and the `Message` it answers with.

use serde_json::{Map, Value, json};

use super::{Failure, Step};
use crate::finding::Finding;
use crate::provider::telegram::markup::telegram_len;
use crate::provider::telegram::{
    CALLBACK_DATA_LIMIT, CAPTION_LIMIT, ChatId, ParseMode, TEXT_LIMIT, check_photo, parse_chat,
    visible_text,
};

/// The chat a message goes to, or Telegram's "chat not found".
pub fn chat(params: &Map<String, Value>, step: &mut Step) -> Option<ChatId> {
    let parsed = match params.get("chat_id")? {
        Value::Number(n) => match n.as_i64() {
            Some(id) if id != 0 => Ok(ChatId::Id(id)),
            _ => Err(format!("{n} is not a chat id")),
        },
        Value::String(s) => parse_chat(s.trim()),
        other => Err(format!("{other} is not a chat id")),
    };
    match parsed {
        Ok(chat) => {
            step.findings
                .push(Finding::ok(format!("chat_id {}", chat.label())));
            Some(chat)
        }
        Err(e) => {
            step.refuse(Failure::bad_request(e, "Bad Request: chat not found"));
            None
        }
    }
}

fn parse_mode(params: &Map<String, Value>, step: &mut Step) -> Option<ParseMode> {
    let Some(mode) = params.get("parse_mode").and_then(Value::as_str) else {
        return Some(ParseMode::Plain);
    };
    let found = [ParseMode::MarkdownV2, ParseMode::Html, ParseMode::Markdown]
        .into_iter()
        .find(|m| {
            m.wire()
                .is_some_and(|w| w.eq_ignore_ascii_case(mode.trim()))
        });
    match (found, mode.trim()) {
        (Some(m), _) => Some(m),
        (None, "") => Some(ParseMode::Plain),
        (None, other) => {
            step.refuse(Failure::bad_request(
                format!("parse_mode `{other}` is not MarkdownV2, HTML or Markdown"),
                format!("Bad Request: unsupported parse_mode \"{other}\""),
            ));
            None
        }
    }
}

/// Text or caption: parsed in its mode, then counted as Telegram counts (UTF-16, after
/// entities). Returns the text as the chat shows it.
pub fn text(
    params: &Map<String, Value>,
    field: &str,
    limit: usize,
    step: &mut Step,
) -> Option<String> {
    let raw = params.get(field).and_then(Value::as_str)?;
    let mode = parse_mode(params, step)?;
    if mode != ParseMode::Plain
        && params.contains_key(if field == "text" {
            "entities"
        } else {
            "caption_entities"
        })
    {
        step.findings.push(Finding::warn(format!(
            "both parse_mode and explicit entities for {field}: Telegram uses the entities and does not parse the markup"
        )));
    }
    let shown = match visible_text(raw, mode) {
        Ok(shown) => shown,
        Err(e) => {
            step.refuse(Failure::bad_request(
                format!(
                    "{field} does not parse as {}: {e}",
                    mode.wire().unwrap_or("plain text")
                ),
                format!("Bad Request: can't parse entities: {}", e.message),
            ));
            return None;
        }
    };
    let length = telegram_len(&shown);
    if field == "text" && shown.trim().is_empty() {
        step.refuse(Failure::bad_request(
            "the text shows nothing once its markup is parsed",
            "Bad Request: message text is empty",
        ));
    } else if length > limit {
        let description = if field == "text" {
            "Bad Request: message is too long"
        } else {
            "Bad Request: message caption is too long"
        };
        step.refuse(Failure::bad_request(
            format!("{field} is {length} characters after entity parsing; Telegram allows {limit}"),
            description,
        ));
    } else {
        let how = mode
            .wire()
            .map_or(String::new(), |m| format!(" ({m} parsed)"));
        step.findings.push(Finding::ok(format!(
            "{field}: {length} of {limit} characters{how}"
        )));
    }
    Some(shown)
}

/// Inline keyboard rules the type check cannot see: callback data size.
pub fn keyboard(params: &Map<String, Value>, step: &mut Step) {
    let Some(rows) = params
        .get("reply_markup")
        .and_then(|m| m.get("inline_keyboard"))
        .and_then(Value::as_array)
    else {
        return;
    };
    let buttons = rows.iter().filter_map(Value::as_array).flatten();
    for button in buttons {
        if let Some(data) = button.get("callback_data").and_then(Value::as_str)
            && (data.is_empty() || data.len() > CALLBACK_DATA_LIMIT)
        {
            step.refuse(Failure::bad_request(
                format!(
                    "callback_data is {} bytes; Telegram takes 1-{CALLBACK_DATA_LIMIT}",
                    data.len()
                ),
                "Bad Request: BUTTON_DATA_INVALID",
            ));
        }
    }
}

/// The photo parameter: a URL Telegram downloads, or a file_id.
pub fn photo(params: &Map<String, Value>, step: &mut Step) {
    let Some(photo) = params.get("photo").and_then(Value::as_str) else {
        return;
    };
    match check_photo(photo.trim()) {
        Ok(()) if photo.contains("://") => step.findings.push(Finding::ok(
            "photo by URL: Telegram downloads it (at most 5 MB for photos)",
        )),
        Ok(()) => step.findings.push(Finding::warn(
            "photo is a file_id: the sink cannot know whether Telegram has that file",
        )),
        Err(e) => step.refuse(Failure::bad_request(
            format!("photo {}", e.message),
            "Bad Request: wrong file identifier/HTTP URL specified",
        )),
    }
}

pub fn text_limit(method: &str) -> (&'static str, usize) {
    if method == "sendPhoto" {
        ("caption", CAPTION_LIMIT)
    } else {
        ("text", TEXT_LIMIT)
    }
}

/// The chat object Telegram returns for `chat`.
fn chat_object(chat: &ChatId) -> Value {
    match chat {
        ChatId::Id(id) if *id > 0 => json!({"id": id, "first_name": "Sink", "type": "private"}),
        ChatId::Id(id) if *id <= -1_000_000_000_000 => {
            json!({"id": id, "title": "Sink supergroup", "type": "supergroup"})
        }
        ChatId::Id(id) => json!({"id": id, "title": "Sink group", "type": "group"}),
        ChatId::Username(name) => {
            // A stable id per channel name, in the -100… range channels have.
            let n = name
                .bytes()
                .fold(0i64, |h, b| (h * 31 + i64::from(b)) % 1_000_000_000);
            json!({"id": -1_000_000_000_000 - n, "title": name.trim_start_matches('@'),
                   "username": name.trim_start_matches('@'), "type": "channel"})
        }
    }
}

/// The `Message` a send answers with.
pub fn sent(
    message_id: i64,
    bot: &Value,
    chat: &ChatId,
    date: i64,
    shown: Option<String>,
    method: &str,
    params: &Map<String, Value>,
) -> Value {
    let mut message = json!({
        "message_id": message_id,
        "from": bot,
        "chat": chat_object(chat),
        "date": date,
    });
    if method == "sendPhoto" {
        message["photo"] = json!([
            {"file_id": format!("AgACAgSink{message_id}s"), "file_unique_id": format!("AQADs{message_id}"), "file_size": 1234, "width": 90, "height": 67},
            {"file_id": format!("AgACAgSink{message_id}m"), "file_unique_id": format!("AQADm{message_id}"), "file_size": 23456, "width": 320, "height": 240}
        ]);
        if let Some(caption) = shown.filter(|c| !c.is_empty()) {
            message["caption"] = json!(caption);
        }
    } else if let Some(text) = shown {
        message["text"] = json!(text);
    }
    if let Some(markup) = params
        .get("reply_markup")
        .filter(|m| m.get("inline_keyboard").is_some())
    {
        message["reply_markup"] = markup.clone();
    }
    message
}
