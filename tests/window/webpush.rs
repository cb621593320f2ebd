//! The Web Push tab in the real UI, driven by label: keys, subscriptions, a send decrypted by a
//! local push service, gone subscriptions removed in one click, a fan-out confirmed.

use crate::support::stand_ins::webpush as stand_in;

use std::time::Duration;

use egui_kittest::kittest::{By, NodeT as _, Queryable as _};
use pushdeck::store::{Environment, Profile, ProfileStore, SecretStore};
use pushdeck::ui::PushdeckApp;

use crate::support::window::{
    Desk, Window, harness_sized, snapshot, text_visible, type_into, wait_for_at_most,
};
use serde_json::json;
use stand_in::PushService;

/// An app with a profile "site" and no keys yet, on the Web Push tab.
fn webpush_app(desk: &Desk) -> (PushdeckApp, SecretStore) {
    let mut profile = Profile::new("site", "webpush");
    profile.environment = Environment::Staging;
    profile
        .settings
        .insert("subject".into(), "mailto:ops@example.com".into());
    desk.app_and_keyring(profile, &[])
}

/// [`webpush_app`] in a 1280×860 window.
fn webpush_window(desk: &Desk) -> (Window, SecretStore) {
    let (app, keyring) = webpush_app(desk);
    let mut h = harness_sized(app, [1280.0, 860.0]);
    h.run();
    (h, keyring)
}

/// The Web Push window with a VAPID key made by its own Generate keys button.
fn keyed_window(desk: &Desk) -> (Window, SecretStore) {
    let (mut h, keyring) = webpush_window(desk);
    h.get_by_label("Generate keys").click();
    h.run();
    (h, keyring)
}

/// The push service answers within this (a send encrypts for every subscription first).
const SEND_WAIT: Duration = Duration::from_secs(20);

fn click_starting(h: &mut Window, prefix: &'static str) {
    h.query_all(By::new().predicate(move |n| n.label().is_some_and(|l| l.starts_with(prefix))))
        .next()
        .unwrap_or_else(|| panic!("no widget labelled {prefix}…"))
        .click();
}

fn public_key(keyring: &SecretStore) -> String {
    let private = keyring
        .get("site", "vapid_private_key")
        .expect("keyring")
        .expect("a generated key");
    pushdeck::provider::webpush::vapid::VapidKey::import(&private)
        .expect("usable")
        .public_key_b64()
}

fn send_and_wait(h: &mut Window) {
    click_starting(h, "Send to ");
    h.step();
    wait_for_at_most(h, SEND_WAIT, "the send", |h| {
        !h.state().is_sending() && h.state().status.is_some()
    });
}

#[test]
fn keys_subscriptions_send_and_gone() {
    let desk = Desk::new();
    let service = PushService::start_on(&desk.runtime);
    let (mut h, keyring) = keyed_window(&desk);
    let public = public_key(&keyring);
    assert!(text_visible(&h, "Copy public key"));
    let profiles = ProfileStore::open(desk.paths().profiles_file()).expect("profiles");
    assert_eq!(
        profiles
            .get("site")
            .and_then(|p| p.setting("vapid_public_key")),
        Some(public.as_str()),
        "the public key is saved in the profile"
    );

    let ana = service.subscribe("ana", Some(&public));
    let gone = service.subscribe("gone-old-phone", Some(&public));
    type_into(
        &mut h,
        "Paste subscription",
        &json!([ana, gone]).to_string(),
    );
    h.get_by_label("Add").click();
    h.run();
    assert!(text_visible(&h, "Subscriptions: 2"));

    // A bad paste is refused with its reason and changes nothing.
    let mut bad = service.subscribe("broken", Some(&public));
    bad["keys"]["auth"] = json!("AAAA");
    type_into(&mut h, "Paste subscription", &bad.to_string());
    h.get_by_label("Add").click();
    h.run();
    assert!(text_visible(
        &h,
        "Left out: the subscription: `keys.auth` is 3 bytes"
    ));
    assert!(text_visible(&h, "Subscriptions: 2"));

    type_into(&mut h, "Title", "Build 118");
    type_into(&mut h, "Body", "Passed");
    assert!(
        text_visible(&h, "plaintext before encryption"),
        "the Request pane shows what is encrypted"
    );
    send_and_wait(&mut h);
    let delivered = service.delivered();
    assert_eq!(delivered.len(), 1, "{:?}", service.problems());
    assert_eq!(
        delivered[0].json(),
        json!({"title": "Build 118", "body": "Passed"})
    );
    assert!(text_visible(&h, "1 subscription(s) are gone"));
    h.get_by_label("Remove 1 gone").click();
    h.run();
    assert!(text_visible(&h, "Subscriptions: 1"));
    assert!(!text_visible(&h, "are gone"));
}

/// A subscriptions file named in the audience: the window shows its count and first endpoints
/// (counted in the background), never its rows; Send asks first and reaches each one once.
#[test]
fn a_subscriptions_file_shows_its_count_and_a_sample_and_sends_to_each() {
    let desk = Desk::new();
    let service = PushService::start_on(&desk.runtime);
    let (mut h, keyring) = keyed_window(&desk);
    let public = public_key(&keyring);
    let subs: Vec<serde_json::Value> = (0..40)
        .map(|i| service.subscribe(&format!("f{i:02}"), Some(&public)))
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("subscriptions.jsonl");
    let text: String = subs.iter().map(|s| format!("{s}\n")).collect();
    std::fs::write(&file, text).expect("write");
    type_into(&mut h, "Subscriptions file", &file.display().to_string());
    wait_for_at_most(&mut h, Duration::from_secs(10), "the count", |h| {
        text_visible(h, "Subscriptions file: 40 subscriptions")
    });
    let endpoint = |i: usize| subs[i]["endpoint"].as_str().unwrap_or_default().to_string();
    assert!(
        text_visible(&h, &endpoint(0)),
        "the first endpoints are shown"
    );
    assert!(text_visible(&h, "… and 37 more"));
    assert!(!text_visible(&h, &endpoint(39)), "not every row");
    assert!(
        !text_visible(&h, "Paste subscription"),
        "no inline list beside the file"
    );

    type_into(&mut h, "Body", "From a file");
    click_starting(&mut h, "Send to ");
    h.run();
    assert!(
        text_visible(&h, "every subscription in"),
        "a file of unknown size is confirmed first"
    );
    assert_eq!(service.hits(), 0, "nothing sent before confirming");
    h.get_by_label("Send now").click();
    h.step();
    wait_for_at_most(&mut h, SEND_WAIT, "the fan-out", |h| {
        !h.state().is_sending() && h.state().status.is_some()
    });
    let mut reached: Vec<String> = service.delivered().into_iter().map(|d| d.id).collect();
    reached.sort();
    let expected: Vec<String> = (0..40).map(|i| format!("f{i:02}")).collect();
    assert_eq!(reached, expected, "{:?}", service.problems());
}

/// Whether the last frame put exactly `text` on the clipboard.
fn copied(h: &Window, text: &str) -> bool {
    h.output()
        .platform_output
        .commands
        .iter()
        .any(|c| matches!(c, eframe::egui::OutputCommand::CopyText(t) if t == text))
}

#[test]
fn the_private_key_is_exported_to_the_clipboard_only_after_confirming() {
    let desk = Desk::new();
    let (mut h, keyring) = webpush_window(&desk);
    assert!(
        !text_visible(&h, "Export private key"),
        "no key, nothing to export"
    );
    h.get_by_label("Generate keys").click();
    h.run();
    let private = keyring
        .get("site", "vapid_private_key")
        .expect("keyring")
        .expect("a generated key");

    h.get_by_label("Export private key…").click();
    h.run();
    assert!(text_visible(&h, "Anyone who has the private key"));
    h.get_by_label("Cancel").click();
    h.step();
    assert!(!copied(&h, &private), "cancelled: nothing copied");
    h.run();
    assert!(!text_visible(&h, "Anyone who has the private key"));

    h.get_by_label("Export private key…").click();
    h.run();
    h.get_by_label("Copy private key").click();
    h.step();
    assert!(copied(&h, &private), "the clipboard gets the private key");
    h.run();
    assert!(text_visible(&h, "Private key copied"));
    assert!(!text_visible(&h, &private), "the key is never shown");
    assert!(!text_visible(&h, "Anyone who has the private key"));
}

#[test]
fn a_fan_out_over_ten_is_confirmed_first() {
    let desk = Desk::new();
    let service = PushService::start_on(&desk.runtime);
    let (mut h, _keyring) = keyed_window(&desk);
    let subs: Vec<serde_json::Value> = (0..12)
        .map(|i| service.subscribe(&format!("s{i}"), None))
        .collect();
    type_into(&mut h, "Paste subscription", &json!(subs).to_string());
    h.get_by_label("Add").click();
    h.run();
    assert!(
        text_visible(&h, "Subscriptions: 12"),
        "status: {:?}",
        h.state().status
    );
    type_into(&mut h, "Body", "Hello all");
    click_starting(&mut h, "Send to ");
    h.run();
    assert!(
        text_visible(&h, "12 recipients (12 subscriptions)"),
        "the confirmation names the audience"
    );
    assert_eq!(service.hits(), 0, "nothing sent before confirming");
    h.get_by_label("Send now").click();
    h.step();
    wait_for_at_most(&mut h, SEND_WAIT, "the fan-out", |h| {
        !h.state().is_sending() && h.state().status.is_some()
    });
    assert_eq!(service.delivered().len(), 12, "{:?}", service.problems());

    // The results are a table sorted by a header click; a row opens its exchange.
    h.get_by_label("Response").click();
    h.run();
    let column = |h: &Window, prefix: &'static str| -> Vec<String> {
        let mut cells: Vec<(f32, String)> = h
            .query_all(
                By::new().predicate(move |n| n.label().is_some_and(|l| l.starts_with(prefix))),
            )
            .map(|n| {
                (
                    n.rect().top(),
                    n.accesskit_node().label().unwrap_or_default(),
                )
            })
            .collect();
        cells.sort_by(|a, b| a.0.total_cmp(&b.0));
        cells.into_iter().map(|c| c.1).collect()
    };
    let recipients = |h: &Window| column(h, "127.0.0.1 …/push/");
    assert_eq!(
        recipients(&h).first().map(String::as_str),
        Some("127.0.0.1 …/push/s0")
    );
    h.get_by_label("Recipient").click();
    h.run();
    h.get_by_label("Recipient ⏶").click();
    h.run();
    // Text order, descending: s9 before s10.
    let sorted = recipients(&h);
    assert_eq!(
        sorted.first().map(String::as_str),
        Some("127.0.0.1 …/push/s9"),
        "{sorted:?}"
    );
    let s9 = "127.0.0.1 …/push/s9";
    h.get_by_label(s9).click();
    h.run();
    h.get_by_label("Request as sent").click();
    h.run();
    let shows_s9 = |h: &Window| {
        h.query_all(By::new().predicate(|n| {
            [n.label(), n.value()]
                .into_iter()
                .flatten()
                .any(|t| t.contains("/push/s9") && !t.starts_with("127.0.0.1 …"))
        }))
        .next()
        .is_some()
    };
    assert!(
        shows_s9(&h),
        "the picked row's exchange shows below the table"
    );
}

/// The Web Push tab with keys and two subscriptions, for the README and to catch layout breaks.
/// A fixed VAPID key and fixed subscriptions keep the picture the same on every run.
#[test]
fn snapshot_webpush_tab() {
    let desk = Desk::new();
    let (first, keyring) = webpush_app(&desk);
    drop(first);
    // RFC 8291's sender key doubles as a fixed VAPID key here.
    let key = pushdeck::provider::webpush::vapid::VapidKey::import(
        "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw",
    )
    .expect("key");
    keyring
        .set(
            "site",
            "vapid_private_key",
            &key.private_key_b64().expect("b64"),
        )
        .expect("secret");
    let mut profiles = ProfileStore::open(desk.paths().profiles_file()).expect("profiles");
    let mut profile = profiles.get("site").cloned().expect("profile");
    profile
        .settings
        .insert("vapid_public_key".into(), key.public_key_b64());
    profiles.upsert(profile).expect("save");
    let p256dh =
        "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
    let draft = pushdeck::draft::Draft::from_json(
        &json!({
            "profile": "site",
            "message": {"title": "Build 118 passed", "body": "All 412 tests green in 4 min",
                        "url": "https://ci.example.com/118",
                        "buttons": [{"id": "logs", "label": "Logs", "url": "https://ci.example.com/118/log"}]},
            "audience": {"subscriptions": [
                {"endpoint": "https://fcm.googleapis.com/fcm/send/dXJlOi8vQW5hLWxhcHRvcA", "label": "Ana's laptop",
                 "keys": {"p256dh": p256dh, "auth": "BTBZMqHH6r4Tts7J_aSIgg"}},
                {"endpoint": "https://updates.push.services.mozilla.com/wpush/v2/gAAAAABmX2",
                 "keys": {"p256dh": p256dh, "auth": "BTBZMqHH6r4Tts7J_aSIgg"}}
            ]},
            "options": {"ttl": 3600, "urgency": "high", "topic": "build-118"}
        })
        .to_string(),
    )
    .expect("draft");
    let mut app = desk.app_with(keyring);
    app.load_draft(&draft).expect("loads");
    let mut h = egui_kittest::Harness::builder()
        .with_size([1280.0, 800.0])
        .with_theme(eframe::egui::Theme::Dark)
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app);
    h.run();
    assert!(text_visible(&h, "Subscriptions: 2"));
    snapshot(&mut h, "webpush");
    // Raw mode edits the plaintext (the body itself is ciphertext), and a raw payload is sent.
    h.get_by_label("Edit raw").click();
    h.run();
    assert!(
        h.query_all(By::new().predicate(|n| {
            n.value()
                .is_some_and(|v| v.contains("\"title\": \"Build 118 passed\""))
        }))
        .next()
        .is_some(),
        "the raw editor starts from the plaintext"
    );
}

/// After a send from a subscriptions file, the gone ones are removed from the file itself in
/// one click (rewritten through the engine, atomically), the others kept in order, and the
/// window counts the file again; the offer is not made twice.
#[test]
fn remove_gone_rewrites_the_subscriptions_file() {
    let desk = Desk::new();
    let service = PushService::start_on(&desk.runtime);
    let (mut h, keyring) = keyed_window(&desk);
    let public = public_key(&keyring);
    let ids: Vec<String> = (0..12)
        .map(|i| match i {
            3 | 8 => format!("gone-{i:02}"),
            _ => format!("f{i:02}"),
        })
        .collect();
    let subs: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| service.subscribe(id, Some(&public)))
        .collect();
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("subscriptions.jsonl");
    let text: String = subs.iter().map(|s| format!("{s}\n")).collect();
    std::fs::write(&file, text).expect("write");
    type_into(&mut h, "Subscriptions file", &file.display().to_string());
    wait_for_at_most(&mut h, Duration::from_secs(10), "the count", |h| {
        text_visible(h, "Subscriptions file: 12 subscriptions")
    });
    type_into(&mut h, "Body", "From a file");
    click_starting(&mut h, "Send to ");
    h.run();
    h.get_by_label("Send now").click();
    h.step();
    wait_for_at_most(&mut h, SEND_WAIT, "the fan-out", |h| {
        !h.state().is_sending() && h.state().status.is_some()
    });
    assert_eq!(service.delivered().len(), 10, "{:?}", service.problems());
    assert!(text_visible(&h, "2 subscription(s) in the file are gone"));

    h.get_by_label("Remove 2 gone from the file").click();
    h.step();
    wait_for_at_most(&mut h, Duration::from_secs(10), "the recount", |h| {
        text_visible(h, "Subscriptions file: 10 subscriptions")
    });
    let left: Vec<serde_json::Value> = std::fs::read_to_string(&file)
        .expect("read")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let expected: Vec<serde_json::Value> = subs
        .iter()
        .zip(&ids)
        .filter(|(_, id)| !id.starts_with("gone-"))
        .map(|(s, _)| s.clone())
        .collect();
    assert_eq!(
        left, expected,
        "the gone ones removed, the rest kept in order"
    );
    assert!(
        text_visible(&h, "Removed 2 gone subscription(s)"),
        "the status line says so"
    );
    assert!(
        h.query_by_label("Remove 2 gone from the file").is_none(),
        "not offered twice"
    );
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name() != "subscriptions.jsonl")
        .collect();
    assert!(stray.is_empty(), "no temporary file left behind");
}

/// Stop while a fan-out waits on a push service that never answers: the requests it had on
/// their way may have arrived, so the status line and history say they are in doubt.
#[test]
fn stopping_a_fan_out_in_flight_leaves_its_requests_in_doubt() {
    use crate::support::fault_server::{Fault, FaultServer};
    let desk = Desk::new();
    let silent = FaultServer::start(Fault::Silent);
    let service = PushService::start_on(&desk.runtime);
    let mut profile = Profile::new("site", "webpush");
    profile.environment = Environment::Staging;
    profile
        .settings
        .insert("subject".into(), "mailto:ops@example.com".into());
    // Every endpoint's origin is replaced by the silent server's.
    profile.base_url = Some(silent.base_url());
    let (app, keyring) = desk.app_and_keyring(profile, &[]);
    let mut h = harness_sized(app, [1280.0, 860.0]);
    h.run();
    h.get_by_label("Generate keys").click();
    h.run();
    let public = public_key(&keyring);
    let subs: Vec<_> = (0..3)
        .map(|i| service.subscribe(&format!("s{i}"), Some(&public)))
        .collect();
    type_into(&mut h, "Paste subscription", &json!(subs).to_string());
    h.get_by_label("Add").click();
    h.run();
    type_into(&mut h, "Body", "Stopped half-way");
    click_starting(&mut h, "Send to ");
    h.step();
    // Frames keep coming while the send waits (a spinner): step, do not wait for the UI to settle.
    let started = std::time::Instant::now();
    while silent.hits() < 3 {
        assert!(
            started.elapsed() < SEND_WAIT,
            "{} reached the server",
            silent.hits()
        );
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    h.key_press(eframe::egui::Key::Escape);
    wait_for_at_most(&mut h, SEND_WAIT, "the stop", |h| !h.state().is_sending());
    let (ok, status) = h.state().status.clone().expect("a status");
    assert!(!ok);
    assert!(
        status.contains("0 of 3 accepted") && status.contains("3 in doubt"),
        "{status}"
    );
    let history = pushdeck::store::HistoryStore::new(desk.paths().history_dir()).list();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].in_doubt, 3, "{:?}", history[0]);
}

/// A profile whose public key setting is gone (added again from the command line) but whose
/// private key is in the keyring: the row shows the key it has, worked out from the private
/// half, instead of "none yet", and Generate stays behind Replace.
#[test]
fn a_stored_private_key_without_its_public_setting_still_shows_the_key() {
    let desk = Desk::new();
    let key = pushdeck::provider::webpush::vapid::VapidKey::generate().expect("a key");
    let mut profile = Profile::new("site", "webpush");
    profile
        .settings
        .insert("subject".into(), "mailto:ops@example.com".into());
    let private = key.private_key_b64().expect("exports");
    let (app, _keyring) = desk.app_and_keyring(profile, &[("vapid_private_key", &private)]);
    let mut h = harness_sized(app, [1280.0, 860.0]);
    h.run();
    let public = key.public_key_b64();
    assert!(
        text_visible(&h, &public[..16]),
        "its public half is shown: {public}"
    );
    h.get_by_label("Copy public key").click();
    h.step();
    assert!(copied(&h, &public), "and copied whole");
    assert!(
        h.query_all(By::new().label("Generate keys"))
            .all(|n| n.accesskit_node().is_disabled()),
        "no new key without Replace"
    );
}
