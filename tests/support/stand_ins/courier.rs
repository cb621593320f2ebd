//! A local Courier on 127.0.0.1 (wiremock): checks `Authorization: Bearer`, the JSON content type
//! and the send body of either form (current `{"message": …}` or legacy `{"event", "recipient"}`),
//! answers 202 `{"requestId"}` / 200 `{"messageId"}` like Courier, replays a repeated
//! `Idempotency-Key` (409 when the body differs), and serves `GET /messages` and
//! `GET /messages/{id}` with the delivery of what it accepted.

#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Mutex;

use super::server::{Api, Record, Reply, Seen, StandIn};
use serde_json::{Value, json};

pub const TOKEN: &str = "pk_test_STANDINTOKEN0123456789ABCDEF";
pub const REQUEST_ID: &str = "1-65f0c2a3-4d2a1b0c9e8f7a6b5c4d3e2f";
pub const LEGACY_ID: &str = "1-5e2b2615-05efbb3acab9172f88dd3f6f";

#[derive(Default)]
struct State {
    /// Idempotency key → (body, response status, response body).
    keys: HashMap<String, (Value, u16, Value)>,
    /// How many sends were really accepted (not replays).
    accepted: usize,
}

/// Courier's API: the idempotency keys it has answered and what it accepted.
#[derive(Default)]
pub struct Courier(Mutex<State>);

pub type CourierStandIn = StandIn<Courier>;

fn error(status: u16, message: &str, kind: &str) -> Reply {
    Reply::new(status).set_body_json(json!({"message": message, "type": kind}))
}

fn check_to(to: &Value) -> Result<(), String> {
    let one = |r: &Value| match r {
        Value::Object(o) if !o.is_empty() => Ok(()),
        _ => Err(format!("Invalid recipient: {r}")),
    };
    match to {
        Value::Array(items) if !items.is_empty() => items.iter().try_for_each(one),
        Value::Object(_) => one(to),
        _ => Err("message.to is required".into()),
    }
}

/// (status, body) for a send.
fn send(body: &Value) -> (u16, Value) {
    if let Some(message) = body.get("message") {
        if let Err(e) = check_to(message.get("to").unwrap_or(&Value::Null)) {
            return (400, json!({"message": e, "type": "invalid_request_error"}));
        }
        let has_content = message.get("content").is_some_and(|c| {
            c.get("body").is_some_and(Value::is_string) || c.get("elements").is_some()
        });
        let has_template = message.get("template").is_some_and(Value::is_string);
        if has_content == has_template {
            return (
                400,
                json!({"message": "Exactly one of message.content or message.template is required", "type": "invalid_request_error"}),
            );
        }
        if let Some(routing) = message.get("routing") {
            let ok = routing
                .get("method")
                .and_then(Value::as_str)
                .is_some_and(|m| m == "single" || m == "all")
                && routing.get("channels").is_some_and(Value::is_array);
            if !ok {
                return (
                    400,
                    json!({"message": "Invalid routing", "type": "invalid_request_error"}),
                );
            }
        }
        (202, json!({"requestId": REQUEST_ID}))
    } else if body.get("event").is_some_and(Value::is_string) {
        if body
            .get("recipient")
            .and_then(Value::as_str)
            .is_none_or(|r| r.trim().is_empty())
        {
            return (
                400,
                json!({"message": "recipient is required", "type": "invalid_request_error"}),
            );
        }
        (200, json!({"messageId": LEGACY_ID}))
    } else {
        (
            400,
            json!({"message": "message is required", "type": "invalid_request_error"}),
        )
    }
}

impl Api for Courier {
    const NAME: &'static str = "Courier";

    fn answer(&self, request: &Seen, _record: &Record) -> Reply {
        let mut state = self.0.lock().expect("lock");
        if request.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
            return error(401, "Unauthorized", "authentication_error");
        }
        let path = request.path.clone();
        match (request.method.as_str(), path.as_str()) {
            ("POST", "/send") => {
                if !request.header_or_empty("content-type").starts_with("application/json") {
                    return error(400, "Content-Type must be application/json", "invalid_request_error");
                }
                let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
                    return error(400, "Invalid JSON", "invalid_request_error");
                };
                let key = request.header("idempotency-key").map(str::to_string);
                if let Some(key) = &key
                    && let Some((old, status, answer)) = state.keys.get(key)
                {
                    if *old != body {
                        return error(409, "Idempotency key was used with a different request", "invalid_request_error");
                    }
                    return Reply::new(*status).set_body_json(answer.clone());
                }
                let (status, answer) = send(&body);
                if status < 300 {
                    state.accepted += 1;
                }
                if let Some(key) = key {
                    state.keys.insert(key, (body, status, answer.clone()));
                }
                Reply::new(status).set_body_json(answer)
            }
            ("GET", "/messages") => Reply::new(200).set_body_json(json!({
                "paging": {"more": false},
                "results": if state.accepted == 0 { json!([]) } else { json!([{"id": REQUEST_ID, "status": "DELIVERED"}]) },
            })),
            ("GET", p) if p.starts_with("/messages/") => {
                let id = &p["/messages/".len()..];
                if (id == REQUEST_ID || id == LEGACY_ID) && state.accepted > 0 {
                    Reply::new(200).set_body_json(json!({
                        "id": id, "status": "DELIVERED",
                        "enqueued": 1795521600000_i64, "sent": 1795521601000_i64, "delivered": 1795521605000_i64,
                        "recipient": "user-42", "event": "BUILD_DONE", "notification": "BUILD_DONE",
                        "providers": [
                            {"channel": {"key": "email", "name": "Email"}, "provider": "sendgrid", "status": "DELIVERED"},
                            {"channel": {"key": "push"}, "provider": "firebase-fcm", "status": "UNDELIVERABLE", "error": "no push token"}
                        ]
                    }))
                } else {
                    error(404, &format!("Message {id} not found"), "invalid_request_error")
                }
            }
            _ => error(404, "Not Found", "invalid_request_error"),
        }
    }
}

impl CourierStandIn {
    /// Sends really accepted (idempotent replays not counted).
    pub fn accepted(&self) -> usize {
        self.api().0.lock().expect("lock").accepted
    }
}
