//! A local Pushbullet API v2 on 127.0.0.1 (wiremock): checks the `Access-Token` header, the JSON
//! content type and the push body the way the real API does (a known `type`, a `url` for links,
//! at most one target), answers with Pushbullet's objects and error bodies, and sends the
//! `X-Ratelimit-*` headers on every response.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const TOKEN: &str = "o.standinaccesstoken0123456789abcd";
pub const LIMIT: u64 = 32768;
/// 2026-11-24 12:00:00 UTC.
pub const RESET: u64 = 1_795_521_600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Ok,
    /// Free-account quota used up: 403 `pushbullet_pro_required`.
    QuotaUsed,
    /// 429 `ratelimited`, remaining 0.
    RateLimited,
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
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

struct State {
    scenario: Mutex<Scenario>,
    seen: Mutex<Vec<Seen>>,
    remaining: Mutex<u64>,
}

struct Handler(Arc<State>);

fn error(status: u16, message: &str, param: Option<&str>, code: Option<&str>) -> ResponseTemplate {
    let mut inner = json!({"type": "invalid_request", "message": message, "cat": "~(=^‥^)"});
    if let Some(p) = param {
        inner["param"] = json!(p);
    }
    if let Some(c) = code {
        inner["code"] = json!(c);
    }
    let mut body = json!({ "error": inner });
    if let Some(c) = code {
        body["error_code"] = json!(c);
    }
    ResponseTemplate::new(status).set_body_json(body)
}

impl Handler {
    fn push(&self, request: &Request) -> ResponseTemplate {
        let ct = header(request, "content-type").unwrap_or_default();
        if !ct.starts_with("application/json") {
            return error(400, "Content-Type must be application/json.", None, None);
        }
        let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) else {
            return error(400, "Failed to decode JSON body.", None, None);
        };
        const KNOWN: &[&str] = &[
            "type",
            "title",
            "body",
            "url",
            "file_name",
            "file_type",
            "file_url",
            "source_device_iden",
            "guid",
            "device_iden",
            "email",
            "channel_tag",
            "client_iden",
        ];
        if let Some(k) = body.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return error(400, &format!("Unrecognized parameter: {k}."), Some(k), None);
        }
        let kind = body.get("type").and_then(Value::as_str).unwrap_or("");
        if !["note", "link", "file"].contains(&kind) {
            return error(400, "Missing or invalid type.", Some("type"), None);
        }
        if kind == "link" && !body.get("url").is_some_and(Value::is_string) {
            return error(400, "A link push requires a url.", Some("url"), None);
        }
        let targets: Vec<&str> = ["device_iden", "email", "channel_tag", "client_iden"]
            .into_iter()
            .filter(|k| body.contains_key(*k))
            .collect();
        if targets.len() > 1 {
            return error(
                400,
                "Only one target may be specified.",
                Some(targets[1]),
                None,
            );
        }
        if let Some(d) = body.get("device_iden").and_then(Value::as_str)
            && !d.starts_with("ujp")
        {
            return error(
                404,
                "The resource could not be found.",
                Some("device_iden"),
                None,
            );
        }
        let mut push = json!({
            "active": true, "iden": "ujpah72o0sjAsoRtnM0jc", "created": 1.7955216e9,
            "modified": 1.7955216e9, "type": kind, "dismissed": false, "direction": "self",
            "sender_iden": "ujpah72o0", "sender_email": "elon@teslamotors.com",
            "sender_name": "Elon Musk",
        });
        for k in [
            "title",
            "body",
            "url",
            "guid",
            "device_iden",
            "email",
            "channel_tag",
        ] {
            if let Some(v) = body.get(k) {
                let key = if k == "device_iden" {
                    "target_device_iden"
                } else {
                    k
                };
                push[key] = v.clone();
            }
        }
        ResponseTemplate::new(200).set_body_json(push)
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.seen.lock().expect("lock").push(Seen {
            method: request.method.to_string(),
            path: request.url.path().to_string(),
            headers: request
                .headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: request.body.clone(),
        });
        let scenario = *self.0.scenario.lock().expect("lock");
        let remaining = {
            let mut r = self.0.remaining.lock().expect("lock");
            *r = if scenario == Scenario::RateLimited {
                0
            } else {
                r.saturating_sub(1)
            };
            *r
        };
        let response = if header(request, "access-token").as_deref() != Some(TOKEN) {
            error(
                401,
                "Access token is missing or invalid.",
                None,
                Some("invalid_access_token"),
            )
        } else {
            match (request.method.as_str(), request.url.path(), scenario) {
                (_, _, Scenario::RateLimited) => error(
                    429,
                    "You have been ratelimited for making too many requests to the server.",
                    None,
                    Some("ratelimited"),
                ),
                ("POST", "/v2/pushes", Scenario::QuotaUsed) => error(
                    403,
                    "Pushbullet Pro is required to send more than 500 pushes per month.",
                    None,
                    Some("pushbullet_pro_required"),
                ),
                ("POST", "/v2/pushes", _) => self.push(request),
                ("GET", "/v2/users/me", _) => ResponseTemplate::new(200).set_body_json(json!({
                    "iden": "ujpah72o0", "email": "elon@teslamotors.com",
                    "email_normalized": "elon@teslamotors.com", "name": "Elon Musk",
                    "created": 1.381092887398433e9, "modified": 1.441054560741007e9,
                    "max_upload_size": 26214400,
                })),
                ("GET", "/v2/devices", _) => ResponseTemplate::new(200).set_body_json(json!({
                    "devices": [
                        {"iden": "ujpah72o0sjAoRtnM0jc", "active": true, "nickname": "Elon's iPhone", "manufacturer": "Apple", "model": "iPhone", "type": "ios", "pushable": true},
                        {"iden": "ujpah72o0sjAdeadbeef", "active": true, "manufacturer": "Google", "model": "Pixel 9", "type": "android", "pushable": true},
                    ]
                })),
                _ => error(404, "The resource could not be found.", None, None),
            }
        };
        response
            .insert_header("X-Ratelimit-Limit", LIMIT.to_string().as_str())
            .insert_header("X-Ratelimit-Remaining", remaining.to_string().as_str())
            .insert_header("X-Ratelimit-Reset", RESET.to_string().as_str())
    }
}

pub struct PushbulletStandIn {
    pub server: MockServer,
    state: Arc<State>,
}

impl PushbulletStandIn {
    /// Starts on the given runtime (the GUI tests' own), or a throwaway one for CLI tests.
    pub async fn start_async() -> Self {
        let state = Arc::new(State {
            scenario: Mutex::new(Scenario::Ok),
            seen: Mutex::new(Vec::new()),
            remaining: Mutex::new(LIMIT),
        });
        let server = MockServer::builder().start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(Handler(state.clone()))
            .mount(&server)
            .await;
        Self { server, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.address().port())
    }

    pub fn set(&self, scenario: Scenario) {
        *self.state.scenario.lock().expect("lock") = scenario;
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    pub fn hits(&self) -> usize {
        self.requests().len()
    }
}
