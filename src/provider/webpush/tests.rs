use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, EcPrivateKeyBin};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::http::{PreparedRequest, ResponseDump};
use crate::outcome::Verdict;
use crate::provider::PrepareContext;

const NOW: time::OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

/// A browser's side of a subscription: its keys, so tests can decrypt what we send.
struct Browser {
    private: Vec<u8>,
    public: String,
    auth: [u8; 16],
}

impl Browser {
    fn new(seed: u8) -> Self {
        let key = agreement::PrivateKey::generate(&agreement::ECDH_P256).expect("key");
        let private: EcPrivateKeyBin = key.as_be_bytes().expect("bytes");
        Self {
            private: private.as_ref().to_vec(),
            public: URL_SAFE_NO_PAD.encode(key.compute_public_key().expect("public").as_ref()),
            auth: [seed; 16],
        }
    }

    fn subscription(&self, endpoint: &str) -> Value {
        json!({"endpoint": endpoint, "expirationTime": null,
               "keys": {"p256dh": self.public, "auth": URL_SAFE_NO_PAD.encode(self.auth)}})
    }

    fn open(&self, request: &PreparedRequest) -> Value {
        let plain =
            ece::decrypt(request.body.as_bytes(), &self.private, &self.auth).expect("decrypts");
        serde_json::from_slice(&plain).expect("JSON payload")
    }
}

fn profile(key: &VapidKey) -> Profile {
    let mut p = Profile::new("site", "webpush");
    p.settings
        .insert("subject".into(), "mailto:ops@example.com".into());
    p.settings
        .insert("vapid_public_key".into(), key.public_key_b64());
    p
}

fn secrets(key: &VapidKey) -> Secrets {
    let mut s = Secrets::default();
    s.insert("vapid_private_key", key.private_key_b64().expect("export"));
    s
}

fn prepare(key: &VapidKey, profile: &Profile, draft: &Draft) -> Result<Prepared, DraftError> {
    WebPush.prepare(&PrepareContext {
        draft,
        profile,
        secrets: &secrets(key),
        now: NOW,
        idempotency_key: "k",
        token: None,
        dry_run: false,
    })
}

fn draft(v: Value) -> Draft {
    Draft::from_json(&v.to_string()).expect("valid draft")
}

fn auth_parts(request: &PreparedRequest) -> (String, String) {
    let value = request
        .header_value("Authorization")
        .expect("Authorization");
    let rest = value.strip_prefix("vapid t=").expect("vapid scheme");
    let (t, k) = rest.split_once(", k=").expect("t and k");
    (t.to_string(), k.to_string())
}

#[test]
fn each_subscription_gets_its_own_encrypted_request() {
    let key = VapidKey::generate().expect("key");
    let (a, b) = (Browser::new(1), Browser::new(2));
    let d = draft(json!({
        "profile": "site",
        "message": {"title": "Build 118", "body": "Passed", "url": "https://ci.example.com/118",
                    "icon": "https://ci.example.com/i.png", "image": "https://ci.example.com/g.png",
                    "buttons": [{"id": "logs", "label": "Logs", "url": "https://ci.example.com/118/log"}],
                    "data": {"build": 118}},
        "audience": {"subscriptions": [a.subscription("https://fcm.googleapis.com/fcm/send/aaa"),
                                        b.subscription("https://updates.push.services.mozilla.com/wpush/v2/bbb")]},
        "options": {"ttl": 600, "urgency": "high", "topic": "build-118"}
    }));
    let p = prepare(&key, &profile(&key), &d).expect("prepares");
    assert_eq!(p.requests.len(), 2);
    let expected = json!({"title": "Build 118", "body": "Passed", "icon": "https://ci.example.com/i.png",
        "image": "https://ci.example.com/g.png", "url": "https://ci.example.com/118",
        "actions": [{"action": "logs", "title": "Logs", "url": "https://ci.example.com/118/log"}],
        "data": {"build": 118}});
    for (request, browser, origin) in [
        (&p.requests[0], &a, "https://fcm.googleapis.com"),
        (
            &p.requests[1],
            &b,
            "https://updates.push.services.mozilla.com",
        ),
    ] {
        assert_eq!(request.method, "POST");
        assert_eq!(request.header_value("TTL"), Some("600"));
        assert_eq!(request.header_value("Urgency"), Some("high"));
        assert_eq!(request.header_value("Topic"), Some("build-118"));
        assert_eq!(request.header_value("Content-Encoding"), Some("aes128gcm"));
        assert_eq!(browser.open(request), expected);
        assert_eq!(
            request
                .plaintext
                .as_deref()
                .map(|t| serde_json::from_str::<Value>(t).expect("json")),
            Some(expected.clone())
        );
        let (t, k) = auth_parts(request);
        assert_eq!(k, key.public_key_b64());
        let claims =
            vapid::verify(&t, &k, origin, NOW).expect("JWT verifies for the endpoint's origin");
        assert_eq!(claims.sub, "mailto:ops@example.com");
        assert_eq!(claims.exp, NOW.unix_timestamp() + vapid::JWT_LIFETIME_S);
        // The JWT is a credential: masked in every dump.
        let dump = serde_json::to_string(&request.redacted()).expect("json");
        assert!(!dump.contains(&t), "JWT leaked: {dump}");
    }
    assert_eq!(p.requests[0].url, "https://fcm.googleapis.com/fcm/send/aaa");
}

#[test]
fn base_url_replaces_the_origin_and_the_audience() {
    let key = VapidKey::generate().expect("key");
    let a = Browser::new(3);
    let mut prof = profile(&key);
    prof.base_url = Some("http://127.0.0.1:9999".into());
    let d = draft(json!({"profile": "site", "message": {"body": "hi"},
        "audience": {"subscriptions": [a.subscription("https://fcm.googleapis.com/fcm/send/x?y=1")]}}));
    let p = prepare(&key, &prof, &d).expect("prepares");
    assert_eq!(p.requests[0].url, "http://127.0.0.1:9999/fcm/send/x?y=1");
    let (t, k) = auth_parts(&p.requests[0]);
    vapid::verify(&t, &k, "http://127.0.0.1:9999", NOW).expect("aud is the origin posted to");
    assert_eq!(
        p.requests[0].header_value("TTL"),
        Some("86400"),
        "default TTL"
    );
    assert_eq!(p.requests[0].header_value("Urgency"), None);
}

#[test]
fn raw_replaces_the_payload_and_size_is_checked() {
    let key = VapidKey::generate().expect("key");
    let a = Browser::new(4);
    let sub = a.subscription("https://push.example/1");
    let d = draft(
        json!({"profile": "site", "audience": {"subscriptions": [sub]},
        "options": {"raw": {"custom": true}}}),
    );
    let p = prepare(&key, &profile(&key), &d).expect("raw");
    assert_eq!(a.open(&p.requests[0]), json!({"custom": true}));
    let long = "x".repeat(ece::MAX_PLAINTEXT);
    let d = draft(json!({"profile": "site", "message": {"body": long},
        "audience": {"subscriptions": [a.subscription("https://push.example/1")]}}));
    let err = prepare(&key, &profile(&key), &d).expect_err("too large");
    assert_eq!(err.field, "message");
    assert!(err.message.contains("at most 3993 bytes"), "{err}");
}

#[test]
fn bad_input_names_the_field() {
    let key = VapidKey::generate().expect("key");
    let a = Browser::new(5);
    let good = a.subscription("https://push.example/1");
    let cases = [
        (
            json!({"profile": "site", "message": {"body": "b"}}),
            "audience.subscriptions",
        ),
        (
            json!({"profile": "site", "message": {"body": "b"}, "audience": {"subscriptions": [good, {"endpoint": "https://x.test", "keys": {"p256dh": "AAAA", "auth": "AAAA"}}]}}),
            "audience.subscriptions[1]",
        ),
        (
            json!({"profile": "site", "message": {"body": "b"}, "audience": {"subscriptions": [good]}, "options": {"topic": "has spaces"}}),
            "options.topic",
        ),
        (
            json!({"profile": "site", "message": {"body": "b"}, "audience": {"subscriptions": [good]}, "options": {"urgency": "asap"}}),
            "options.urgency",
        ),
        (
            json!({"profile": "site", "message": {"body": "b"}, "audience": {"subscriptions": [good]}, "options": {"schedule_at": "2026-12-01T00:00:00Z"}}),
            "options.schedule_at",
        ),
    ];
    for (d, field) in cases {
        let err = prepare(&key, &profile(&key), &draft(d)).expect_err(field);
        assert_eq!(err.field, field, "{err}");
    }
    let other = VapidKey::generate().expect("other");
    let mut wrong = profile(&key);
    wrong
        .settings
        .insert("vapid_public_key".into(), other.public_key_b64());
    let d = draft(
        json!({"profile": "site", "message": {"body": "b"}, "audience": {"subscriptions": [good]}}),
    );
    assert_eq!(
        prepare(&key, &wrong, &d).expect_err("mismatch").field,
        "settings.vapid_public_key"
    );
    let mut no_subject = profile(&key);
    no_subject
        .settings
        .insert("subject".into(), "ops@example.com".into());
    assert_eq!(
        prepare(&key, &no_subject, &d).expect_err("subject").field,
        "settings.subject"
    );
}

fn answer(status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
    let mut exchange = Exchange::unsent(
        PreparedRequest::new("POST", "https://push.example/1").header("TTL", "60"),
    );
    exchange.response = Some(ResponseDump {
        status,
        reason: String::new(),
        headers: headers
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect(),
        version: "HTTP/2.0".into(),
        body: crate::http::Body::Text(body.into()),
        truncated: false,
    });
    WebPush.interpret(&exchange)
}

#[test]
fn outcomes_in_words() {
    let sent = answer(201, &[("Location", "https://push.example/m/abc123")], "");
    assert_eq!(sent.verdict, Verdict::Accepted);
    assert_eq!(sent.message_id.as_deref(), Some("abc123"));
    let cut = answer(201, &[("TTL", "30")], "");
    assert!(cut.summary.contains("cut the TTL to 30"), "{}", cut.summary);
    for status in [404, 410] {
        let gone = answer(status, &[], "");
        assert!(gone.gone && gone.summary.starts_with("Gone"), "{gone:?}");
    }
    assert!(!answer(400, &[], "").gone);
    assert!(answer(413, &[], "").summary.starts_with("Too large"));
    let limited = answer(429, &[("Retry-After", "3")], "slow down");
    assert_eq!(limited.retry_after, Some(3));
    let vapid = answer(403, &[], "invalid JWT");
    assert!(
        vapid.summary.contains("VAPID") && vapid.summary.contains("invalid JWT"),
        "{vapid:?}"
    );
    assert!(
        vapid
            .hint
            .as_deref()
            .is_some_and(|h| h.contains("applicationServerKey"))
    );
}

#[test]
fn a_push_service_answering_200_ok_is_delivered_and_says_so() {
    let ok = answer(200, &[("Location", "https://push.example/m/xyz")], "");
    assert_eq!(ok.verdict, Verdict::Accepted, "{ok:?}");
    assert_eq!(ok.message_id.as_deref(), Some("xyz"));
    assert_eq!(
        ok.summary,
        "Sent: the push service answered 200 OK instead of 201 Created"
    );
    let queued = answer(202, &[], "");
    assert_eq!(queued.verdict, Verdict::Accepted);
    assert!(
        queued.summary.contains("202 Accepted"),
        "{}",
        queued.summary
    );
    let created = answer(201, &[], "");
    assert_eq!(created.summary, "Sent: the push service accepted it");
}

#[test]
fn local_check_says_what_is_wrong() {
    let key = VapidKey::generate().expect("key");
    let ok = WebPush
        .check_locally(&profile(&key), &secrets(&key))
        .expect("works");
    assert!(
        ok.is_ok() && ok.summary.contains("VAPID keys work"),
        "{ok:?}"
    );
    let err = WebPush
        .check_locally(&profile(&key), &Secrets::default())
        .expect_err("no key");
    assert!(err.message.contains("vapid_private_key"), "{err}");
}

#[test]
fn previews_cut_big_fan_outs() {
    let a = Browser::new(6);
    let subs: Vec<Value> = (0..50)
        .map(|i| a.subscription(&format!("https://push.example/{i}")))
        .collect();
    let d = draft(
        json!({"profile": "site", "message": {"body": "b"}, "audience": {"subscriptions": subs}}),
    );
    let (cut, omitted) = WebPush.preview_draft(&d, 20).expect("cut");
    assert_eq!(omitted, 30);
    assert_eq!(subscriptions(&cut).expect("valid").len(), 20);
    assert!(WebPush.preview_draft(&d, 50).is_none());
    assert_eq!(WebPush.audience_label(&d), "50 subscriptions");
    let mut c = d.clone();
    c.options.insert("concurrency".into(), json!(500));
    assert_eq!(WebPush.concurrency(&c), 256);
    assert_eq!(WebPush.concurrency(&d), DEFAULT_CONCURRENCY);
}

#[test]
fn a_big_fan_out_is_encrypted_in_parallel_and_in_order() {
    let key = VapidKey::generate().expect("key");
    let browsers: Vec<Browser> = (0..150).map(|i| Browser::new(i as u8)).collect();
    let subs: Vec<Value> = browsers
        .iter()
        .enumerate()
        .map(|(i, b)| b.subscription(&format!("https://push.example/{i}")))
        .collect();
    let d = draft(
        json!({"profile": "site", "message": {"body": "hi"}, "audience": {"subscriptions": subs}}),
    );
    let p = prepare(&key, &profile(&key), &d).expect("prepares");
    assert_eq!(p.requests.len(), 150);
    for (i, (request, browser)) in p.requests.iter().zip(&browsers).enumerate() {
        assert_eq!(request.url, format!("https://push.example/{i}"));
        assert_eq!(browser.open(request), json!({"body": "hi"}), "request {i}");
    }
}

/// The streaming preparer builds, one subscription at a time, what `prepare` builds for the whole
/// list: same URLs, recipients and headers, a body each browser opens, one JWT per push service;
/// and `identify` says who each one is without encrypting.
#[test]
fn the_streaming_preparer_builds_each_subscription_like_prepare() {
    let key = VapidKey::generate().expect("key");
    let browsers: Vec<Browser> = (0..6).map(|i| Browser::new(i as u8)).collect();
    let subs: Vec<Value> = browsers
        .iter()
        .enumerate()
        .map(|(i, b)| b.subscription(&format!("https://push{}.example/{i}", i % 2)))
        .collect();
    let d = draft(
        json!({"profile": "site", "message": {"body": "hi"}, "audience": {"subscriptions": subs.clone()}}),
    );
    let whole = prepare(&key, &profile(&key), &d).expect("prepares");
    let secrets = secrets(&key);
    let profile = profile(&key);
    let ctx = PrepareContext {
        draft: &d,
        profile: &profile,
        secrets: &secrets,
        now: NOW,
        idempotency_key: "k",
        token: None,
        dry_run: false,
    };
    let fan_out = WebPush.fan_out(&ctx).expect("streams").expect("valid");
    for (i, (item, browser)) in subs.iter().zip(&browsers).enumerate() {
        let one = fan_out.prepare_one(item).expect("builds");
        assert_eq!(one.url, whole.requests[i].url);
        assert_eq!(one.recipient, whole.requests[i].recipient);
        // ES256 signatures differ each time: the claims (audience, expiry, subject) must not.
        let claims = |r: &PreparedRequest| {
            let (jwt, k) = auth_parts(r);
            (jwt.rsplit_once('.').map(|(c, _)| c.to_string()), k)
        };
        assert_eq!(claims(&one), claims(&whole.requests[i]));
        assert_eq!(browser.open(&one), json!({"body": "hi"}), "request {i}");
        let who = fan_out.identify(item).expect("identifies");
        assert_eq!(
            (who.url.as_str(), who.recipient.as_ref()),
            (one.url.as_str(), one.recipient.as_ref())
        );
    }
    let bad = json!({"endpoint": "https://x.test", "keys": {"p256dh": "AAAA", "auth": "AAAA"}});
    assert!(fan_out.identify(&bad).is_err());
    assert_eq!(
        WebPush.fan_out_source(&d),
        Some(FanOutSource::Inline {
            field: "subscriptions"
        })
    );
    let from_file = draft(
        json!({"profile": "site", "message": {"body": "hi"}, "audience": {"subscriptions_file": "/tmp/subs.jsonl"}}),
    );
    assert_eq!(
        WebPush.fan_out_source(&from_file),
        Some(FanOutSource::File {
            field: "subscriptions_file",
            path: "/tmp/subs.jsonl".into()
        })
    );
    assert_eq!(
        WebPush.audience_label(&from_file),
        "the subscriptions in /tmp/subs.jsonl"
    );
    let e = prepare(&key, &profile, &from_file).expect_err("read by the engine, not here");
    assert_eq!(e.field, "audience.subscriptions_file");
}
