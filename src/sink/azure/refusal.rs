//! The hub's refusal: a status and the `Detail` of its `<Error>` body, shared by the checks.

/// `<Error><Code>{status}</Code><Detail>{detail} TrackingId:…,TimeStamp:…</Detail></Error>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubError {
    pub status: u16,
    pub detail: String,
    /// Seconds to wait (a 429's Retry-After).
    pub retry_after: Option<u64>,
}

impl HubError {
    pub fn new(status: u16, detail: impl Into<String>) -> Self {
        Self {
            status,
            detail: detail.into(),
            retry_after: None,
        }
    }
}

/// The profile's hub and key the tokens are checked against.
pub struct HubKey {
    pub hub: String,
    pub key_name: String,
    pub key: String,
}
