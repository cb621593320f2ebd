//! A local APNs on 127.0.0.1 that speaks only HTTP/2 over cleartext (h2c, prior knowledge), as the
//! real service speaks only HTTP/2. It verifies the ES256 provider token with the public key (kid,
//! iss, an age under one hour), checks the headers APNs checks and answers with Apple's reasons
//! (providers.md §8.2). A token starting with `dead` is unregistered; 64 zeros is a bad token.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

pub const SIGNING_KEY: &str = include_str!("../../fixtures/apns_test_key.p8");
pub const PUBLIC_KEY: &str = include_str!("../../fixtures/apns_test_key.pub.pem");
pub const KEY_ID: &str = "ABC123DEFG";
pub const TEAM_ID: &str = "DEF123GHIJ";
pub const TOPIC: &str = "com.example.app";
pub const DEVICE: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
pub const GONE: &str = "dead4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
/// A token registered to another app (DeviceTokenNotForTopic).
pub const OTHER_APP: &str = "0be74707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

#[derive(Debug, Clone)]
pub struct Seen {
    pub version: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    problems: Mutex<Vec<String>>,
    /// Distinct provider tokens seen (Apple counts renewals).
    tokens: Mutex<BTreeSet<String>>,
}

pub struct ApnsStandIn {
    port: u16,
    state: Arc<State>,
}

fn reason(status: u16, reason: &str) -> (u16, Vec<(String, String)>, Vec<u8>) {
    (
        status,
        vec![],
        json!({"reason": reason}).to_string().into_bytes(),
    )
}

fn handle(
    state: &State,
    parts: &http::request::Parts,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let header = |n: &str| {
        parts
            .headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let problem = |m: String| {
        state.problems.lock().expect("lock").push(m.clone());
        reason(400, "BadPath")
    };
    if parts.method != http::Method::POST {
        return reason(405, "MethodNotAllowed");
    }
    let Some(device) = parts.uri.path().strip_prefix("/3/device/") else {
        return problem(format!("no such path {}", parts.uri.path()));
    };
    let auth = header("authorization");
    let Some(jwt) = auth.strip_prefix("bearer ") else {
        return reason(403, "MissingProviderToken");
    };
    pushdeck::provider::jwt::install_crypto();
    let key = jsonwebtoken::DecodingKey::from_ec_pem(PUBLIC_KEY.as_bytes()).expect("public key");
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.set_issuer(&[TEAM_ID]);
    let header_ok =
        jsonwebtoken::decode_header(jwt).is_ok_and(|h| h.kid.as_deref() == Some(KEY_ID));
    let claims = match jsonwebtoken::decode::<Value>(jwt, &key, &validation) {
        Ok(d) if header_ok => d.claims,
        _ => return reason(403, "InvalidProviderToken"),
    };
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let iat = claims["iat"].as_i64().unwrap_or(0);
    if now - iat > 3600 {
        return reason(403, "ExpiredProviderToken");
    }
    if iat > now + 60 {
        return reason(403, "InvalidProviderToken");
    }
    state.tokens.lock().expect("lock").insert(jwt.to_string());
    let topic = header("apns-topic");
    if topic.is_empty() {
        return reason(400, "MissingTopic");
    }
    if topic != TOPIC && !topic.starts_with(&format!("{TOPIC}.")) {
        return reason(400, "TopicDisallowed");
    }
    let push_type = header("apns-push-type");
    if ![
        "alert",
        "background",
        "voip",
        "location",
        "complication",
        "fileprovider",
        "mdm",
        "liveactivity",
        "pushtotalk",
    ]
    .contains(&push_type.as_str())
    {
        return reason(400, "InvalidPushType");
    }
    let priority = header("apns-priority");
    if !["", "10", "5", "1"].contains(&priority.as_str())
        || (push_type == "background" && priority != "5")
    {
        return reason(400, "BadPriority");
    }
    if header("apns-collapse-id").len() > 64 {
        return reason(400, "BadCollapseId");
    }
    let expiration = header("apns-expiration");
    if !expiration.is_empty() && expiration.parse::<i64>().is_err() {
        return reason(400, "BadExpirationDate");
    }
    if body.is_empty() {
        return reason(400, "PayloadEmpty");
    }
    if body.len() > 4096 {
        return reason(413, "PayloadTooLarge");
    }
    let Ok(payload) = serde_json::from_slice::<Value>(body) else {
        return problem("payload is not JSON".into());
    };
    if !payload.get("aps").is_some_and(Value::is_object) {
        return problem("payload has no aps dictionary".into());
    }
    if device.len() < 64
        || !device.bytes().all(|b| b.is_ascii_hexdigit())
        || device.bytes().all(|b| b == b'0')
    {
        return reason(400, "BadDeviceToken");
    }
    if device == OTHER_APP {
        return reason(400, "DeviceTokenNotForTopic");
    }
    if device.starts_with("dead") {
        return (
            410,
            vec![],
            json!({"reason": "Unregistered", "timestamp": 1_795_000_000_000u64})
                .to_string()
                .into_bytes(),
        );
    }
    let n = state.seen.lock().expect("lock").len();
    let id = format!("eabeae54-14a8-11e5-b60b-{n:012x}");
    (
        200,
        vec![
            ("apns-id".into(), id),
            (
                "apns-unique-id".into(),
                format!("a6a0c9f8-0000-4000-8000-{n:012x}"),
            ),
        ],
        Vec::new(),
    )
}

async fn serve_connection(socket: tokio::net::TcpStream, state: Arc<State>) {
    let Ok(mut connection) = h2::server::handshake(socket).await else {
        state
            .problems
            .lock()
            .expect("lock")
            .push("a connection did not speak HTTP/2".into());
        return;
    };
    while let Some(Ok((request, mut respond))) = connection.accept().await {
        let state = state.clone();
        tokio::spawn(async move {
            let (parts, mut body) = request.into_parts();
            let mut bytes = Vec::new();
            while let Some(Ok(chunk)) = body.data().await {
                let _ = body.flow_control().release_capacity(chunk.len());
                bytes.extend_from_slice(&chunk);
            }
            state.seen.lock().expect("lock").push(Seen {
                version: format!("{:?}", parts.version),
                path: parts.uri.path().to_string(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect(),
                body: bytes.clone(),
            });
            let (status, headers, answer) = handle(&state, &parts, &bytes);
            let mut builder = http::Response::builder().status(status);
            for (n, v) in headers {
                builder = builder.header(n, v);
            }
            if !answer.is_empty() {
                builder = builder.header("content-type", "application/json");
            }
            let Ok(response) = builder.body(()) else {
                return;
            };
            if let Ok(mut stream) = respond.send_response(response, answer.is_empty())
                && !answer.is_empty()
            {
                let _ = stream.send_data(bytes::Bytes::from(answer), true);
            }
        });
    }
}

impl ApnsStandIn {
    pub fn start() -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let state = Arc::new(State::default());
        let shared = state.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
                while let Ok((socket, _)) = listener.accept().await {
                    tokio::spawn(serve_connection(socket, shared.clone()));
                }
            });
        });
        Self { port, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    pub fn hits(&self) -> usize {
        self.state.seen.lock().expect("lock").len()
    }

    pub fn distinct_tokens(&self) -> usize {
        self.state.tokens.lock().expect("lock").len()
    }

    pub fn assert_no_problems(&self) {
        let problems = self.state.problems.lock().expect("lock").clone();
        assert!(
            problems.is_empty(),
            "the APNs stand-in found problems: {problems:#?}"
        );
    }
}
