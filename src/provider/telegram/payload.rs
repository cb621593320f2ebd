//! The message a draft becomes: chats, parse mode, text or photo caption within Telegram's limits,
//! and the inline keyboard.

use serde_json::{Map, Value, json};

use super::markup;
use crate::draft::{Draft, DraftError, Fields, Message};

pub const TEXT_LIMIT: usize = 4096;

pub const CAPTION_LIMIT: usize = 1024;

pub const CALLBACK_DATA_LIMIT: usize = 64;

/// How the text is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseMode {
    Html,
    MarkdownV2,
    /// The legacy `Markdown` mode.
    Markdown,
    Plain,
}

impl ParseMode {
    pub fn wire(self) -> Option<&'static str> {
        match self {
            ParseMode::Html => Some("HTML"),
            ParseMode::MarkdownV2 => Some("MarkdownV2"),
            ParseMode::Markdown => Some("Markdown"),
            ParseMode::Plain => None,
        }
    }
}

/// A chat as the Bot API addresses it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ChatId {
    Id(i64),
    Username(String),
}

impl ChatId {
    pub fn json(&self) -> Value {
        match self {
            ChatId::Id(id) => json!(id),
            ChatId::Username(name) => json!(name),
        }
    }

    pub fn label(&self) -> String {
        match self {
            ChatId::Id(id) => id.to_string(),
            ChatId::Username(name) => name.clone(),
        }
    }
}

/// The draft's chats, in order; numbers or `@username` strings, each at most once.
pub fn chat_ids(draft: &Draft) -> Result<Vec<ChatId>, DraftError> {
    let field = "audience.chat_ids";
    let items: Vec<(String, &Value)> = match draft.audience.get("chat_ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("{field}[{i}]"), v))
            .collect(),
        Some(v) => vec![(field.to_string(), v)],
    };
    let mut chats: Vec<ChatId> = Vec::new();
    // A set beside the list: a list of thousands of chats is checked in linear time.
    let mut seen = std::collections::HashSet::new();
    for (path, value) in items {
        let chat = match chat_of(value) {
            Ok(Some(chat)) => chat,
            Ok(None) => continue,
            Err(e) => return Err(DraftError::new(path, e)),
        };
        if !seen.insert(chat.clone()) {
            return Err(DraftError::new(
                path,
                format!(
                    "{} is listed twice; each chat gets one message",
                    chat.label()
                ),
            ));
        }
        chats.push(chat);
    }
    if chats.is_empty() {
        return Err(DraftError::new(
            field,
            "add at least one chat id or @channelname (Find chats lists the chats that wrote to the bot)",
        ));
    }
    Ok(chats)
}

/// One chat of the list: a number, or a numeric or `@username` string; `None` for a blank line.
pub fn chat_of(value: &Value) -> Result<Option<ChatId>, String> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(id) if id != 0 => Ok(Some(ChatId::Id(id))),
            _ => {
                Err("is not a chat id (a whole number such as 123456789 or -1001234567890)".into())
            }
        },
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_chat(s.trim()).map(Some),
        _ => Err("must be a chat id number or an @channelname".into()),
    }
}

pub fn parse_chat(s: &str) -> Result<ChatId, String> {
    if let Ok(id) = s.parse::<i64>() {
        return if id == 0 {
            Err("0 is not a chat id".into())
        } else {
            Ok(ChatId::Id(id))
        };
    }
    if let Some(name) = s.strip_prefix('@') {
        let ok = (4..=32).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && name.bytes().next().is_some_and(|b| b.is_ascii_alphabetic());
        return if ok {
            Ok(ChatId::Username(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a channel username (@ then 4-32 letters, digits or _, starting with a letter)"
            ))
        };
    }
    Err(format!(
        "`{s}` is neither a chat id (a whole number such as 123456789 or -1001234567890) nor an @channelname"
    ))
}

/// A raw payload (`options.raw`) replaces the generated one; `chat_id` is filled in per chat. It
/// goes to sendPhoto when it has a `photo`, otherwise to sendMessage.
pub fn raw_body(raw: &Value) -> Result<(&'static str, Map<String, Value>), DraftError> {
    let map = crate::provider::shared::raw_object(raw)?;
    let method = if map.contains_key("photo") {
        "sendPhoto"
    } else {
        "sendMessage"
    };
    Ok((method, map))
}

/// `parse_mode`, case-insensitive as the Bot API reads it (`markdownv2`, `html`, `markdown`).
pub fn parse_mode(options: &Fields<'_>) -> Result<ParseMode, DraftError> {
    let Some(value) = options.string("parse_mode")? else {
        return Ok(ParseMode::Html);
    };
    Ok(match value.trim().to_ascii_lowercase().as_str() {
        "html" => ParseMode::Html,
        "markdownv2" => ParseMode::MarkdownV2,
        "markdown" => ParseMode::Markdown,
        "none" => ParseMode::Plain,
        _ => {
            return Err(DraftError::new(
                "options.parse_mode",
                format!(
                    "`{value}` is not one of: HTML, MarkdownV2, Markdown (legacy), none (any letter case)"
                ),
            ));
        }
    })
}

/// The sendMessage or sendPhoto body without `chat_id`, in the order the dump shows it.
pub fn build_body(
    draft: &Draft,
    options: &Fields<'_>,
    warnings: &mut Vec<String>,
) -> Result<(&'static str, Map<String, Value>), DraftError> {
    let m = &draft.message;
    let mode = parse_mode(options)?;
    let user_markup = options.bool("user_markup")?.unwrap_or(false);
    if user_markup && mode == ParseMode::Plain {
        return Err(DraftError::new(
            "options.user_markup",
            "needs parse_mode HTML, MarkdownV2 or Markdown (with none, the text is sent as it is)",
        ));
    }
    let text = compose(m, mode, user_markup)?;
    let photo = m.image.trim();
    let method = if photo.is_empty() {
        "sendMessage"
    } else {
        "sendPhoto"
    };
    let visible = visible_text(&text, mode).map_err(|e| {
        DraftError::new("message", format!("the composed text does not parse ({e})"))
    })?;
    let mut body = Map::new();
    if let Some(thread) = options.u64("message_thread_id")? {
        if thread == 0 {
            return Err(DraftError::new(
                "options.message_thread_id",
                "must be a topic id above 0",
            ));
        }
        body.insert("message_thread_id".into(), json!(thread));
    }
    add_content(&mut body, &text, &visible, photo)?;
    if let Some(mode) = mode.wire()
        && (photo.is_empty() || body.contains_key("caption"))
    {
        body.insert("parse_mode".into(), json!(mode));
    }
    add_flags(&mut body, options, m.silent, photo.is_empty(), warnings)?;
    if !m.buttons.is_empty() {
        body.insert("reply_markup".into(), keyboard(m)?);
    }
    warn_unsent_fields(m, warnings);
    Ok((method, body))
}

/// The text, or the photo with the text as its caption, within Telegram's length limits.
fn add_content(
    body: &mut Map<String, Value>,
    text: &str,
    visible: &str,
    photo: &str,
) -> Result<(), DraftError> {
    let length = markup::telegram_len(visible);
    if photo.is_empty() {
        if visible.trim().is_empty() {
            return Err(DraftError::new(
                "message.body",
                "is required: Telegram refuses an empty message (write a title or a body)",
            ));
        }
        if length > TEXT_LIMIT {
            return Err(DraftError::new(
                "message.body",
                format!(
                    "the message is {length} characters after formatting; Telegram allows at most {TEXT_LIMIT}"
                ),
            ));
        }
        body.insert("text".into(), json!(text));
    } else {
        check_photo(photo)?;
        if length > CAPTION_LIMIT {
            return Err(DraftError::new(
                "message.body",
                format!(
                    "with an image the text is a caption: it is {length} characters after formatting and Telegram allows at most {CAPTION_LIMIT} (remove the image to send up to {TEXT_LIMIT})"
                ),
            ));
        }
        body.insert("photo".into(), json!(photo));
        if !visible.trim().is_empty() {
            body.insert("caption".into(), json!(text));
        }
    }
    Ok(())
}

/// The on/off options: link preview, silent delivery, protected content.
fn add_flags(
    body: &mut Map<String, Value>,
    options: &Fields<'_>,
    silent: bool,
    text_only: bool,
    warnings: &mut Vec<String>,
) -> Result<(), DraftError> {
    if options.bool("disable_link_preview")?.unwrap_or(false) {
        if text_only {
            body.insert("link_preview_options".into(), json!({"is_disabled": true}));
        } else {
            warnings
                .push("No link preview does not apply to a photo message: it is left out.".into());
        }
    }
    if options.bool("disable_notification")?.unwrap_or(false) || silent {
        body.insert("disable_notification".into(), json!(true));
    }
    if options.bool("protect_content")?.unwrap_or(false) {
        body.insert("protect_content".into(), json!(true));
    }
    Ok(())
}

fn warn_unsent_fields(m: &Message, warnings: &mut Vec<String>) {
    if !m.icon.is_empty() {
        warnings.push("Telegram bot messages have no icon: the icon is not sent (the bot's picture is shown).".into());
    }
    if !m.data.is_empty() {
        warnings.push("Telegram has no custom data field: message.data is not sent.".into());
    }
    if !m.translations.is_empty() {
        warnings.push("Telegram sends one text to every chat: translations are not sent.".into());
    }
}

pub fn check_photo(photo: &str) -> Result<(), DraftError> {
    if photo.starts_with("https://") || photo.starts_with("http://") {
        return url::Url::parse(photo)
            .map(|_| ())
            .map_err(|e| DraftError::new("message.image", format!("is not a valid URL ({e})")));
    }
    if photo.contains("://") || photo.contains(char::is_whitespace) {
        return Err(DraftError::new(
            "message.image",
            "must be an http(s) URL that Telegram can download, or a Telegram file_id",
        ));
    }
    Ok(())
}

/// The visible text of composed markup, for the length limits.
pub fn visible_text(text: &str, mode: ParseMode) -> Result<String, markup::MarkupError> {
    match mode {
        ParseMode::Html => markup::check_html(text),
        ParseMode::MarkdownV2 => markup::check_markdown_v2(text),
        ParseMode::Markdown => markup::check_markdown(text),
        ParseMode::Plain => Ok(text.to_string()),
    }
}

/// Title (bold), subtitle (italic), body and click URL (a link) as one text in the parse mode.
/// The user's text is escaped, unless they write the body's markup themselves: then it is checked
/// and sent as written.
pub fn compose(m: &Message, mode: ParseMode, user_markup: bool) -> Result<String, DraftError> {
    let mut parts: Vec<String> = Vec::new();
    let title = m.title.trim();
    let subtitle = m.subtitle.trim();
    let url = m.url.trim();
    if !url.is_empty() {
        let parsed = url::Url::parse(url)
            .map_err(|e| DraftError::new("message.url", format!("is not a valid URL ({e})")))?;
        if !matches!(parsed.scheme(), "http" | "https" | "tg") {
            return Err(DraftError::new(
                "message.url",
                "must be an http(s):// or tg:// link",
            ));
        }
    }
    let body = if user_markup {
        let checked = match mode {
            ParseMode::Html => markup::check_html(&m.body).map(|_| ()),
            ParseMode::MarkdownV2 => markup::check_markdown_v2(&m.body).map(|_| ()),
            ParseMode::Markdown => markup::check_markdown(&m.body).map(|_| ()),
            ParseMode::Plain => Ok(()),
        };
        checked.map_err(|e| {
            let mode = mode.wire().unwrap_or("text");
            DraftError::new(
                "message.body",
                format!("Telegram would refuse this {mode} {e}"),
            )
        })?;
        m.body.trim_end().to_string()
    } else {
        match mode {
            ParseMode::Html => markup::escape_html(m.body.trim_end()),
            ParseMode::MarkdownV2 => markup::escape_markdown_v2(m.body.trim_end()),
            ParseMode::Markdown => markup::escape_markdown(m.body.trim_end()),
            ParseMode::Plain => m.body.trim_end().to_string(),
        }
    };
    match mode {
        ParseMode::Html => {
            if !title.is_empty() {
                parts.push(format!("<b>{}</b>", markup::escape_html(title)));
            }
            if !subtitle.is_empty() {
                parts.push(format!("<i>{}</i>", markup::escape_html(subtitle)));
            }
            if !body.is_empty() {
                parts.push(body);
            }
            if !url.is_empty() {
                let u = markup::escape_html(url);
                parts.push(format!("<a href=\"{u}\">{u}</a>"));
            }
        }
        ParseMode::MarkdownV2 => {
            if !title.is_empty() {
                parts.push(format!("*{}*", markup::escape_markdown_v2(title)));
            }
            if !subtitle.is_empty() {
                parts.push(format!("_{}_", markup::escape_markdown_v2(subtitle)));
            }
            if !body.is_empty() {
                parts.push(body);
            }
            if !url.is_empty() {
                parts.push(format!(
                    "[{}]({})",
                    markup::escape_markdown_v2(url),
                    markup::escape_markdown_v2_url(url)
                ));
            }
        }
        ParseMode::Markdown => {
            if !title.is_empty() {
                parts.push(markup::wrap_markdown('*', title));
            }
            if !subtitle.is_empty() {
                parts.push(markup::wrap_markdown('_', subtitle));
            }
            if !body.is_empty() {
                parts.push(body);
            }
            if !url.is_empty() {
                parts.push(markdown_link(url));
            }
        }
        ParseMode::Plain => {
            parts.extend(
                [title, subtitle, body.as_str(), url]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            );
        }
    }
    Ok(parts.join("\n"))
}

/// The click URL in legacy Markdown: a `[url](url)` link, or, when the URL holds a character that
/// would end or nest inside a link there (`_ * ` [ ] ( )`), the URL as escaped text (Telegram links
/// http(s) URLs in text by itself).
fn markdown_link(url: &str) -> String {
    if url.contains(|c: char| "_*`[]()".contains(c)) {
        markup::escape_markdown(url)
    } else {
        format!("[{url}]({url})")
    }
}

/// Buttons as an inline keyboard, one per row: a link button when it has a URL, otherwise a
/// callback button carrying its id.
pub fn keyboard(m: &Message) -> Result<Value, DraftError> {
    let mut rows = Vec::new();
    for (i, b) in m.buttons.iter().enumerate() {
        let path = format!("message.buttons[{i}]");
        let label = b.label.trim();
        if label.is_empty() {
            return Err(DraftError::new(
                format!("{path}.label"),
                "every button needs a label",
            ));
        }
        let url = b.url.trim();
        let button = if url.is_empty() {
            let id = b.id.trim();
            if id.is_empty() || id.len() > CALLBACK_DATA_LIMIT {
                return Err(DraftError::new(
                    format!("{path}.id"),
                    format!(
                        "a button without a URL sends its id as callback data, which must be 1-{CALLBACK_DATA_LIMIT} bytes"
                    ),
                ));
            }
            json!({"text": label, "callback_data": id})
        } else {
            let ok =
                url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https" | "tg"));
            if !ok {
                return Err(DraftError::new(
                    format!("{path}.url"),
                    "must be an http(s):// or tg:// link",
                ));
            }
            json!({"text": label, "url": url})
        };
        rows.push(json!([button]));
    }
    Ok(json!({"inline_keyboard": rows}))
}
