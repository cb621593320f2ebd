//! The ntfy tab in the real UI, driven by label, against a local ntfy stand-in.

use crate::support::stand_ins::ntfy as stand_in;

use pushdeck::store::{Environment, Profile};

use crate::support::window::{
    Desk, check_shows, click, open, text_visible, type_into, wait_for_status,
};
use stand_in::{NtfyStandIn, TOKEN};

#[test]
fn compose_check_and_publish_to_a_topic() {
    let desk = Desk::new();
    let standin = NtfyStandIn::start_on(&desk.runtime);
    let mut profile = Profile::new("alerts", "ntfy");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Dev;
    let mut h = open(desk.app(profile, &[("access_token", TOKEN)]));

    check_shows(&mut h, "Token works: signed in as phil");

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

    click(&mut h, "Send to topic “private-deploys” · DEV");
    let (ok, status) = wait_for_status(&mut h, "the publish", |s| s.starts_with("Published"));
    assert!(ok && status.contains("sPs71M8A2T"), "{status}");
    let seen = standin.requests();
    let publish = seen.iter().find(|s| s.method == "POST").expect("a publish");
    assert_eq!(
        publish.json(),
        serde_json::json!({"topic": "private-deploys", "title": "Deploy", "message": "Deployed to production"})
    );
    standin.assert_no_problems();
}
