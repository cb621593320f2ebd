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

use std::collections::{BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::Sandbox;
use pushdeck::draft::Draft;
use pushdeck::provider::webpush::vapid::VapidKey;
use pushdeck::store::library::{Templates, recent_drafts, remember_draft};
use pushdeck::store::{
    EntryState, HistoryEntry, HistoryStore, Paths, Profile, ProfileStore, write_atomic,
};
use serde_json::json;
use stand_in::NtfyStandIn;
use support::stand_ins::server::{Api, Record, Reply, Seen, StandIn};
use support::stand_ins::webpush::WebPush;

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

// ---------------------------------------------------------------------------------------------
// A fan-out killed mid-way, then resumed: the journal says who was reached, `resume` the rest.

const FAN_OUT: usize = 2000;
const DEFAULT_FAN_OUT_KILLS: usize = 10;
/// Requests a Web Push send has in flight at most (`webpush::DEFAULT_CONCURRENCY`).
const IN_FLIGHT: usize = 32;
const GATE_OPEN: usize = usize::MAX;

/// The Web Push stand-in (VAPID checked, every message decrypted), counting each recipient's
/// 2xx. Once `gate` requests have arrived, it holds every later one unanswered and uncounted, so
/// a kill can land when everything answered has had time to be recorded.
#[derive(Default)]
struct CountingPushService {
    service: WebPush,
    answered: Mutex<HashMap<String, usize>>,
    received: AtomicUsize,
    gate: AtomicUsize,
}

impl Api for CountingPushService {
    const NAME: &'static str = "Web Push (counting)";

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        if self.received.fetch_add(1, Ordering::SeqCst) >= self.gate.load(Ordering::SeqCst) {
            // Never answered before the kill; the test process outlives nobody waiting for it.
            return Reply::new(503).set_delay(Duration::from_secs(20));
        }
        let reply = self.service.answer(request, record);
        if (200..300).contains(&reply.status)
            && let Some(id) = request.path.strip_prefix("/push/")
        {
            *self
                .answered
                .lock()
                .expect("lock")
                .entry(id.to_string())
                .or_default() += 1;
        }
        reply
    }
}

/// One crash run: its own stand-in, sandbox, profile and 2,000-subscription draft.
struct FanOut {
    service: StandIn<CountingPushService>,
    sandbox: Sandbox,
    draft: PathBuf,
    key: String,
}

impl FanOut {
    fn new(key: &VapidKey) -> Self {
        let service = StandIn::serve(CountingPushService {
            gate: AtomicUsize::new(GATE_OPEN),
            ..Default::default()
        });
        let sandbox = Sandbox::new();
        sandbox.add_profile_at(
            "site",
            "webpush",
            None,
            &[
                ("subject", "mailto:ops@example.com"),
                ("vapid_public_key", &key.public_key_b64()),
            ],
        );
        let origin = service.base_url();
        let subscriptions: Vec<_> = (0..FAN_OUT)
            .map(|i| {
                service
                    .api()
                    .service
                    .subscribe_at(&origin, &recipient(i), None)
            })
            .collect();
        let draft = sandbox.write(
            "fan-out.json",
            &json!({
                "profile": "site",
                "message": {"title": "Build 118", "body": "Passed"},
                "audience": {"subscriptions": subscriptions}
            })
            .to_string(),
        );
        Self {
            service,
            sandbox,
            draft,
            key: key.private_key_b64().expect("export"),
        }
    }

    fn pushdeck(&self) -> Command {
        let mut cmd = pushdeck(&self.sandbox);
        cmd.env("PUSHDECK_VAPID_PRIVATE_KEY", &self.key);
        cmd
    }

    fn send(&self) -> Child {
        // 2,000 result lines would fill a pipe nobody reads.
        self.pushdeck()
            .stdout(Stdio::null())
            .args(["send", "--timeout", "20"])
            .arg(&self.draft)
            .spawn()
            .expect("pushdeck starts")
    }

    fn history(&self) -> HistoryStore {
        HistoryStore::new(Paths::under(self.sandbox.dir.path()).history_dir())
    }

    /// The send's entry, finished or read from its journal; `None` before its journal existed.
    fn entry(&self) -> Option<HistoryEntry> {
        let list = self.history().list();
        let first = list.iter().find(|s| s.resumes.is_none())?;
        self.history().get(&first.id).expect("every entry reads")
    }

    fn answered(&self) -> HashMap<String, usize> {
        self.service.api().answered.lock().expect("lock").clone()
    }

    fn received(&self) -> usize {
        self.service.api().received.load(Ordering::SeqCst)
    }
}

fn recipient(i: usize) -> String {
    format!("s{i:04}")
}

fn reached(entry: &HistoryEntry) -> BTreeSet<String> {
    entry.done.iter().map(recipient).collect()
}

/// Recipients whose request was on the wire, unanswered as far as the journal knows, at the kill.
fn in_doubt(entry: &HistoryEntry) -> BTreeSet<String> {
    entry.in_doubt.iter().map(|i| recipient(*i)).collect()
}

/// Waits (up to `limit`) for `ready`; false when it never came.
fn wait_for(limit: Duration, mut ready: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + limit;
    while Instant::now() < until {
        if ready() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    ready()
}

#[test]
fn a_fan_out_killed_at_random_points_never_reaches_anyone_twice() {
    let kills: usize = std::env::var("PUSHDECK_FAN_OUT_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_FAN_OUT_KILLS);
    let seed: u64 = std::env::var("PUSHDECK_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| (uuid::Uuid::new_v4().as_u128() as u64) | 1);
    eprintln!("fan-out crash test: {kills} runs, PUSHDECK_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let key = VapidKey::generate().expect("key");
    let started = Instant::now();

    // Unkilled once: it reaches everyone once, and its journal goes when its entry is written.
    let whole = FanOut::new(&key);
    let t = Instant::now();
    let status = whole.send().wait().expect("wait");
    let typical = t.elapsed();
    assert!(status.success(), "an unkilled fan-out succeeds");
    let answered = whole.answered();
    assert_eq!(answered.len(), FAN_OUT);
    assert!(answered.values().all(|n| *n == 1));
    let entry = whole.entry().expect("recorded");
    assert_eq!(entry.state, EntryState::Finished);
    assert_eq!(entry.done.len(), FAN_OUT);
    assert!(
        entry.in_doubt.is_empty(),
        "a finished send leaves nobody in doubt"
    );
    let mut files = Vec::new();
    walk(
        &Paths::under(whole.sandbox.dir.path()).history_dir(),
        &mut files,
    );
    let leftover: Vec<_> = files
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "journal"))
        .collect();
    assert!(leftover.is_empty(), "{leftover:?}");

    let (mut interrupted, mut resumed, mut twice) = (0, 0, 0);
    // Per killed run: recipients in doubt, and of those, how many the stand-in had answered 2xx
    // (the ones an unconditional resume would have notified twice).
    let (mut doubts, mut answered_in_doubt) = (Vec::new(), 0);
    for run in 1..=kills {
        let fan = FanOut::new(&key);
        // Even runs hold the stand-in at a random request, then kill once everything answered is
        // recorded; odd runs kill after a random delay, whatever is in flight.
        let gated = run % 2 == 0;
        let mut child = if gated {
            fan.service
                .api()
                .gate
                .store(rng.below(FAN_OUT as u64) as usize, Ordering::SeqCst);
            let mut child = fan.send();
            let gate = fan.service.api().gate.load(Ordering::SeqCst);
            let held = wait_for(Duration::from_secs(30), || {
                fan.received() > gate || child.try_wait().ok().flatten().is_some()
            });
            assert!(held, "run {run}: the send never reached request {gate}");
            let recorded = wait_for(Duration::from_secs(10), || {
                let answered = fan.answered().len();
                fan.entry()
                    .is_some_and(|e| e.done.len() == answered && answered == gate)
            });
            assert!(
                recorded,
                "run {run}: {} recipients answered 2xx, but the journal says {:?}",
                fan.answered().len(),
                fan.entry().map(|e| e.done.len())
            );
            child
        } else {
            let child = fan.send();
            std::thread::sleep(Duration::from_millis(rng.below(typical.as_millis() as u64)));
            child
        };
        if child.try_wait().expect("try_wait").is_none() {
            child.kill().expect("SIGKILL");
        }
        let _ = child.wait();
        verify(&Paths::under(fan.sandbox.dir.path()), &Reported::default());

        let before = fan.answered();
        let answered: BTreeSet<String> = before.keys().cloned().collect();
        let Some(entry) = fan.entry() else {
            assert!(answered.is_empty(), "run {run}: sent, but no journal");
            continue;
        };
        let reached = reached(&entry);
        let doubt = in_doubt(&entry);
        assert!(
            reached.is_subset(&answered),
            "run {run}: recorded as reached but never answered: {:?}",
            reached.difference(&answered).collect::<Vec<_>>()
        );
        assert!(
            reached.is_disjoint(&doubt),
            "run {run}: reached and in doubt"
        );
        // Every 2xx the stand-in gave is recorded: as a success, or (answered in the instant
        // before the kill, never read) in doubt.
        let unrecorded: Vec<_> = answered
            .iter()
            .filter(|who| !reached.contains(*who) && !doubt.contains(*who))
            .collect();
        assert!(
            unrecorded.is_empty(),
            "run {run}: answered 2xx but neither reached nor in doubt: {unrecorded:?}"
        );
        assert!(
            doubt.len() <= IN_FLIGHT,
            "run {run}: {} in doubt, more than were in flight",
            doubt.len()
        );
        if gated {
            assert!(
                answered.is_subset(&reached),
                "run {run}: answered but not recorded as reached"
            );
        }
        if entry.state == EntryState::Interrupted {
            interrupted += 1;
            doubts.push(doubt.len());
            answered_in_doubt += doubt.intersection(&answered).count();
            let listed = fan.history().list();
            let words = match doubt.len() {
                0 => format!("interrupted: {} of {FAN_OUT} done", reached.len()),
                k => format!(
                    "interrupted: {} of {FAN_OUT} done, {k} in doubt",
                    reached.len()
                ),
            };
            assert_eq!(listed[0].summary, words, "run {run}");
            assert_eq!(listed[0].in_doubt, doubt.len(), "run {run}");
            assert_eq!(listed[0].remaining(), FAN_OUT - reached.len() - doubt.len());
        }
        fan.service.api().gate.store(GATE_OPEN, Ordering::SeqCst);
        if entry.remaining().is_empty() {
            assert_eq!(reached.len() + doubt.len(), FAN_OUT, "run {run}");
        } else {
            resumed += 1;
            let out = fan
                .pushdeck()
                .args(["resume", &entry.id, "--yes", "--json", "--timeout", "20"])
                .stderr(Stdio::piped())
                .output()
                .expect("resume runs");
            assert!(
                out.status.success(),
                "run {run}: resume exited {}",
                out.status
            );
            let doc: serde_json::Value =
                serde_json::from_slice(&out.stdout).expect("resume --json parses");
            assert_eq!(doc["in_doubt"], json!(doubt.len()), "run {run}");
            if !doubt.is_empty() {
                let said = String::from_utf8_lossy(&out.stderr);
                assert!(
                    said.contains("may already have it") && said.contains("--include-in-doubt"),
                    "run {run}: {said}"
                );
            }
            let summary = fan
                .history()
                .list()
                .into_iter()
                .find(|s| s.resumes.as_deref() == Some(entry.id.as_str()))
                .expect("the resumed send is recorded, linking the original");
            assert_eq!(summary.state, EntryState::Finished);
            assert_eq!(
                (summary.reached, summary.in_doubt, summary.recipients),
                (FAN_OUT - doubt.len(), doubt.len(), FAN_OUT),
                "run {run}: the resume keeps those in doubt in doubt"
            );
        }
        let after = fan.answered();
        for i in 0..FAN_OUT {
            let who = recipient(i);
            let n = after.get(&who).copied().unwrap_or(0);
            twice += usize::from(n > 1);
            // Never twice. Received 0 times: only those in doubt the stand-in never answered
            // (their request was stopped on the wire, or never left); everyone else once.
            assert!(n <= 1, "run {run}: {who} received {n} times");
            if doubt.contains(&who) {
                assert!(
                    n >= usize::from(before.contains_key(&who)),
                    "run {run}: {who} was answered before the kill, now counted {n}"
                );
            } else {
                assert_eq!(n, 1, "run {run}: {who} received {n} times");
            }
        }
        fan.service.assert_no_problems();
    }
    let max = doubts.iter().copied().max().unwrap_or(0);
    let average = doubts.iter().sum::<usize>() as f64 / doubts.len().max(1) as f64;
    eprintln!(
        "fan-out crash test: {kills} runs in {:.0} s ({interrupted} interrupted, {resumed} resumed); \
         in doubt per interrupted run: {average:.1} on average, {max} at most \
         ({answered_in_doubt} of them answered 2xx before the kill); \
         recipients received twice: {twice}; every file parses",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(twice, 0);
}
