//! What the sink keeps: each session of `pushdeck sink` as a journal
//! `history/sink/<session>.jsonl` (a header line, then one redacted line per arrival, appended as
//! they come, so a session killed mid-way keeps what it saw), the local CA's certificate in
//! `sink/ca.pem` (for clients to trust) and, in the keyring, the CA's key and what each imitation
//! asked to keep.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::error::StoreError;
use super::history::HistoryStore;
use super::secrets::SecretStore;
use crate::finding::{Finding, Level};
use crate::http::Exchange;
use crate::sink::Decoded;

/// Sessions kept; the oldest go first.
const MAX_SESSIONS: usize = 200;
/// The keyring's "profile" part for the sink's own secrets: a name no profile can have (profile
/// names never hold `:`), so nothing of the user's is ever overwritten.
const KEYRING_NAME: &str = "sink:";

/// One session: who was imitated, where, since when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinkSessionHeader {
    pub session: String,
    pub at: String,
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub base_url: String,
}

/// One request the sink received, how it answered and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinkRecord {
    pub at: String,
    pub provider: String,
    /// The arrival as a request (its URL the base URL and the target) and the answer given.
    pub exchange: Exchange,
    pub findings: Vec<Finding>,
    pub summary: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decoded: Vec<Decoded>,
    /// The rehearsal that chose the answer, if one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rehearsal: Option<String>,
}

impl SinkRecord {
    /// A copy safe to show, store or print: the credentials the imitation named masked
    /// everywhere (exchange, findings, decoded parts, summary).
    pub fn redacted(&self) -> SinkRecord {
        let secrets = &self.exchange.request.secrets;
        let mask = |t: &str| crate::http::mask_all(t, secrets);
        SinkRecord {
            at: self.at.clone(),
            provider: self.provider.clone(),
            exchange: self.exchange.redacted(),
            findings: self
                .findings
                .iter()
                .map(|f| Finding {
                    text: mask(&f.text),
                    detail: f.detail.as_deref().map(mask),
                    ..f.clone()
                })
                .collect(),
            summary: mask(&self.summary),
            decoded: self
                .decoded
                .iter()
                .map(|d| Decoded {
                    label: d.label.clone(),
                    text: mask(&d.text),
                })
                .collect(),
            rehearsal: self.rehearsal.clone(),
        }
    }

    /// The worst finding's level (✓ when there are none).
    pub fn worst(&self) -> Level {
        self.findings
            .iter()
            .map(|f| f.level)
            .max()
            .unwrap_or(Level::Ok)
    }

    /// The status answered.
    pub fn status(&self) -> u16 {
        self.exchange.response.as_ref().map_or(0, |r| r.status)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Line {
    Session(SinkSessionHeader),
    Arrival(Box<SinkRecord>),
}

/// A session read back.
#[derive(Debug, Clone, PartialEq)]
pub struct SinkSession {
    pub header: SinkSessionHeader,
    pub arrivals: Vec<SinkRecord>,
}

/// What the history list shows of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SinkSummary {
    pub id: String,
    pub at: String,
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    pub base_url: String,
    pub requests: usize,
    /// The worst finding over all arrivals.
    pub worst: Level,
    pub summary: String,
}

impl SinkSession {
    pub fn summary(&self) -> SinkSummary {
        let worst = self
            .arrivals
            .iter()
            .map(SinkRecord::worst)
            .max()
            .unwrap_or(Level::Ok);
        let n = self.arrivals.len();
        SinkSummary {
            id: self.header.session.clone(),
            at: self.header.at.clone(),
            provider: self.header.provider.clone(),
            profile: self.header.profile.clone(),
            base_url: self.header.base_url.clone(),
            requests: n,
            worst,
            summary: format!(
                "sink: {n} request{} received",
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

/// An open session's journal.
pub struct SinkLog {
    path: PathBuf,
}

impl SinkLog {
    /// Appends one arrival, redacted.
    pub fn add(&self, record: &SinkRecord) -> Result<(), StoreError> {
        append(&self.path, &Line::Arrival(Box::new(record.redacted())))
    }
}

fn append(path: &Path, line: &Line) -> Result<(), StoreError> {
    let mut bytes = serde_json::to_vec(line).map_err(|e| StoreError::Invalid(e.to_string()))?;
    bytes.push(b'\n');
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| StoreError::io("open", path, e))?;
    // One write of the whole line: a crash leaves at most a torn last line, skipped when read.
    file.write_all(&bytes)
        .map_err(|e| StoreError::io("write", path, e))
}

/// Sink session ids start with this, so `history show` tells them from sends.
pub const SESSION_PREFIX: &str = "sink-";

impl HistoryStore {
    fn sink_dir(&self) -> PathBuf {
        self.dir.join("sink")
    }

    fn sink_path(&self, id: &str) -> Result<PathBuf, StoreError> {
        if !id.starts_with(SESSION_PREFIX)
            || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(StoreError::Invalid(format!(
                "`{id}` is not a sink session id"
            )));
        }
        Ok(self.sink_dir().join(format!("{id}.jsonl")))
    }

    /// A new session id (`sink-<time>-<random>`).
    pub fn new_sink_session_id() -> String {
        format!("{SESSION_PREFIX}{}", HistoryStore::new_id())
    }

    /// Starts a session's journal (its header written now); the oldest sessions beyond the
    /// limit are removed.
    pub fn start_sink_session(&self, header: &SinkSessionHeader) -> Result<SinkLog, StoreError> {
        let path = self.sink_path(&header.session)?;
        let dir = self.sink_dir();
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::io("create folder", &dir, e))?;
        append(&path, &Line::Session(header.clone()))?;
        let mut ids = self.sink_ids();
        if ids.len() > MAX_SESSIONS {
            ids.sort();
            for old in &ids[..ids.len() - MAX_SESSIONS] {
                let _ = std::fs::remove_file(dir.join(format!("{old}.jsonl")));
            }
        }
        Ok(SinkLog { path })
    }

    fn sink_ids(&self) -> Vec<String> {
        let Ok(read) = std::fs::read_dir(self.sink_dir()) else {
            return Vec::new();
        };
        read.filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.strip_suffix(".jsonl")
                    .filter(|id| id.starts_with(SESSION_PREFIX))
                    .map(str::to_string)
            })
            .collect()
    }

    /// A session with its arrivals, or none when there is no such session. Lines that do not
    /// read (a write cut short) are skipped.
    pub fn sink_session(&self, id: &str) -> Result<Option<SinkSession>, StoreError> {
        let path = self.sink_path(id)?;
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::io("read", &path, e)),
        };
        let mut header = None;
        let mut arrivals = Vec::new();
        for line in text.lines() {
            match serde_json::from_str(line) {
                Ok(Line::Session(h)) => header = Some(h),
                Ok(Line::Arrival(r)) => arrivals.push(*r),
                Err(_) => {}
            }
        }
        Ok(header.map(|header| SinkSession { header, arrivals }))
    }

    /// Every session, newest first.
    pub fn sink_sessions(&self) -> Vec<SinkSummary> {
        let mut ids = self.sink_ids();
        ids.sort_by(|a, b| b.cmp(a));
        ids.iter()
            .filter_map(|id| self.sink_session(id).ok().flatten())
            .map(|s| s.summary())
            .collect()
    }
}

/// The local CA's certificate file, or none yet.
pub fn read_ca_pem(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// Writes the CA certificate where clients are told to find it.
pub fn write_ca_pem(path: &Path, pem: &str) -> Result<(), StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::io("create folder", dir, e))?;
    }
    write_atomic(path, pem.as_bytes())
}

/// The sink's own secrets in the keyring: the CA key and each imitation's kept blob.
impl SecretStore {
    pub fn sink_secret(&self, field: &str) -> Result<Option<String>, StoreError> {
        Ok(self.get(KEYRING_NAME, field)?)
    }

    pub fn set_sink_secret(&self, field: &str, value: &str) -> Result<(), StoreError> {
        Ok(self.set(KEYRING_NAME, field, value)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{PreparedRequest, ResponseDump};

    #[test]
    fn a_session_is_kept_redacted_and_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let history = HistoryStore::new(dir.path().join("history"));
        let id = HistoryStore::new_sink_session_id();
        let log = history
            .start_sink_session(&SinkSessionHeader {
                session: id.clone(),
                at: "2026-12-04T00:00:00Z".into(),
                provider: "ntfy".into(),
                profile: None,
                base_url: "http://127.0.0.1:1".into(),
            })
            .expect("start");
        let mut request = PreparedRequest::new("POST", "http://127.0.0.1:1/").secret_header(
            "authorization",
            "Bearer tk_SECRET99",
            "token",
            "tk_SECRET99",
        );
        request.plaintext = Some("tk_SECRET99".into());
        let record = SinkRecord {
            at: "2026-12-04T00:00:01Z".into(),
            provider: "ntfy".into(),
            exchange: Exchange {
                response: Some(ResponseDump {
                    status: 401,
                    reason: "Unauthorized".into(),
                    version: "HTTP/1.1".into(),
                    headers: vec![],
                    body: crate::http::Body::Text("{}".into()),
                    truncated: false,
                }),
                ..Exchange::unsent(request)
            },
            findings: vec![Finding::fail("token tk_SECRET99 is wrong")],
            summary: "publish with tk_SECRET99".into(),
            decoded: vec![],
            rehearsal: None,
        };
        log.add(&record).expect("add");
        let text = std::fs::read_to_string(history.sink_path(&id).expect("path")).expect("read");
        assert!(!text.contains("tk_SECRET99"), "{text}");
        let list = history.sink_sessions();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].requests, 1);
        assert_eq!(list[0].worst, Level::Fail);
        let session = history.sink_session(&id).expect("read").expect("there");
        assert_eq!(session.arrivals[0].status(), 401);
        assert!(history.sink_session("../x").is_err());
    }
}
