//! Telegram Bot API: `POST /bot<token>/sendMessage` (or `sendPhoto`), one request per chat
//! (providers.md §3). The token sits in the URL path, so every request marks it as a secret.

mod chats;
mod errors;
mod fan_out;
pub mod markup;
mod payload;

use super::shared::{Refused, refuse_options};
use serde_json::{Value, json};

use super::describe::{
    Capabilities, FieldKind, FieldSpec, LookupSpec, ProviderInfo, base_url, validate_keys,
};
use super::seam::{Call, CallPlan, FanOut, FanOutSource, PrepareContext, Prepared, Provider};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

use chats::chat_name;
pub use chats::{
    DELETE_WEBHOOK_WARNING, DiscoveredChat, MORE_PENDING_NOTE, NEWEST_OFFSET, NEWEST_WARNING,
    UPDATES_PAGE, WEBHOOK_CONFLICT, check_webhook_url, deep_link, discover_chats, more_pending,
    start_token, webhook_summary,
};
use errors::NAME;
pub use errors::{explain, reply};
use fan_out::TelegramFanOut;
pub use payload::{
    CALLBACK_DATA_LIMIT, CAPTION_LIMIT, ChatId, ParseMode, TEXT_LIMIT, chat_ids, check_photo,
    compose, parse_chat, visible_text,
};
use payload::{build_body, raw_body};

pub struct Telegram;

/// The common options outside `INFO.common_options`, and why.
const REFUSED: &[Refused] = &[
    ("ttl", NO_SUCH_SETTING),
    ("priority", NO_SUCH_SETTING),
    ("schedule_at", NO_SUCH_SETTING),
];
const NO_SUCH_SETTING: &str = "Telegram has no such setting for bot messages; remove it";

static INFO: ProviderInfo = ProviderInfo {
    id: "telegram",
    name: NAME,
    default_base_url: "https://api.telegram.org",
    secrets: &[FieldSpec::new(
        "bot_token",
        "Bot token",
        FieldKind::Text,
        "from @BotFather, like 123456789:AAE…",
    )
    .required()],
    audience: &[FieldSpec::new(
        "chat_ids",
        "Chat IDs",
        FieldKind::List,
        "numeric chat ids or @channelname, one per line; each chat gets its own message",
    )],
    options: &[
        FieldSpec::new(
            "parse_mode",
            "Parse mode",
            FieldKind::Choice(&["HTML", "MarkdownV2", "Markdown", "none"]),
            "how Telegram formats the text (default HTML; Markdown is the legacy style; none sends plain text)",
        ),
        FieldSpec::new(
            "user_markup",
            "Body is written in the parse mode's markup",
            FieldKind::Bool,
            "off: your text is escaped and shown as typed; on: your body is HTML, MarkdownV2 or legacy Markdown, checked before sending",
        ),
        FieldSpec::new(
            "disable_notification",
            "Silent (no sound)",
            FieldKind::Bool,
            "deliver without a notification sound",
        ),
        FieldSpec::new(
            "protect_content",
            "Protect content",
            FieldKind::Bool,
            "recipients cannot forward or save it",
        ),
        FieldSpec::new(
            "disable_link_preview",
            "No link preview",
            FieldKind::Bool,
            "do not show a preview of the first link",
        ),
        FieldSpec::new(
            "message_thread_id",
            "Topic (thread) id",
            FieldKind::Number,
            "send into this forum topic",
        ),
    ],
    lookups: &[LookupSpec {
        id: "chats",
        label: "Find chats",
        audience_key: "chat_ids",
    }],
    // About 30 messages a second overall (Bot FAQ); a 429 says how long to wait.
    capabilities: Capabilities {
        max_per_second: Some(30.0),
        retries_on_rate_limit: 3,
        ..Capabilities::BASE
    },
    common_options: &["raw"],
    ..ProviderInfo::BASE
};

impl Provider for Telegram {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        super::doctor::tokens::telegram(ctx.profile, ctx.secrets)
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let (mut shared, chats) = shared(ctx)?;
        Ok(Prepared {
            requests: chats.iter().map(|chat| shared.for_chat(chat)).collect(),
            warnings: shared.take_warnings(),
        })
    }

    /// A list of chats streams, paced as Telegram asks (see `fan_out.rs`).
    fn fan_out_source(&self, draft: &Draft) -> Option<FanOutSource> {
        fan_out::source(draft)
    }

    fn fan_out(&self, ctx: &PrepareContext<'_>) -> Option<Result<Box<dyn FanOut>, DraftError>> {
        Some(shared(ctx).map(|(shared, _)| Box::new(shared) as Box<dyn FanOut>))
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        match reply(exchange) {
            Ok(result) => {
                let id = result
                    .get("message_id")
                    .and_then(Value::as_i64)
                    .map(|id| id.to_string());
                let chat = result.get("chat").map(chat_name).unwrap_or_default();
                let to = if chat.is_empty() {
                    String::new()
                } else {
                    format!(" to {chat}")
                };
                match id {
                    Some(id) => Outcome::accepted(format!("Sent{to}: message {id}")).with_id(id),
                    None => Outcome::accepted(format!("Sent{to}")),
                }
            }
            Err(outcome) => outcome,
        }
    }

    fn call(
        &self,
        call: &Call,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<CallPlan, DraftError> {
        match call {
            Call::Check => self.check(profile, secrets).map(CallPlan::Request),
            Call::Lookup(id) => self.lookup(id, profile, secrets).map(CallPlan::Request),
            Call::Action { name, params } => {
                bot_call_request(profile, secrets, name, params).map(CallPlan::Request)
            }
        }
    }

    fn interpret_call(&self, call: &Call, exchange: &Exchange) -> Outcome {
        match call {
            Call::Lookup(id) => self.interpret_lookup(id, exchange),
            // What Telegram said it did ("Webhook was deleted"), or "Done".
            Call::Action { .. } => match reply(exchange) {
                Ok(_) => Outcome::accepted(
                    (exchange.response.as_ref())
                        .and_then(|r| r.json())
                        .and_then(|b| b.get("description")?.as_str().map(str::to_string))
                        .unwrap_or_else(|| "Done".into()),
                ),
                Err(outcome) => outcome,
            },
            Call::Check => self.interpret_check(exchange),
        }
    }

    fn audience_label(&self, draft: &Draft) -> String {
        match chat_ids(draft) {
            Ok(chats) if chats.len() == 1 => format!("chat {}", chats[0].label()),
            Ok(chats) => format!("{} chats", chats.len()),
            Err(_) => "nobody yet".into(),
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        let chats = chat_ids(draft).ok()?;
        let channels: Vec<String> = chats
            .iter()
            .filter_map(|c| match c {
                ChatId::Username(name) => Some(name.clone()),
                ChatId::Id(_) => None,
            })
            .collect();
        (!channels.is_empty()).then(|| format!("every subscriber of {}", channels.join(", ")))
    }
}

/// What every message of a send shares, checked and built once, and the draft's chats (checked
/// whole: a chat listed twice is refused before anything is sent).
fn shared(ctx: &PrepareContext<'_>) -> Result<(TelegramFanOut, Vec<ChatId>), DraftError> {
    let draft = ctx.draft;
    validate_keys(&INFO, draft)?;
    let token = token(ctx.profile, ctx.secrets)?;
    let root = base_url(ctx.profile, &INFO)?;
    let options = Fields::new("options", &draft.options);
    refuse_options(&options, REFUSED)?;
    let chats = chat_ids(draft)?;
    let mut warnings = Vec::new();
    let (method, template) = match options.value("raw") {
        Some(raw) => raw_body(raw)?,
        None => build_body(draft, &options, &mut warnings)?,
    };
    let url = format!("{root}/bot{token}/{method}");
    Ok((
        TelegramFanOut::new(url, token.to_string(), template, warnings),
        chats,
    ))
}

/// The calls beside sending, behind `Provider::call`.
impl Telegram {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        method_request(profile, secrets, "getMe", None)
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        match reply(exchange) {
            Ok(me) => match bot_identity(&me) {
                Some((name, username)) => {
                    Outcome::accepted(format!("Token works: bot “{name}” (@{username})"))
                        .with_id(username)
                }
                None => Outcome::refused("Telegram answered getMe without the bot's name")
                    .with_hint("Check the base URL: it may not point at the Bot API."),
            },
            Err(outcome) => outcome,
        }
    }

    fn lookup(
        &self,
        id: &str,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<PreparedRequest, DraftError> {
        match id {
            "chats" => updates_request(profile, secrets),
            other => Err(DraftError::new(
                "lookup",
                format!("`{other}` is not a lookup of {NAME}"),
            )),
        }
    }

    fn interpret_lookup(&self, _id: &str, exchange: &Exchange) -> Outcome {
        match reply(exchange) {
            Ok(result) => {
                let chats = discover_chats(&result);
                let mut o = Outcome::accepted(match chats.len() {
                    0 => "No chats in the bot's recent updates: ask people to press Start (or add the bot to the group or channel), then look again".to_string(),
                    1 => "Found 1 chat".to_string(),
                    n => format!("Found {n} chats"),
                });
                if more_pending(&result) {
                    o.summary = format!("{}. {MORE_PENDING_NOTE}", o.summary);
                }
                o.items = chats.iter().map(DiscoveredChat::item).collect();
                o
            }
            Err(outcome) => outcome,
        }
    }
}

fn token<'a>(profile: &Profile, secrets: &'a Secrets) -> Result<&'a str, DraftError> {
    let token = secrets.require(&profile.name, "bot_token")?.trim();
    if !is_bot_token(token) {
        return Err(DraftError::new(
            "secret bot_token",
            "is not a bot token: it looks like 123456789:AAE… (digits, a colon, then letters, digits, - and _); copy it again from @BotFather",
        ));
    }
    Ok(token)
}

/// A bot token's shape: the bot's numeric id, a colon, then letters, digits, - and _.
pub fn is_bot_token(token: &str) -> bool {
    token.split_once(':').is_some_and(|(id, key)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// A Bot API call with an optional JSON body (no body: GET), the token marked secret.
pub fn method_request(
    profile: &Profile,
    secrets: &Secrets,
    method: &str,
    body: Option<&Value>,
) -> Result<PreparedRequest, DraftError> {
    let token = token(profile, secrets)?;
    let root = base_url(profile, &INFO)?;
    let url = format!("{root}/bot{token}/{method}");
    let mut request = match body {
        Some(body) => PreparedRequest::new("POST", url)
            .header("Accept", "application/json")
            .json_body(body),
        None => PreparedRequest::new("GET", url).header("Accept", "application/json"),
    };
    request.add_secret("bot_token", token);
    Ok(request)
}

/// The Bot API methods Pushdeck calls beside sending (chat discovery, the link, the webhook).
pub const BOT_CALLS: &[&str] = &[
    "getMe",
    "getUpdates",
    "getWebhookInfo",
    "setWebhook",
    "deleteWebhook",
];

/// One of `BOT_CALLS` with its parameters (`null` for none).
fn bot_call_request(
    profile: &Profile,
    secrets: &Secrets,
    method: &str,
    params: &Value,
) -> Result<PreparedRequest, DraftError> {
    match method {
        "getUpdates" => match params.get("offset").and_then(Value::as_i64) {
            None => updates_request(profile, secrets),
            Some(NEWEST_OFFSET) => newest_updates_request(profile, secrets),
            Some(other) => Err(DraftError::new(
                "call",
                format!(
                    "getUpdates reads without an offset or with {NEWEST_OFFSET} (the newest); {other} is not one Pushdeck sends"
                ),
            )),
        },
        m if BOT_CALLS.contains(&m) => {
            let body = (!params.is_null()).then_some(params);
            method_request(profile, secrets, m, body)
        }
        other => Err(DraftError::new(
            "call",
            format!("{NAME} has no `{other}` call in Pushdeck"),
        )),
    }
}

/// `getUpdates` without an offset: it reads recent updates and confirms none, so another program
/// polling the same bot still receives them.
pub fn updates_request(
    profile: &Profile,
    secrets: &Secrets,
) -> Result<PreparedRequest, DraftError> {
    method_request(
        profile,
        secrets,
        "getUpdates",
        Some(&json!({"limit": UPDATES_PAGE, "timeout": 0})),
    )
}

/// `getUpdates` with `offset` -100: the newest 100 updates. Telegram then forgets every older one,
/// for every program reading this bot (they count as confirmed).
pub fn newest_updates_request(
    profile: &Profile,
    secrets: &Secrets,
) -> Result<PreparedRequest, DraftError> {
    method_request(
        profile,
        secrets,
        "getUpdates",
        Some(&json!({"offset": NEWEST_OFFSET, "limit": UPDATES_PAGE, "timeout": 0})),
    )
}

/// The bot's display name and username from a `getMe` result.
pub fn bot_identity(me: &Value) -> Option<(String, String)> {
    let name = me.get("first_name").and_then(Value::as_str)?;
    let username = me.get("username").and_then(Value::as_str)?;
    Some((name.to_string(), username.to_string()))
}

#[cfg(test)]
mod tests;
