//! The kept form of one request's result: its exchange redacted and its outcome's words scrubbed
//! of the request's secrets. Sends (history entries) and calls (the call log) keep the same.

use serde::{Deserialize, Serialize};

use crate::http::Exchange;
use crate::outcome::Outcome;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryResult {
    pub exchange: Exchange,
    pub outcome: Outcome,
}

/// The history form of one result: the exchange redacted, and the outcome's words too (a provider
/// may quote a secret of the request in them).
pub fn history_result(exchange: &Exchange, outcome: &Outcome) -> HistoryResult {
    HistoryResult {
        exchange: exchange.redacted(),
        outcome: outcome.clone().without_secrets(&exchange.request.secrets),
    }
}
