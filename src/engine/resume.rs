//! Who each prepared request is for (its fingerprint), which of them a resumed send skips, and
//! the journal a send records its results in as they land.

use super::report::SendResult;
use crate::draft::{Draft, DraftError};
use crate::http::PreparedRequest;
use crate::store::{EntryState, HistoryEntry, Journal, JournalHeader};

/// What a resumed send takes from the entry it resumes.
#[derive(Debug, Clone)]
pub struct ResumeFrom {
    pub of: String,
    /// Fingerprints of the original send's requests, in order.
    pub recipients: Vec<String>,
    /// Prepared indices already reached: never sent again.
    pub done: Vec<usize>,
}

impl ResumeFrom {
    /// What `entry` leaves to send, or why it cannot be resumed.
    pub fn of(entry: &HistoryEntry) -> Result<Self, String> {
        if entry.state == EntryState::Running {
            return Err(format!(
                "History entry {} is still sending (its journal is held by a running Pushdeck). Wait for it to finish, or stop it, then resume.",
                entry.id
            ));
        }
        if entry.recipients.is_empty() {
            return Err(format!(
                "History entry {} was recorded without recipient identities (by an older Pushdeck, or before any request was built), so Pushdeck cannot tell who already received it. Send the draft again instead.",
                entry.id
            ));
        }
        if entry.remaining().is_empty() {
            return Err(format!(
                "Every recipient of history entry {} already has a recorded success: nothing to resume.",
                entry.id
            ));
        }
        Ok(Self {
            of: entry.id.clone(),
            recipients: entry.recipients.clone(),
            done: entry.done.clone(),
        })
    }

    /// The prepared indices to send: all but those done, once the draft is checked to make the
    /// same recipients as before (a changed profile could point the same index elsewhere).
    pub(super) fn pick(&self, fingerprints: &[String]) -> Result<Vec<usize>, DraftError> {
        if fingerprints != self.recipients.as_slice() {
            return Err(DraftError::new(
                "audience",
                format!(
                    "the draft of history entry {} no longer makes the same {} requests (now {}): its profile or provider changed since, so Pushdeck cannot tell who already received it. Nothing was sent; send the draft again instead.",
                    self.of,
                    self.recipients.len(),
                    fingerprints.len()
                ),
            ));
        }
        Ok((0..fingerprints.len())
            .filter(|i| self.done.binary_search(i).is_err())
            .collect())
    }
}

/// One short fingerprint per request: its position, method, URL and recipient. A fan-out's
/// requests differ by URL (Web Push endpoint, APNs device) or recipient (FCM token, Telegram chat);
/// the position tells apart two that look alike. Hashed: a URL may hold a token.
pub(super) fn fingerprints(requests: &[PreparedRequest]) -> Vec<String> {
    requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let who = format!(
                "{i}\n{}\n{}\n{}",
                r.method,
                r.url,
                r.recipient.as_deref().unwrap_or("")
            );
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, who.as_bytes());
            digest.as_ref()[..8]
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect()
}

/// A send's history as it goes: its id from the start, and its journal.
#[derive(Default)]
pub(super) struct Recording {
    pub id: String,
    pub journal: Option<Journal>,
    /// Fingerprints of every prepared request of the draft.
    pub recipients: Vec<String>,
    /// The prepared index of each request sent, in the order sent.
    pub chosen: Vec<usize>,
    /// Prepared indices reached by the send this one resumes.
    pub carried: Vec<usize>,
    pub resumes: Option<String>,
    /// Result rows before the first request (a token exchange).
    pub offset: usize,
}

impl Recording {
    /// The journal's first line: what is sent, through what, to whom.
    pub fn header(
        &self,
        provider: &str,
        profile: &str,
        audience: String,
        draft: &Draft,
        total: usize,
    ) -> JournalHeader {
        JournalHeader {
            id: self.id.clone(),
            at: crate::clock::now_rfc3339(),
            provider: provider.to_string(),
            profile: profile.to_string(),
            audience,
            draft: draft.clone(),
            total,
            recipients: self.recipients.clone(),
            carried: self.carried.clone(),
            resumes: self.resumes.clone(),
        }
    }

    /// The prepared index of a result row; `None` for the token exchange.
    pub fn request_of(&self, index: usize) -> Option<usize> {
        let i = index.checked_sub(self.offset)?;
        self.chosen.get(i).copied()
    }

    pub fn record(&self, r: &SendResult) {
        if let Some(journal) = &self.journal {
            journal.record(
                self.request_of(r.index),
                &r.retried,
                &r.exchange,
                &r.outcome,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resume_skips_the_done_and_refuses_changed_recipients() {
        let requests: Vec<_> = (0..4)
            .map(|i| PreparedRequest::new("POST", format!("https://push.test/{i}")))
            .collect();
        let prints = fingerprints(&requests);
        let from = ResumeFrom {
            of: "x".into(),
            recipients: prints.clone(),
            done: vec![0, 2],
        };
        assert_eq!(from.pick(&prints).expect("same"), [1, 3]);
        let other = fingerprints(&requests[1..]);
        assert!(from.pick(&other).is_err());
    }
}
