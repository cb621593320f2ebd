//! A local ntfy server on 127.0.0.1 (wiremock): JSON publishing to `/`, `GET /v1/account` and
//! `GET /v1/health`, with ntfy's access rules and error bodies (providers.md §8.3). Topics named
//! `private-…` need the access token; any other topic is open, as on a default server.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const TOKEN: &str = "tk_standin0123456789abcdefghijkl";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Ok,
    /// 429 with code 42908 (daily quota).
    QuotaReached,
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
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
        serde_json::from_slice(&self.body).expect("the request body is JSON")
    }
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    problems: Mutex<Vec<String>>,
    scenario: Mutex<Option<Scenario>>,
}

struct Handler(Arc<State>);

fn error(http: u16, code: u32, text: &str) -> ResponseTemplate {
    ResponseTemplate::new(http).set_body_json(
        json!({"code": code, "http": http, "error": text, "link": "https://ntfy.sh/docs/publish/"}),
    )
}

/// The JSON fields ntfy's publish endpoint reads.
const KNOWN: &[&str] = &[
    "topic", "message", "title", "tags", "priority", "click", "actions", "attach", "markdown",
    "icon", "filename", "delay", "email", "call",
];

impl Handler {
    fn problem(&self, message: String) -> ResponseTemplate {
        self.0.problems.lock().expect("lock").push(message.clone());
        error(400, 40000, &message)
    }

    /// `Some(true)` a valid token, `Some(false)` a wrong one, `None` no credentials.
    fn auth(&self, request: &Request) -> Option<bool> {
        let value = request.headers.get("authorization")?.to_str().ok()?;
        Some(value == format!("Bearer {TOKEN}"))
    }

    fn publish(&self, request: &Request) -> ResponseTemplate {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return self.problem("the body is not JSON".into());
        };
        let Some(map) = body.as_object() else {
            return self.problem("the body is not a JSON object".into());
        };
        for key in map.keys() {
            if !KNOWN.contains(&key.as_str()) {
                return self.problem(format!("unknown field `{key}`"));
            }
        }
        let topic = map.get("topic").and_then(Value::as_str).unwrap_or("");
        let valid_topic = !topic.is_empty()
            && topic.len() <= 64
            && topic
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_topic {
            return self.problem(format!("invalid topic `{topic}`"));
        }
        match self.auth(request) {
            Some(false) => return error(401, 40101, "unauthorized"),
            None if topic.starts_with("private-") => return error(403, 40301, "forbidden"),
            _ => {}
        }
        if let Some(p) = map.get("priority")
            && !p.as_u64().is_some_and(|p| (1..=5).contains(&p))
        {
            return error(400, 40007, "invalid priority");
        }
        if let Some(tags) = map.get("tags")
            && !tags
                .as_array()
                .is_some_and(|t| t.iter().all(Value::is_string))
        {
            return self.problem("tags must be a list of strings".into());
        }
        if let Some(actions) = map.get("actions") {
            let ok = actions.as_array().is_some_and(|list| {
                list.len() <= 3
                    && list.iter().all(|a| {
                        a.get("action").and_then(Value::as_str) == Some("view")
                            && a.get("label").and_then(Value::as_str).is_some()
                            && a.get("url").and_then(Value::as_str).is_some()
                    })
            });
            if !ok {
                return error(400, 40018, "invalid request: actions invalid");
            }
        }
        if *self.0.scenario.lock().expect("lock") == Some(Scenario::QuotaReached) {
            return error(429, 42908, "limit reached: daily message quota reached");
        }
        let mut answer = json!({
            "id": "sPs71M8A2T",
            "time": 1_795_000_000,
            "expires": 1_795_043_200,
            "event": "message",
            "topic": topic,
            "message": map.get("message").and_then(Value::as_str).unwrap_or("triggered"),
        });
        for key in ["title", "tags", "priority", "click", "icon", "actions"] {
            if let Some(v) = map.get(key) {
                answer[key] = v.clone();
            }
        }
        ResponseTemplate::new(200).set_body_json(answer)
    }
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.seen.lock().expect("lock").push(Seen {
            method: request.method.to_string(),
            path: request.url.path().to_string(),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| {
                    (
                        n.to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: request.body.clone(),
        });
        match (request.method.as_str(), request.url.path()) {
            ("POST", "/") => self.publish(request),
            ("GET", "/v1/health") => {
                ResponseTemplate::new(200).set_body_json(json!({"healthy": true}))
            }
            ("GET", "/v1/account") => match self.auth(request) {
                Some(true) => ResponseTemplate::new(200).set_body_json(json!({
                    "username": "phil", "role": "user", "sync_topic": "st_1", "language": "en"
                })),
                Some(false) => error(401, 40101, "unauthorized"),
                None => ResponseTemplate::new(200)
                    .set_body_json(json!({"username": "*", "role": "anonymous"})),
            },
            (method, path) => self.problem(format!("no such endpoint: {method} {path}")),
        }
    }
}

pub struct NtfyStandIn {
    server: MockServer,
    state: Arc<State>,
}

impl NtfyStandIn {
    /// Starts on `runtime` (the UI tests' runtime) or on a private one.
    pub fn start_on(runtime: &tokio::runtime::Runtime) -> Self {
        let state = Arc::new(State::default());
        let server = runtime.block_on(async {
            let server = MockServer::builder().start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(Handler(state.clone()))
                .mount(&server)
                .await;
            server
        });
        Self { server, state }
    }

    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Self::start_on(&runtime)
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.address().port())
    }

    pub fn set(&self, scenario: Scenario) {
        *self.state.scenario.lock().expect("lock") = Some(scenario);
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    pub fn hits(&self) -> usize {
        self.state.seen.lock().expect("lock").len()
    }

    pub fn assert_no_problems(&self) {
        let problems = self.state.problems.lock().expect("lock").clone();
        assert!(
            problems.is_empty(),
            "the ntfy stand-in found problems: {problems:#?}"
        );
    }
}
