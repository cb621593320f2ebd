//! For the imitations' unit tests: what Pushdeck's own provider code would put on the wire,
//! as the sink's listener would hand it over.

use std::time::SystemTime;

use crate::draft::Draft;
use crate::http::{Arrival, PreparedRequest};
use crate::profile::{Profile, Secrets};
use crate::provider::{PrepareContext, find};
use crate::sink::{Imitation, SinkStart};

/// The arrival a prepared request makes over HTTP/1.1: its path and query, its headers
/// lower-cased, the `host` header the HTTP client adds from the URL, and its body.
pub fn arrival_of(request: &PreparedRequest, received_at: SystemTime) -> Arrival {
    arriving(request, received_at, "HTTP/1.1")
}

/// The same over HTTP/2 (APNs speaks nothing else): the authority is a pseudo-header there, not
/// a `host` header.
pub fn arrival(request: &PreparedRequest, received_at: SystemTime) -> Arrival {
    let mut arrival = arriving(request, received_at, "HTTP/2.0");
    arrival.headers.retain(|(n, _)| n != "host");
    arrival
}

fn arriving(request: &PreparedRequest, received_at: SystemTime, version: &str) -> Arrival {
    let url = url::Url::parse(&request.url).expect("a prepared request has a URL");
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let target = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut headers = vec![("host".to_string(), host)];
    headers.extend(
        request
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.clone())),
    );
    Arrival {
        method: request.method.clone(),
        target,
        version: version.into(),
        headers,
        body: bytes::Bytes::copy_from_slice(request.body.as_bytes()),
        tls: url.scheme() == "https",
        client_certificate: None,
        peer: "127.0.0.1:50000".into(),
        received_at,
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

/// The first request `provider`'s `prepare` makes of `draft` (JSON) at `now`.
pub fn prepared(
    provider: &str,
    draft: serde_json::Value,
    profile: &Profile,
    secrets: &Secrets,
    now: SystemTime,
) -> PreparedRequest {
    let draft = Draft::from_json(&draft.to_string()).expect("a valid draft");
    let provider = find(provider).expect("a known provider");
    let prepared = provider
        .prepare(&PrepareContext {
            draft: &draft,
            profile,
            secrets,
            now: now.into(),
            idempotency_key: "5b1f3a2e-8c4d-4e6f-9a0b-1c2d3e4f5a6b",
            token: None,
            dry_run: false,
        })
        .expect("the draft prepares");
    prepared.requests.into_iter().next().expect("one request")
}

/// The arrival with one header replaced (or added), for the tests that tamper with it.
pub fn with_header(mut arrival: Arrival, name: &str, value: &str) -> Arrival {
    arrival.headers.retain(|(n, _)| n != name);
    arrival.headers.push((name.to_string(), value.to_string()));
    arrival
}

/// The imitation after `begin`, with the profile and its secrets when given.
pub fn begun<I: Imitation>(
    mut imitation: I,
    profile: Option<(&Profile, &Secrets)>,
    base_url: &str,
    now: SystemTime,
) -> I {
    imitation
        .begin(&SinkStart {
            profile: profile.map(|(p, _)| p),
            secrets: profile.map(|(_, s)| s),
            base_url,
            kept: None,
            now,
        })
        .expect("the imitation begins");
    imitation
}
