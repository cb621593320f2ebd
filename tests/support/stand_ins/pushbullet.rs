//! A local Pushbullet API v2 on 127.0.0.1 (wiremock): checks the `Access-Token` header, the JSON
//! content type and the push body the way the real API does (a known `type`, a `url` for links,
//! at most one target), answers with Pushbullet's objects and error bodies, and sends the
//! `X-Ratelimit-*` headers on every response. File pushes go through its upload-request endpoint
//! and an upload endpoint on the same server (the real one is another host): the upload must be
//! multipart/form-data with the `data` fields and a `file` part and carry no access token, and a
//! file push must name a `file_url` that was uploaded.

#![allow(dead_code)]

use std::collections::HashMap;
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
    /// The upload host answers 500.
    UploadFails,
}

/// A file as the upload endpoint received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub file_name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// Pushbullet's API: the scenario and the rate-limit budget left.
pub struct Pushbullet {
    scenario: Mutex<Scenario>,
    remaining: Mutex<u64>,
    /// Upload slots granted: upload path → (file name, file type).
    slots: Mutex<HashMap<String, (String, String)>>,
    /// Uploaded files by their `file_url`.
    uploads: Mutex<HashMap<String, Upload>>,
}

impl Default for Pushbullet {
    fn default() -> Self {
        Self {
            scenario: Mutex::new(Scenario::Ok),
            remaining: Mutex::new(LIMIT),
            slots: Mutex::new(HashMap::new()),
            uploads: Mutex::new(HashMap::new()),
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

/// The S3-style form field the upload must send back.
const POLICY: &str = "standin-policy";

impl Pushbullet {
    fn upload_request(&self, request: &Seen, record: &Record) -> Reply {
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return error(400, "Failed to decode JSON body.", None, None);
        };
        let text = |k: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (name, kind) = (text("file_name"), text("file_type"));
        if name.is_empty() {
            return error(400, "Missing file_name.", Some("file_name"), None);
        }
        if !kind.contains('/') {
            record.problem(format!(
                "upload-request file_type `{kind}` is not a MIME type"
            ));
        }
        let mut slots = self.slots.lock().expect("lock");
        let path = format!("/upload/{}", slots.len() + 1);
        slots.insert(path.clone(), (name.clone(), kind.clone()));
        let origin = record.origin();
        Reply::new(200).set_body_json(json!({
            "file_name": name, "file_type": kind,
            "file_url": format!("{origin}/files{path}/{name}"),
            "upload_url": format!("{origin}{path}"),
            "data": {"policy": POLICY},
        }))
    }

    /// The upload host: multipart with the slot's `data` and a `file` part, and no token.
    fn upload(&self, request: &Seen, record: &Record) -> Reply {
        if request.header("access-token").is_some() {
            record.problem("the upload carried the Access-Token header to the upload host");
        }
        if *self.scenario.lock().expect("lock") == Scenario::UploadFails {
            return Reply::new(500).set_body_string("upload backend unavailable");
        }
        let Some((name, kind)) = self.slots.lock().expect("lock").get(&request.path).cloned()
        else {
            return Reply::new(404).set_body_string("no such upload slot");
        };
        let parts = match multipart(request) {
            Ok(parts) => parts,
            Err(e) => {
                record.problem(format!("the upload is not multipart/form-data: {e}"));
                return Reply::new(400).set_body_string(e);
            }
        };
        if !parts
            .iter()
            .any(|p| p.name == "policy" && p.bytes == POLICY.as_bytes())
        {
            record.problem("the upload left out the `data` fields of the upload request");
            return Reply::new(403).set_body_string("policy missing");
        }
        let Some(file) = parts.into_iter().find(|p| p.name == "file") else {
            record.problem("the upload has no `file` part");
            return Reply::new(400).set_body_string("file missing");
        };
        if file.file_name.as_deref() != Some(name.as_str()) {
            record.problem(format!(
                "uploaded as {:?}, the slot was for {name}",
                file.file_name
            ));
        }
        let file_url = format!("{}/files{}/{name}", record.origin(), request.path);
        self.uploads.lock().expect("lock").insert(
            file_url,
            Upload {
                file_name: name,
                content_type: file.content_type.unwrap_or(kind),
                bytes: file.bytes,
            },
        );
        Reply::new(204)
    }

    fn push(&self, request: &Seen, record: &Record) -> Reply {
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
        if kind == "file" {
            let url = body.get("file_url").and_then(Value::as_str).unwrap_or("");
            let uploaded = self.uploads.lock().expect("lock").get(url).cloned();
            let Some(upload) = uploaded else {
                record.problem(format!(
                    "file push with file_url `{url}` that was not uploaded"
                ));
                return error(
                    400,
                    "file_url does not refer to an uploaded file.",
                    Some("file_url"),
                    None,
                );
            };
            if body.get("file_name").and_then(Value::as_str) != Some(upload.file_name.as_str()) {
                record.problem("the file push's file_name differs from the upload's");
            }
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
            "file_name",
            "file_type",
            "file_url",
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

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        // The upload host is not the API: no token, no rate-limit headers.
        if request.path.starts_with("/upload/") && request.method == "POST" {
            return self.upload(request, record);
        }
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
                ("POST", "/v2/pushes", _) => self.push(request, record),
                ("POST", "/v2/upload-request", _) => self.upload_request(request, record),
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
                // Pushbullet's documented channel object; an inactive (deleted) channel is listed
                // too, so the lookup must leave it out.
                ("GET", "/v2/channels", _) => Reply::new(200).set_body_json(json!({
                    "channels": [
                        {"iden": "ujxPklLhvyKsjAvkMyTVh6", "active": true, "tag": "acme-releases", "name": "Acme releases", "description": "New versions"},
                        {"iden": "ujxPklLhvyKsjAdeadbeef", "active": false, "tag": "old-news", "name": "Old news"},
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

    /// The files uploaded so far.
    pub fn uploads(&self) -> Vec<Upload> {
        self.api()
            .uploads
            .lock()
            .expect("lock")
            .values()
            .cloned()
            .collect()
    }
}

struct Part {
    name: String,
    file_name: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

/// The multipart/form-data parts of a request, read with `multer`.
fn multipart(request: &Seen) -> Result<Vec<Part>, String> {
    let boundary = multer::parse_boundary(request.header_or_empty("content-type"))
        .map_err(|e| e.to_string())?;
    let body = bytes::Bytes::from(request.body.clone());
    let stream = futures::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut form = multer::Multipart::new(stream, boundary);
    futures::executor::block_on(async move {
        let mut parts = Vec::new();
        while let Some(field) = form.next_field().await.map_err(|e| e.to_string())? {
            let name = field.name().unwrap_or("").to_string();
            let file_name = field.file_name().map(str::to_string);
            let content_type = field.content_type().map(|m| m.essence_str().to_string());
            let bytes = field.bytes().await.map_err(|e| e.to_string())?.to_vec();
            parts.push(Part {
                name,
                file_name,
                content_type,
                bytes,
            });
        }
        Ok(parts)
    })
}
