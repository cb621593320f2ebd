//! A local OneSignal (wiremock on 127.0.0.1) that checks what the real API checks: every
//! notification body is validated against the `Notification` schema of OneSignal's OpenAPI
//! document in `tests/fixtures/specs/` (part of the repository; see its README).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::support::block_on;
use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const APP_ID: &str = "8a7b3c2d-1e0f-4a5b-9c8d-944455556666";
pub const API_KEY: &str = "os_v2_app_stand1n5ecretkey0123456789abcdefghijklmnop";
pub const WRONG_KEY: &str = "os_v2_app_wrongwrongwrong0123456789abcdefghijklmnop";

/// OneSignal's 403 body, word for word (double space included).
pub const ACCESS_DENIED: &str = r#"{"errors":["Access denied.  Please include an 'Authorization: ...' header with a valid API key (https://documentation.onesignal.com/docs/accounts-and-keys#app-api-keys)."]}"#;

/// Newer documented top-level fields that the (older) OpenAPI document lacks.
pub const NEWER_FIELDS: &[&str] = &[
    "include_aliases",
    "target_channel",
    "include_subscription_ids",
    "idempotency_key",
    "send_after",
];

/// The schemas whose properties make up a create-notification body.
const NOTIFICATION_SCHEMAS: &[&str] = &[
    "Notification",
    "BasicNotification",
    "NotificationTarget",
    "SegmentNotificationTarget",
    "PlayerNotificationTarget",
];

struct Spec {
    validator: jsonschema::Validator,
    top_level: BTreeSet<String>,
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/specs/onesignal-openapi.json");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read OneSignal's OpenAPI document at {}: {e}",
                path.display()
            )
        });
        let doc: Value = serde_json::from_str(&text).expect("the OpenAPI document is JSON");
        let components = doc
            .get("components")
            .cloned()
            .expect("the OpenAPI document has components");
        // OpenAPI 3.0 schemas are close enough to JSON Schema; `nullable` is ignored (we never
        // send null) and `format` is an annotation only in draft 2020-12.
        let schema = json!({"$ref": "#/components/schemas/Notification", "components": components});
        let validator =
            jsonschema::validator_for(&schema).expect("the Notification schema compiles");
        let schemas = &components["schemas"];
        let mut top_level = BTreeSet::new();
        for name in NOTIFICATION_SCHEMAS {
            collect_properties(schemas, &schemas[*name], &mut top_level, 0);
        }
        assert!(
            top_level.contains("app_id") && top_level.contains("contents"),
            "walking the spec found {top_level:?}"
        );
        top_level.extend(NEWER_FIELDS.iter().map(|s| s.to_string()));
        Spec {
            validator,
            top_level,
        }
    })
}

/// The property names of a schema, following `$ref`, `allOf` and `anyOf` (and `oneOf`).
fn collect_properties(schemas: &Value, schema: &Value, out: &mut BTreeSet<String>, depth: usize) {
    assert!(depth < 16, "schema nesting too deep");
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        let name = reference.rsplit('/').next().unwrap_or_default();
        collect_properties(schemas, &schemas[name], out, depth + 1);
    }
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        out.extend(props.keys().cloned());
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            collect_properties(schemas, sub, out, depth + 1);
        }
    }
}

/// Checks a notification body the way the stand-in does; returns the problems found.
pub fn notification_problems(body: &Value, app_id: &str) -> Vec<String> {
    let spec = spec();
    let mut problems = Vec::new();
    let Some(map) = body.as_object() else {
        return vec!["the body is not a JSON object".into()];
    };
    match map.get("app_id").and_then(Value::as_str) {
        Some(id) if id == app_id => {}
        Some(id) => problems.push(format!("app_id `{id}` is not this app (`{app_id}`)")),
        None => problems.push("app_id is missing".into()),
    }
    for error in spec.validator.iter_errors(body) {
        problems.push(format!("schema: {} at {}", error, error.instance_path()));
    }
    for key in map.keys() {
        if !spec.top_level.contains(key) {
            problems.push(format!(
                "`{key}` is not a field of OneSignal's create-notification API"
            ));
        }
    }
    problems
}

/// How the stand-in answers a well-formed, authorised request.
#[derive(Debug, Clone, PartialEq)]
pub enum Scenario {
    /// 200 `{"id": "<uuid>", "external_id": null}`.
    Ok,
    /// 400 `{"errors": [message]}` for notifications.
    BadRequest(String),
    /// 200 `{"id": "", "errors": ["All included players are not subscribed"]}`.
    NotSubscribed,
    /// 429 `{"errors": ["API rate limit exceeded."]}` with `Retry-After: seconds`.
    RateLimited(u64),
    /// The normal answer, after this delay.
    Delay(Duration),
}

/// One request the stand-in received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
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

struct State {
    app_id: String,
    key: String,
    scenario: Mutex<Scenario>,
    hits: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    /// Contract violations (not deliberate refusals such as a wrong key).
    problems: Mutex<Vec<String>>,
}

struct Handler(Arc<State>);

fn json_response(status: u16, body: Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        body.to_string().into_bytes(),
        "application/json; charset=utf-8",
    )
}

fn errors(status: u16, messages: &[String]) -> ResponseTemplate {
    json_response(status, json!({ "errors": messages }))
}

impl Handler {
    fn problem(&self, status: u16, message: String) -> ResponseTemplate {
        self.0.problems.lock().expect("lock").push(message.clone());
        errors(status, &[message])
    }

    fn authorised(&self, request: &Request) -> bool {
        let expected = format!("Key {}", self.0.key);
        request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            == Some(expected.as_str())
    }

    fn notification(&self, request: &Request, scenario: &Scenario) -> ResponseTemplate {
        let content_type = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return self.problem(
                400,
                format!("Content-Type must be application/json, not `{content_type}`"),
            );
        }
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => return self.problem(400, format!("The request body is not valid JSON: {e}")),
        };
        let problems = notification_problems(&body, &self.0.app_id);
        if !problems.is_empty() {
            self.0
                .problems
                .lock()
                .expect("lock")
                .extend(problems.iter().cloned());
            return errors(400, &problems);
        }
        match scenario {
            Scenario::BadRequest(message) => errors(400, std::slice::from_ref(message)),
            Scenario::NotSubscribed => json_response(
                200,
                json!({"id": "", "errors": ["All included players are not subscribed"]}),
            ),
            _ => json_response(
                200,
                json!({"id": uuid::Uuid::new_v4().to_string(), "external_id": null}),
            ),
        }
    }

    fn segments(&self, request: &Request, app_id: &str) -> ResponseTemplate {
        if app_id != self.0.app_id {
            return self.problem(400, format!("app_id `{app_id}` not found"));
        }
        let query: Vec<(String, String)> = request
            .url
            .query_pairs()
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let get = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.parse::<u64>().ok())
        };
        let (Some(offset), Some(limit)) = (get("offset"), get("limit")) else {
            return self.problem(
                400,
                format!(
                    "segments: offset and limit must be numbers, got `{}`",
                    request.url.query().unwrap_or("")
                ),
            );
        };
        if offset != 0 || limit == 0 || limit > 300 {
            return self.problem(
                400,
                format!("segments: unexpected offset={offset} limit={limit}"),
            );
        }
        let all = [
            json!({"id": "6a8d5b3c-0d1e-4f2a-9b8c-7d6e5f4a3b21", "name": "All"}),
            json!({"id": "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f", "name": "Active Users"}),
        ];
        let segments: Vec<Value> = all.into_iter().take(limit as usize).collect();
        json_response(
            200,
            json!({"total_count": 2, "offset": 0, "limit": limit, "segments": segments}),
        )
    }
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let state = &self.0;
        state.hits.fetch_add(1, Ordering::SeqCst);
        state.seen.lock().expect("lock").push(Seen {
            method: request.method.to_string(),
            path: request.url.path().to_string(),
            query: request.url.query().map(str::to_string),
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
        let scenario = state.scenario.lock().expect("lock").clone();
        let path = request.url.path().to_string();
        let method = request.method.as_str();
        let segments_app = path
            .strip_prefix("/apps/")
            .and_then(|rest| rest.strip_suffix("/segments"));
        let known = (method == "POST" && path == "/notifications")
            || (method == "GET" && segments_app.is_some());
        let response = if !known {
            self.problem(404, format!("no such endpoint: {method} {path}"))
        } else if !self.authorised(request) {
            ResponseTemplate::new(403).set_body_raw(
                ACCESS_DENIED.as_bytes().to_vec(),
                "application/json; charset=utf-8",
            )
        } else if let Scenario::RateLimited(seconds) = scenario {
            errors(429, &["API rate limit exceeded.".to_string()])
                .insert_header("Retry-After", seconds.to_string().as_str())
        } else if let Some(app_id) = segments_app {
            self.segments(request, app_id)
        } else {
            self.notification(request, &scenario)
        };
        match scenario {
            Scenario::Delay(delay) => response.set_delay(delay),
            _ => response,
        }
    }
}

/// A local OneSignal on 127.0.0.1 with a random port.
pub struct OneSignalStandIn {
    server: MockServer,
    state: Arc<State>,
}

impl OneSignalStandIn {
    pub fn start() -> Self {
        Self::start_for(APP_ID, API_KEY)
    }

    pub fn start_for(app_id: &str, key: &str) -> Self {
        let _ = spec(); // fail early and clearly when the spec is missing
        let state = Arc::new(State {
            app_id: app_id.into(),
            key: key.into(),
            scenario: Mutex::new(Scenario::Ok),
            hits: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
        });
        let server = block_on(async {
            let server = MockServer::builder().start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(Handler(state.clone()))
                .mount(&server)
                .await;
            server
        });
        Self { server, state }
    }

    /// `http://127.0.0.1:PORT`: the profile's base URL.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.address().port())
    }

    pub fn set(&self, scenario: Scenario) {
        *self.state.scenario.lock().expect("lock") = scenario;
    }

    /// Every request received so far, answered or not.
    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    pub fn problems(&self) -> Vec<String> {
        self.state.problems.lock().expect("lock").clone()
    }

    /// Fails the test with the stand-in's complaints, if any.
    pub fn assert_no_problems(&self) {
        let problems = self.problems();
        assert!(
            problems.is_empty(),
            "the OneSignal stand-in found problems: {problems:#?}"
        );
    }
}
