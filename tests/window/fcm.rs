//! The FCM tab in the real UI against a local token endpoint and FCM stand-in: Validate, then Send.

use crate::support::stand_ins::fcm as stand_in;

use pushdeck::store::{Environment, Profile};

use crate::support::window::{Desk, click, open, text_visible, type_into, wait_for_status};
use stand_in::{ACCESS_TOKEN, FcmStandIn, service_account_json};

#[test]
fn validate_then_send_with_one_token_exchange() {
    let desk = Desk::new();
    let rt = &desk.runtime;
    let standin = FcmStandIn::start_on(rt);
    let mut profile = Profile::new("acme-fcm", "fcm");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Staging;
    let mut h = open(desk.app(
        profile,
        &[("service_account_json", &service_account_json())],
    ));

    type_into(&mut h, "Title", "Build 118");
    type_into(&mut h, "Body", "Passed");
    type_into(
        &mut h,
        "Registration tokens",
        "eXaMpLeToKeN:APA91bHun4MxP5egoKMwt2KZFBaFUH",
    );
    assert!(
        text_visible(&h, "fetched from the token endpoint when sending"),
        "preview has a placeholder"
    );

    click(&mut h, "Validate");
    let (ok, status) = wait_for_status(&mut h, "the validation", |s| s.contains("accepted"));
    assert!(ok, "{status}");
    assert!(
        text_visible(&h, "Got an access token, valid for 59 min"),
        "the exchange is a row in the Response pane"
    );
    let seen = standin.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].json()["validate_only"], true);

    click(&mut h, "Send to 1 token · STAGING");
    wait_for_status(&mut h, "the send", |s| s.starts_with("Sent"));
    let seen = standin.requests();
    assert_eq!(
        seen.len(),
        3,
        "the cached token is reused: no second exchange"
    );
    assert!(seen[2].json().get("validate_only").is_none());
    assert!(
        !text_visible(&h, ACCESS_TOKEN),
        "the token never reaches the screen"
    );
    standin.assert_no_problems();
}
