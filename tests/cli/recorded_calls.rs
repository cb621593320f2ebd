//! The calls beside sending go through the engine's one door: Courier's delivery check and a
//! Telegram webhook change made on the command line are recorded (`history calls`) with their
//! exchange, and the token is in neither the record nor any file.

use crate::support as common;
use crate::support::stand_ins::courier::{CourierStandIn, TOKEN as COURIER_TOKEN};
use crate::support::stand_ins::telegram::{TOKEN as BOT_TOKEN, TelegramStandIn};
use crate::support::{block_on, everything_on_disk};

use common::{Keyring, Sandbox, stdout, stdout_json};

/// A message id Courier has never seen.
const UNKNOWN: &str = "1-nope";

#[test]
fn a_delivery_check_from_the_command_line_is_recorded_without_its_token() {
    let standin = block_on(CourierStandIn::start_async());
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile("acme", "courier", &standin.base_url(), &[]);
    let out = sandbox
        .cmd()
        .env("PUSHDECK_AUTH_TOKEN", COURIER_TOKEN)
        .args(["courier", "delivery", "acme", UNKNOWN])
        .output()
        .expect("runs");
    // Courier does not know the message yet: refused, and recorded all the same.
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));

    let listed = sandbox
        .cmd()
        .args(["history", "calls", "--json"])
        .output()
        .expect("runs");
    let doc = stdout_json(&listed);
    let calls = doc["calls"].as_array().expect("calls");
    assert_eq!(calls.len(), 1, "{doc:#}");
    assert_eq!(calls[0]["provider"], "courier");
    assert_eq!(calls[0]["profile"], "acme");
    assert_eq!(calls[0]["call"], "delivery");
    assert!(
        calls[0]["request"]["url"]
            .as_str()
            .is_some_and(|u| u.ends_with(&format!("/messages/{UNKNOWN}"))),
        "{doc:#}"
    );
    assert_eq!(calls[0]["response"]["status"], 404);
    assert_eq!(calls[0]["outcome"]["ok"], false);
    assert!(!everything_on_disk(sandbox.dir.path()).contains(COURIER_TOKEN));
    let plain = sandbox
        .cmd()
        .args(["history", "calls"])
        .output()
        .expect("runs");
    assert!(stdout(&plain).contains("delivery"), "{}", stdout(&plain));
}

#[test]
fn a_telegram_webhook_change_from_the_command_line_is_recorded_without_the_bot_token() {
    let standin = TelegramStandIn::start();
    standin.set_webhook(Some("https://hooks.acme.example/tg"));
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile("bot", "telegram", &standin.base_url(), &[]);
    let out = sandbox
        .cmd()
        .env("PUSHDECK_BOT_TOKEN", BOT_TOKEN)
        .args(["telegram", "webhook", "bot", "--delete", "--yes"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert_eq!(standin.webhook(), None);

    let doc = stdout_json(
        &sandbox
            .cmd()
            .args(["history", "calls", "--json"])
            .output()
            .expect("runs"),
    );
    let calls: Vec<&str> = doc["calls"]
        .as_array()
        .expect("calls")
        .iter()
        .filter_map(|c| c["call"].as_str())
        .collect();
    // Newest first: the change, then the status read after it.
    assert_eq!(calls, ["getWebhookInfo", "deleteWebhook"], "{doc:#}");
    let text = everything_on_disk(sandbox.dir.path());
    assert!(!text.contains(BOT_TOKEN), "the bot token reached a file");
    assert!(
        text.contains("/bot"),
        "the call's URL is recorded, token masked"
    );
}
