//! The calls beside sending (checks, lookups, Telegram's webhook, Courier's delivery status…): one
//! redacted line each in `history/calls.jsonl`, newest last, so both front ends keep the same record
//! of every request they made. A line cut short by a crash is skipped when read.

use std::io::Write;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::atomic::write_atomic;
use super::error::StoreError;
use super::record::HistoryResult;

/// One call beside sending, as kept: the exchange redacted, the outcome's words scrubbed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallRecord {
    pub at: String,
    pub provider: String,
    pub profile: String,
    /// What was asked, in a few words ("check", "lookup segments", "setWebhook").
    pub call: String,
    #[serde(flatten)]
    pub result: HistoryResult,
}

/// The log rewrites itself with its newer half once it grows past this.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

pub struct CallLog {
    path: PathBuf,
}

impl CallLog {
    pub fn new(path: PathBuf) -> Self {
        Self { path }
    }

    /// Appends one record. Exchanges must already be redacted; this re-redacts as a safety net.
    pub fn add(&self, mut record: CallRecord) -> Result<(), StoreError> {
        if !record.result.exchange.request.secrets.is_empty() {
            record.result.exchange = record.result.exchange.redacted();
        }
        let mut line =
            serde_json::to_vec(&record).map_err(|e| StoreError::Invalid(e.to_string()))?;
        line.push(b'\n');
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::io("create folder", dir, e))?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|e| StoreError::io("open", &self.path, e))?;
        // One write of the whole line: appends of this size do not interleave.
        file.write_all(&line)
            .map_err(|e| StoreError::io("write", &self.path, e))?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        drop(file);
        if size > MAX_BYTES {
            self.keep_newest_half()?;
        }
        Ok(())
    }

    /// Oldest first. Lines that do not parse (a write cut short) are skipped.
    pub fn list(&self) -> Vec<CallRecord> {
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Vec::new();
        };
        text.lines()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    fn keep_newest_half(&self) -> Result<(), StoreError> {
        let records = self.list();
        let mut text = Vec::new();
        for record in &records[records.len() / 2..] {
            serde_json::to_writer(&mut text, record)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            text.push(b'\n');
        }
        write_atomic(&self.path, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Exchange, PreparedRequest};
    use crate::outcome::Outcome;

    #[test]
    fn a_call_is_kept_redacted_and_a_torn_line_is_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let log = CallLog::new(dir.path().join("calls.jsonl"));
        let request = PreparedRequest::new("GET", "https://x.test/botSECRET123/getMe")
            .secret_header("X-Token", "SECRET123", "bot_token", "SECRET123");
        log.add(CallRecord {
            at: "2026-12-04T00:00:00Z".into(),
            provider: "telegram".into(),
            profile: "bot".into(),
            call: "getMe".into(),
            result: HistoryResult {
                exchange: Exchange::unsent(request),
                outcome: Outcome::accepted("ok"),
            },
        })
        .expect("add");
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.path().join("calls.jsonl"))
            .expect("open");
        file.write_all(b"{\"at\": \"torn").expect("write");
        let text = std::fs::read_to_string(dir.path().join("calls.jsonl")).expect("read");
        assert!(!text.contains("SECRET123"), "{text}");
        let calls = log.list();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].call, "getMe");
    }
}
