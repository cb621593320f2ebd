use serde_json::json;
use time::macros::datetime;

use super::auth::*;
use super::*;
use crate::http::ResponseDump;
use crate::http::{Body, PreparedRequest};
use crate::outcome::Verdict;
use crate::provider::PrepareContext;
use serde_json::Value;

const KEY: &str = include_str!("../../../tests/fixtures/apns_test_key.p8");
const PUBLIC: &str = include_str!("../../../tests/fixtures/apns_test_key.pub.pem");
const DEVICE: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
const NOW: OffsetDateTime = datetime!(2026-11-24 12:07:30 UTC);
const JWT: &str = "eyJhbGciOiJFUzI1NiJ9.provider.token";

fn profile() -> Profile {
    let mut p = Profile::new("acme-ios", "apns");
    for (k, v) in [
        ("key_id", "ABC123DEFG"),
        ("team_id", "DEF123GHIJ"),
        ("topic", "com.example.app"),
        ("environment", "sandbox"),
    ] {
        p.settings.insert(k.into(), v.into());
    }
    p
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.insert(SECRET, KEY.into());
    s
}

/// `f` given the context a send of `d` through profile `p`, with the test key and JWT, has.
fn with_context<T>(d: &Draft, p: &Profile, f: impl FnOnce(&PrepareContext<'_>) -> T) -> T {
    f(&PrepareContext {
        draft: d,
        profile: p,
        secrets: &secrets(),
        now: NOW,
        idempotency_key: "k",
        token: Some(JWT),
        dry_run: false,
    })
}

fn prepare_with(d: &Draft, p: &Profile) -> Result<Prepared, DraftError> {
    with_context(d, p, |ctx| Apns.prepare(ctx))
}

fn prepare(d: &Draft) -> Result<Prepared, DraftError> {
    prepare_with(d, &profile())
}

fn draft(v: Value) -> Draft {
    Draft::from_json(&v.to_string()).expect("draft")
}

fn err_field(v: Value) -> String {
    prepare(&draft(v)).expect_err("refused").field
}

#[test]
fn provider_token_is_es256_aligned_and_reused_40_minutes() {
    let Ok(TokenPlan::Mint(token)) = Apns.token_plan(&profile(), &secrets(), NOW) else {
        panic!("APNs mints its token");
    };
    let header = jsonwebtoken::decode_header(&token.value).expect("header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::ES256);
    assert_eq!(header.kid.as_deref(), Some("ABC123DEFG"));
    super::super::jwt::install_crypto();
    let key = jsonwebtoken::DecodingKey::from_ec_pem(PUBLIC.as_bytes()).expect("public key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let data = jsonwebtoken::decode::<Value>(&token.value, &key, &validation)
        .expect("the signature verifies");
    let iat = datetime!(2026-11-24 12:00 UTC);
    assert_eq!(
        data.claims,
        json!({"iss": "DEF123GHIJ", "iat": iat.unix_timestamp()})
    );
    assert_eq!(token.refresh_after, iat + time::Duration::minutes(40));
    assert_eq!(token.expires_at, iat + time::Duration::minutes(60));
    // The signature is raw R||S: 64 bytes.
    let sig = token.value.rsplit('.').next().expect("signature");
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(sig)
            .expect("b64")
            .len(),
        64
    );
    // Minted again in the same 20-minute step: the same issue time, so Apple sees no renewal.
    let Ok(TokenPlan::Mint(again)) =
        Apns.token_plan(&profile(), &secrets(), NOW + time::Duration::minutes(10))
    else {
        panic!("mint");
    };
    assert_eq!(again.refresh_after, token.refresh_after);
}

#[test]
fn alert_byte_for_byte() {
    let d = draft(json!({
        "profile": "acme-ios",
        "message": {"title": "Build 118", "subtitle": "main", "body": "Passed",
            "image": "https://ci.example.com/graph.png", "data": {"build": 118}},
        "audience": {"device_tokens": [DEVICE]},
        "options": {"ttl": 3600, "collapse_id": "ci", "badge": 1, "thread_id": "ci"}
    }));
    let p = prepare(&d).expect("prepares");
    let r = &p.requests[0];
    assert!(r.http2_only);
    assert_eq!(
        r.url,
        format!("https://api.sandbox.push.apple.com/3/device/{DEVICE}")
    );
    let expiration = (NOW.unix_timestamp() + 3600).to_string();
    assert_eq!(
        r.headers,
        vec![
            ("authorization".to_string(), format!("bearer {JWT}")),
            ("apns-topic".to_string(), "com.example.app".to_string()),
            ("apns-push-type".to_string(), "alert".to_string()),
            ("apns-priority".to_string(), "10".to_string()),
            ("apns-expiration".to_string(), expiration),
            ("apns-collapse-id".to_string(), "ci".to_string()),
            ("content-type".to_string(), "application/json".to_string()),
        ]
    );
    assert_eq!(
        r.body.as_text(),
        Some(
            r#"{"aps":{"alert":{"title":"Build 118","subtitle":"main","body":"Passed"},"badge":1,"sound":"default","thread-id":"ci","mutable-content":1},"build":118,"image":"https://ci.example.com/graph.png"}"#
        )
    );
    assert!(
        !serde_json::to_string(&r.redacted())
            .expect("json")
            .contains(JWT)
    );
}

#[test]
fn silent_is_background_with_priority_5_and_voip_gets_its_topic() {
    let d = draft(
        json!({"profile": "acme-ios", "message": {"silent": true, "data": {"sync": true}},
        "audience": {"device_tokens": [DEVICE, DEVICE]}, "options": {"priority": "high"}}),
    );
    let p = prepare(&d).expect("prepares");
    assert_eq!(p.requests.len(), 2);
    let r = &p.requests[1];
    assert_eq!(r.header_value("apns-push-type"), Some("background"));
    assert_eq!(r.header_value("apns-priority"), Some("5"));
    assert_eq!(
        r.body.as_text(),
        Some(r#"{"aps":{"content-available":1},"sync":true}"#)
    );
    assert!(p.warnings.iter().any(|w| w.contains("priority 5")));
    let d = draft(json!({"profile": "acme-ios", "message": {"body": "call"},
        "audience": {"device_tokens": [DEVICE]}, "options": {"push_type": "voip"}}));
    let p = prepare(&d).expect("prepares");
    assert_eq!(
        p.requests[0].header_value("apns-topic"),
        Some("com.example.app.voip")
    );
    let mut prod = profile();
    prod.settings
        .insert("environment".into(), "production".into());
    let p = prepare_with(&d, &prod).expect("prepares");
    assert!(
        p.requests[0]
            .url
            .starts_with("https://api.push.apple.com/3/device/")
    );
}

#[test]
fn bad_input_names_the_field() {
    let t = json!({"device_tokens": [DEVICE]});
    let with = |m: Value, a: Value, o: Value| json!({"profile": "acme-ios", "message": m, "audience": a, "options": o});
    assert_eq!(
        err_field(with(json!({"body": "x"}), json!({}), json!({}))),
        "audience.device_tokens"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            json!({"device_tokens": ["not-hex"]}),
            json!({})
        )),
        "audience.device_tokens[0]"
    );
    assert_eq!(
        err_field(with(json!({}), t.clone(), json!({}))),
        "message.body"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x", "buttons": [{"id": "a", "label": "A"}]}),
            t.clone(),
            json!({})
        )),
        "options.category"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            t.clone(),
            json!({"collapse_id": "x".repeat(65)})
        )),
        "options.collapse_id"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            t.clone(),
            json!({"push_type": "banner"})
        )),
        "options.push_type"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x", "data": {"aps": {}}}),
            t.clone(),
            json!({})
        )),
        "message.data.aps"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x".repeat(4100)}),
            t.clone(),
            json!({})
        )),
        "message"
    );
    let mut p = profile();
    p.settings.remove("team_id");
    let e =
        prepare_with(&draft(with(json!({"body": "x"}), t, json!({}))), &p).expect_err("no team");
    assert_eq!(e.field, "settings.team_id");
}

#[test]
fn the_key_is_validated() {
    assert!(validate_signing_key(KEY).is_ok());
    // The base64 body without its armour is accepted too.
    let body: String = KEY.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(validate_signing_key(&body).is_ok());
    // A one-line paste (the GUI's password field drops line breaks) works too.
    assert!(validate_signing_key(&KEY.replace('\n', "")).is_ok());
    assert!(validate_signing_key("not a key").is_err());
    let rsa = include_str!("../../../tests/fixtures/fcm_test_key.pem");
    assert!(validate_signing_key(rsa).is_err());
}

fn answer(status: u16, body: &str) -> Exchange {
    let mut ex = Exchange::unsent(PreparedRequest::new(
        "POST",
        "https://api.push.apple.com/3/device/x",
    ));
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/2.0".into(),
        headers: vec![(
            "apns-id".into(),
            "eabeae54-14a8-11e5-b60b-1697f925ec7b".into(),
        )],
        body: if body.is_empty() {
            Body::Empty
        } else {
            Body::Text(body.into())
        },
        truncated: false,
    });
    ex
}

#[test]
fn outcomes_and_reasons() {
    let o = Apns.interpret(&answer(200, ""));
    assert_eq!(
        o.summary,
        "Sent: apns-id eabeae54-14a8-11e5-b60b-1697f925ec7b"
    );
    assert_eq!(
        o.message_id.as_deref(),
        Some("eabeae54-14a8-11e5-b60b-1697f925ec7b")
    );
    for (status, reason, hint) in [
        (400, "BadDeviceToken", "other environment"),
        (400, "DeviceTokenNotForTopic", "another app"),
        (403, "InvalidProviderToken", "Key ID"),
        (403, "ExpiredProviderToken", "clock"),
        (429, "TooManyProviderTokenUpdates", "20 minutes"),
    ] {
        let o = Apns.interpret(&answer(status, &format!(r#"{{"reason":"{reason}"}}"#)));
        assert_eq!(o.verdict, Verdict::Refused);
        assert!(o.summary.contains(reason), "{}", o.summary);
        assert!(
            o.hint.as_deref().is_some_and(|h| h.contains(hint)),
            "{reason}: {:?}",
            o.hint
        );
    }
    let o = Apns.interpret(&answer(
        410,
        r#"{"reason":"Unregistered","timestamp":1795000000000}"#,
    ));
    assert!(
        o.summary.contains("Unregistered, since 2026-11-18T"),
        "{}",
        o.summary
    );
    let o = Apns.interpret_check(&answer(400, r#"{"reason":"BadDeviceToken"}"#));
    assert!(
        o.is_ok() && o.summary.starts_with("Key, team and topic work"),
        "{}",
        o.summary
    );
    let o = Apns.interpret_check(&answer(403, r#"{"reason":"InvalidProviderToken"}"#));
    assert!(!o.is_ok());
}

/// A device-token list streams through `fan_out`: each token's request is the one `prepare`
/// builds for it, and who it is for (its identity) is the request's own method, URL and
/// recipient, so a resume finds the same fingerprints either way. A channel and a single
/// token do not stream.
#[test]
fn a_token_list_streams_one_request_per_token_as_prepare_builds_it() {
    let other = "0".repeat(64);
    let v = json!({
        "profile": "acme-ios",
        "message": {"title": "Build 118", "body": "Passed"},
        "audience": {"device_tokens": [DEVICE, other]},
    });
    let d = draft(v.clone());
    assert!(Apns.fan_out_source(&d).is_some());
    let whole = prepare(&d).expect("prepares");
    let fan_out = with_context(&d, &profile(), |ctx| Apns.fan_out(ctx))
        .expect("streams")
        .expect("builds");
    for (i, token) in [DEVICE, other.as_str()].iter().enumerate() {
        let one = fan_out.prepare_one(&json!(token)).expect("one");
        assert_eq!(one.url, whole.requests[i].url);
        assert_eq!(one.headers, whole.requests[i].headers);
        assert_eq!(one.recipient, whole.requests[i].recipient);
        let who = fan_out.identify(&json!(token)).expect("identifies");
        assert_eq!((who.url, who.recipient), (one.url, one.recipient));
    }
    let bad = fan_out.identify(&json!("not hex")).expect_err("refused");
    assert!(bad.contains("hexadecimal"), "{bad}");
    let mut single = v.clone();
    single["audience"]["device_tokens"] = json!([DEVICE]);
    assert!(Apns.fan_out_source(&draft(single)).is_none());
    let mut blank = v;
    blank["audience"]["device_tokens"] = json!([DEVICE, " "]);
    assert!(Apns.fan_out_source(&draft(blank)).is_none());
}
