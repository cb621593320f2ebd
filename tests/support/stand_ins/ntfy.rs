//! A local ntfy server on 127.0.0.1 (wiremock): JSON publishing to `/`, `GET /v1/account` and
//! `GET /v1/health`, with ntfy's access rules and error bodies (providers.md §8.3). Topics named
//! `private-…` need the access token; any other topic is open, as on a default server.

#![allow(dead_code)]

use std::sync::Mutex;

use super::server::{Api, Record, Reply, Seen, StandIn};
use serde_json::{Value, json};

pub const TOKEN: &str = "tk_standin0123456789abcdefghijkl";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Ok,
    /// 429 with code 42908 (daily quota).
    QuotaReached,
    /// 500, as a server in trouble answers.
    ServerError,
}

/// An ntfy server and the scenario it plays.
#[derive(Default)]
pub struct Ntfy {
    scenario: Mutex<Option<Scenario>>,
}

pub type NtfyStandIn = StandIn<Ntfy>;

fn error(http: u16, code: u32, text: &str) -> Reply {
    Reply::new(http).set_body_json(
        json!({"code": code, "http": http, "error": text, "link": "https://ntfy.sh/docs/publish/"}),
    )
}

/// The JSON fields ntfy's publish endpoint reads.
const KNOWN: &[&str] = &[
    "topic", "message", "title", "tags", "priority", "click", "actions", "attach", "markdown",
    "icon", "filename", "delay", "email", "call",
];

fn problem(record: &Record, message: String) -> Reply {
    record.problem(message.clone());
    error(400, 40000, &message)
}

impl Ntfy {
    /// `Some(true)` a valid token, `Some(false)` a wrong one, `None` no credentials.
    fn auth(&self, request: &Seen) -> Option<bool> {
        let value = request.header("authorization")?;
        Some(value == format!("Bearer {TOKEN}"))
    }

    fn publish(&self, request: &Seen, record: &Record) -> Reply {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return problem(record, "the body is not JSON".into());
        };
        let Some(map) = body.as_object() else {
            return problem(record, "the body is not a JSON object".into());
        };
        for key in map.keys() {
            if !KNOWN.contains(&key.as_str()) {
                return problem(record, format!("unknown field `{key}`"));
            }
        }
        let topic = map.get("topic").and_then(Value::as_str).unwrap_or("");
        let valid_topic = !topic.is_empty()
            && topic.len() <= 64
            && topic
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid_topic {
            return problem(record, format!("invalid topic `{topic}`"));
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
            return problem(record, "tags must be a list of strings".into());
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
        if *self.scenario.lock().expect("lock") == Some(Scenario::QuotaReached) {
            return error(429, 42908, "limit reached: daily message quota reached");
        }
        if *self.scenario.lock().expect("lock") == Some(Scenario::ServerError) {
            return error(500, 50001, "internal server error");
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
        Reply::new(200).set_body_json(answer)
    }
}

impl Api for Ntfy {
    const NAME: &'static str = "ntfy";

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/") => self.publish(request, record),
            ("GET", "/v1/health") => Reply::new(200).set_body_json(json!({"healthy": true})),
            ("GET", "/v1/account") => match self.auth(request) {
                Some(true) => Reply::new(200).set_body_json(json!({
                    "username": "phil", "role": "user", "sync_topic": "st_1", "language": "en"
                })),
                Some(false) => error(401, 40101, "unauthorized"),
                None => {
                    Reply::new(200).set_body_json(json!({"username": "*", "role": "anonymous"}))
                }
            },
            (method, path) => problem(record, format!("no such endpoint: {method} {path}")),
        }
    }
}

impl NtfyStandIn {
    pub fn set(&self, scenario: Scenario) {
        *self.api().scenario.lock().expect("lock") = Some(scenario);
    }
}
