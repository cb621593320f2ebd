//! Telegram to a list of chats, one chat at a time: the method, the body (text or photo, markup,
//! options) and the URL with the bot token are checked and built once, and each chat only sets
//! `chat_id`. `prepare` builds a whole list with it; the engine streams a longer list through it
//! (`Provider::fan_out`), each chat recorded as it lands, at Telegram's pace: about 30 messages a
//! second overall (`Capabilities::max_per_second`), a 429's `retry_after` waited, and one message
//! per chat per send (a chat listed twice is refused), which keeps within Telegram's one message a
//! second to the same chat.

use serde_json::{Map, Value};

use super::payload::{ChatId, chat_of};
use crate::draft::Draft;
use crate::http::PreparedRequest;
use crate::provider::seam::{FanOut, FanOutSource, Identity};

/// The audience key of the chats.
pub const FIELD: &str = "chat_ids";

pub struct TelegramFanOut {
    /// `{root}/bot{token}/{method}`: the token is marked secret in every request.
    url: String,
    token: String,
    /// Every body field but `chat_id`.
    template: Map<String, Value>,
    warnings: Vec<String>,
}

impl TelegramFanOut {
    pub fn new(
        url: String,
        token: String,
        template: Map<String, Value>,
        warnings: Vec<String>,
    ) -> Self {
        Self {
            url,
            token,
            template,
            warnings,
        }
    }

    /// The message to one chat.
    pub fn for_chat(&self, chat: &ChatId) -> PreparedRequest {
        let mut body = Map::with_capacity(self.template.len() + 1);
        body.insert("chat_id".into(), chat.json());
        for (k, v) in &self.template {
            if k != "chat_id" {
                body.insert(k.clone(), v.clone());
            }
        }
        let mut request = PreparedRequest::new("POST", self.url.clone())
            .header("Accept", "application/json")
            .json_body(&Value::Object(body));
        request.add_secret("bot_token", &self.token);
        request.recipient = Some(chat.label());
        request
    }

    pub fn take_warnings(&mut self) -> Vec<String> {
        std::mem::take(&mut self.warnings)
    }

    fn chat(item: &Value) -> Result<ChatId, String> {
        chat_of(item)?.ok_or_else(|| "is blank: give a chat id or @channelname".to_string())
    }
}

impl FanOut for TelegramFanOut {
    fn identify(&self, item: &Value) -> Result<Identity, String> {
        // The same method, URL and recipient as the request: a resume of a list sent whole (by an
        // older Pushdeck) finds the same fingerprints.
        Ok(Identity {
            method: "POST".into(),
            url: self.url.clone(),
            recipient: Some(Self::chat(item)?.label()),
        })
    }

    fn prepare_one(&self, item: &Value) -> Result<PreparedRequest, String> {
        Ok(self.for_chat(&Self::chat(item)?))
    }

    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }
}

/// A list of two or more chats streams; one chat, or a list with blank lines (which the
/// whole-list path skips, keeping positions as the user sees them) does not.
pub fn source(draft: &Draft) -> Option<FanOutSource> {
    match draft.audience.get(FIELD) {
        Some(Value::Array(chats))
            if chats.len() > 1 && chats.iter().all(|c| !matches!(chat_of(c), Ok(None))) =>
        {
            Some(FanOutSource::Inline { field: FIELD })
        }
        _ => None,
    }
}
