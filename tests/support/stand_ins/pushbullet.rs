//! A local Pushbullet API v2 on 127.0.0.1 (wiremock): checks the `Access-Token` header, the JSON
//! content type and the push body the way the real API does (a known `type`, a `url` for links,
//! at most one target), answers with Pushbullet's objects and error bodies, and sends the
//! `X-Ratelimit-*` headers on every response.

#![allow(dead_code)]

use std::sync::Mutex;

use super::server::{Api, Record, Reply, Seen, StandIn};
use serde_json::{Value, json};

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

/// Pushbullet's API: the scenario and the rate-limit budget left.
pub struct Pushbullet {
    scenario: Mutex<Scenario>,
    remaining: Mutex<u64>,
}

impl Default for Pushbullet {
    fn default() -> Self {
        Self {
            scenario: Mutex::new(Scenario::Ok),
            remaining: Mutex::new(LIMIT),
        }
    }
}

pub type PushbulletStandIn = StandIn<Pushbullet>;

fn error(status: u16, message: &str, param: Option<&str>, code: Option<&str>) -> Reply {
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
    Reply::new(status).set_body_json(body)
}

impl Pushbullet {
    fn push(&self, request: &Seen) -> Reply {
        let ct = request.header_or_empty("content-type");
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
        Reply::new(200).set_body_json(push)
    }
}

impl Api for Pushbullet {
    const NAME: &'static str = "Pushbullet";

    fn answer(&self, request: &Seen, _record: &Record) -> Reply {
        let scenario = *self.scenario.lock().expect("lock");
        let remaining = {
            let mut r = self.remaining.lock().expect("lock");
            *r = if scenario == Scenario::RateLimited {
                0
            } else {
                r.saturating_sub(1)
            };
            *r
        };
        let response = if request.header("access-token") != Some(TOKEN) {
            error(
                401,
                "Access token is missing or invalid.",
                None,
                Some("invalid_access_token"),
            )
        } else {
            match (request.method.as_str(), request.path.as_str(), scenario) {
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
                ("GET", "/v2/users/me", _) => Reply::new(200).set_body_json(json!({
                    "iden": "ujpah72o0", "email": "elon@teslamotors.com",
                    "email_normalized": "elon@teslamotors.com", "name": "Elon Musk",
                    "created": 1.381092887398433e9, "modified": 1.441054560741007e9,
                    "max_upload_size": 26214400,
                })),
                ("GET", "/v2/devices", _) => Reply::new(200).set_body_json(json!({
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

impl PushbulletStandIn {
    pub fn set(&self, scenario: Scenario) {
        *self.api().scenario.lock().expect("lock") = scenario;
    }
}
