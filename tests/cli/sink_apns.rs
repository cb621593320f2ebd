//! End to end: the real `pushdeck sink apns` and `pushdeck sink fcm`, sent to by a client no one
//! here wrote (curl over HTTP/2) and by Pushdeck's own `send`, through a profile whose base URL
//! is the sink.
//!
//! Written before the sink core merged, against the CLI the sink brief gives; it now runs on the
//! shared sink runner (sink_run.rs).

use std::path::PathBuf;
use std::process::Command as Process;

use serde_json::json;

use super::sink_run::{Sink, findings};
use crate::support::stand_ins::apns::{DEVICE, KEY_ID, SIGNING_KEY, TEAM_ID, TOPIC};
use crate::support::stand_ins::fcm::service_account_json;
use crate::support::{Keyring, Sandbox, stdout, stdout_json};

/// `pushdeck sink PROVIDER ARGS…` with the test APNs key and FCM service account as the
/// profiles' secrets.
fn start(sandbox: &Sandbox, provider: &str, args: &[&str]) -> Sink {
    let account = service_account_json();
    Sink::start(
        sandbox,
        provider,
        args,
        &[
            ("PUSHDECK_SIGNING_KEY_P8", SIGNING_KEY),
            ("PUSHDECK_SERVICE_ACCOUNT_JSON", &account),
        ],
    )
}

fn apns_profile(sandbox: &Sandbox, name: &str, base_url: &str, ca: Option<&PathBuf>) {
    let mut settings = vec![
        ("key_id", KEY_ID.to_string()),
        ("team_id", TEAM_ID.to_string()),
        ("topic", TOPIC.to_string()),
        ("environment", "sandbox".to_string()),
    ];
    if let Some(ca) = ca {
        settings.push(("ca_certificates", ca.to_string_lossy().into_owned()));
    }
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sandbox.add_provider_profile(name, "apns", base_url, &settings);
}

/// `curl --http2` to the TLS sink: status line and body.
fn curl(sink: &Sink, args: &[&str]) -> String {
    let out = Process::new("curl")
        .args(["-sS", "--http2", "-i", "--cacert"])
        .arg(sink.ca())
        .args(args)
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn pushdecks_own_send_is_verified_and_accepted_by_the_apns_sink() {
    let sandbox = Sandbox::with(Keyring::None, None);
    apns_profile(&sandbox, "acme-ios", "https://api.push.apple.com", None);
    let sink = start(&sandbox, "apns", &["--profile", "acme-ios"]);
    apns_profile(&sandbox, "to-sink", &sink.base_url(), Some(&sink.ca()));
    let draft = sandbox.write(
        "push.json",
        &json!({"profile": "to-sink", "message": {"title": "Build 118", "body": "Passed"},
            "audience": {"device_tokens": [DEVICE]}})
        .to_string(),
    );
    let out = sandbox
        .cmd()
        .env("PUSHDECK_SIGNING_KEY_P8", SIGNING_KEY)
        .args(["send", "--json"])
        .arg(&draft)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout_json(&out).to_string().contains("apns-id"));
    let seen = sink.arrival();
    assert_eq!(seen["status"], 200, "{seen}");
    assert!(
        seen.to_string().contains("Provider token verified"),
        "{seen}"
    );
}

/// A provider token signed now with the test `.p8` key, as a backend mints it.
fn provider_token() -> String {
    pushdeck::provider::jwt::install_crypto();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(KEY_ID.into());
    let key = jsonwebtoken::EncodingKey::from_ec_pem(SIGNING_KEY.as_bytes()).expect("key");
    let iat = time::OffsetDateTime::now_utc().unix_timestamp();
    jsonwebtoken::encode(&header, &json!({"iss": TEAM_ID, "iat": iat}), &key).expect("signs")
}

#[test]
fn curl_over_http2_gets_apples_answers() {
    let sandbox = Sandbox::with(Keyring::None, None);
    apns_profile(&sandbox, "acme-ios", "https://api.push.apple.com", None);
    let sink = start(&sandbox, "apns", &["--profile", "acme-ios"]);
    let url = format!("{}/3/device/{DEVICE}", sink.base_url());
    let token = format!("authorization: bearer {}", provider_token());
    let topic = format!("apns-topic: {TOPIC}");
    let alert = r#"{"aps":{"alert":"hi"}}"#;
    let answer = curl(&sink, &["-H", &token, "-H", &topic, "-d", alert, &url]);
    assert!(answer.starts_with("HTTP/2 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("apns-id: "),
        "{answer}"
    );
    assert_eq!(sink.arrival()["status"], 200);
    // Signed by a key that is not the profile's: the signature of another token.
    let forged = format!(
        "{}.AAAA",
        provider_token().rsplit_once('.').expect("a JWT").0
    );
    let forged = format!("authorization: bearer {forged}");
    let answer = curl(&sink, &["-H", &forged, "-H", &topic, "-d", alert, &url]);
    assert!(answer.starts_with("HTTP/2 403"), "{answer}");
    assert!(
        answer.contains(r#"{"reason":"InvalidProviderToken"}"#),
        "{answer}"
    );
    assert_eq!(sink.arrival()["status"], 403);
    let answer = curl(&sink, &["-H", &topic, "-d", alert, &url]);
    assert!(answer.contains("MissingProviderToken"), "{answer}");
    assert_eq!(sink.arrival()["status"], 403);
    let answer = curl(&sink, &["-H", &token, "-d", alert, &url]);
    assert!(
        answer.starts_with("HTTP/2 400") && answer.contains("MissingTopic"),
        "{answer}"
    );
    // The view explains the refusal in words, beside Apple's reason.
    let seen = sink.arrival();
    assert_eq!(seen["status"], 400, "{seen}");
    assert!(findings(&seen, "fail").contains("No apns-topic"), "{seen}");
    let big = json!({"aps": {"alert": "x"}, "pad": "x".repeat(5000)}).to_string();
    let answer = curl(&sink, &["-H", &token, "-H", &topic, "-d", &big, &url]);
    assert!(
        answer.starts_with("HTTP/2 413") && answer.contains("PayloadTooLarge"),
        "{answer}"
    );
    // HTTP/1.1: APNs speaks HTTP/2 only.
    let answer = curl(
        &sink,
        &["--http1.1", "-H", &token, "-H", &topic, "-d", alert, &url],
    );
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_rehearsal_answers_curl_with_apples_410() {
    let sandbox = Sandbox::with(Keyring::None, None);
    let sink = start(&sandbox, "apns", &["--answer", "unregistered"]);
    let url = format!("{}/3/device/{DEVICE}", sink.base_url());
    let answer = curl(
        &sink,
        &[
            "-H",
            &format!("authorization: bearer {}", provider_token()),
            "-H",
            &format!("apns-topic: {TOPIC}"),
            "-d",
            r#"{"aps":{"alert":"hi"}}"#,
            &url,
        ],
    );
    assert!(answer.starts_with("HTTP/2 410"), "{answer}");
    assert!(
        answer.contains(r#""reason":"Unregistered","timestamp":"#),
        "{answer}"
    );
    let seen = sink.arrival();
    assert!(
        seen.to_string().contains("not verified"),
        "no --profile: {seen}"
    );
}

#[test]
fn pushdecks_own_fcm_send_goes_through_the_sinks_token_endpoint() {
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile("acme-fcm", "fcm", "https://fcm.googleapis.com", &[]);
    let sink = start(&sandbox, "fcm", &["--profile", "acme-fcm"]);
    sandbox.add_provider_profile("to-sink", "fcm", &sink.base_url(), &[]);
    let draft = sandbox.write(
        "fcm.json",
        &json!({"profile": "to-sink", "message": {"title": "Build 118", "body": "Passed"},
            "audience": {"tokens": ["eXaMpLeToKeN:APA91bHun4MxP5egoKMwt2KZFBaFUH"]}})
        .to_string(),
    );
    let out = sandbox
        .cmd()
        .env("PUSHDECK_SERVICE_ACCOUNT_JSON", service_account_json())
        .args(["send", "--json"])
        .arg(&draft)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stdout(&out));
    let grant = sink.arrival();
    assert_eq!(grant["status"], 200, "the token request first: {grant}");
    let send = sink.arrival();
    assert_eq!(send["status"], 200, "{send}");
    assert!(send.to_string().contains("projects/acme-push/messages/"));
}
