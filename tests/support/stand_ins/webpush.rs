//! A local push service on 127.0.0.1 (wiremock) that does what FCM or Mozilla's autopush check
//! (providers.md §7.2): a TTL header, `aes128gcm`, a VAPID JWT that verifies with `k` for this
//! origin and, when the subscription was made with an applicationServerKey, that key. It holds
//! the browser side of each subscription it hands out, decrypts every message and keeps the
//! plaintext. Endpoints named `gone-…` answer 410, `missing-…` 404, `big-…` 413, and `busy-…` 429
//! with Retry-After: 1 the first time; `ok200-…` delivers but answers 200 OK instead of 201.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::server::{Api, Record, Reply, Seen, StandIn};
use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, EcPrivateKeyBin};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use pushdeck::provider::webpush::{ece, vapid};
use serde_json::{Value, json};

#[derive(Debug, Clone)]
pub struct Delivered {
    pub id: String,
    pub headers: Vec<(String, String)>,
    pub plaintext: Vec<u8>,
    pub subject: String,
}

impl Delivered {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.plaintext).expect("the plaintext is JSON")
    }
}

struct Browser {
    private: Vec<u8>,
    auth: [u8; 16],
    application_server_key: Option<String>,
}

/// A browser vendor's push service: the browser side of each subscription, what it delivered.
#[derive(Default)]
pub struct WebPush {
    browsers: Mutex<HashMap<String, Browser>>,
    delivered: Mutex<Vec<Delivered>>,
    busy_seen: Mutex<HashSet<String>>,
}

pub type PushService = StandIn<WebPush>;

fn refuse(record: &Record, status: u16, why: String) -> Reply {
    record.problem(why.clone());
    Reply::new(status).set_body_string(why)
}

impl WebPush {
    fn push(&self, request: &Seen, record: &Record, id: &str) -> Reply {
        let header = |name: &str| request.header(name).map(str::to_string);
        match header("ttl") {
            Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {}
            other => {
                return refuse(
                    record,
                    400,
                    format!("TTL header missing or invalid: {other:?}"),
                );
            }
        }
        if let Some(u) = header("urgency")
            && !["very-low", "low", "normal", "high"].contains(&u.as_str())
        {
            return refuse(record, 400, format!("bad Urgency {u}"));
        }
        if let Some(t) = header("topic")
            && (t.len() > 32
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            return refuse(record, 400, format!("bad Topic {t}"));
        }
        let Some(auth) = header("authorization") else {
            return refuse(record, 401, "no VAPID Authorization header".into());
        };
        let Some((t, k)) = auth
            .strip_prefix("vapid t=")
            .and_then(|rest| rest.split_once(", k="))
        else {
            return refuse(
                record,
                403,
                format!("not a vapid Authorization header: {auth}"),
            );
        };
        let origin = record.origin().to_string();
        let claims = match vapid::verify(t, k, &origin, time::OffsetDateTime::now_utc()) {
            Ok(c) => c,
            Err(e) => return refuse(record, 403, format!("invalid JWT: {e}")),
        };
        if id.starts_with("gone-") {
            return Reply::new(410)
                .set_body_string("push subscription has unsubscribed or expired.");
        }
        if id.starts_with("missing-") {
            return Reply::new(404).set_body_string("Subscription not found");
        }
        if id.starts_with("big-") {
            return Reply::new(413).set_body_string("Payload too large");
        }
        if id.starts_with("busy-") && self.busy_seen.lock().expect("lock").insert(id.to_string()) {
            return Reply::new(429)
                .insert_header("Retry-After", "1")
                .set_body_string("Too many requests");
        }
        let browsers = self.browsers.lock().expect("lock");
        let Some(browser) = browsers.get(id) else {
            return Reply::new(404).set_body_string("Subscription not found");
        };
        if let Some(expected) = &browser.application_server_key
            && expected != k
        {
            return refuse(
                record,
                403,
                "the VAPID key does not match the subscription's applicationServerKey".into(),
            );
        }
        if header("content-encoding").as_deref() != Some("aes128gcm") {
            return refuse(record, 400, "Content-Encoding must be aes128gcm".into());
        }
        if request.body.len() > 4096 {
            return Reply::new(413).set_body_string("Payload too large");
        }
        let plaintext = match ece::decrypt(&request.body, &browser.private, &browser.auth) {
            Ok(p) => p,
            Err(e) => return refuse(record, 400, format!("does not decrypt: {e}")),
        };
        self.delivered.lock().expect("lock").push(Delivered {
            id: id.to_string(),
            headers: request.headers.clone(),
            plaintext,
            subject: claims.sub,
        });
        Reply::new(if id.starts_with("ok200-") { 200 } else { 201 })
            .insert_header("Location", format!("{origin}/m/{id}-1").as_str())
            .insert_header("TTL", header("ttl").unwrap_or_default().as_str())
    }
}

impl Api for WebPush {
    const NAME: &'static str = "Web Push";

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        match (
            request.method.as_str(),
            request.path.as_str().strip_prefix("/push/"),
        ) {
            ("POST", Some(id)) => self.push(request, record, id),
            (m, _) => refuse(
                record,
                404,
                format!("no such endpoint: {m} {}", request.path.as_str()),
            ),
        }
    }
}

impl PushService {
    pub fn origin(&self) -> String {
        self.base_url()
    }

    /// A subscription as the browser would hand it to the page (`toJSON()`), for `id`.
    pub fn subscribe(&self, id: &str, application_server_key: Option<&str>) -> Value {
        self.api()
            .subscribe_at(&self.origin(), id, application_server_key)
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.api().delivered.lock().expect("lock").clone()
    }
}

impl WebPush {
    /// `PushService::subscribe` for a push service served by another `Api` that wraps this one
    /// (the crash test's counting stand-in), at `origin`.
    pub fn subscribe_at(
        &self,
        origin: &str,
        id: &str,
        application_server_key: Option<&str>,
    ) -> Value {
        let key = agreement::PrivateKey::generate(&agreement::ECDH_P256).expect("key");
        let private: EcPrivateKeyBin = key.as_be_bytes().expect("bytes");
        let public = key.compute_public_key().expect("public");
        let mut auth = [0u8; 16];
        aws_lc_rs::rand::fill(&mut auth).expect("random");
        self.browsers.lock().expect("lock").insert(
            id.to_string(),
            Browser {
                private: private.as_ref().to_vec(),
                auth,
                application_server_key: application_server_key.map(str::to_string),
            },
        );
        json!({
            "endpoint": format!("{origin}/push/{id}"),
            "expirationTime": null,
            "keys": {"p256dh": URL_SAFE_NO_PAD.encode(public.as_ref()), "auth": URL_SAFE_NO_PAD.encode(auth)}
        })
    }
}
