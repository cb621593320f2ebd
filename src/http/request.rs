use serde::{Deserialize, Serialize};

/// A request a provider built from a draft: exactly what the transport will send, plus which
/// values in it are secrets (so every dump can mask them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PreparedRequest {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Which recipient of a fan-out this request is for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// Secret values that occur in the URL, headers or body, with the field they came from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretRef>,
    /// Send over HTTP/2 only (APNs): prior knowledge, so an `http://` loopback URL speaks h2c.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub http2_only: bool,
    /// The body before its content encoding (Web Push encrypts it), shown beside the ciphertext.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
    /// The profile's proxy and extra trusted certificates; never written anywhere.
    /// Shared and boxed: a fan-out of 10,000 requests holds one copy.
    #[serde(skip)]
    pub network: Option<std::sync::Arc<super::network::Network>>,
    /// How it goes, in words ("via proxy http://proxy:3128 (from HTTPS_PROXY)"), decided when
    /// the profile's network settings were applied; kept in history. Never holds a password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The TLS client certificate to present (APNs certificate auth); never written anywhere.
    #[serde(skip)]
    pub client_identity: Option<std::sync::Arc<super::identity::ClientIdentity>>,
    /// Which client certificate it is presented with, in words (its subject and expiry, never
    /// the key): shown in dumps and kept in history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
}

pub use super::redact::SecretRef;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", content = "content", rename_all = "snake_case")]
pub enum Body {
    #[default]
    Empty,
    Text(String),
    /// Base64 in files: a JSON array of numbers made each 4 KB Web Push body 16 KB of history.
    /// Shared: clones (retries, history, the inspector) do not copy the bytes.
    #[serde(with = "base64_bytes")]
    Bytes(bytes::Bytes),
}

/// Bytes as a base64 string; arrays of numbers (history written by earlier builds) still read.
mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &bytes::Bytes, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Numbers(Vec<u8>),
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bytes::Bytes, D::Error> {
        match Either::deserialize(d)? {
            Either::Text(t) => STANDARD
                .decode(t)
                .map(bytes::Bytes::from)
                .map_err(serde::de::Error::custom),
            Either::Numbers(n) => Ok(n.into()),
        }
    }
}

impl Body {
    pub fn len(&self) -> usize {
        match self {
            Body::Empty => 0,
            Body::Text(s) => s.len(),
            Body::Bytes(b) => b.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn as_text(&self) -> Option<&str> {
        match self {
            Body::Text(s) => Some(s),
            Body::Empty => Some(""),
            Body::Bytes(_) => None,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Body::Empty => &[],
            Body::Text(s) => s.as_bytes(),
            Body::Bytes(b) => b,
        }
    }
}

impl PreparedRequest {
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        Self {
            method: method.to_string(),
            url: url.into(),
            headers: Vec::new(),
            body: Body::Empty,
            recipient: None,
            secrets: Vec::new(),
            http2_only: false,
            plaintext: None,
            network: None,
            route: None,
            client_identity: None,
            client_certificate: None,
        }
    }

    /// Marks the request as HTTP/2-only (APNs).
    pub fn http2_only(mut self) -> Self {
        self.http2_only = true;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self
    }

    /// A header whose value carries a secret (e.g. `Authorization: Key …`).
    pub fn secret_header(
        mut self,
        name: &str,
        value: impl Into<String>,
        field: &str,
        secret: &str,
    ) -> Self {
        self.headers.push((name.to_string(), value.into()));
        self.add_secret(field, secret);
        self
    }

    pub fn add_secret(&mut self, field: &str, secret: &str) {
        if !secret.is_empty() && !self.secrets.iter().any(|s| s.value == secret) {
            self.secrets.push(SecretRef {
                field: field.to_string(),
                value: secret.to_string(),
            });
        }
    }

    pub fn json_body(mut self, value: &serde_json::Value) -> Self {
        // Pretty-printed: this is what the user reads in the Request pane and what is sent, so the
        // dump never differs from the wire.
        let text = serde_json::to_string_pretty(value).unwrap_or_default();
        self.headers.push((
            "Content-Type".to_string(),
            "application/json; charset=utf-8".to_string(),
        ));
        self.body = Body::Text(text);
        self
    }

    pub fn header_value(&self, name: &str) -> Option<&str> {
        header_in(&self.headers, name)
    }

    /// A copy with every secret masked: what dumps, history and `--json` show by default.
    pub fn redacted(&self) -> PreparedRequest {
        let mask = |text: &str| super::redact::mask_all(text, &self.secrets);
        PreparedRequest {
            method: self.method.clone(),
            url: mask(&self.url),
            headers: self
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), mask(v)))
                .collect(),
            body: match &self.body {
                Body::Text(t) => Body::Text(mask(t)),
                other => other.clone(),
            },
            recipient: self.recipient.as_deref().map(mask),
            secrets: Vec::new(),
            http2_only: self.http2_only,
            plaintext: self.plaintext.as_deref().map(mask),
            // The route is still shown; the password is not kept.
            network: self.network.as_ref().map(|n| {
                std::sync::Arc::new(super::network::Network {
                    proxy_password: None,
                    ..super::network::Network::clone(n)
                })
            }),
            route: self.route.clone(),
            // Only its description is ever shown; the key stays with the original.
            client_identity: None,
            client_certificate: self.client_certificate.clone(),
        }
    }

    /// Presents `identity` as the TLS client certificate (and says so in dumps).
    pub fn use_client_identity(
        &mut self,
        identity: std::sync::Arc<super::identity::ClientIdentity>,
    ) {
        self.client_certificate = Some(identity.description.clone());
        self.client_identity = Some(identity);
    }

    /// Sends it the way the profile's network settings say. The proxy password stays out of the
    /// secret list: it never appears in the request, and a short one would mask unrelated text.
    pub fn use_network(&mut self, network: super::network::Network) {
        self.network = Some(std::sync::Arc::new(network));
        self.route = Some(self.route_line());
    }

    /// `use_network` for one request of many that share `network` (a fan-out): `routes` keeps the
    /// route line of each origin (scheme, host and port decide it, with `http2_only`), so it is
    /// worked out once.
    pub fn use_shared_network(
        &mut self,
        network: &std::sync::Arc<super::network::Network>,
        routes: &std::sync::Mutex<std::collections::HashMap<String, String>>,
    ) {
        self.network = Some(std::sync::Arc::clone(network));
        let h2 = if self.http2_only { "h2 " } else { "" };
        let origin = match self.url.split_once("://") {
            Some((scheme, rest)) => {
                let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
                format!("{h2}{scheme}://{}", &rest[..end])
            }
            None => format!("{h2}{}", self.url),
        };
        let known = routes.lock().ok().and_then(|r| r.get(&origin).cloned());
        let line = known.unwrap_or_else(|| {
            let line = self.route_line();
            if let Ok(mut routes) = routes.lock() {
                routes.insert(origin, line.clone());
            }
            line
        });
        self.route = Some(line);
    }

    /// How this request goes (direct or through which proxy), the environment read as curl reads
    /// it.
    pub fn route(&self) -> Result<super::network::Route, super::network::NetworkError> {
        let url = url::Url::parse(&self.url).map_err(|e| {
            super::network::NetworkError(format!("`{}` is not a URL: {e}", self.url))
        })?;
        self.route_to(&url)
    }

    /// `route` for this request's URL, already parsed.
    pub fn route_to(
        &self,
        url: &url::Url,
    ) -> Result<super::network::Route, super::network::NetworkError> {
        let none = super::network::Network::default();
        super::network::Route::resolve(
            url,
            self.http2_only,
            self.network.as_deref().unwrap_or(&none),
            &super::network::process_env,
        )
    }

    /// The one line the Request pane and `preview` show for the route.
    pub fn route_line(&self) -> String {
        match self.route() {
            Ok(route) => route.describe(),
            Err(e) => e.0,
        }
    }

    /// The route line worth showing: none when no proxy is configured anywhere.
    pub fn notable_route(&self) -> Option<&str> {
        self.route
            .as_deref()
            .filter(|r| *r != super::network::UNCONFIGURED)
    }

    /// The origin (`scheme://host[:port]`) of the URL, for grouping and for VAPID audiences.
    pub fn host(&self) -> String {
        url::Url::parse(&self.url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// True when the URL's host is loopback (127.0.0.0/8, ::1, localhost).
/// The first value of header `name` (any case) in a list of header pairs: a request, a response or
/// an arrival.
pub(crate) fn header_in<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

pub fn is_loopback_url(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Validates a base URL: https anywhere, plain http only to loopback so secrets never cross a
/// network in clear text. Returns the URL without a trailing slash.
pub fn check_base_url(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(trimmed).map_err(|e| format!("`{raw}` is not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_url(&url) => {}
        "http" => {
            return Err(format!(
                "plain http:// is only allowed to this computer (127.0.0.1, ::1, localhost); use https:// for `{}`",
                url.host_str().unwrap_or(raw)
            ));
        }
        other => return Err(format!("`{other}://` is not supported; use https://")),
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("`{raw}` has no host"));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_only_to_loopback() {
        assert!(check_base_url("http://127.0.0.1:8080/").is_ok());
        assert!(check_base_url("http://127.5.0.1").is_ok());
        assert!(check_base_url("http://[::1]:9000").is_ok());
        assert!(check_base_url("http://localhost:1").is_ok());
        assert_eq!(
            check_base_url("https://api.example.com/").as_deref(),
            Ok("https://api.example.com")
        );
        let err = check_base_url("http://api.example.com").expect_err("cleartext to a real host");
        assert!(err.contains("only allowed"), "{err}");
        assert!(check_base_url("http://10.0.0.1").is_err());
        assert!(check_base_url("ftp://127.0.0.1").is_err());
        assert!(check_base_url("not a url").is_err());
    }

    #[test]
    fn binary_bodies_are_base64_and_old_arrays_still_read() {
        let body = Body::Bytes(vec![0, 1, 2, 250].into());
        let text = serde_json::to_string(&body).expect("json");
        assert_eq!(text, r#"{"kind":"bytes","content":"AAEC+g=="}"#);
        assert_eq!(serde_json::from_str::<Body>(&text).expect("reads"), body);
        let old = r#"{"kind":"bytes","content":[0,1,2,250]}"#;
        assert_eq!(serde_json::from_str::<Body>(old).expect("reads"), body);
    }

    #[test]
    fn redacted_copy_masks_every_place() {
        let req = PreparedRequest::new("POST", "https://x.test/botSECRET123456/send")
            .secret_header(
                "Authorization",
                "Key SECRET123456",
                "api_key",
                "SECRET123456",
            )
            .json_body(&serde_json::json!({"token": "SECRET123456"}));
        let mut req = req;
        req.add_secret("bot_token", "SECRET123456");
        let red = req.redacted();
        let dump = serde_json::to_string(&red).expect("json");
        assert!(!dump.contains("SECRET123456"), "{dump}");
        assert!(red.url.contains("SE••••"), "{}", red.url);
    }

    /// A fan-out's requests share the network settings and each origin's route line, worked out
    /// as `use_network` would, once per origin.
    #[test]
    fn a_shared_network_gives_each_request_its_own_origins_route() {
        let network = std::sync::Arc::new(super::super::network::Network {
            proxy: Some("http://proxy.test:3128".into()),
            ..Default::default()
        });
        let routes = std::sync::Mutex::default();
        let urls = [
            "https://fcm.test/send/a",
            "https://fcm.test/send/b?x=1",
            "http://127.0.0.1:9/push/c",
        ];
        for url in urls {
            let mut shared = PreparedRequest::new("POST", url);
            shared.use_shared_network(&network, &routes);
            let mut alone = PreparedRequest::new("POST", url);
            alone.use_network(super::super::network::Network::clone(&network));
            assert_eq!(shared.route, alone.route, "{url}");
            assert!(shared.network.is_some());
        }
        let routes = routes.into_inner().expect("routes");
        assert_eq!(routes.len(), 2, "{routes:?}");
    }
}
