//! End to end: the real `pushdeck` binary against a local HTTP/2-only (h2c) APNs stand-in. The
//! key comes from `PUSHDECK_SIGNING_KEY_P8`; no test here touches a real keyring.

use crate::support as common;
use crate::support::stand_ins::apns as stand_in;

use common::{Sandbox, stderr, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{ApnsStandIn, DEVICE, GONE, KEY_ID, OTHER_APP, SIGNING_KEY, TEAM_ID, TOPIC};

pub(crate) const PROFILE: &str = "acme-ios";

/// The h2c stand-in and a sandbox with the token-auth profile `acme-ios` (shared with the
/// broadcast-channel tests).
pub(crate) fn setup() -> (ApnsStandIn, Sandbox) {
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

/// Runs the CLI with the profile's .p8 key in the environment.
pub(crate) fn run(sandbox: &Sandbox, args: &[&str]) -> std::process::Output {
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

fn draft_with(sandbox: &Sandbox, name: &str, message: Value, options: Value) -> String {
    sandbox
        .write(
            name,
            &json!({"profile": PROFILE, "message": message,
            "audience": {"device_tokens": [DEVICE]}, "options": options})
            .to_string(),
        )
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_background_push_goes_with_priority_5_and_content_available_only() {
    let (standin, sandbox) = setup();
    let d = draft_with(
        &sandbox,
        "bg.json",
        json!({"silent": true, "data": {"sync": "inbox"}}),
        json!({"push_type": "background"}),
    );
    let out = run(&sandbox, &["send", &d]);
    crate::support::assert_exit_output(&out, 0);
    standin.assert_no_problems();
    let seen = standin.requests();
    assert_eq!(seen.len(), 1);
    let s = &seen[0];
    assert_eq!(s.header("apns-push-type"), Some("background"));
    assert_eq!(s.header("apns-priority"), Some("5"));
    assert_eq!(s.header("apns-topic"), Some(TOPIC));
    assert_eq!(
        s.json(),
        json!({"aps": {"content-available": 1}, "sync": "inbox"})
    );
    // The sandbox's delivery log id is shown with the outcome.
    assert!(
        stdout(&out).contains("delivery log id a6a0c9f8-"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_background_push_with_an_alert_is_refused_before_sending() {
    let (standin, sandbox) = setup();
    let d = draft_with(
        &sandbox,
        "bg-alert.json",
        json!({"body": "x"}),
        json!({"push_type": "background",
            "raw": {"aps": {"content-available": 1, "alert": "New mail"}}}),
    );
    let out = run(&sandbox, &["send", &d]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("a background push with an alert is dropped by iOS"),
        "{}",
        stderr(&out)
    );
    assert_eq!(standin.hits(), 0);
}

#[test]
fn a_live_activity_update_goes_to_the_liveactivity_topic() {
    let (standin, sandbox) = setup();
    let d = draft_with(
        &sandbox,
        "la.json",
        json!({}),
        json!({"live_activity": {"event": "update",
            "content_state": {"status": "on the way", "eta": 10},
            "stale_date": "2030-01-01T00:00:00Z",
            "alert": {"title": "Order 42", "body": "On the way"}}}),
    );
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let out = run(&sandbox, &["send", "--json", &d]);
    crate::support::assert_exit_output(&out, 0);
    standin.assert_no_problems();
    let s = &standin.requests()[0];
    assert_eq!(s.header("apns-push-type"), Some("liveactivity"));
    assert_eq!(
        s.header("apns-topic"),
        Some(format!("{TOPIC}.push-type.liveactivity").as_str())
    );
    assert_eq!(s.header("apns-priority"), Some("10"));
    let body = s.json();
    let stamp = body["aps"]["timestamp"].as_i64().expect("timestamp");
    assert!(
        (before..before + 60).contains(&stamp),
        "the send time: {stamp}"
    );
    assert_eq!(
        body,
        json!({"aps": {"timestamp": stamp, "event": "update",
            "content-state": {"status": "on the way", "eta": 10},
            "stale-date": 1_893_456_000, "alert": {"title": "Order 42", "body": "On the way"}}})
    );
}

#[test]
fn the_wrong_topic_for_a_push_type_is_explained() {
    let (standin, sandbox) = setup();
    // A profile whose topic already carries the VoIP suffix, sending a Live Activity: Apple
    // registers Live Activity tokens under their own topic.
    let out = sandbox.run(&[
        "profile",
        "add",
        PROFILE,
        "--provider",
        "apns",
        "--set",
        "topic=com.example.app.voip",
    ]);
    crate::support::assert_exit_output(&out, 0);
    let d = draft_with(
        &sandbox,
        "la-end.json",
        json!({}),
        json!({"live_activity": {"event": "end", "content_state": {}}}),
    );
    let out = run(&sandbox, &["send", &d]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("DeviceTokenNotForTopic") && text.contains("push type"),
        "{text}"
    );
    standin.assert_no_problems();
}

#[test]
fn a_live_activity_through_fcm_carries_the_activity_token() {
    use crate::support::stand_ins::fcm::{FcmStandIn, service_account_json};
    let standin = FcmStandIn::start();
    let sandbox = Sandbox::new();
    sandbox
        .cmd()
        .args([
            "profile",
            "add",
            "acme-fcm",
            "--provider",
            "fcm",
            "--base-url",
        ])
        .arg(standin.base_url())
        .assert()
        .success();
    let d = sandbox
        .write(
            "fcm-la.json",
            &json!({"profile": "acme-fcm", "message": {"body": ""},
                "audience": {"tokens": ["eXaMpLeToKeN-a:APA91bHun4MxP5egoKMwt2KZFBaFUH"]},
                "options": {"live_activity_token": "8f1e2d3c",
                    "live_activity": {"event": "end", "content_state": {"eta": 0},
                        "dismissal_date": 1_893_456_000}}})
            .to_string(),
        )
        .to_string_lossy()
        .into_owned();
    let out = sandbox
        .cmd()
        .env("PUSHDECK_SERVICE_ACCOUNT_JSON", service_account_json())
        .args(["send", &d])
        .output()
        .expect("runs");
    crate::support::assert_exit_output(&out, 0);
    standin.assert_no_problems();
    let sent = standin.requests().last().expect("the send").json();
    let apns = &sent["message"]["apns"];
    assert_eq!(apns["live_activity_token"], "8f1e2d3c");
    assert_eq!(apns["headers"]["apns-push-type"], "liveactivity");
    let aps = &apns["payload"]["aps"];
    assert_eq!(aps["event"], "end");
    assert_eq!(aps["dismissal-date"], 1_893_456_000);
    assert!(aps["timestamp"].is_i64());
    assert!(sent["message"].get("notification").is_none(), "{sent}");
}

/// A list of device tokens is streamed: prepared per token as the HTTP/2 window has room, each
/// token reached exactly once, every result counted.
#[test]
fn a_list_of_device_tokens_is_streamed_and_reaches_each_once() {
    let (standin, sandbox) = setup();
    let tokens: Vec<String> = (1..=40).map(|i| format!("{i:064x}")).collect();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let d = draft(
        &sandbox,
        &refs,
        json!({"title": "Build 118", "body": "Passed"}),
    );
    let out = run(&sandbox, &["send", &d]);
    assert!(
        out.status.success() && stdout(&out).contains("40 of 40 accepted"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    let mut paths: Vec<String> = standin.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    let expected: Vec<String> = tokens.iter().map(|t| format!("/3/device/{t}")).collect();
    assert_eq!(paths, expected);
}

/// A long list of device tokens is streamed (built per token as the HTTP/2 streams have room):
/// each of 500 tokens reached exactly once, and a gone token (410 Unregistered) and a bad one
/// (400 BadDeviceToken) in the middle recorded for those tokens, in the output and in history.
#[test]
fn five_hundred_device_tokens_stream_each_once_with_the_gone_ones_recorded_per_token() {
    let (standin, sandbox) = setup();
    let mut tokens: Vec<String> = (1..=500).map(|i| format!("{i:064x}")).collect();
    let gone = format!("dead{:060x}", 250);
    let bad = "0".repeat(64);
    tokens[249] = gone.clone();
    tokens[310] = bad.clone();
    let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
    let d = draft(
        &sandbox,
        &refs,
        json!({"title": "Build 118", "body": "Passed"}),
    );
    let out = run(&sandbox, &["send", "--json", &d]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    standin.assert_no_problems();
    let mut paths: Vec<String> = standin.requests().into_iter().map(|r| r.path).collect();
    paths.sort();
    let mut expected: Vec<String> = tokens.iter().map(|t| format!("/3/device/{t}")).collect();
    expected.sort();
    assert_eq!(paths, expected, "each token exactly once");
    assert_eq!(standin.distinct_tokens(), 1, "one provider token");

    let doc = stdout_json(&out);
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 500);
    let failed: Vec<(String, String)> = results
        .iter()
        .filter(|r| r["outcome"]["ok"] != true)
        .map(|r| {
            (
                r["request"]["url"].as_str().unwrap_or("").to_string(),
                r["outcome"]["summary"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(failed[0].0.ends_with(&gone) && failed[0].1.contains("Unregistered"));
    assert!(failed[1].0.ends_with(&bad) && failed[1].1.contains("BadDeviceToken"));

    // History keeps who was reached as a count and both failures whole, each for its token.
    let list = stdout_json(&run(&sandbox, &["history", "list", "--json"]));
    let newest = &list["history"][0];
    assert_eq!(
        (newest["recipients"].clone(), newest["reached"].clone()),
        (json!(500), json!(498)),
        "{newest:#}"
    );
    let id = newest["id"].as_str().expect("id");
    let shown = stdout_json(&run(&sandbox, &["history", "show", id, "--json"]));
    let kept: Vec<(String, String)> = shown["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter(|r| r["outcome"]["ok"] != true)
        .map(|r| {
            (
                r["recipient"].as_str().unwrap_or("").to_string(),
                r["outcome"]["summary"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        gone.starts_with(kept[0].0.trim_end_matches('…')) && kept[0].1.contains("Unregistered")
    );
    assert!(
        bad.starts_with(kept[1].0.trim_end_matches('…')) && kept[1].1.contains("BadDeviceToken")
    );
}
