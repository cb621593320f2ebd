//! The SNS tab in the real UI against a local stand-in that verifies SigV4: check credentials,
//! load topics and pick one, publish, read the MessageId.

use crate::support::stand_ins::sns as stand_in;

use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Environment, Profile};

use crate::support::window::{
    Desk, check_shows, click, open, text_visible, type_into, wait_for, wait_for_status,
};
use stand_in::{ACCESS_KEY_ID, MESSAGE_ID, SECRET, SnsStandIn, TOPIC};

#[test]
fn check_pick_a_topic_and_publish() {
    let desk = Desk::new();
    let runtime = &desk.runtime;
    let standin = runtime.block_on(SnsStandIn::start_async());
    let mut profile = Profile::new("aws", "sns");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Dev;
    profile.settings.insert("region".into(), "us-east-1".into());
    profile
        .settings
        .insert("access_key_id".into(), ACCESS_KEY_ID.into());
    let mut h = open(desk.app(profile, &[("secret_access_key", SECRET)]));

    check_shows(&mut h, "Credentials work: 2 topics");

    h.get_by_label("Load topics").click();
    h.step();
    wait_for(&mut h, "the topics", |h| {
        h.query_by_label("+ Builds").is_some()
    });
    h.get_by_label("+ Builds").click();
    h.run();
    assert_eq!(h.get_by_label("Topic ARN").value().as_deref(), Some(TOPIC));

    type_into(&mut h, "Title", "CI");
    type_into(&mut h, "Body", "Build 118 passed");
    assert!(
        text_visible(&h, "Action=Publish"),
        "Request pane shows the form body"
    );
    assert!(!text_visible(&h, SECRET));

    h.get_by_label("Send to topic “Builds” · DEV").click();
    h.run();
    click(&mut h, "Send now");
    let (ok, status) = wait_for_status(&mut h, "the publish", |s| s.starts_with("Published"));
    assert!(ok && status.contains(MESSAGE_ID), "{status}");
    let publishes: Vec<_> = standin
        .requests()
        .into_iter()
        .filter(|r| r.param("Action").as_deref() == Some("Publish"))
        .collect();
    assert_eq!(publishes.len(), 1);
    assert!(publishes[0].authenticated);
}
