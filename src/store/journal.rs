//! The journal of a send in progress: `<id>.journal` beside the history entries, one JSON line per
//! finished request, so a send killed half way (crash, SIGKILL, power cut) still says who already
//! received it. The first line is a header (draft, provider, profile, audience, recipients).
//! Before a request goes out, a small `{"started":i}` line marks it: a request started with no
//! result line is *in doubt* (the server may have answered, but the answer was never read), and
//! a resume skips it unless asked to include it, so nobody is notified twice unasked.
//!
//! Each line is written with one `write` as soon as its request finishes (a killed process loses
//! nothing the kernel has); `fsync` runs in batches (every `SYNC_LINES` lines or `SYNC_EVERY`), so
//! a power cut loses at most the last batch. When the send finishes, the complete entry is written
//! (temp+rename) and the journal removed. The writer holds an exclusive lock on the file: a reader
//! that cannot take a shared lock knows the send is still running, not interrupted.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::StoreError;
use super::record::{HistoryResult, history_result, keep_for_history};
use crate::draft::Draft;
use crate::http::Exchange;
use crate::outcome::Outcome;

/// `fsync` after this many lines…
const SYNC_LINES: usize = 50;
/// …or when this long has passed since the last one.
const SYNC_EVERY: Duration = Duration::from_millis(200);

/// What a journal says before any request finishes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JournalHeader {
    pub id: String,
    pub at: String,
    pub provider: String,
    pub profile: String,
    pub audience: String,
    pub draft: Draft,
    /// Requests this send makes (the token exchange not counted).
    pub total: usize,
    /// One fingerprint per prepared request of the whole draft, in order: who each recipient is.
    /// Empty for a streamed fan-out, whose header stays small however many recipients it has:
    /// their count and digest below, and each line carries its recipient's fingerprint.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
    #[serde(default)]
    pub recipient_count: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients_digest: Option<String>,
    /// Where a streamed fan-out's recipients come from ("audience.subscriptions_file …").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Recipients (prepared indices) that an earlier send already reached: a resume skips them.
    #[serde(default)]
    pub carried: Vec<usize>,
    /// Recipients an earlier send left in doubt that this one (a resume) does not send to: they
    /// stay in doubt in this entry, so resuming it later does not send to them either.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carried_in_doubt: Vec<usize>,
    #[serde(default)]
    pub resumes: Option<String>,
}

/// One finished request: which prepared request (none for a token exchange), who it was for, and
/// its kept result; past the first `KEEP_IN_FULL` of a fan-out, an accepted request is kept as
/// `"ok": true` alone (failures always in full).
#[derive(Debug, Serialize, Deserialize)]
struct JournalLine {
    /// A "started" line: this prepared request is about to go out (nothing else on the line).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    started: Option<usize>,
    #[serde(default)]
    request: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    ok: bool,
    #[serde(flatten)]
    result: Option<HistoryResult>,
}

/// Results of a send kept with their whole exchange, whatever else the journal compacts.
pub const KEEP_IN_FULL: usize = super::record::KEEP_BINARY_BODIES;

/// One finished request, as `Journal::record` takes it.
pub struct Finished<'a> {
    /// Its prepared index; `None` for a token exchange.
    pub request: Option<usize>,
    pub fingerprint: Option<&'a str>,
    pub retried: &'a [Exchange],
    pub exchange: &'a Exchange,
    pub outcome: &'a Outcome,
    /// May an accepted request be kept as a compact line (a streamed fan-out)?
    pub compact: bool,
}

/// A journal being written by a running send.
pub struct Journal {
    path: PathBuf,
    state: Mutex<Writer>,
    /// Wakes the thread that runs `fsync`, so a write never waits for the disk.
    sync: Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)>,
}

struct Writer {
    file: File,
    written: usize,
    unsynced: usize,
    /// Set once a write failed: the send goes on, the journal stops (and says so once).
    broken: Option<String>,
}

/// `fsync`s `file` every `SYNC_EVERY`, or sooner when woken (every `SYNC_LINES` lines), and
/// once more when the journal's writer hangs up.
fn sync_in_background(
    file: File,
    path: PathBuf,
) -> Option<(std::sync::mpsc::Sender<()>, std::thread::JoinHandle<()>)> {
    use std::sync::mpsc::RecvTimeoutError;
    let (wake, woken) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("journal-fsync".into())
        .spawn(move || {
            loop {
                let last = matches!(
                    woken.recv_timeout(SYNC_EVERY),
                    Err(RecvTimeoutError::Disconnected)
                );
                if let Err(e) = file.sync_data() {
                    tracing::warn!(file = %path.display(), error = %e, "the send journal was not synced");
                }
                if last {
                    break;
                }
            }
        })
        .ok()?;
    Some((wake, thread))
}

pub(super) fn path_of(dir: &Path, id: &str) -> PathBuf {
    dir.join(format!("{id}.journal"))
}

impl Journal {
    /// Creates the journal and makes its header durable before the first request goes out.
    pub(super) fn create(dir: &Path, header: &JournalHeader) -> Result<Self, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io("create folder", dir, e))?;
        let path = path_of(dir, &header.id);
        let mut file = File::options()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| StoreError::io("create", &path, e))?;
        file.lock().map_err(|e| StoreError::io("lock", &path, e))?;
        let mut line =
            serde_json::to_vec(header).map_err(|e| StoreError::Invalid(e.to_string()))?;
        line.push(b'\n');
        file.write_all(&line)
            .and_then(|()| file.sync_data())
            .map_err(|e| StoreError::io("write", &path, e))?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        // Without a second handle (or a thread), each batch is synced by the writer itself.
        let sync = file
            .try_clone()
            .ok()
            .and_then(|f| sync_in_background(f, path.clone()));
        Ok(Self {
            path,
            state: Mutex::new(Writer {
                file,
                written: 0,
                unsynced: 0,
                broken: None,
            }),
            sync,
        })
    }

    /// Appends one finished request (and the attempts it retried) in full. `request` is its
    /// prepared index; `None` for a token exchange.
    pub fn record(
        &self,
        request: Option<usize>,
        retried: &[Exchange],
        exchange: &Exchange,
        outcome: &Outcome,
    ) {
        self.record_finished(Finished {
            request,
            fingerprint: None,
            retried,
            exchange,
            outcome,
            compact: false,
        });
    }

    /// Appends one finished request (and the attempts it retried), redacted and trimmed as the
    /// history keeps them.
    pub fn record_finished(&self, done: Finished<'_>) {
        let Finished {
            request,
            fingerprint,
            retried,
            exchange,
            outcome,
            compact,
        } = done;
        let Ok(mut w) = self.state.lock() else {
            return;
        };
        if w.broken.is_some() {
            return;
        }
        let limited =
            Outcome::refused("Rate limited: retried after the wait the provider asked for");
        let mut text = Vec::new();
        let fingerprint = fingerprint.map(str::to_string);
        if compact && w.written >= KEEP_IN_FULL && outcome.is_ok() && retried.is_empty() {
            let line = JournalLine {
                started: None,
                request,
                fingerprint,
                ok: true,
                result: None,
            };
            w.written += 1;
            if serde_json::to_writer(&mut text, &line).is_err() {
                return;
            }
            text.push(b'\n');
        } else {
            let rows = retried
                .iter()
                .map(|ex| (None, history_result(ex, &limited)))
                .chain(std::iter::once((
                    request,
                    history_result(exchange, outcome),
                )));
            for (request, mut result) in rows {
                keep_for_history(&mut result, w.written);
                w.written += 1;
                let line = JournalLine {
                    started: None,
                    request,
                    fingerprint: request.and(fingerprint.clone()),
                    ok: false,
                    result: Some(result),
                };
                if serde_json::to_writer(&mut text, &line).is_err() {
                    return;
                }
                text.push(b'\n');
            }
        }
        self.append(&mut w, &text);
    }

    /// Marks prepared request `request` as about to go out, before it is handed to the transport:
    /// until its result line follows, it is in doubt. One small line, synced with the batch.
    pub fn started(&self, request: usize) {
        let Ok(mut w) = self.state.lock() else {
            return;
        };
        if w.broken.is_some() {
            return;
        }
        self.append(&mut w, format!("{{\"started\":{request}}}\n").as_bytes());
    }

    /// Writes whole lines with one `write`, and wakes the `fsync` when a batch is due.
    fn append(&self, w: &mut Writer, text: &[u8]) {
        // One write per line group: a SIGKILL leaves whole lines (or, at worst, one torn last
        // line that readers ignore).
        let result = w.file.write_all(text);
        w.unsynced += 1;
        let due = w.unsynced >= SYNC_LINES;
        if due {
            w.unsynced = 0;
        }
        let result = result.and_then(|()| match &self.sync {
            Some((wake, _)) if due => {
                let _ = wake.send(());
                Ok(())
            }
            None if due => w.file.sync_data(),
            _ => Ok(()),
        });
        if let Err(e) = result {
            tracing::warn!(file = %self.path.display(), error = %e, "the send journal stopped");
            w.broken = Some(e.to_string());
        }
    }

    /// Why the journal stopped recording, if it did.
    pub fn broken(&self) -> Option<String> {
        self.state.lock().ok().and_then(|w| w.broken.clone())
    }

    /// The send finished and its entry is written: the journal goes.
    pub fn finish(mut self) {
        self.stop_syncing();
        if let Err(e) = std::fs::remove_file(&self.path) {
            tracing::warn!(file = %self.path.display(), error = %e, "a finished journal stayed");
        }
    }

    /// The last `fsync`, and the syncing thread gone (with its handle on the file and its lock).
    fn stop_syncing(&mut self) {
        if let Some((wake, thread)) = self.sync.take() {
            drop(wake);
            let _ = thread.join();
        }
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        self.stop_syncing();
    }
}

/// What a journal holds: its header, the results recorded, the prepared indices reached (those
/// carried over included), those in doubt (started with no result, or carried over in doubt),
/// and whether its writer still holds it (the send is running).
pub(super) struct JournalRead {
    pub header: JournalHeader,
    pub results: Vec<HistoryResult>,
    pub done: Vec<usize>,
    pub in_doubt: Vec<usize>,
    pub running: bool,
}

/// Reads a journal. A torn last line is ignored; `None` when even the header is unreadable.
pub(super) fn read(path: &Path) -> Option<JournalRead> {
    let file = File::open(path).ok()?;
    let running = match file.try_lock_shared() {
        Ok(()) => false,
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    };
    let bytes = std::fs::read(path).ok()?;
    let mut lines = bytes.split(|b| *b == b'\n').filter(|l| !l.is_empty());
    let header: JournalHeader = match serde_json::from_slice(lines.next()?) {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(file = %path.display(), error = %e, "a journal without a readable header");
            return None;
        }
    };
    let mut done = header.carried.clone();
    let mut results = Vec::new();
    // Started and not finished yet: a result line follows its started line, so this holds at
    // most the requests in flight, however long the send.
    let mut in_flight = std::collections::HashSet::new();
    for line in lines {
        // Only the last line can be torn (the process died writing it); it never counts.
        let Ok(line) = serde_json::from_slice::<JournalLine>(line) else {
            continue;
        };
        if let Some(i) = line.started {
            in_flight.insert(i);
            continue;
        }
        if let Some(i) = line.request {
            in_flight.remove(&i);
        }
        let ok = line.ok || line.result.as_ref().is_some_and(|r| r.outcome.is_ok());
        if let Some(i) = line.request
            && ok
        {
            done.push(i);
        }
        if let Some(result) = line.result {
            results.push(result);
        }
    }
    done.sort_unstable();
    done.dedup();
    let mut in_doubt: Vec<usize> = in_flight
        .into_iter()
        .chain(header.carried_in_doubt.iter().copied())
        .filter(|i| done.binary_search(i).is_err())
        .collect();
    in_doubt.sort_unstable();
    in_doubt.dedup();
    Some(JournalRead {
        header,
        results,
        done,
        in_doubt,
        running,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::PreparedRequest;

    fn header(id: &str) -> JournalHeader {
        JournalHeader {
            id: id.into(),
            at: "2026-12-04T00:00:00Z".into(),
            provider: "webpush".into(),
            profile: "p".into(),
            audience: "3 subscriptions".into(),
            draft: Draft::default(),
            total: 3,
            recipients: vec!["a".into(), "b".into(), "c".into()],
            recipient_count: 0,
            recipients_digest: None,
            source: None,
            carried: Vec::new(),
            carried_in_doubt: Vec::new(),
            resumes: None,
        }
    }

    fn exchange() -> Exchange {
        let request = PreparedRequest::new("POST", "https://push.test/x").secret_header(
            "Authorization",
            "vapid t=verysecretvalue123",
            "vapid",
            "verysecretvalue123",
        );
        Exchange::unsent(request)
    }

    #[test]
    fn a_killed_send_reads_as_interrupted_up_to_its_last_whole_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let journal = Journal::create(dir.path(), &header("20261204T000000000Z-a")).expect("j");
        // While the writer holds it, the entry reads as running, not interrupted.
        let path = path_of(dir.path(), "20261204T000000000Z-a");
        assert!(read(&path).expect("reads").running);
        journal.record(Some(0), &[], &exchange(), &Outcome::accepted("Sent"));
        journal.record(Some(2), &[], &exchange(), &Outcome::refused("Gone"));
        drop(journal);
        // A torn last line, as a kill in the middle of a write would leave.
        let mut f = File::options().append(true).open(&path).expect("open");
        f.write_all(b"{\"request\":1,\"exchange\":{\"requ")
            .expect("torn");
        let entry = read(&path).expect("reads");
        assert!(!entry.running);
        assert_eq!(entry.results.len(), 2);
        assert_eq!(entry.done, [0]);
        let text = std::fs::read_to_string(&path).expect("text");
        assert!(!text.contains("verysecretvalue123"), "{text}");
    }

    #[test]
    fn a_request_started_without_a_result_is_in_doubt() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut h = header("20261204T000000000Z-c");
        // A resume that left recipient 1 in doubt (and sends to 0 and 2 only).
        h.carried_in_doubt = vec![1];
        let journal = Journal::create(dir.path(), &h).expect("j");
        journal.started(0);
        journal.started(2);
        journal.record(Some(0), &[], &exchange(), &Outcome::accepted("Sent"));
        drop(journal);
        let path = path_of(dir.path(), "20261204T000000000Z-c");
        let text = std::fs::read_to_string(&path).expect("text");
        assert!(text.contains("{\"started\":2}\n"), "one small line: {text}");
        let first = read(&path).expect("reads");
        assert_eq!(first.done, [0]);
        assert_eq!(
            first.in_doubt,
            [1, 2],
            "2 went out unanswered; 1 carried over"
        );
        // A failure is an answer: not in doubt.
        let journal = Journal::create(dir.path(), &header("20261204T000000000Z-d")).expect("j");
        journal.started(0);
        journal.record(Some(0), &[], &exchange(), &Outcome::refused("Gone"));
        drop(journal);
        let answered = read(&path_of(dir.path(), "20261204T000000000Z-d")).expect("reads");
        assert!(answered.in_doubt.is_empty() && answered.done.is_empty());
    }

    #[test]
    fn a_streamed_fan_out_keeps_a_sample_and_failures_in_full_and_the_rest_compact() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut h = header("20261204T000000000Z-b");
        h.recipients.clear();
        h.recipient_count = 100;
        h.recipients_digest = Some("d".into());
        let journal = Journal::create(dir.path(), &h).expect("j");
        for i in 0..100 {
            let outcome = if i == 70 {
                Outcome::refused("Gone")
            } else {
                Outcome::accepted("Sent")
            };
            journal.record_finished(Finished {
                request: Some(i),
                fingerprint: Some("f00d"),
                retried: &[],
                exchange: &exchange(),
                outcome: &outcome,
                compact: true,
            });
        }
        drop(journal);
        let path = path_of(dir.path(), "20261204T000000000Z-b");
        let text = std::fs::read_to_string(&path).expect("text");
        assert!(
            text.lines().next().is_some_and(|l| !l.contains("f00d")),
            "a small header"
        );
        assert_eq!(
            text.lines().filter(|l| l.contains("\"ok\":true")).count(),
            100 - KEEP_IN_FULL - 1
        );
        let read = read(&path).expect("reads");
        assert_eq!(
            read.results.len(),
            KEEP_IN_FULL + 1,
            "the sample and the failure"
        );
        assert_eq!(read.done.len(), 99);
        assert!(!read.done.contains(&70));
        assert!(text.len() < 40_000, "{} bytes", text.len());
    }
}
