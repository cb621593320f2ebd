//! A local Azure Notification Hubs namespace on 127.0.0.1 (providers.md §2). It verifies the SAS
//! token with its own implementation (decode `sr`, compare it with the URL it was called on, HMAC
//! the key string's bytes over `sr\nse`), checks the format headers, Content-Type and body shape,
//! and answers as the hub does: 201 with Location and TrackingId, the test-mode NotificationOutcome
//! XML, and `<Error>` bodies for 400/401/403/404/413.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::support::block_on;
use base64::Engine as _;
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

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
}

struct State {
    scenario: Mutex<Scenario>,
    hits: AtomicUsize,
    seen: Mutex<Vec<Seen>>,
    problems: Mutex<Vec<String>>,
    origin: Mutex<String>,
}

struct Handler(Arc<State>);

pub const TEST_OUTCOME: &str = r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Success>2</Success><Failure>1</Failure><Results><RegistrationResult><ApplicationPlatform>apple</ApplicationPlatform><PnsHandle>a1b2c3d4e5f6</PnsHandle><RegistrationId>5126583452930341963-1</RegistrationId><Outcome>The Notification was successfully sent to the Push Notification System</Outcome></RegistrationResult><RegistrationResult><ApplicationPlatform>apple</ApplicationPlatform><PnsHandle>0f9e8d7c6b5a</PnsHandle><RegistrationId>5126583452930341963-2</RegistrationId><Outcome>The Notification was successfully sent to the Push Notification System</Outcome></RegistrationResult><RegistrationResult><ApplicationPlatform>apple</ApplicationPlatform><PnsHandle>deadbeef0000</PnsHandle><RegistrationId>5126583452930341963-3</RegistrationId><Outcome>The Push Notification System handle for the registration is invalid</Outcome></RegistrationResult></Results></NotificationOutcome>"#;
pub const NO_MATCH: &str = r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Success>0</Success><Failure>0</Failure><Results i:nil="true"/></NotificationOutcome>"#;
pub const TRACKING_ID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e_G1";

fn error(status: u16, detail: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
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

impl Handler {
    fn problem(&self, status: u16, message: String) -> ResponseTemplate {
        self.0.problems.lock().expect("lock").push(message.clone());
        error(status, &message)
    }

    /// Verifies the SAS token; `Err` is the hub's 401 (or a contract problem).
    #[allow(clippy::result_large_err)]
    fn verify_sas(&self, request: &Request) -> Result<String, ResponseTemplate> {
        let Some(header) = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        else {
            return Err(error(
                401,
                "MissingToken: The authorization header was not found.",
            ));
        };
        let Some(params) = header.strip_prefix("SharedAccessSignature ") else {
            return Err(self.problem(401, format!("not a SharedAccessSignature: {header}")));
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
                _ => return Err(self.problem(401, format!("unexpected SAS part `{p}`"))),
            }
        }
        let (Some(sr), Some(sig), Some(se), Some(skn)) = (sr, sig, se, skn) else {
            return Err(self.problem(401, format!("a SAS part is missing: {header}")));
        };
        // sr must be the lower-cased, fully encoded URL of the hub this request is under.
        if sr != sr.to_lowercase() {
            return Err(self.problem(401, format!("sr is not lower-cased: {sr}")));
        }
        let resource = decode(sr).unwrap_or_default();
        let hub_url = format!("{}/{}", self.0.origin.lock().expect("lock"), HUB).to_lowercase();
        let called = format!(
            "{}{}",
            self.0.origin.lock().expect("lock"),
            request.url.path()
        )
        .to_lowercase();
        if !called.starts_with(&resource) || resource.len() < hub_url.len() - HUB.len() {
            return Err(error(
                401,
                &format!(
                    "InvalidAudience: the token's audience {resource} does not cover {called}."
                ),
            ));
        }
        if sr.contains(['/', ':']) {
            return Err(self.problem(401, format!("sr is not URL-encoded: {sr}")));
        }
        let expiry: i64 = se
            .parse()
            .map_err(|_| self.problem(401, format!("se is not a number: {se}")))?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        if expiry < now {
            return Err(error(401, "ExpiredToken: ."));
        }
        if expiry > now + 3600 {
            return Err(self.problem(
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

    fn check_send(&self, request: &Request) -> Option<ResponseTemplate> {
        let header = |n: &str| request.headers.get(n).and_then(|v| v.to_str().ok());
        let Some(format) = header("ServiceBusNotification-Format") else {
            return Some(self.problem(400, "ServiceBusNotification-Format is missing".into()));
        };
        let content_type = header("content-type").unwrap_or("");
        let wns = header("X-WNS-Type");
        let expected_type = match (format, wns) {
            ("windows", Some("wns/raw")) => "application/octet-stream",
            ("windows", Some("wns/toast" | "wns/tile" | "wns/badge")) | ("windowsphone", _) => {
                "application/xml"
            }
            ("windows", other) => {
                return Some(self.problem(400, format!("windows needs X-WNS-Type, got {other:?}")));
            }
            ("apple" | "gcm" | "fcmv1" | "adm" | "baidu" | "template", _) => "application/json",
            (other, _) => return Some(self.problem(400, format!("unknown format {other}"))),
        };
        if !content_type.starts_with(expected_type) {
            return Some(self.problem(
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
                "apple" => v.get("aps").is_some_and(|a| a.is_object()),
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
        if format == "apple" && header("apns-push-type").is_none() {
            return Some(self.problem(400, "apple without apns-push-type".into()));
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
        let path = request.url.path().to_string();
        let query = request.url.query().unwrap_or("").to_string();
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
            return self.problem(404, format!("no such endpoint: {method} {path}"));
        }
        if !query.split('&').any(|p| p.starts_with("api-version=")) {
            return self.problem(400, format!("api-version is missing: {query}"));
        }
        let policy = match self.verify_sas(request) {
            Ok(p) => p,
            Err(r) => return r,
        };
        if let Scenario::Error(status, detail) = state.scenario.lock().expect("lock").clone() {
            return error(status, &detail);
        }
        if method == "GET" {
            if policy != FULL_POLICY {
                return error(
                    401,
                    "Unauthorized access. 'Manage' claim(s) are required to perform this operation.",
                );
            }
            return ResponseTemplate::new(200).set_body_raw(
                format!(r#"<feed xmlns="http://www.w3.org/2005/Atom"><title type="text">Registrations</title><entry><id>{}/{HUB}/registrations/5126583452930341963-1</id></entry></feed>"#, state.origin.lock().expect("lock")).into_bytes(),
                "application/atom+xml;type=feed;charset=utf-8",
            );
        }
        if policy != FULL_POLICY {
            return error(
                401,
                "Unauthorized access. 'Send' claim(s) are required to perform this operation.",
            );
        }
        if let Some(r) = self.check_send(request) {
            return r;
        }
        let direct = query.split('&').any(|p| p == "direct");
        let test = query.split('&').any(|p| p == "test" || p == "test=true");
        if direct
            && request
                .headers
                .get("ServiceBusNotification-DeviceHandle")
                .is_none()
        {
            return self.problem(400, "direct send without a device handle".into());
        }
        if test {
            let tags = request
                .headers
                .get("ServiceBusNotification-Tags")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let body = if tags.contains("nobody") {
                NO_MATCH
            } else {
                TEST_OUTCOME
            };
            return ResponseTemplate::new(201)
                .insert_header("TrackingId", TRACKING_ID)
                .set_body_raw(body.as_bytes().to_vec(), "application/xml; charset=utf-8");
        }
        let kind = if path.contains("scheduled") {
            "schedulednotifications"
        } else {
            "messages"
        };
        ResponseTemplate::new(201)
            .insert_header("TrackingId", TRACKING_ID)
            .insert_header(
                "Location",
                format!(
                    "{}/{HUB}/{kind}/7291834651?api-version=2020-06",
                    state.origin.lock().expect("lock")
                )
                .as_str(),
            )
    }
}

pub struct AzureStandIn {
    server: MockServer,
    state: Arc<State>,
}

impl AzureStandIn {
    pub fn start() -> Self {
        let state = Arc::new(State {
            scenario: Mutex::new(Scenario::Ok),
            hits: AtomicUsize::new(0),
            seen: Mutex::new(Vec::new()),
            problems: Mutex::new(Vec::new()),
            origin: Mutex::new(String::new()),
        });
        let server = block_on(async {
            let server = MockServer::builder().start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(Handler(state.clone()))
                .mount(&server)
                .await;
            server
        });
        *state.origin.lock().expect("lock") =
            format!("http://127.0.0.1:{}", server.address().port());
        Self { server, state }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.address().port())
    }

    pub fn set(&self, scenario: Scenario) {
        *self.state.scenario.lock().expect("lock") = scenario;
    }

    pub fn hits(&self) -> usize {
        self.state.hits.load(Ordering::SeqCst)
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    pub fn assert_no_problems(&self) {
        let problems = self.state.problems.lock().expect("lock").clone();
        assert!(
            problems.is_empty(),
            "the Azure stand-in saw contract problems: {problems:#?}"
        );
    }
}
