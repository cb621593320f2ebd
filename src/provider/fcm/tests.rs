use serde_json::json;
use time::macros::datetime;

use super::auth::*;
use super::*;
use crate::http::{Body, ResponseDump};
use crate::outcome::Verdict;
use crate::provider::PrepareContext;

const PRIVATE_KEY: &str = include_str!("../../../tests/fixtures/fcm_test_key.pem");
const PUBLIC_KEY: &str = include_str!("../../../tests/fixtures/fcm_test_key.pub.pem");
const ACCESS: &str = "ya29.c.standin-access-token-0123456789";

fn key_json() -> String {
    json!({
        "type": "service_account",
        "project_id": "acme-push",
        "private_key_id": "4f1c2a9e8d7b6a5c",
        "private_key": PRIVATE_KEY,
        "client_email": "pushdeck@acme-push.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token"
    })
    .to_string()
}

fn profile() -> Profile {
    Profile::new("acme-fcm", "fcm")
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.insert(SECRET, key_json());
    s
}

const NOW: OffsetDateTime = datetime!(2026-11-24 12:00 UTC);

fn prepare_full(draft: &Draft, profile: &Profile, dry_run: bool) -> Result<Prepared, DraftError> {
    Fcm.prepare(&PrepareContext {
        draft,
        profile,
        secrets: &secrets(),
        now: NOW,
        idempotency_key: "k",
        token: Some(ACCESS),
        dry_run,
    })
}

fn prepare(draft: &Draft) -> Result<Prepared, DraftError> {
    prepare_full(draft, &profile(), false)
}

fn draft(json: serde_json::Value) -> Draft {
    Draft::from_json(&json.to_string()).expect("valid draft")
}

fn err_field(d: serde_json::Value) -> String {
    prepare(&draft(d)).expect_err("refused").field
}

#[test]
fn token_exchange_is_a_signed_jwt_grant() {
    let plan = Fcm.token_plan(&profile(), &secrets(), NOW).expect("plan");
    let TokenPlan::Exchange(request) = plan else {
        panic!("FCM exchanges a JWT for a token");
    };
    assert_eq!(request.method, "POST");
    assert_eq!(request.url, "https://oauth2.googleapis.com/token");
    assert_eq!(
        request.header_value("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let body = request.body.as_text().expect("text");
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(pairs.len(), 2);
    assert_eq!(
        pairs[0],
        (
            "grant_type".into(),
            "urn:ietf:params:oauth:grant-type:jwt-bearer".into()
        )
    );
    assert!(body.starts_with(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
    ));
    let jwt = &pairs[1].1;
    // The assertion is a credential: masked in dumps.
    assert!(
        !serde_json::to_string(&request.redacted())
            .expect("json")
            .contains(jwt.as_str())
    );

    let header = jsonwebtoken::decode_header(jwt).expect("header");
    assert_eq!(header.alg, jsonwebtoken::Algorithm::RS256);
    assert_eq!(header.kid.as_deref(), Some("4f1c2a9e8d7b6a5c"));
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    super::super::jwt::install_crypto();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS256);
    validation.set_audience(&["https://oauth2.googleapis.com/token"]);
    validation.validate_exp = false;
    let key = jsonwebtoken::DecodingKey::from_rsa_pem(PUBLIC_KEY.as_bytes()).expect("public key");
    let data = jsonwebtoken::decode::<Value>(jwt, &key, &validation)
        .expect("the signature verifies with the public key");
    assert_eq!(
        data.claims,
        json!({
            "iss": "pushdeck@acme-push.iam.gserviceaccount.com",
            "scope": "https://www.googleapis.com/auth/firebase.messaging",
            "aud": "https://oauth2.googleapis.com/token",
            "iat": NOW.unix_timestamp(),
            "exp": NOW.unix_timestamp() + 3600
        })
    );
}

#[test]
fn base_url_override_moves_the_token_endpoint_too() {
    let mut p = profile();
    p.base_url = Some("http://127.0.0.1:9999".into());
    let Ok(TokenPlan::Exchange(request)) = Fcm.token_plan(&p, &secrets(), NOW) else {
        panic!("exchange");
    };
    assert_eq!(request.url, "http://127.0.0.1:9999/token");
    let d = draft(
        json!({"profile": "acme-fcm", "message": {"body": "hi"}, "audience": {"tokens": ["t1"]}}),
    );
    let out = prepare_full(&d, &p, false).expect("prepares");
    assert_eq!(
        out.requests[0].url,
        "http://127.0.0.1:9999/v1/projects/acme-push/messages:send"
    );
    p.settings
        .insert("project_id".into(), "other-project".into());
    let out = prepare_full(&d, &p, false).expect("prepares");
    assert_eq!(
        out.requests[0].url,
        "http://127.0.0.1:9999/v1/projects/other-project/messages:send"
    );
}

fn token_exchange(status: u16, body: &str) -> Exchange {
    let mut ex = Exchange::unsent(PreparedRequest::new(
        "POST",
        "https://oauth2.googleapis.com/token",
    ));
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/1.1".into(),
        headers: vec![],
        body: Body::Text(body.into()),
        truncated: false,
    });
    ex
}

#[test]
fn token_from_exchange_caches_until_shortly_before_expiry() {
    let ex = token_exchange(
        200,
        &format!(r#"{{"access_token":"{ACCESS}","expires_in":3599,"token_type":"Bearer"}}"#),
    );
    let token = Fcm.token_from_exchange(&ex, NOW).expect("token");
    assert_eq!(token.value, ACCESS);
    assert_eq!(token.expires_at, NOW + time::Duration::seconds(3599));
    assert_eq!(
        token.refresh_after,
        NOW + time::Duration::seconds(3599 - 300)
    );

    let ex = token_exchange(
        400,
        r#"{"error":"invalid_grant","error_description":"Invalid JWT Signature."}"#,
    );
    let o = Fcm.token_from_exchange(&ex, NOW).expect_err("refused");
    assert_eq!(
        o.summary,
        "Could not get an access token: invalid_grant: Invalid JWT Signature."
    );
    assert!(
        o.hint.as_deref().is_some_and(|h| h.contains("new key")),
        "{:?}",
        o.hint
    );
    let ex = token_exchange(
        400,
        r#"{"error":"invalid_grant","error_description":"Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."}"#,
    );
    let o = Fcm.token_from_exchange(&ex, NOW).expect_err("refused");
    assert!(
        o.hint.as_deref().is_some_and(|h| h.contains("clock")),
        "{:?}",
        o.hint
    );
}

#[test]
fn full_message_byte_for_byte() {
    let d = draft(json!({
        "profile": "acme-fcm",
        "message": {
            "title": "Build 118", "subtitle": "main", "body": "Passed",
            "url": "https://ci.example.com/118", "image": "https://ci.example.com/graph.png",
            "icon": "https://ci.example.com/icon.png",
            "buttons": [{"id": "logs", "label": "Logs"}],
            "data": {"build": 118, "branch": "main", "green": true}
        },
        "audience": {"tokens": ["eXaMpLeToKeN:APA91bHun4MxP5egoKMwt2KZFBaFUH"]},
        "options": {"ttl": 3600, "priority": "high", "collapse_key": "ci", "channel_id": "builds"}
    }));
    let p = prepare(&d).expect("prepares");
    assert_eq!(p.requests.len(), 1);
    let r = &p.requests[0];
    assert_eq!(
        r.url,
        "https://fcm.googleapis.com/v1/projects/acme-push/messages:send"
    );
    assert_eq!(
        r.headers,
        vec![
            ("Authorization".to_string(), format!("Bearer {ACCESS}")),
            (
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string()
            ),
        ]
    );
    let expires = (NOW.unix_timestamp() + 3600).to_string();
    let expected = r#"{
  "message": {
    "token": "eXaMpLeToKeN:APA91bHun4MxP5egoKMwt2KZFBaFUH",
    "notification": {
      "title": "Build 118",
      "body": "Passed",
      "image": "https://ci.example.com/graph.png"
    },
    "data": {
      "build": "118",
      "branch": "main",
      "green": "true"
    },
    "android": {
      "collapse_key": "ci",
      "priority": "HIGH",
      "ttl": "3600s",
      "notification": {
        "channel_id": "builds"
      }
    },
    "apns": {
      "headers": {
        "apns-priority": "10",
        "apns-expiration": "EXPIRES",
        "apns-collapse-id": "ci"
      },
      "payload": {
        "aps": {
          "alert": {
            "subtitle": "main"
          },
          "mutable-content": 1
        }
      },
      "fcm_options": {
        "image": "https://ci.example.com/graph.png"
      }
    },
    "webpush": {
      "headers": {
        "TTL": "3600",
        "Urgency": "high"
      },
      "notification": {
        "icon": "https://ci.example.com/icon.png",
        "actions": [
          {
            "action": "logs",
            "title": "Logs"
          }
        ]
      },
      "fcm_options": {
        "link": "https://ci.example.com/118"
      }
    }
  }
}"#
    .replace("EXPIRES", &expires);
    assert_eq!(r.body, Body::Text(expected));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("build, green sent as text")),
        "{:?}",
        p.warnings
    );
    assert!(
        !serde_json::to_string(&r.redacted())
            .expect("json")
            .contains(ACCESS)
    );
}

#[test]
fn tokens_fan_out_and_dry_run_validates_on_the_server() {
    let d = draft(json!({"profile": "acme-fcm", "message": {"body": "hi"},
        "audience": {"tokens": ["token-one-aaaaaaaaaaaa", "token-two-bbbbbbbbbbbb"]}}));
    let p = prepare_full(&d, &profile(), true).expect("prepares");
    assert_eq!(p.requests.len(), 2);
    assert_eq!(p.requests[0].recipient.as_deref(), Some("token-one-aa…"));
    let body: Value =
        serde_json::from_str(p.requests[1].body.as_text().expect("text")).expect("json");
    assert_eq!(
        body,
        json!({"message": {"token": "token-two-bbbbbbbbbbbb", "notification": {"body": "hi"}}, "validate_only": true})
    );
    assert!(Fcm.info().capabilities.server_dry_run);
}

#[test]
fn topic_condition_and_silent_messages() {
    let d = draft(
        json!({"profile": "acme-fcm", "message": {"body": "hi"}, "audience": {"topic": "/topics/news"}}),
    );
    let p = prepare(&d).expect("prepares");
    assert_eq!(
        p.requests[0].body.as_text().expect("text"),
        "{\n  \"message\": {\n    \"topic\": \"news\",\n    \"notification\": {\n      \"body\": \"hi\"\n    }\n  }\n}"
    );
    assert_eq!(
        Fcm.broadcast(&d).as_deref(),
        Some("every subscriber of topic “news”")
    );
    let d = draft(
        json!({"profile": "acme-fcm", "message": {"silent": true, "data": {"sync": "1"}},
        "audience": {"condition": "'dogs' in topics && 'cats' in topics"}}),
    );
    let p = prepare(&d).expect("prepares");
    let body: Value =
        serde_json::from_str(p.requests[0].body.as_text().expect("text")).expect("json");
    assert_eq!(
        body,
        json!({"message": {"condition": "'dogs' in topics && 'cats' in topics", "data": {"sync": "1"},
            "apns": {"headers": {"apns-push-type": "background", "apns-priority": "5"},
                     "payload": {"aps": {"content-available": 1}}}}})
    );
}

#[test]
fn bad_input_names_the_field() {
    let t = json!({"tokens": ["t"]});
    let with = |message: Value, audience: Value, options: Value| json!({"profile": "acme-fcm", "message": message, "audience": audience, "options": options});
    assert_eq!(
        err_field(with(
            json!({"body": "x", "data": {"nested": {"a": 1}}}),
            t.clone(),
            json!({})
        )),
        "message.data.nested"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x", "data": {"list": [1]}}),
            t.clone(),
            json!({})
        )),
        "message.data.list"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x", "data": {"google.x": "1"}}),
            t.clone(),
            json!({})
        )),
        "message.data.google.x"
    );
    assert_eq!(
        err_field(with(json!({"body": "x"}), json!({}), json!({}))),
        "audience"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            json!({"tokens": ["a"], "topic": "b"}),
            json!({})
        )),
        "audience"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            json!({"topic": "bad topic!"}),
            json!({})
        )),
        "audience.topic"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            json!({"condition": "dogs"}),
            json!({})
        )),
        "audience.condition"
    );
    assert_eq!(
        err_field(with(json!({}), t.clone(), json!({}))),
        "message.body"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x", "url": "http://x.example"}),
            t.clone(),
            json!({})
        )),
        "message.url"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            t.clone(),
            json!({"ttl": 9_999_999})
        )),
        "options.ttl"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            t.clone(),
            json!({"schedule_at": "2026-12-01T00:00:00Z"})
        )),
        "options.schedule_at"
    );
    assert_eq!(
        err_field(with(
            json!({"body": "x"}),
            t.clone(),
            json!({"validate_only": "yes"})
        )),
        "options.validate_only"
    );
}

#[test]
fn the_key_is_validated_on_import_and_use() {
    assert!(validate_service_account(&key_json()).is_ok());
    assert!(Fcm.validate_secret(SECRET, &key_json()).is_ok());
    let e = validate_service_account("{not json").expect_err("bad");
    assert!(e.contains("not the JSON"), "{e}");
    let mut v: Value = serde_json::from_str(&key_json()).expect("json");
    v["type"] = json!("authorized_user");
    assert!(
        validate_service_account(&v.to_string())
            .expect_err("type")
            .contains("service_account")
    );
    let mut v: Value = serde_json::from_str(&key_json()).expect("json");
    v["private_key"] = json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    assert!(
        validate_service_account(&v.to_string())
            .expect_err("key")
            .contains("private_key")
    );
    let mut v: Value = serde_json::from_str(&key_json()).expect("json");
    v.as_object_mut().expect("object").remove("client_email");
    assert!(
        validate_service_account(&v.to_string())
            .expect_err("email")
            .contains("client_email")
    );
    let mut v: Value = serde_json::from_str(&key_json()).expect("json");
    v.as_object_mut().expect("object").remove("project_id");
    let mut s = Secrets::default();
    s.insert(SECRET, v.to_string());
    let d = draft(
        json!({"profile": "acme-fcm", "message": {"body": "x"}, "audience": {"tokens": ["t"]}}),
    );
    let e = Fcm
        .prepare(&PrepareContext {
            draft: &d,
            profile: &profile(),
            secrets: &s,
            now: NOW,
            idempotency_key: "k",
            token: None,
            dry_run: false,
        })
        .expect_err("no project");
    assert_eq!(e.field, "settings.project_id");
}

mod interpret;
