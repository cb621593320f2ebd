//! The real `pushdeck sink` against INDEPENDENT senders: pywebpush and npm `web-push` send to the
//! Web Push sink's own subscriptions (it must decrypt exactly what they encrypted and verify their
//! VAPID JWT), apprise's Telegram plugin sends to the Telegram sink, and each malformed request
//! gets the provider's documented error.
//!
//! PREPARED, NOT YET IN `tests/cli/main.rs`: it waits for the sink core (listener, engine, CLI).
//! What it assumes of `pushdeck sink PROVIDER --port N --json` is kept in [`Sink`] alone, so only
//! that needs adjusting when the core lands:
//! - standard output, one JSON object per line; the first has `"setup": [{"label", "value",
//!   "about"}…]` (the imitation's `SinkSetup::lines`) and `"base_url"`;
//! - then one object per arrival with `"status"`, `"summary"`, `"findings": [{"level", "text"}]`
//!   and `"decoded": [{"label", "text"}]` (the imitation's `Verdict`), secrets masked.
//!
//! The peers come from `scripts/install-peers` (target/peers; `PUSHDECK_PEERS_DIR` overrides);
//! without them these tests print why and pass, unless `PUSHDECK_REQUIRE_PEERS` is set.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::peers::Peers;
use crate::support::{Sandbox, closed_port, stderr, stdout};

const TOKEN: &str = "7012345678:AAHsinkPeerTokenForPushdeckTests_01";

/// Everything these tests need from the peers, besides the venv (apprise is in it).
const SINK_PEERS: &[&str] = &["node/node_modules/web-push/package.json"];

/// `pushdeck sink PROVIDER --json` running, killed when dropped.
struct Sink {
    child: Child,
    lines: mpsc::Receiver<Value>,
    setup: Value,
    _sandbox: Sandbox,
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Sink {
    fn start(provider: &str, extra: &[&str]) -> Self {
        let sandbox = Sandbox::new();
        let port = closed_port().to_string();
        let mut child = Command::new(env!("CARGO_BIN_EXE_pushdeck"))
            .args(["sink", provider, "--port", &port, "--json"])
            .args(extra)
            .env("PUSHDECK_CONFIG_DIR", sandbox.config_dir())
            .env("PUSHDECK_DATA_DIR", sandbox.data_dir())
            .env("PUSHDECK_CACHE_DIR", sandbox.cache_dir())
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("pushdeck sink starts");
        let out = child.stdout.take().expect("piped");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(value);
                }
            }
        });
        let setup = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the sink prints its setup within 30 s");
        Self {
            child,
            lines,
            setup,
            _sandbox: sandbox,
        }
    }

    fn base_url(&self) -> String {
        self.setup["base_url"]
            .as_str()
            .expect("base_url")
            .to_string()
    }

    /// The values of the setup lines whose label starts with `label`.
    fn setup_values(&self, label: &str) -> Vec<String> {
        self.setup["setup"]
            .as_array()
            .expect("setup lines")
            .iter()
            .filter(|l| l["label"].as_str().is_some_and(|t| t.starts_with(label)))
            .filter_map(|l| l["value"].as_str().map(str::to_string))
            .collect()
    }

    /// The next arrival the sink reports.
    fn arrival(&self) -> Value {
        self.lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the sink reports the arrival within 30 s")
    }
}

fn decoded<'a>(arrival: &'a Value, label: &str) -> &'a str {
    arrival["decoded"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["label"] == label))
        .and_then(|d| d["text"].as_str())
        .unwrap_or_else(|| panic!("no {label} in {arrival}"))
}

fn findings_at(arrival: &Value, level: &str) -> String {
    arrival["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter(|f| f["level"] == level)
                .filter_map(|f| f["text"].as_str())
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

const PYWEBPUSH: &str = r#"
import json, sys
from py_vapid import Vapid
from pywebpush import webpush, WebPushException
sub = json.loads(sys.argv[1])
vapid = Vapid()
vapid.generate_keys()
headers = {}
try:
    r = webpush(subscription_info=sub, data=sys.argv[2], vapid_private_key=vapid,
                vapid_claims={"sub": "mailto:ops@example.com"}, ttl=int(sys.argv[3]))
    print(r.status_code)
except WebPushException as e:
    print(e.response.status_code if e.response is not None else 0)
"#;

#[test]
fn pywebpush_sends_to_the_sinks_subscription_and_the_sink_decrypts_it() {
    let Some(peers) = Peers::find(SINK_PEERS) else {
        return;
    };
    let sink = Sink::start("webpush", &[]);
    let subscription = sink.setup_values("Subscription").remove(0);
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
    assert!(findings_at(&arrival, "fail").is_empty(), "{arrival}");
    assert!(
        findings_at(&arrival, "ok").contains("signature verifies"),
        "{arrival}"
    );
}

#[test]
fn a_pywebpush_request_without_ttl_is_400_and_an_oversized_one_413() {
    let Some(peers) = Peers::find(SINK_PEERS) else {
        return;
    };
    let sink = Sink::start("webpush", &[]);
    let subscription = sink.setup_values("Subscription").remove(0);
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
        findings_at(&missing_ttl, "fail").contains("TTL"),
        "{missing_ttl}"
    );
    let too_big = sink.arrival();
    assert_eq!(too_big["status"], json!(413));
}

const WEB_PUSH_JS: &str = r#"
const webpush = require('web-push');
const [sub, payload] = process.argv.slice(-2);
const keys = webpush.generateVAPIDKeys();
webpush.setVapidDetails('mailto:ops@example.com', keys.publicKey, keys.privateKey);
webpush.sendNotification(JSON.parse(sub), payload, {TTL: 60, urgency: 'high', topic: 'deploy'})
  .then(r => console.log(r.statusCode))
  .catch(e => console.log(e.statusCode || 0));
"#;

#[test]
fn npm_web_push_sends_to_the_sink_and_a_rehearsed_gone_is_what_it_sees() {
    let Some(peers) = Peers::find(SINK_PEERS) else {
        return;
    };
    let sink = Sink::start("webpush", &[]);
    let subscription = sink.setup_values("Subscription").remove(1);
    let output = peers.node_output(WEB_PUSH_JS, &[&subscription, "plain text from node"]);
    assert_eq!(stdout(&output).trim(), "201", "{}", stderr(&output));
    let arrival = sink.arrival();
    assert_eq!(decoded(&arrival, "Plaintext"), "plain text from node");
    assert!(findings_at(&arrival, "ok").contains("Urgency high"));
    drop(sink);

    let gone = Sink::start("webpush", &["--answer", "gone"]);
    let subscription = gone.setup_values("Subscription").remove(0);
    let output = peers.node_output(WEB_PUSH_JS, &[&subscription, "bye"]);
    assert_eq!(stdout(&output).trim(), "410", "{}", stderr(&output));
    assert_eq!(gone.arrival()["status"], json!(410));
}

#[test]
fn apprise_telegram_plugin_sends_to_the_telegram_sink() {
    let Some(peers) = Peers::find(SINK_PEERS) else {
        return;
    };
    let sink = Sink::start("telegram", &[]);
    // apprise has api.telegram.org built in; point its plugin at the sink.
    let output = peers.python_output(
        r#"
import sys, apprise
from apprise.plugins import telegram
telegram.NotifyTelegram.notify_url = sys.argv[1] + "/bot"
a = apprise.Apprise()
a.add("tgram://" + sys.argv[2] + "/42/?format=markdown")
print(bool(a.notify(title="Deploy", body="v1.2.3 is *out*")))
"#,
        &[&sink.base_url(), TOKEN],
    );
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
        !arrival.to_string().contains(TOKEN),
        "the bot token is masked: {arrival}"
    );
}
