//! End to end: `pushdeck sink sns|azure|onesignal` (the real binary) receiving what Pushdeck's
//! own `send` and an independent client (botocore, from the peers' venv) send, and answering as
//! the provider does: a verified signature is accepted, a wrong key is refused with the
//! provider's error, a rehearsal's error reaches the sender.
//!
//! NOT YET IN tests/cli/main.rs: it needs the sink core (`pushdeck sink`, branch sink-core). When
//! it is merged, add `mod sink_rest;` there; the only assumption here about the core is in
//! [`Sink::start`]: `pushdeck sink PROVIDER --port N [--profile P] [--answer R]` listens on
//! 127.0.0.1:N until it is stopped, and prints one line per arrival (its summary) on stdout.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as Process, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::support::{Keyring, Sandbox, assert_exit_output, stdout_json};

const SNS_KEY_ID: &str = "AKIDEXAMPLE";
const SNS_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:Builds";
const AZURE_KEY: &str = "SinkKeyNotReal0123456789+/abcdefghijklmnop=";
const ONESIGNAL_APP: &str = "8a7b3c2d-1e0f-4a5b-9c8d-944455556666";
const ONESIGNAL_KEY: &str = "os_v2_app_sink5ecretkey0123456789abcdefghijklmnopq";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A running `pushdeck sink`, stopped (and its output read) on `stop` or drop.
struct Sink {
    child: Option<Child>,
    base_url: String,
}

impl Sink {
    /// `pushdeck sink PROVIDER --port PORT ARGS…` with the sandbox's environment and `env`
    /// (the profile's secrets, as `PUSHDECK_<FIELD>`), once it accepts connections.
    fn start(
        sandbox: &Sandbox,
        port: u16,
        provider: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Sink {
        let mut command = Process::new(env!("CARGO_BIN_EXE_pushdeck"));
        command
            .args(["sink", provider, "--port", &port.to_string()])
            .args(args)
            .env("PUSHDECK_CONFIG_DIR", sandbox.config_dir())
            .env("PUSHDECK_DATA_DIR", sandbox.data_dir())
            .env("PUSHDECK_CACHE_DIR", sandbox.cache_dir())
            .env_remove("PUSHDECK_LOG")
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env("XDG_RUNTIME_DIR", sandbox.dir.path().join("runtime"))
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("pushdeck sink starts");
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                let output = child.wait_with_output().expect("its output");
                panic!(
                    "pushdeck sink {provider} exited ({status}) before listening: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "pushdeck sink {provider} never listened on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Sink {
            child: Some(child),
            base_url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Stops the sink (as Ctrl-C does) and returns what it printed.
    fn stop(mut self) -> Output {
        let child = self.child.take().expect("running");
        let interrupt = Process::new("bash")
            .args(["-c", &format!("kill -s INT {}", child.id())])
            .status()
            .expect("kill runs");
        assert!(interrupt.success());
        child.wait_with_output().expect("the sink's output")
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn send(sandbox: &Sandbox, env: &[(&str, &str)], draft: Value) -> Output {
    let path = sandbox.write("draft.json", &draft.to_string());
    let mut cmd = sandbox.cmd();
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.args(["send", "--json"])
        .arg(path)
        .output()
        .expect("pushdeck send runs")
}

fn outcome(output: &Output) -> Value {
    let doc = stdout_json(output);
    doc.get("results")
        .and_then(|r| r.get(0))
        .cloned()
        .unwrap_or(doc)
}

// --- SNS ----------------------------------------------------------------------------------------

/// The sink with the `aws` profile, which points at it.
fn sns_sink(args: &[&str]) -> (Sink, Sandbox) {
    let port = free_port();
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile(
        "aws",
        "sns",
        &format!("http://127.0.0.1:{port}"),
        &[("region", "us-east-1"), ("access_key_id", SNS_KEY_ID)],
    );
    let mut all = vec!["--profile", "aws"];
    all.extend_from_slice(args);
    let sink = Sink::start(
        &sandbox,
        port,
        "sns",
        &all,
        &[("PUSHDECK_SECRET_ACCESS_KEY", SNS_SECRET)],
    );
    (sink, sandbox)
}

#[test]
fn sns_pushdecks_publish_is_verified_by_the_sink() {
    let (sink, sandbox) = sns_sink(&[]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_SECRET_ACCESS_KEY", SNS_SECRET)],
        json!({"profile": "aws", "message": {"title": "CI", "body": "Build 118 passed"},
               "audience": {"topic_arn": TOPIC}}),
    );
    assert_exit_output(&out, 0);
    assert!(
        outcome(&out).to_string().contains("Published"),
        "{}",
        outcome(&out)
    );
    let printed = sink.stop();
    assert!(
        String::from_utf8_lossy(&printed.stdout).contains("Publish to topic “Builds”"),
        "{}",
        String::from_utf8_lossy(&printed.stdout)
    );
}

#[test]
fn sns_a_wrong_secret_is_signature_does_not_match() {
    let (_sink, sandbox) = sns_sink(&[]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_SECRET_ACCESS_KEY", "not/the/secret")],
        json!({"profile": "aws", "message": {"body": "hi"}, "audience": {"topic_arn": TOPIC}}),
    );
    assert!(
        outcome(&out).to_string().contains("SignatureDoesNotMatch"),
        "{}",
        outcome(&out)
    );
}

#[test]
fn sns_a_rehearsal_reaches_the_sender() {
    let (_sink, sandbox) = sns_sink(&["--answer", "not-found"]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_SECRET_ACCESS_KEY", SNS_SECRET)],
        json!({"profile": "aws", "message": {"body": "hi"}, "audience": {"topic_arn": TOPIC}}),
    );
    let text = outcome(&out).to_string();
    assert!(text.contains("NotFound") && text.contains("404"), "{text}");
}

/// The peers' Python (scripts/install-peers), when botocore is installed in it.
fn botocore_python() -> Option<PathBuf> {
    let dir = std::env::var_os("PUSHDECK_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers"));
    let python = dir.join("venv/bin/python");
    let ok = Process::new(&python)
        .args(["-c", "import botocore"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(python);
    }
    assert!(
        std::env::var_os("PUSHDECK_REQUIRE_PEERS").is_none(),
        "PUSHDECK_REQUIRE_PEERS is set but botocore is missing from {}: run scripts/install-peers",
        python.display()
    );
    eprintln!("SKIPPED: botocore is not installed; run scripts/install-peers");
    None
}

fn botocore_publish(python: &Path, endpoint: &str, secret: &str) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/sns_publish.py");
    let out = Process::new(python)
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
fn sns_botocore_publishes_to_the_sink() {
    let Some(python) = botocore_python() else {
        return;
    };
    let (sink, _sandbox) = sns_sink(&[]);
    let accepted = botocore_publish(&python, &sink.base_url, SNS_SECRET);
    assert!(accepted["message_id"].is_string(), "{accepted}");
    let refused = botocore_publish(&python, &sink.base_url, "not/the/secret");
    assert_eq!(refused["code"], "SignatureDoesNotMatch", "{refused}");
    assert_eq!(refused["status"], 403);
}

// --- Azure Notification Hubs ----------------------------------------------------------------------

fn azure_connection() -> String {
    format!(
        "Endpoint=sb://sink-ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey={AZURE_KEY}"
    )
}

fn azure_sink(args: &[&str]) -> (Sink, Sandbox) {
    let port = free_port();
    let sandbox = Sandbox::with(Keyring::None, None);
    let base = format!("http://127.0.0.1:{port}");
    sandbox.add_provider_profile("hub", "azure", &base, &[("hub", "acme-hub")]);
    let mut all = vec!["--profile", "hub"];
    all.extend_from_slice(args);
    let connection = azure_connection();
    let sink = Sink::start(
        &sandbox,
        port,
        "azure",
        &all,
        &[("PUSHDECK_CONNECTION_STRING", &connection)],
    );
    (sink, sandbox)
}

#[test]
fn azure_pushdecks_send_is_verified_by_the_sink() {
    let (_sink, sandbox) = azure_sink(&[]);
    let connection = azure_connection();
    let out = send(
        &sandbox,
        &[("PUSHDECK_CONNECTION_STRING", &connection)],
        json!({"profile": "hub", "message": {"title": "Sale", "body": "50% off"},
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
}

#[test]
fn azure_another_key_is_refused_401() {
    let (_sink, sandbox) = azure_sink(&[]);
    let wrong = azure_connection().replace(AZURE_KEY, "AnotherKeyNotReal0123456789+/abcdefghijk=");
    let out = send(
        &sandbox,
        &[("PUSHDECK_CONNECTION_STRING", &wrong)],
        json!({"profile": "hub", "message": {"body": "hi"}, "audience": {"tags": ["vip"]}}),
    );
    assert!(
        outcome(&out).to_string().contains("401"),
        "{}",
        outcome(&out)
    );
}

// --- OneSignal ------------------------------------------------------------------------------------

fn onesignal_sink(args: &[&str]) -> (Sink, Sandbox) {
    let port = free_port();
    let sandbox = Sandbox::with(Keyring::None, None);
    let base = format!("http://127.0.0.1:{port}");
    sandbox.add_provider_profile("os", "onesignal", &base, &[("app_id", ONESIGNAL_APP)]);
    let mut all = vec!["--profile", "os"];
    all.extend_from_slice(args);
    let sink = Sink::start(
        &sandbox,
        port,
        "onesignal",
        &all,
        &[("PUSHDECK_API_KEY", ONESIGNAL_KEY)],
    );
    (sink, sandbox)
}

fn onesignal_draft() -> Value {
    json!({"profile": "os", "message": {"title": "Sale", "body": "50% off"},
           "audience": {"segments": ["Active Users"]}})
}

#[test]
fn onesignal_pushdecks_send_is_checked_by_the_sink() {
    let (_sink, sandbox) = onesignal_sink(&[]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_API_KEY", ONESIGNAL_KEY)],
        onesignal_draft(),
    );
    assert_exit_output(&out, 0);
    assert!(
        outcome(&out).to_string().contains("Sent: notification"),
        "{}",
        outcome(&out)
    );
}

#[test]
fn onesignal_another_key_is_access_denied() {
    let (_sink, sandbox) = onesignal_sink(&[]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_API_KEY", "os_v2_app_wrongwrongwrong")],
        onesignal_draft(),
    );
    assert!(
        outcome(&out)
            .to_string()
            .contains("refused the API key (403)"),
        "{}",
        outcome(&out)
    );
}

#[test]
fn onesignal_no_recipients_is_nothing_created() {
    let (_sink, sandbox) = onesignal_sink(&["--answer", "no-recipients"]);
    let out = send(
        &sandbox,
        &[("PUSHDECK_API_KEY", ONESIGNAL_KEY)],
        onesignal_draft(),
    );
    assert!(
        outcome(&out).to_string().contains("created nothing"),
        "{}",
        outcome(&out)
    );
}
