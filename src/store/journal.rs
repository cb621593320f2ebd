//! The journal of a send in progress: `<id>.journal` beside the history entries, one JSON line per
//! finished request, so a send killed half way (crash, SIGKILL, power cut) still says who already
//! received it. The first line is a header (draft, provider, profile, audience, recipients).
//! Before a request goes out, a small `{"started":i}` line marks it: a request started with no
//! result line is *in doubt* (the server may have answered, but the answer was never read), and
//! a resume skips it unless asked to include it, so nobody is notified twice unasked.
//!
//! Lines are handed to the kernel with one `write` per group: a send holds the journal while it
//! settles one turn of its loop (the results that landed, the requests about to start) and
//! releases it before anything else happens — before those requests go out, before it waits —
//! so every line queued so far goes in ONE `write`, never later than that turn, never held back by
//! a timer (a killed process loses nothing the kernel has). Outside a hold, each line is written
//! at once. `fsync` runs in batches (every `SYNC_LINES` lines or `SYNC_EVERY`), so
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
const SYNC_LINES: usize = 250;
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
    /// Shared with the send that writes it: a big inline audience is not copied for the header.
    pub draft: std::sync::Arc<Draft>,
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
    /// Whole lines queued while the journal is held, written in one go when it is released.
    pending: Vec<u8>,
    pending_lines: usize,
    held: bool,
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
                let mut last = matches!(
                    woken.recv_timeout(SYNC_EVERY),
                    Err(RecvTimeoutError::Disconnected)
                );
                // Wake-ups that queued while the last sync ran are all covered by this one: it
                // syncs every line written before it starts.
                loop {
                    match woken.try_recv() {
                        Ok(()) => {}
                        Err(std::sync::mpsc::TryRecvError::Empty) => break,
                        Err(std::sync::mpsc::TryRecvError::Disconnected) => {
                            last = true;
                            break;
                        }
                    }
                }
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
        // Streamed: a header with 10,000 subscriptions in its draft is not built in memory first.
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, &mut file);
        serde_json::to_writer(&mut out, header)
            .map_err(std::io::Error::other)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush())
            .map_err(|e| StoreError::io("write", &path, e))?;
        drop(out);
        file.sync_data()
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
                pending: Vec::new(),
                pending_lines: 0,
                held: false,
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
        // Serialized straight into the queue; a line that fails to serialize is taken back out.
        let before = (w.pending.len(), w.pending_lines);
        let queued =
            if compact && w.written >= KEEP_IN_FULL && outcome.is_ok() && retried.is_empty() {
                let line = JournalLine {
                    started: None,
                    request,
                    fingerprint: fingerprint.map(str::to_string),
                    ok: true,
                    result: None,
                };
                w.written += 1;
                w.queue(&line)
            } else {
                let rows = retried
                    .iter()
                    .map(|ex| (None, history_result(ex, &limited)))
                    .chain(std::iter::once((
                        request,
                        history_result(exchange, outcome),
                    )));
                let mut queued = true;
                for (request, mut result) in rows {
                    keep_for_history(&mut result, w.written);
                    w.written += 1;
                    let line = JournalLine {
                        started: None,
                        request,
                        fingerprint: request.and(fingerprint.map(str::to_string)),
                        ok: false,
                        result: Some(result),
                    };
                    if !w.queue(&line) {
                        queued = false;
                        break;
                    }
                }
                queued
            };
        if !queued {
            w.pending.truncate(before.0);
            w.pending_lines = before.1;
            return;
        }
        self.write_unless_held(&mut w);
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
        let _ = writeln!(w.pending, "{{\"started\":{request}}}");
        w.pending_lines += 1;
        self.write_unless_held(&mut w);
    }

    /// From now until `release`, lines are queued, not written: the caller is settling a group
    /// of them (one turn of a send) that must reach the kernel before its next step.
    pub fn hold(&self) {
        if let Ok(mut w) = self.state.lock() {
            w.held = true;
        }
    }

    /// Every line queued since `hold`, handed to the kernel in one `write`, now.
    pub fn release(&self) {
        if let Ok(mut w) = self.state.lock() {
            w.held = false;
            self.write_unless_held(&mut w);
        }
    }

    /// Writes the queued lines with one `write` (unless held), and wakes the `fsync` when a
    /// batch is due.
    fn write_unless_held(&self, w: &mut Writer) {
        if w.held || w.pending.is_empty() {
            return;
        }
        if w.broken.is_some() {
            w.pending.clear();
            w.pending_lines = 0;
            return;
        }
        // Whole lines in one write: a SIGKILL leaves whole lines (or, at worst, one torn last
        // line that readers ignore).
        let Writer { file, pending, .. } = &mut *w;
        let result = file.write_all(pending);
        pending.clear();
        w.unsynced += std::mem::take(&mut w.pending_lines);
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

impl Writer {
    /// Queues one line; false if it could not be serialized.
    fn queue(&mut self, line: &JournalLine) -> bool {
        if serde_json::to_writer(&mut self.pending, line).is_err() {
            return false;
        }
        self.pending.push(b'\n');
        self.pending_lines += 1;
        true
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        // Whatever a hold left queued is written before the journal closes.
        self.release();
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
mod tests;
