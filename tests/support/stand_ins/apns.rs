//! A local APNs on 127.0.0.1 that speaks only HTTP/2 over cleartext (h2c, prior knowledge), as the
//! real service speaks only HTTP/2. It verifies the ES256 provider token with the public key (kid,
//! iss, an age under one hour), checks the headers APNs checks and answers with Apple's reasons
//! (providers.md §8.2): the push type against its topic suffix (DeviceTokenNotForTopic) and
//! priority (BadPriority), and records a background or Live Activity payload Apple would drop.
//! A token starting with `dead` is unregistered; 64 zeros is a bad token.
//!
//! It also keeps iOS 18 broadcast channels: `POST /1/apps/{bundle}/channels` (201 with
//! `apns-channel-id`), `GET …/all-channels`, `GET`/`DELETE …/channels` naming the channel in
//! `apns-channel-id`, and the broadcast send `POST /4/broadcasts/apps/{bundle}`, every answer with
//! an `apns-request-id`, as public APNs clients describe the API (Apple's page confirms the
//! host, the base64 channel ids and `apns-request-id`; docs/providers/apns.md says what is not).

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use super::server::{Api, Record, Reply, Seen, StandIn};

use base64::Engine as _;
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

/// APNs, counting the distinct provider tokens it has seen (Apple counts renewals).
pub struct Apns {
    tokens: Mutex<BTreeSet<String>>,
    /// Broadcast channels by id, with their message storage policy.
    channels: Mutex<BTreeMap<String, u64>>,
}

pub type ApnsStandIn = StandIn<Apns>;

fn reason(status: u16, reason: &str) -> Reply {
    Reply::json(status, json!({"reason": reason}))
}

impl Api for Apns {
    const NAME: &'static str = "APNs";

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        let header = |n: &str| request.header_or_empty(n).to_string();
        let problem = |m: String| {
            record.problem(m);
            reason(400, "BadPath")
        };
        if request.path.starts_with("/1/apps/") || request.path.starts_with("/4/broadcasts/") {
            let n = record.hits();
            let rid = format!("0ab1c2d3-0000-4000-8000-{n:012x}");
            // A channel call names the app in its path, not in apns-topic.
            let reply = match self.authenticate(request, record, TOPIC) {
                Ok(()) => self.channel_api(request, record, n),
                Err(refused) => refused,
            };
            return reply.insert_header("apns-request-id", &rid);
        }
        if request.method != "POST" {
            return reason(405, "MethodNotAllowed");
        }
        let Some(device) = request.path.strip_prefix("/3/device/") else {
            return problem(format!("no such path {}", request.path));
        };
        if let Err(refused) = self.authenticate(request, record, &header("apns-topic")) {
            return refused;
        }
        let body = &request.body;
        let topic = header("apns-topic");
        if topic.is_empty() {
            return reason(400, "MissingTopic");
        }
        if topic != TOPIC && !topic.starts_with(&format!("{TOPIC}.")) {
            return reason(400, "TopicDisallowed");
        }
        let push_type = header("apns-push-type");
        let Some(suffix) = suffix(&push_type) else {
            return reason(400, "InvalidPushType");
        };
        // Tokens of VoIP, Live Activity, widget… pushes are registered under the suffixed topic:
        // the wrong suffix for the push type is a token of another topic.
        let wanted = format!("{TOPIC}{suffix}");
        if topic != wanted {
            return reason(400, "DeviceTokenNotForTopic");
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
        let aps = payload.get("aps").cloned().unwrap_or(Value::Null);
        if push_type == "mdm" {
            if !payload.get("mdm").is_some_and(Value::is_string) {
                return problem("an mdm payload without its PushMagic".into());
            }
        } else if !aps.is_object() {
            return problem("payload has no aps dictionary".into());
        }
        if push_type == "background"
            && (aps.get("content-available") != Some(&json!(1))
                || ["alert", "sound", "badge"]
                    .iter()
                    .any(|k| aps.get(k).is_some()))
        {
            return problem(format!(
                "background push with more than content-available: {aps}"
            ));
        }
        if push_type == "liveactivity" && !live_activity_ok(&aps) {
            return problem(format!(
                "not a Live Activity payload Apple documents: {aps}"
            ));
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
            return Reply::json(
                410,
                json!({"reason": "Unregistered", "timestamp": 1_795_000_000_000u64}),
            );
        }
        let n = record.hits();
        Reply::new(200)
            .insert_header("apns-id", &format!("eabeae54-14a8-11e5-b60b-{n:012x}"))
            .insert_header(
                "apns-unique-id",
                &format!("a6a0c9f8-0000-4000-8000-{n:012x}"),
            )
    }
}

/// The topics a client certificate was issued for (its subject UID and Apple's topics
/// extension), and whether it may push to the sandbox (Apple's development OID), read with
/// x509-parser as an independent reader of Apple's encoding.
fn certificate_topics(der: &[u8]) -> (Vec<String>, bool) {
    let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) else {
        return (Vec::new(), false);
    };
    let mut topics: Vec<String> = cert
        .subject()
        .iter_attributes()
        .filter(|a| a.attr_type().to_id_string() == "0.9.2342.19200300.100.1.1")
        .filter_map(|a| a.as_str().ok().map(str::to_string))
        .collect();
    let mut sandbox = false;
    for ext in cert.extensions() {
        match ext.oid.to_id_string().as_str() {
            "1.2.840.113635.100.6.3.1" => sandbox = true,
            "1.2.840.113635.100.6.3.6" => {
                if let Ok((_, seq)) = x509_parser::der_parser::parse_der(ext.value)
                    && let Ok(items) = seq.as_sequence()
                {
                    topics.extend(
                        items
                            .iter()
                            .filter_map(|i| i.as_str().ok().map(str::to_string)),
                    );
                }
            }
            _ => {}
        }
    }
    (topics, sandbox)
}

/// The topic suffix each push type's tokens are registered under.
fn suffix(push_type: &str) -> Option<&'static str> {
    Some(match push_type {
        "alert" | "background" | "mdm" => "",
        "voip" => ".voip",
        "complication" => ".complication",
        "fileprovider" => ".pushkit.fileprovider",
        "liveactivity" => ".push-type.liveactivity",
        "location" => ".location-query",
        "pushtotalk" => ".voip-ptt",
        "widgets" => ".push-type.widgets",
        "controls" => ".push-type.controls",
        _ => return None,
    })
}

/// What Apple documents a Live Activity `aps` to hold.
fn live_activity_ok(aps: &Value) -> bool {
    let event = aps.get("event").and_then(Value::as_str).unwrap_or("");
    aps.get("timestamp").is_some_and(Value::is_i64)
        && ["start", "update", "end"].contains(&event)
        && (event == "end" || aps.get("content-state").is_some_and(Value::is_object))
        && (event != "start"
            || (aps.get("attributes-type").is_some_and(Value::is_string)
                && aps.get("attributes").is_some_and(Value::is_object)))
}

impl Apns {
    /// The provider token, checked as APNs checks it: ES256 with the team's key, the key id,
    /// the team as issuer, an age under an hour.
    /// Certificate auth (the handshake verified the certificate against the CA; `topic` must be
    /// one it was issued for, in this environment) or token auth.
    fn authenticate(&self, request: &Seen, record: &Record, topic: &str) -> Result<(), Reply> {
        let Some(der) = &request.client_certificate else {
            return self.authorize(request);
        };
        if !request.header_or_empty("authorization").is_empty() {
            record.problem("a certificate connection also sent an authorization header");
        }
        let (allowed, sandbox) = certificate_topics(der);
        if !sandbox {
            return Err(reason(403, "BadCertificateEnvironment"));
        }
        if !allowed.iter().any(|t| t == topic) {
            return Err(reason(400, "TopicDisallowed"));
        }
        Ok(())
    }

    fn authorize(&self, request: &Seen) -> Result<(), Reply> {
        let auth = request.header_or_empty("authorization");
        let Some(jwt) = auth.strip_prefix("bearer ") else {
            return Err(reason(403, "MissingProviderToken"));
        };
        pushdeck::provider::jwt::install_crypto();
        let key =
            jsonwebtoken::DecodingKey::from_ec_pem(PUBLIC_KEY.as_bytes()).expect("public key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.set_issuer(&[TEAM_ID]);
        let header_ok =
            jsonwebtoken::decode_header(jwt).is_ok_and(|h| h.kid.as_deref() == Some(KEY_ID));
        let claims = match jsonwebtoken::decode::<Value>(jwt, &key, &validation) {
            Ok(d) if header_ok => d.claims,
            _ => return Err(reason(403, "InvalidProviderToken")),
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let iat = claims["iat"].as_i64().unwrap_or(0);
        if now - iat > 3600 {
            return Err(reason(403, "ExpiredProviderToken"));
        }
        if iat > now + 60 {
            return Err(reason(403, "InvalidProviderToken"));
        }
        self.tokens.lock().expect("lock").insert(jwt.to_string());
        Ok(())
    }

    /// Channel management and the broadcast send, after the token was accepted.
    fn channel_api(&self, request: &Seen, record: &Record, n: usize) -> Reply {
        let app = format!("/1/apps/{TOPIC}/");
        let mut channels = self.channels.lock().expect("lock");
        let named = request.header_or_empty("apns-channel-id").to_string();
        // A named channel must be base64 and exist in this environment.
        let known = |channels: &BTreeMap<String, u64>| -> Result<u64, Reply> {
            if named.is_empty() {
                return Err(reason(400, "MissingChannelId"));
            }
            if base64::engine::general_purpose::STANDARD
                .decode(&named)
                .is_err()
            {
                return Err(reason(400, "BadChannelId"));
            }
            channels
                .get(&named)
                .copied()
                .ok_or_else(|| reason(400, "ChannelNotRegistered"))
        };
        if let Some(rest) = request.path.strip_prefix("/4/broadcasts/apps/") {
            if request.method != "POST" {
                return reason(405, "MethodNotAllowed");
            }
            if rest != TOPIC {
                return reason(400, "TopicMismatch");
            }
            if let Err(refused) = known(&channels) {
                return refused;
            }
            if request.header_or_empty("apns-push-type") != "liveactivity" {
                return reason(400, "InvalidPushType");
            }
            if !["", "10", "5", "1"].contains(&request.header_or_empty("apns-priority")) {
                return reason(400, "BadPriority");
            }
            let payload: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
            if !live_activity_ok(&payload["aps"]) {
                record.problem(format!(
                    "broadcast payload is not a Live Activity: {payload}"
                ));
                return reason(400, "BadPayload");
            }
            return Reply::new(200);
        }
        let Some(what) = request.path.strip_prefix(&app) else {
            return reason(400, "TopicMismatch");
        };
        match (request.method.as_str(), what) {
            ("POST", "channels") => {
                let body: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
                let Some(policy) = body["message-storage-policy"].as_u64().filter(|p| *p <= 1)
                else {
                    return reason(400, "BadMessageStoragePolicy");
                };
                if body["push-type"] != "LiveActivity" {
                    return reason(400, "InvalidPushType");
                }
                let id = base64::engine::general_purpose::STANDARD
                    .encode(format!("channel-{n:08}").as_bytes());
                channels.insert(id.clone(), policy);
                Reply::new(201).insert_header("apns-channel-id", &id)
            }
            ("GET", "all-channels") => {
                let ids: Vec<&String> = channels.keys().collect();
                Reply::json(200, json!({"channels": ids}))
            }
            ("GET", "channels") => match known(&channels) {
                Ok(policy) => Reply::json(
                    200,
                    json!({"message-storage-policy": policy, "push-type": "LiveActivity"}),
                ),
                Err(refused) => refused,
            },
            ("DELETE", "channels") => match known(&channels) {
                Ok(_) => {
                    channels.remove(&named);
                    Reply::new(204)
                }
                Err(refused) => refused,
            },
            (_, "channels" | "all-channels") => reason(405, "MethodNotAllowed"),
            _ => reason(404, "BadPath"),
        }
    }
}

impl ApnsStandIn {
    /// Starts APNs over h2c on a thread of its own.
    pub fn start() -> Self {
        Self::serve_h2c(Apns {
            tokens: Mutex::default(),
            channels: Mutex::default(),
        })
    }

    /// Starts APNs over TLS (HTTP/2 by ALPN, as the real one) with `config`'s certificate.
    pub fn start_tls(config: std::sync::Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        Self::serve_tls(
            Apns {
                tokens: Mutex::default(),
                channels: Mutex::default(),
            },
            config,
        )
    }

    /// The channels it keeps now.
    pub fn channels(&self) -> Vec<String> {
        self.api()
            .channels
            .lock()
            .expect("lock")
            .keys()
            .cloned()
            .collect()
    }

    pub fn distinct_tokens(&self) -> usize {
        self.api().tokens.lock().expect("lock").len()
    }
}
