//! Reading a Bot API answer, and Telegram's documented errors in plain words with what to do.

use serde_json::Value;

use crate::http::Exchange;
use crate::outcome::Outcome;
use crate::provider::shared::answer;

/// The provider's name in every outcome's words.
pub const NAME: &str = "Telegram";

/// Reads a Bot API answer: the `result` when `ok` is true, or the failure in words.
pub fn reply(exchange: &Exchange) -> Result<Value, Outcome> {
    let response = answer(exchange)?;
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
pub fn explain(
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
    match code {
        400 => bad_request(&d, &said, migrate_to),
        401 => refused(
            "Telegram refused the bot token (401 Unauthorized)".into(),
            "The token is wrong or was revoked: copy it again from @BotFather (/mybots > API Token) and store it with Edit credentials or `pushdeck secret set PROFILE bot_token`.",
        ),
        403 => forbidden(&d, &said),
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

fn refused(summary: String, hint: &str) -> Outcome {
    Outcome::refused(summary).with_hint(hint)
}

/// 400s: told apart by Telegram's description (`d`, lowercased), in Telegram's order.
fn bad_request(d: &str, said: &str, migrate_to: Option<i64>) -> Outcome {
    let quoting = |lead: &str, hint: &str| refused(format!("{lead}: {said}"), hint);
    if d.contains("chat not found") {
        refused(
            "Chat not found: Telegram does not know this chat, or the bot has never been in it"
                .into(),
            "Check the id (Find chats lists the chats the bot has seen). A person must press Start in the bot first; for a group or channel, add the bot to it.",
        )
    } else if d.contains("can't parse entities") {
        quoting(
            "Telegram could not read the formatting",
            "Turn off \"Body is written in the parse mode's markup\" to send your text as typed, or fix the markup at the place it names.",
        )
    } else if d.contains("not enough rights") {
        quoting(
            "The bot is not allowed to post in this chat",
            "In a channel the bot must be an administrator with the right to post messages; in a group, check the members' permissions.",
        )
    } else if d.contains("message is too long") {
        quoting(
            "The message is too long for Telegram",
            "Shorten the text to 4096 characters (1024 for a photo caption).",
        )
    } else if d.contains("message text is empty") {
        refused(
            "Telegram refused an empty message".into(),
            "Write a title or a body.",
        )
    } else if d.contains("wrong file identifier")
        || d.contains("failed to get http url content")
        || d.contains("wrong type of the web page content")
    {
        quoting(
            "Telegram could not fetch the image",
            "The image must be a public https URL of a JPEG or PNG up to 5 MB that Telegram's servers can download, or a file_id.",
        )
    } else if d.contains("thread not found") {
        quoting(
            "No such topic in this chat",
            "Check the topic (thread) id, or clear it to post in the main chat.",
        )
    } else if d.contains("upgraded to a supergroup") || migrate_to.is_some() {
        let new = migrate_to
            .map(|id| format!(" Its new id is {id}."))
            .unwrap_or_default();
        quoting(
            "This group became a supergroup and has a new id",
            &format!("Use the new chat id instead of the old one.{new}"),
        )
    } else if d.contains("button_url_invalid") || d.contains("button") {
        quoting(
            "Telegram refused a button",
            "Button links must be http(s):// or tg:// URLs; buttons without a link send their id as callback data (1-64 bytes).",
        )
    } else {
        quoting(
            "Telegram refused the request",
            "Fix what it names and send again.",
        )
    }
}

/// 403s: the bot may not write to this chat, for the reason in the description.
fn forbidden(d: &str, said: &str) -> Outcome {
    if d.contains("blocked by the user") {
        refused(
            "The person blocked the bot, so it cannot message them".into(),
            "Nothing to fix on your side: remove this chat from the list, or wait until they unblock the bot.",
        )
    } else if d.contains("can't initiate conversation") {
        refused(
            "The bot cannot start a conversation with this person".into(),
            "They must open the bot and press Start first (share the deep link with them).",
        )
    } else if d.contains("not a member") || d.contains("kicked") {
        refused(
            format!("The bot is not in this chat: {said}"),
            "Add the bot to the group or channel (as an administrator for a channel), then send again.",
        )
    } else if d.contains("deactivated") {
        refused(
            "This Telegram account was deleted".into(),
            "Remove this chat from the list.",
        )
    } else {
        refused(
            format!("Telegram does not let the bot do this: {said}"),
            "Check that the bot is still in the chat and allowed to post there.",
        )
    }
}
