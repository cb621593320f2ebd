//! A local Azure Notification Hubs namespace on 127.0.0.1 (providers.md §2). It verifies the SAS
//! token with its own implementation (decode `sr`, compare it with the URL it was called on, HMAC
//! the key string's bytes over `sr\nse`), checks the format headers, Content-Type and body shape,
//! and answers as the hub does: 201 with Location and TrackingId, the test-mode NotificationOutcome
//! XML, and `<Error>` bodies for 400/401/403/404/413.
#![allow(dead_code)]

use std::sync::Mutex;

use super::server::{Api, Record, Reply, Seen, StandIn};
use base64::Engine as _;

pub const HUB: &str = "acme-hub";
pub const FULL_POLICY: &str = "DefaultFullSharedAccessSignature";
pub const LISTEN_POLICY: &str = "DefaultListenSharedAccessSignature";
pub const KEY: &str = "StandInKeyNotReal0123456789+/abcdefghijkl=";
pub const LISTEN_KEY: &str = "ListenKeyNotReal0123456789+/abcdefghijkl=";

/// A connection string for the stand-in (its Endpoint is replaced by the profile's base URL).
pub fn connection_string(policy: &str, key: &str) -> String {
    format!(
        "Endpoint=sb://acme-ns.servicebus.windows.net/;SharedAccessKeyName={policy};SharedAccessKey={key}"
    )
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenario {
    Ok,
    /// Answer with this status and an `<Error>` body.
    Error(u16, String),
}

/// A notification hub and the scenario it plays.
pub struct Azure {
    scenario: Mutex<Scenario>,
}

pub type AzureStandIn = StandIn<Azure>;

pub const TEST_OUTCOME: &str = r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Success>2</Success><Failure>1</Failure><Results><RegistrationResult><ApplicationPlatform>apple</ApplicationPlatform><PnsHandle>a1b2c3d4e5f6</PnsHandle><RegistrationId>5126583452930341963-1</RegistrationId><Outcome>The Notification was successfully sent to the Push Notification System</Outcome></RegistrationResult><RegistrationResult><ApplicationPlatform>apple</ApplicationPlatform><PnsHandle>0f9e8d7c6b5a</PnsHandle><RegistrationId>5126583452930341963-2</RegistrationId><Outcome>The Notification was successfully sent to the Push Notification System</Outcome></RegistrationResult><RegistrationResult><ApplicationPlatform>apple</ApplicationPlatform><PnsHandle>deadbeef0000</PnsHandle><RegistrationId>5126583452930341963-3</RegistrationId><Outcome>The Push Notification System handle for the registration is invalid</Outcome></RegistrationResult></Results></NotificationOutcome>"#;
pub const NO_MATCH: &str = r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Success>0</Success><Failure>0</Failure><Results i:nil="true"/></NotificationOutcome>"#;
pub const TRACKING_ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e_G1";

fn error(status: u16, detail: &str) -> Reply {
    Reply::new(status)
        .insert_header("TrackingId", TRACKING_ID)
        .set_body_raw(
            format!("<Error><Code>{status}</Code><Detail>{detail} TrackingId:{TRACKING_ID},TimeStamp:11/24/2026 12:00:00</Detail></Error>").into_bytes(),
            "application/xml; charset=utf-8",
        )
}

/// Percent-decoding, written here independently of the app.
fn decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn key_of(policy: &str) -> Option<&'static str> {
    match policy {
        FULL_POLICY => Some(KEY),
        LISTEN_POLICY => Some(LISTEN_KEY),
        _ => None,
    }
}

fn problem(record: &Record, status: u16, message: String) -> Reply {
    record.problem(message.clone());
    error(status, &message)
}

impl Azure {
    /// Verifies the SAS token; `Err` is the hub's 401 (or a contract problem).
    #[allow(clippy::result_large_err)]
    fn verify_sas(&self, request: &Seen, record: &Record) -> Result<String, Reply> {
        let Some(header) = request.header("authorization") else {
            return Err(error(
                401,
                "MissingToken: The authorization header was not found.",
            ));
        };
        let Some(params) = header.strip_prefix("SharedAccessSignature ") else {
            return Err(problem(
                record,
                401,
                format!("not a SharedAccessSignature: {header}"),
            ));
        };
        let mut sr = None;
        let mut sig = None;
        let mut se = None;
        let mut skn = None;
        for p in params.split('&') {
            match p.split_once('=') {
                Some(("sr", v)) => sr = Some(v),
                Some(("sig", v)) => sig = Some(v),
                Some(("se", v)) => se = Some(v),
                Some(("skn", v)) => skn = Some(v),
                _ => return Err(problem(record, 401, format!("unexpected SAS part `{p}`"))),
            }
        }
        let (Some(sr), Some(sig), Some(se), Some(skn)) = (sr, sig, se, skn) else {
            return Err(problem(
                record,
                401,
                format!("a SAS part is missing: {header}"),
            ));
        };
        // sr must be the lower-cased, fully encoded URL of the hub this request is under.
        if sr != sr.to_lowercase() {
            return Err(problem(record, 401, format!("sr is not lower-cased: {sr}")));
        }
        let resource = decode(sr).unwrap_or_default();
        let hub_url = format!("{}/{}", record.origin(), HUB).to_lowercase();
        let called = format!("{}{}", record.origin(), request.path.as_str()).to_lowercase();
        if !called.starts_with(&resource) || resource.len() < hub_url.len() - HUB.len() {
            return Err(error(
                401,
                &format!(
                    "InvalidAudience: the token's audience {resource} does not cover {called}."
                ),
            ));
        }
        if sr.contains(['/', ':']) {
            return Err(problem(record, 401, format!("sr is not URL-encoded: {sr}")));
        }
        let expiry: i64 = se
            .parse()
            .map_err(|_| problem(record, 401, format!("se is not a number: {se}")))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if expiry < now {
            return Err(error(401, "ExpiredToken: ."));
        }
        if expiry > now + 3600 {
            return Err(problem(
                record,
                401,
                format!(
                    "the token lives {} s; a short expiry was expected",
                    expiry - now
                ),
            ));
        }
        let Some(key) = key_of(skn) else {
            return Err(error(
                401,
                &format!("InvalidSignature: the policy {skn} is unknown."),
            ));
        };
        let hmac_key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_bytes());
        let expected = base64::engine::general_purpose::STANDARD
            .encode(aws_lc_rs::hmac::sign(&hmac_key, format!("{sr}\n{se}").as_bytes()).as_ref());
        if decode(sig).as_deref() != Some(expected.as_str()) {
            return Err(error(
                401,
                "InvalidSignature: The token has an invalid signature.",
            ));
        }
        Ok(skn.to_string())
    }

    fn check_send(&self, request: &Seen, record: &Record) -> Option<Reply> {
        let header = |n: &str| request.header(n);
        let Some(format) = header("ServiceBusNotification-Format") else {
            return Some(problem(
                record,
                400,
                "ServiceBusNotification-Format is missing".into(),
            ));
        };
        let content_type = header("content-type").unwrap_or("");
        let wns = header("X-WNS-Type");
        let expected_type = match (format, wns) {
            ("windows", Some("wns/raw")) => "application/octet-stream",
            ("windows", Some("wns/toast" | "wns/tile" | "wns/badge")) | ("windowsphone", _) => {
                "application/xml"
            }
            ("windows", other) => {
                return Some(problem(
                    record,
                    400,
                    format!("windows needs X-WNS-Type, got {other:?}"),
                ));
            }
            ("apple" | "gcm" | "fcmv1" | "adm" | "baidu" | "template", _) => "application/json",
            (other, _) => return Some(problem(record, 400, format!("unknown format {other}"))),
        };
        if !content_type.starts_with(expected_type) {
            return Some(problem(
                record,
                400,
                format!("format {format} needs Content-Type {expected_type}, got {content_type}"),
            ));
        }
        let body = String::from_utf8_lossy(&request.body);
        if expected_type == "application/json" {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) else {
                return Some(error(400, "The payload is not valid JSON."));
            };
            let ok = match format {
                // A payload without `aps` is a data-only (background) message.
                "apple" => v.is_object() && v.get("aps").is_none_or(|a| a.is_object()),
                "fcmv1" => v
                    .get("message")
                    .is_some_and(|m| m.is_object() && m.get("token").is_none()),
                "template" => v
                    .as_object()
                    .is_some_and(|o| o.values().all(|x| x.is_string())),
                _ => v.is_object(),
            };
            if !ok {
                return Some(error(
                    400,
                    &format!("The payload is not a valid {format} notification."),
                ));
            }
        } else if expected_type == "application/xml" && !body.trim_start().starts_with('<') {
            return Some(error(400, "The payload is not valid XML."));
        }
        // WNS and MPNS refuse a notification whose type headers do not match its XML.
        if let Some(kind) = wns.and_then(|t| t.strip_prefix("wns/"))
            && kind != "raw"
            && !root_is(&body, kind)
        {
            return Some(error(
                400,
                &format!("X-WNS-Type wns/{kind} does not match the payload."),
            ));
        }
        if format == "windowsphone" {
            let (target, class) = (
                header("X-WindowsPhone-Target"),
                header("X-NotificationClass"),
            );
            let element = match (target, class) {
                (Some("toast"), Some("2")) => "<wp:Toast",
                (Some("token"), Some("1")) => "<wp:Tile",
                _ => {
                    return Some(problem(
                        record,
                        400,
                        format!("MPNS target {target:?} with class {class:?}"),
                    ));
                }
            };
            if !body.contains(element) {
                return Some(error(
                    400,
                    "X-WindowsPhone-Target does not match the payload.",
                ));
            }
        }
        if format == "apple" && header("apns-push-type").is_none() {
            return Some(problem(record, 400, "apple without apns-push-type".into()));
        }
        if request.body.len() > 64 * 1024 {
            return Some(error(413, "The request entity is too large."));
        }
        if let Some(tags) = header("ServiceBusNotification-Tags")
            && tags.trim().is_empty()
        {
            return Some(error(400, "The tag expression is empty."));
        }
        None
    }
}

/// True when the XML's root element (after an optional declaration) is `<name`.
fn root_is(body: &str, name: &str) -> bool {
    let mut rest = body.trim_start();
    if rest.starts_with("<?")
        && let Some(end) = rest.find("?>")
    {
        rest = rest[end + 2..].trim_start();
    }
    rest.strip_prefix('<')
        .and_then(|r| r.strip_prefix(name))
        .is_some_and(|r| r.starts_with(['>', '/', ' ']))
}

impl Api for Azure {
    const NAME: &'static str = "Azure";

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        let path = request.path.as_str().to_string();
        let query = request.query.as_deref().unwrap_or("").to_string();
        let method = request.method.as_str();
        let hub_prefix = format!("/{HUB}/");
        let rest = path.strip_prefix(&hub_prefix);
        let known = matches!(
            (method, rest),
            ("POST", Some("messages/"))
                | ("POST", Some("schedulednotifications/"))
                | ("GET", Some("registrations/"))
        );
        if !known {
            // The hub's own answer for an unknown hub.
            if path.ends_with("/messages/") || path.ends_with("/registrations/") {
                return error(
                    404,
                    "The specified resource does not exist. Entity not found.",
                );
            }
            return problem(record, 404, format!("no such endpoint: {method} {path}"));
        }
        if !query.split('&').any(|p| p.starts_with("api-version=")) {
            return problem(record, 400, format!("api-version is missing: {query}"));
        }
        let policy = match self.verify_sas(request, record) {
            Ok(p) => p,
            Err(r) => return r,
        };
        if let Scenario::Error(status, detail) = self.scenario.lock().expect("lock").clone() {
            return error(status, &detail);
        }
        if method == "GET" {
            if policy != FULL_POLICY {
                return error(
                    401,
                    "Unauthorized access. 'Manage' claim(s) are required to perform this operation.",
                );
            }
            return Reply::new(200).set_body_raw(
                format!(r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">Registrations</title><entry><id>{}/{HUB}/registrations/5126583452930341963-1</id></entry></feed>"#, record.origin()).into_bytes(),
                "application/atom+xml;type=feed;charset=utf-8",
            );
        }
        if policy != FULL_POLICY {
            return error(
                401,
                "Unauthorized access. 'Send' claim(s) are required to perform this operation.",
            );
        }
        if let Some(r) = self.check_send(request, record) {
            return r;
        }
        let direct = query.split('&').any(|p| p == "direct");
        let test = query.split('&').any(|p| p == "test" || p == "test=true");
        if direct
            && request
                .header("ServiceBusNotification-DeviceHandle")
                .is_none()
        {
            return problem(record, 400, "direct send without a device handle".into());
        }
        if test {
            let tags = request.header("ServiceBusNotification-Tags").unwrap_or("");
            // Tags no registration has: `nobody`, and the tag Pushdeck's check sends to.
            let body = if tags.contains("nobody") || tags.contains("pushdeck_credential_check") {
                NO_MATCH
            } else {
                TEST_OUTCOME
            };
            return Reply::new(201)
                .insert_header("TrackingId", TRACKING_ID)
                .set_body_raw(body.as_bytes().to_vec(), "application/xml; charset=utf-8");
        }
        let kind = if path.contains("scheduled") {
            "schedulednotifications"
        } else {
            "messages"
        };
        Reply::new(201)
            .insert_header("TrackingId", TRACKING_ID)
            .insert_header(
                "Location",
                format!(
                    "{}/{HUB}/{kind}/7291834651?api-version=2020-06",
                    record.origin()
                )
                .as_str(),
            )
    }
}

impl AzureStandIn {
    pub fn start() -> Self {
        Self::serve(Azure {
            scenario: Mutex::new(Scenario::Ok),
        })
    }

    pub fn set(&self, scenario: Scenario) {
        *self.api().scenario.lock().expect("lock") = scenario;
    }
}
