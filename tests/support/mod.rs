//! What every test binary shares: a sandbox that runs the real `pushdeck` binary with its folders
//! in a temporary directory, the local stand-ins of the providers (`stand_ins/`), a server that
//! misbehaves on purpose (`fault_server`), and helpers for driving the window (`window`).
//!
//! Included by each binary as `#[path = "../support/mod.rs"] mod support;`; a binary uses only
//! part of it, hence the `dead_code` allowance.

#![allow(dead_code)]

pub mod fault_server;
pub mod forward_proxy;
pub mod peers;
pub mod redis;
pub mod stand_ins;
pub mod tls;
pub mod window;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

#[allow(unused_imports)] // not every binary uses the OneSignal stand-in
pub use stand_ins::onesignal::{
    ACCESS_DENIED, API_KEY, APP_ID, OneSignalStandIn, Scenario, WRONG_KEY, notification_problems,
};

/// A loopback port where nothing listens (connection refused).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

/// How the sandboxed binary reaches secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyring {
    /// No session bus at all: the keyring probe fails fast, secrets come from `PUSHDECK_<FIELD>`.
    None,
    /// The session bus (and Secret Service) of the environment the tests run in.
    Real,
}

/// Config, data and cache folders in a temporary directory, and a way to run `pushdeck` there.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub keyring: Keyring,
    /// Given to the binary as `PUSHDECK_API_KEY` when set.
    pub env_key: Option<String>,
}

impl Sandbox {
    /// No keyring; the key comes from `PUSHDECK_API_KEY`.
    pub fn new() -> Self {
        Self::with(Keyring::None, Some(API_KEY.to_string()))
    }

    pub fn with(keyring: Keyring, env_key: Option<String>) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("pushdeck-test-")
            .tempdir()
            .expect("tempdir");
        for sub in ["config", "data", "cache", "runtime"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("mkdir");
        }
        Self {
            dir,
            keyring,
            env_key,
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// `pushdeck` with this sandbox's folders and secrets; fails after 60 s rather than hanging.
    pub fn cmd(&self) -> assert_cmd::Command {
        self.cmd_of(env!("CARGO_BIN_EXE_pushdeck"))
    }

    /// PROGRAM (e.g. `sh`) with the environment [`Sandbox::cmd`] gives `pushdeck`.
    pub fn cmd_of(&self, program: impl AsRef<std::ffi::OsStr>) -> assert_cmd::Command {
        let mut cmd = assert_cmd::Command::new(program);
        cmd.env("PUSHDECK_CONFIG_DIR", self.config_dir())
            .env("PUSHDECK_DATA_DIR", self.data_dir())
            .env("PUSHDECK_CACHE_DIR", self.cache_dir())
            .env_remove("PUSHDECK_API_KEY")
            .env_remove("PUSHDECK_LOG")
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(60));
        if self.keyring == Keyring::None {
            // Neither the session bus address nor the default `$XDG_RUNTIME_DIR/bus` leads to a
            // bus, so these runs never touch a real keyring.
            cmd.env_remove("DBUS_SESSION_BUS_ADDRESS")
                .env("XDG_RUNTIME_DIR", self.dir.path().join("runtime"));
        }
        if let Some(key) = &self.env_key {
            cmd.env("PUSHDECK_API_KEY", key);
        }
        cmd
    }

    /// Runs `pushdeck ARGS` to the end: its output, whatever the exit status.
    pub fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).output().expect("runs")
    }

    /// Runs `pushdeck ARGS DRAFT`, DRAFT being [`Sandbox::draft`] for `profile`.
    pub fn run_draft(&self, args: &[&str], profile: &str) -> std::process::Output {
        self.cmd()
            .args(args)
            .arg(self.draft(profile))
            .output()
            .expect("runs")
    }

    /// `pushdeck profile add NAME --provider PROVIDER --base-url URL [--set KEY=VALUE]…`.
    pub fn add_provider_profile(
        &self,
        name: &str,
        provider: &str,
        base_url: &str,
        settings: &[(&str, &str)],
    ) {
        self.add_profile_at(name, provider, Some(base_url), settings);
    }

    /// `pushdeck profile add NAME --provider PROVIDER [--base-url URL] [--set KEY=VALUE]…`, which
    /// must succeed.
    pub fn add_profile_at(
        &self,
        name: &str,
        provider: &str,
        base_url: Option<&str>,
        settings: &[(&str, &str)],
    ) {
        let mut cmd = self.cmd();
        cmd.args(["profile", "add", name, "--provider", provider]);
        if let Some(url) = base_url {
            cmd.args(["--base-url", url]);
        }
        for (key, value) in settings {
            cmd.arg("--set").arg(format!("{key}={value}"));
        }
        cmd.assert().success();
    }

    /// `pushdeck profile add NAME --provider onesignal --base-url URL --set app_id=APP_ID`.
    pub fn add_profile(&self, name: &str, base_url: &str) {
        self.add_provider_profile(name, "onesignal", base_url, &[("app_id", APP_ID)]);
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    /// A draft to a segment, as a file.
    pub fn draft(&self, profile: &str) -> PathBuf {
        self.write("draft.json", &draft_json(profile).to_string())
    }

    /// Every file under the config, data and cache folders whose bytes contain `needle`.
    pub fn files_containing(&self, needle: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for dir in [self.config_dir(), self.data_dir(), self.cache_dir()] {
            walk(&dir, &mut |path| {
                let bytes = std::fs::read(path).unwrap_or_default();
                if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
                    found.push(path.to_path_buf());
                }
            });
        }
        found
    }

    /// How many files the sandbox folders hold (to show a check did look at something).
    pub fn file_count(&self) -> usize {
        let mut n = 0;
        for dir in [self.config_dir(), self.data_dir(), self.cache_dir()] {
            walk(&dir, &mut |_| n += 1);
        }
        n
    }
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

fn walk(dir: &Path, visit: &mut dyn FnMut(&Path)) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, visit);
        } else {
            visit(&path);
        }
    }
}

/// A complete OneSignal draft: title, body, link, buttons, data, a segment and a TTL.
pub fn draft_json(profile: &str) -> Value {
    json!({
        "profile": profile,
        "message": {
            "title": "Flash sale",
            "body": "50% off everything until midnight",
            "url": "https://example.com/sale",
            "image": "https://example.com/banner.png",
            "buttons": [{"id": "shop", "label": "Shop now", "url": "https://example.com/shop"}],
            "data": {"campaign": "fall-2026"},
            "translations": {"fr": {"title": "Vente flash", "body": "-50 % jusqu'à minuit"}}
        },
        "audience": {"segments": ["Active Users"]},
        "options": {"ttl": 3600, "priority": "high"}
    })
}

/// Standard output parsed as the one JSON document `--json` prints.
pub fn stdout_json(output: &std::process::Output) -> Value {
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("stdout is not one JSON document ({e}):\n{text}"))
}

pub fn stdout(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails unless the run exited with `code`, showing its standard error.
#[track_caller]
pub fn assert_exit(output: &std::process::Output, code: i32) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
}

/// Fails unless the run exited with `code`, showing its standard output and error.
#[track_caller]
pub fn assert_exit_output(output: &std::process::Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "{}{}",
        stdout(output),
        stderr(output)
    );
}

/// A provider's CLI set-up: a sandbox, and the `pushdeck` command with the provider's secrets in
/// its environment.
pub trait CliSetup {
    fn sandbox(&self) -> &Sandbox;

    fn cmd(&self) -> assert_cmd::Command;

    /// `pushdeck ARGS`.
    fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).output().expect("runs")
    }

    /// `pushdeck ARGS DRAFT`, the draft written from `draft` as `draft.json`.
    fn run_draft(&self, args: &[&str], draft: Value) -> std::process::Output {
        let path = self.sandbox().write("draft.json", &draft.to_string());
        self.cmd().args(args).arg(path).output().expect("runs")
    }
}

/// Fails unless the run exited with `code` and its standard output says every one of `words`.
#[track_caller]
pub fn assert_says(output: &std::process::Output, code: i32, words: &[&str]) {
    assert_exit_output(output, code);
    let text = stdout(output);
    for w in words {
        assert!(text.contains(w), "stdout should say `{w}`: {text}");
    }
}

/// Fails unless the run exited with `code` and its standard error says every one of `words`.
#[track_caller]
pub fn assert_complains(output: &std::process::Output, code: i32, words: &[&str]) {
    assert_exit_output(output, code);
    let err = stderr(output);
    for w in words {
        assert!(err.contains(w), "stderr should say `{w}`: {err}");
    }
}

/// Bad input: exit status 2 and one line on standard error that says every one of `words`.
#[track_caller]
pub fn assert_bad_input(output: &std::process::Output, words: &[&str]) {
    assert_complains(output, 2, words);
    let err = stderr(output);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
}

/// The one result of a `--json` run.
#[track_caller]
pub fn only_result(doc: &Value) -> &Value {
    let results = doc["results"].as_array().expect("results is a list");
    assert_eq!(results.len(), 1, "{doc:#}");
    &results[0]
}

/// A header of a request as `--json` prints it (`"headers": [[name, value], …]`), by name in any
/// case.
pub fn request_header<'a>(request: &'a Value, name: &str) -> Option<&'a str> {
    request["headers"]
        .as_array()?
        .iter()
        .find(|h| h[0].as_str().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        .and_then(|h| h[1].as_str())
}

/// Runs a future to completion on a runtime of its own.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
        .block_on(future)
}

/// Everything under `dir` that a run wrote, as text (to look for a secret in any file).
pub fn everything_on_disk(dir: &Path) -> String {
    let mut text = String::new();
    walk(dir, &mut |path| {
        if let Ok(bytes) = std::fs::read(path) {
            text.push_str(&String::from_utf8_lossy(&bytes));
        }
    });
    text
}

/// Turns the finished send `id` into the journal it would have left had it been killed after the
/// first recipient's answer, with the requests `in_doubt` (prepared indices) started on the wire
/// and never answered: written with the store's own journal, as the engine writes it. The
/// journal's id.
pub fn interrupt_after_first(
    history: &pushdeck::store::HistoryStore,
    id: &str,
    in_doubt: &[usize],
) -> String {
    let sent = history.get(id).expect("reads").expect("kept");
    let header = pushdeck::store::JournalHeader {
        id: pushdeck::store::HistoryStore::new_id(),
        at: sent.at.clone(),
        provider: sent.provider.clone(),
        profile: sent.profile.clone(),
        audience: sent.audience.clone(),
        draft: sent.draft.clone().into(),
        total: sent.recipient_count(),
        recipients: sent.recipients.clone(),
        recipient_count: sent.recipient_count,
        recipients_digest: sent.recipients_digest.clone(),
        source: None,
        carried: Vec::new(),
        carried_in_doubt: Vec::new(),
        resumes: None,
    };
    let journal = history.start_journal(&header).expect("journal");
    journal.started(0);
    for i in in_doubt {
        journal.started(*i);
    }
    let first = &sent.results[0];
    journal.record(Some(0), &[], &first.exchange, &first.outcome);
    drop(journal);
    history.delete(id).expect("delete");
    header.id
}
