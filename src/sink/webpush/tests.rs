use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use time::macros::datetime;

use super::*;
use crate::draft::Draft;
use crate::finding::{Level, texts_at};
use crate::http::PreparedRequest;
use crate::profile::{Profile, Secrets};
use crate::provider::webpush::WebPush;
use crate::provider::{PrepareContext, Provider};

const BASE: &str = "http://127.0.0.1:8630";
const NOW: time::OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

fn received_at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW.unix_timestamp().unsigned_abs())
}

fn arrival(request: &PreparedRequest) -> Arrival {
    crate::sink::testing::arrival_of(request, received_at())
}

fn profile(key: &VapidKey) -> (Profile, Secrets) {
    let mut p = Profile::new("site", "webpush");
    p.settings
        .insert("subject".into(), "mailto:ops@example.com".into());
    p.settings
        .insert("vapid_public_key".into(), key.public_key_b64());
    let mut s = Secrets::default();
    s.insert("vapid_private_key", key.private_key_b64().expect("export"));
    (p, s)
}

fn sink(profile: Option<(&Profile, &Secrets)>, kept: Option<&str>) -> (WebPushSink, SinkSetup) {
    let mut sink = WebPushSink::default();
    let setup = sink
        .begin(&SinkStart {
            profile: profile.map(|p| p.0),
            secrets: profile.map(|p| p.1),
            base_url: BASE,
            kept,
            now: received_at(),
        })
        .expect("begins");
    (sink, setup)
}

/// Pushdeck's own Web Push provider sending `message` to the sink's first subscription.
fn sent_by_pushdeck(sink: &WebPushSink, key: &VapidKey, message: Value) -> PreparedRequest {
    let (p, s) = profile(key);
    let sub = sink.subscriptions()[0].browser_json(BASE);
    let draft = Draft::from_json(
        &json!({"profile": "site", "message": message, "audience": {"subscriptions": [sub]},
                "options": {"urgency": "high", "topic": "build-118"}})
        .to_string(),
    )
    .expect("draft");
    let mut prepared = WebPush
        .prepare(&PrepareContext {
            draft: &draft,
            profile: &p,
            secrets: &s,
            now: NOW,
            idempotency_key: "k",
            token: None,
            dry_run: false,
        })
        .expect("prepares");
    prepared.requests.remove(0)
}

fn worst(verdict: &Verdict) -> Level {
    verdict
        .findings
        .iter()
        .map(|f| f.level)
        .max()
        .unwrap_or(Level::Ok)
}

fn decoded<'a>(verdict: &'a Verdict, label: &str) -> &'a str {
    verdict
        .decoded
        .iter()
        .find(|d| d.label == label)
        .map(|d| d.text.as_str())
        .unwrap_or_else(|| panic!("no {label} in {:?}", verdict.decoded))
}

fn body_json(verdict: &Verdict) -> Value {
    serde_json::from_slice(&verdict.body).expect("JSON body")
}

#[test]
fn setup_hands_out_subscriptions_pushdeck_accepts_and_keeps_them() {
    let (first, setup) = sink(None, None);
    let subs: Vec<&SetupLine> = setup
        .lines
        .iter()
        .filter(|l| l.label.starts_with("Subscription"))
        .collect();
    assert_eq!(subs.len(), subscriptions::COUNT);
    for line in &subs {
        let value: Value = serde_json::from_str(&line.value).expect("JSON");
        let parsed = crate::provider::webpush::subscription::Subscription::from_value(&value)
            .expect("Pushdeck's own subscription reader accepts it");
        assert!(parsed.endpoint.starts_with("http://127.0.0.1:8630/push/"));
    }
    let kept = setup.keep.expect("keeps the keys");
    let (again, setup_again) = sink(None, Some(&kept));
    assert_eq!(
        setup_again.lines[0].value, setup.lines[0].value,
        "same subscriptions next run"
    );
    assert_eq!(
        again.subscriptions()[2].p256dh,
        first.subscriptions()[2].p256dh
    );
    let (fresh, setup_fresh) = sink(None, Some("{not the list"));
    assert_ne!(fresh.subscriptions()[0].id, first.subscriptions()[0].id);
    assert!(
        setup_fresh.lines[0]
            .about
            .contains("could not be read back")
    );
}

#[test]
fn pushdecks_own_request_decrypts_to_the_drafts_payload() {
    let key = VapidKey::generate().expect("key");
    let (p, s) = profile(&key);
    let (sink, _) = sink(Some((&p, &s)), None);
    let request = sent_by_pushdeck(&sink, &key, json!({"title": "Build 118", "body": "Passed"}));
    let verdict = sink.answer(&arrival(&request), None);
    assert_eq!(verdict.status, 201, "{:?}", verdict.findings);
    assert_eq!(worst(&verdict), Level::Ok, "{:?}", verdict.findings);
    let plain: Value = serde_json::from_str(decoded(&verdict, "Plaintext")).expect("JSON");
    assert_eq!(plain, json!({"title": "Build 118", "body": "Passed"}));
    assert_eq!(
        serde_json::from_str::<Value>(request.plaintext.as_deref().expect("plaintext"))
            .expect("JSON"),
        plain,
        "what the sink decrypted is what Pushdeck encrypted"
    );
    let claims: Value = serde_json::from_str(decoded(&verdict, "VAPID JWT claims")).expect("JSON");
    assert_eq!(claims["aud"], json!("http://127.0.0.1:8630"));
    assert_eq!(claims["sub"], json!("mailto:ops@example.com"));
    let location = verdict
        .headers
        .iter()
        .find(|(n, _)| n == "Location")
        .expect("Location");
    assert!(
        location.1.starts_with("http://127.0.0.1:8630/m/"),
        "{location:?}"
    );
    assert!(verdict.headers.contains(&("TTL".into(), "86400".into())));
    assert!(verdict.secrets.iter().any(|(name, _)| name == "vapid_jwt"));
    assert!(verdict.summary.contains("Build 118") && verdict.summary.ends_with("→ 201"));
}

#[test]
fn without_a_profile_the_key_is_not_compared_and_with_another_key_it_is_refused() {
    let key = VapidKey::generate().expect("key");
    let (open_sink, _) = sink(None, None);
    let request = sent_by_pushdeck(&open_sink, &key, json!({"body": "hi"}));
    let verdict = open_sink.answer(&arrival(&request), None);
    assert_eq!(verdict.status, 201);
    assert!(texts_at(&verdict.findings, Level::Warn).contains("not verified"));

    let other = VapidKey::generate().expect("other key");
    let (p, s) = profile(&other);
    let (strict, _) = sink(
        Some((&p, &s)),
        Some(&subscriptions::keep(open_sink.subscriptions())),
    );
    let verdict = strict.answer(&arrival(&request), None);
    assert_eq!(verdict.status, 403);
    assert!(
        texts_at(&verdict.findings, Level::Fail).contains("not the profile's VAPID public key")
    );
    assert_eq!(body_json(&verdict)["errno"], json!(109));
}

#[test]
fn a_tampered_jwt_is_refused() {
    let key = VapidKey::generate().expect("key");
    let (sink, _) = sink(None, None);
    let mut request = sent_by_pushdeck(&sink, &key, json!({"body": "hi"}));
    let auth = request
        .header_value("Authorization")
        .expect("auth")
        .to_string();
    let t = auth
        .strip_prefix("vapid t=")
        .and_then(|r| r.split(", k=").next())
        .expect("t");
    let parts: Vec<&str> = t.split('.').collect();
    let claims = URL_SAFE_NO_PAD.encode(
        json!({"aud": "http://127.0.0.1:8630", "exp": NOW.unix_timestamp() + 3600,
               "sub": "mailto:mallory@example.com"})
        .to_string(),
    );
    let forged = format!("{}.{claims}.{}", parts[0], parts[2]);
    let value = auth.replace(t, &forged);
    request.headers.retain(|(n, _)| n != "Authorization");
    request.headers.push(("Authorization".into(), value));
    let verdict = sink.answer(&arrival(&request), None);
    assert_eq!(verdict.status, 403);
    assert_eq!(worst(&verdict), Level::Fail);
    assert!(texts_at(&verdict.findings, Level::Fail).contains("signature does not verify"));
    assert_eq!(body_json(&verdict)["code"], json!(403));
}

#[test]
fn claims_are_checked_one_by_one() {
    let key = VapidKey::generate().expect("key");
    let (sink, _) = sink(None, None);
    let mut request = sent_by_pushdeck(&sink, &key, json!({"body": "hi"}));
    let signed = |aud: &str, at: time::OffsetDateTime, sub: &str| {
        format!(
            "vapid t={}, k={}",
            key.jwt(aud, sub, at).expect("jwt"),
            key.public_key_b64()
        )
    };
    let cases = [
        (
            signed("https://fcm.googleapis.com", NOW, "mailto:a@example.com"),
            "aud is",
        ),
        (
            signed(BASE, NOW - time::Duration::days(1), "mailto:a@example.com"),
            "expired",
        ),
        (
            signed(BASE, NOW + time::Duration::days(1), "mailto:a@example.com"),
            "at most 24 h",
        ),
        (signed(BASE, NOW, "admin@example.com"), "mailto"),
    ];
    for (header, expected) in cases {
        request.headers.retain(|(n, _)| n != "Authorization");
        request.headers.push(("Authorization".into(), header));
        let verdict = sink.answer(&arrival(&request), None);
        assert_eq!(verdict.status, 403, "{expected}");
        assert!(
            texts_at(&verdict.findings, Level::Fail).contains(expected),
            "{expected}: {:?}",
            verdict.findings
        );
    }
    request.headers.retain(|(n, _)| n != "Authorization");
    let verdict = sink.answer(&arrival(&request), None);
    assert_eq!(verdict.status, 401, "no VAPID at all");
}

#[test]
fn missing_ttl_is_400_and_bad_headers_too() {
    let key = VapidKey::generate().expect("key");
    let (sink, _) = sink(None, None);
    let mut request = sent_by_pushdeck(&sink, &key, json!({"body": "hi"}));
    request.headers.retain(|(n, _)| n != "TTL");
    let verdict = sink.answer(&arrival(&request), None);
    assert_eq!(verdict.status, 400);
    let body = body_json(&verdict);
    assert_eq!(
        (body["code"].clone(), body["errno"].clone()),
        (json!(400), json!(111))
    );
    assert!(body["message"].as_str().expect("message").contains("TTL"));
    assert!(
        texts_at(&verdict.findings, Level::Ok).contains("decrypts"),
        "the other checks still run"
    );
    request.headers.push(("TTL".into(), "60".into()));
    request.headers.retain(|(n, _)| n != "Topic");
    request.headers.push((
        "Topic".into(),
        "way too long for a topic, with spaces".into(),
    ));
    assert_eq!(sink.answer(&arrival(&request), None).status, 400);
    request.headers.retain(|(n, _)| n != "Topic");
    request.headers.push(("Urgency".into(), "low".into()));
    let twice = sink.answer(&arrival(&request), None);
    assert_eq!(twice.status, 400, "high and low at once");
    assert!(texts_at(&twice.findings, Level::Fail).contains("2 urgency headers"));
}

#[test]
fn an_oversized_body_is_413() {
    let key = VapidKey::generate().expect("key");
    let (sink, _) = sink(None, None);
    let mut request = sent_by_pushdeck(&sink, &key, json!({"body": "hi"}));
    let mut body = request.body.as_bytes().to_vec();
    body.resize(MAX_BODY + 1, 0);
    request.body = crate::http::Body::Bytes(body.into());
    let verdict = sink.answer(&arrival(&request), None);
    assert_eq!(verdict.status, 413);
    assert_eq!(body_json(&verdict)["errno"], json!(104));
}

#[test]
fn unknown_subscriptions_legacy_coding_and_undecryptable_bodies() {
    let key = VapidKey::generate().expect("key");
    let (sink, _) = sink(None, None);
    let request = sent_by_pushdeck(&sink, &key, json!({"body": "hi"}));
    let mut unknown = arrival(&request);
    unknown.target = "/push/nobody".into();
    assert_eq!(sink.answer(&unknown, None).status, 404);

    let mut legacy = arrival(&request);
    legacy.headers.retain(|(n, _)| n != "content-encoding");
    legacy
        .headers
        .push(("content-encoding".into(), "aesgcm".into()));
    legacy
        .headers
        .push(("encryption".into(), "salt=DGv6ra1nlYgDCS1FRnbzlw".into()));
    let verdict = sink.answer(&legacy, None);
    assert_eq!(verdict.status, 201);
    assert!(texts_at(&verdict.findings, Level::Warn).contains("does not decrypt it"));

    // Encrypted for another subscription: the push service takes it, the browser cannot read it.
    let mut misdirected = arrival(&request);
    misdirected.target = format!("/push/{}", sink.subscriptions()[1].id);
    let verdict = sink.answer(&misdirected, None);
    assert_eq!(verdict.status, 201);
    assert!(texts_at(&verdict.findings, Level::Fail).contains("browser drops it"));
    assert!(verdict.summary.contains("does not decrypt"));
}

#[test]
fn rehearsals_answer_as_the_push_service_does() {
    let key = VapidKey::generate().expect("key");
    let (sink, _) = sink(None, None);
    let request = sent_by_pushdeck(&sink, &key, json!({"body": "hi"}));
    for rehearsal in sink.rehearsals() {
        let verdict = sink.answer(&arrival(&request), Some(rehearsal));
        assert_eq!(verdict.status, rehearsal.status, "{}", rehearsal.name);
        assert_eq!(body_json(&verdict)["code"], json!(rehearsal.status));
        assert!(
            texts_at(&verdict.findings, Level::Ok).contains("decrypts"),
            "checks still run under {}",
            rehearsal.name
        );
    }
    let limited = REHEARSALS
        .iter()
        .find(|r| r.name == "rate-limited")
        .expect("rate-limited");
    let verdict = sink.answer(&arrival(&request), Some(limited));
    assert!(
        verdict
            .headers
            .contains(&("Retry-After".into(), "60".into()))
    );
}

#[test]
fn the_pre_rfc_webpush_scheme_is_read_with_its_crypto_key_and_said_to_be_old() {
    let key = VapidKey::generate().expect("key");
    let (sink, _) = sink(None, None);
    let mut request = sent_by_pushdeck(&sink, &key, json!({"body": "hi"}));
    let jwt = key.jwt(BASE, "mailto:ops@example.com", NOW).expect("jwt");
    request.headers.retain(|(n, _)| n != "Authorization");
    request
        .headers
        .push(("Authorization".into(), format!("WebPush {jwt}")));
    let without_key = sink.answer(&arrival(&request), None);
    assert_eq!(without_key.status, 401, "no p256ecdsa key to verify with");
    request.headers.push((
        "Crypto-Key".into(),
        format!("p256ecdsa={}", key.public_key_b64()),
    ));
    let verdict = sink.answer(&arrival(&request), None);
    assert_eq!(verdict.status, 201, "{:?}", verdict.findings);
    assert!(texts_at(&verdict.findings, Level::Warn).contains("pre-RFC VAPID form"));
    assert!(texts_at(&verdict.findings, Level::Ok).contains("signature verifies"));
}

#[test]
fn pushdecks_provider_reads_the_sinks_answers_as_a_push_services() {
    use crate::outcome::Verdict as Said;
    use crate::sink::testing::exchange;
    let key = VapidKey::generate().expect("key");
    let (sink, _) = sink(None, None);
    let request = sent_by_pushdeck(&sink, &key, json!({"body": "hi"}));
    let ok = sink.answer(&arrival(&request), None);
    let outcome = WebPush.interpret(&exchange(request.clone(), &ok));
    assert_eq!(outcome.verdict, Said::Accepted, "{}", outcome.summary);
    assert!(outcome.message_id.is_some(), "the Location's id");
    for (name, gone) in [("gone", true), ("not-found", true), ("rate-limited", false)] {
        let rehearsal = REHEARSALS.iter().find(|r| r.name == name).expect(name);
        let verdict = sink.answer(&arrival(&request), Some(rehearsal));
        let outcome = WebPush.interpret(&exchange(request.clone(), &verdict));
        assert_eq!(outcome.verdict, Said::Refused, "{name}");
        assert_eq!(outcome.gone, gone, "{name}: {}", outcome.summary);
        if name == "rate-limited" {
            assert_eq!(outcome.retry_after, Some(60));
        }
    }
}
