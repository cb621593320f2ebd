//! The Azure story in the real UI, driven by label against the local hub stand-in (which verifies
//! the SAS signature): check the connection string, confirm a broadcast, and read a test send's
//! outcome table in the Response pane.

use crate::support::stand_ins::azure as stand_in;

use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Environment, Profile};
use pushdeck::ui::RightTab;

use crate::support::window::{self, Window, open, text_visible, type_into, wait_for_text};
use stand_in::{AzureStandIn, FULL_POLICY, HUB, KEY, TRACKING_ID, connection_string};

type Fixture = window::Fixture<AzureStandIn>;

fn fixture() -> Fixture {
    Fixture::beside(AzureStandIn::start())
}

fn harness(f: &Fixture) -> Window {
    harness_with(f, "acme-hub", &connection_string(FULL_POLICY, KEY))
}

/// An app with one Azure profile `name` on the stand-in, its connection string in a memory keyring.
fn harness_with(f: &Fixture, name: &str, connection: &str) -> Window {
    let mut profile = Profile::new(name, "azure");
    profile.base_url = Some(f.server.base_url());
    profile.settings.insert("hub".into(), HUB.into());
    profile.environment = Environment::Dev;
    open(f.desk.app(profile, &[("connection_string", connection)]))
}

#[test]
fn test_send_shows_the_outcome_table() {
    let f = fixture();
    let mut h = harness(&f);
    type_into(&mut h, "Title", "Hello");
    type_into(&mut h, "Body", "Debug push from the GUI");
    type_into(&mut h, "Tags", "vip");
    h.get_by_label("Test send").click();
    h.run();
    // The Request pane shows the test query and the masked signature.
    assert!(
        text_visible(&h, "&test"),
        "Request pane shows the test mode"
    );
    assert!(!text_visible(&h, KEY), "the key never reaches the screen");
    h.get_by_label("Send to registrations tagged “vip” · DEV")
        .click();
    h.step();
    wait_for_text(&mut h, "Test send outcome");
    assert_eq!(h.state().right, RightTab::Response);
    for needle in [
        "Succeeded: 2",
        "Failed: 1",
        "Platform",
        "Registration ID",
        "5126583452930341963-3",
        "The Push Notification System handle for the registration is invalid",
        TRACKING_ID,
    ] {
        assert!(text_visible(&h, needle), "Response pane shows “{needle}”");
    }
    f.server.assert_no_problems();
    let seen = f.server.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].query.as_deref(), Some("api-version=2020-06&test"));
}

#[test]
fn broadcast_asks_first_then_shows_tracking_ids() {
    let f = fixture();
    let mut h = harness(&f);
    type_into(&mut h, "Body", "To everyone");
    h.get_by_label("Send to every apple registration · DEV")
        .click();
    h.run();
    assert!(
        text_visible(&h, "Confirm the audience"),
        "a broadcast asks first"
    );
    assert_eq!(f.server.hits(), 0);
    h.get_by_label("Send now").click();
    h.step();
    wait_for_text(&mut h, "Sent: the hub accepted it");
    assert!(text_visible(&h, "TrackingId"));
    assert!(text_visible(&h, TRACKING_ID));
    f.server.assert_no_problems();
}

#[test]
fn check_proves_the_connection_string() {
    let f = fixture();
    let mut h = harness(&f);
    h.get_by_label("Check").click();
    h.step();
    assert!(text_visible(
        &h,
        "Namespace acme-ns.servicebus.windows.net · policy DefaultFullSharedAccessSignature"
    ));
    wait_for_text(&mut h, "Connection string works");
    f.server.assert_no_problems();
}

#[test]
fn a_listen_key_is_explained() {
    let f = fixture();
    let mut h = harness_with(
        &f,
        "listen-hub",
        &connection_string(stand_in::LISTEN_POLICY, stand_in::LISTEN_KEY),
    );
    assert!(
        text_visible(&h, "A Listen policy cannot send"),
        "the profile bar warns before sending"
    );
    type_into(&mut h, "Body", "Hi");
    type_into(&mut h, "Tags", "vip");
    h.get_by_label("Send to registrations tagged “vip” · DEV")
        .click();
    h.step();
    wait_for_text(&mut h, "lacks the Send claim");
    assert!(text_visible(&h, "What to do:"), "hint shown");
}

#[test]
fn custom_headers_typed_as_json_reach_the_hub() {
    let f = fixture();
    let mut h = harness(&f);
    type_into(&mut h, "Body", "Flash sale");
    type_into(&mut h, "Tags", "vip");
    type_into(
        &mut h,
        "Custom headers",
        r#"{"apns-collapse-id": "sale-42"}"#,
    );
    h.run();
    assert!(
        text_visible(&h, "apns-collapse-id"),
        "the Request pane shows the custom header"
    );
    h.get_by_label("Send to registrations tagged “vip” · DEV")
        .click();
    h.step();
    wait_for_text(&mut h, "Sent: the hub accepted it");
    f.server.assert_no_problems();
    assert_eq!(
        f.server.requests()[0].header("apns-collapse-id"),
        Some("sale-42")
    );
}
