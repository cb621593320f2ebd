//! What a send reports: each request's result as it lands, and the whole report at the end.

use std::sync::Arc;

use crate::draft::DraftError;
use crate::http::Exchange;
use crate::outcome::{Outcome, Verdict};
use crate::store::{HistorySummary, Tally};

/// One request's result, as the front ends show it.
#[derive(Debug, Clone)]
pub struct SendResult {
    pub index: usize,
    pub exchange: Exchange,
    pub outcome: Outcome,
    /// Earlier attempts of the same request that the provider asked to retry (429 + Retry-After).
    pub retried: Vec<Exchange>,
}

#[derive(Debug, Clone)]
pub enum EngineEvent {
    /// Requests were built; `total` will follow.
    Started { total: usize, warnings: Vec<String> },
    /// Shared with the report: a big fan-out's results are not copied per event.
    Result(Arc<SendResult>),
    /// All done (or cancelled). `history_id` is where it was recorded.
    Finished(Arc<SendReport>),
    /// The draft could not be turned into requests: nothing was sent.
    Invalid(DraftError),
}

#[derive(Debug, Clone, Default)]
pub struct SendReport {
    pub results: Vec<Arc<SendResult>>,
    pub warnings: Vec<String>,
    pub cancelled: bool,
    /// The requests were steps in sequence (a Pushbullet file push): the last result says how
    /// the whole send went (the final step's outcome, or the step that failed).
    pub stepped: bool,
    pub history_id: Option<String>,
    /// The history list's row for this send, so a front end need not read the history again.
    pub history_summary: Option<HistorySummary>,
    /// Set when the history could not be written (the send itself happened).
    pub history_error: Option<String>,
    /// A streamed fan-out: every request counted, while `results` keeps the first
    /// `REPORT_KEEP` and every failure.
    pub tally: Option<Tally>,
}

impl SendReport {
    /// Requests the send stopped waiting for: in doubt, since they may have arrived.
    pub fn abandoned(&self) -> usize {
        self.results
            .iter()
            .filter(|r| r.exchange.is_abandoned())
            .count()
    }

    /// Requests made and accepted, all of them counted.
    pub fn counts(&self) -> Tally {
        self.tally.unwrap_or_else(|| Tally {
            requests: self.results.len(),
            accepted: self.results.iter().filter(|r| r.outcome.is_ok()).count(),
        })
    }
}

impl SendReport {
    /// The CLI exit status of CONTRACT.md: 0 all accepted, 1 refused, 3 transport failure.
    pub fn exit_code(&self) -> i32 {
        let verdicts: Vec<Verdict> = self.results.iter().map(|r| r.outcome.verdict).collect();
        if verdicts.contains(&Verdict::TransportFailed) {
            3
        } else if verdicts.contains(&Verdict::Refused) {
            1
        } else {
            0
        }
    }
}
