//! End to end: the real `pushdeck` binary against a local HTTP/2-only (h2c) APNs stand-in. The
//! key comes from `PUSHDECK_SIGNING_KEY_P8`; no test here touches a real keyring.

use crate::support as common;
use crate::support::stand_ins::apns as stand_in;

use common::{Sandbox, stderr, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{ApnsStandIn, DEVICE, GONE, KEY_ID, OTHER_APP, SIGNING_KEY, TEAM_ID, TOPIC};

const PROFILE: &str = "acme-ios";

fn setup() -> (ApnsStandIn, Sandbox) {
    let standin = ApnsStandIn::start();
    let sandbox = Sandbox::new();
    sandbox.add_provider_profile(
        PROFILE,
        "apns",
        &standin.base_url(),
        &[
            ("key_id", KEY_ID),
            ("team_id", TEAM_ID),
            ("topic", TOPIC),
            ("environment", "sandbox"),
        ],
    );
    (standin, sandbox)
}

fn run(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
    sandbox
        .cmd()
        .env("PUSHDECK_SIGNING_KEY_P8", SIGNING_KEY)
        .args(args)
        .output()
        .expect("runs")
}

fn draft(sandbox: &Sandbox, tokens: &[&str], message: Value) -> String {
    sandbox
        .write(
            "apns.json",
            &json!({"profile": PROFILE, "message": message,
            "audience": {"device_tokens": tokens}, "options": {"ttl": 3600, "collapse_id": "ci"}})
            .to_string(),
        )
        .to_string_lossy()
        .into_owned()
}

#[test]
fn sends_over_http2_one_request_per_device_with_the_apns_id() {
    let (standin, sandbox) = setup();
    let d = draft(
        &sandbox,
        &[DEVICE, GONE],
        json!({"title": "Build 118", "body": "Passed", "data": {"build": 118}}),
    );
    let out = run(&sandbox, &["send", "--json", &d]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "one token is gone: {}\n{}",
        stderr(&out),
        stdout(&out)
    );
    standin.assert_no_problems();
    let doc = stdout_json(&out);
    let text = doc.to_string();
    assert!(!text.contains("MIG"), "key leaked");
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{doc:#}");
    let ok = &results[0];
    assert_eq!(ok["outcome"]["ok"], true, "{ok:#}");
    assert!(
        ok["outcome"]["summary"]
            .as_str()
            .expect("s")
            .starts_with("Sent: apns-id eabeae54-")
    );
    assert_eq!(ok["response"]["status"], 200);
    let auth = ok["request"]["headers"]
        .as_array()
        .expect("headers")
        .iter()
        .find(|h| h[0] == "authorization")
        .expect("authorization shown")[1]
        .as_str()
        .expect("value")
        .to_string();
    assert!(
        auth.starts_with("bearer ") && auth.contains("••••"),
        "{auth}"
    );
    let gone = &results[1];
    let summary = gone["outcome"]["summary"].as_str().expect("s");
    assert!(
        summary.contains("Unregistered, since 2026-11-18T"),
        "{summary}"
    );
    assert!(
        gone["outcome"]["hint"]
            .as_str()
            .expect("h")
            .contains("delete this token")
    );

    let seen = standin.requests();
    assert_eq!(seen.len(), 2);
    for s in &seen {
        assert_eq!(s.version, "HTTP/2.0");
        assert_eq!(s.header("apns-topic"), Some(TOPIC));
        assert_eq!(s.header("apns-push-type"), Some("alert"));
        assert_eq!(s.header("apns-collapse-id"), Some("ci"));
        assert_eq!(
            s.json(),
            json!({"aps": {"alert": {"title": "Build 118", "body": "Passed"}, "sound": "default"}, "build": 118})
        );
    }
    assert_eq!(
        standin.distinct_tokens(),
        1,
        "one provider token for the whole send"
    );
}

#[test]
fn reasons_are_explained() {
    let (standin, sandbox) = setup();
    let d = draft(&sandbox, &[OTHER_APP], json!({"body": "hi"}));
    let out = run(&sandbox, &["send", &d]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("DeviceTokenNotForTopic") && text.contains("another app"),
        "{text}"
    );
    // A key of another team: the signature does not verify.
    let other = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ])
        .output();
    if let Ok(other) = other {
        let out = sandbox
            .cmd()
            .env(
                "PUSHDECK_SIGNING_KEY_P8",
                String::from_utf8_lossy(&other.stdout).as_ref(),
            )
            .args(["send", &d])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1));
        let text = stdout(&out);
        assert!(
            text.contains("InvalidProviderToken") && text.contains("Key ID"),
            "{text}"
        );
    }
    standin.assert_no_problems();
}

#[test]
fn check_sends_to_a_dummy_token() {
    let (standin, sandbox) = setup();
    let out = run(&sandbox, &["check", PROFILE]);
    crate::support::assert_exit_output(&out, 0);
    assert!(
        stdout(&out).contains("Key, team and topic work"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        standin.requests()[0].path,
        format!("/3/device/{}", "0".repeat(64))
    );
}

#[test]
fn bad_input_and_the_size_limit_send_nothing() {
    let (standin, sandbox) = setup();
    let d = draft(&sandbox, &[DEVICE], json!({"body": "x".repeat(4100)}));
    let out = run(&sandbox, &["send", &d]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stderr(&out).contains("4096"), "{}", stderr(&out));
    let d = draft(&sandbox, &["xyz"], json!({"body": "x"}));
    let out = run(&sandbox, &["send", &d]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("audience.device_tokens[0]"),
        "{}",
        stderr(&out)
    );
    assert_eq!(standin.hits(), 0);
}

#[test]
fn the_environment_setting_is_the_badge_and_curl_uses_http2() {
    let (standin, sandbox) = setup();
    let out = sandbox.run(&["profile", "list", "--json"]);
    assert_eq!(
        stdout_json(&out)["profiles"][0]["environment"],
        "dev",
        "{}",
        stdout(&out)
    );
    let d = draft(&sandbox, &[DEVICE], json!({"body": "x"}));
    let out = run(&sandbox, &["preview", "--curl", &d]);
    let text = stdout(&out);
    assert!(text.contains("--http2-prior-knowledge"), "{text}");
    // The provider token is signed locally even for a preview, so the curl command runs once
    // the variable is set (or with --reveal).
    assert!(text.contains("${PUSHDECK_PROVIDER_TOKEN}"), "{text}");
    assert_eq!(standin.hits(), 0);
}
