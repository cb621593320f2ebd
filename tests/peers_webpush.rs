//! End to end: the real `pushdeck` binary against INDEPENDENT Web Push implementations, so a bug
//! shared by our encoder and our own stand-ins cannot hide.
//!
//! - `tests/peers/push_service.py`: a push service stand-in on 127.0.0.1 built on the reference
//!   Python libraries. It makes its own subscriptions (UA key pairs and auth secrets), verifies
//!   each VAPID JWT with py_vapid (ES256, aud, exp, sub), decrypts each body with `http_ece` and
//!   logs what it read, one JSON line per request. Special subscriptions answer 410, 404, 413 and
//!   429-then-201. It is itself checked against pywebpush (`the_stand_in_accepts_pywebpush`).
//! - npm `web-push-testing`: a second, unrelated push service (subscribe, expire, list the
//!   decrypted messages).
//!
//! Both come from `scripts/install-peers` (target/peers; `PUSHDECK_PEERS_DIR` overrides). Without
//! them these tests print why and pass, unless `PUSHDECK_REQUIRE_PEERS` is set (scripts/test sets
//! it), where a missing peer is a failure. The VAPID key comes from `PUSHDECK_VAPID_PRIVATE_KEY`:
//! no test here touches a keyring except the ignored one that `scripts/test` runs.

#[path = "support/mod.rs"]
mod support;
use crate::support::{assert_exit, request_header};
use support as common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::peers::Peers;
use common::{Keyring, Sandbox, closed_port, stderr, stdout, stdout_json};
use serde_json::{Value, json};

const PROFILE: &str = "web";
const SUBJECT: &str = "mailto:ops@example.com";

/// Everything these tests need from the peers, besides the venv.
const WEB_PUSH_PEERS: &[&str] = &["node/node_modules/web-push-testing/package.json"];

impl Peers {
    /// A fresh VAPID key pair made by the Python side: (private scalar, public point), base64url.
    fn vapid_pair(&self) -> (String, String) {
        let text = self.python_snippet(
            r#"
import base64
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
key = ec.generate_private_key(ec.SECP256R1())
print(b64(key.private_numbers().private_value.to_bytes(32, "big")),
      b64(key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)))
"#,
            &[],
        );
        let mut parts = text.split_whitespace().map(str::to_string);
        match (parts.next(), parts.next()) {
            (Some(private), Some(public)) => (private, public),
            _ => panic!("no key pair printed: {text}"),
        }
    }
}

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The first standard-output line of `child` that `pick` accepts, within 30 s.
fn wait_for_line<T: Send + 'static>(
    child: &mut Child,
    what: &str,
    pick: fn(&str) -> Option<T>,
) -> T {
    let out = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut sent = false;
        // Read to the end (after the line too) so the child never blocks on a full pipe.
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if !sent && let Some(found) = pick(&line) {
                let _ = tx.send(found);
                sent = true;
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| panic!("{what} did not start within 30 s"))
}

/// tests/peers/push_service.py, running.
struct PushService {
    _child: Running,
    origin: String,
    subscriptions: Vec<Value>,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl PushService {
    /// `args` are push_service.py's options (`--count`, `--gone ID`, `--vapid-public-key K`, …).
    fn start(peers: &Peers, args: &[&str]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("pushdeck-peer-")
            .tempdir()
            .expect("tempdir");
        let subs = dir.path().join("subscriptions.json");
        let log = dir.path().join("log.jsonl");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/push_service.py");
        let mut child = Command::new(peers.python())
            .arg(script)
            .arg("--subscriptions-out")
            .arg(&subs)
            .arg("--log")
            .arg(&log)
            .args(["--watch-stdin", "--lifetime", "300"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("push_service.py starts");
        let port = wait_for_line(&mut child, "push_service.py", |line| {
            line.strip_prefix("PORT ")?.trim().parse::<u16>().ok()
        });
        let text = std::fs::read_to_string(&subs).expect("the subscriptions file");
        let subscriptions: Vec<Value> = serde_json::from_str(&text).expect("subscriptions JSON");
        Self {
            _child: Running(child),
            origin: format!("http://127.0.0.1:{port}"),
            subscriptions,
            log,
            _dir: dir,
        }
    }

    fn subscription(&self, id: &str) -> Value {
        self.subscriptions
            .iter()
            .find(|s| s["endpoint"].as_str() == Some(&self.endpoint(id)))
            .cloned()
            .unwrap_or_else(|| panic!("no subscription {id}"))
    }

    fn endpoint(&self, id: &str) -> String {
        format!("{}/push/{id}", self.origin)
    }

    /// Every request logged so far, in arrival order.
    fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON log line"))
            .collect()
    }

    fn records_for(&self, id: &str) -> Vec<Value> {
        self.records()
            .into_iter()
            .filter(|r| r["id"].as_str() == Some(id))
            .collect()
    }
}

fn sandbox_with_profile(base_url: &str, public_key: &str) -> Sandbox {
    let sandbox = Sandbox::with(Keyring::None, None);
    let out = sandbox
        .cmd()
        .args([
            "profile",
            "add",
            PROFILE,
            "--provider",
            "webpush",
            "--base-url",
            base_url,
            "--set",
        ])
        .arg(format!("subject={SUBJECT}"))
        .arg("--set")
        .arg(format!("vapid_public_key={public_key}"))
        .output()
        .expect("runs");
    crate::support::assert_exit_output(&out, 0);
    sandbox
}

fn send(sandbox: &Sandbox, private_key: &str, draft: &Value) -> std::process::Output {
    let path = sandbox.write("draft.json", &draft.to_string());
    sandbox
        .cmd()
        .env("PUSHDECK_VAPID_PRIVATE_KEY", private_key)
        .arg("send")
        .arg("--json")
        .arg(path)
        .output()
        .expect("runs")
}

/// The message every test sends, and the payload a service worker must get for it.
fn message() -> (Value, Value) {
    let message = json!({
        "title": "Build 118",
        "body": "Passed in 4 min — 1 204 tests ✓",
        "url": "https://ci.example.com/118",
        "icon": "https://ci.example.com/icon.png",
        "image": "https://ci.example.com/chart.png",
        "buttons": [
            {"id": "logs", "label": "Logs", "url": "https://ci.example.com/118/log"},
            {"id": "rerun", "label": "Re-run", "icon": "https://ci.example.com/rerun.png"}
        ],
        "data": {"build": "118", "attempt": 2}
    });
    let payload = json!({
        "title": "Build 118",
        "body": "Passed in 4 min — 1 204 tests ✓",
        "icon": "https://ci.example.com/icon.png",
        "image": "https://ci.example.com/chart.png",
        "url": "https://ci.example.com/118",
        "actions": [
            {"action": "logs", "title": "Logs", "url": "https://ci.example.com/118/log"},
            {"action": "rerun", "title": "Re-run", "icon": "https://ci.example.com/rerun.png"}
        ],
        "data": {"build": "118", "attempt": 2}
    });
    (message, payload)
}

/// The result row whose request went to `url`.
fn row<'a>(doc: &'a Value, url: &str) -> &'a Value {
    doc["results"]
        .as_array()
        .expect("results")
        .iter()
        .find(|r| r["request"]["url"].as_str() == Some(url))
        .unwrap_or_else(|| panic!("no result for {url} in {doc:#}"))
}

fn is_gone(outcome: &Value) -> bool {
    outcome["ok"] == false
        && outcome["summary"]
            .as_str()
            .is_some_and(|s| s.starts_with("Gone"))
        && outcome.get("gone").is_none_or(|g| g == true)
}

/// Checks one request that push_service.py accepted: the VAPID JWT it verified, the headers and
/// the one-record aes128gcm body it decrypted.
fn assert_delivered(record: &Value, service: &PushService, public_key: &str, payload: &Value) {
    assert_eq!(record["status"], 201, "{record:#}");
    let plaintext: Value = serde_json::from_str(
        record["plaintext"]
            .as_str()
            .unwrap_or_else(|| panic!("no UTF-8 plaintext: {record:#}")),
    )
    .expect("the decrypted plaintext is JSON");
    assert_eq!(&plaintext, payload, "decrypted payload");
    let claims = &record["jwt"]["claims"];
    assert_eq!(claims["aud"], service.origin.as_str());
    assert_eq!(claims["sub"], SUBJECT);
    let exp = claims["exp"].as_i64().expect("exp");
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    assert!(
        exp > now + 3600 && exp <= now + 86_400,
        "exp {exp} should be hours ahead, at most 24 h (now {now})"
    );
    assert_eq!(record["jwt"]["header"]["alg"], "ES256");
    assert_eq!(record["vapid_k"], public_key);
    assert_eq!(record["rs"], 4096, "record size");
    assert_eq!(record["idlen"], 65, "keyid is the sender's public key");
    assert_eq!(
        request_header(record, "Content-Encoding"),
        Some("aes128gcm")
    );
    let auth = request_header(record, "Authorization").expect("Authorization");
    assert!(
        auth.starts_with("vapid t=") && auth.contains(&format!("k={public_key}")),
        "{auth}"
    );
}

#[test]
fn the_stand_in_accepts_pywebpush() {
    // The reference sender against the stand-in: proves the stand-in before it judges Pushdeck.
    let Some(peers) = Peers::find(WEB_PUSH_PEERS) else {
        return;
    };
    let (private, public) = peers.vapid_pair();
    let service = PushService::start(&peers, &["--count", "2", "--vapid-public-key", &public]);
    let subs = serde_json::to_string(&service.subscriptions).expect("json");
    peers.python_snippet(
        r#"
import json, sys
from pywebpush import webpush
from py_vapid import Vapid
key = Vapid.from_raw(sys.argv[2].encode())
for sub in json.loads(sys.argv[1]):
    r = webpush(sub, '{"title":"from pywebpush"}', vapid_private_key=key,
                vapid_claims={"sub": "mailto:ops@example.com"}, ttl=60)
    assert r.status_code == 201, (r.status_code, r.text)
"#,
        &[&subs, &private],
    );
    let records = service.records();
    assert_eq!(records.len(), 2, "{records:#?}");
    for record in &records {
        assert_delivered(
            record,
            &service,
            &public,
            &json!({"title": "from pywebpush"}),
        );
    }
    // And it refuses what it should: a wrong audience, no TTL.
    let text = peers.python_snippet(
        r#"
import json, sys, time, requests
from py_vapid import Vapid
key = Vapid.from_raw(sys.argv[2].encode())
sub = json.loads(sys.argv[1])[0]
auth = key.sign({"aud": "https://fcm.googleapis.com", "exp": int(time.time()) + 3600,
                 "sub": "mailto:ops@example.com"})
r = requests.post(sub["endpoint"], data=b"x" * 100,
                  headers={"TTL": "60", "Content-Encoding": "aes128gcm", **auth})
print(r.status_code, r.text.strip())
r = requests.post(sub["endpoint"], data=b"x", headers={"Content-Encoding": "aes128gcm"})
print(r.status_code, r.text.strip())
"#,
        &[&subs, &private],
    );
    assert!(text.contains("403 aud must be"), "{text}");
    assert!(text.contains("400 TTL header is missing"), "{text}");
}

#[test]
fn pushdeck_fan_out_decrypts_and_verifies_at_an_independent_push_service() {
    let Some(peers) = Peers::find(WEB_PUSH_PEERS) else {
        return;
    };
    let (private, public) = peers.vapid_pair();
    let service = PushService::start(
        &peers,
        &[
            "--count",
            "2",
            "--gone",
            "expired",
            "--not-found",
            "unknown",
            "--too-large",
            "big",
            "--rate-limited",
            "busy",
            "--vapid-public-key",
            &public,
        ],
    );
    let (message, payload) = message();
    // s1 keeps its keys but names another push service: the base URL must send it here, with
    // the JWT audience of where it actually goes.
    let mut s1 = service.subscription("s1");
    s1["endpoint"] = json!("https://push.example.net/push/s1");
    let subscriptions = json!([
        service.subscription("s0"),
        s1,
        service.subscription("expired"),
        service.subscription("unknown"),
        service.subscription("big"),
        service.subscription("busy"),
    ]);
    let draft = json!({
        "profile": PROFILE,
        "message": message,
        "audience": {"subscriptions": subscriptions},
        "options": {"ttl": 120, "urgency": "high", "topic": "build-118", "concurrency": 4}
    });
    let sandbox = sandbox_with_profile(&service.origin, &public);
    let out = send(&sandbox, &private, &draft);
    assert_eq!(
        out.status.code(),
        Some(1),
        "410/404/413 are refusals\n{}\n{}",
        stderr(&out),
        stdout(&out)
    );
    let doc = stdout_json(&out);
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(6), "{doc:#}");

    // What the independent side decrypted and verified.
    for id in ["s0", "s1"] {
        let records = service.records_for(id);
        assert_eq!(records.len(), 1, "{id}: {records:#?}");
        assert_delivered(&records[0], &service, &public, &payload);
        assert_eq!(request_header(&records[0], "TTL"), Some("120"));
        assert_eq!(request_header(&records[0], "Urgency"), Some("high"));
        assert_eq!(request_header(&records[0], "Topic"), Some("build-118"));
        let result = row(&doc, &service.endpoint(id));
        assert_eq!(result["outcome"]["ok"], true, "{result:#}");
        assert_eq!(result["response"]["status"], 201);
        // The dump shows the bytes that went over the wire, and the JWT only redacted.
        assert_eq!(
            result["request"]["body_base64"], records[0]["body_base64"],
            "the dump's body is the body sent"
        );
        let jwt = request_header(&records[0], "Authorization")
            .and_then(|a| a.strip_prefix("vapid t="))
            .and_then(|a| a.split(',').next())
            .expect("t=");
        assert!(
            !doc.to_string().contains(jwt),
            "the VAPID JWT leaked into --json"
        );
        assert!(
            !doc.to_string().contains(&private),
            "the private key leaked"
        );
    }

    // 429 with Retry-After: 1, then accepted on the retry a second later.
    let busy = service.records_for("busy");
    assert_eq!(
        busy.iter().map(|r| r["status"].clone()).collect::<Vec<_>>(),
        [json!(429), json!(201)],
        "{busy:#?}"
    );
    let waited =
        busy[1]["time"].as_f64().unwrap_or_default() - busy[0]["time"].as_f64().unwrap_or_default();
    assert!(
        waited >= 0.9,
        "retried after {waited:.2} s, not after Retry-After: 1"
    );
    assert_delivered(&busy[1], &service, &public, &payload);
    assert_eq!(row(&doc, &service.endpoint("busy"))["outcome"]["ok"], true);

    // Expired and unknown subscriptions are gone; a 413 is not.
    for id in ["expired", "unknown"] {
        let outcome = &row(&doc, &service.endpoint(id))["outcome"];
        assert!(is_gone(outcome), "{id}: {outcome:#}");
        assert_eq!(
            service.records_for(id).len(),
            1,
            "no retry of a gone subscription"
        );
    }
    let big = &row(&doc, &service.endpoint("big"))["outcome"];
    assert_eq!(big["ok"], false);
    assert!(
        big["summary"].as_str().is_some_and(|s| s.contains("413")) && !is_gone(big),
        "{big:#}"
    );

    // Nothing the stand-in refused for a protocol error (400/401/403).
    let bad: Vec<Value> = service
        .records()
        .into_iter()
        .filter(|r| [400, 401, 403].contains(&r["status"].as_u64().unwrap_or_default()))
        .collect();
    assert!(bad.is_empty(), "protocol errors: {bad:#?}");
    assert!(
        sandbox.files_containing(&private).is_empty(),
        "the private key was written to disk"
    );
}

#[test]
fn raw_payloads_are_sent_verbatim() {
    let Some(peers) = Peers::find(WEB_PUSH_PEERS) else {
        return;
    };
    let (private, public) = peers.vapid_pair();
    let service = PushService::start(&peers, &["--count", "1", "--vapid-public-key", &public]);
    let sandbox = sandbox_with_profile(&service.origin, &public);
    for (raw, expected) in [
        (
            json!({"kind": "sync", "n": [1, 2]}),
            r#"{"kind":"sync","n":[1,2]}"#,
        ),
        (json!("plain text — not JSON"), "plain text — not JSON"),
    ] {
        let draft = json!({
            "profile": PROFILE,
            "message": {"body": "ignored for raw sends"},
            "audience": {"subscriptions": [service.subscription("s0")]},
            "options": {"raw": raw}
        });
        let out = send(&sandbox, &private, &draft);
        crate::support::assert_exit_output(&out, 0);
        let records = service.records_for("s0");
        let last = records.last().expect("a request");
        assert_eq!(last["status"], 201, "{last:#}");
        assert_eq!(last["plaintext"], expected);
        assert_eq!(
            request_header(last, "TTL"),
            Some("86400"),
            "default TTL: a day"
        );
    }
}

#[test]
fn a_key_the_subscription_was_not_made_with_is_refused_with_the_reason() {
    let Some(peers) = Peers::find(WEB_PUSH_PEERS) else {
        return;
    };
    let (_, subscribed_with) = peers.vapid_pair();
    let (private, public) = peers.vapid_pair();
    let service = PushService::start(
        &peers,
        &["--count", "1", "--vapid-public-key", &subscribed_with],
    );
    let sandbox = sandbox_with_profile(&service.origin, &public);
    let draft = json!({
        "profile": PROFILE,
        "message": {"title": "t", "body": "b"},
        "audience": {"subscriptions": [service.subscription("s0")]},
    });
    let out = send(&sandbox, &private, &draft);
    crate::support::assert_exit_output(&out, 1);
    let doc = stdout_json(&out);
    let outcome = &row(&doc, &service.endpoint("s0"))["outcome"];
    let summary = outcome["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("403") && summary.contains("k does not match the applicationServerKey"),
        "{outcome:#}"
    );
    assert!(!is_gone(outcome));
}

/// npm web-push-testing on a free port of localhost.
struct WebPushTesting {
    _child: Running,
    origin: String,
    stderr_path: PathBuf,
    _dir: tempfile::TempDir,
}

impl WebPushTesting {
    fn start(peers: &Peers) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("pushdeck-wpt-")
            .tempdir()
            .expect("tempdir");
        let stderr_path = dir.path().join("stderr.txt");
        let port = closed_port();
        let server = peers
            .node_modules()
            .join("web-push-testing/src/bin/server.js");
        // The server itself, in the foreground (its CLI `start` daemonizes and keeps a pid file).
        let mut child = Command::new("node")
            .arg(server)
            .arg(port.to_string())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_path).expect("stderr file"))
            .spawn()
            .expect("node runs web-push-testing");
        wait_for_line(&mut child, "web-push-testing", |line| {
            line.contains("Server running on port").then_some(())
        });
        Self {
            _child: Running(child),
            origin: format!("http://localhost:{port}"),
            stderr_path,
            _dir: dir,
        }
    }

    fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        let url = format!("{}{path}", self.origin);
        let body = body.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        runtime.block_on(async move {
            let client = reqwest::Client::builder()
                .no_proxy()
                .timeout(Duration::from_secs(20))
                .build()
                .expect("client");
            let response = client
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {url}: {e}"));
            let status = response.status().as_u16();
            let text = response.text().await.expect("body");
            (
                status,
                serde_json::from_str(&text).unwrap_or(Value::String(text)),
            )
        })
    }

    /// A subscription for this applicationServerKey: (PushSubscription JSON, clientHash).
    fn subscribe(&self, application_server_key: &str) -> (Value, String) {
        let (status, doc) = self.post(
            "/subscribe",
            &json!({"applicationServerKey": application_server_key}),
        );
        assert_eq!(status, 200, "{doc:#}");
        let data = &doc["data"];
        let hash = data["clientHash"].as_str().expect("clientHash").to_string();
        let sub = json!({"endpoint": data["endpoint"], "keys": data["keys"]});
        (sub, hash)
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }
}

#[test]
fn web_push_testing_decrypts_pushdeck_and_reports_the_expired_one() {
    let Some(peers) = Peers::find(WEB_PUSH_PEERS) else {
        return;
    };
    let (private, public) = peers.vapid_pair();
    let wpt = WebPushTesting::start(&peers);
    let (live, live_hash) = wpt.subscribe(&public);
    let (expired, expired_hash) = wpt.subscribe(&public);
    let (status, doc) = wpt.post(&format!("/expire-subscription/{expired_hash}"), &json!({}));
    assert_eq!(status, 200, "{doc}");
    // Its endpoints say http://localhost:PORT/notify/HASH; the profile's base URL is that origin.
    let live_url = live["endpoint"].as_str().expect("endpoint").to_string();
    let expired_url = expired["endpoint"].as_str().expect("endpoint").to_string();
    assert!(
        live_url.starts_with(&format!("{}/notify/", wpt.origin)),
        "{live_url}"
    );
    let (message, payload) = message();
    let draft = json!({
        "profile": PROFILE,
        "message": message,
        "audience": {"subscriptions": [live, expired]},
        "options": {"ttl": 60}
    });
    let sandbox = sandbox_with_profile(&wpt.origin, &public);
    let out = send(&sandbox, &private, &draft);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}\n{}\nweb-push-testing: {}",
        stderr(&out),
        stdout(&out),
        wpt.stderr()
    );
    let doc = stdout_json(&out);
    let accepted = row(&doc, &live_url);
    assert_eq!(
        accepted["outcome"]["ok"],
        true,
        "{accepted:#}\nweb-push-testing: {}",
        wpt.stderr()
    );
    assert_eq!(accepted["response"]["status"], 201);
    let gone = row(&doc, &expired_url);
    assert_eq!(gone["response"]["status"], 410);
    assert!(is_gone(&gone["outcome"]), "{gone:#}");

    let (status, doc) = wpt.post("/get-notifications", &json!({"clientHash": live_hash}));
    assert_eq!(status, 200, "{doc}");
    let messages = doc["data"]["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 1, "{doc:#}");
    let decrypted: Value =
        serde_json::from_str(messages[0].as_str().expect("a string")).expect("JSON");
    assert_eq!(decrypted, payload);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn vapid_generate_makes_a_key_the_reference_service_accepts() {
    let Some(peers) = Peers::find(WEB_PUSH_PEERS) else {
        return;
    };
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no DBUS_SESSION_BUS_ADDRESS: this test needs an unlocked Secret Service"
    );
    let profile = format!("wp-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let sandbox = Sandbox::with(Keyring::Real, None);
    sandbox
        .cmd()
        .args(["profile", "add", &profile, "--provider", "webpush", "--set"])
        .arg(format!("subject={SUBJECT}"))
        .assert()
        .success();
    let out = sandbox.run(&["vapid", "generate", &profile]);
    crate::support::assert_exit_output(&out, 0);
    let public = stdout(&out).trim().to_string();
    let point = URL_SAFE_NO_PAD
        .decode(&public)
        .expect("base64url public key");
    assert_eq!(
        (point.len(), point[0]),
        (65, 4),
        "an uncompressed P-256 point"
    );

    // Subscriptions made for that key, at the Python service; the send signs with the keyring's.
    let service = PushService::start(&peers, &["--count", "1", "--vapid-public-key", &public]);
    sandbox
        .cmd()
        .args([
            "profile",
            "add",
            &profile,
            "--provider",
            "webpush",
            "--base-url",
            &service.origin,
        ])
        .assert()
        .success();
    let (message, payload) = message();
    let draft = json!({
        "profile": profile,
        "message": message,
        "audience": {"subscriptions": [service.subscription("s0")]},
    });
    let path = sandbox.write("draft.json", &draft.to_string());
    let out = sandbox
        .cmd()
        .env_remove("PUSHDECK_VAPID_PRIVATE_KEY")
        .arg("send")
        .arg("--json")
        .arg(path)
        .output()
        .expect("runs");
    let removed = sandbox.run(&["profile", "remove", &profile]);
    crate::support::assert_exit_output(&out, 0);
    assert_exit(&removed, 0);
    let records = service.records_for("s0");
    assert_eq!(records.len(), 1, "{records:#?}");
    assert_delivered(&records[0], &service, &public, &payload);
}
