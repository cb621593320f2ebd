//! A local APNs on 127.0.0.1 that speaks only HTTP/2 over cleartext (h2c, prior knowledge), as the
//! real service speaks only HTTP/2. It verifies the ES256 provider token with the public key (kid,
//! iss, an age under one hour), checks the headers APNs checks and answers with Apple's reasons
//! (providers.md §8.2): the push type against its topic suffix (DeviceTokenNotForTopic) and
//! priority (BadPriority), and records a background or Live Activity payload Apple would drop.
//! A token starting with `dead` is unregistered; 64 zeros is a bad token.

#![allow(dead_code)]

use std::collections::BTreeSet;
use std::sync::Mutex;

use super::server::{Api, Record, Reply, Seen, StandIn};

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
        if request.method != "POST" {
            return reason(405, "MethodNotAllowed");
        }
        let Some(device) = request.path.strip_prefix("/3/device/") else {
            return problem(format!("no such path {}", request.path));
        };
        let auth = header("authorization");
        let topic = header("apns-topic");
        if let Some(der) = &request.client_certificate {
            // Certificate auth: the handshake verified the certificate against the CA; the
            // topic must be one it was issued for, in this environment.
            if !auth.is_empty() {
                record.problem("a certificate connection also sent an authorization header");
            }
            let (allowed, sandbox) = certificate_topics(der);
            if !sandbox {
                return reason(403, "BadCertificateEnvironment");
            }
            if !allowed.contains(&topic) {
                return reason(400, "TopicDisallowed");
            }
            return self.after_auth(request, record, device);
        }
        let Some(jwt) = auth.strip_prefix("bearer ") else {
            return reason(403, "MissingProviderToken");
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
            _ => return reason(403, "InvalidProviderToken"),
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let iat = claims["iat"].as_i64().unwrap_or(0);
        if now - iat > 3600 {
            return reason(403, "ExpiredProviderToken");
        }
        if iat > now + 60 {
            return reason(403, "InvalidProviderToken");
        }
        self.tokens.lock().expect("lock").insert(jwt.to_string());
        self.after_auth(request, record, device)
    }
}

impl Apns {
    /// Everything APNs checks once the provider is authenticated (token or certificate).
    fn after_auth(&self, request: &Seen, record: &Record, device: &str) -> Reply {
        let header = |n: &str| request.header_or_empty(n).to_string();
        let body = &request.body;
        let problem = |m: String| {
            record.problem(m);
            reason(400, "BadPath")
        };
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
        if push_type == "liveactivity" {
            let event = aps.get("event").and_then(Value::as_str).unwrap_or("");
            if !aps.get("timestamp").is_some_and(Value::is_i64)
                || !["start", "update", "end"].contains(&event)
                || (event != "end" && !aps.get("content-state").is_some_and(Value::is_object))
                || (event == "start"
                    && (!aps.get("attributes-type").is_some_and(Value::is_string)
                        || !aps.get("attributes").is_some_and(Value::is_object)))
            {
                return problem(format!(
                    "not a Live Activity payload Apple documents: {aps}"
                ));
            }
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

impl ApnsStandIn {
    /// Starts APNs over h2c on a thread of its own.
    pub fn start() -> Self {
        Self::serve_h2c(Apns {
            tokens: Mutex::default(),
        })
    }

    /// Starts APNs over TLS (HTTP/2 by ALPN, as the real one) with `config`'s certificate.
    pub fn start_tls(config: std::sync::Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        Self::serve_tls(
            Apns {
                tokens: Mutex::default(),
            },
            config,
        )
    }

    pub fn distinct_tokens(&self) -> usize {
        self.api().tokens.lock().expect("lock").len()
    }
}
