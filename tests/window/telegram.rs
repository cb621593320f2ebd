//! The Telegram tab driven by label against the local Bot API stand-in: compose with a button, send
//! to several chats and read one row per chat; make a deep link and see who pressed Start with it;
//! meet a webhook (409), read it and remove it after the confirmation.

use crate::support::stand_ins::telegram as stand_in;

use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::Profile;

use crate::support::window::{
    self, Window, check_shows, harness_sized, text_visible, type_into, wait_for,
};
use eframe::egui::accesskit::Role;
use stand_in::{BOT_USERNAME, TOKEN, TelegramStandIn};

type Fixture = window::Fixture<TelegramStandIn>;

fn fixture() -> Fixture {
    Fixture::beside(TelegramStandIn::start())
}

/// A 1400×1000 window on the Telegram tab with the bot "acme-bot" on the stand-in.
fn harness(f: &Fixture) -> Window {
    let mut profile = Profile::new("acme-bot", "telegram");
    profile.base_url = Some(f.server.base_url());
    let mut h = harness_sized(
        f.desk.app(profile, &[("bot_token", TOKEN)]),
        [1400.0, 1000.0],
    );
    h.run();
    h
}

#[test]
fn send_to_several_chats_and_read_a_row_per_chat() {
    let f = fixture();
    let mut h = harness(&f);
    type_into(&mut h, "Title", "Release 2.0");
    type_into(&mut h, "Body", "Faster & smaller");
    type_into(&mut h, "Chat IDs", "42\n403403");
    assert!(
        text_visible(&h, "<b>Release 2.0</b>\\nFaster &amp; smaller"),
        "Request pane shows the escaped HTML"
    );
    assert!(
        !text_visible(&h, TOKEN),
        "the token never reaches the screen"
    );
    h.get_by_label_contains("Send to 2 chats").click();
    h.step();
    wait_for(&mut h, "the fan-out", |h| {
        !h.state().is_sending() && h.state().status.is_some()
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(!ok);
    assert!(status.contains("1 of 2 accepted"), "{status}");
    // One row per chat in the Response pane, the refusal in words.
    assert!(text_visible(&h, "403403"), "a row for the blocked chat");
    assert!(text_visible(&h, "blocked the bot"), "the reason in words");
    f.server.assert_no_problems();
    let sends = f
        .server
        .calls()
        .into_iter()
        .filter(|s| s.method == "sendMessage")
        .count();
    assert_eq!(sends, 2);
}

#[test]
fn deep_link_shows_who_pressed_start() {
    let f = fixture();
    let mut h = harness(&f);
    h.get_by_label("New deep link").click();
    h.step();
    let prefix = format!("https://t.me/{BOT_USERNAME}?start=");
    wait_for(&mut h, "the link", |h| text_visible(h, &prefix));
    let link = h
        .query_all(
            By::new().predicate(|n| n.value().is_some_and(|v| v.starts_with("https://t.me/"))),
        )
        .next()
        .and_then(|n| n.value())
        .expect("link field");
    let token = link.trim_start_matches(&prefix).to_string();
    assert_eq!(token.len(), 22, "{link}");
    // Someone opens the link; another person just writes.
    f.server
        .private_message(42, "Ada", "ada", &format!("/start {token}"));
    f.server.private_message(7, "Bo", "bo", "hello");
    h.get_by_label("Who pressed Start?").click();
    h.step();
    wait_for(&mut h, "discovery", |h| {
        text_visible(h, "pressed Start with this link")
    });
    assert!(text_visible(
        &h,
        "Ada (@ada) (42) pressed Start with this link"
    ));
    assert!(!text_visible(&h, "Bo (@bo) (7) pressed Start"));
    h.get_by_label("Add 42").click();
    h.run();
    assert!(
        h.query_all(By::new().predicate(|n| n.value().is_some_and(|v| v.trim() == "42")))
            .next()
            .is_some(),
        "42 is in the audience"
    );
    f.server.assert_no_problems();
}

#[test]
fn a_webhook_is_shown_and_removed_after_confirmation() {
    let f = fixture();
    f.server.set_webhook(Some("https://hooks.acme.example/tg"));
    let mut h = harness(&f);
    h.get_by_label("New deep link").click();
    h.step();
    wait_for(&mut h, "the link", |h| text_visible(h, "https://t.me/"));
    h.get_by_label("Who pressed Start?").click();
    h.step();
    wait_for(&mut h, "the webhook", |h| {
        text_visible(h, "Webhook URL: https://hooks.acme.example/tg")
    });
    assert!(text_visible(&h, "A webhook is set for this bot"));
    assert!(text_visible(&h, "Pending updates: 0"));
    assert!(text_visible(&h, "Connection timed out"));
    h.get_by_label("Remove webhook…").click();
    h.run();
    assert!(text_visible(
        &h,
        "will stop sending this bot's updates to the webhook URL"
    ));
    assert!(
        f.server.webhook().is_some(),
        "nothing removed before confirming"
    );
    h.get_by_label("Remove the webhook").click();
    h.step();
    wait_for(&mut h, "removal", |h| text_visible(h, "No webhook is set"));
    assert_eq!(f.server.webhook(), None);

    // Setting one needs https.
    type_into(&mut h, "New webhook URL", "http://plain.example/x");
    h.get_by_label("Set webhook").click();
    h.run();
    assert!(text_visible(&h, "must be an https:// URL"));
    assert_eq!(f.server.webhook(), None);
    f.server.assert_no_problems();
}

#[test]
fn find_chats_adds_a_chat_and_meets_a_webhook() {
    let f = fixture();
    f.server
        .private_message(42, "Ada", "ada", "/start from-newsletter");
    let mut h = harness(&f);
    check_shows(&mut h, "Token works: bot “Acme Alerts” (@acme_alerts_bot)");
    h.get_by_label("Find chats").click();
    h.step();
    let chip = "+ Ada (@ada) · private, pressed Start with from-newsletter";
    wait_for(&mut h, "the chats", |h| text_visible(h, chip));
    h.get_by_label(chip).click();
    h.run();
    assert_eq!(h.get_by_label("Chat IDs").value().as_deref(), Some("42"));

    f.server.set_webhook(Some("https://hooks.acme.example/tg"));
    h.get_by_label("Find chats").click();
    h.step();
    wait_for(&mut h, "the webhook", |h| {
        text_visible(h, "Webhook URL: https://hooks.acme.example/tg")
    });
    assert!(text_visible(&h, "Remove webhook…"));
    f.server.assert_no_problems();
}

#[test]
fn legacy_markdown_is_offered_as_a_parse_mode_and_sent() {
    let f = fixture();
    let mut h = harness(&f);
    type_into(&mut h, "Title", "Deploy_42");
    type_into(&mut h, "Body", "done *now*");
    type_into(&mut h, "Chat IDs", "42");
    h.get_by_role_and_label(Role::ComboBox, "Parse mode")
        .click();
    h.run();
    h.get_by_label("Markdown").click();
    h.run();
    assert!(
        text_visible(&h, r"*Deploy*\\_*42*\ndone \\*now\\*"),
        "Request pane shows the text escaped for legacy Markdown"
    );
    h.get_by_label_contains("Send to chat 42").click();
    h.step();
    wait_for(&mut h, "the send", |h| {
        !h.state().is_sending() && f.server.calls().iter().any(|c| c.method == "sendMessage")
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(ok, "{status}");
    let calls = f.server.calls();
    let sent = &calls.last().expect("sent").params;
    assert_eq!(sent["parse_mode"], "Markdown");
    f.server.assert_no_problems();
}

#[test]
fn on_a_busy_bot_find_chats_warns_and_reads_the_newest_after_saying_what_it_costs() {
    let f = fixture();
    for _ in 0..120 {
        f.server.private_message(7, "Bo", "bo", "hello");
    }
    f.server.private_message(42, "Ada", "ada", "/start fresh");
    let mut h = harness(&f);
    h.get_by_label("Find chats").click();
    h.step();
    wait_for(&mut h, "the warning", |h| {
        text_visible(h, "Read newest (confirms older updates)")
    });
    assert!(text_visible(&h, "the newest may be missing"));
    assert!(text_visible(&h, "Telegram forgets them for every program"));
    let chip = "+ Ada (@ada) · private, pressed Start with fresh";
    assert!(
        !text_visible(&h, chip),
        "the fresh /start is past the first page"
    );
    assert!(
        f.server
            .calls()
            .iter()
            .all(|c| c.params.get("offset").is_none()),
        "nothing confirmed before the click"
    );
    h.get_by_label("Read newest (confirms older updates)")
        .click();
    h.step();
    wait_for(&mut h, "the newest chats", |h| text_visible(h, chip));
    assert_eq!(
        f.server.calls().last().expect("read").params["offset"],
        -100
    );
    f.server.assert_no_problems();
}
