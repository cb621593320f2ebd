//! A running `pushdeck sink PROVIDER --json` for the sink's end-to-end tests (sink.rs,
//! sink_apns.rs, sink_rest.rs, sink_apprise.rs, sink_peers_wp.rs): the setup line read first,
//! then one JSON line per arrival. The peers the independent clients come from (target/peers)
//! are required here, never skipped: scripts/test installs them with scripts/install-peers.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command as Process, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::Value;

use crate::support::peers::Peers;
use crate::support::{Keyring, Sandbox};

const WAIT: Duration = Duration::from_secs(30);

pub struct Sink {
    child: Option<Child>,
    lines: Receiver<String>,
    pub setup: Value,
}

impl Sink {
    /// `pushdeck sink PROVIDER --json ARGS…` in the sandbox (on any free port unless ARGS name
    /// `--port` or `--listen`), with `env` (a profile's secrets as `PUSHDECK_<FIELD>`), once it
    /// has printed its setup line. Without the sandbox's keyring, no keyring at all.
    pub fn start(sandbox: &Sandbox, provider: &str, args: &[&str], env: &[(&str, &str)]) -> Sink {
        let mut cmd = Process::new(env!("CARGO_BIN_EXE_pushdeck"));
        cmd.args(["sink", provider, "--json"]);
        if !args.iter().any(|a| *a == "--port" || *a == "--listen") {
            cmd.args(["--port", "0"]);
        }
        cmd.args(args)
            .env("PUSHDECK_CONFIG_DIR", sandbox.config_dir())
            .env("PUSHDECK_DATA_DIR", sandbox.data_dir())
            .env("PUSHDECK_CACHE_DIR", sandbox.cache_dir())
            .env_remove("PUSHDECK_LOG")
            .env_remove("PUSHDECK_ACCESS_TOKEN")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if sandbox.keyring == Keyring::None {
            cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
                .env("XDG_RUNTIME_DIR", sandbox.dir.path().join("runtime"));
        }
        for (name, value) in env {
            cmd.env(name, value);
        }
        let mut child = cmd.spawn().expect("pushdeck sink starts");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let Ok(first) = lines.recv_timeout(WAIT) else {
            let _ = child.kill();
            let output = child.wait_with_output().expect("its output");
            panic!(
                "pushdeck sink {provider} printed no setup line: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let setup: Value = serde_json::from_str(&first).expect("the setup line is JSON");
        assert_eq!(setup["event"], "setup", "{setup}");
        Sink {
            child: Some(child),
            lines,
            setup,
        }
    }

    pub fn base_url(&self) -> String {
        self.setup["base_url"]
            .as_str()
            .expect("base_url")
            .to_string()
    }

    /// The host:port the sink listens on.
    pub fn authority(&self) -> String {
        self.setup["listen"].as_str().expect("listen").to_string()
    }

    /// The local CA's certificate a TLS sink serves from.
    pub fn ca(&self) -> PathBuf {
        PathBuf::from(
            self.setup["ca_file"]
                .as_str()
                .unwrap_or_else(|| panic!("a TLS sink names its CA file: {}", self.setup)),
        )
    }

    /// The first line the sink wrote to standard error.
    pub fn stderr_line(&mut self) -> String {
        let child = self.child.as_mut().expect("running");
        let mut reader = BufReader::new(child.stderr.take().expect("stderr"));
        let mut line = String::new();
        reader.read_line(&mut line).expect("a line on stderr");
        line
    }

    /// The next arrival line.
    pub fn arrival(&self) -> Value {
        let line = self
            .lines
            .recv_timeout(WAIT)
            .expect("the sink reports an arrival within 30 s");
        let v: Value = serde_json::from_str(&line).expect("arrival lines are JSON");
        assert_eq!(v["event"], "arrival", "{v}");
        v
    }

    /// Ctrl-C, then the lines it printed after and how it ended.
    pub fn stop(mut self) -> (Output, Vec<Value>) {
        let child = self.child.take().expect("running");
        let kill = Process::new("bash")
            .args(["-c", &format!("kill -s INT {}", child.id())])
            .status()
            .expect("kill runs");
        assert!(kill.success());
        let rest: Vec<Value> = std::iter::from_fn(|| self.lines.recv_timeout(WAIT).ok())
            .map(|l| serde_json::from_str(&l).expect("JSON line"))
            .collect();
        let out = child.wait_with_output().expect("exits");
        (out, rest)
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

/// The texts of an arrival's findings at `level` (ok, warn, fail), one a line.
pub fn findings(arrival: &Value, level: &str) -> String {
    arrival["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["level"] == level)
        .filter_map(|f| f["text"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The response body the sink answered, as JSON.
pub fn answered(arrival: &Value) -> Value {
    let body = arrival["exchange"]["response"]["body"]
        .as_str()
        .unwrap_or_else(|| panic!("a response body: {arrival}"));
    serde_json::from_str(body).unwrap_or_else(|e| panic!("a JSON body ({e}): {body}"))
}

/// The peers (target/peers) with the files in `needs`; missing ones fail the test: they are part
/// of what is tested.
pub fn peers(needs: &[&str]) -> Peers {
    Peers::find(needs).unwrap_or_else(|| {
        panic!("the independent clients are missing: run scripts/install-peers (scripts/test does)")
    })
}

/// `pushdeck send --json DRAFT` in the sandbox with `env` (the profile's secrets).
pub fn send(sandbox: &Sandbox, env: &[(&str, &str)], draft: &Value) -> Output {
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

/// A sink started with `--profile NAME` (whose secret comes from `env`), the profile then
/// pointed at the sink for Pushdeck's own sends.
pub fn sink_with_profile(
    provider: &str,
    profile: &str,
    settings: &[(&str, &str)],
    args: &[&str],
    env: &[(&str, &str)],
) -> (Sink, Sandbox) {
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile(profile, provider, "http://127.0.0.1:1", settings);
    let mut all = vec!["--profile", profile];
    all.extend_from_slice(args);
    let sink = Sink::start(&sandbox, provider, &all, env);
    sandbox.add_provider_profile(profile, provider, &sink.base_url(), settings);
    (sink, sandbox)
}
