//! A campaign from the real window, by label: a campaign file opens as a campaign (its targets in
//! the panel beside the composer), one Send with one confirmation goes to four local stand-ins of
//! different providers at once, the matrix shows one row per target, a target answering 500 does
//! not stop the others, and "Retry failed" sends only it. One history row holds the campaign.

use egui_kittest::kittest::Queryable as _;
use serde_json::json;

use crate::support::stand_ins::ntfy::{NtfyStandIn, Scenario};
use crate::support::stand_ins::telegram::{self, TelegramStandIn};
use crate::support::stand_ins::webpush::PushService;
use crate::support::window::{Desk, click, harness_sized, step_until, text_visible, type_into};
use crate::support::{API_KEY, APP_ID, OneSignalStandIn};
use pushdeck::provider::webpush::vapid::VapidKey;
use pushdeck::store::{Environment, HistoryStore, Profile, SecretStore};

fn profile(
    name: &str,
    provider: &str,
    base_url: Option<String>,
    settings: &[(&str, &str)],
) -> Profile {
    let mut p = Profile::new(name, provider);
    p.base_url = base_url;
    p.environment = Environment::Dev;
    for (k, v) in settings {
        p.settings.insert((*k).into(), (*v).into());
    }
    p
}

#[test]
fn a_campaign_file_sends_to_four_providers_and_retry_failed_sends_only_what_failed() {
    let desk = Desk::new();
    let onesignal = OneSignalStandIn::start();
    let telegram = TelegramStandIn::start();
    let push = PushService::start();
    let ntfy = NtfyStandIn::start();
    let key = VapidKey::generate().expect("key");
    let public = key.public_key_b64();
    for p in [
        profile(
            "app",
            "onesignal",
            Some(onesignal.base_url()),
            &[("app_id", APP_ID)],
        ),
        profile("channel", "telegram", Some(telegram.base_url()), &[]),
        profile(
            "site",
            "webpush",
            None,
            &[
                ("subject", "mailto:ops@example.com"),
                ("vapid_public_key", &public),
            ],
        ),
        profile("alerts", "ntfy", Some(ntfy.base_url()), &[]),
    ] {
        desk.save_profile(p);
    }
    let keyring = SecretStore::memory();
    keyring.set("app", "api_key", API_KEY).expect("secret");
    keyring
        .set("channel", "bot_token", telegram::TOKEN)
        .expect("secret");
    keyring
        .set(
            "site",
            "vapid_private_key",
            &key.private_key_b64().expect("b64"),
        )
        .expect("secret");
    let subscriptions: Vec<_> = ["ana", "ben", "cy"]
        .iter()
        .map(|id| push.subscribe(id, None))
        .collect();
    let file = desk.dir.path().join("campaign.json");
    std::fs::write(
        &file,
        json!({
            "message": {"title": "Flash sale", "body": "50% off everything until midnight"},
            "targets": [
                {"profile": "app", "audience": {"segments": ["Active Users"]}},
                {"profile": "channel", "audience": {"chat_ids": [telegram::CHANNEL]}},
                {"profile": "site", "audience": {"subscriptions": subscriptions}},
                {"profile": "alerts", "audience": {"topic": "sales"}}
            ]
        })
        .to_string(),
    )
    .expect("write");
    let counts = || {
        [
            onesignal.requests().len(),
            telegram
                .calls()
                .iter()
                .filter(|c| c.method == "sendMessage")
                .count(),
            push.requests().len(),
            ntfy.requests().len(),
        ]
    };

    let mut h = harness_sized(desk.app_with(keyring), [1400.0, 1000.0]);
    h.run();
    // Open draft… opens a campaign file as a campaign.
    h.get_by_label("Open draft…").click();
    h.run();
    type_into(&mut h, "File", &file.display().to_string());
    click(&mut h, "Open");
    h.run();
    assert!(text_visible(&h, "Campaign (4)"), "four targets listed");
    for label in [
        "app · OneSignal",
        "channel · Telegram",
        "site · Web Push",
        "alerts · ntfy",
    ] {
        assert!(text_visible(&h, label), "{label} is a target");
    }
    // The picked target's requests show, nothing sent.
    assert!(
        text_visible(&h, "1 request(s)"),
        "the target's requests show"
    );
    assert_eq!(counts(), [0, 0, 0, 0]);

    ntfy.set(Scenario::ServerError);
    click(&mut h, "Send to all targets");
    h.run();
    // One confirmation naming every target and audience.
    assert!(text_visible(&h, "Send the campaign?"));
    assert!(
        text_visible(&h, "alerts (ntfy) → topic"),
        "the audience is named"
    );
    click(&mut h, "Send to 4 targets");
    step_until(&mut h, "the campaign", |app| {
        !app.is_sending()
            && app
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Campaign:"))
    });
    h.run();
    let status = h.state().status.clone().expect("status").1;
    assert_eq!(status, "Campaign: 3 of 4 targets accepted");
    assert_eq!(
        counts(),
        [1, 1, 3, 1],
        "each stand-in got exactly its requests"
    );
    assert_eq!(
        h.state().campaign.runs.len(),
        4,
        "one matrix row per target"
    );
    assert!(
        text_visible(&h, "3 of 3 recipients accepted"),
        "the fan-out row"
    );
    assert!(text_visible(&h, "Retry failed"));

    ntfy.set(Scenario::Ok);
    click(&mut h, "Retry failed");
    step_until(&mut h, "the retry", |app| {
        !app.is_sending()
            && app
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.contains("4 of 4"))
    });
    assert_eq!(
        counts(),
        [1, 1, 3, 2],
        "only the failed target was sent again"
    );

    let list = HistoryStore::new(desk.paths().history_dir()).list();
    assert_eq!(list.len(), 1, "one history row for the campaign: {list:?}");
    assert_eq!(list[0].summary, "4 of 4 targets accepted");
    onesignal.assert_no_problems();
    ntfy.assert_no_problems();

    // Reopening the campaign's history row restores every target and its results.
    click(&mut h, "Remove target 4");
    h.run();
    assert_eq!(h.state().campaign.targets.len(), 3);
    click(&mut h, "History (1)");
    h.run();
    h.get_by_label_contains("campaign: onesignal").click();
    h.run();
    h.run();
    assert_eq!(h.state().campaign.targets.len(), 4, "every target is back");
    assert_eq!(
        h.state().campaign.targets[2].audience["subscriptions"]
            .as_array()
            .map(Vec::len),
        Some(3),
        "with its audience"
    );
    assert_eq!(h.state().campaign.runs.len(), 4, "and its results");
    assert!(
        text_visible(&h, "Reopened the campaign"),
        "{}",
        h.state().status.clone().unwrap_or_default().1
    );
}
