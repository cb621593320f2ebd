//! Crash safety and concurrency of the files Pushdeck writes.
//!
//! `killed_at_random_points_nothing_reported_is_lost`: starts a writer, kills it with SIGKILL after
//! a random delay, and checks that every file under the config and data folders still parses and
//! that every write the process reported as done (printed before the kill) is there. The writers
//! take turns: the real CLI adding profiles with growing settings, the real CLI sending to a local
//! ntfy stand-in (history), and a library writer (this test binary run again as a child) that
//! saves drafts, templates, recent-draft settings, history entries and profiles in a loop.
//! `PUSHDECK_CRASH_KILLS` sets the number of runs (default 30); `scripts/crash-test` runs hundreds.
//! `PUSHDECK_CRASH_SEED` replays a sequence of delays.
//!
//! `two_processes_adding_profiles_at_once_lose_nothing`: two CLI processes add different profiles
//! to the same store at the same time, many times; afterwards all are there and the file parses.

#[path = "support/mod.rs"]
mod support;
use support as common;
use support::stand_ins::ntfy as stand_in;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Sandbox;
use pushdeck::draft::Draft;
use pushdeck::store::library::{Templates, recent_drafts, remember_draft};
use pushdeck::store::{HistoryEntry, HistoryStore, Paths, Profile, ProfileStore, write_atomic};
use serde_json::json;
use stand_in::NtfyStandIn;

const CHILD_ENV: &str = "PUSHDECK_DURABILITY_CHILD";
const CHILD_START_ENV: &str = "PUSHDECK_DURABILITY_START";
const DEFAULT_KILLS: usize = 30;

/// A small deterministic generator for the delays (xorshift64*), seeded per run and printed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

// ---------------------------------------------------------------------------------------------
// The library writer: this binary, run again with CHILD_ENV set, writes until it is killed.

fn growing_draft(i: usize) -> Draft {
    Draft::from_json(
        &json!({
            "profile": format!("lib-{i}"),
            "message": {"title": format!("Draft {i}"), "body": "x".repeat(200 + 40 * (i % 500))},
            "audience": {"topic": "ci"}
        })
        .to_string(),
    )
    .expect("a valid draft")
}

fn history_entry(id: String, i: usize) -> HistoryEntry {
    HistoryEntry {
        id,
        at: "2026-11-24T10:00:00Z".into(),
        provider: "ntfy".into(),
        profile: format!("lib-{i}"),
        audience: "topic “ci”".into(),
        draft: growing_draft(i),
        results: Vec::new(),
        ..HistoryEntry::default()
    }
}

/// Not a test of its own: the writer process that `killed_at_random_points…` starts and kills.
/// Without `PUSHDECK_DURABILITY_CHILD` it returns at once.
#[test]
fn writer_process_for_the_crash_test() {
    let Some(root) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let start: usize = std::env::var(CHILD_START_ENV)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let paths = Paths::under(Path::new(&root));
    let history = HistoryStore::new(paths.history_dir());
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles open");
    for i in start.. {
        let draft = growing_draft(i);
        let draft_path = paths.drafts_dir().join(format!("d{i}.json"));
        write_atomic(&draft_path, draft.to_json_pretty().as_bytes()).expect("draft saved");
        println!("DONE draft d{i}");
        remember_draft(&paths.settings_file(), &draft_path).expect("recent saved");
        println!("DONE recent d{i}");
        Templates::new(&paths.data, "ntfy")
            .save(&format!("t{i}"), &draft)
            .expect("template saved");
        println!("DONE template t{i}");
        let id = HistoryStore::new_id();
        history
            .add(&history_entry(id.clone(), i))
            .expect("history saved");
        println!("DONE history {id}");
        let mut profile = Profile::new(&format!("lib-{i}"), "ntfy");
        profile.base_url = Some(format!("http://127.0.0.1:{}", 1024 + i % 60000));
        profiles.upsert(profile).expect("profile saved");
        println!("DONE profile lib-{i}");
    }
}

// ---------------------------------------------------------------------------------------------
// What the writers reported, and the checks.

#[derive(Default)]
struct Reported {
    profiles: BTreeSet<String>,
    history: BTreeSet<String>,
    drafts: BTreeSet<String>,
    templates: BTreeSet<String>,
    /// The last recent-draft path reported by the last library writer run.
    last_recent: Option<String>,
}

impl Reported {
    /// Reads the lines a writer printed before it died (a torn last line is ignored).
    fn take(&mut self, output: &str) {
        for line in output.lines() {
            if let Some(rest) = line.strip_prefix("Saved profile ") {
                if let Some((name, _)) = rest.split_once(" (") {
                    self.profiles.insert(name.to_string());
                }
            } else if let Some(rest) = line.strip_prefix("Saved to history as ") {
                if let Some((id, _)) = rest.split_once(" (") {
                    self.history.insert(id.to_string());
                }
            } else if let Some(rest) = line.strip_prefix("DONE ") {
                match rest.split_once(' ') {
                    Some(("draft", d)) => {
                        self.drafts.insert(d.to_string());
                    }
                    Some(("recent", d)) => self.last_recent = Some(d.to_string()),
                    Some(("template", t)) => {
                        self.templates.insert(t.to_string());
                    }
                    Some(("history", id)) => {
                        self.history.insert(id.to_string());
                    }
                    Some(("profile", p)) => {
                        self.profiles.insert(p.to_string());
                    }
                    _ => {}
                }
            }
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Every file parses (leftover temporary files of a killed write aside, which nothing reads), and
/// everything reported is there. Returns the number of leftover temporary files.
fn verify(paths: &Paths, reported: &Reported) -> usize {
    let mut files = Vec::new();
    walk(&paths.config, &mut files);
    walk(&paths.data, &mut files);
    let mut leftovers = 0;
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        assert!(
            !name.contains(".corrupt-"),
            "a file was found corrupt: {}",
            file.display()
        );
        if name == "profiles.lock" {
            continue;
        }
        if name.starts_with(".pushdeck-") && name.ends_with(".tmp") {
            leftovers += 1;
            continue;
        }
        let bytes = std::fs::read(file).expect("read");
        if name.ends_with(".journal") {
            check_journal(file, &bytes);
            continue;
        }
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(&bytes) {
            panic!("{} does not parse after a kill: {e}", file.display());
        }
    }
    let store = ProfileStore::open(paths.profiles_file()).expect("profiles open");
    assert!(store.warning.is_none(), "{:?}", store.warning);
    for name in &reported.profiles {
        assert!(
            store.get(name).is_some(),
            "profile {name} was reported saved but is missing"
        );
    }
    let history = HistoryStore::new(paths.history_dir());
    for id in &reported.history {
        match history.get(id) {
            Ok(Some(_)) => {}
            other => panic!("history {id} was reported saved but is {other:?}"),
        }
    }
    for d in &reported.drafts {
        let path = paths.drafts_dir().join(format!("{d}.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("draft {d} was reported saved: {e}"));
        Draft::from_json(&text).unwrap_or_else(|e| panic!("draft {d}: {e}"));
    }
    let templates = Templates::new(&paths.data, "ntfy");
    for t in &reported.templates {
        templates
            .load(t)
            .unwrap_or_else(|e| panic!("template {t} was reported saved: {e}"));
    }
    if let Some(d) = &reported.last_recent {
        let recent = recent_drafts(&paths.settings_file());
        let want = paths.drafts_dir().join(format!("{d}.json"));
        assert!(
            recent.contains(&want),
            "recent draft {d} was reported saved: {recent:?}"
        );
    }
    leftovers
}

/// A send journal (JSON lines): every line parses but a torn last one, and the history reads it.
fn check_journal(file: &Path, bytes: &[u8]) {
    let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    let whole = &lines[..lines.len().saturating_sub(1)];
    for (i, line) in whole.iter().enumerate() {
        if let Err(e) = serde_json::from_slice::<serde_json::Value>(line) {
            panic!(
                "{} line {} does not parse after a kill: {e}",
                file.display(),
                i + 1
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The crash test.

enum Writer {
    ProfileAdd,
    Send,
    Library,
}

fn pushdeck(sandbox: &Sandbox) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pushdeck"));
    cmd.env("PUSHDECK_CONFIG_DIR", sandbox.config_dir())
        .env("PUSHDECK_DATA_DIR", sandbox.data_dir())
        .env("PUSHDECK_CACHE_DIR", sandbox.cache_dir())
        .env_remove("PUSHDECK_LOG")
        .env_remove("PUSHDECK_ACCESS_TOKEN")
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("XDG_RUNTIME_DIR", sandbox.dir.path().join("runtime"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    cmd
}

fn start(writer: &Writer, sandbox: &Sandbox, draft: &Path, run: usize) -> Child {
    match writer {
        Writer::ProfileAdd => {
            // A growing setting: later runs write a larger file.
            let setting = format!("app_id={}", "a".repeat(64 + run * 64));
            pushdeck(sandbox)
                .args([
                    "profile",
                    "add",
                    &format!("cli-{run}"),
                    "--provider",
                    "onesignal",
                ])
                .args(["--set", &setting])
                .spawn()
                .expect("pushdeck starts")
        }
        Writer::Send => pushdeck(sandbox)
            .args(["send", "--timeout", "10"])
            .arg(draft)
            .spawn()
            .expect("pushdeck starts"),
        Writer::Library => Command::new(std::env::current_exe().expect("this test binary"))
            .args([
                "--exact",
                "writer_process_for_the_crash_test",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, sandbox.dir.path())
            .env(CHILD_START_ENV, (run * 1000).to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the writer starts"),
    }
}

/// How long a writer takes when nobody kills it, so the kills land inside its run.
fn typical_duration(writer: &Writer, sandbox: &Sandbox, draft: &Path) -> Duration {
    let t = Instant::now();
    let mut child = start(writer, sandbox, draft, 0);
    let status = child.wait().expect("wait");
    assert!(status.success(), "an unkilled writer succeeds");
    t.elapsed()
}

#[test]
fn killed_at_random_points_nothing_reported_is_lost() {
    let kills: usize = std::env::var("PUSHDECK_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_KILLS);
    let seed: u64 = std::env::var("PUSHDECK_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| (uuid::Uuid::new_v4().as_u128() as u64) | 1);
    eprintln!("crash test: {kills} runs, PUSHDECK_CRASH_SEED={seed}");
    let mut rng = Rng(seed);

    let standin = NtfyStandIn::start();
    let sandbox = Sandbox::new();
    let paths = Paths::under(sandbox.dir.path());
    let out = pushdeck(&sandbox)
        .args([
            "profile",
            "add",
            "alerts",
            "--provider",
            "ntfy",
            "--base-url",
        ])
        .arg(standin.base_url())
        .output()
        .expect("runs");
    assert!(out.status.success());
    let draft = sandbox.write(
        "draft.json",
        &json!({"profile": "alerts", "message": {"title": "Build", "body": "Passed"}, "audience": {"topic": "ci"}})
            .to_string(),
    );
    let writers = [Writer::ProfileAdd, Writer::Send, Writer::Library];
    // The library writer never ends by itself; the CLI writers are timed once.
    let typical: Vec<Duration> = writers
        .iter()
        .map(|w| match w {
            Writer::Library => Duration::from_millis(400),
            _ => typical_duration(w, &sandbox, &draft),
        })
        .collect();
    let mut reported = Reported::default();
    reported.profiles.insert("alerts".into());
    let (mut killed, mut finished, mut leftovers) = (0usize, 0usize, 0usize);
    let started = Instant::now();
    for run in 1..=kills {
        let which = run % writers.len();
        let writer = &writers[which];
        // Anywhere from the start to the end of a typical run; the library writer never ends.
        let span = match writer {
            Writer::Library => typical[which].as_millis() as u64,
            _ => (typical[which].as_millis() as u64).max(5),
        };
        let delay = Duration::from_millis(rng.below(span));
        let mut child = start(writer, &sandbox, &draft, run);
        std::thread::sleep(delay);
        match child.try_wait().expect("try_wait") {
            Some(_) => finished += 1,
            None => {
                child.kill().expect("SIGKILL");
                killed += 1;
            }
        }
        let _ = child.wait();
        let mut output = String::new();
        if let Some(mut stdout) = child.stdout.take() {
            let _ = stdout.read_to_string(&mut output);
        }
        if let Writer::Library = writer {
            // Only the last library run's recent draft must still be listed.
            reported.last_recent = None;
        }
        reported.take(&output);
        leftovers = verify(&paths, &reported);
    }
    standin.assert_no_problems();
    let total = reported.profiles.len()
        + reported.history.len()
        + reported.drafts.len()
        + reported.templates.len();
    eprintln!(
        "crash test: {killed} kills survived ({finished} runs finished before their kill) in {:.0} s; \
         {total} reported writes all present ({} profiles, {} history entries, {} drafts, {} templates); \
         every file parses; {leftovers} temporary files left by killed writes",
        started.elapsed().as_secs_f64(),
        reported.profiles.len(),
        reported.history.len(),
        reported.drafts.len(),
        reported.templates.len(),
    );
    assert!(
        killed * 3 >= kills,
        "most runs should be killed mid-way ({killed} of {kills}); the delays are off"
    );
    assert!(
        total > kills / 2,
        "the writers reported too little to check ({total})"
    );
}

// ---------------------------------------------------------------------------------------------
// Concurrency: two processes, one store.

#[test]
fn two_processes_adding_profiles_at_once_lose_nothing() {
    const ROUNDS: usize = 40;
    let sandbox = Sandbox::new();
    let paths = Paths::under(sandbox.dir.path());
    let add = |name: String| {
        pushdeck(&sandbox)
            .args(["profile", "add", &name, "--provider", "ntfy", "--base-url"])
            .arg("https://ntfy.example.com")
            .stdout(Stdio::null())
            .spawn()
            .expect("pushdeck starts")
    };
    let mut expected = BTreeSet::new();
    for round in 0..ROUNDS {
        let (a, b) = (format!("a-{round}"), format!("b-{round}"));
        let mut first = add(a.clone());
        let mut second = add(b.clone());
        assert!(first.wait().expect("wait").success(), "{a}");
        assert!(second.wait().expect("wait").success(), "{b}");
        expected.insert(a);
        expected.insert(b);
    }
    let text = std::fs::read_to_string(paths.profiles_file()).expect("profiles.json");
    let doc: serde_json::Value = serde_json::from_str(&text).expect("profiles.json parses");
    let stored: BTreeSet<String> = doc["profiles"]
        .as_object()
        .expect("profiles")
        .keys()
        .cloned()
        .collect();
    let missing: Vec<_> = expected.difference(&stored).collect();
    assert!(
        missing.is_empty(),
        "lost to a concurrent write: {missing:?}"
    );
    assert_eq!(stored.len(), 2 * ROUNDS);
}

/// The same through the library, with the two writers racing harder: threads in one process, each
/// with its own `ProfileStore` (as two windows would have), no waiting between writes.
#[test]
fn two_stores_racing_in_threads_lose_nothing() {
    const EACH: usize = 150;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("profiles.json");
    let writers: Vec<_> = ["x", "y"]
        .into_iter()
        .map(|prefix| {
            let file = file.clone();
            std::thread::spawn(move || {
                let mut store = ProfileStore::open(file).expect("open");
                for i in 0..EACH {
                    store
                        .upsert(Profile::new(&format!("{prefix}-{i}"), "ntfy"))
                        .expect("upsert");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let store = ProfileStore::open(file).expect("reopen");
    assert!(store.warning.is_none());
    assert_eq!(
        store.list().count(),
        2 * EACH,
        "a concurrent write was lost"
    );
}
