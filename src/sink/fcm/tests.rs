//! The FCM imitation answering Pushdeck's own token exchange and sends, and hand-made requests
//! Google refuses.

use std::time::SystemTime;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::macros::datetime;

use super::*;
use crate::draft::Draft;
use crate::finding::{Level, texts_at};
use crate::http::{Body, PreparedRequest};
use crate::provider::fcm::Fcm;
use crate::provider::{PrepareContext, Provider, TokenPlan};
use crate::sink::seam::SinkStart;
use crate::sink::testing::arrival;

const PRIVATE_KEY: &str = include_str!("../../../tests/fixtures/fcm_test_key.pem");
const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);
const BASE: &str = "http://127.0.0.1:8631";
const DEVICE: &str = "eXaMpLeToKeN:APA91bHun4MxP5egoKMwt2KZFBaFUH";

fn key_json(private_key: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": "acme-push",
        "private_key_id": "4f1c2a9e8d7b6a5c",
        "private_key": private_key,
        "client_email": "pushdeck@acme-push.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token"
    })
    .to_string()
}

fn profile() -> Profile {
    let mut p = Profile::new("acme-fcm", "fcm");
    p.base_url = Some(BASE.into());
    p
}

fn secrets_with(private_key: &str) -> Secrets {
    let mut s = Secrets::default();
    s.insert(SECRET, key_json(private_key));
    s
}

fn sink(with_profile: bool) -> FcmSink {
    let mut sink = FcmSink::default();
    let (p, s) = (profile(), secrets_with(PRIVATE_KEY));
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

fn at() -> SystemTime {
    SystemTime::from(NOW)
}

/// Pushdeck's own token request, signed with `private_key`.
fn grant_request(private_key: &str) -> PreparedRequest {
    match Fcm.token_plan(&profile(), &secrets_with(private_key), NOW) {
        Ok(TokenPlan::Exchange(r)) => r,
        _ => panic!("FCM exchanges a grant for its token"),
    }
}

fn body(v: &Verdict) -> Value {
    serde_json::from_slice(&v.body).expect("a JSON body")
}

/// Exchanges Pushdeck's grant at the sink; the access token it issued.
fn access_token(sink: &FcmSink) -> String {
    let v = sink.answer(&arrival(&grant_request(PRIVATE_KEY), at()), None);
    assert_eq!(v.status, 200, "{:?}", v.findings);
    body(&v)["access_token"]
        .as_str()
        .expect("an access token")
        .to_string()
}

/// What Pushdeck's FCM provider sends for `draft` with `token`.
fn send_request(draft: Value, token: &str, dry_run: bool) -> PreparedRequest {
    let draft = Draft::from_json(&draft.to_string()).expect("draft");
    Fcm.prepare(&PrepareContext {
        draft: &draft,
        profile: &profile(),
        secrets: &secrets_with(PRIVATE_KEY),
        now: NOW,
        idempotency_key: "k",
        token: Some(token),
        dry_run,
    })
    .expect("prepares")
    .requests
    .remove(0)
}

fn hello() -> Value {
    json!({"profile": "acme-fcm", "message": {"title": "Build 118", "body": "Passed",
        "data": {"build": "118"}}, "audience": {"tokens": [DEVICE]}})
}

fn fails(v: &Verdict) -> String {
    texts_at(&v.findings, Level::Fail)
}

/// The FcmError code of an error body, else its status.
fn error_code(v: &Verdict) -> String {
    let b = body(v);
    b["error"]["details"][0]["errorCode"]
        .as_str()
        .or(b["error"]["status"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[test]
fn pushdecks_own_grant_and_send_are_verified_and_accepted() {
    let s = sink(true);
    let grant = s.answer(&arrival(&grant_request(PRIVATE_KEY), at()), None);
    assert_eq!(grant.status, 200);
    let b = body(&grant);
    assert_eq!(
        (b["expires_in"].as_i64(), b["token_type"].as_str()),
        (Some(3599), Some("Bearer"))
    );
    assert!(texts_at(&grant.findings, Level::Ok).contains("Grant verified"));
    assert!(grant.secrets.iter().any(|(f, _)| f == "assertion"));
    let token = b["access_token"].as_str().expect("token");
    let v = s.answer(&arrival(&send_request(hello(), token, false), at()), None);
    assert_eq!(v.status, 200, "{}", fails(&v));
    assert!(fails(&v).is_empty());
    let name = body(&v)["name"].as_str().unwrap_or_default().to_string();
    assert!(name.starts_with("projects/acme-push/messages/0:"), "{name}");
    let dry = s.answer(&arrival(&send_request(hello(), token, true), at()), None);
    assert_eq!(
        body(&dry)["name"],
        "projects/acme-push/messages/fake_message_id"
    );
}

#[test]
fn a_grant_signed_by_another_key_is_an_invalid_jwt_signature() {
    use aws_lc_rs::encoding::AsDer as _;
    let other = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).expect("key");
    let der = other.as_der().expect("pkcs8");
    let other_pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
    let v = sink(true).answer(&arrival(&grant_request(&other_pem), at()), None);
    assert_eq!(v.status, 400);
    assert_eq!(
        body(&v),
        json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."})
    );
    assert!(
        fails(&v).contains("signed with another key"),
        "{}",
        fails(&v)
    );
    let unverified = sink(false).answer(&arrival(&grant_request(&other_pem), at()), None);
    assert_eq!(
        unverified.status, 200,
        "without a profile the signature cannot be checked"
    );
    assert!(texts_at(&unverified.findings, Level::Warn).contains("--profile P"));
}

/// Pushdeck's grant with its claims replaced, signed with the profile's key.
fn grant_with(claims: Value) -> PreparedRequest {
    crate::provider::jwt::install_crypto();
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(PRIVATE_KEY.as_bytes()).expect("key");
    let jwt = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256),
        &claims,
        &key,
    )
    .expect("signs");
    let mut r = grant_request(PRIVATE_KEY);
    r.body = Body::Text(format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={jwt}"
    ));
    r
}

#[test]
fn grants_are_checked_as_google_does() {
    let s = sink(true);
    let iat = NOW.unix_timestamp();
    let claims = |aud: &str, scope: &str, exp: i64| {
        json!({"iss": "pushdeck@acme-push.iam.gserviceaccount.com", "scope": scope,
            "aud": aud, "iat": iat, "exp": exp})
    };
    let messaging = "https://www.googleapis.com/auth/firebase.messaging";
    let google = "https://oauth2.googleapis.com/token";
    let ok = s.answer(
        &arrival(
            &grant_with(claims(&format!("{BASE}/token"), messaging, iat + 3600)),
            at(),
        ),
        None,
    );
    assert_eq!(
        ok.status,
        200,
        "the sink's own token_uri is a right audience: {}",
        fails(&ok)
    );
    let cases = [
        (
            claims("https://example.com/token", messaging, iat + 3600),
            "invalid_grant",
            "Failed audience check",
        ),
        (
            claims(google, messaging, iat + 7200),
            "invalid_grant",
            "short-lived",
        ),
        (
            claims(google, "", iat + 3600),
            "invalid_scope",
            "missing scope",
        ),
    ];
    for (c, error, said) in cases {
        let v = s.answer(&arrival(&grant_with(c.clone()), at()), None);
        assert_eq!(
            (v.status, body(&v)["error"].as_str()),
            (400, Some(error)),
            "{c}"
        );
        assert!(
            body(&v)["error_description"]
                .as_str()
                .unwrap_or_default()
                .contains(said)
        );
    }
    let mut wrong_grant = grant_request(PRIVATE_KEY);
    wrong_grant.body = Body::Text("grant_type=client_credentials".into());
    let v = s.answer(&arrival(&wrong_grant, at()), None);
    assert_eq!(body(&v)["error"], "unsupported_grant_type");
    // A token whose scope cannot send is issued, and refused at the send.
    let other_scope = s.answer(
        &arrival(&grant_with(claims(google, "openid", iat + 3600)), at()),
        None,
    );
    let token = body(&other_scope)["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let v = s.answer(&arrival(&send_request(hello(), &token, false), at()), None);
    assert_eq!(
        (v.status, error_code(&v).as_str()),
        (403, "PERMISSION_DENIED")
    );
}

#[test]
fn a_bearer_the_sink_did_not_issue_is_401_unauthenticated() {
    let s = sink(true);
    let v = s.answer(
        &arrival(&send_request(hello(), "ya29.c.made-up", false), at()),
        None,
    );
    assert_eq!(v.status, 401);
    let b = body(&v);
    assert_eq!(b["error"]["status"], "UNAUTHENTICATED");
    assert_eq!(b["error"]["code"], 401);
    assert!(
        b["error"].get("details").is_none(),
        "a plain 401 has no FcmError"
    );
    assert!(
        v.decoded
            .iter()
            .any(|d| d.label == "What UNAUTHENTICATED means"),
        "explained in Pushdeck's own words"
    );
    let mut none = send_request(hello(), "x", false);
    none.headers
        .retain(|(n, _)| !n.eq_ignore_ascii_case("authorization"));
    let v = s.answer(&arrival(&none, at()), None);
    assert!(
        body(&v)["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("missing required")
    );
    // Issued, then an hour later: expired.
    let token = access_token(&s);
    let late = SystemTime::from(NOW + time::Duration::seconds(3600));
    let v = s.answer(&arrival(&send_request(hello(), &token, false), late), None);
    assert_eq!(v.status, 401);
}

#[test]
fn messages_fcm_refuses_get_its_errors() {
    let s = sink(true);
    let token = access_token(&s);
    let mut request = send_request(hello(), &token, false);
    let cases = [
        (
            json!({"message": {"token": DEVICE, "data": {"n": 1}}}),
            "message.data[0].value",
        ),
        (
            json!({"message": {"token": DEVICE, "topic": "news"}}),
            "oneof field 'target'",
        ),
        (
            json!({"message": {"notification": {"title": "x"}}}),
            "Recipient of the message is not set",
        ),
        (
            json!({"message": {"token": DEVICE}, "dry_run": true}),
            "Unknown name \"dry_run\"",
        ),
        (
            json!({"message": {"token": DEVICE, "data": {"from": "me"}}}),
            "Invalid data payload key",
        ),
        (
            json!({"message": {"token": DEVICE, "android": {"ttl": 3600}}}),
            "message.android.ttl",
        ),
        (
            json!({"message": {"token": "short"}}),
            "not a valid FCM registration token",
        ),
        (
            json!({"message": {"token": DEVICE, "data": {"pad": "x".repeat(4100)}}}),
            "Message is too big",
        ),
    ];
    for (sent, said) in cases {
        request.body = Body::Text(sent.to_string());
        let v = s.answer(&arrival(&request, at()), None);
        assert_eq!(v.status, 400, "{sent}");
        let b = body(&v);
        assert_eq!(b["error"]["status"], "INVALID_ARGUMENT");
        let text = b["error"]["message"].as_str().unwrap_or_default();
        assert!(text.contains(said), "{said}: {text}");
        assert!(fails(&v).contains("FCM refuses the message"));
    }
}

#[test]
fn another_project_than_the_profiles_is_permission_denied() {
    let s = sink(true);
    let token = access_token(&s);
    let mut r = send_request(hello(), &token, false);
    r.url = format!("{BASE}/v1/projects/other-project/messages:send");
    let v = s.answer(&arrival(&r, at()), None);
    assert_eq!(
        (v.status, error_code(&v).as_str()),
        (403, "PERMISSION_DENIED")
    );
}

#[test]
fn rehearsals_answer_with_googles_bodies() {
    let s = sink(true);
    let token = access_token(&s);
    let a = arrival(&send_request(hello(), &token, false), at());
    let expected = [
        ("unregistered", 404, "UNREGISTERED"),
        ("invalid-argument", 400, "INVALID_ARGUMENT"),
        ("quota-exceeded", 429, "QUOTA_EXCEEDED"),
        ("unavailable", 503, "UNAVAILABLE"),
        ("internal", 500, "INTERNAL"),
        ("sender-id-mismatch", 403, "SENDER_ID_MISMATCH"),
    ];
    assert_eq!(s.rehearsals().len(), expected.len());
    for (name, status, code) in expected {
        let r = s.rehearsals().iter().find(|r| r.name == name).expect(name);
        let v = s.answer(&a, Some(r));
        assert_eq!(
            (v.status, error_code(&v).as_str()),
            (status, code),
            "{name}"
        );
        assert_eq!(
            body(&v)["error"]["details"][0]["@type"],
            "type.googleapis.com/google.firebase.fcm.v1.FcmError"
        );
        let retry = v.headers.iter().any(|(n, _)| n == "retry-after");
        assert_eq!(retry, status == 429 || status == 503, "{name}");
    }
    // The token endpoint is not rehearsed: a backend still gets its token.
    let grant = arrival(&grant_request(PRIVATE_KEY), at());
    assert_eq!(s.answer(&grant, Some(&s.rehearsals()[0])).status, 200);
}

#[test]
fn begin_says_where_the_token_uri_and_base_url_point() {
    let mut s = FcmSink::default();
    let setup = s
        .begin(&SinkStart {
            profile: None,
            secrets: None,
            base_url: BASE,
            kept: None,
            now: at(),
        })
        .expect("begins");
    let line = |label: &str| {
        setup
            .lines
            .iter()
            .find(|l| l.label == label)
            .map(|l| l.value.clone())
            .unwrap_or_default()
    };
    assert_eq!(line("token_uri"), format!("{BASE}/token"));
    assert_eq!(line("FCM base URL"), BASE);
    assert_eq!(line("Service account"), "read, not verified");
    let mut apns = profile();
    apns.provider = "apns".into();
    let err = FcmSink::default()
        .begin(&SinkStart {
            profile: Some(&apns),
            secrets: Some(&secrets_with(PRIVATE_KEY)),
            base_url: BASE,
            kept: None,
            now: at(),
        })
        .expect_err("an APNs profile has no service account");
    assert!(err.contains("FCM profile"), "{err}");
}

#[test]
fn pushdecks_fullest_message_and_live_activity_pass_every_check() {
    let s = sink(true);
    let token = access_token(&s);
    let full = json!({
        "profile": "acme-fcm",
        "message": {
            "title": "Build 118", "subtitle": "main", "body": "Passed",
            "url": "https://ci.example.com/118", "image": "https://ci.example.com/graph.png",
            "icon": "https://ci.example.com/icon.png",
            "buttons": [{"id": "logs", "label": "Logs"}],
            "data": {"build": 118, "branch": "main", "green": true}
        },
        "audience": {"tokens": [DEVICE]},
        "options": {"ttl": 3600, "priority": "high", "collapse_key": "ci", "channel_id": "builds"}
    });
    let live = json!({"profile": "acme-fcm", "message": {"title": "ETA", "body": "5 min"},
        "audience": {"topic": "deliveries"},
        "options": {"live_activity": {"event": "update", "content_state": {"eta": 5}},
            "live_activity_token": "abcdef0123456789"}});
    for draft in [full, live] {
        let v = s.answer(&arrival(&send_request(draft, &token, false), at()), None);
        assert_eq!(v.status, 200, "{}", fails(&v));
        assert!(fails(&v).is_empty(), "{}", fails(&v));
    }
}

#[test]
fn pushdecks_provider_reads_the_sinks_answers_as_googles() {
    use crate::outcome::Verdict as Said;
    use crate::sink::testing::exchange;
    let s = sink(true);
    let grant = grant_request(PRIVATE_KEY);
    let v = s.answer(&arrival(&grant, at()), None);
    let token = Fcm
        .token_from_exchange(&exchange(grant, &v), NOW)
        .expect("Pushdeck takes the sink's access token");
    assert_eq!(token.expires_at, NOW + time::Duration::seconds(3599));
    let send = send_request(hello(), &token.value, false);
    let v = s.answer(&arrival(&send, at()), None);
    let o = Fcm.interpret(&exchange(send.clone(), &v));
    assert_eq!(o.verdict, Said::Accepted, "{}", o.summary);
    assert!(o.summary.starts_with("Sent: message 0:"), "{}", o.summary);
    let rehearsal = |name: &str| s.rehearsals().iter().find(|r| r.name == name);
    let v = s.answer(&arrival(&send, at()), rehearsal("unregistered"));
    let o = Fcm.interpret(&exchange(send.clone(), &v));
    assert!(
        o.summary.contains("no longer registered (UNREGISTERED)"),
        "{}",
        o.summary
    );
    let v = s.answer(&arrival(&send, at()), rehearsal("quota-exceeded"));
    let o = Fcm.interpret(&exchange(send, &v));
    assert_eq!(o.retry_after, Some(30), "{}", o.summary);
}
