use std::path::PathBuf;

use super::atomic::write_atomic;
use super::entry::{EntryState, HistoryEntry, HistorySummary};
use super::error::StoreError;
use super::journal::{self, Journal, JournalHeader, JournalRead};
use super::record::keep_for_history;

/// The list of summaries beside the entries, so listing the history reads one file, not every
/// entry. Its name starts with a dot: it is never taken for an entry.
const INDEX: &str = ".index.json";

/// History in `data/history/<id>.json`, one file per send, newest kept: at most `max_entries`
/// files and `max_bytes` in all, the oldest dropped first.
pub struct HistoryStore {
    pub(super) dir: PathBuf,
    pub max_entries: usize,
    pub max_bytes: u64,
}

impl HistoryStore {
    /// The calls beside sending, kept beside the sends (`calls.jsonl`, never taken for an entry).
    pub fn calls(&self) -> super::calls::CallLog {
        super::calls::CallLog::new(self.dir.join("calls.jsonl"))
    }

    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            max_entries: 1000,
            max_bytes: 50 * 1024 * 1024,
        }
    }

    /// A sortable, unique id: UTC time then a random suffix.
    pub fn new_id() -> String {
        let now = time::OffsetDateTime::now_utc();
        let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
        format!(
            "{:04}{:02}{:02}T{:02}{:02}{:02}{:03}Z-{suffix}",
            now.year(),
            u8::from(now.month()),
            now.day(),
            now.hour(),
            now.minute(),
            now.second(),
            now.millisecond()
        )
    }

    /// Saves an entry. Exchanges must already be redacted; this re-redacts as a safety net. In a
    /// fan-out, binary bodies (encrypted Web Push payloads, unreadable without the browser's key)
    /// are kept for the first `KEEP_BINARY_BODIES` requests only; their plaintext stays.
    pub fn add(&self, entry: &HistoryEntry) -> Result<(), StoreError> {
        self.add_owned(entry.clone())
    }

    /// `add` without copying the entry (a fan-out's entry holds thousands of exchanges).
    pub fn add_owned(&self, mut safe: HistoryEntry) -> Result<(), StoreError> {
        safe.state = EntryState::Finished;
        for (i, r) in safe.results.iter_mut().enumerate() {
            keep_for_history(r, i);
        }
        // Compact: a fan-out of thousands stays a few MB.
        super::atomic::write_atomic_json(&self.path_of(&safe.id)?, &safe)?;
        let summary = safe.summary();
        let kept = self.prune()?;
        let mut index = self.read_index().unwrap_or_default();
        index.retain(|s| s.id != summary.id && kept.contains(&s.id));
        index.insert(0, summary);
        self.write_index(&index)
    }

    /// Starts the journal of a send (see `journal.rs`): results recorded as they land.
    pub fn start_journal(&self, header: &JournalHeader) -> Result<Journal, StoreError> {
        self.path_of(&header.id)?;
        Journal::create(&self.dir, header)
    }

    /// A journal read back as an entry: interrupted, or still sending.
    fn from_journal(read: JournalRead) -> HistoryEntry {
        let JournalRead {
            header,
            results,
            done,
            in_doubt,
            running,
        } = read;
        HistoryEntry {
            id: header.id,
            at: header.at,
            provider: header.provider,
            profile: header.profile,
            audience: header.audience,
            draft: std::sync::Arc::unwrap_or_clone(header.draft),
            results,
            state: if running {
                EntryState::Running
            } else {
                EntryState::Interrupted
            },
            resumes: header.resumes,
            recipients: header.recipients,
            recipient_count: header.recipient_count,
            recipients_digest: header.recipients_digest,
            done: done.into_iter().collect(),
            in_doubt,
            tally: None,
        }
    }

    /// Journals with no finished entry beside them: sends interrupted, or still running.
    fn unfinished(&self) -> Vec<HistoryEntry> {
        let Ok(read) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        read.filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".journal")?;
                if id.starts_with('.') || self.dir.join(format!("{id}.json")).exists() {
                    return None;
                }
                journal::read(&e.path()).map(Self::from_journal)
            })
            .collect()
    }

    /// The last send in the chain of resumes that starts at `id` (`id` itself when none resumed
    /// it): resuming anything earlier would not know what the later ones reached.
    pub fn latest_resume(&self, id: &str) -> String {
        let list = self.list_entries();
        let mut latest = id.to_string();
        // Each step moves to a newer entry; the bound only guards against a hand-edited loop.
        for _ in 0..list.len() {
            match list.iter().find(|s| s.resumes.as_deref() == Some(&latest)) {
                Some(next) => latest = next.id.clone(),
                None => break,
            }
        }
        latest
    }

    fn read_index(&self) -> Option<Vec<HistorySummary>> {
        let bytes = std::fs::read(self.dir.join(INDEX)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    fn write_index(&self, index: &[HistorySummary]) -> Result<(), StoreError> {
        let text = serde_json::to_vec(index).map_err(|e| StoreError::Invalid(e.to_string()))?;
        write_atomic(&self.dir.join(INDEX), &text)
    }

    fn path_of(&self, id: &str) -> Result<PathBuf, StoreError> {
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(StoreError::Invalid(format!("`{id}` is not a history id")));
        }
        Ok(self.dir.join(format!("{id}.json")))
    }

    /// Entry files, newest first.
    fn files(&self) -> Vec<(String, PathBuf, u64)> {
        let Ok(read) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut files: Vec<_> = read
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                let id = name.strip_suffix(".json")?.to_string();
                if id.starts_with('.') {
                    return None;
                }
                let len = e.metadata().map(|m| m.len()).unwrap_or(0);
                Some((id, e.path(), len))
            })
            .collect();
        files.sort_by(|a, b| b.0.cmp(&a.0));
        files
    }

    /// Drops the oldest entries beyond the limits. The newest (just written) always stays, and
    /// only kept entries count towards the size: one big send must not empty the history.
    /// Returns the ids kept.
    fn prune(&self) -> Result<std::collections::HashSet<String>, StoreError> {
        let mut bytes = 0u64;
        let mut kept = std::collections::HashSet::new();
        for (i, (id, path, len)) in self.files().into_iter().enumerate() {
            if i == 0 || (i < self.max_entries && bytes + len <= self.max_bytes) {
                bytes += len;
                kept.insert(id);
            } else {
                std::fs::remove_file(&path).map_err(|e| StoreError::io("remove", &path, e))?;
            }
        }
        Ok(kept)
    }

    pub fn get(&self, id: &str) -> Result<Option<HistoryEntry>, StoreError> {
        let path = self.path_of(id)?;
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Invalid(format!("history entry {id} is damaged: {e}"))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let journal = journal::path_of(&self.dir, id);
                if !journal.exists() {
                    return Ok(None);
                }
                journal::read(&journal)
                    .map(|read| Some(Self::from_journal(read)))
                    .ok_or_else(|| {
                        StoreError::Invalid(format!(
                            "history entry {id} was interrupted before its first line was written"
                        ))
                    })
            }
            Err(e) => Err(StoreError::io("read", &path, e)),
        }
    }

    /// Newest first, from the index; entries the index does not know (written by an older
    /// version, or by another process at the same moment) are read once and added to it.
    /// Damaged files are skipped (and logged), never fatal.
    /// Sends that never finished (read from their journals) come first of their time.
    /// A campaign's targets show as its one row (see `campaigns.rs`).
    pub fn list(&self) -> Vec<HistorySummary> {
        let mut list = self.list_finished();
        let unfinished = self.unfinished();
        if !unfinished.is_empty() {
            list.extend(unfinished.iter().map(HistoryEntry::summary));
            list.sort_by(|a, b| b.id.cmp(&a.id));
        }
        self.group_campaigns(list)
    }

    /// Every entry, a campaign's targets included (each is a normal, resumable entry).
    pub fn list_entries(&self) -> Vec<HistorySummary> {
        let mut list = self.list_finished();
        list.extend(self.unfinished().iter().map(HistoryEntry::summary));
        list.sort_by(|a, b| b.id.cmp(&a.id));
        list
    }

    fn list_finished(&self) -> Vec<HistorySummary> {
        let files = self.files();
        let mut index = self.read_index().unwrap_or_default();
        let on_disk: std::collections::HashSet<&str> =
            files.iter().map(|(id, _, _)| id.as_str()).collect();
        let before = index.len();
        index.retain(|s| on_disk.contains(s.id.as_str()));
        let known: std::collections::HashSet<String> = index.iter().map(|s| s.id.clone()).collect();
        let missing: Vec<_> = files
            .into_iter()
            .filter(|(id, _, _)| !known.contains(id))
            .collect();
        if missing.is_empty() && index.len() == before {
            return index;
        }
        index.extend(Self::read_summaries(missing));
        index.sort_by(|a, b| b.id.cmp(&a.id));
        if let Err(e) = self.write_index(&index) {
            tracing::warn!(error = %e, "the history index could not be written");
        }
        index
    }

    fn read_summaries(files: Vec<(String, PathBuf, u64)>) -> Vec<HistorySummary> {
        files
            .into_iter()
            .filter_map(|(id, path, _)| {
                let bytes = std::fs::read(&path).ok()?;
                match serde_json::from_slice::<HistoryEntry>(&bytes) {
                    Ok(entry) => Some(entry.summary()),
                    Err(e) => {
                        tracing::warn!(%id, error = %e, "skipping a damaged history entry");
                        None
                    }
                }
            })
            .collect()
    }

    pub fn delete(&self, id: &str) -> Result<bool, StoreError> {
        let path = self.path_of(id)?;
        let journal = journal::path_of(&self.dir, id);
        let had_journal = std::fs::remove_file(&journal).is_ok();
        match std::fs::remove_file(&path) {
            Ok(()) => {
                if let Some(mut index) = self.read_index() {
                    index.retain(|s| s.id != id);
                    self.write_index(&index)?;
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(had_journal),
            Err(e) => Err(StoreError::io("remove", &path, e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::Draft;
    use crate::http::{Exchange, PreparedRequest};
    use crate::outcome::Outcome;
    use crate::store::HistoryResult;
    use crate::store::history_result;

    fn entry(id: &str) -> HistoryEntry {
        let request = PreparedRequest::new("POST", "https://x.test/").secret_header(
            "Authorization",
            "Key verysecretvalue123",
            "api_key",
            "verysecretvalue123",
        );
        HistoryEntry {
            id: id.into(),
            at: "2026-11-24T00:00:00Z".into(),
            provider: "onesignal".into(),
            profile: "p".into(),
            audience: "'All'".into(),
            draft: Draft::default(),
            results: vec![HistoryResult {
                exchange: Exchange::unsent(request),
                outcome: Outcome::accepted("ok"),
            }],
            ..HistoryEntry::default()
        }
    }

    #[test]
    fn outcome_words_that_quote_a_secret_are_masked() {
        let e = entry("20260101T000000000Z-a");
        let outcome = Outcome::refused("the server said: bad key verysecretvalue123")
            .with_hint("signed with verysecretvalue123");
        let kept = history_result(&e.results[0].exchange, &outcome);
        let text = serde_json::to_string(&kept).expect("json");
        assert!(!text.contains("verysecretvalue123"), "{text}");
        assert!(
            kept.outcome
                .summary
                .starts_with("the server said: bad key ve")
        );
    }

    #[test]
    fn keeps_newest_and_never_a_secret() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = HistoryStore::new(dir.path().join("h"));
        store.max_entries = 2;
        for id in [
            "20260101T000000000Z-a",
            "20260102T000000000Z-b",
            "20260103T000000000Z-c",
        ] {
            store.add(&entry(id)).expect("add");
        }
        let ids: Vec<_> = store.list().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["20260103T000000000Z-c", "20260102T000000000Z-b"]);
        for f in std::fs::read_dir(dir.path().join("h")).expect("ls") {
            let text = std::fs::read_to_string(f.expect("f").path()).expect("read");
            assert!(!text.contains("verysecretvalue123"));
        }
        assert!(store.delete("20260103T000000000Z-c").expect("delete"));
        assert!(store.get("../etc/passwd").is_err());
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;
    use crate::draft::Draft;
    use crate::http::Body;
    use crate::http::{Exchange, PreparedRequest};
    use crate::outcome::Outcome;
    use crate::store::HistoryResult;
    use crate::store::record::KEEP_BINARY_BODIES;

    fn fan_out(id: &str, recipients: usize) -> HistoryEntry {
        let results = (0..recipients)
            .map(|i| {
                let mut request = PreparedRequest::new("POST", format!("https://push.test/{i}"));
                request.body = Body::Bytes(vec![7; 4000].into());
                request.plaintext = Some("{\"title\":\"Hi\"}".into());
                HistoryResult {
                    exchange: Exchange::unsent(request),
                    outcome: Outcome::accepted("Sent"),
                }
            })
            .collect();
        HistoryEntry {
            id: id.into(),
            at: "2026-11-24T00:00:00Z".into(),
            provider: "webpush".into(),
            profile: "p".into(),
            audience: format!("{recipients} subscriptions"),
            draft: Draft::default(),
            results,
            ..HistoryEntry::default()
        }
    }

    /// A 10,000-recipient Web Push send once emptied the history: 85 MB of number arrays, over
    /// the 50 MB cap, and the pruning counted deleted files too.
    #[test]
    fn a_big_fan_out_stays_small_and_never_empties_the_history() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = HistoryStore::new(dir.path().join("h"));
        store
            .add(&fan_out("20260101T000000000Z-a", 1))
            .expect("add");
        store
            .add(&fan_out("20260102T000000000Z-b", 10_000))
            .expect("add");
        let ids: Vec<_> = store.list().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["20260102T000000000Z-b", "20260101T000000000Z-a"]);
        let big = std::fs::metadata(dir.path().join("h/20260102T000000000Z-b.json"))
            .expect("file")
            .len();
        assert!(big < 5_000_000, "{big} bytes for 10,000 recipients");
        let entry = store
            .get("20260102T000000000Z-b")
            .expect("reads")
            .expect("kept");
        assert_eq!(
            entry.results[0].exchange.request.body,
            Body::Bytes(vec![7; 4000].into())
        );
        assert!(
            entry.results[KEEP_BINARY_BODIES]
                .exchange
                .request
                .body
                .as_text()
                .is_some_and(|t| t.contains("4000 bytes of binary body not kept"))
        );
        // Even an entry over the whole budget stays (it is the newest); the older ones go.
        store.max_bytes = 1000;
        store
            .add(&fan_out("20260103T000000000Z-c", 50))
            .expect("add");
        let ids: Vec<_> = store.list().into_iter().map(|s| s.id).collect();
        assert_eq!(ids, ["20260103T000000000Z-c"]);
    }
}
