//! Courier's documented error statuses, in plain words with what to do.

use serde_json::Value;

use crate::outcome::Outcome;
use crate::provider::shared::{StatusRule, said_or_status, status_outcome};

/// The provider's name in every outcome's words.
pub const NAME: &str = "Courier";

/// Courier's documented error statuses; the rest get the generic reading.
pub const ERRORS: &[StatusRule<'static>] = &[
    StatusRule::new(
        &[400, 422],
        "refused the request",
        "Fix what it names and send again; nothing was sent.",
    ),
    StatusRule::new(
        &[401],
        "refused the auth token",
        "Copy the workspace's API key from Settings > API Keys (test and production keys differ) and store it with Edit credentials or `pushdeck secret set PROFILE auth_token`.",
    ),
    StatusRule::new(
        &[403],
        "says this key may not do that",
        "Use a key with full access to this workspace.",
    ),
    StatusRule::new(
        &[404],
        "could not find it",
        "Check the template or list id, and the base URL.",
    ),
    StatusRule::new(
        &[409],
        "refused a reused idempotency key",
        "This key was already used for a different message: change the message, or clear options.idempotency_key for a new one.",
    ),
    StatusRule::new(&[429], "is rate limiting", "Wait a little and send again."),
];

pub fn error_outcome(status: u16, body: Option<&Value>, retry_after: Option<u64>) -> Outcome {
    let message = body
        .and_then(|b| b.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let said = said_or_status(message, status);
    status_outcome(NAME, status, &said, retry_after, ERRORS)
        .unwrap_or_else(|| Outcome::from_status(NAME, status, message))
}
