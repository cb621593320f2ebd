//! End to end: the real `pushdeck` binary against a local OAuth token endpoint and FCM stand-in.
//! The key comes from `PUSHDECK_SERVICE_ACCOUNT_JSON`; no test here touches a real keyring.

use crate::support as common;
use crate::support::assert_exit;
use crate::support::stand_ins::fcm as stand_in;

use common::{Sandbox, stderr, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{ACCESS_TOKEN, FcmStandIn, PRIVATE_KEY, UNREGISTERED, service_account_json};

const PROFILE: &str = "acme-fcm";
const TOKEN_A: &str = "eXaMpLeToKeN-a:APA91bHun4MxP5egoKMwt2KZFBaFUH";
const TOKEN_B: &str = "eXaMpLeToKeN-b:APA91bHun4MxP5egoKMwt2KZFBaFUH";

fn setup() -> (FcmStandIn, Sandbox) {
    let standin = FcmStandIn::start();
    let sandbox = Sandbox::new();
    sandbox
        .cmd()
        .args(["profile", "add", PROFILE, "--provider", "fcm", "--base-url"])
        .arg(standin.base_url())
        .assert()
        .success();
    (standin, sandbox)
}

fn run(sandbox: &Sandbox, key: &str, args: &[&str]) -> std::process::Output {
    sandbox
        .cmd()
        .env("PUSHDECK_SERVICE_ACCOUNT_JSON", key)
        .args(args)
        .output()
        .expect("runs")
}

fn draft(sandbox: &Sandbox, audience: Value, data: Value) -> String {
    sandbox
        .write(
            "fcm.json",
            &json!({
                "profile": PROFILE,
                "message": {"title": "Build 118", "body": "Passed", "data": data},
                "audience": audience,
                "options": {"ttl": 3600, "priority": "high"}
            })
            .to_string(),
        )
        .to_string_lossy()
        .into_owned()
}

fn assert_no_secrets(text: &str) {
    assert!(!text.contains(ACCESS_TOKEN), "access token leaked");
    assert!(!text.contains("MIIE"), "private key leaked");
}

#[test]
fn exchange_then_one_request_per_token() {
    let (standin, sandbox) = setup();
    let d = draft(
        &sandbox,
        json!({"tokens": [TOKEN_A, TOKEN_B]}),
        json!({"build": "118"}),
    );
    let out = run(&sandbox, &service_account_json(), &["send", "--json", &d]);
    crate::support::assert_exit_output(&out, 0);
    standin.assert_no_problems();
    let text = stdout(&out);
    assert_no_secrets(&text);
    let doc = stdout_json(&out);
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 3, "{doc:#}");
    // The token exchange is its own row, with the form body and the token masked.
    assert_eq!(
        results[0]["request"]["url"],
        format!("{}/token", standin.base_url())
    );
    assert_eq!(
        results[0]["outcome"]["summary"],
        "Got an access token, valid for 59 min"
    );
    assert!(
        results[0]["request"]["body"]
            .as_str()
            .expect("body")
            .contains("assertion=")
    );
    for (row, token) in results[1..].iter().zip([TOKEN_A, TOKEN_B]) {
        assert_eq!(row["outcome"]["ok"], true, "{row:#}");
        assert!(
            row["outcome"]["summary"]
                .as_str()
                .expect("summary")
                .starts_with("Sent: message 0:")
        );
        let body: Value =
            serde_json::from_str(row["request"]["body"].as_str().expect("body")).expect("json");
        assert_eq!(body["message"]["token"], token);
        assert_eq!(body["message"]["android"]["ttl"], "3600s");
    }
    let seen = standin.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(standin.token_requests(), 1);
    assert_eq!(
        seen[1].header("authorization"),
        Some(format!("Bearer {ACCESS_TOKEN}").as_str())
    );
    assert!(
        sandbox.files_containing(ACCESS_TOKEN).is_empty(),
        "token written to disk"
    );
    assert!(
        sandbox.files_containing(&PRIVATE_KEY[40..80]).is_empty(),
        "key written to disk"
    );
}

#[test]
fn dry_run_validates_on_the_server() {
    let (standin, sandbox) = setup();
    let d = draft(&sandbox, json!({"topic": "news"}), json!({}));
    let out = run(
        &sandbox,
        &service_account_json(),
        &["send", "--dry-run", &d],
    );
    crate::support::assert_exit_output(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("Validated: FCM accepted the message"),
        "{text}"
    );
    let seen = standin.requests();
    assert_eq!(seen.last().expect("send").json()["validate_only"], true);
    standin.assert_no_problems();
}

#[test]
fn unregistered_and_invalid_tokens_are_explained() {
    let (standin, sandbox) = setup();
    let d = draft(
        &sandbox,
        json!({"tokens": [UNREGISTERED, "short"]}),
        json!({}),
    );
    let out = run(&sandbox, &service_account_json(), &["send", "--json", &d]);
    assert_exit(&out, 1);
    let doc = stdout_json(&out);
    let results = doc["results"].as_array().expect("results");
    assert!(
        results[1]["outcome"]["summary"]
            .as_str()
            .expect("s")
            .contains("UNREGISTERED")
    );
    assert!(
        results[1]["outcome"]["hint"]
            .as_str()
            .expect("h")
            .contains("delete this token")
    );
    assert!(
        results[2]["outcome"]["summary"]
            .as_str()
            .expect("s")
            .contains("at message.token")
    );
    standin.assert_no_problems();
}

#[test]
fn a_wrong_key_is_refused_by_the_token_endpoint() {
    let (standin, sandbox) = setup();
    // A valid key of another service account: the signature does not verify.
    let other = std::process::Command::new("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ])
        .output();
    let Ok(other) = other else {
        eprintln!("skipped: no openssl to make a second key");
        return;
    };
    let mut key: Value = serde_json::from_str(&service_account_json()).expect("json");
    key["private_key"] = json!(String::from_utf8_lossy(&other.stdout));
    let d = draft(&sandbox, json!({"tokens": [TOKEN_A]}), json!({}));
    let out = run(&sandbox, &key.to_string(), &["send", &d]);
    crate::support::assert_exit_output(&out, 1);
    let text = stdout(&out);
    assert!(
        text.contains("invalid_grant: Invalid JWT Signature."),
        "{text}"
    );
    assert_eq!(standin.hits(), 1, "nothing is sent without a token");
}

#[test]
fn bad_input_exits_2_and_sends_nothing() {
    let (standin, sandbox) = setup();
    let d = draft(
        &sandbox,
        json!({"tokens": [TOKEN_A]}),
        json!({"nested": {"a": 1}}),
    );
    let out = run(&sandbox, &service_account_json(), &["send", &d]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("message.data.nested"),
        "{}",
        stderr(&out)
    );
    let d = draft(&sandbox, json!({"tokens": [TOKEN_A]}), json!({}));
    let out = run(&sandbox, "{\"type\": \"authorized_user\"}", &["send", &d]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("service_account_json"),
        "{}",
        stderr(&out)
    );
    assert_eq!(standin.hits(), 0);
}

#[test]
fn check_is_the_token_exchange_with_the_token_masked() {
    let (standin, sandbox) = setup();
    let out = run(
        &sandbox,
        &service_account_json(),
        &["check", PROFILE, "--json"],
    );
    crate::support::assert_exit_output(&out, 0);
    let text = stdout(&out);
    assert_no_secrets(&text);
    let doc = stdout_json(&out);
    assert_eq!(
        doc["results"][0]["outcome"]["summary"],
        "Key works: Google issued an access token with the messaging scope, valid for 59 min"
    );
    assert_eq!(standin.token_requests(), 1);
}

#[test]
fn preview_shows_a_placeholder_for_the_token() {
    let (standin, sandbox) = setup();
    let d = draft(&sandbox, json!({"tokens": [TOKEN_A]}), json!({}));
    let out = run(&sandbox, &service_account_json(), &["preview", &d]);
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("fetched from the token endpoint when sending"),
        "{}",
        stdout(&out)
    );
    assert_eq!(standin.hits(), 0);
}
