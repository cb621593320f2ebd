//! One history entry (a past send, finished or read from its journal), and what the history list
//! shows of it without loading every dump: its one-line summary, and who a resume would send to.

use serde::{Deserialize, Serialize};

use super::ranges::Reached;
use super::record::HistoryResult;
use crate::draft::Draft;

/// One past send: the draft that made it, every (redacted) exchange and its outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub id: String,
    pub at: String,
    pub provider: String,
    pub profile: String,
    pub audience: String,
    pub draft: Draft,
    pub results: Vec<HistoryResult>,
    /// Finished, or read from the journal of a send that never finished.
    #[serde(default, skip_serializing_if = "EntryState::is_finished")]
    pub state: EntryState,
    /// The entry this send resumed (`pushdeck resume`, "Send to the remaining").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumes: Option<String>,
    /// One fingerprint per prepared request of the draft, in order (empty in entries written
    /// before resuming existed): who each recipient is, so a resume can tell them apart.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recipients: Vec<String>,
    /// A streamed fan-out's recipients in compact form (instead of `recipients`): how many…
    #[serde(default, skip_serializing_if = "is_zero")]
    pub recipient_count: usize,
    /// …and one digest of all their fingerprints in order (a resume checks it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipients_digest: Option<String>,
    /// Prepared indices of the recipients with a recorded success (here or in the entry resumed).
    /// Kept as runs (`[first, last]`): a million successes are a few bytes.
    #[serde(default, skip_serializing_if = "Reached::is_empty")]
    pub done: Reached,
    /// Prepared indices in doubt: their request went out but the send was stopped before its
    /// answer was read (here, or in the entry resumed, which did not send to them again). Maybe
    /// delivered: a resume skips them unless asked to include them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub in_doubt: Vec<usize>,
    /// A streamed fan-out keeps the full exchange of a sample and of every failure only; this
    /// counts every request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tally: Option<Tally>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Requests made and accepted, when the entry keeps only some of them in full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub requests: usize,
    pub accepted: usize,
}

/// Whether a send finished.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    #[default]
    Finished,
    /// Its journal stopped before the send finished (crash, kill, power cut).
    Interrupted,
    /// Its journal is still being written by a send in progress.
    Running,
}

impl EntryState {
    fn is_finished(&self) -> bool {
        *self == EntryState::Finished
    }
}

/// What the history list shows without loading every dump.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistorySummary {
    pub id: String,
    pub at: String,
    pub provider: String,
    pub profile: String,
    pub audience: String,
    pub ok: bool,
    pub summary: String,
    pub requests: usize,
    #[serde(default)]
    pub state: EntryState,
    /// Recipients known to the entry (0 for entries written before resuming existed).
    #[serde(default)]
    pub recipients: usize,
    /// Of those, how many have a recorded success.
    #[serde(default)]
    pub reached: usize,
    /// Of those, how many are in doubt: sent, but stopped before the answer was read.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub in_doubt: usize,
    /// The entry this send resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumes: Option<String>,
    /// Set on a campaign's row (`campaigns.rs`): how many targets it sent to.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub targets: usize,
}

impl HistorySummary {
    /// Recipients a resume would send to by default (those in doubt are not).
    pub fn remaining(&self) -> usize {
        self.recipients
            .saturating_sub(self.reached)
            .saturating_sub(self.in_doubt)
    }
}

impl HistoryEntry {
    /// How many recipients the draft makes, in either form.
    pub fn recipient_count(&self) -> usize {
        match self.recipients_digest {
            Some(_) => self.recipient_count,
            None => self.recipients.len(),
        }
    }

    pub fn summary(&self) -> HistorySummary {
        let mut ok = !self.results.is_empty() && self.results.iter().all(|r| r.outcome.is_ok());
        let reached = self.done.len();
        let recipients = self.recipient_count();
        let in_doubt = self.in_doubt.len();
        let doubt = if in_doubt > 0 {
            format!(", {in_doubt} in doubt")
        } else {
            String::new()
        };
        let summary = match (self.state, self.results.as_slice(), self.tally) {
            (EntryState::Interrupted, _, _) => {
                format!("interrupted: {reached} of {recipients} done{doubt}")
            }
            (EntryState::Running, _, _) => {
                format!("sending: {reached} of {recipients} done so far")
            }
            (EntryState::Finished, _, Some(t)) if t.requests != 1 => {
                ok = t.requests > 0 && t.accepted == t.requests;
                format!("{} of {} requests accepted{doubt}", t.accepted, t.requests)
            }
            (EntryState::Finished, [one], _) => format!("{}{doubt}", one.outcome.summary),
            (EntryState::Finished, many, _) => {
                let good = many.iter().filter(|r| r.outcome.is_ok()).count();
                format!("{good} of {} requests accepted{doubt}", many.len())
            }
        };
        let ok = ok && self.state.is_finished();
        HistorySummary {
            id: self.id.clone(),
            at: self.at.clone(),
            provider: self.provider.clone(),
            profile: self.profile.clone(),
            audience: self.audience.clone(),
            ok,
            summary,
            requests: self.tally.map_or(self.results.len(), |t| t.requests),
            state: self.state,
            recipients,
            reached,
            in_doubt,
            resumes: self.resumes.clone(),
            targets: 0,
        }
    }

    /// Prepared indices of the recipients with no recorded success and not in doubt: what a
    /// resume sends to by default.
    pub fn remaining(&self) -> Vec<usize> {
        self.to_resume(false)
    }

    /// What a resume sends to: the recipients with no recorded success, those in doubt (maybe
    /// delivered) only when `include_in_doubt`.
    pub fn to_resume(&self, include_in_doubt: bool) -> Vec<usize> {
        (0..self.recipient_count())
            .filter(|i| !self.done.contains(*i))
            .filter(|i| include_in_doubt || self.in_doubt.binary_search(i).is_err())
            .collect()
    }
}
