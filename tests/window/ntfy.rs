//! The ntfy tab in the real UI, driven by label, against a local ntfy stand-in.

use crate::support::stand_ins::ntfy as stand_in;

use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Environment, Profile};

use crate::support::window::{Desk, open, text_visible, type_into, wait_for};
use stand_in::{NtfyStandIn, TOKEN};

#[test]
fn compose_check_and_publish_to_a_topic() {
    let desk = Desk::new();
    let standin = NtfyStandIn::start_on(&desk.runtime);
    let mut profile = Profile::new("alerts", "ntfy");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Dev;
    let mut h = open(desk.app(profile, &[("access_token", TOKEN)]));

    h.get_by_label("Check").click();
    h.step();
    wait_for(&mut h, "the check", |h| {
        text_visible(h, "Token works: signed in as phil")
    });

    type_into(&mut h, "Title", "Deploy");
    type_into(&mut h, "Body", "Deployed to production");
    type_into(&mut h, "Topic", "private-deploys");
    assert!(
        text_visible(&h, "\"topic\": \"private-deploys\""),
        "Request pane follows"
    );
    assert!(text_visible(&h, "Bearer tk_s"), "token shown masked");
    assert!(
        !text_visible(&h, TOKEN),
        "the token never reaches the screen"
    );

    h.get_by_label("Send to topic “private-deploys” · DEV")
        .click();
    h.step();
    wait_for(&mut h, "the publish", |h| {
        !h.state().is_sending()
            && h.state()
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Published"))
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(ok && status.contains("sPs71M8A2T"), "{status}");
    let seen = standin.requests();
    let publish = seen.iter().find(|s| s.method == "POST").expect("a publish");
    assert_eq!(
        publish.json(),
        serde_json::json!({"topic": "private-deploys", "title": "Deploy", "message": "Deployed to production"})
    );
    standin.assert_no_problems();
}
