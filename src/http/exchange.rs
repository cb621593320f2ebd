use serde::{Deserialize, Serialize};

use super::request::{Body, PreparedRequest};

/// Response bodies beyond this are cut (and marked truncated) so a runaway server cannot exhaust
/// memory; 10 MB is far above any provider's real answer.
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

/// One request as it was sent, and what came back (or why nothing did), with timing. The
/// `request` keeps its secret list in memory only; `redacted()` is what leaves the process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: PreparedRequest,
    pub response: Option<ResponseDump>,
    pub error: Option<TransportError>,
    /// RFC 3339 time the request started.
    pub started_at: String,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseDump {
    pub status: u16,
    pub reason: String,
    pub version: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// True when the body was longer than the transport keeps; `body` is the first part.
    #[serde(default)]
    pub truncated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransportErrorKind {
    Connect,
    Timeout,
    Tls,
    Cancelled,
    /// Handed to the network, then the send stopped waiting for its answer (a second Ctrl-C, the
    /// window's Stop): it may have arrived, so the recipient is in doubt, as after a kill.
    Abandoned,
    Refused,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct TransportError {
    pub kind: TransportErrorKind,
    /// What happened and what to do, in words.
    pub message: String,
    /// The underlying error text, for developers.
    pub detail: String,
}

impl ResponseDump {
    pub fn header(&self, name: &str) -> Option<&str> {
        super::request::header_in(&self.headers, name)
    }

    pub fn text(&self) -> &str {
        self.body.as_text().unwrap_or("")
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(self.text()).ok()
    }

    /// `Retry-After` in seconds: given as seconds, or as an HTTP-date counted from now.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after_at(std::time::SystemTime::now())
    }

    /// `retry_after` as of `now`. A date already past means "now" (0); an unreadable value, none.
    pub fn retry_after_at(&self, now: std::time::SystemTime) -> Option<u64> {
        let value = self.header("retry-after")?.trim();
        if let Ok(seconds) = value.parse() {
            return Some(seconds);
        }
        let at = httpdate::parse_http_date(value).ok()?;
        Some(match at.duration_since(now) {
            // Rounded up: retrying a moment early would only be refused again.
            Ok(wait) => wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            Err(_) => 0,
        })
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

impl Exchange {
    /// Handed to the network, then abandoned while its answer was awaited: in doubt.
    pub fn is_abandoned(&self) -> bool {
        self.error
            .as_ref()
            .is_some_and(|e| e.kind == TransportErrorKind::Abandoned)
    }

    /// A copy safe to show, store or print: every secret masked, request and response alike.
    pub fn redacted(&self) -> Exchange {
        let secrets = &self.request.secrets;
        let mask = |t: &str| super::redact::mask_all(t, secrets);
        Exchange {
            request: self.request.redacted(),
            response: self.response.as_ref().map(|r| ResponseDump {
                status: r.status,
                reason: r.reason.clone(),
                version: r.version.clone(),
                headers: r
                    .headers
                    .iter()
                    .map(|(n, v)| (n.clone(), mask(v)))
                    .collect(),
                body: match &r.body {
                    Body::Text(t) => Body::Text(mask(t)),
                    other => other.clone(),
                },
                truncated: r.truncated,
            }),
            error: self.error.as_ref().map(|e| TransportError {
                kind: e.kind,
                message: mask(&e.message),
                detail: mask(&e.detail),
            }),
            started_at: self.started_at.clone(),
            elapsed_ms: self.elapsed_ms,
        }
    }

    /// An exchange for a request that was built but never sent (preview, dry run).
    pub fn unsent(request: PreparedRequest) -> Exchange {
        Exchange {
            request,
            response: None,
            error: None,
            started_at: crate::clock::now_rfc3339(),
            elapsed_ms: 0.0,
        }
    }
}

/// A response body as it arrives, kept up to `MAX_RESPONSE_BYTES` (what is beyond is dropped and
/// the body marked truncated): the pooled clients and the lanes read answers alike.
#[derive(Default)]
pub(super) struct Collected {
    bytes: Vec<u8>,
    truncated: bool,
}

impl Collected {
    /// Takes one chunk; `false` once the body is full (stop reading).
    pub fn take(&mut self, chunk: &[u8]) -> bool {
        let room = MAX_RESPONSE_BYTES.saturating_sub(self.bytes.len());
        if chunk.len() > room {
            self.bytes.extend_from_slice(&chunk[..room]);
            self.truncated = true;
            return false;
        }
        self.bytes.extend_from_slice(chunk);
        true
    }

    /// Bytes received so far.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The answer as the dumps keep it: the body as text when it is UTF-8, bytes otherwise.
    pub fn into_dump(
        self,
        status: http::StatusCode,
        version: http::Version,
        headers: Vec<(String, String)>,
    ) -> ResponseDump {
        let body = if self.bytes.is_empty() {
            Body::Empty
        } else {
            match String::from_utf8(self.bytes) {
                Ok(text) => Body::Text(text),
                Err(e) => Body::Bytes(e.into_bytes().into()),
            }
        };
        ResponseDump {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            version: format!("{version:?}"),
            headers,
            body,
            truncated: self.truncated,
        }
    }
}

/// A response's headers as the dumps keep them.
pub(super) fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}
