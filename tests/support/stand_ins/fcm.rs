//! A local Google OAuth token endpoint and FCM HTTP v1 endpoint on 127.0.0.1 (wiremock). The token
//! endpoint verifies the service-account JWT with the public key (RS256, iss, aud, scope, a
//! lifetime of at most 1 h) as Google does; the FCM endpoint checks the Bearer token and the
//! message shape and answers with FCM's error bodies (providers.md §8.1).

#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const PRIVATE_KEY: &str = include_str!("../../fixtures/fcm_test_key.pem");
pub const PUBLIC_KEY: &str = include_str!("../../fixtures/fcm_test_key.pub.pem");
pub const PROJECT: &str = "acme-push";
pub const CLIENT_EMAIL: &str = "pushdeck@acme-push.iam.gserviceaccount.com";
pub const TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
pub const ACCESS_TOKEN: &str = "ya29.c.standin-0123456789abcdefghijklmnopqrstuvwxyz";
/// A registration token the stand-in treats as uninstalled.
pub const UNREGISTERED: &str = "gone-token:APA91bGoneGoneGoneGoneGoneGone";

/// The service-account JSON file, as downloaded from the Firebase console.
pub fn service_account_json() -> String {
    json!({
        "type": "service_account",
        "project_id": PROJECT,
        "private_key_id": "4f1c2a9e8d7b6a5c",
        "private_key": PRIVATE_KEY,
        "client_email": CLIENT_EMAIL,
        "client_id": "1234567890",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": TOKEN_URI
    })
    .to_string()
}

#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
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
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Default)]
struct State {
    seen: Mutex<Vec<Seen>>,
    problems: Mutex<Vec<String>>,
}

struct Handler(Arc<State>);

fn fcm_error(
    code: u16,
    status: &str,
    error_code: Option<&str>,
    message: &str,
    field: Option<&str>,
) -> ResponseTemplate {
    let mut details = Vec::new();
    if let Some(c) = error_code {
        details.push(
            json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c}),
        );
    }
    if let Some(f) = field {
        details.push(json!({"@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": f, "description": "Invalid registration token"}]}));
    }
    ResponseTemplate::new(code).set_body_json(
        json!({"error": {"code": code, "message": message, "status": status, "details": details}}),
    )
}

impl Handler {
    fn problem(&self, message: String) -> ResponseTemplate {
        self.0.problems.lock().expect("lock").push(message.clone());
        fcm_error(400, "INVALID_ARGUMENT", None, &message, None)
    }

    fn token(&self, request: &Request) -> ResponseTemplate {
        let content_type = request
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if content_type != "application/x-www-form-urlencoded" {
            return self.problem(format!("token request Content-Type is `{content_type}`"));
        }
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if get("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
            return self.problem("grant_type is not jwt-bearer".into());
        }
        let Some(assertion) = get("assertion") else {
            return self.problem("no assertion".into());
        };
        pushdeck::provider::jwt::install_crypto();
        let key =
            jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).expect("public key");
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
        validation.set_audience(&[TOKEN_URI]);
        validation.set_issuer(&[CLIENT_EMAIL]);
        let claims = match jsonwebtoken::decode::<Value>(&assertion, &key, &validation) {
            Ok(data) => data.claims,
            Err(_) => {
                return ResponseTemplate::new(400).set_body_json(
                    json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
                );
            }
        };
        let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
        if lifetime <= 0 || lifetime > 3600 {
            return ResponseTemplate::new(400).set_body_json(json!({"error": "invalid_grant",
                "error_description": "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."}));
        }
        if claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging" {
            return self.problem(format!("scope is {}", claims["scope"]));
        }
        ResponseTemplate::new(200).set_body_json(
            json!({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"}),
        )
    }

    fn send(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        if auth != format!("Bearer {ACCESS_TOKEN}") {
            return fcm_error(
                401,
                "UNAUTHENTICATED",
                None,
                "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
                None,
            );
        }
        let Ok(body) = serde_json::from_slice::<Value>(&request.body) else {
            return self.problem("body is not JSON".into());
        };
        let Some(message) = body.get("message").and_then(Value::as_object) else {
            return self.problem("no message".into());
        };
        for key in body
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if key != "message" && key != "validate_only" {
                return self.problem(format!("unknown top-level field {key}"));
            }
        }
        let targets = ["token", "topic", "condition"]
            .iter()
            .filter(|k| message.contains_key(**k))
            .count();
        if targets != 1 {
            return self.problem(format!("{targets} targets"));
        }
        if let Some(data) = message.get("data").and_then(Value::as_object)
            && let Some((k, _)) = data.iter().find(|(_, v)| !v.is_string())
        {
            return fcm_error(
                400,
                "INVALID_ARGUMENT",
                Some("INVALID_ARGUMENT"),
                &format!(
                    "Invalid value at 'message.data[0].value' ({k}), Starting an object on a scalar field"
                ),
                None,
            );
        }
        if let Some(ttl) = message.get("android").and_then(|a| a.get("ttl"))
            && !ttl.as_str().is_some_and(|t| t.ends_with('s'))
        {
            return self.problem(format!("android.ttl {ttl} is not a duration"));
        }
        if let Some(token) = message.get("token").and_then(Value::as_str) {
            if token == UNREGISTERED {
                return fcm_error(
                    404,
                    "NOT_FOUND",
                    Some("UNREGISTERED"),
                    "Requested entity was not found.",
                    None,
                );
            }
            if token.len() < 10 {
                return fcm_error(
                    400,
                    "INVALID_ARGUMENT",
                    Some("INVALID_ARGUMENT"),
                    "The registration token is not a valid FCM registration token",
                    Some("message.token"),
                );
            }
        }
        let id = if body.get("validate_only") == Some(&Value::Bool(true)) {
            "fake_message_id".to_string()
        } else {
            format!(
                "0:{}%31bd1c9631bd1c96",
                1_700_000_000_000_000u64 + self.0.seen.lock().expect("lock").len() as u64
            )
        };
        ResponseTemplate::new(200)
            .set_body_json(json!({"name": format!("projects/{PROJECT}/messages/{id}")}))
    }
}

impl Respond for Handler {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.seen.lock().expect("lock").push(Seen {
            path: request.url.path().to_string(),
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
        let send_path = format!("/v1/projects/{PROJECT}/messages:send");
        match (request.method.as_str(), request.url.path()) {
            ("POST", "/token") => self.token(request),
            ("POST", p) if p == send_path => self.send(request),
            (m, p) => fcm_error(
                404,
                "NOT_FOUND",
                None,
                &format!("no such endpoint: {m} {p}"),
                None,
            ),
        }
    }
}

pub struct FcmStandIn {
    server: MockServer,
    state: Arc<State>,
}

impl FcmStandIn {
    pub fn start_on(runtime: &tokio::runtime::Runtime) -> Self {
        let state = Arc::new(State::default());
        let server = runtime.block_on(async {
            let server = MockServer::builder().start().await;
            Mock::given(wiremock::matchers::any())
                .respond_with(Handler(state.clone()))
                .mount(&server)
                .await;
            server
        });
        Self { server, state }
    }

    pub fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        Self::start_on(&runtime)
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.server.address().port())
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.state.seen.lock().expect("lock").clone()
    }

    pub fn hits(&self) -> usize {
        self.state.seen.lock().expect("lock").len()
    }

    pub fn token_requests(&self) -> usize {
        self.requests()
            .iter()
            .filter(|s| s.path == "/token")
            .count()
    }

    pub fn assert_no_problems(&self) {
        let problems = self.state.problems.lock().expect("lock").clone();
        assert!(
            problems.is_empty(),
            "the FCM stand-in found problems: {problems:#?}"
        );
    }
}
