//! The APNs imitation answering what Pushdeck's own APNs provider prepares, and hand-made
//! requests that Apple refuses.

use std::time::SystemTime;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::draft::Draft;
use crate::finding::{Level, texts_at};
use crate::http::PreparedRequest;
use crate::profile::{Profile, Secrets};
use crate::provider::apns::Apns;
use crate::provider::apns::auth::{SECRET, mint};
use crate::provider::apns::certificate_tests::pem_cert;
use crate::provider::{Call, CallPlan, PrepareContext, Provider};
use crate::sink::seam::{Imitation, SinkStart};
use crate::sink::testing::arrival;

const KEY: &str = include_str!("../../../tests/fixtures/apns_test_key.p8");
const DEVICE: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
const NOW: OffsetDateTime = datetime!(2026-11-24 12:07:30 UTC);
const BASE: &str = "https://127.0.0.1:8630";

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
    p.base_url = Some(BASE.into());
    p
}

fn secrets_with(key: &str) -> Secrets {
    let mut s = Secrets::default();
    s.insert(SECRET, key.into());
    s
}

fn secrets() -> Secrets {
    secrets_with(KEY)
}

/// A sink started with `--profile acme-ios` (or without a profile).
fn sink(with_profile: bool) -> ApnsSink {
    let mut sink = ApnsSink::default();
    let (p, s) = (profile(), secrets());
    sink.begin(&SinkStart {
        profile: with_profile.then_some(&p),
        secrets: with_profile.then_some(&s),
        base_url: BASE,
        kept: None,
        now: SystemTime::from(NOW),
    })
    .expect("begins");
    sink
}

/// What Pushdeck's APNs provider sends for `draft`, signed with `key` at `now`.
fn prepared_with(draft: Value, key: &str, now: OffsetDateTime) -> PreparedRequest {
    let (p, s) = (profile(), secrets_with(key));
    let token = mint(&p, &s, now).expect("mints");
    let draft = Draft::from_json(&draft.to_string()).expect("draft");
    let prepared = Apns
        .prepare(&PrepareContext {
            draft: &draft,
            profile: &p,
            secrets: &s,
            now,
            idempotency_key: "k",
            token: Some(&token.value),
            dry_run: false,
        })
        .expect("prepares");
    prepared.requests.into_iter().next().expect("one request")
}

fn prepared(draft: Value) -> PreparedRequest {
    prepared_with(draft, KEY, NOW)
}

fn hello() -> Value {
    json!({"profile": "acme-ios", "message": {"title": "Build 118", "body": "Passed"},
        "audience": {"device_tokens": [DEVICE]}})
}

fn answer(sink: &ApnsSink, request: &PreparedRequest) -> Verdict {
    sink.answer(&arrival(request, SystemTime::from(NOW)), None)
}

fn reason(v: &Verdict) -> String {
    let body: Value = serde_json::from_slice(&v.body).expect("a JSON body");
    body["reason"].as_str().unwrap_or_default().to_string()
}

fn header<'a>(v: &'a Verdict, name: &str) -> Option<&'a str> {
    v.headers
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

fn fails(v: &Verdict) -> String {
    texts_at(&v.findings, Level::Fail)
}

/// A fresh P-256 key in PKCS#8 PEM: a .p8 that is not the profile's.
fn other_key() -> String {
    let doc = aws_lc_rs::signature::EcdsaKeyPair::generate_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &aws_lc_rs::rand::SystemRandom::new(),
    )
    .expect("generates");
    pem::encode(&pem::Pem::new("PRIVATE KEY", doc.as_ref().to_vec()))
}

#[test]
fn pushdecks_own_push_is_verified_and_accepted_as_apple_does() {
    let v = answer(&sink(true), &prepared(hello()));
    assert_eq!(v.status, 200, "{:?}", v.findings);
    assert!(v.body.is_empty(), "APNs answers 200 with an empty body");
    assert!(fails(&v).is_empty(), "{}", fails(&v));
    let id = header(&v, "apns-id").expect("apns-id");
    assert!(notification::apns_id_ok(id), "{id}");
    assert!(header(&v, "apns-unique-id").is_some(), "sandbox adds it");
    let ok = texts_at(&v.findings, Level::Ok);
    assert!(ok.contains("Provider token verified"), "{ok}");
    assert!(v.summary.contains("alert “Build 118”") && v.summary.ends_with("200"));
    assert!(v.secrets.iter().any(|(f, _)| f == "provider_token"));
    assert!(
        v.decoded[0].text.contains("DEF123GHIJ"),
        "the claims are shown"
    );
}

#[test]
fn pushdecks_voip_and_live_activity_pushes_pass_every_check() {
    let s = sink(true);
    let voip = json!({"profile": "acme-ios", "message": {"body": "call", "data": {"pad": "x".repeat(4500)}},
        "audience": {"device_tokens": [DEVICE]}, "options": {"push_type": "voip"}});
    let v = answer(&s, &prepared(voip));
    assert_eq!(v.status, 200, "VoIP may carry 5 KB: {}", fails(&v));
    let live = json!({"profile": "acme-ios", "message": {},
        "audience": {"device_tokens": [DEVICE]},
        "options": {"live_activity": {"event": "update", "content_state": {"eta": 5}}}});
    let v = answer(&s, &prepared(live));
    assert_eq!(v.status, 200);
    assert!(fails(&v).is_empty(), "{}", fails(&v));
}

#[test]
fn a_token_signed_by_another_key_is_invalid_provider_token() {
    let v = answer(&sink(true), &prepared_with(hello(), &other_key(), NOW));
    assert_eq!(
        (v.status, reason(&v).as_str()),
        (403, "InvalidProviderToken")
    );
    assert!(
        fails(&v).contains("signed with another key"),
        "{}",
        fails(&v)
    );
    assert!(
        v.decoded
            .iter()
            .any(|d| d.label.starts_with("What InvalidProviderToken"))
    );
}

#[test]
fn without_a_profile_the_token_is_read_but_not_verified() {
    let v = answer(&sink(false), &prepared_with(hello(), &other_key(), NOW));
    assert_eq!(v.status, 200);
    let warned = texts_at(&v.findings, Level::Warn);
    assert!(
        warned.contains("not verified: start the sink with --profile P"),
        "{warned}"
    );
}

#[test]
fn a_token_older_than_an_hour_is_expired() {
    let old = prepared_with(hello(), KEY, NOW - time::Duration::minutes(90));
    let v = answer(&sink(true), &old);
    assert_eq!(
        (v.status, reason(&v).as_str()),
        (403, "ExpiredProviderToken")
    );
}

#[test]
fn renewing_the_token_within_20_minutes_is_pointed_out() {
    // Pushdeck aligns its tokens to 20-minute steps; a backend minting per request does not.
    let s = sink(true);
    let signed_at = |iat: OffsetDateTime| {
        crate::provider::jwt::install_crypto();
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("ABC123DEFG".into());
        let key = crate::provider::apns::auth::signing_key(KEY).expect("key");
        let claims = json!({"iss": "DEF123GHIJ", "iat": iat.unix_timestamp()});
        let jwt = jsonwebtoken::encode(&header, &claims, &key).expect("signs");
        let mut r = prepared(hello());
        set(&mut r, "authorization", &format!("bearer {jwt}"));
        r
    };
    let v = answer(&s, &signed_at(NOW - time::Duration::minutes(25)));
    assert!(!texts_at(&v.findings, Level::Warn).contains("TooManyProviderTokenUpdates"));
    let v = answer(&s, &signed_at(NOW - time::Duration::minutes(5)));
    assert!(!texts_at(&v.findings, Level::Warn).contains("TooManyProviderTokenUpdates"));
    let v = answer(&s, &signed_at(NOW));
    assert_eq!(v.status, 200);
    assert!(texts_at(&v.findings, Level::Warn).contains("TooManyProviderTokenUpdates"));
}

#[test]
fn no_authorization_is_missing_provider_token() {
    let mut r = prepared(hello());
    r.headers.retain(|(n, _)| n != "authorization");
    let v = answer(&sink(true), &r);
    assert_eq!(
        (v.status, reason(&v).as_str()),
        (403, "MissingProviderToken")
    );
}

#[test]
fn token_auth_without_a_topic_is_missing_topic() {
    let mut r = prepared(hello());
    r.headers.retain(|(n, _)| n != "apns-topic");
    let v = answer(&sink(true), &r);
    assert_eq!((v.status, reason(&v).as_str()), (400, "MissingTopic"));
    assert!(fails(&v).contains("No apns-topic"));
}

#[test]
fn another_apps_topic_is_disallowed_and_a_wrong_suffix_is_another_token() {
    let mut r = prepared(hello());
    set(&mut r, "apns-topic", "com.other.app");
    let v = answer(&sink(true), &r);
    assert_eq!((v.status, reason(&v).as_str()), (400, "TopicDisallowed"));
    set(&mut r, "apns-topic", "com.example.app.voip");
    let v = answer(&sink(true), &r);
    assert_eq!(
        (v.status, reason(&v).as_str()),
        (400, "DeviceTokenNotForTopic")
    );
}

fn set(r: &mut PreparedRequest, name: &str, value: &str) {
    r.headers.retain(|(n, _)| n != name);
    r.headers.push((name.into(), value.into()));
}

#[test]
fn an_oversized_payload_is_413() {
    // Pushdeck refuses to prepare it, so the backend's request is made by hand.
    let mut big = prepared(hello());
    let payload = json!({"aps": {"alert": "big"}, "pad": "x".repeat(4200)});
    big.body = crate::http::Body::Text(payload.to_string());
    let v = answer(&sink(true), &big);
    assert_eq!((v.status, reason(&v).as_str()), (413, "PayloadTooLarge"));
    assert!(fails(&v).contains("APNs allows 4096"), "{}", fails(&v));
}

#[test]
fn headers_apple_refuses_get_apples_reasons() {
    let cases = [
        ("apns-priority", "7", "BadPriority"),
        ("apns-expiration", "tomorrow", "BadExpirationDate"),
        ("apns-collapse-id", &"c".repeat(65), "BadCollapseId"),
        (
            "apns-id",
            "EABEAE54-14A8-11E5-B60B-1697F925EC7B",
            "BadMessageId",
        ),
        ("apns-push-type", "telepathy", "InvalidPushType"),
    ];
    for (name, value, expected) in cases {
        let mut r = prepared(hello());
        set(&mut r, name, value);
        let v = answer(&sink(true), &r);
        assert_eq!(
            (v.status, reason(&v).as_str()),
            (400, expected),
            "{name}: {value}"
        );
    }
    let mut r = prepared(hello());
    r.headers.push(("apns-priority".into(), "10".into()));
    let v = answer(&sink(true), &r);
    assert_eq!(reason(&v), "DuplicateHeaders");
}

#[test]
fn a_background_push_must_be_priority_5_and_carry_content_available() {
    let silent = json!({"profile": "acme-ios", "message": {"silent": true, "data": {"k": "v"}},
        "audience": {"device_tokens": [DEVICE]}});
    let mut r = prepared(silent);
    assert_eq!(answer(&sink(true), &r).status, 200);
    set(&mut r, "apns-priority", "10");
    assert_eq!(reason(&answer(&sink(true), &r)), "BadPriority");
    set(&mut r, "apns-priority", "5");
    r.body = crate::http::Body::Text(r#"{"aps":{"alert":"hi"}}"#.into());
    let v = answer(&sink(true), &r);
    assert_eq!(v.status, 200, "APNs takes it");
    assert!(fails(&v).contains("the device drops it"), "{}", fails(&v));
}

#[test]
fn device_tokens_are_hex_of_64_or_more_and_zeros_belong_to_nobody() {
    for bad in [
        "abc",
        "zz0f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad",
    ] {
        let mut r = prepared(hello());
        r.url = format!("{BASE}/3/device/{bad}");
        assert_eq!(reason(&answer(&sink(true), &r)), "BadDeviceToken", "{bad}");
    }
    let check = match Apns.call(&Call::Check, &profile(), &secrets()) {
        Ok(CallPlan::Request(r)) => r,
        _ => panic!("the check is one request"),
    };
    let v = sink(true).answer(&arrival(&check, SystemTime::now()), None);
    assert_eq!(
        (v.status, reason(&v).as_str()),
        (400, "BadDeviceToken"),
        "Pushdeck's check reads this as: key, team and topic work"
    );
    assert!(texts_at(&v.findings, Level::Ok).contains("Provider token verified"));
}

#[test]
fn http_1_1_wrong_method_and_wrong_path_are_refused() {
    let s = sink(true);
    let mut a = arrival(&prepared(hello()), SystemTime::from(NOW));
    a.version = "HTTP/1.1".into();
    let v = s.answer(&a, None);
    assert_eq!(v.status, 505);
    assert!(fails(&v).contains("HTTP/2 only"));
    let mut a = arrival(&prepared(hello()), SystemTime::from(NOW));
    a.method = "GET".into();
    assert_eq!(reason(&s.answer(&a, None)), "MethodNotAllowed");
    let mut a = arrival(&prepared(hello()), SystemTime::from(NOW));
    a.target = "/2/device/abc".into();
    assert_eq!(reason(&s.answer(&a, None)), "BadPath");
}

#[test]
fn rehearsals_answer_with_apples_bodies_after_the_checks() {
    let s = sink(true);
    let a = arrival(&prepared(hello()), SystemTime::from(NOW));
    for r in s.rehearsals() {
        let v = s.answer(&a, Some(r));
        assert_eq!(v.status, r.status, "{}", r.name);
        assert!(header(&v, "apns-id").is_some());
        assert!(!reason(&v).is_empty(), "{}", r.name);
        assert!(texts_at(&v.findings, Level::Ok).contains("Provider token verified"));
    }
    let gone = s.rehearsals().iter().find(|r| r.name == "unregistered");
    let v = s.answer(&a, gone);
    let body: Value = serde_json::from_slice(&v.body).expect("json");
    assert_eq!(body["reason"], "Unregistered");
    assert_eq!(
        body["timestamp"].as_i64(),
        Some(NOW.unix_timestamp() * 1000),
        "410 says since when, in ms"
    );
    // A refused request keeps its own answer.
    let mut bad = prepared(hello());
    bad.headers.retain(|(n, _)| n != "apns-topic");
    let v = s.answer(&arrival(&bad, SystemTime::from(NOW)), gone);
    assert_eq!(reason(&v), "MissingTopic");
}

#[test]
fn begin_says_what_to_configure_and_keeps_the_test_token() {
    let mut s = ApnsSink::default();
    let start = |kept| SinkStart {
        profile: None,
        secrets: None,
        base_url: BASE,
        kept,
        now: SystemTime::from(NOW),
    };
    let setup = s.begin(&start(None)).expect("begins");
    let token = setup.lines[1].value.clone();
    assert!(notification::device_token_ok(&token) && token.len() == 64);
    assert_eq!(setup.lines[0].value, BASE);
    assert!(setup.lines.iter().any(|l| l.about.contains("--profile")));
    let mut again = ApnsSink::default();
    let setup2 = again.begin(&start(setup.keep.as_deref())).expect("begins");
    assert_eq!(setup2.lines[1].value, token, "the kept token comes back");
    let mut r = prepared(hello());
    r.url = format!("{BASE}/3/device/{token}");
    let v = again.answer(&arrival(&r, SystemTime::from(NOW)), None);
    assert!(texts_at(&v.findings, Level::Ok).contains("the sink's test device token"));
    let mut wrong = profile();
    wrong.provider = "fcm".into();
    let err = ApnsSink::default()
        .begin(&SinkStart {
            profile: Some(&wrong),
            secrets: Some(&secrets()),
            ..start(None)
        })
        .expect_err("an fcm profile cannot verify APNs");
    assert!(err.contains("APNs profile"), "{err}");
}

/// A certificate-auth arrival: the prepared push without its token, with `cert` presented.
fn with_certificate(cert_pem: &str, topic: Option<&str>) -> Arrival {
    let mut r = prepared(hello());
    r.headers
        .retain(|(n, _)| n != "authorization" && n != "apns-topic");
    if let Some(t) = topic {
        r.headers.push(("apns-topic".into(), t.into()));
    }
    let mut a = arrival(&r, SystemTime::now());
    let der = pem::parse_many(cert_pem)
        .expect("pem")
        .into_iter()
        .find(|b| b.tag() == "CERTIFICATE")
        .expect("a certificate")
        .contents()
        .to_vec();
    a.client_certificate = Some(der);
    a
}

#[test]
fn certificate_auth_reads_apples_topics_and_environments() {
    let s = sink(false);
    let universal = pem_cert(
        "com.example.app",
        true,
        true,
        &["com.example.app", "com.example.app.voip"],
        100,
    );
    let v = s.answer(&with_certificate(&universal, None), None);
    assert_eq!(v.status, 200, "{}", fails(&v));
    assert!(texts_at(&v.findings, Level::Ok).contains("covers com.example.app"));
    let v = s.answer(&with_certificate(&universal, Some("com.other.app")), None);
    assert_eq!((v.status, reason(&v).as_str()), (400, "TopicDisallowed"));
    let production = pem_cert("com.example.app", false, true, &[], 100);
    let v = s.answer(&with_certificate(&production, None), None);
    assert_eq!(
        (v.status, reason(&v).as_str()),
        (403, "BadCertificateEnvironment")
    );
    let not_apple = pem_cert("com.example.app", false, false, &[], 100);
    let v = s.answer(&with_certificate(&not_apple, None), None);
    assert_eq!((v.status, reason(&v).as_str()), (403, "BadCertificate"));
}

#[test]
fn with_a_certificate_profile_only_its_certificate_is_accepted() {
    let theirs = pem_cert("com.example.app", true, false, &[], 100);
    let ours = pem_cert("com.example.app", true, false, &[], 100);
    let mut p = Profile::new("acme-cert", "apns");
    p.settings.insert("auth".into(), "certificate".into());
    let mut s = Secrets::default();
    s.insert("certificate", ours.clone());
    let mut sink = ApnsSink::default();
    sink.begin(&SinkStart {
        profile: Some(&p),
        secrets: Some(&s),
        base_url: BASE,
        kept: None,
        now: SystemTime::from(NOW),
    })
    .expect("begins");
    assert_eq!(
        sink.answer(&with_certificate(&ours, None), None).status,
        200
    );
    let v = sink.answer(&with_certificate(&theirs, None), None);
    assert_eq!((v.status, reason(&v).as_str()), (403, "BadCertificate"));
}

#[test]
fn pushdecks_provider_reads_the_sinks_answers_as_apples() {
    use crate::outcome::Verdict as Said;
    use crate::sink::testing::exchange;
    let s = sink(true);
    let push = prepared(hello());
    let v = answer(&s, &push);
    let o = Apns.interpret(&exchange(push.clone(), &v));
    assert_eq!(o.verdict, Said::Accepted, "{}", o.summary);
    assert_eq!(o.message_id.as_deref(), header(&v, "apns-id"));
    assert!(
        o.summary.contains("delivery log id"),
        "sandbox: {}",
        o.summary
    );
    let gone = s.rehearsals().iter().find(|r| r.name == "unregistered");
    let v = s.answer(&arrival(&push, SystemTime::from(NOW)), gone);
    let o = Apns.interpret(&exchange(push.clone(), &v));
    assert!(
        o.summary
            .contains("no longer valid: Unregistered, since 2026-11-24T12:07:30Z"),
        "{}",
        o.summary
    );
    let forged = prepared_with(hello(), &other_key(), NOW);
    let v = answer(&s, &forged);
    let o = Apns.interpret(&exchange(forged, &v));
    assert_eq!(o.verdict, Said::Refused);
    assert!(o.summary.contains("InvalidProviderToken"), "{}", o.summary);
}

#[test]
fn with_a_profile_the_signature_is_checked_before_the_age() {
    let old_forgery = prepared_with(hello(), &other_key(), NOW - time::Duration::hours(3));
    let v = answer(&sink(true), &old_forgery);
    assert_eq!(reason(&v), "InvalidProviderToken");
    let v = answer(&sink(false), &old_forgery);
    assert_eq!(
        reason(&v),
        "ExpiredProviderToken",
        "unverified, its age is all there is"
    );
}
