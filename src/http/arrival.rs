//! A request that arrived at Pushdeck standing in for a provider (`pushdeck sink`): what the
//! listener read off the wire, before any provider looked at it.

use std::time::SystemTime;

/// One request a backend sent to the sink, exactly as it came in.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub method: String,
    /// The path with its query (`/3/device/abc?x=1`), as the request line or `:path` gave it.
    pub target: String,
    /// `HTTP/1.1` or `HTTP/2.0`.
    pub version: String,
    /// In the order they came, names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: bytes::Bytes,
    /// Whether the connection was TLS.
    pub tls: bool,
    /// The TLS client certificate the connection presented (DER), when there was one.
    pub client_certificate: Option<Vec<u8>>,
    /// Who sent it (`127.0.0.1:53211`).
    pub peer: String,
    pub received_at: SystemTime,
}

impl Arrival {
    pub fn header(&self, name: &str) -> Option<&str> {
        super::request::header_in(&self.headers, name)
    }

    /// The path without its query.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// The query's pairs, decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let query = self.target.split_once('?').map(|(_, q)| q).unwrap_or("");
        url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect()
    }

    /// The body's form fields (`application/x-www-form-urlencoded`).
    pub fn form(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }
}
