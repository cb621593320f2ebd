//! What an exchange means, in words: the provider's verdict, judged from the body as well as the
//! status.

use serde::{Deserialize, Serialize};

use crate::http::{Exchange, TransportErrorKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The provider accepted it.
    Accepted,
    /// The provider answered and said no (4xx/5xx, or an error in a 2xx body).
    Refused,
    /// Nothing usable came back: connect, TLS, timeout, cancelled.
    TransportFailed,
    /// Built but deliberately not sent (preview, local dry run).
    NotSent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub verdict: Verdict,
    /// One line a marketer understands.
    pub summary: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// What to do about it, when there is something to do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Seconds the provider asked us to wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Extra structured data a provider reports (e.g. lists loaded by a lookup).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub items: Vec<LookupItem>,
}

/// One thing a lookup found: the value that goes into the audience, and how to show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookupItem {
    pub value: String,
    pub label: String,
}

impl LookupItem {
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
        }
    }

    /// An item shown as its own value.
    pub fn plain(value: impl Into<String>) -> Self {
        let value = value.into();
        Self {
            label: value.clone(),
            value,
        }
    }
}

impl Outcome {
    pub fn accepted(summary: impl Into<String>) -> Self {
        Self::new(Verdict::Accepted, summary)
    }

    pub fn refused(summary: impl Into<String>) -> Self {
        Self::new(Verdict::Refused, summary)
    }

    pub fn not_sent(summary: impl Into<String>) -> Self {
        Self::new(Verdict::NotSent, summary)
    }

    fn new(verdict: Verdict, summary: impl Into<String>) -> Self {
        Self {
            verdict,
            summary: summary.into(),
            message_id: None,
            hint: None,
            retry_after: None,
            items: Vec::new(),
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }

    pub fn is_ok(&self) -> bool {
        self.verdict == Verdict::Accepted
    }

    /// The transport's own verdict when no response arrived; `None` when there is a response for
    /// the provider to judge.
    pub fn from_transport(exchange: &Exchange) -> Option<Outcome> {
        let error = exchange.error.as_ref()?;
        let mut outcome = Outcome::new(Verdict::TransportFailed, error.message.clone());
        if error.kind == TransportErrorKind::Cancelled {
            outcome.summary = "Cancelled before an answer arrived.".into();
        }
        Some(outcome)
    }

    /// A generic reading of an HTTP status for providers' unlisted cases.
    pub fn from_status(provider: &str, status: u16, detail: &str) -> Outcome {
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        match status {
            200..=299 => Outcome::accepted(format!("{provider} accepted it ({status}){detail}")),
            401 | 403 => Outcome::refused(format!("{provider} refused the credentials ({status}){detail}"))
                .with_hint("Check the key in this profile (Edit credentials) and that it belongs to this app or account."),
            404 => Outcome::refused(format!("{provider} could not find it ({status}){detail}"))
                .with_hint("Check the IDs in this profile and the base URL."),
            429 => Outcome::refused(format!("{provider} is rate limiting ({status}){detail}"))
                .with_hint("Wait a little and send again."),
            500..=599 => Outcome::refused(format!("{provider} had a server error ({status}){detail}"))
                .with_hint("This is on the provider's side; try again in a few minutes."),
            _ => Outcome::refused(format!("{provider} refused it ({status}){detail}")),
        }
    }
}
