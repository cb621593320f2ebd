//! End to end: `pushdeck sink sns|azure|onesignal` (the real binary) receiving what Pushdeck's
//! own `send` and an independent client (botocore, AWS's own SigV4 signer and SNS client, from
//! the peers' venv) send, and answering as the provider does: a verified signature is accepted,
//! a wrong key is refused with the provider's error and a ✗ finding that says why, a rehearsal's
//! error reaches the sender. One sink per test; each sink's profile is the sandbox's, pointed at
//! the sink once it has its port.

use std::path::Path;
use std::process::{Command as Process, Output};

use serde_json::{Value, json};

use super::sink_run::{Sink, answered, findings, peers, send, sink_with_profile};
use crate::support::{Sandbox, assert_exit_output, stdout_json};

const SNS_KEY_ID: &str = "AKIDEXAMPLE";
const SNS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:Builds";
const AZURE_KEY: &str = "SinkKeyNotReal0123456789+/abcdefghijklmnop=";
const ONESIGNAL_APP: &str = "8a7b3c2d-1e0f-4a5b-9c8d-944455556666";
const ONESIGNAL_KEY: &str = "os_v2_app_sink5ecretkey0123456789abcdefghijklmnopq";

/// The send's first result (or the whole document when it has none).
fn outcome(output: &Output) -> Value {
    let doc = stdout_json(output);
    doc.get("results")
        .and_then(|r| r.get(0))
        .cloned()
        .unwrap_or(doc)
}

/// Pushdeck's own send with a wrong secret in `env`: its first result says `said`, and the sink
/// answered `status` with a ✗ finding that says why. The sink's record of it, for more checks.
fn refused_send(
    sandbox: &Sandbox,
    sink: &Sink,
    env: &[(&str, &str)],
    draft: &Value,
    said: &str,
    status: u16,
) -> Value {
    let out = send(sandbox, env, draft);
    assert!(
        outcome(&out).to_string().contains(said),
        "{}",
        outcome(&out)
    );
    let a = sink.arrival();
    assert_eq!(a["status"], status, "{a}");
    assert!(
        !findings(&a, "fail").is_empty(),
        "a ✗ finding says why: {a}"
    );
    a
}

// --- SNS ----------------------------------------------------------------------------------------

const SNS_SETTINGS: &[(&str, &str)] = &[("region", "us-east-1"), ("access_key_id", SNS_KEY_ID)];

fn sns_sink(args: &[&str]) -> (Sink, Sandbox) {
    sink_with_profile(
        "sns",
        "aws",
        SNS_SETTINGS,
        args,
        &[("PUSHDECK_SECRET_ACCESS_KEY", SNS_SECRET)],
    )
}

fn sns_draft(body: &str) -> Value {
    json!({"profile": "aws", "message": {"title": "CI", "body": body},
           "audience": {"topic_arn": TOPIC}})
}

/// `tests/peers/sns_publish.py`: botocore's publish to the sink, as it reads the answer.
fn botocore_publish(endpoint: &str, secret: &str) -> Value {
    let peers = peers(&[]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sns_publish.py");
    let out = Process::new(peers.python())
        .arg(script)
        .args([
            endpoint,
            "us-east-1",
            SNS_KEY_ID,
            secret,
            TOPIC,
            "From botocore",
        ])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the script prints JSON")
}

#[test]
fn sns_pushdeck_and_botocore_publish_verified_and_a_wrong_secret_is_signature_does_not_match() {
    let (sink, sandbox) = sns_sink(&[]);
    let secret = [("PUSHDECK_SECRET_ACCESS_KEY", SNS_SECRET)];

    let out = send(&sandbox, &secret, &sns_draft("Build 118 passed"));
    assert_exit_output(&out, 0);
    assert!(
        outcome(&out).to_string().contains("Published"),
        "{}",
        outcome(&out)
    );
    let a = sink.arrival();
    assert_eq!(a["status"], 200, "{a}");
    assert_eq!(a["level"], "ok", "{a}");
    assert!(
        a["summary"]
            .as_str()
            .unwrap_or("")
            .contains("Publish to topic “Builds”"),
        "{a}"
    );
    assert!(!a.to_string().contains(SNS_SECRET));

    refused_send(
        &sandbox,
        &sink,
        &[("PUSHDECK_SECRET_ACCESS_KEY", "not/the/secret")],
        &sns_draft("hi"),
        "SignatureDoesNotMatch",
        403,
    );

    // botocore: AWS's own signer and client, no code of ours on its side.
    let accepted = botocore_publish(&sink.base_url(), SNS_SECRET);
    assert!(accepted["message_id"].is_string(), "{accepted}");
    let a = sink.arrival();
    assert_eq!(a["status"], 200, "{a}");
    assert_eq!(a["level"], "ok", "botocore's SigV4 verified: {a}");
    assert!(a.to_string().contains("From botocore"), "{a}");

    let refused = botocore_publish(&sink.base_url(), "not/the/secret");
    assert_eq!(refused["code"], "SignatureDoesNotMatch", "{refused}");
    assert_eq!(refused["status"], 403);
    let a = sink.arrival();
    assert_eq!(a["status"], 403, "{a}");
    let why = findings(&a, "fail");
    assert!(why.to_lowercase().contains("signature"), "{why}");

    let (out, rest) = sink.stop();
    assert_exit_output(&out, 130);
    assert_eq!(rest.last().map(|l| l["requests"].clone()), Some(json!(4)));
    assert!(
        sandbox.files_containing(SNS_SECRET).is_empty(),
        "the secret reached disk"
    );
}

#[test]
fn sns_a_rehearsal_reaches_pushdeck_and_botocore() {
    let (sink, sandbox) = sns_sink(&["--answer", "not-found"]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_SECRET_ACCESS_KEY", SNS_SECRET)],
        &sns_draft("hi"),
    );
    let text = outcome(&out).to_string();
    assert!(text.contains("NotFound") && text.contains("404"), "{text}");
    let a = sink.arrival();
    assert_eq!(a["rehearsal"], "not-found");
    assert_eq!(a["status"], 404);
    let refused = botocore_publish(&sink.base_url(), SNS_SECRET);
    assert_eq!(refused["code"], "NotFound", "{refused}");
    assert_eq!(refused["status"], 404);
}

// --- Azure Notification Hubs ----------------------------------------------------------------------

fn azure_connection(key: &str) -> String {
    format!(
        "Endpoint=sb://sink-ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey={key}"
    )
}

#[test]
fn azure_pushdecks_send_is_verified_and_another_key_is_refused_401() {
    let connection = azure_connection(AZURE_KEY);
    let (sink, sandbox) = sink_with_profile(
        "azure",
        "hub",
        &[("hub", "acme-hub")],
        &[],
        &[("PUSHDECK_CONNECTION_STRING", &connection)],
    );
    let out = send(
        &sandbox,
        &[("PUSHDECK_CONNECTION_STRING", &connection)],
        &json!({"profile": "hub", "message": {"title": "Sale", "body": "50% off"},
               "audience": {"tags": ["vip"]}}),
    );
    assert_exit_output(&out, 0);
    assert!(
        outcome(&out)
            .to_string()
            .contains("the hub accepted it (201)"),
        "{}",
        outcome(&out)
    );
    let a = sink.arrival();
    assert_eq!(a["status"], 201, "{a}");
    assert_eq!(a["level"], "ok", "the SAS signature verified: {a}");

    let wrong = azure_connection("AnotherKeyNotReal0123456789+/abcdefghijk=");
    let a = refused_send(
        &sandbox,
        &sink,
        &[("PUSHDECK_CONNECTION_STRING", &wrong)],
        &json!({"profile": "hub", "message": {"body": "hi"}, "audience": {"tags": ["vip"]}}),
        "401",
        401,
    );
    assert!(!a.to_string().contains(AZURE_KEY));
}

// --- OneSignal ------------------------------------------------------------------------------------

fn onesignal_sink(args: &[&str]) -> (Sink, Sandbox) {
    sink_with_profile(
        "onesignal",
        "os",
        &[("app_id", ONESIGNAL_APP)],
        args,
        &[("PUSHDECK_API_KEY", ONESIGNAL_KEY)],
    )
}

fn onesignal_draft() -> Value {
    json!({"profile": "os", "message": {"title": "Sale", "body": "50% off"},
           "audience": {"segments": ["Active Users"]}})
}

#[test]
fn onesignal_pushdecks_send_is_checked_and_another_key_is_access_denied() {
    let (sink, sandbox) = onesignal_sink(&[]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_API_KEY", ONESIGNAL_KEY)],
        &onesignal_draft(),
    );
    assert_exit_output(&out, 0);
    assert!(
        outcome(&out).to_string().contains("Sent: notification"),
        "{}",
        outcome(&out)
    );
    let a = sink.arrival();
    assert_eq!(a["status"], 200, "{a}");
    assert!(answered(&a)["id"].is_string(), "{a}");

    let a = refused_send(
        &sandbox,
        &sink,
        &[("PUSHDECK_API_KEY", "os_v2_app_wrongwrongwrong")],
        &onesignal_draft(),
        "refused the API key (403)",
        403,
    );
    assert!(!a.to_string().contains(ONESIGNAL_KEY));
}

#[test]
fn onesignal_a_no_recipients_rehearsal_is_nothing_created() {
    let (sink, sandbox) = onesignal_sink(&["--answer", "no-recipients"]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_API_KEY", ONESIGNAL_KEY)],
        &onesignal_draft(),
    );
    assert!(
        outcome(&out).to_string().contains("created nothing"),
        "{}",
        outcome(&out)
    );
    assert_eq!(sink.arrival()["rehearsal"], "no-recipients");
}
