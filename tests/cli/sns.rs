//! End to end: the real `pushdeck` binary against a local SNS stand-in that verifies every SigV4
//! signature independently. Secrets come from `PUSHDECK_SECRET_ACCESS_KEY` (and
//! `PUSHDECK_SESSION_TOKEN`); no test here touches a real keyring.

use crate::support as common;
use crate::support::stand_ins::sns as stand_in;
use crate::support::{CliSetup, assert_bad_input, assert_says, block_on};

use common::{Sandbox, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{ACCESS_KEY_ID, MESSAGE_ID, SECRET, Scenario, SnsStandIn, TOPIC};

const PROFILE: &str = "aws";

struct Setup {
    standin: SnsStandIn,
    sandbox: Sandbox,
    secret: String,
    key_id: String,
    session_token: Option<String>,
}

impl Setup {
    fn build(key_id: &str, secret: &str) -> Self {
        let s = Setup {
            standin: block_on(SnsStandIn::start_async()),
            sandbox: Sandbox::with(common::Keyring::None, None),
            secret: secret.into(),
            key_id: key_id.into(),
            session_token: None,
        };
        s.cmd()
            .args(["profile", "add", PROFILE, "--provider", "sns", "--base-url"])
            .arg(s.standin.base_url())
            .args(["--set", "region=us-east-1", "--set"])
            .arg(format!("access_key_id={}", s.key_id))
            .assert()
            .success();
        s
    }

    fn new() -> Self {
        Self::build(ACCESS_KEY_ID, SECRET)
    }

    fn send(&self, v: Value) -> std::process::Output {
        self.run_draft(&["send", "--json"], v)
    }
}

impl CliSetup for Setup {
    fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = self.sandbox.cmd();
        c.env("PUSHDECK_SECRET_ACCESS_KEY", &self.secret);
        match &self.session_token {
            Some(t) => c.env("PUSHDECK_SESSION_TOKEN", t),
            None => c.env_remove("PUSHDECK_SESSION_TOKEN"),
        };
        c
    }
}

fn topic_draft() -> Value {
    json!({
        "profile": PROFILE,
        "message": {"title": "CI", "body": "Build 118 passed", "data": {"severity": "info", "build": 118}},
        "audience": {"topic_arn": TOPIC}
    })
}

#[test]
fn publish_to_a_topic_is_signed_and_answered() {
    let s = Setup::new();
    let out = s.send(topic_draft());
    crate::support::assert_exit_output(&out, 0);
    let doc = stdout_json(&out);
    let result = &doc["results"][0];
    assert_eq!(result["outcome"]["message_id"], MESSAGE_ID);
    assert_eq!(
        result["outcome"]["summary"],
        format!("Published: message {MESSAGE_ID}")
    );
    assert!(!stdout(&out).contains(SECRET));
    let seen = &s.standin.requests()[0];
    assert!(seen.authenticated, "the stand-in verified the signature");
    assert_eq!(seen.param("Subject").as_deref(), Some("CI"));
    assert_eq!(
        seen.param("MessageAttributes.entry.2.Name").as_deref(),
        Some("build")
    );
    assert_eq!(
        seen.param("MessageAttributes.entry.2.Value.DataType")
            .as_deref(),
        Some("Number")
    );
    assert!(s.sandbox.files_containing(SECRET).is_empty());
}

#[test]
fn per_platform_message_and_session_token() {
    let mut s = Setup::new();
    s.session_token = Some("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN".into());
    let out = s.send(json!({
        "profile": PROFILE,
        "message": {"title": "CI", "body": "Build passed", "data": {"build": "118"}},
        "audience": {"target_arn": "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/0f1e2d3c"},
        "options": {"message_structure_json": true}
    }));
    crate::support::assert_exit_output(&out, 0);
    assert!(
        !stdout(&out).contains("IQoJb3JpZ2luX2VjEXAMPLESESSIONTOKEN"),
        "session token masked"
    );
    let seen = &s.standin.requests()[0];
    assert!(seen.authenticated);
    let signed = seen
        .headers
        .iter()
        .find(|(n, _)| n == "authorization")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    assert!(signed.contains("x-amz-security-token"), "{signed}");
    let message: Value =
        serde_json::from_str(&seen.param("Message").expect("Message")).expect("json");
    let gcm: Value =
        serde_json::from_str(message["GCM"].as_str().expect("GCM string")).expect("inner json");
    assert_eq!(
        gcm["fcmV1Message"]["message"]["notification"]["body"],
        "Build passed"
    );
}

#[test]
fn a_wrong_secret_shows_both_canonical_requests() {
    let s = Setup::build(ACCESS_KEY_ID, "not-the-secret-0000000000000000000000000");
    assert_says(
        &s.run_draft(&["send"], topic_draft()),
        1,
        &[
            "SignatureDoesNotMatch",
            "The Canonical String for this request should have been",
            "this app signed: canonical request «POST\\n/\\n",
        ],
    );
}

#[test]
fn clock_skew_is_explained() {
    let s = Setup::new();
    s.standin.set(Scenario::ServerClockAhead);
    assert_says(
        &s.run_draft(&["send"], topic_draft()),
        1,
        &["RequestExpired", "clock is more than 5 minutes off"],
    );
}

#[test]
fn check_lists_topics_and_an_unknown_key_is_explained() {
    let s = Setup::new();
    assert_says(
        &s.run(&["check", PROFILE]),
        0,
        &["Credentials work: 2 topics in this region"],
    );

    let bad = Setup::build("AKIAUNKNOWNKEY000000", SECRET);
    assert_says(&bad.run(&["check", PROFILE]), 1, &["InvalidClientTokenId"]);
}

#[test]
fn a_non_ascii_subject_is_bad_input_and_nothing_is_sent() {
    let s = Setup::new();
    let mut d = topic_draft();
    d["message"]["title"] = json!("Café ouvert");
    assert_bad_input(&s.run_draft(&["send"], d), &["message.title", "ASCII"]);
    assert_eq!(s.standin.hits(), 0);
}

#[test]
fn an_unknown_topic_is_not_found() {
    let s = Setup::new();
    let mut d = topic_draft();
    d["audience"]["topic_arn"] = json!("arn:aws:sns:us-east-1:123456789012:Gone");
    assert_says(&s.run_draft(&["send"], d), 1, &["Check the ARN"]);
}

#[test]
fn lookup_topics_prints_each_topic_arn() {
    let s = Setup::new();
    let output = s.run(&["lookup", PROFILE, "topics"]);
    assert_says(
        &output,
        0,
        &[TOPIC, "arn:aws:sns:us-east-1:123456789012:Alerts"],
    );
    assert_eq!(stdout(&output).lines().count(), 2);
    assert!(
        stdout(&output)
            .lines()
            .all(|l| l.starts_with("arn:aws:sns:") && l.contains('\t'))
    );

    let doc = stdout_json(&s.run(&["lookup", PROFILE, "topics", "--json"]));
    assert_eq!(doc["items"][0]["value"], TOPIC);
    assert!(
        doc["results"][0]["request"]["body"]
            .as_str()
            .is_some_and(|b| b.contains("ListTopics")),
        "{doc}"
    );
    assert!(!doc.to_string().contains(SECRET));
}
