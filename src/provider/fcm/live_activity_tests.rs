//! A Live Activity through FCM: the APNs `aps` under `apns.payload`, the ActivityKit token as
//! `apns.live_activity_token`, APNs' push type in `apns.headers`.

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::draft::{Draft, Fields};

const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

fn message(options: Value, body: &str) -> Result<Value, crate::draft::DraftError> {
    let d = Draft::from_json(
        &json!({"profile": "p", "message": {"body": body}, "audience": {"tokens": ["t"]},
            "options": options})
        .to_string(),
    )
    .expect("draft");
    let mut warnings = Vec::new();
    super::message(&d, &Fields::new("options", &d.options), NOW, &mut warnings).map(Value::Object)
}

#[test]
fn an_update_goes_as_the_apns_override_with_the_activity_token() {
    let m = message(
        json!({"live_activity_token": "8f1e2d",
            "live_activity": {"event": "update", "content_state": {"eta": 10}}}),
        "",
    )
    .expect("a Live Activity needs no body");
    assert_eq!(
        serde_json::to_string(&m).expect("json"),
        r#"{"apns":{"live_activity_token":"8f1e2d","headers":{"apns-push-type":"liveactivity","apns-priority":"10"},"payload":{"aps":{"timestamp":1795521600,"event":"update","content-state":{"eta":10}}}}}"#
    );
}

#[test]
fn the_token_and_the_activity_go_together() {
    let e = message(
        json!({"live_activity": {"event": "end", "content_state": {}}}),
        "",
    )
    .expect_err("no token");
    assert_eq!(e.field, "options.live_activity_token");
    let e = message(json!({"live_activity_token": "8f1e2d"}), "hi").expect_err("no activity");
    assert_eq!(e.field, "options.live_activity_token");
    let e = message(
        json!({"live_activity_token": "8f", "live_activity": {"event": "update"}}),
        "",
    )
    .expect_err("no content state");
    assert_eq!(e.field, "options.live_activity.content_state");
}
