//! End to end: the real `pushdeck sink apns` and `pushdeck sink fcm`, sent to by a client no one
//! here wrote (curl over HTTP/2) and by Pushdeck's own `send`, through a profile whose base URL
//! is the sink.
//!
//! Prepared before the sink core merged (not yet in tests/cli/main.rs). It assumes the core's
//! CLI as the sink brief gives it: `pushdeck sink PROVIDER --port N [--profile P] [--json]
//! [--answer REHEARSAL]` prints its setup lines (label and value) first, then with `--json` one
//! JSON object per arrival carrying at least `status` and `summary`; the TLS listener writes its
//! CA certificate (PEM) somewhere under the data dir. Adjust `Sink::start` and `Sink::ca` to the
//! core's names when merging.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command as Process, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::stand_ins::apns::{DEVICE, KEY_ID, SIGNING_KEY, TEAM_ID, TOPIC};
use crate::support::stand_ins::fcm::service_account_json;
use crate::support::{Keyring, Sandbox, closed_port, stdout, stdout_json};

const WAIT: Duration = Duration::from_secs(30);

/// A running `pushdeck sink`, its stdout read line by line on a thread.
struct Sink {
    child: Child,
    lines: Receiver<String>,
    port: u16,
    data_dir: PathBuf,
}

impl Sink {
    fn start(sandbox: &Sandbox, provider: &str, extra: &[&str]) -> Self {
        let port = closed_port();
        let mut child = Process::new(env!("CARGO_BIN_EXE_pushdeck"))
            .args(["sink", provider, "--port", &port.to_string(), "--json"])
            .args(extra)
            .env("PUSHDECK_CONFIG_DIR", sandbox.config_dir())
            .env("PUSHDECK_DATA_DIR", sandbox.data_dir())
            .env("PUSHDECK_CACHE_DIR", sandbox.cache_dir())
            .env("PUSHDECK_SIGNING_KEY_P8", SIGNING_KEY)
            .env("PUSHDECK_SERVICE_ACCOUNT_JSON", service_account_json())
            .env_remove("PUSHDECK_LOG")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("XDG_RUNTIME_DIR", sandbox.dir.path().join("runtime"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("pushdeck sink starts");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let sink = Self {
            child,
            lines,
            port,
            data_dir: sandbox.data_dir(),
        };
        sink.wait_for(|line| line.contains(&port.to_string()));
        sink
    }

    /// The first line `matches` accepts, waiting up to 30 s.
    fn wait_for(&self, matches: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if matches(&line) => return line,
                Ok(_) => {}
                Err(e) => panic!("the sink said nothing that matched ({e})"),
            }
        }
    }

    /// The next arrival the sink reported.
    fn arrival(&self) -> Value {
        let line = self.wait_for(|l| {
            serde_json::from_str::<Value>(l).is_ok_and(|v| v.get("status").is_some())
        });
        serde_json::from_str(&line).expect("a JSON line")
    }

    fn url(&self, scheme: &str) -> String {
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// The CA certificate the TLS listener wrote (the one PEM certificate under the data dir).
    fn ca(&self) -> PathBuf {
        fn walk(dir: &std::path::Path, found: &mut Vec<PathBuf>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, found);
                } else if std::fs::read_to_string(&path)
                    .is_ok_and(|t| t.contains("-----BEGIN CERTIFICATE-----"))
                {
                    found.push(path);
                }
            }
        }
        let mut found = Vec::new();
        walk(&self.data_dir, &mut found);
        found.pop().expect("the sink wrote its CA certificate")
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        // Ctrl-C, as a terminal sends it, to this child only.
        let _ = Process::new("bash")
            .args(["-c", &format!("kill -s INT {}", self.child.id())])
            .status();
        let _ = self.child.wait();
    }
}

fn apns_profile(sandbox: &Sandbox, name: &str, base_url: &str, ca: Option<&PathBuf>) {
    let mut settings = vec![
        ("key_id", KEY_ID.to_string()),
        ("team_id", TEAM_ID.to_string()),
        ("topic", TOPIC.to_string()),
        ("environment", "sandbox".to_string()),
    ];
    if let Some(ca) = ca {
        settings.push(("ca_certificates", ca.to_string_lossy().into_owned()));
    }
    let settings: Vec<(&str, &str)> = settings.iter().map(|(k, v)| (*k, v.as_str())).collect();
    sandbox.add_provider_profile(name, "apns", base_url, &settings);
}

/// `curl --http2` to the TLS sink: status line and body.
fn curl(sink: &Sink, args: &[&str]) -> String {
    let out = Process::new("curl")
        .args(["-sS", "--http2", "-i", "--cacert"])
        .arg(sink.ca())
        .args(args)
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn pushdecks_own_send_is_verified_and_accepted_by_the_apns_sink() {
    let sandbox = Sandbox::with(Keyring::None, None);
    apns_profile(&sandbox, "acme-ios", "https://api.push.apple.com", None);
    let sink = Sink::start(&sandbox, "apns", &["--profile", "acme-ios"]);
    apns_profile(&sandbox, "to-sink", &sink.url("https"), Some(&sink.ca()));
    let draft = sandbox.write(
        "push.json",
        &json!({"profile": "to-sink", "message": {"title": "Build 118", "body": "Passed"},
            "audience": {"device_tokens": [DEVICE]}})
        .to_string(),
    );
    let out = sandbox
        .cmd()
        .env("PUSHDECK_SIGNING_KEY_P8", SIGNING_KEY)
        .args(["send", "--json"])
        .arg(&draft)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(stdout_json(&out).to_string().contains("apns-id"));
    let seen = sink.arrival();
    assert_eq!(seen["status"], 200, "{seen}");
    assert!(
        seen.to_string().contains("Provider token verified"),
        "{seen}"
    );
}

/// A provider token signed now with the test `.p8` key, as a backend mints it.
fn provider_token() -> String {
    pushdeck::provider::jwt::install_crypto();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(KEY_ID.into());
    let key = jsonwebtoken::EncodingKey::from_ec_pem(SIGNING_KEY.as_bytes()).expect("key");
    let iat = time::OffsetDateTime::now_utc().unix_timestamp();
    jsonwebtoken::encode(&header, &json!({"iss": TEAM_ID, "iat": iat}), &key).expect("signs")
}

#[test]
fn curl_over_http2_gets_apples_answers() {
    let sandbox = Sandbox::with(Keyring::None, None);
    apns_profile(&sandbox, "acme-ios", "https://api.push.apple.com", None);
    let sink = Sink::start(&sandbox, "apns", &["--profile", "acme-ios"]);
    let url = format!("{}/3/device/{DEVICE}", sink.url("https"));
    let token = format!("authorization: bearer {}", provider_token());
    let topic = format!("apns-topic: {TOPIC}");
    let alert = r#"{"aps":{"alert":"hi"}}"#;
    let answer = curl(&sink, &["-H", &token, "-H", &topic, "-d", alert, &url]);
    assert!(answer.starts_with("HTTP/2 200"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("apns-id: "),
        "{answer}"
    );
    assert_eq!(sink.arrival()["status"], 200);
    // Signed by a key that is not the profile's: the signature of another token.
    let forged = format!(
        "{}.AAAA",
        provider_token().rsplit_once('.').expect("a JWT").0
    );
    let forged = format!("authorization: bearer {forged}");
    let answer = curl(&sink, &["-H", &forged, "-H", &topic, "-d", alert, &url]);
    assert!(answer.starts_with("HTTP/2 403"), "{answer}");
    assert!(
        answer.contains(r#"{"reason":"InvalidProviderToken"}"#),
        "{answer}"
    );
    assert_eq!(sink.arrival()["status"], 403);
    let answer = curl(&sink, &["-H", &topic, "-d", alert, &url]);
    assert!(answer.contains("MissingProviderToken"), "{answer}");
    let answer = curl(&sink, &["-H", &token, "-d", alert, &url]);
    assert!(
        answer.starts_with("HTTP/2 400") && answer.contains("MissingTopic"),
        "{answer}"
    );
    let big = json!({"aps": {"alert": "x"}, "pad": "x".repeat(5000)}).to_string();
    let answer = curl(&sink, &["-H", &token, "-H", &topic, "-d", &big, &url]);
    assert!(
        answer.starts_with("HTTP/2 413") && answer.contains("PayloadTooLarge"),
        "{answer}"
    );
    // HTTP/1.1: APNs speaks HTTP/2 only.
    let answer = curl(
        &sink,
        &["--http1.1", "-H", &token, "-H", &topic, "-d", alert, &url],
    );
    assert!(!answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[test]
fn a_rehearsal_answers_curl_with_apples_410() {
    let sandbox = Sandbox::with(Keyring::None, None);
    let sink = Sink::start(&sandbox, "apns", &["--answer", "unregistered"]);
    let url = format!("{}/3/device/{DEVICE}", sink.url("https"));
    let answer = curl(
        &sink,
        &[
            "-H",
            &format!("authorization: bearer {}", provider_token()),
            "-H",
            &format!("apns-topic: {TOPIC}"),
            "-d",
            r#"{"aps":{"alert":"hi"}}"#,
            &url,
        ],
    );
    assert!(answer.starts_with("HTTP/2 410"), "{answer}");
    assert!(
        answer.contains(r#""reason":"Unregistered","timestamp":"#),
        "{answer}"
    );
    let seen = sink.arrival();
    assert!(
        seen.to_string().contains("not verified"),
        "no --profile: {seen}"
    );
}

#[test]
fn pushdecks_own_fcm_send_goes_through_the_sinks_token_endpoint() {
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile("acme-fcm", "fcm", "https://fcm.googleapis.com", &[]);
    let sink = Sink::start(&sandbox, "fcm", &["--profile", "acme-fcm"]);
    sandbox.add_provider_profile("to-sink", "fcm", &sink.url("http"), &[]);
    let draft = sandbox.write(
        "fcm.json",
        &json!({"profile": "to-sink", "message": {"title": "Build 118", "body": "Passed"},
            "audience": {"tokens": ["eXaMpLeToKeN:APA91bHun4MxP5egoKMwt2KZFBaFUH"]}})
        .to_string(),
    );
    let out = sandbox
        .cmd()
        .env("PUSHDECK_SERVICE_ACCOUNT_JSON", service_account_json())
        .args(["send", "--json"])
        .arg(&draft)
        .output()
        .expect("runs");
    assert!(out.status.success(), "{}", stdout(&out));
    let grant = sink.arrival();
    assert_eq!(grant["status"], 200, "the token request first: {grant}");
    let send = sink.arrival();
    assert_eq!(send["status"], 200, "{send}");
    assert!(send.to_string().contains("projects/acme-push/messages/"));
}
