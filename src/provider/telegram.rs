//! Telegram Bot API: `POST /bot<token>/sendMessage` (or `sendPhoto`), one request per chat
//! (providers.md §3). The token sits in the URL path, so every request marks it as a secret.

pub mod markup;

use serde_json::{Map, Value, json};

use super::describe::{
    Capabilities, FieldKind, FieldSpec, LookupSpec, ProviderInfo, base_url, validate_keys,
};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider};
use crate::draft::{Draft, DraftError, Fields, Message};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::{LookupItem, Outcome};
use crate::profile::Profile;
use crate::profile::Secrets;

pub struct Telegram;

const NAME: &str = "Telegram";
pub const TEXT_LIMIT: usize = 4096;
pub const CAPTION_LIMIT: usize = 1024;
const CALLBACK_DATA_LIMIT: usize = 64;

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
            FieldKind::Choice(&["HTML", "MarkdownV2", "none"]),
            "how Telegram formats the text (default HTML; none sends plain text)",
        ),
        FieldSpec::new(
            "user_markup",
            "Body is written in the parse mode's markup",
            FieldKind::Bool,
            "off: your text is escaped and shown as typed; on: your body is HTML or MarkdownV2, checked before sending",
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
    ..ProviderInfo::BASE
};

/// How the text is formatted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseMode {
    Html,
    MarkdownV2,
    Plain,
}

impl ParseMode {
    fn wire(self) -> Option<&'static str> {
        match self {
            ParseMode::Html => Some("HTML"),
            ParseMode::MarkdownV2 => Some("MarkdownV2"),
            ParseMode::Plain => None,
        }
    }
}

/// A chat as the Bot API addresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatId {
    Id(i64),
    Username(String),
}

impl ChatId {
    fn json(&self) -> Value {
        match self {
            ChatId::Id(id) => json!(id),
            ChatId::Username(name) => json!(name),
        }
    }

    fn label(&self) -> String {
        match self {
            ChatId::Id(id) => id.to_string(),
            ChatId::Username(name) => name.clone(),
        }
    }
}

impl Provider for Telegram {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let token = token(ctx.profile, ctx.secrets)?;
        let root = base_url(ctx.profile, &INFO)?;
        let options = Fields::new("options", &draft.options);
        for key in ["ttl", "priority", "schedule_at"] {
            if options.has(key) {
                return Err(DraftError::new(
                    format!("options.{key}"),
                    "Telegram has no such setting for bot messages; remove it",
                ));
            }
        }
        let chats = chat_ids(draft)?;
        let mut warnings = Vec::new();
        let (method, template) = match options.value("raw") {
            Some(raw) => raw_body(raw)?,
            None => build_body(draft, &options, &mut warnings)?,
        };
        let url = format!("{root}/bot{token}/{method}");
        let requests = chats
            .iter()
            .map(|chat| {
                let mut body = Map::new();
                body.insert("chat_id".into(), chat.json());
                for (k, v) in &template {
                    if k != "chat_id" {
                        body.insert(k.clone(), v.clone());
                    }
                }
                let mut request = PreparedRequest::new("POST", url.clone())
                    .header("Accept", "application/json")
                    .json_body(&Value::Object(body));
                request.add_secret("bot_token", token);
                request.recipient = Some(chat.label());
                request
            })
            .collect();
        Ok(Prepared { requests, warnings })
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
            Call::Action { .. } => match reply(exchange) {
                Ok(_) => Outcome::accepted("Done"),
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
                o.items = chats.iter().map(DiscoveredChat::item).collect();
                o
            }
            Err(outcome) => outcome,
        }
    }
}

fn token<'a>(profile: &Profile, secrets: &'a Secrets) -> Result<&'a str, DraftError> {
    let token = secrets.require(&profile.name, "bot_token")?.trim();
    let valid = token.split_once(':').is_some_and(|(id, key)| {
        !id.is_empty()
            && id.bytes().all(|b| b.is_ascii_digit())
            && !key.is_empty()
            && key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    });
    if !valid {
        return Err(DraftError::new(
            "secret bot_token",
            "is not a bot token: it looks like 123456789:AAE… (digits, a colon, then letters, digits, - and _); copy it again from @BotFather",
        ));
    }
    Ok(token)
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

/// `getUpdates` without an offset: it reads recent updates and confirms none, so another program
/// polling the same bot still receives them.
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
        "getUpdates" => updates_request(profile, secrets),
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

pub fn updates_request(
    profile: &Profile,
    secrets: &Secrets,
) -> Result<PreparedRequest, DraftError> {
    method_request(
        profile,
        secrets,
        "getUpdates",
        Some(&json!({"limit": 100, "timeout": 0})),
    )
}

/// The bot's display name and username from a `getMe` result.
pub fn bot_identity(me: &Value) -> Option<(String, String)> {
    let name = me.get("first_name").and_then(Value::as_str)?;
    let username = me.get("username").and_then(Value::as_str)?;
    Some((name.to_string(), username.to_string()))
}

/// Reads a Bot API answer: the `result` when `ok` is true, or the failure in words.
pub fn reply(exchange: &Exchange) -> Result<Value, Outcome> {
    if let Some(outcome) = Outcome::from_transport(exchange) {
        return Err(outcome);
    }
    let Some(response) = exchange.response.as_ref() else {
        return Err(Outcome::not_sent("Not sent."));
    };
    let Some(body) = response.json() else {
        let outcome = if response.status == 404 {
            Outcome::refused("Telegram answered 404 Not Found: no such bot or method")
                .with_hint("The token is probably incomplete (it must be the whole 123456789:AAE… text), or the base URL is wrong.")
        } else {
            Outcome::refused(format!(
                "Telegram answered {} without a JSON body, so it is unclear what happened",
                response.status
            ))
            .with_hint(
                "Check the base URL: it may point at a proxy or a web page instead of the Bot API.",
            )
        };
        return Err(outcome);
    };
    if body.get("ok").and_then(Value::as_bool) == Some(true) {
        return Ok(body.get("result").cloned().unwrap_or(Value::Null));
    }
    let code = body
        .get("error_code")
        .and_then(Value::as_u64)
        .and_then(|c| u16::try_from(c).ok())
        .unwrap_or(response.status);
    let description = body
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let parameters = body.get("parameters");
    let retry_after = parameters
        .and_then(|p| p.get("retry_after"))
        .and_then(Value::as_u64)
        .or_else(|| response.retry_after());
    let migrate_to = parameters
        .and_then(|p| p.get("migrate_to_chat_id"))
        .and_then(Value::as_i64);
    Err(explain(code, &description, retry_after, migrate_to))
}

/// Telegram's documented errors, in plain words with what to do.
fn explain(
    code: u16,
    description: &str,
    retry_after: Option<u64>,
    migrate_to: Option<i64>,
) -> Outcome {
    let d = description.to_ascii_lowercase();
    let said = if description.is_empty() {
        format!("HTTP {code}")
    } else {
        description.to_string()
    };
    let refused = |summary: String, hint: &str| Outcome::refused(summary).with_hint(hint);
    match code {
        400 if d.contains("chat not found") => refused(
            "Chat not found: Telegram does not know this chat, or the bot has never been in it"
                .into(),
            "Check the id (Find chats lists the chats the bot has seen). A person must press Start in the bot first; for a group or channel, add the bot to it.",
        ),
        400 if d.contains("can't parse entities") => refused(
            format!("Telegram could not read the formatting: {said}"),
            "Turn off \"Body is written in the parse mode's markup\" to send your text as typed, or fix the markup at the place it names.",
        ),
        400 if d.contains("not enough rights") => refused(
            format!("The bot is not allowed to post in this chat: {said}"),
            "In a channel the bot must be an administrator with the right to post messages; in a group, check the members' permissions.",
        ),
        400 if d.contains("message is too long") => refused(
            format!("The message is too long for Telegram: {said}"),
            "Shorten the text to 4096 characters (1024 for a photo caption).",
        ),
        400 if d.contains("message text is empty") => refused(
            "Telegram refused an empty message".into(),
            "Write a title or a body.",
        ),
        400 if d.contains("wrong file identifier")
            || d.contains("failed to get http url content")
            || d.contains("wrong type of the web page content") =>
        {
            refused(
                format!("Telegram could not fetch the image: {said}"),
                "The image must be a public https URL of a JPEG or PNG up to 5 MB that Telegram's servers can download, or a file_id.",
            )
        }
        400 if d.contains("thread not found") => refused(
            format!("No such topic in this chat: {said}"),
            "Check the topic (thread) id, or clear it to post in the main chat.",
        ),
        400 if d.contains("upgraded to a supergroup") || migrate_to.is_some() => {
            let new = migrate_to
                .map(|id| format!(" Its new id is {id}."))
                .unwrap_or_default();
            refused(
                format!("This group became a supergroup and has a new id: {said}"),
                &format!("Use the new chat id instead of the old one.{new}"),
            )
        }
        400 if d.contains("button_url_invalid") || d.contains("button") => refused(
            format!("Telegram refused a button: {said}"),
            "Button links must be http(s):// or tg:// URLs; buttons without a link send their id as callback data (1-64 bytes).",
        ),
        400 => refused(
            format!("Telegram refused the request: {said}"),
            "Fix what it names and send again.",
        ),
        401 => refused(
            "Telegram refused the bot token (401 Unauthorized)".into(),
            "The token is wrong or was revoked: copy it again from @BotFather (/mybots > API Token) and store it with Edit credentials or `pushdeck secret set PROFILE bot_token`.",
        ),
        403 if d.contains("blocked by the user") => refused(
            "The person blocked the bot, so it cannot message them".into(),
            "Nothing to fix on your side: remove this chat from the list, or wait until they unblock the bot.",
        ),
        403 if d.contains("can't initiate conversation") => refused(
            "The bot cannot start a conversation with this person".into(),
            "They must open the bot and press Start first (share the deep link with them).",
        ),
        403 if d.contains("not a member") || d.contains("kicked") => refused(
            format!("The bot is not in this chat: {said}"),
            "Add the bot to the group or channel (as an administrator for a channel), then send again.",
        ),
        403 if d.contains("deactivated") => refused(
            "This Telegram account was deleted".into(),
            "Remove this chat from the list.",
        ),
        403 => refused(
            format!("Telegram does not let the bot do this: {said}"),
            "Check that the bot is still in the chat and allowed to post there.",
        ),
        404 => refused(
            "Telegram answered 404 Not Found: no such bot or method".into(),
            "The token is probably incomplete (it must be the whole 123456789:AAE… text), or the base URL is wrong.",
        ),
        409 => refused(
            format!(
                "A webhook is set for this bot, so Find chats (getUpdates) cannot read its updates: {said}"
            ),
            "Look at the webhook (the Telegram panel in the app, or `pushdeck telegram webhook PROFILE`); removing it stops deliveries to that URL.",
        ),
        429 => {
            let mut o = refused(
                format!(
                    "Telegram is rate limiting the bot{}",
                    retry_after
                        .map(|s| format!(": it asks to wait {s} s"))
                        .unwrap_or_default()
                ),
                "Send fewer messages at once (about 30 a second overall, one a second per chat); nothing was sent this time.",
            );
            o.retry_after = retry_after;
            o
        }
        status => Outcome::from_status(NAME, status, description),
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
    for (path, value) in items {
        let chat = match value {
            Value::Number(n) => match n.as_i64() {
                Some(id) if id != 0 => ChatId::Id(id),
                _ => {
                    return Err(DraftError::new(
                        path,
                        "is not a chat id (a whole number such as 123456789 or -1001234567890)",
                    ));
                }
            },
            Value::String(s) => {
                let s = s.trim();
                if s.is_empty() {
                    continue;
                }
                parse_chat(s).map_err(|m| DraftError::new(path.clone(), m))?
            }
            _ => {
                return Err(DraftError::new(
                    path,
                    "must be a chat id number or an @channelname",
                ));
            }
        };
        if chats.contains(&chat) {
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

fn parse_chat(s: &str) -> Result<ChatId, String> {
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
fn raw_body(raw: &Value) -> Result<(&'static str, Map<String, Value>), DraftError> {
    let map = match raw {
        Value::Object(map) => map.clone(),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err(DraftError::new("options.raw", "must be a JSON object")),
            Err(e) => return Err(DraftError::new("options.raw", format!("invalid JSON: {e}"))),
        },
        _ => return Err(DraftError::new("options.raw", "must be a JSON object")),
    };
    let method = if map.contains_key("photo") {
        "sendPhoto"
    } else {
        "sendMessage"
    };
    Ok((method, map))
}

fn parse_mode(options: &Fields<'_>) -> Result<ParseMode, DraftError> {
    Ok(
        match options.one_of("parse_mode", &["HTML", "MarkdownV2", "none"])? {
            None | Some("HTML") => ParseMode::Html,
            Some("MarkdownV2") => ParseMode::MarkdownV2,
            Some(_) => ParseMode::Plain,
        },
    )
}

/// The sendMessage or sendPhoto body without `chat_id`, in the order the dump shows it.
fn build_body(
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
            "needs parse_mode HTML or MarkdownV2 (with none, the text is sent as it is)",
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
    let length = markup::telegram_len(&visible);
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
    if let Some(mode) = mode.wire()
        && (photo.is_empty() || body.contains_key("caption"))
    {
        body.insert("parse_mode".into(), json!(mode));
    }
    if options.bool("disable_link_preview")?.unwrap_or(false) {
        if photo.is_empty() {
            body.insert("link_preview_options".into(), json!({"is_disabled": true}));
        } else {
            warnings
                .push("No link preview does not apply to a photo message: it is left out.".into());
        }
    }
    if options.bool("disable_notification")?.unwrap_or(false) || m.silent {
        body.insert("disable_notification".into(), json!(true));
    }
    if options.bool("protect_content")?.unwrap_or(false) {
        body.insert("protect_content".into(), json!(true));
    }
    if !m.buttons.is_empty() {
        body.insert("reply_markup".into(), keyboard(m)?);
    }
    if !m.icon.is_empty() {
        warnings.push("Telegram bot messages have no icon: the icon is not sent (the bot's picture is shown).".into());
    }
    if !m.data.is_empty() {
        warnings.push("Telegram has no custom data field: message.data is not sent.".into());
    }
    if !m.translations.is_empty() {
        warnings.push("Telegram sends one text to every chat: translations are not sent.".into());
    }
    Ok((method, body))
}

fn check_photo(photo: &str) -> Result<(), DraftError> {
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
fn visible_text(text: &str, mode: ParseMode) -> Result<String, markup::MarkupError> {
    match mode {
        ParseMode::Html => markup::check_html(text),
        ParseMode::MarkdownV2 => markup::check_markdown_v2(text),
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

/// Buttons as an inline keyboard, one per row: a link button when it has a URL, otherwise a
/// callback button carrying its id.
fn keyboard(m: &Message) -> Result<Value, DraftError> {
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

/// A chat's name in words: a title, or a person's name and @username.
fn chat_name(chat: &Value) -> String {
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

/// `/start abc` (or `/start@bot abc`) → `abc`.
fn start_payload(text: &str) -> Option<String> {
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

#[cfg(test)]
mod tests;
