//! The APNs tab in the real UI against a local HTTP/2-only (h2c) APNs stand-in.

use crate::support::stand_ins::apns as stand_in;

use pushdeck::store::{Environment, Profile};

use crate::support::window::{Desk, check_shows, open, send_until, text_visible, type_into};
use stand_in::{ApnsStandIn, DEVICE, KEY_ID, SIGNING_KEY, TEAM_ID, TOPIC};

#[test]
fn check_then_send_to_a_device_over_http2() {
    let standin = ApnsStandIn::start();
    let desk = Desk::new();
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
    let mut h = open(desk.app(profile, &[("signing_key_p8", SIGNING_KEY)]));

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
