//! The Courier tab in the real UI against a local stand-in: compose to one recipient with routing,
//! send, see the requestId, then "Check delivery" shows the status and each channel's attempt.

use crate::support::stand_ins::courier as stand_in;

use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Environment, Profile};

use crate::support::window::{
    Desk, check_shows, open, send_until, text_visible, type_into, wait_for,
};
use stand_in::{CourierStandIn, REQUEST_ID, TOKEN};

#[test]
fn send_then_check_delivery() {
    let desk = Desk::new();
    let runtime = &desk.runtime;
    let standin = runtime.block_on(CourierStandIn::start_async());
    let mut profile = Profile::new("acme", "courier");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Dev;
    let mut h = open(desk.app(profile, &[("auth_token", TOKEN)]));

    check_shows(&mut h, "Key works");

    type_into(&mut h, "Title", "Build 118 finished");
    type_into(&mut h, "Body", "Status: passed");
    type_into(
        &mut h,
        "To",
        r#"{"user_id": "user-42", "email": "dev@example.com"}"#,
    );
    type_into(&mut h, "Channels", "push\nemail");
    assert!(
        text_visible(&h, "\"channels\": ["),
        "Request pane shows routing"
    );
    assert!(
        text_visible(&h, "Idempotency-Key"),
        "Request pane shows the idempotency key"
    );
    assert!(!text_visible(&h, TOKEN));

    let (ok, status) = send_until(&mut h, "Send to dev@example.com · DEV", "Accepted");
    assert!(ok && status.contains(REQUEST_ID), "{status}");

    h.get_by_label("Check delivery").click();
    h.step();
    wait_for(&mut h, "the delivery", |h| {
        text_visible(h, "Delivery status: DELIVERED")
    });
    assert!(text_visible(&h, "email via sendgrid: DELIVERED"));
    assert!(text_visible(
        &h,
        "push via firebase-fcm: UNDELIVERABLE (no push token)"
    ));
    let sends = standin
        .requests()
        .into_iter()
        .filter(|r| r.path == "/send")
        .count();
    assert_eq!(sends, 1);
}
