//! A local Google OAuth token endpoint and FCM HTTP v1 endpoint on 127.0.0.1 (wiremock). The token
//! endpoint verifies the service-account JWT with the public key (RS256, iss, aud, scope, a
//! lifetime of at most 1 h) as Google does; the FCM endpoint checks the Bearer token and the
//! message shape and answers with FCM's error bodies (providers.md §8.1).

#![allow(dead_code)]

use super::server::{Api, Record, Reply, Seen, StandIn};
use serde_json::{Value, json};

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

/// FCM's HTTP v1 API with Google's token endpoint.
#[derive(Default)]
pub struct Fcm;

pub type FcmStandIn = StandIn<Fcm>;

fn fcm_error(
    code: u16,
    status: &str,
    error_code: Option<&str>,
    message: &str,
    field: Option<&str>,
) -> Reply {
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
    Reply::new(code).set_body_json(
        json!({"error": {"code": code, "message": message, "status": status, "details": details}}),
    )
}

fn problem(record: &Record, message: String) -> Reply {
    record.problem(message.clone());
    fcm_error(400, "INVALID_ARGUMENT", None, &message, None)
}

impl Fcm {
    fn token(&self, request: &Seen, record: &Record) -> Reply {
        let content_type = request.header("content-type").unwrap_or("");
        if content_type != "application/x-www-form-urlencoded" {
            return problem(
                record,
                format!("token request Content-Type is `{content_type}`"),
            );
        }
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        if get("grant_type").as_deref() != Some("urn:ietf:params:oauth:grant-type:jwt-bearer") {
            return problem(record, "grant_type is not jwt-bearer".into());
        }
        let Some(assertion) = get("assertion") else {
            return problem(record, "no assertion".into());
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
                return Reply::new(400).set_body_json(
                    json!({"error": "invalid_grant", "error_description": "Invalid JWT Signature."}),
                );
            }
        };
        let lifetime = claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0);
        if lifetime <= 0 || lifetime > 3600 {
            return Reply::new(400).set_body_json(json!({"error": "invalid_grant",
                "error_description": "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."}));
        }
        if claims["scope"] != "https://www.googleapis.com/auth/firebase.messaging" {
            return problem(record, format!("scope is {}", claims["scope"]));
        }
        Reply::new(200).set_body_json(
            json!({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer"}),
        )
    }

    fn send(&self, request: &Seen, record: &Record) -> Reply {
        let auth = request.header("authorization").unwrap_or("");
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
            return problem(record, "body is not JSON".into());
        };
        let Some(message) = body.get("message").and_then(Value::as_object) else {
            return problem(record, "no message".into());
        };
        for key in body
            .as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
        {
            if key != "message" && key != "validate_only" {
                return problem(record, format!("unknown top-level field {key}"));
            }
        }
        let targets = ["token", "topic", "condition"]
            .iter()
            .filter(|k| message.contains_key(**k))
            .count();
        if targets != 1 {
            return problem(record, format!("{targets} targets"));
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
            return problem(record, format!("android.ttl {ttl} is not a duration"));
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
                1_700_000_000_000_000u64 + record.hits() as u64
            )
        };
        Reply::new(200).set_body_json(json!({"name": format!("projects/{PROJECT}/messages/{id}")}))
    }
}

impl Api for Fcm {
    const NAME: &'static str = "FCM";

    fn answer(&self, request: &Seen, record: &Record) -> Reply {
        let send_path = format!("/v1/projects/{PROJECT}/messages:send");
        match (request.method.as_str(), request.path.as_str()) {
            ("POST", "/token") => self.token(request, record),
            ("POST", p) if p == send_path => self.send(request, record),
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

impl FcmStandIn {
    pub fn token_requests(&self) -> usize {
        self.requests()
            .iter()
            .filter(|s| s.path == "/token")
            .count()
    }
}
