//! End to end: the real `pushdeck` binary against a local Courier stand-in. The token comes from
//! `PUSHDECK_AUTH_TOKEN`; no test here touches a real keyring.

use crate::support as common;
use crate::support::stand_ins::courier as stand_in;
use crate::support::{assert_exit, block_on};

use common::{Sandbox, stderr, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{CourierStandIn, LEGACY_ID, REQUEST_ID, TOKEN};

const PROFILE: &str = "acme";

struct Setup {
    standin: CourierStandIn,
    sandbox: Sandbox,
    token: String,
}

impl Setup {
    fn with_token(token: &str) -> Self {
        let s = Setup {
            standin: block_on(CourierStandIn::start_async()),
            sandbox: Sandbox::with(common::Keyring::None, None),
            token: token.into(),
        };
        s.sandbox
            .add_provider_profile(PROFILE, "courier", &s.standin.base_url(), &[]);
        s
    }

    fn new() -> Self {
        Self::with_token(TOKEN)
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut c = self.sandbox.cmd();
        c.env("PUSHDECK_AUTH_TOKEN", &self.token);
        c
    }

    fn draft(&self, v: Value) -> std::path::PathBuf {
        self.sandbox.write("draft.json", &v.to_string())
    }

    /// `pushdeck send --json` of the legacy event form to `to`: its JSON document and the body
    /// the stand-in received.
    fn send_legacy(&self, to: Value, data: Value) -> (Value, Value) {
        let d = json!({
            "profile": PROFILE,
            "message": {"body": "", "data": data},
            "audience": {"to": to},
            "options": {"legacy_event": "courier-quickstart"}
        });
        let out = self
            .cmd()
            .args(["send", "--json"])
            .arg(self.draft(d))
            .output()
            .expect("runs");
        crate::support::assert_exit_output(&out, 0);
        let doc = stdout_json(&out);
        assert_eq!(doc["results"][0]["outcome"]["message_id"], LEGACY_ID);
        (doc, self.standin.requests()[0].json())
    }
}

fn build_draft() -> Value {
    json!({
        "profile": PROFILE,
        "message": {"title": "Build {{n}} finished", "body": "Status: {{status}}", "data": {"n": 118, "status": "passed"}},
        "audience": {"to": {"user_id": "user-42", "email": "dev@example.com"}},
        "options": {"routing_method": "single", "channels": ["push", "email"], "idempotency_key": "build-118"}
    })
}

#[test]
fn send_twice_with_one_key_is_sent_once_and_delivery_is_shown() {
    let s = Setup::new();
    for _ in 0..2 {
        let out = s
            .cmd()
            .args(["send", "--json"])
            .arg(s.draft(build_draft()))
            .output()
            .expect("runs");
        crate::support::assert_exit_output(&out, 0);
        let doc = stdout_json(&out);
        assert_eq!(doc["results"][0]["outcome"]["message_id"], REQUEST_ID);
        assert_eq!(doc["results"][0]["response"]["status"], 202);
        assert!(!stdout(&out).contains(TOKEN));
    }
    assert_eq!(
        s.standin.accepted(),
        1,
        "the repeat was replayed, not re-sent"
    );
    let sends: Vec<_> = s
        .standin
        .requests()
        .into_iter()
        .filter(|r| r.path == "/send")
        .collect();
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0].header("idempotency-key"), Some("build-118"));
    let body = sends[0].json();
    assert_eq!(body["message"]["content"]["title"], "Build {{n}} finished");
    assert_eq!(
        body["message"]["routing"],
        json!({"method": "single", "channels": ["push", "email"]})
    );

    let out = s
        .cmd()
        .args(["courier", "delivery", PROFILE, REQUEST_ID])
        .output()
        .expect("runs");
    crate::support::assert_exit_output(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("Delivery status: DELIVERED"), "{text}");
    assert!(text.contains("email via sendgrid: DELIVERED"), "{text}");
    assert!(
        text.contains("push via firebase-fcm: UNDELIVERABLE (no push token)"),
        "{text}"
    );
    assert!(s.sandbox.files_containing(TOKEN).is_empty());
}

#[test]
fn legacy_event_form_gets_a_message_id() {
    let s = Setup::new();
    let (_, body) = s.send_legacy(
        json!({"user_id": "1234", "email": "courier.demos+python@gmail.com"}),
        json!({"favoriteAdjective": "awesomeness"}),
    );
    assert_eq!(
        body,
        json!({"event": "courier-quickstart", "recipient": "1234", "profile": {"email": "courier.demos+python@gmail.com"}, "data": {"favoriteAdjective": "awesomeness"}})
    );
}

#[test]
fn legacy_event_form_reaches_an_email_alone_under_a_derived_recipient() {
    let s = Setup::new();
    let (doc, body) = s.send_legacy(json!({"email": "ada@example.com"}), json!({}));
    let recipient = body["recipient"].as_str().expect("a recipient");
    assert!(recipient.starts_with("pushdeck-"), "{body}");
    assert_eq!(body["profile"], json!({"email": "ada@example.com"}));
    assert!(
        doc["warnings"].to_string().contains(recipient),
        "the derived id is named: {doc}"
    );
}

#[test]
fn check_and_a_wrong_token() {
    let s = Setup::new();
    let out = s.cmd().args(["check", PROFILE]).output().expect("runs");
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("Key works"), "{}", stdout(&out));
    let bad = Setup::with_token("pk_test_wrong");
    let out = bad.cmd().args(["check", PROFILE]).output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("refused the auth token (401): Unauthorized"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("Settings > API Keys"));
}

#[test]
fn no_recipient_is_bad_input_and_nothing_is_sent() {
    let s = Setup::new();
    let mut d = build_draft();
    d["audience"] = json!({});
    let out = s.cmd().arg("send").arg(s.draft(d)).output().expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("audience.to"), "{err}");
    assert_eq!(s.standin.hits(), 0);
}

#[test]
fn an_unknown_message_is_explained() {
    let s = Setup::new();
    let out = s
        .cmd()
        .args(["courier", "delivery", PROFILE, "1-nope"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stdout(&out).contains("no message with this id"),
        "{}",
        stdout(&out)
    );
}
