//! The kept form of one request's result: its exchange redacted and its outcome's words scrubbed
//! of the request's secrets. Sends (history entries) and calls (the call log) keep the same.

use serde::{Deserialize, Serialize};

use crate::http::{Body, Exchange};
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

/// Binary request bodies kept per history entry (see `HistoryStore::add`).
pub const KEEP_BINARY_BODIES: usize = 20;

/// Trims one kept result as history keeps it: redacted (a safety net), and in a fan-out, binary
/// bodies (encrypted Web Push payloads, unreadable without the browser's key) kept for the first
/// `KEEP_BINARY_BODIES` requests only; their plaintext stays.
pub(super) fn keep_for_history(r: &mut HistoryResult, position: usize) {
    // A redacted exchange lists no secrets: only an unredacted one needs the work.
    if !r.exchange.request.secrets.is_empty() {
        r.exchange = r.exchange.redacted();
    }
    let body = &mut r.exchange.request.body;
    if position >= KEEP_BINARY_BODIES
        && let Body::Bytes(bytes) = body
    {
        *body = Body::Text(format!(
            "[{} bytes of binary body not kept: history keeps the first {KEEP_BINARY_BODIES} of a fan-out]",
            bytes.len()
        ));
    }
}
