//! The calls beside sending, made from the window, go through the engine's one door: Courier's
//! "Check delivery" and a Telegram webhook removal are recorded with their exchange
//! (`history/calls.jsonl`), and the token is in no file the app wrote.

use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{HistoryStore, Profile};

use crate::support::everything_on_disk;
use crate::support::stand_ins::courier::{CourierStandIn, REQUEST_ID, TOKEN as COURIER_TOKEN};
use crate::support::stand_ins::telegram::{TOKEN as BOT_TOKEN, TelegramStandIn};
use crate::support::window::{Desk, harness_sized, open, text_visible, type_into, wait_for};

/// The calls the app recorded, oldest first: (provider, call, URL as kept).
fn recorded(desk: &Desk) -> Vec<(String, String, String)> {
    HistoryStore::new(desk.paths().history_dir())
        .calls()
        .list()
        .into_iter()
        .map(|c| (c.provider, c.call, c.result.exchange.request.url))
        .collect()
}

#[test]
fn check_delivery_in_the_window_is_recorded_without_its_token() {
    let desk = Desk::new();
    let standin = desk.runtime.block_on(CourierStandIn::start_async());
    let mut profile = Profile::new("acme", "courier");
    profile.base_url = Some(standin.base_url());
    let mut h = open(desk.app(profile, &[("auth_token", COURIER_TOKEN)]));
    type_into(&mut h, "Body", "Status: passed");
    type_into(&mut h, "To", r#"{"email": "dev@example.com"}"#);
    h.get_by_label("Send to dev@example.com · DEV").click();
    h.step();
    wait_for(&mut h, "the send", |h| {
        !h.state().is_sending() && h.state().status.is_some()
    });
    h.get_by_label("Check delivery").click();
    h.step();
    wait_for(&mut h, "the delivery", |h| {
        text_visible(h, "Delivery status: DELIVERED")
    });
    let calls = recorded(&desk);
    assert!(
        calls
            .iter()
            .any(|(p, c, url)| p == "courier" && c == "delivery" && url.ends_with(REQUEST_ID)),
        "{calls:?}"
    );
    assert!(!everything_on_disk(desk.dir.path()).contains(COURIER_TOKEN));
}

#[test]
fn removing_a_webhook_in_the_window_is_recorded_without_the_bot_token() {
    let desk = Desk::new();
    let standin = TelegramStandIn::start();
    standin.set_webhook(Some("https://hooks.acme.example/tg"));
    let mut profile = Profile::new("acme-bot", "telegram");
    profile.base_url = Some(standin.base_url());
    let mut h = harness_sized(
        desk.app(profile, &[("bot_token", BOT_TOKEN)]),
        [1400.0, 1000.0],
    );
    h.run();
    h.get_by_label("Webhook status").click();
    h.step();
    wait_for(&mut h, "the webhook", |h| {
        text_visible(h, "Remove webhook…")
    });
    h.get_by_label("Remove webhook…").click();
    h.run();
    h.get_by_label("Remove the webhook").click();
    h.step();
    wait_for(&mut h, "removal", |h| text_visible(h, "No webhook is set"));
    assert_eq!(standin.webhook(), None);
    let calls: Vec<String> = recorded(&desk).into_iter().map(|(_, c, _)| c).collect();
    assert_eq!(
        calls,
        ["getWebhookInfo", "deleteWebhook", "getWebhookInfo"],
        "every Bot API call the panel made, in order"
    );
    let text = everything_on_disk(desk.dir.path());
    assert!(!text.contains(BOT_TOKEN), "the bot token reached a file");
}
