use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::http::{Body, ResponseDump};
use crate::outcome::Verdict;
use crate::provider::PrepareContext;

const TOKEN: &str = "pk_prod_TESTTOKEN0123456789ABCDEF";
const KEY: &str = "6f1c6a0e-6c2b-4a8e-9b0b-2f1f1d0e9a11";

fn profile() -> Profile {
    Profile::new("acme", "courier")
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.insert("auth_token", TOKEN.into());
    s
}

fn prepare(draft: &Draft) -> Result<Prepared, DraftError> {
    Courier.prepare(&PrepareContext {
        draft,
        profile: &profile(),
        secrets: &secrets(),
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: KEY,
        token: None,
        dry_run: false,
    })
}

fn draft(json: serde_json::Value) -> Draft {
    Draft::from_json(&json.to_string()).expect("valid draft")
}

fn body_of(p: &Prepared) -> &str {
    p.requests[0].body.as_text().expect("text body")
}

/// providers.md §5.2's example, byte for byte.
#[test]
fn current_send_byte_for_byte() {
    let p = prepare(&draft(json!({
        "profile": "acme",
        "message": {"title": "Build {{n}} finished", "body": "Status: {{status}}", "data": {"n": 118, "status": "passed"}},
        "audience": {"to": {"user_id": "user-42", "email": "dev@example.com"}},
        "options": {"routing_method": "single", "channels": ["push", "email"]}
    })))
    .expect("prepares");
    let r = &p.requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://api.courier.com/send");
    assert_eq!(
        r.headers,
        vec![
            ("Authorization".to_string(), format!("Bearer {TOKEN}")),
            ("Idempotency-Key".to_string(), KEY.to_string()),
            ("Accept".to_string(), "application/json".to_string()),
            (
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string()
            ),
        ]
    );
    assert_eq!(
        body_of(&p),
        r#"{
  "message": {
    "to": {
      "user_id": "user-42",
      "email": "dev@example.com"
    },
    "content": {
      "title": "Build {{n}} finished",
      "body": "Status: {{status}}"
    },
    "data": {
      "n": 118,
      "status": "passed"
    },
    "routing": {
      "method": "single",
      "channels": [
        "push",
        "email"
      ]
    }
  }
}"#
    );
    assert_eq!(r.secrets.len(), 1);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn template_list_and_own_idempotency_key() {
    let d = draft(json!({
        "profile": "acme", "message": {"body": ""},
        "audience": {"to": [{"list_id": "beta-testers"}, {"email": "ada@example.com"}]},
        "options": {"template": "BUILD_DONE", "idempotency_key": "build-118", "schedule_at": "2026-12-01T08:00:00Z"}
    }));
    let p = prepare(&d).expect("prepares");
    assert_eq!(
        p.requests[0].header_value("Idempotency-Key"),
        Some("build-118")
    );
    assert_eq!(
        body_of(&p),
        r#"{
  "message": {
    "to": [
      {
        "list_id": "beta-testers"
      },
      {
        "email": "ada@example.com"
      }
    ],
    "template": "BUILD_DONE",
    "delay": {
      "until": "2026-12-01T08:00:00Z"
    }
  }
}"#
    );
    assert_eq!(Courier.audience_label(&d), "2 recipients");
    assert_eq!(
        Courier.broadcast(&d).as_deref(),
        Some("everyone on “beta-testers”")
    );
}

/// providers.md §5.3: the trycourier v4 `client.send(event=…, recipient=…, profile=…, data=…)` body.
#[test]
fn legacy_event_form_byte_for_byte() {
    let p = prepare(&draft(json!({
        "profile": "acme",
        "message": {"body": "", "data": {"favoriteAdjective": "awesomeness"}},
        "audience": {"to": {"user_id": "1234", "email": "courier.demos+python@gmail.com", "phone_number": "5551234567"}},
        "options": {"legacy_event": "courier-quickstart"}
    })))
    .expect("prepares");
    assert_eq!(
        body_of(&p),
        r#"{
  "event": "courier-quickstart",
  "recipient": "1234",
  "profile": {
    "email": "courier.demos+python@gmail.com",
    "phone_number": "5551234567"
  },
  "data": {
    "favoriteAdjective": "awesomeness"
  }
}"#
    );
    assert_eq!(p.requests[0].url, "https://api.courier.com/send");
}

/// providers.md §5.3: `recipient` is required in the legacy form; a user given only by email or
/// phone gets a stable id derived from the address, and the address goes into `profile`.
#[test]
fn legacy_event_form_sends_to_an_email_or_phone_alone_under_a_stable_derived_recipient() {
    let legacy = |to: serde_json::Value| {
        let p = prepare(&draft(json!({
            "profile": "acme",
            "message": {"body": ""},
            "audience": {"to": to},
            "options": {"legacy_event": "BUILD_DONE"}
        })))
        .expect("prepares");
        let body: serde_json::Value = serde_json::from_str(body_of(&p)).expect("JSON");
        (body, p.warnings)
    };
    let (by_email, warnings) = legacy(json!({"email": "Ada@Example.com"}));
    let recipient = by_email["recipient"].as_str().expect("a recipient");
    assert!(
        recipient.starts_with("pushdeck-") && recipient.len() == "pushdeck-".len() + 16,
        "{recipient}"
    );
    assert_eq!(by_email["profile"], json!({"email": "Ada@Example.com"}));
    assert!(
        warnings.iter().any(|w| w.contains(recipient)),
        "the derived id is named: {warnings:?}"
    );
    let (again, _) = legacy(json!({"email": " ada@example.com"}));
    assert_eq!(
        again["recipient"], recipient,
        "the same address, the same id"
    );

    let (by_phone, _) = legacy(json!({"phone_number": "+15551234567"}));
    assert_eq!(by_phone["profile"], json!({"phone_number": "+15551234567"}));
    assert_ne!(by_phone["recipient"], recipient);
    assert!(
        by_phone["recipient"]
            .as_str()
            .is_some_and(|r| r.starts_with("pushdeck-"))
    );

    let (by_user, warnings) = legacy(json!({"user_id": "user-42", "phone_number": "+15551234567"}));
    assert_eq!(by_user["recipient"], "user-42");
    assert!(
        warnings.iter().all(|w| !w.contains("No user_id")),
        "{warnings:?}"
    );
}

#[test]
fn bad_input_names_the_field() {
    let cases = [
        (
            json!({"profile": "acme", "message": {"body": "x"}}),
            "audience.to",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": []}}),
            "audience.to",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": "ada@example.com"}}),
            "audience.to",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": {"name": "Ada"}}}),
            "audience.to",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": [{"email": "ada"}]}}),
            "audience.to[0].email",
        ),
        (
            json!({"profile": "acme", "message": {"body": ""}, "audience": {"to": {"email": "a@b.c"}}}),
            "message.body",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": {"email": "a@b.c"}}, "options": {"routing_method": "all"}}),
            "options.channels",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": {"email": "a@b.c"}}, "options": {"routing_method": "any", "channels": ["email"]}}),
            "options.routing_method",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": {"email": "a@b.c"}}, "options": {"ttl": 60}}),
            "options.ttl",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": {"list_id": "eng"}}, "options": {"legacy_event": "E"}}),
            "audience.to",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": {"phone_number": 5551234567_u64}}, "options": {"legacy_event": "E"}}),
            "audience.to.phone_number",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": {"user_id": "u"}}, "options": {"legacy_event": "E", "template": "T"}}),
            "options.template",
        ),
        (
            json!({"profile": "acme", "message": {"body": "x"}, "audience": {"to": {"email": "a@b.c"}}, "options": {"schedule_at": "2020-01-01T00:00:00Z"}}),
            "options.schedule_at",
        ),
    ];
    for (d, field) in cases {
        let err = prepare(&draft(d.clone())).expect_err("invalid");
        assert_eq!(err.field, field, "{d}: {err}");
    }
}

fn exchange(status: u16, body: &str) -> Exchange {
    let mut ex = Exchange::unsent(PreparedRequest::new("POST", "https://api.courier.com/send"));
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
fn request_id_and_message_id_are_the_message_id() {
    let o = Courier.interpret(&exchange(202, r#"{"requestId":"1-65f0c2a3-0a1b2c3d4e5f"}"#));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert_eq!(o.message_id.as_deref(), Some("1-65f0c2a3-0a1b2c3d4e5f"));
    let o = Courier.interpret(&exchange(
        200,
        r#"{"messageId":"1-5e2b2615-05efbb3acab9172f88dd3f6f"}"#,
    ));
    assert_eq!(
        o.message_id.as_deref(),
        Some("1-5e2b2615-05efbb3acab9172f88dd3f6f")
    );
    let o = Courier.interpret(&exchange(200, "<html></html>"));
    assert_eq!(o.verdict, Verdict::Refused);
}

#[test]
fn documented_errors_are_explained() {
    for (status, needle, hint) in [
        (
            401,
            "refused the auth token (401): Unauthorized",
            "Settings > API Keys",
        ),
        (409, "reused idempotency key (409)", "already used"),
        (
            400,
            "refused the request (400): Unauthorized",
            "Fix what it names",
        ),
        (429, "rate limiting (429)", "Wait"),
    ] {
        let o = Courier.interpret(&exchange(
            status,
            r#"{"message":"Unauthorized","type":"invalid_request_error"}"#,
        ));
        assert_eq!(o.verdict, Verdict::Refused);
        assert!(o.summary.contains(needle), "{}", o.summary);
        assert!(
            o.hint.as_deref().is_some_and(|h| h.contains(hint)),
            "{:?}",
            o.hint
        );
    }
}

#[test]
fn delivery_shows_status_and_each_channel() {
    let req = delivery_request(&profile(), &secrets(), "1-65f0c2a3-0a1b").expect("request");
    assert_eq!(req.method, "GET");
    assert_eq!(req.url, "https://api.courier.com/messages/1-65f0c2a3-0a1b");
    let o = interpret_delivery(&exchange(
        200,
        r#"{"id":"1-65f0c2a3-0a1b","status":"DELIVERED","enqueued":1795521600000,"sent":1795521601000,"delivered":1795521605000,"recipient":"user-42","event":"BUILD_DONE","notification":"BUILD_DONE","providers":[{"channel":{"key":"email","name":"Email"},"provider":"sendgrid","status":"DELIVERED"},{"channel":{"key":"push"},"provider":"firebase-fcm","status":"UNDELIVERABLE","error":"no token"}]}"#,
    ));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert_eq!(
        o.summary,
        "Delivery status: DELIVERED · enqueued 12:00:00 UTC, sent 12:00:01 UTC, delivered 12:00:05 UTC"
    );
    assert_eq!(
        o.items.iter().map(|i| i.label.as_str()).collect::<Vec<_>>(),
        vec![
            "email via sendgrid: DELIVERED",
            "push via firebase-fcm: UNDELIVERABLE (no token)"
        ]
    );
    let o = interpret_delivery(&exchange(
        200,
        r#"{"id":"x","status":"UNROUTABLE","reason":"NO_CHANNELS"}"#,
    ));
    assert_eq!(o.verdict, Verdict::Refused);
    assert!(o.summary.contains("UNROUTABLE (NO_CHANNELS)"));
    assert!(o.hint.as_deref().is_some_and(|h| h.contains("No channel")));
    let o = interpret_delivery(&exchange(
        404,
        r#"{"message":"Not Found","type":"invalid_request_error"}"#,
    ));
    assert!(o.hint.as_deref().is_some_and(|h| h.contains("try again")));
}

#[test]
fn check_reads_the_message_log() {
    let req = Courier.check(&profile(), &secrets()).expect("request");
    assert_eq!(req.url, "https://api.courier.com/messages?limit=1");
    let o = Courier.interpret_check(&exchange(200, r#"{"paging":{"more":false},"results":[]}"#));
    assert_eq!(
        o.summary,
        "Key works: this workspace has sent no messages yet"
    );
    let o = Courier.interpret_check(&exchange(
        401,
        r#"{"message":"Unauthorized","type":"authentication_error"}"#,
    ));
    assert_eq!(o.verdict, Verdict::Refused);
}
