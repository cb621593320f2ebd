//! `pushdeck telegram …`: Bot API helpers (the chats that wrote to the bot, its webhook, a deep
//! link). Each call is sent and recorded by the engine like any exchange, the token masked.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use super::args::{Output, TelegramCommand};
use super::context::{CliResult, Context, Failure, bad_input, timeout};
use super::exit::Exit;
use super::print::{pretty, print_failure, result_json};
use crate::engine::SendResult;
use crate::provider::{Call, telegram};

pub fn telegram_command(ctx: &Context, cmd: TelegramCommand) -> CliResult {
    match cmd {
        TelegramCommand::Chats {
            profile,
            newest,
            out,
            timeout: t,
        } => chats(ctx, &profile, newest, out, timeout(t)?),
        TelegramCommand::Webhook {
            profile,
            delete,
            yes,
            set,
            out,
            timeout: t,
        } => {
            let t = timeout(t)?;
            if delete && !yes {
                return Err(bad_input(format!(
                    "--delete: {} Add --yes to remove it.",
                    telegram::DELETE_WEBHOOK_WARNING
                )));
            }
            let change = if delete {
                Some(("deleteWebhook", json!({"drop_pending_updates": false})))
            } else if let Some(url) = &set {
                let url = telegram::check_webhook_url(url)
                    .map_err(|e| bad_input(format!("--set: {}", e.message)))?;
                Some(("setWebhook", json!({"url": url})))
            } else {
                None
            };
            webhook(ctx, &profile, change, out, t)
        }
        TelegramCommand::Link {
            profile,
            token,
            timeout: t,
        } => link(ctx, &profile, token, timeout(t)?),
    }
}

/// One Bot API call, sent and recorded like any exchange (token masked).
fn call(
    ctx: &Context,
    name: &str,
    method: &str,
    body: Option<Value>,
    timeout: Duration,
) -> Result<Arc<SendResult>, Failure> {
    let loaded = ctx.load_checked(name, |provider| {
        if provider.info().id == "telegram" {
            Ok(())
        } else {
            Err(bad_input(format!(
                "profile: `{name}` is a {} profile, not a Telegram one",
                provider.info().name
            )))
        }
    })?;
    ctx.call(
        &loaded,
        Call::action(method, body.unwrap_or(Value::Null)),
        timeout,
    )
}

fn chats(ctx: &Context, profile: &str, newest: bool, out: Output, timeout: Duration) -> CliResult {
    let params = newest.then(|| json!({"offset": telegram::NEWEST_OFFSET}));
    let result = call(ctx, profile, "getUpdates", params, timeout)?;
    let Ok(updates) = telegram::reply(&result.exchange) else {
        return Ok(print_failure(&result, out));
    };
    let chats = telegram::discover_chats(&updates);
    // A full page read from the oldest end may hide newer updates; read from the newest end, it
    // already shows the newest.
    let more_pending = !newest && telegram::more_pending(&updates);
    if more_pending {
        eprintln!(
            "pushdeck: note: {}. `pushdeck telegram chats {profile} --newest` reads the newest {} instead; that confirms the older updates: Telegram forgets them for every program reading this bot.",
            telegram::MORE_PENDING_NOTE,
            telegram::UPDATES_PAGE
        );
    }
    if out.json {
        let list: Vec<Value> = chats
            .iter()
            .map(|c| json!({"id": c.id, "type": c.kind, "name": c.name, "start_payload": c.start_payload}))
            .collect();
        out!(
            "{}",
            pretty(
                &json!({"results": [result_json(&result, out.reveal)], "chats": list, "more_pending": more_pending})
            )
        );
    } else if chats.is_empty() {
        out!(
            "No chats in the bot's recent updates: ask people to press Start (or add the bot to the group or channel), then look again."
        );
    } else {
        for c in &chats {
            let start = c
                .start_payload
                .as_ref()
                .map(|p| format!("  start={p}"))
                .unwrap_or_default();
            out!("{}\t{}\t{}{start}", c.id, c.kind, c.name);
        }
    }
    Ok(Exit::Success)
}

/// Makes the `change` (a Bot API method and its body), if any, then shows the webhook.
fn webhook(
    ctx: &Context,
    profile: &str,
    change: Option<(&str, Value)>,
    out: Output,
    timeout: Duration,
) -> CliResult {
    if let Some((method, body)) = change {
        let result = call(ctx, profile, method, Some(body), timeout)?;
        if telegram::reply(&result.exchange).is_err() {
            return Ok(print_failure(&result, out));
        }
        if !out.json {
            out!("✓ {}", result.outcome.summary);
        }
    }
    let result = call(ctx, profile, "getWebhookInfo", None, timeout)?;
    let Ok(info) = telegram::reply(&result.exchange) else {
        return Ok(print_failure(&result, out));
    };
    if out.json {
        out!(
            "{}",
            pretty(&json!({"results": [result_json(&result, out.reveal)], "webhook": info}))
        );
    } else {
        for line in telegram::webhook_summary(&info) {
            out!("{line}");
        }
    }
    Ok(Exit::Success)
}

fn link(ctx: &Context, profile: &str, token: Option<String>, timeout: Duration) -> CliResult {
    let token = match token {
        Some(tok) => {
            let ok = (1..=64).contains(&tok.len())
                && tok
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(bad_input(
                    "--token: must be 1-64 characters of A-Z, a-z, 0-9, _ and -",
                ));
            }
            tok
        }
        None => telegram::start_token(*uuid::Uuid::new_v4().as_bytes()),
    };
    let result = call(ctx, profile, "getMe", None, timeout)?;
    let Ok(me) = telegram::reply(&result.exchange) else {
        return Ok(print_failure(&result, Output::TEXT));
    };
    let Some((_, username)) = telegram::bot_identity(&me) else {
        return Err(Failure {
            code: Exit::Refused,
            message: "getMe did not name the bot; check the base URL".into(),
        });
    };
    out!("{}", telegram::deep_link(&username, &token));
    eprintln!(
        "pushdeck: note: whoever opens it starts the bot with `/start {token}`; `pushdeck telegram chats {profile}` then shows their chat with start={token}"
    );
    Ok(Exit::Success)
}
