//! End to end: the real `pushdeck` binary against a local ntfy stand-in. The access token comes
//! from `PUSHDECK_ACCESS_TOKEN`; no test here touches a real keyring.

use crate::support as common;
use crate::support::stand_ins::ntfy as stand_in;
use crate::support::{assert_exit, only_result};

use common::{Sandbox, stderr, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{NtfyStandIn, Scenario, TOKEN};

const PROFILE: &str = "alerts";

fn setup() -> (NtfyStandIn, Sandbox) {
    let standin = NtfyStandIn::start();
    let sandbox = Sandbox::new();
    sandbox.add_provider_profile(PROFILE, "ntfy", &standin.base_url(), &[]);
    (standin, sandbox)
}

fn run(sandbox: &Sandbox, token: Option<&str>, args: &[&str]) -> std::process::Output {
    let mut cmd = sandbox.cmd();
    cmd.args(args);
    match token {
        Some(t) => cmd.env("PUSHDECK_ACCESS_TOKEN", t),
        None => cmd.env_remove("PUSHDECK_ACCESS_TOKEN"),
    };
    cmd.output().expect("runs")
}

fn draft(sandbox: &Sandbox, topic: &str) -> String {
    let path = sandbox.write(
        "ntfy.json",
        &json!({
            "profile": PROFILE,
            "message": {
                "title": "Build 118",
                "body": "Passed in 4 min",
                "url": "https://ci.example.com/118",
                "icon": "https://ci.example.com/icon.png",
                "buttons": [{"id": "logs", "label": "Logs", "url": "https://ci.example.com/118/log"}]
            },
            "audience": {"topic": topic},
            "options": {"priority": "high", "tags": ["white_check_mark"]}
        })
        .to_string(),
    );
    path.to_string_lossy().into_owned()
}

#[test]
fn publish_with_a_token_sends_the_json_and_masks_the_token() {
    let (standin, sandbox) = setup();
    let d = draft(&sandbox, "private-ci");
    let out = run(&sandbox, Some(TOKEN), &["send", "--json", &d]);
    crate::support::assert_exit_output(&out, 0);
    standin.assert_no_problems();
    let doc = stdout_json(&out);
    assert!(!doc.to_string().contains(TOKEN), "token leaked: {doc}");
    let result = only_result(&doc);
    assert_eq!(result["request"]["url"], format!("{}/", standin.base_url()));
    assert_eq!(result["outcome"]["ok"], true);
    assert_eq!(result["outcome"]["message_id"], "sPs71M8A2T");
    assert_eq!(
        result["outcome"]["summary"],
        "Published: message sPs71M8A2T"
    );

    let seen = standin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    let body = seen[0].json();
    let shown: Value =
        serde_json::from_str(result["request"]["body"].as_str().expect("body")).expect("json");
    assert_eq!(body, shown, "the dump shows what was sent");
    assert_eq!(
        body,
        json!({
            "topic": "private-ci", "title": "Build 118", "message": "Passed in 4 min",
            "priority": 4, "tags": ["white_check_mark"],
            "click": "https://ci.example.com/118", "icon": "https://ci.example.com/icon.png",
            "actions": [{"action": "view", "label": "Logs", "url": "https://ci.example.com/118/log"}]
        })
    );
    assert!(
        sandbox.files_containing(TOKEN).is_empty(),
        "token written to disk"
    );
}

#[test]
fn a_protected_topic_without_a_token_is_explained() {
    let (standin, sandbox) = setup();
    let d = draft(&sandbox, "private-ci");
    let out = run(&sandbox, None, &["send", &d]);
    crate::support::assert_exit_output(&out, 1);
    let text = stdout(&out);
    assert!(text.contains("forbidden (code 40301)"), "{text}");
    assert!(text.contains("write access"), "hint: {text}");
    assert_eq!(standin.hits(), 1);
}

#[test]
fn an_open_topic_needs_no_token_and_quota_is_explained() {
    let (standin, sandbox) = setup();
    let d = draft(&sandbox, "ci-open");
    let out = run(&sandbox, None, &["send", &d]);
    crate::support::assert_exit_output(&out, 0);
    assert!(standin.requests()[0].header("authorization").is_none());
    standin.set(Scenario::QuotaReached);
    let out = run(&sandbox, None, &["send", &d]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("42908") && text.contains("wait until tomorrow"),
        "{text}"
    );
}

#[test]
fn bad_input_exits_2_and_sends_nothing() {
    let (standin, sandbox) = setup();
    let path = sandbox.write(
        "bad.json",
        &json!({"profile": PROFILE, "message": {"body": "x"}, "audience": {"topic": "no spaces allowed"}})
            .to_string(),
    );
    let out = run(&sandbox, Some(TOKEN), &["send", &path.to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    assert!(err.contains("audience.topic"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(standin.hits(), 0);
}

#[test]
fn check_reads_the_account_or_the_health() {
    let (standin, sandbox) = setup();
    let out = run(&sandbox, Some(TOKEN), &["check", PROFILE, "--json"]);
    crate::support::assert_exit_output(&out, 0);
    let doc = stdout_json(&out);
    assert_eq!(
        only_result(&doc)["outcome"]["summary"],
        "Token works: signed in as phil (user)"
    );
    assert!(!doc.to_string().contains(TOKEN));
    let out = run(
        &sandbox,
        Some("tk_wrongwrongwrongwrongwrongwrong"),
        &["check", PROFILE],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("unauthorized"), "{}", stdout(&out));
    let out = run(&sandbox, None, &["check", PROFILE]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("Server is up"), "{}", stdout(&out));
    let paths: Vec<String> = standin.requests().iter().map(|s| s.path.clone()).collect();
    assert_eq!(paths, ["/v1/account", "/v1/account", "/v1/health"]);
    standin.assert_no_problems();
}

#[test]
fn preview_curl_refers_to_the_token_variable() {
    let (standin, sandbox) = setup();
    let d = draft(&sandbox, "ci");
    let out = run(&sandbox, Some(TOKEN), &["preview", "--curl", &d]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("PUSHDECK_ACCESS_TOKEN") && !text.contains(TOKEN),
        "{text}"
    );
    assert_eq!(standin.hits(), 0);
}
