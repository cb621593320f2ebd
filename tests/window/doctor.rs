//! The window's Check as the credential doctor: a list of findings with ✓ / ⚠ / ✗, the raw
//! detail one click away. A Listen-only Azure key is named locally (⚠) and by the hub (✗).

use crate::support::stand_ins::azure as stand_in;

use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Environment, Profile};

use crate::support::window::{self, click, open, text_visible, wait_for_text};
use stand_in::{AzureStandIn, HUB, LISTEN_KEY, LISTEN_POLICY, connection_string};

#[test]
fn check_lists_the_findings_and_opens_a_detail() {
    let f = window::Fixture::beside(AzureStandIn::start());
    let mut profile = Profile::new("listen-hub", "azure");
    profile.base_url = Some(f.server.base_url());
    profile.settings.insert("hub".into(), HUB.into());
    profile.environment = Environment::Dev;
    let connection = connection_string(LISTEN_POLICY, LISTEN_KEY);
    let mut h = open(f.desk.app(profile, &[("connection_string", &connection)]));
    click(&mut h, "Check");
    wait_for_text(&mut h, "The connection string has its Endpoint");
    let warning =
        format!("The policy {LISTEN_POLICY} looks Listen-only: a Listen key cannot send.");
    assert!(text_visible(&h, &warning), "the local finding");
    for mark in ["fine", "warning", "problem"] {
        assert!(
            h.query_all_by_label(mark).next().is_some(),
            "the {mark} mark shows"
        );
    }
    wait_for_text(
        &mut h,
        "The key of policy DefaultListenSharedAccessSignature lacks the Send claim",
    );
    let detail = "copy the DefaultFullSharedAccessSignature connection string";
    assert!(!text_visible(&h, detail), "the detail starts folded");
    click(&mut h, &warning);
    h.run();
    assert!(text_visible(&h, detail), "one click shows the detail");
}
