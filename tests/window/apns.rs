//! The APNs tab in the real UI against a local HTTP/2-only (h2c) APNs stand-in.

use crate::support::stand_ins::apns as stand_in;

use pushdeck::store::{Environment, Profile};

use crate::support::window::{
    Desk, Window, check_shows, harness_sized, open, send_until, text_visible, type_into,
};
use eframe::egui::{self, accesskit::Role};
use egui_kittest::kittest::Queryable as _;
use stand_in::{ApnsStandIn, DEVICE, KEY_ID, SIGNING_KEY, TEAM_ID, TOPIC};

fn profile(standin: &ApnsStandIn) -> Profile {
    let mut profile = Profile::new("acme-ios", "apns");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Dev;
    for (k, v) in [
        ("key_id", KEY_ID),
        ("team_id", TEAM_ID),
        ("topic", TOPIC),
        ("environment", "sandbox"),
    ] {
        profile.settings.insert(k.into(), v.into());
    }
    profile
}

#[test]
fn check_then_send_to_a_device_over_http2() {
    let standin = ApnsStandIn::start();
    let desk = Desk::new();
    let mut h = open(desk.app(profile(&standin), &[("signing_key_p8", SIGNING_KEY)]));

    check_shows(&mut h, "Key, team and topic work");

    type_into(&mut h, "Title", "Build 118");
    type_into(&mut h, "Body", "Passed");
    type_into(&mut h, "Device tokens", DEVICE);
    assert!(
        text_visible(&h, "apns-push-type"),
        "the Request pane shows the APNs headers"
    );
    let (ok, status) = send_until(&mut h, "Send to 1 device · DEV", "Sent");
    assert!(ok && status.contains("apns-id eabeae54-"), "{status}");
    let seen = standin.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].version, "HTTP/2.0");
    assert_eq!(
        seen[1].json(),
        serde_json::json!({"aps": {"alert": {"title": "Build 118", "body": "Passed"}, "sound": "default"}})
    );
    standin.assert_no_problems();
}

/// Picks `item` from the combo box labelled `list`.
fn pick(h: &mut Window, list: &str, item: &str) {
    h.get_by_role_and_label(Role::ComboBox, list).click();
    h.run();
    h.get_by_label(item).click();
    h.run();
}

#[test]
fn the_push_type_choice_and_the_live_activity_composer_send_an_update() {
    let standin = ApnsStandIn::start();
    let desk = Desk::new();
    // Tall, so the options below the audience are on screen.
    let mut h = harness_sized(
        desk.app(profile(&standin), &[("signing_key_p8", SIGNING_KEY)]),
        [1400.0, 1800.0],
    );
    h.run();
    type_into(&mut h, "Device tokens", DEVICE);
    type_into(&mut h, "Body", "Your order");
    // The notification options are in the composer and go into aps.
    pick(&mut h, "Interruption level", "time-sensitive");
    type_into(&mut h, "Relevance score", "0.5");
    assert!(
        text_visible(&h, "\"interruption-level\": \"time-sensitive\""),
        "the Request pane shows the interruption level"
    );
    assert!(text_visible(&h, "\"relevance-score\": 0.5"));
    pick(&mut h, "Interruption level", "default");
    h.get_by_label("Relevance score").focus();
    h.run();
    h.key_press_modifiers(egui::Modifiers::default(), egui::Key::End);
    for _ in 0.."0.5".len() {
        h.key_press(egui::Key::Backspace);
    }
    h.run();
    pick(&mut h, "Push type", "background");
    assert!(
        text_visible(&h, "priority 5 (Apple's rule)"),
        "the note says what a background push needs"
    );
    assert!(
        text_visible(&h, "Broadcast channels (iOS 18) are not available"),
        "the window says channels are not there"
    );
    pick(&mut h, "Push type", "liveactivity");
    assert!(
        text_visible(&h, ".push-type.liveactivity"),
        "the topic suffix"
    );
    pick(&mut h, "Live Activity event", "update");
    type_into(&mut h, "Content state (JSON)", r#"{"eta": 10}"#);
    type_into(&mut h, "Alert title", "Order 42");
    type_into(&mut h, "Alert body", "On the way");
    assert!(
        text_visible(&h, "\"event\": \"update\""),
        "the Request pane shows the Live Activity"
    );
    let (ok, status) = send_until(&mut h, "Send to 1 device · DEV", "Sent");
    assert!(ok, "{status}");
    standin.assert_no_problems();
    let seen = standin.requests();
    let last = seen.last().expect("sent");
    assert_eq!(last.header("apns-push-type"), Some("liveactivity"));
    assert_eq!(
        last.header("apns-topic"),
        Some(format!("{TOPIC}.push-type.liveactivity").as_str())
    );
    let body = last.json();
    assert_eq!(body["aps"]["event"], "update");
    assert_eq!(body["aps"]["content-state"], serde_json::json!({"eta": 10}));
    assert_eq!(
        body["aps"]["alert"],
        serde_json::json!({"title": "Order 42", "body": "On the way"})
    );
    assert!(body["aps"]["timestamp"].is_i64());
    // A start asks for the attributes type and attributes; an end for the dismissal date.
    pick(&mut h, "Live Activity event", "start");
    assert!(text_visible(&h, "Attributes type") && text_visible(&h, "Attributes (JSON)"));
    pick(&mut h, "Live Activity event", "end");
    assert!(text_visible(&h, "Dismissal date") && !text_visible(&h, "Attributes type"));
}
