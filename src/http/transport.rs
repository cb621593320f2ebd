use std::time::{Duration, Instant};

use super::exchange::{Exchange, ResponseDump, TransportError, TransportErrorKind};
use super::request::{Body, PreparedRequest, SecretRef, is_loopback_url};

/// Response bodies beyond this are cut (and marked truncated) so a runaway server cannot exhaust
/// memory; 10 MB is far above any provider's real answer.
pub const MAX_RESPONSE_BYTES: usize = 10 * 1024 * 1024;

const USER_AGENT: &str = concat!("pushdeck/", env!("CARGO_PKG_VERSION"));

/// The one place that sends. Connections are pooled per host, redirects are never followed
/// (credentials must not travel to another host), and every call ends within its timeout.
#[derive(Clone)]
pub struct Transport {
    client: reqwest::Client,
    /// HTTP/2 with prior knowledge, for requests marked `http2_only` (APNs): h2c over plain
    /// http to loopback, h2 over TLS otherwise.
    http2: reqwest::Client,
}

impl Transport {
    pub fn new(connect_timeout: Duration) -> Result<Self, TransportError> {
        let builder = || {
            reqwest::Client::builder()
                .connect_timeout(connect_timeout)
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(USER_AGENT)
                .pool_idle_timeout(Duration::from_secs(60))
        };
        let failed = |e: reqwest::Error| TransportError {
            kind: TransportErrorKind::Other,
            message: "Could not set up the HTTP client.".into(),
            detail: error_chain(&e),
        };
        let client = builder().build().map_err(failed)?;
        let http2 = builder().http2_prior_knowledge().build().map_err(failed)?;
        Ok(Self { client, http2 })
    }

    /// Sends one request and records the exchange. Never panics, never waits beyond `timeout`.
    pub async fn send(&self, request: PreparedRequest, timeout: Duration) -> Exchange {
        let started_at = crate::clock::now_rfc3339();
        let start = Instant::now();
        let mut request = with_implicit_headers(request);
        let result = match self.build(&request) {
            Ok(builder) => {
                match tokio::time::timeout(timeout, self.execute(builder, &request)).await {
                    Ok(result) => result,
                    Err(_) => Err(TransportError {
                        kind: TransportErrorKind::Timeout,
                        message: format!(
                            "No complete answer from {} within {} s. The server may be down or overloaded; try again, or allow more time with --timeout.",
                            request.host(),
                            timeout.as_secs_f64()
                        ),
                        detail: format!("total timeout of {timeout:?} elapsed"),
                    }),
                }
            }
            Err(e) => Err(e),
        };
        let elapsed_ms = start.elapsed().as_secs_f64() * 1000.0;
        if request.header_value("content-length").is_none() && !request.body.is_empty() {
            let len = request.body.len().to_string();
            request.headers.push(("Content-Length".into(), len));
        }
        let (response, error) = match result {
            Ok(r) => (Some(mask_echoed_secrets(r, &request.secrets)), None),
            Err(e) => (None, Some(e)),
        };
        Exchange {
            request,
            response,
            error,
            started_at,
            elapsed_ms,
        }
    }

    fn build(&self, request: &PreparedRequest) -> Result<reqwest::RequestBuilder, TransportError> {
        let refused = |message: String, detail: String| TransportError {
            kind: TransportErrorKind::Refused,
            message,
            detail,
        };
        let url = url::Url::parse(&request.url).map_err(|e| {
            refused(
                format!("`{}` is not a valid URL.", request.url),
                e.to_string(),
            )
        })?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback_url(&url) => {}
            scheme => {
                return Err(refused(
                    format!(
                        "Refused to send to {}: plain {scheme}:// is only allowed to this computer, so secrets never cross a network unencrypted.",
                        url.host_str().unwrap_or("?")
                    ),
                    request.url.clone(),
                ));
            }
        }
        let method = reqwest::Method::from_bytes(request.method.as_bytes()).map_err(|e| {
            refused(
                format!("`{}` is not an HTTP method.", request.method),
                e.to_string(),
            )
        })?;
        let client = if request.http2_only {
            &self.http2
        } else {
            &self.client
        };
        let mut builder = client.request(method, url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        match &request.body {
            Body::Empty => {}
            Body::Text(t) => builder = builder.body(t.clone()),
            Body::Bytes(b) => builder = builder.body(b.clone()),
        }
        Ok(builder)
    }

    async fn execute(
        &self,
        builder: reqwest::RequestBuilder,
        request: &PreparedRequest,
    ) -> Result<ResponseDump, TransportError> {
        let mut response = builder.send().await.map_err(|e| classify(&e, request))?;
        let status = response.status();
        let version = format!("{:?}", response.version());
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let mut bytes: Vec<u8> = Vec::new();
        let mut truncated = false;
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    let room = MAX_RESPONSE_BYTES.saturating_sub(bytes.len());
                    if chunk.len() > room {
                        bytes.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    bytes.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    let mut err = classify(&e, request);
                    err.message = format!(
                        "The connection to {} broke while the answer was arriving ({} bytes received). {}",
                        request.host(),
                        bytes.len(),
                        "Try again; if it keeps happening, the server or a proxy is cutting the connection."
                    );
                    return Err(err);
                }
            }
        }
        let body = if bytes.is_empty() {
            Body::Empty
        } else {
            match String::from_utf8(bytes) {
                Ok(text) => Body::Text(text),
                Err(e) => Body::Bytes(e.into_bytes().into()),
            }
        };
        Ok(ResponseDump {
            status: status.as_u16(),
            reason: status.canonical_reason().unwrap_or("").to_string(),
            version,
            headers,
            body,
            truncated,
        })
    }
}

/// Masks the request's own secrets wherever the server quoted them back (an error body that echoes
/// the key, a proxy page that repeats the URL with a bot token in it). Providers put parts of the
/// answer into the outcome's words, which are printed and kept in history, so a secret must not
/// get past this point. Nothing a provider reads is lost: no API answers with the caller's key.
pub fn mask_echoed_secrets(mut response: ResponseDump, secrets: &[SecretRef]) -> ResponseDump {
    let quotes = |text: &str| {
        secrets
            .iter()
            .any(|s| !s.value.is_empty() && text.contains(&s.value))
    };
    for (_, value) in &mut response.headers {
        if quotes(value) {
            *value = super::redact::mask_all(value, secrets);
        }
    }
    if let Body::Text(text) = &response.body
        && quotes(text)
    {
        response.body = Body::Text(super::redact::mask_all(text, secrets));
    }
    response
}

/// The dump shows the headers the HTTP stack would add, so it does not lie about the wire.
fn with_implicit_headers(mut request: PreparedRequest) -> PreparedRequest {
    if request.header_value("user-agent").is_none() {
        request
            .headers
            .push(("User-Agent".into(), USER_AGENT.into()));
    }
    if request.header_value("accept").is_none() {
        request.headers.push(("Accept".into(), "*/*".into()));
    }
    request
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn classify(e: &reqwest::Error, request: &PreparedRequest) -> TransportError {
    let detail = error_chain(e);
    let host = request.host();
    let lower = detail.to_ascii_lowercase();
    let https = request.url.starts_with("https:");
    let error = |kind, message: String| TransportError {
        kind,
        message,
        detail: detail.clone(),
    };
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        error(
            TransportErrorKind::Tls,
            format!(
                "The secure connection to {host} failed: its certificate is not trusted or the TLS handshake was refused. Nothing was sent. Check the base URL; a proxy that intercepts TLS needs its certificate installed in the system."
            ),
        )
    } else if https && e.is_connect() && is_tls_failure(&lower) {
        error(
            TransportErrorKind::Tls,
            format!(
                "The secure connection to {host} failed: the TLS handshake did not complete ({}). Nothing was sent. Check the base URL: the server may not speak https on that port, or a proxy is in the way.",
                tls_reason(&lower)
            ),
        )
    } else if e.is_timeout() {
        error(
            TransportErrorKind::Timeout,
            format!("{host} did not answer in time. Try again, or allow more time with --timeout."),
        )
    } else if e.is_connect() {
        error(
            TransportErrorKind::Connect,
            format!(
                "Could not connect to {host}: {}. Check the base URL and that the server is reachable.",
                short_reason(&lower)
            ),
        )
    } else if lower.contains("reset") || is_early_close(&lower) {
        // The request may have arrived before the connection broke.
        let how = if lower.contains("reset") {
            "reset the connection"
        } else {
            "closed the connection"
        };
        error(
            TransportErrorKind::Other,
            format!(
                "{host} {how} before answering. The request may or may not have been received: check (history, the provider's dashboard) before sending again."
            ),
        )
    } else {
        error(
            TransportErrorKind::Other,
            format!("The request to {host} failed before an answer arrived."),
        )
    }
}

/// Error texts of rustls and hyper-rustls for a handshake that went wrong (not a certificate).
fn is_tls_failure(lower: &str) -> bool {
    [
        "tls",
        "handshake",
        "corrupt message",
        "invalidcontenttype",
        "alert",
        "peer is incompatible",
        "peer misbehaved",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn tls_reason(lower: &str) -> &'static str {
    if lower.contains("corrupt message") || lower.contains("invalidcontenttype") {
        "the server answered with something that is not TLS, perhaps plain http"
    } else if lower.contains("alert") {
        "the server refused it"
    } else if lower.contains("incompatible") {
        "the server and Pushdeck share no TLS version or cipher"
    } else {
        "the server broke it off"
    }
}

/// The server hung up before a complete answer head.
fn is_early_close(lower: &str) -> bool {
    [
        "connection closed before message completed",
        "incomplete message",
        "unexpected eof",
        "end of file",
        "broken pipe",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

fn short_reason(lower: &str) -> &'static str {
    if lower.contains("refused") {
        "the connection was refused (nothing is listening there)"
    } else if lower.contains("dns") || lower.contains("resolve") || lower.contains("name") {
        "the host name could not be found"
    } else if lower.contains("reset") {
        "the connection was reset"
    } else {
        "the network said no"
    }
}
