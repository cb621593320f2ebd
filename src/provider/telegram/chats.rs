//! Finding the chats a bot can post to (from `getUpdates`), Start deep links, and the webhook that
//! keeps `getUpdates` from working.

use serde_json::Value;

use crate::draft::DraftError;
use crate::outcome::LookupItem;

/// A chat's name in words: a title, or a person's name and @username.
pub fn chat_name(chat: &Value) -> String {
    let s = |k: &str| {
        chat.get(k)
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string()
    };
    let title = s("title");
    let person = [s("first_name"), s("last_name")]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    let username = s("username");
    let name = if !title.is_empty() { title } else { person };
    match (name.is_empty(), username.is_empty()) {
        (false, false) => format!("{name} (@{username})"),
        (false, true) => name,
        (true, false) => format!("@{username}"),
        (true, true) => String::new(),
    }
}

/// A chat seen in the bot's recent updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscoveredChat {
    pub id: i64,
    /// private, group, supergroup or channel.
    pub kind: String,
    pub name: String,
    /// The payload of the latest `/start <payload>` from this chat (a deep link).
    pub start_payload: Option<String>,
}

impl DiscoveredChat {
    pub fn item(&self) -> LookupItem {
        let name = if self.name.is_empty() {
            "(no name)"
        } else {
            &self.name
        };
        let start = self
            .start_payload
            .as_ref()
            .map(|p| format!(", pressed Start with {p}"))
            .unwrap_or_default();
        LookupItem::new(
            self.id.to_string(),
            format!("{name} · {}{start}", self.kind),
        )
    }
}

/// The chats in a `getUpdates` result, each once, in the order they first appear (name and
/// start payload from their latest update).
pub fn discover_chats(updates: &Value) -> Vec<DiscoveredChat> {
    let mut chats: Vec<DiscoveredChat> = Vec::new();
    let Some(list) = updates.as_array() else {
        return chats;
    };
    for update in list {
        let message = [
            "message",
            "edited_message",
            "channel_post",
            "edited_channel_post",
            "my_chat_member",
            "chat_member",
            "chat_join_request",
        ]
        .iter()
        .find_map(|k| update.get(*k))
        .or_else(|| update.get("callback_query").and_then(|q| q.get("message")));
        let Some(message) = message else { continue };
        let Some(chat) = message.get("chat") else {
            continue;
        };
        let Some(id) = chat.get("id").and_then(Value::as_i64) else {
            continue;
        };
        let payload = message
            .get("text")
            .and_then(Value::as_str)
            .and_then(start_payload);
        let kind = chat
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("chat")
            .to_string();
        let name = chat_name(chat);
        match chats.iter_mut().find(|c| c.id == id) {
            Some(seen) => {
                seen.kind = kind;
                if !name.is_empty() {
                    seen.name = name;
                }
                if payload.is_some() {
                    seen.start_payload = payload;
                }
            }
            None => chats.push(DiscoveredChat {
                id,
                kind,
                name,
                start_payload: payload,
            }),
        }
    }
    chats
}

/// How many updates one `getUpdates` returns at most.
pub const UPDATES_PAGE: usize = 100;

/// The `getUpdates` offset that reads the newest `UPDATES_PAGE` updates and confirms (forgets) the
/// older ones for every program reading the bot.
pub const NEWEST_OFFSET: i64 = -100;

/// Said when a read returned a full page.
pub const MORE_PENDING_NOTE: &str =
    "The bot has more pending updates than one read shows; the newest may be missing";

/// What reading the newest updates costs, for the warning before it.
pub const NEWEST_WARNING: &str = "Reading the newest updates confirms the older ones: Telegram forgets them for every program reading this bot.";

/// Whether a `getUpdates` result is a full page, so newer updates may be waiting behind it.
pub fn more_pending(updates: &Value) -> bool {
    updates.as_array().is_some_and(|u| u.len() >= UPDATES_PAGE)
}

/// `/start abc` (or `/start@bot abc`) → `abc`.
pub fn start_payload(text: &str) -> Option<String> {
    let rest = text.strip_prefix("/start")?;
    let rest = match rest.strip_prefix('@') {
        Some(r) => r.split_once(' ').map(|(_, p)| p).unwrap_or(""),
        None => rest.strip_prefix(' ')?,
    };
    let payload = rest.trim();
    (!payload.is_empty()).then(|| payload.to_string())
}

/// `https://t.me/<bot>?start=<token>`: opening it starts the bot with `/start <token>`.
pub fn deep_link(bot_username: &str, start_token: &str) -> String {
    format!(
        "https://t.me/{}?start={start_token}",
        bot_username.trim_start_matches('@')
    )
}

/// A deep-link start token from 16 random bytes: 22 characters of [A-Za-z0-9_-], as Telegram
/// allows (up to 64).
pub fn start_token(random: [u8; 16]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random)
}

/// What `getWebhookInfo` says, in words, one fact a line.
pub fn webhook_summary(info: &Value) -> Vec<String> {
    let url = info.get("url").and_then(Value::as_str).unwrap_or("");
    if url.is_empty() {
        return vec!["No webhook is set: Find chats can read the bot's updates.".into()];
    }
    let mut lines = vec![format!("Webhook URL: {url}")];
    let pending = info
        .get("pending_update_count")
        .and_then(Value::as_u64)
        .unwrap_or(0);
    lines.push(format!("Pending updates: {pending}"));
    if let Some(message) = info.get("last_error_message").and_then(Value::as_str) {
        let when = info
            .get("last_error_date")
            .and_then(Value::as_i64)
            .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .map(|t| format!(" ({t})"))
            .unwrap_or_default();
        lines.push(format!("Last delivery error{when}: {message}"));
    } else {
        lines.push("Last delivery error: none".into());
    }
    lines
}

/// The words a 409 from getUpdates starts with (the app's panel watches for them).
pub const WEBHOOK_CONFLICT: &str = "A webhook is set for this bot";

/// What deleting the webhook changes, for the confirmation.
pub const DELETE_WEBHOOK_WARNING: &str = "Telegram will stop sending this bot's updates to the webhook URL; whatever program listens there will stop receiving messages until a webhook is set again. Pending updates are kept, so Find chats can read them.";

/// A `setWebhook` URL must be https (Telegram only delivers to https).
pub fn check_webhook_url(url: &str) -> Result<String, DraftError> {
    let url = url.trim();
    let parsed = url::Url::parse(url)
        .map_err(|e| DraftError::new("webhook url", format!("`{url}` is not a URL ({e})")))?;
    if parsed.scheme() != "https" || parsed.host_str().is_none_or(str::is_empty) {
        return Err(DraftError::new(
            "webhook url",
            "must be an https:// URL: Telegram delivers updates only over https",
        ));
    }
    Ok(url.to_string())
}
