//! The request shapes of channel management and the broadcast send, byte for byte.

use serde_json::{Value, json};
use time::macros::datetime;

use super::auth::SECRET;
use super::channels::{self, CREATE, DELETE, LOOKUP, MANAGE_PRODUCTION, MANAGE_SANDBOX, READ};
use super::*;
use crate::http::ResponseDump;
use crate::http::{Body, PreparedRequest};
use crate::provider::PrepareContext;

const KEY: &str = include_str!("../../../tests/fixtures/apns_test_key.p8");
const JWT: &str = "eyJhbGciOiJFUzI1NiJ9.provider.token";
const CHANNEL: &str = "dHN/Qo5cEe+YbB5R5DpVfg==";

fn profile(environment: &str) -> Profile {
    let mut p = Profile::new("acme-ios", "apns");
    for (k, v) in [
        ("key_id", "ABC123DEFG"),
        ("team_id", "DEF123GHIJ"),
        ("topic", "com.example.app"),
        ("environment", environment),
    ] {
        p.settings.insert(k.into(), v.into());
    }
    p
}

fn request(call: &Call, environment: &str) -> PreparedRequest {
    channels::request(
        call,
        &profile(environment),
        "com.example.app",
        &channels::Signer::Token(Some(JWT)),
    )
    .expect("built")
}

#[test]
fn management_goes_to_the_environments_host_with_the_token() {
    let list = request(&Call::lookup(LOOKUP), "sandbox");
    assert_eq!(list.method, "GET");
    assert_eq!(
        list.url,
        format!("{MANAGE_SANDBOX}/1/apps/com.example.app/all-channels")
    );
    assert!(list.http2_only);
    assert_eq!(
        list.header_value("authorization"),
        Some(format!("bearer {JWT}").as_str())
    );
    assert!(matches!(list.body, Body::Empty));
    let list = request(&Call::lookup(LOOKUP), "production");
    assert!(list.url.starts_with(MANAGE_PRODUCTION), "{}", list.url);

    let mut p = profile("production");
    p.base_url = Some("http://127.0.0.1:4443".into());
    let r = channels::request(
        &Call::lookup(LOOKUP),
        &p,
        "com.example.app",
        &channels::Signer::Token(Some(JWT)),
    )
    .expect("r");
    assert_eq!(
        r.url,
        "http://127.0.0.1:4443/1/apps/com.example.app/all-channels"
    );
}

#[test]
fn create_read_and_delete_have_apples_shapes() {
    let create = request(
        &Call::action(CREATE, json!({"storage_policy": "most-recent-message"})),
        "sandbox",
    );
    assert_eq!(create.method, "POST");
    assert!(create.url.ends_with("/1/apps/com.example.app/channels"));
    assert_eq!(
        create.body,
        Body::Text(r#"{"message-storage-policy":1,"push-type":"LiveActivity"}"#.into())
    );
    let default = request(&Call::action(CREATE, Value::Null), "sandbox");
    assert_eq!(
        default.body,
        Body::Text(r#"{"message-storage-policy":0,"push-type":"LiveActivity"}"#.into())
    );
    for (name, method) in [(READ, "GET"), (DELETE, "DELETE")] {
        let r = request(
            &Call::action(name, json!({"channel_id": CHANNEL})),
            "sandbox",
        );
        assert_eq!(r.method, method);
        assert!(r.url.ends_with("/1/apps/com.example.app/channels"));
        assert_eq!(r.header_value("apns-channel-id"), Some(CHANNEL));
        assert!(matches!(r.body, Body::Empty));
    }
}

#[test]
fn bad_policies_and_ids_are_refused() {
    let p = profile("sandbox");
    let bad = Call::action(CREATE, json!({"storage_policy": "forever"}));
    let e =
        channels::request(&bad, &p, "b", &channels::Signer::Token(Some(JWT))).expect_err("refused");
    assert!(e.message.contains("no-storage"), "{e}");
    let bad = Call::action(DELETE, json!({"channel_id": "not base64!"}));
    assert!(channels::request(&bad, &p, "b", &channels::Signer::Token(Some(JWT))).is_err());
    let none = Call::action(READ, json!({}));
    assert!(channels::request(&none, &p, "b", &channels::Signer::Token(Some(JWT))).is_err());
    assert!(!channels::is_channel_call(&Call::action(
        "channels.rename",
        Value::Null
    )));
}

fn answered(status: u16, headers: &[(&str, &str)], body: &str) -> Exchange {
    let mut ex = Exchange::unsent(PreparedRequest::new("GET", "https://x/1/apps/b/channels"));
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/2.0".into(),
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        body: Body::Text(body.into()),
        truncated: false,
    });
    ex
}

#[test]
fn answers_become_outcomes() {
    let created = channels::interpret(
        &Call::action(CREATE, json!({})),
        &answered(
            201,
            &[("apns-channel-id", CHANNEL), ("apns-request-id", "r1")],
            "",
        ),
    );
    assert!(created.is_ok());
    assert_eq!(created.message_id.as_deref(), Some(CHANNEL));
    assert_eq!(
        created.summary,
        format!("Channel created: {CHANNEL} (no-storage) (apns-request-id r1)")
    );
    let list = channels::interpret(
        &Call::lookup(LOOKUP),
        &answered(
            200,
            &[],
            &json!({"channels": [CHANNEL, "YQ=="]}).to_string(),
        ),
    );
    assert_eq!(list.items.len(), 2);
    assert_eq!(list.summary, "2 broadcast channels");
    let read = channels::interpret(
        &Call::action(READ, json!({"channel_id": CHANNEL})),
        &answered(
            200,
            &[],
            r#"{"message-storage-policy":0,"push-type":"LiveActivity"}"#,
        ),
    );
    assert!(
        read.summary
            .contains("storage policy no-storage, push type LiveActivity")
    );
    let gone = channels::interpret(
        &Call::action(DELETE, json!({"channel_id": CHANNEL})),
        &answered(
            400,
            &[("apns-request-id", "r2")],
            r#"{"reason":"ChannelNotRegistered"}"#,
        ),
    );
    assert!(!gone.is_ok());
    assert!(
        gone.summary.contains("ChannelNotRegistered"),
        "{}",
        gone.summary
    );
    assert!(
        gone.summary.ends_with("(apns-request-id r2)"),
        "{}",
        gone.summary
    );
    assert!(gone.hint.expect("hint").contains("other environment"));
}

fn prepare(d: Value) -> Result<Prepared, DraftError> {
    let mut secrets = Secrets::default();
    secrets.insert(SECRET, KEY.into());
    let draft = Draft::from_json(&d.to_string()).expect("draft");
    Apns.prepare(&PrepareContext {
        draft: &draft,
        profile: &profile("production"),
        secrets: &secrets,
        now: datetime!(2026-11-24 12:07:30 UTC),
        idempotency_key: "k",
        token: Some(JWT),
        dry_run: false,
    })
}

#[test]
fn a_channel_send_is_one_broadcast_request() {
    let p = prepare(json!({"profile": "acme-ios", "message": {},
        "audience": {"channel_id": CHANNEL},
        "options": {"ttl": 60, "live_activity": {"event": "update", "content_state": {"s": 1}}}}))
    .expect("prepared");
    assert_eq!(p.requests.len(), 1);
    let r = &p.requests[0];
    assert_eq!(
        r.url,
        "https://api.push.apple.com/4/broadcasts/apps/com.example.app"
    );
    assert_eq!(r.header_value("apns-channel-id"), Some(CHANNEL));
    assert_eq!(r.header_value("apns-push-type"), Some("liveactivity"));
    assert_eq!(r.header_value("apns-priority"), Some("10"));
    assert_eq!(r.header_value("apns-expiration"), Some("1795522110"));
    assert_eq!(r.header_value("apns-topic"), None);
    assert_eq!(
        r.body,
        Body::Text(
            r#"{"aps":{"timestamp":1795522050,"event":"update","content-state":{"s":1}}}"#.into()
        )
    );
    let draft = Draft::from_json(
        &json!({"profile": "p", "message": {}, "audience": {"channel_id": CHANNEL}}).to_string(),
    )
    .expect("draft");
    assert_eq!(
        Apns.broadcast(&draft).as_deref(),
        Some(format!("every device subscribed to channel {CHANNEL}").as_str())
    );
    assert_eq!(Apns.audience_label(&draft), format!("channel {CHANNEL}"));
}

#[test]
fn a_channel_send_is_checked() {
    let field = |d: Value| prepare(d).expect_err("refused").field;
    assert_eq!(
        field(json!({"profile": "p", "message": {"title": "t"},
            "audience": {"channel_id": CHANNEL}})),
        "options.push_type"
    );
    assert_eq!(
        field(json!({"profile": "p", "message": {},
            "audience": {"channel_id": "%%%"},
            "options": {"live_activity": {"event": "update", "content_state": {}}}})),
        "audience.channel_id"
    );
    assert_eq!(
        field(json!({"profile": "p", "message": {},
            "audience": {"channel_id": CHANNEL, "device_tokens": ["ab"]},
            "options": {"live_activity": {"event": "update", "content_state": {}}}})),
        "audience.channel_id"
    );
}
