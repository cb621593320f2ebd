//! A local OneSignal (wiremock on 127.0.0.1) that checks what the real API checks: every
//! notification body is validated against the `Notification` schema of OneSignal's OpenAPI
//! document in `tests/fixtures/specs/` (part of the repository; see its README).

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use super::server::{Api, Record, Reply, Seen, StandIn};
use serde_json::{Value, json};

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

/// OneSignal's REST API for one app and its key, and the scenario it plays.
pub struct OneSignal {
    app_id: String,
    key: String,
    /// Serves the older API: under `/api/v1`, with `Authorization: Basic <legacy REST key>`.
    legacy: bool,
    scenario: Mutex<Scenario>,
}

/// A local OneSignal on 127.0.0.1 with a random port.
pub type OneSignalStandIn = StandIn<OneSignal>;

fn json_response(status: u16, body: Value) -> Reply {
    Reply::new(status).set_body_raw(
        body.to_string().into_bytes(),
        "application/json; charset=utf-8",
    )
}

fn errors(status: u16, messages: &[String]) -> Reply {
    json_response(status, json!({ "errors": messages }))
}

fn problem(record: &Record, status: u16, message: String) -> Reply {
    record.problem(message.clone());
    errors(status, &[message])
}

impl OneSignal {
    fn authorised(&self, request: &Seen) -> bool {
        let scheme = if self.legacy { "Basic" } else { "Key" };
        let expected = format!("{scheme} {}", self.key);
        request.header("authorization") == Some(expected.as_str())
    }

    fn notification(&self, request: &Seen, record: &Record, scenario: &Scenario) -> Reply {
        let content_type = request.header("content-type").unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            return problem(
                record,
                400,
                format!("Content-Type must be application/json, not `{content_type}`"),
            );
        }
        let body: Value = match serde_json::from_slice(&request.body) {
            Ok(v) => v,
            Err(e) => {
                return problem(
                    record,
                    400,
                    format!("The request body is not valid JSON: {e}"),
                );
            }
        };
        let problems = notification_problems(&body, &self.app_id);
        if !problems.is_empty() {
            for p in &problems {
                record.problem(p.clone());
            }
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

    fn segments(&self, request: &Seen, record: &Record, app_id: &str) -> Reply {
        if app_id != self.app_id {
            return problem(record, 400, format!("app_id `{app_id}` not found"));
        }
        let query = request.query_pairs();
        let get = |key: &str| {
            query
                .iter()
                .find(|(k, _)| k == key)
                .and_then(|(_, v)| v.parse::<u64>().ok())
        };
        let (Some(offset), Some(limit)) = (get("offset"), get("limit")) else {
            return problem(
                record,
                400,
                format!(
                    "segments: offset and limit must be numbers, got `{}`",
                    request.query.as_deref().unwrap_or("")
                ),
            );
        };
        if offset != 0 || limit == 0 || limit > 300 {
            return problem(
                record,
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

impl Api for OneSignal {
    const NAME: &'static str = "OneSignal";

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        let scenario = self.scenario.lock().expect("lock").clone();
        let path = match request.path.strip_prefix("/api/v1") {
            Some(rest) if self.legacy => rest.to_string(),
            _ if self.legacy => format!("(outside /api/v1) {}", request.path),
            _ => request.path.clone(),
        };
        let method = request.method.as_str();
        let segments_app = path
            .strip_prefix("/apps/")
            .and_then(|rest| rest.strip_suffix("/segments"));
        let known = (method == "POST" && path == "/notifications")
            || (method == "GET" && segments_app.is_some());
        let response = if !known {
            problem(record, 404, format!("no such endpoint: {method} {path}"))
        } else if !self.authorised(request) {
            Reply::new(403).set_body_raw(
                ACCESS_DENIED.as_bytes().to_vec(),
                "application/json; charset=utf-8",
            )
        } else if let Scenario::RateLimited(seconds) = scenario {
            errors(429, &["API rate limit exceeded.".to_string()])
                .insert_header("Retry-After", seconds.to_string().as_str())
        } else if let Some(app_id) = segments_app {
            self.segments(request, record, app_id)
        } else {
            self.notification(request, record, &scenario)
        };
        match scenario {
            Scenario::Delay(delay) => response.set_delay(delay),
            _ => response,
        }
    }
}

impl OneSignalStandIn {
    pub fn start() -> Self {
        Self::start_for(APP_ID, API_KEY)
    }

    pub fn start_for(app_id: &str, key: &str) -> Self {
        let _ = spec(); // fail early and clearly when the spec is missing
        Self::serve(OneSignal {
            app_id: app_id.into(),
            key: key.into(),
            legacy: false,
            scenario: Mutex::new(Scenario::Ok),
        })
    }

    /// The older API under `/api/v1`, taking `Basic <key>` with a legacy REST API key.
    pub fn start_legacy(key: &str) -> Self {
        Self::serve(OneSignal {
            app_id: APP_ID.into(),
            key: key.into(),
            legacy: true,
            scenario: Mutex::new(Scenario::Ok),
        })
    }

    pub fn set(&self, scenario: Scenario) {
        *self.api().scenario.lock().expect("lock") = scenario;
    }
}
