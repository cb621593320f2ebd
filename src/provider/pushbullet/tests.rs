use crate::outcome::LookupItem;
use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::http::{Body, ResponseDump};
use crate::outcome::Verdict;
use crate::provider::PrepareContext;

const TOKEN: &str = "o.testtoken0123456789abcdefghijklmn";
const GUID: &str = "0f8fad5b-d9cb-469f-a165-70867728950e";

fn profile() -> Profile {
    Profile::new("me", "pushbullet")
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.insert("access_token", TOKEN.into());
    s
}

fn prepare(draft: &Draft) -> Result<Prepared, DraftError> {
    Pushbullet.prepare(&PrepareContext {
        draft,
        profile: &profile(),
        secrets: &secrets(),
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: GUID,
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

#[test]
fn link_push_to_a_device_byte_for_byte() {
    let p = prepare(&draft(json!({
        "profile": "me",
        "message": {"title": "Build #118", "body": "Passed", "url": "https://ci.example.com/118"},
        "audience": {"device_iden": "ujpah72o0sjAoRtnM0jc"}
    })))
    .expect("prepares");
    let r = &p.requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://api.pushbullet.com/v2/pushes");
    assert_eq!(
        r.headers,
        vec![
            ("Access-Token".to_string(), TOKEN.to_string()),
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
  "type": "link",
  "title": "Build #118",
  "body": "Passed",
  "url": "https://ci.example.com/118",
  "device_iden": "ujpah72o0sjAoRtnM0jc",
  "guid": "0f8fad5b-d9cb-469f-a165-70867728950e"
}"#
    );
    assert_eq!(r.secrets.len(), 1);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn note_to_all_devices_byte_for_byte() {
    let p = prepare(&draft(json!({
        "profile": "me", "message": {"body": "Dinner is ready"}
    })))
    .expect("prepares");
    assert_eq!(
        body_of(&p),
        r#"{
  "type": "note",
  "body": "Dinner is ready",
  "guid": "0f8fad5b-d9cb-469f-a165-70867728950e"
}"#
    );
    assert_eq!(
        Pushbullet.audience_label(&draft(json!({"profile": "me", "message": {"body": "x"}}))),
        "all your devices"
    );
}

#[test]
fn type_note_keeps_a_url_out_and_says_so() {
    let p = prepare(&draft(json!({
        "profile": "me",
        "message": {"body": "See CI", "url": "https://ci.example.com"},
        "audience": {"email": "friend@example.com"},
        "options": {"type": "note"}
    })))
    .expect("prepares");
    let body: Value = serde_json::from_str(body_of(&p)).expect("json");
    assert_eq!(body["type"], "note");
    assert!(body.get("url").is_none());
    assert_eq!(body["email"], "friend@example.com");
    assert!(
        p.warnings[0].contains("URL is not sent"),
        "{:?}",
        p.warnings
    );
}

#[test]
fn channel_tag_is_a_broadcast() {
    let d = draft(json!({
        "profile": "me", "message": {"body": "New release"},
        "audience": {"channel_tag": "acme-releases"}
    }));
    let body: Value = serde_json::from_str(body_of(&prepare(&d).expect("prepares"))).expect("json");
    assert_eq!(body["channel_tag"], "acme-releases");
    assert_eq!(
        Pushbullet.broadcast(&d).as_deref(),
        Some("every subscriber of channel “acme-releases”")
    );
    assert_eq!(Pushbullet.audience_label(&d), "channel “acme-releases”");
}

/// providers.md: `client_iden` pushes to every user who authorized your OAuth client.
#[test]
fn client_iden_pushes_to_every_user_of_an_oauth_client_and_excludes_the_other_targets() {
    let d = draft(json!({
        "profile": "me", "message": {"body": "New release"},
        "audience": {"client_iden": "ujxPklLhvyKsjAvkMyTVh6"}
    }));
    let body: Value = serde_json::from_str(body_of(&prepare(&d).expect("prepares"))).expect("json");
    assert_eq!(body["client_iden"], "ujxPklLhvyKsjAvkMyTVh6");
    assert!(body.get("device_iden").is_none() && body.get("email").is_none());
    assert_eq!(
        Pushbullet.broadcast(&d).as_deref(),
        Some("every user who authorized OAuth client ujxPklLhvyKsjAvkMyTVh6")
    );
    assert_eq!(
        Pushbullet.audience_label(&d),
        "OAuth client ujxPklLhvyKsjAvkMyTVh6"
    );

    for other in ["device_iden", "email", "channel_tag"] {
        let err = prepare(&draft(json!({
            "profile": "me", "message": {"body": "x"},
            "audience": {other: "a@example.com", "client_iden": "ujx"}
        })))
        .expect_err("two targets");
        assert_eq!(err.field, "audience");
        assert!(
            err.message.contains(&format!("{other}, client_iden")),
            "{}",
            err.message
        );
    }
}

#[test]
fn only_one_target_at_a_time() {
    let err = prepare(&draft(json!({
        "profile": "me", "message": {"body": "x"},
        "audience": {"device_iden": "abc", "email": "a@example.com"}
    })))
    .expect_err("two targets");
    assert_eq!(err.field, "audience");
    assert!(
        err.message.contains("device_iden, email"),
        "{}",
        err.message
    );
}

#[test]
fn bad_input_names_the_field() {
    let cases = [
        (
            json!({"profile": "me", "message": {"body": "x"}, "options": {"type": "link"}}),
            "message.url",
        ),
        (
            json!({"profile": "me", "message": {"body": ""}}),
            "message.body",
        ),
        (
            json!({"profile": "me", "message": {"body": "x"}, "options": {"type": "file"}}),
            "options.file",
        ),
        (
            json!({"profile": "me", "message": {"body": "x"}, "options": {"ttl": 60}}),
            "options.ttl",
        ),
        (
            json!({"profile": "me", "message": {"body": "x"}, "options": {"schedule_at": "2026-12-01T00:00:00Z"}}),
            "options.schedule_at",
        ),
        (
            json!({"profile": "me", "message": {"body": "x"}, "audience": {"email": "nobody"}}),
            "audience.email",
        ),
        (
            json!({"profile": "me", "message": {"body": "x"}, "audience": {"device_iden": "a\nb"}}),
            "audience.device_iden",
        ),
        (
            json!({"profile": "me", "message": {"body": "x"}, "audience": {"client_iden": "a b"}}),
            "audience.client_iden",
        ),
        (
            json!({"profile": "me", "message": {"body": "x"}, "options": {"raw": "[1]"}}),
            "options.raw",
        ),
    ];
    for (d, field) in cases {
        let err = prepare(&draft(d.clone())).expect_err("invalid");
        assert_eq!(err.field, field, "{d}: {err}");
    }
    let err = Pushbullet
        .prepare(&PrepareContext {
            draft: &draft(json!({"profile": "me", "message": {"body": "x"}})),
            profile: &profile(),
            secrets: &Secrets::default(),
            now: datetime!(2026-11-24 12:00 UTC),
            idempotency_key: GUID,
            token: None,
            dry_run: false,
        })
        .expect_err("no token");
    assert_eq!(err.field, "secret access_token");
    assert!(err.message.contains("pushdeck secret set me access_token"));
}

#[test]
fn unsupported_fields_are_named_in_a_warning() {
    let p = prepare(&draft(json!({
        "profile": "me",
        "message": {"body": "x", "image": "https://example.com/a.png", "data": {"k": "v"}}
    })))
    .expect("prepares");
    assert_eq!(
        p.warnings,
        vec!["Pushbullet has no place for image, data: not sent.".to_string()]
    );
}

#[test]
fn raw_replaces_the_body() {
    let p = prepare(&draft(json!({
        "profile": "me", "message": {"body": "ignored"},
        "options": {"raw": {"type": "file", "file_name": "a.png", "file_type": "image/png", "file_url": "https://dl.pushbulletusercontent.com/a.png"}}
    })))
    .expect("prepares");
    let body: Value = serde_json::from_str(body_of(&p)).expect("json");
    assert_eq!(body["type"], "file");
    assert!(body.get("guid").is_none());
}

fn exchange(status: u16, body: &str, headers: &[(&str, &str)]) -> Exchange {
    let mut ex = Exchange::unsent(PreparedRequest::new(
        "POST",
        "https://api.pushbullet.com/v2/pushes",
    ));
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/1.1".into(),
        headers: headers
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect(),
        body: Body::Text(body.into()),
        truncated: false,
    });
    ex
}

const LIMITS: &[(&str, &str)] = &[
    ("X-Ratelimit-Limit", "32768"),
    ("X-Ratelimit-Remaining", "32761"),
    ("X-Ratelimit-Reset", "1795521600"),
];

#[test]
fn a_push_object_is_accepted_with_its_iden_and_the_rate_limit() {
    let o = Pushbullet.interpret(&exchange(
        200,
        r#"{"active":true,"iden":"ujpah72o0sjAsoRtnM0jc","created":1.4e9,"modified":1.4e9,"type":"link","dismissed":false,"direction":"self"}"#,
        LIMITS,
    ));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert_eq!(o.message_id.as_deref(), Some("ujpah72o0sjAsoRtnM0jc"));
    assert_eq!(
        o.summary,
        "Pushed link ujpah72o0sjAsoRtnM0jc · rate limit 32761 of 32768 left, resets 2026-11-24 12:00:00 UTC"
    );
}

#[test]
fn documented_errors_are_explained() {
    let o = Pushbullet.interpret(&exchange(
        401,
        r#"{"error":{"code":"invalid_access_token","type":"invalid_request","message":"Access token is missing or invalid.","cat":"~(=^‥^)"},"error_code":"invalid_access_token"}"#,
        &[],
    ));
    assert_eq!(o.verdict, Verdict::Refused);
    assert!(
        o.summary
            .contains("refused the access token (401): Access token is missing or invalid."),
        "{}",
        o.summary
    );
    assert!(o.hint.as_deref().is_some_and(|h| h.contains("Create one")));

    let o = Pushbullet.interpret(&exchange(
        403,
        r#"{"error":{"type":"invalid_request","message":"Pushbullet Pro is required to send more than 500 pushes per month."},"error_code":"pushbullet_pro_required"}"#,
        &[],
    ));
    assert!(o.summary.contains("free pushes"), "{}", o.summary);
    assert!(
        o.hint
            .as_deref()
            .is_some_and(|h| h.contains("500 pushes a month"))
    );

    let o = Pushbullet.interpret(&exchange(
        403,
        r#"{"error":{"type":"invalid_request","message":"Not allowed."}}"#,
        &[],
    ));
    assert!(o.summary.contains("may not do that (403)"), "{}", o.summary);

    let o = Pushbullet.interpret(&exchange(
        429,
        r#"{"error":{"code":"ratelimited","type":"invalid_request","message":"You have been ratelimited for making too many requests to the server."},"error_code":"ratelimited"}"#,
        &[("X-Ratelimit-Limit", "32768"), ("X-Ratelimit-Remaining", "0"), ("X-Ratelimit-Reset", "1795521600")],
    ));
    assert!(
        o.summary.contains("rate limiting this account (429)"),
        "{}",
        o.summary
    );
    assert!(
        o.summary
            .ends_with("rate limit 0 of 32768 left, resets 2026-11-24 12:00:00 UTC"),
        "{}",
        o.summary
    );

    let o = Pushbullet.interpret(&exchange(
        404,
        r#"{"error":{"type":"invalid_request","message":"The resource could not be found.","param":"device_iden","cat":"~(=^‥^)"}}"#,
        &[],
    ));
    assert!(o.summary.contains("(field device_iden)"), "{}", o.summary);
    assert!(
        o.hint
            .as_deref()
            .is_some_and(|h| h.contains("Load devices again"))
    );

    let o = Pushbullet.interpret(&exchange(
        400,
        r#"{"error":{"type":"invalid_request","message":"Invalid email.","param":"email"}}"#,
        &[],
    ));
    assert!(
        o.summary
            .contains("refused the push: Invalid email. (field email)"),
        "{}",
        o.summary
    );

    let o = Pushbullet.interpret(&exchange(502, "<html>Bad gateway</html>", &[]));
    assert!(o.summary.contains("server error (502)"), "{}", o.summary);

    let o = Pushbullet.interpret(&exchange(200, "<html>proxy</html>", &[]));
    assert_eq!(o.verdict, Verdict::Refused);
}

#[test]
fn check_names_the_account() {
    let o = Pushbullet.interpret_check(&exchange(
        200,
        r#"{"iden":"ujpah72o0","email":"elon@teslamotors.com","email_normalized":"elon@teslamotors.com","name":"Elon Musk","max_upload_size":26214400}"#,
        LIMITS,
    ));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert!(
        o.summary
            .starts_with("Token works: signed in as Elon Musk <elon@teslamotors.com>"),
        "{}",
        o.summary
    );
    let req = Pushbullet.check(&profile(), &secrets()).expect("request");
    assert_eq!(req.url, "https://api.pushbullet.com/v2/users/me");
    assert_eq!(req.header_value("Access-Token"), Some(TOKEN));
}

#[test]
fn devices_become_chips_by_nickname() {
    let req = Pushbullet
        .lookup("devices", &profile(), &secrets())
        .expect("request");
    assert_eq!(req.url, "https://api.pushbullet.com/v2/devices?active=true");
    let o = Pushbullet.interpret_lookup(
        "devices",
        &exchange(
            200,
            r#"{"devices":[{"iden":"d1","active":true,"nickname":"Elon's iPhone","manufacturer":"Apple","model":"iPhone"},{"iden":"d2","active":true,"manufacturer":"Google","model":"Pixel 9"},{"iden":"d3","active":false}]}"#,
            &[],
        ),
    );
    assert_eq!(o.summary, "Loaded 2 devices");
    assert_eq!(
        o.items,
        vec![
            LookupItem::new("d1", "Elon's iPhone"),
            LookupItem::new("d2", "Google Pixel 9")
        ]
    );
    let o = Pushbullet.interpret_lookup("devices", &exchange(200, "{}", &[]));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert!(o.items.is_empty());
}

mod file_push;
