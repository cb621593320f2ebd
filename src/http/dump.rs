//! The two ways an exchange is shown outside the process: the `--json` shape of CONTRACT.md and a
//! plain HTTP-like text dump. Both take an already-redacted exchange unless the user revealed.

use base64::Engine as _;
use serde_json::{Value, json};

use super::exchange::{Exchange, ResponseDump};
use super::request::{Body, PreparedRequest};

fn body_json(body: &Body, into: &mut serde_json::Map<String, Value>) {
    match body {
        Body::Empty => {
            into.insert("body".into(), json!(""));
        }
        Body::Text(t) => {
            into.insert("body".into(), json!(t));
        }
        Body::Bytes(b) => {
            into.insert(
                "body_base64".into(),
                json!(base64::engine::general_purpose::STANDARD.encode(b)),
            );
        }
    }
}

pub fn request_json(request: &PreparedRequest) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("method".into(), json!(request.method));
    map.insert("url".into(), json!(request.url));
    map.insert("headers".into(), json!(request.headers));
    body_json(&request.body, &mut map);
    if let Some(plain) = &request.plaintext {
        map.insert("plaintext".into(), json!(plain));
    }
    if let Some(route) = &request.route {
        map.insert("route".into(), json!(route));
    }
    Value::Object(map)
}

pub fn response_json(response: &ResponseDump, elapsed_ms: f64) -> Value {
    let mut map = serde_json::Map::new();
    map.insert("status".into(), json!(response.status));
    map.insert("headers".into(), json!(response.headers));
    body_json(&response.body, &mut map);
    map.insert(
        "elapsed_ms".into(),
        json!((elapsed_ms * 10.0).round() / 10.0),
    );
    if response.truncated {
        map.insert("truncated".into(), json!(true));
    }
    Value::Object(map)
}

/// `METHOD URL`, headers, blank line, body: what a developer reads.
pub fn request_text(request: &PreparedRequest) -> String {
    let mut out = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    append_body(&mut out, &request.body);
    if let Some(plain) = &request.plaintext {
        out.push_str(&format!("\n[plaintext before encryption]\n{plain}\n"));
    }
    if let Some(route) = request.notable_route() {
        out.push_str(&format!("\n[connection] {route}\n"));
    }
    if let Some(cert) = &request.client_certificate {
        out.push_str(&format!("\n[client certificate] {cert}\n"));
    }
    out
}

pub fn response_text(response: &ResponseDump) -> String {
    let mut out = format!(
        "{} {} {}\n",
        response.version, response.status, response.reason
    );
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    append_body(&mut out, &response.body);
    if response.truncated {
        out.push_str(&format!(
            "\n[… cut at {} bytes]\n",
            super::exchange::MAX_RESPONSE_BYTES
        ));
    }
    out
}

fn append_body(out: &mut String, body: &Body) {
    match body {
        Body::Empty => {}
        Body::Text(t) => {
            out.push('\n');
            out.push_str(&pretty_if_json(t));
            if !t.ends_with('\n') {
                out.push('\n');
            }
        }
        Body::Bytes(b) => out.push_str(&format!("\n[{} bytes of binary data]\n", b.len())),
    }
}

/// Pretty-prints JSON bodies; anything else is returned as is.
pub fn pretty_if_json(text: &str) -> String {
    match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() || v.is_array() => {
            serde_json::to_string_pretty(&v).unwrap_or_else(|_| text.to_string())
        }
        _ => text.to_string(),
    }
}

/// The whole exchange as text, for "Save exchange" and `history show`.
pub fn exchange_text(exchange: &Exchange) -> String {
    let mut out = format!(
        "# {} · {:.1} ms\n",
        exchange.started_at, exchange.elapsed_ms
    );
    out.push_str(&request_text(&exchange.request));
    out.push('\n');
    match (&exchange.response, &exchange.error) {
        (Some(r), _) => out.push_str(&response_text(r)),
        (None, Some(e)) => out.push_str(&format!("# no response: {}\n# {}\n", e.message, e.detail)),
        (None, None) => out.push_str("# not sent\n"),
    }
    out
}
