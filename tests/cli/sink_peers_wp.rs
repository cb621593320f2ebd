//! The real `pushdeck sink` against INDEPENDENT senders (and Pushdeck's own send): pywebpush and npm `web-push` send to the
//! Web Push sink's own subscriptions (it must decrypt exactly what they encrypted and verify their
//! VAPID JWT), apprise's Telegram plugin sends to the Telegram sink, and each malformed request
//! (no TTL, too large, a foreign or expired VAPID key, a wrong bot token) gets the provider's
//! documented error and a ✗ finding that says why. The peers (target/peers, scripts/install-peers)
//! are required: a missing one fails the test.

use serde_json::{Value, json};

use super::sink_run::{Sink, answered, findings, peers, send};
use crate::support::{Keyring, Sandbox, stderr, stdout};

const TOKEN: &str = "7012345678:AAHsinkPeerTokenForPushdeckTests_01";
const OTHER_TOKEN: &str = "7012345678:AAHnotTheProfilesTokenForPushdeck_02";

/// What these tests need from the peers besides the venv (pywebpush and apprise are in it).
const SINK_PEERS: &[&str] = &["node/node_modules/web-push/package.json"];

fn sandbox() -> Sandbox {
    Sandbox::with(Keyring::None, None)
}

/// The values of the setup lines whose label starts with `label`.
fn setup_values(sink: &Sink, label: &str) -> Vec<String> {
    sink.setup["lines"]
        .as_array()
        .expect("setup lines")
        .iter()
        .filter(|l| l["label"].as_str().is_some_and(|t| t.starts_with(label)))
        .filter_map(|l| l["value"].as_str().map(str::to_string))
        .collect()
}

fn decoded<'a>(arrival: &'a Value, label: &str) -> &'a str {
    arrival["decoded"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["label"] == label))
        .and_then(|d| d["text"].as_str())
        .unwrap_or_else(|| panic!("no {label} in {arrival}"))
}

/// pywebpush's `webpush()`: argv subscription, payload, TTL, then optionally the VAPID private
/// key's PEM file (else a fresh key) and an `exp` claim. Prints the push service's status.
const PYWEBPUSH: &str = r#"
import json, sys
from py_vapid import Vapid
from pywebpush import webpush, WebPushException
sub = json.loads(sys.argv[1])
if len(sys.argv) > 4:
    vapid = sys.argv[4]
else:
    vapid = Vapid()
    vapid.generate_keys()
claims = {"sub": "mailto:ops@example.com"}
if len(sys.argv) > 5:
    claims["exp"] = int(sys.argv[5])
try:
    r = webpush(subscription_info=sub, data=sys.argv[2], vapid_private_key=vapid,
                vapid_claims=claims, ttl=int(sys.argv[3]))
    print(r.status_code)
except WebPushException as e:
    print(e.response.status_code if e.response is not None else 0)
"#;

#[test]
fn pywebpush_sends_to_the_sinks_subscription_and_the_sink_decrypts_it() {
    let peers = peers(SINK_PEERS);
    let sandbox = sandbox();
    let sink = Sink::start(&sandbox, "webpush", &[], &[]);
    let subscription = setup_values(&sink, "Subscription").remove(0);
    let payload = json!({"title": "From pywebpush", "body": "décrypté ✓"}).to_string();
    let output = peers.python_output(PYWEBPUSH, &[&subscription, &payload, "600"]);
    assert_eq!(stdout(&output).trim(), "201", "{}", stderr(&output));
    let arrival = sink.arrival();
    assert_eq!(arrival["status"], json!(201));
    let plain: Value = serde_json::from_str(decoded(&arrival, "Plaintext")).expect("JSON");
    assert_eq!(
        plain.to_string(),
        payload,
        "the sink read what pywebpush encrypted"
    );
    assert!(findings(&arrival, "fail").is_empty(), "{arrival}");
    assert!(
        findings(&arrival, "ok").contains("signature verifies"),
        "{arrival}"
    );
}

#[test]
fn with_a_profile_pywebpush_signing_with_a_foreign_or_expired_key_is_403() {
    let peers = peers(SINK_PEERS);
    let sandbox = sandbox();
    // The profile's key pair, made by py_vapid: its public key is the applicationServerKey.
    let pem = sandbox.dir.path().join("vapid.pem");
    let public = peers.python_snippet(
        r#"
import base64, sys
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
v = Vapid()
v.generate_keys()
v.save_key(sys.argv[1])
raw = v.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
print(base64.urlsafe_b64encode(raw).decode().rstrip("="))
"#,
        &[&pem.to_string_lossy()],
    );
    let public = public.trim();
    let settings = [("vapid_public_key", public)];
    sandbox.add_profile_at("web", "webpush", None, &settings);
    let sink = Sink::start(&sandbox, "webpush", &["--profile", "web"], &[]);
    assert_eq!(setup_values(&sink, "applicationServerKey"), [public]);
    let subscription = setup_values(&sink, "Subscription").remove(0);
    let pem = pem.to_string_lossy();

    let output = peers.python_output(PYWEBPUSH, &[&subscription, "signed right", "60", &pem]);
    assert_eq!(stdout(&output).trim(), "201", "{}", stderr(&output));
    let a = sink.arrival();
    assert_eq!(decoded(&a, "Plaintext"), "signed right");
    assert_eq!(a["level"], "ok", "{a}");

    // Another key pair than the one the subscription was made with.
    let output = peers.python_output(PYWEBPUSH, &[&subscription, "foreign", "60"]);
    assert_eq!(stdout(&output).trim(), "403", "{}", stderr(&output));
    let a = sink.arrival();
    assert_eq!(a["status"], 403, "{a}");
    assert_eq!(answered(&a)["errno"], 109, "autopush's errno: {a}");
    assert!(
        findings(&a, "fail").contains("not the profile's VAPID public key"),
        "{a}"
    );

    // The right key, but a JWT that expired a minute ago. pywebpush's webpush() renews a past
    // exp, so this signs with py_vapid and sends with pywebpush's WebPusher, as a backend that
    // caches its JWT too long does.
    let expired = (time::OffsetDateTime::now_utc().unix_timestamp() - 60).to_string();
    let output = peers.python_output(
        r#"
import json, sys
from py_vapid import Vapid
from pywebpush import WebPusher
sub = json.loads(sys.argv[1])
vapid = Vapid.from_file(sys.argv[2])
origin = "/".join(sub["endpoint"].split("/")[:3])
auth = vapid.sign({"aud": origin, "sub": "mailto:ops@example.com", "exp": int(sys.argv[3])})
print(WebPusher(sub).send(b"expired", headers=auth, ttl=60).status_code)
"#,
        &[&subscription, &pem, &expired],
    );
    assert_eq!(stdout(&output).trim(), "403", "{}", stderr(&output));
    let a = sink.arrival();
    assert_eq!(a["status"], 403, "{a}");
    assert!(findings(&a, "fail").contains("exp"), "{a}");
}

#[test]
fn a_pywebpush_request_without_ttl_is_400_and_an_oversized_one_413() {
    let peers = peers(SINK_PEERS);
    let sandbox = sandbox();
    let sink = Sink::start(&sandbox, "webpush", &[], &[]);
    let subscription = setup_values(&sink, "Subscription").remove(0);
    // pywebpush always sends TTL; strip it on the way with a hand-made request to the same
    // endpoint, with pywebpush's own encryption and VAPID headers.
    let output = peers.python_output(
        r#"
import json, sys, requests
from py_vapid import Vapid
from pywebpush import WebPusher
sub = json.loads(sys.argv[1])
vapid = Vapid(); vapid.generate_keys()
pusher = WebPusher(sub)
body = pusher.encode(sys.argv[2].encode(), "aes128gcm")
origin = "/".join(sub["endpoint"].split("/")[:3])
auth = vapid.sign({"aud": origin, "sub": "mailto:ops@example.com"})
headers = {"Content-Encoding": "aes128gcm", **auth}
print(requests.post(sub["endpoint"], data=body["body"], headers=headers).status_code)
print(requests.post(sub["endpoint"], data=b"x" * 5000,
      headers={**headers, "TTL": "60"}).status_code)
"#,
        &[&subscription, "hello"],
    );
    assert_eq!(
        stdout(&output).split_whitespace().collect::<Vec<_>>(),
        ["400", "413"],
        "{}",
        stderr(&output)
    );
    let missing_ttl = sink.arrival();
    assert!(
        findings(&missing_ttl, "fail").contains("TTL"),
        "{missing_ttl}"
    );
    let too_big = sink.arrival();
    assert_eq!(too_big["status"], json!(413));
    assert!(!findings(&too_big, "fail").is_empty(), "{too_big}");
}

const WEB_PUSH_JS: &str = r#"
const webpush = require('web-push');
const [sub, payload] = process.argv.slice(-2);
const keys = webpush.generateVAPIDKeys();
webpush.setVapidDetails('mailto:ops@example.com', keys.publicKey, keys.privateKey);
webpush.sendNotification(JSON.parse(sub), payload, {TTL: 60, urgency: 'high', topic: 'deploy'})
  .then(r => console.log(r.statusCode))
  .catch(e => console.log(e.statusCode || String(e)));
"#;

/// npm web-push to a subscription of the TLS sink (web-push speaks https only), trusting the
/// sink's local CA: the push service's status.
fn web_push(sink: &Sink, subscription: &str, payload: &str) -> String {
    let peers = peers(SINK_PEERS);
    let out = std::process::Command::new("node")
        .arg("-e")
        .arg(WEB_PUSH_JS)
        .args(["--", subscription, payload])
        .env("NODE_PATH", peers.node_modules())
        .env(
            "NODE_EXTRA_CA_CERTS",
            sink.setup["ca_file"].as_str().expect("the CA file"),
        )
        .stdin(std::process::Stdio::null())
        .output()
        .expect("node runs");
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out).trim().to_string()
}

#[test]
fn npm_web_push_sends_to_the_sink_a_rehearsed_gone_is_what_it_sees_and_a_foreign_key_is_403() {
    let sandbox = sandbox();
    let sink = Sink::start(&sandbox, "webpush", &["--tls"], &[]);
    let subscription = setup_values(&sink, "Subscription").remove(1);
    assert!(
        subscription.contains("https://127.0.0.1:"),
        "{subscription}"
    );
    assert_eq!(
        web_push(&sink, &subscription, "plain text from node"),
        "201"
    );
    let arrival = sink.arrival();
    assert_eq!(decoded(&arrival, "Plaintext"), "plain text from node");
    assert!(findings(&arrival, "ok").contains("Urgency high"));
    assert!(
        findings(&arrival, "ok").contains("signature verifies"),
        "{arrival}"
    );
    drop(sink);

    let gone = Sink::start(&sandbox, "webpush", &["--tls", "--answer", "gone"], &[]);
    let subscription = setup_values(&gone, "Subscription").remove(0);
    assert_eq!(web_push(&gone, &subscription, "bye"), "410");
    let a = gone.arrival();
    assert_eq!(a["status"], json!(410));
    assert_eq!(a["rehearsal"], "gone");
    drop(gone);

    // A malformed request from web-push: it signs with a key pair of its own, not the profile's
    // applicationServerKey (web-push made that one too, in another run).
    let peers = peers(SINK_PEERS);
    let out = std::process::Command::new("node")
        .arg("-e")
        .arg("console.log(require('web-push').generateVAPIDKeys().publicKey)")
        .env("NODE_PATH", peers.node_modules())
        .output()
        .expect("node runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let public = stdout(&out).trim().to_string();
    sandbox.add_profile_at("web", "webpush", None, &[("vapid_public_key", &public)]);
    let checked = Sink::start(&sandbox, "webpush", &["--tls", "--profile", "web"], &[]);
    let subscription = setup_values(&checked, "Subscription").remove(0);
    assert_eq!(web_push(&checked, &subscription, "foreign key"), "403");
    let a = checked.arrival();
    assert_eq!(a["status"], 403, "{a}");
    assert!(
        findings(&a, "fail").contains("not the profile's VAPID public key"),
        "{a}"
    );
}

/// apprise's Telegram plugin has api.telegram.org built in: pointed at the sink through its
/// `notify_url` class attribute. Prints apprise's verdict.
const APPRISE_TELEGRAM: &str = r#"
import sys, apprise
from apprise.plugins import telegram
telegram.NotifyTelegram.notify_url = sys.argv[1] + "/bot"
a = apprise.Apprise()
if not a.add("tgram://" + sys.argv[2] + "/42/?format=markdown"):
    sys.exit("apprise did not take the URL")
print(bool(a.notify(title="Deploy", body="v1.2.3 is *out*")))
"#;

#[test]
fn apprise_telegram_plugin_sends_to_the_telegram_sink_and_a_wrong_token_is_401() {
    let peers = peers(SINK_PEERS);
    let sandbox = sandbox();
    sandbox.add_provider_profile("tg", "telegram", "https://api.telegram.org", &[]);
    let sink = Sink::start(
        &sandbox,
        "telegram",
        &["--profile", "tg"],
        &[("PUSHDECK_BOT_TOKEN", TOKEN)],
    );
    let output = peers.python_output(APPRISE_TELEGRAM, &[&sink.base_url(), TOKEN]);
    assert_eq!(stdout(&output).trim(), "True", "{}", stderr(&output));
    let arrival = sink.arrival();
    assert_eq!(arrival["status"], json!(200), "{arrival}");
    assert!(
        arrival["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("sendMessage to 42")),
        "{arrival}"
    );
    assert!(
        arrival.to_string().contains("v1.2.3"),
        "what apprise sent is shown: {arrival}"
    );
    assert!(
        !arrival.to_string().contains(TOKEN),
        "the bot token is masked: {arrival}"
    );

    let output = peers.python_output(APPRISE_TELEGRAM, &[&sink.base_url(), OTHER_TOKEN]);
    assert_eq!(stdout(&output).trim(), "False", "{}", stderr(&output));
    let a = sink.arrival();
    assert_eq!(a["status"], 401, "{a}");
    let body = answered(&a);
    assert_eq!(body["ok"], false);
    assert_eq!(body["error_code"], 401);
    assert!(findings(&a, "fail").contains("not the profile's"), "{a}");

    // Pushdeck's own send, its profile pointed at the sink.
    sandbox.add_provider_profile("tg", "telegram", &sink.base_url(), &[]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_BOT_TOKEN", TOKEN)],
        &json!({"profile": "tg", "message": {"title": "Build 118", "body": "Passed"},
                "audience": {"chat_ids": ["42"]}}),
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let a = sink.arrival();
    assert_eq!(a["status"], 200, "{a}");
    assert_eq!(a["level"], "ok", "{a}");
    assert!(a.to_string().contains("Build 118"), "{a}");
}

#[test]
fn pushdecks_own_web_push_send_is_decrypted_and_verified_by_the_sink() {
    let sandbox = sandbox();
    let key = pushdeck::provider::webpush::vapid::VapidKey::generate().expect("a VAPID key");
    let public = key.public_key_b64();
    let settings = [
        ("subject", "mailto:ops@example.com"),
        ("vapid_public_key", public.as_str()),
    ];
    // No base URL: a Web Push send goes to each subscription's own endpoint.
    sandbox.add_profile_at("web", "webpush", None, &settings);
    let private = key.private_key_b64().expect("export");
    let sink = Sink::start(&sandbox, "webpush", &["--profile", "web"], &[]);
    let subscription: Value =
        serde_json::from_str(&setup_values(&sink, "Subscription").remove(0)).expect("JSON");
    let out = send(
        &sandbox,
        &[("PUSHDECK_VAPID_PRIVATE_KEY", &private)],
        &json!({"profile": "web", "message": {"title": "Build 118", "body": "Passed in 4 min"},
                "audience": {"subscriptions": [subscription]}}),
    );
    assert!(out.status.success(), "{}", stdout(&out));
    let a = sink.arrival();
    assert_eq!(a["status"], 201, "{a}");
    assert_eq!(a["level"], "ok", "{a}");
    let plain = decoded(&a, "Plaintext");
    assert!(
        plain.contains("Build 118") && plain.contains("Passed in 4 min"),
        "{plain}"
    );
    assert!(!a.to_string().contains(&private));
}

/// A streamed fan-out (three subscriptions) rides its own connections (lanes) over TLS: the sink's
/// certificate is trusted through the profile's `ca_certificates`, each request is decrypted and
/// verified; without that bundle the certificate is refused for every recipient, in words.
#[test]
fn pushdecks_fan_out_over_tls_trusts_the_profiles_ca_and_refuses_without_it() {
    let sandbox = sandbox();
    let key = pushdeck::provider::webpush::vapid::VapidKey::generate().expect("a VAPID key");
    let public = key.public_key_b64();
    let private = key.private_key_b64().expect("export");
    sandbox.add_profile_at(
        "untrusting",
        "webpush",
        None,
        &[
            ("subject", "mailto:ops@example.com"),
            ("vapid_public_key", public.as_str()),
        ],
    );
    let sink = Sink::start(
        &sandbox,
        "webpush",
        &["--tls", "--profile", "untrusting"],
        &[],
    );
    let ca = sink.ca();
    sandbox.add_profile_at(
        "web",
        "webpush",
        None,
        &[
            ("subject", "mailto:ops@example.com"),
            ("vapid_public_key", public.as_str()),
            ("ca_certificates", ca.to_str().expect("UTF-8 path")),
        ],
    );
    let subscriptions: Vec<Value> = setup_values(&sink, "Subscription")
        .iter()
        .map(|s| serde_json::from_str(s).expect("JSON"))
        .collect();
    assert_eq!(subscriptions.len(), 3, "{}", sink.setup);
    let draft = |profile: &str| {
        json!({"profile": profile, "message": {"title": "Build 118", "body": "Passed in 4 min"},
               "audience": {"subscriptions": subscriptions}})
    };
    let env = [("PUSHDECK_VAPID_PRIVATE_KEY", private.as_str())];

    let out = send(&sandbox, &env, &draft("web"));
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    for _ in 0..3 {
        let a = sink.arrival();
        assert_eq!(a["status"], 201, "{a}");
        assert_eq!(a["level"], "ok", "{a}");
        assert!(decoded(&a, "Plaintext").contains("Build 118"), "{a}");
        // Each lane is an HTTP/1.1 connection of its own (the pooled client would take the h2
        // the sink offers).
        assert_eq!(a["http2"], false, "{a}");
    }

    let out = send(&sandbox, &env, &draft("untrusting"));
    assert!(!out.status.success(), "{}", stdout(&out));
    for row in summaries_saying(&out, "certificate is not trusted") {
        assert_eq!(row["error"]["kind"], "tls", "{row}");
    }
    let text = stdout(&out);
    assert!(text.contains("ca_certificates"), "and what to do: {text}");
    assert!(
        !stderr(&out).contains("ERROR"),
        "no log line repeats it in a library's words: {}",
        stderr(&out)
    );

    // A bundle that cannot be read is named as such for each recipient, as for any send.
    sandbox.add_profile_at(
        "web",
        "webpush",
        None,
        &[("ca_certificates", "/nonexistent/bundle.pem")],
    );
    let out = send(&sandbox, &env, &draft("web"));
    assert!(!out.status.success(), "{}", stdout(&out));
    summaries_saying(
        &out,
        "`ca_certificates` file /nonexistent/bundle.pem cannot be read",
    );
}

/// The three rows of a `send --json` whose outcome each says `words` (why it failed).
fn summaries_saying(out: &std::process::Output, words: &str) -> Vec<serde_json::Value> {
    let text = stdout(out);
    let doc: serde_json::Value = serde_json::from_str(&text).expect("send --json");
    let rows = doc["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 3, "{text}");
    for row in &rows {
        let summary = row["outcome"]["summary"].as_str().unwrap_or("");
        assert!(
            summary.contains(words),
            "each row says why ({words}): {row}"
        );
    }
    rows
}
