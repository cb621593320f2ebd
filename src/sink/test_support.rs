//! Unit tests' way from a request Pushdeck's own provider prepared to what the sink's listener
//! would hand an imitation.

use std::time::SystemTime;

use crate::http::{Arrival, PreparedRequest};

/// `request` as it arrives over HTTP/2 (TLS when its URL is https), at `at`.
pub fn arrival(request: &PreparedRequest, at: SystemTime) -> Arrival {
    let url = url::Url::parse(&request.url).expect("a prepared URL parses");
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    Arrival {
        method: request.method.clone(),
        target,
        version: "HTTP/2.0".into(),
        headers: request
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone()))
            .collect(),
        body: bytes::Bytes::copy_from_slice(request.body.as_bytes()),
        tls: url.scheme() == "https",
        client_certificate: None,
        peer: "127.0.0.1:50000".into(),
        received_at: at,
    }
}

/// The exchange Pushdeck would record had `request` been answered with `verdict`: what its
/// provider's `interpret` reads, to show the imitation answers in the provider's own shape.
pub fn exchange(request: PreparedRequest, verdict: &crate::sink::Verdict) -> crate::http::Exchange {
    let mut exchange = crate::http::Exchange::unsent(request);
    exchange.response = Some(crate::http::ResponseDump {
        status: verdict.status,
        reason: String::new(),
        version: "HTTP/2.0".into(),
        headers: verdict.headers.clone(),
        body: if verdict.body.is_empty() {
            crate::http::Body::Empty
        } else {
            crate::http::Body::Text(String::from_utf8_lossy(&verdict.body).into_owned())
        },
        truncated: false,
    });
    exchange
}
