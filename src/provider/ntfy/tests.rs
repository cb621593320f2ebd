use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::http::{Body, ResponseDump};
use crate::outcome::Verdict;
use crate::provider::PrepareContext;

fn profile() -> Profile {
    Profile::new("alerts", "ntfy")
}

fn secrets(token: Option<&str>) -> Secrets {
    let mut s = Secrets::default();
    if let Some(t) = token {
        s.insert("access_token", t.into());
    }
    s
}

fn prepare_with(draft: &Draft, token: Option<&str>) -> Result<Prepared, DraftError> {
    Ntfy.prepare(&PrepareContext {
        draft,
        profile: &profile(),
        secrets: &secrets(token),
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: "0f8fad5b-d9cb-469f-a165-70867728950e",
        token: None,
        dry_run: false,
    })
}

fn prepare(draft: &Draft) -> Result<Prepared, DraftError> {
    prepare_with(draft, Some("tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"))
}

fn draft(json: serde_json::Value) -> Draft {
    Draft::from_json(&json.to_string()).expect("valid draft")
}

fn err_field(d: serde_json::Value) -> String {
    prepare(&draft(d)).expect_err("refused").field
}

#[test]
fn full_message_byte_for_byte() {
    let d = draft(json!({
        "profile": "alerts",
        "message": {
            "title": "Build 118", "body": "Passed in 4 min",
            "url": "https://ci.example.com/118", "icon": "https://ci.example.com/icon.png",
            "image": "https://ci.example.com/graph.png",
            "buttons": [{"id": "logs", "label": "Logs", "url": "https://ci.example.com/118/log"}]
        },
        "audience": {"topic": "ci-builds"},
        "options": {"priority": "high", "tags": ["white_check_mark", "ci"], "markdown": true,
                    "filename": "graph.png", "schedule_at": "2026-11-24T12:30:00Z"}
    }));
    let p = prepare(&d).expect("prepares");
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let r = &p.requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://ntfy.sh/");
    assert_eq!(
        r.headers,
        vec![
            (
                "Authorization".to_string(),
                "Bearer tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2".to_string()
            ),
            ("Accept".to_string(), "application/json".to_string()),
            (
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string()
            ),
        ]
    );
    let expected = r#"{
  "topic": "ci-builds",
  "title": "Build 118",
  "message": "Passed in 4 min",
  "priority": 4,
  "tags": [
    "white_check_mark",
    "ci"
  ],
  "markdown": true,
  "click": "https://ci.example.com/118",
  "icon": "https://ci.example.com/icon.png",
  "attach": "https://ci.example.com/graph.png",
  "filename": "graph.png",
  "actions": [
    {
      "action": "view",
      "label": "Logs",
      "url": "https://ci.example.com/118/log"
    }
  ],
  "delay": "1795523400"
}"#;
    assert_eq!(r.body, Body::Text(expected.into()));
    // The token is a secret: masked in every dump.
    let shown = serde_json::to_string(&r.redacted()).expect("json");
    assert!(
        !shown.contains("tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2"),
        "{shown}"
    );
}

#[test]
fn minimal_message_without_token_has_no_authorization() {
    let d =
        draft(json!({"profile": "alerts", "message": {"body": "hi"}, "audience": {"topic": "t1"}}));
    let p = prepare_with(&d, None).expect("prepares");
    let r = &p.requests[0];
    assert!(r.header_value("authorization").is_none());
    assert!(r.secrets.is_empty());
    assert_eq!(
        r.body,
        Body::Text("{\n  \"topic\": \"t1\",\n  \"message\": \"hi\"\n}".into())
    );
}

#[test]
fn base_url_is_the_server() {
    let d =
        draft(json!({"profile": "alerts", "message": {"body": "hi"}, "audience": {"topic": "t1"}}));
    let mut p = profile();
    p.base_url = Some("http://127.0.0.1:8088/".into());
    let out = Ntfy
        .prepare(&PrepareContext {
            draft: &d,
            profile: &p,
            secrets: &secrets(None),
            now: datetime!(2026-11-24 12:00 UTC),
            idempotency_key: "k",
            token: None,
            dry_run: false,
        })
        .expect("prepares");
    assert_eq!(out.requests[0].url, "http://127.0.0.1:8088/");
    p.base_url = Some("http://ntfy.example.com".into());
    let err = Ntfy
        .check(&p, &secrets(None))
        .expect_err("cleartext to a real host");
    assert_eq!(err.field, "base_url");
}

#[test]
fn priorities_map_to_ntfy_levels() {
    for (name, level) in [
        ("min", 1),
        ("low", 2),
        ("normal", 3),
        ("high", 4),
        ("max", 5),
    ] {
        let d = draft(json!({"profile": "alerts", "message": {"body": "hi"},
            "audience": {"topic": "t"}, "options": {"priority": name}}));
        let p = prepare(&d).expect("prepares");
        let body: serde_json::Value =
            serde_json::from_str(p.requests[0].body.as_text().expect("text")).expect("json");
        assert_eq!(body["priority"], level, "{name}");
    }
}

#[test]
fn bad_input_names_the_field() {
    let base = |message: serde_json::Value,
                audience: serde_json::Value,
                options: serde_json::Value| {
        json!({"profile": "alerts", "message": message, "audience": audience, "options": options})
    };
    let hi = json!({"body": "hi"});
    let t = json!({"topic": "t"});
    assert_eq!(
        err_field(base(hi.clone(), json!({}), json!({}))),
        "audience.topic"
    );
    assert_eq!(
        err_field(base(hi.clone(), json!({"topic": "has space"}), json!({}))),
        "audience.topic"
    );
    assert_eq!(
        err_field(base(json!({}), t.clone(), json!({}))),
        "message.body"
    );
    assert_eq!(
        err_field(base(
            json!({"body": "x", "data": {"a": "b"}}),
            t.clone(),
            json!({})
        )),
        "message.data"
    );
    assert_eq!(
        err_field(base(
            json!({"body": "x", "subtitle": "s"}),
            t.clone(),
            json!({})
        )),
        "message.subtitle"
    );
    assert_eq!(
        err_field(base(hi.clone(), t.clone(), json!({"ttl": 60}))),
        "options.ttl"
    );
    assert_eq!(
        err_field(base(hi.clone(), t.clone(), json!({"priority": "urgent"}))),
        "options.priority"
    );
    assert_eq!(
        err_field(base(hi.clone(), t.clone(), json!({"colour": "red"}))),
        "options.colour"
    );
    assert_eq!(
        err_field(base(
            json!({"body": "x", "buttons": [{"id": "a", "label": "A"}]}),
            t.clone(),
            json!({})
        )),
        "message.buttons[0].url"
    );
    let four: Vec<_> = (0..4)
        .map(|i| json!({"id": format!("b{i}"), "label": "B", "url": "https://x.example"}))
        .collect();
    assert_eq!(
        err_field(base(
            json!({"body": "x", "buttons": four}),
            t.clone(),
            json!({})
        )),
        "message.buttons"
    );
    assert_eq!(
        err_field(base(
            json!({"body": "x", "icon": "ftp://x/icon.png"}),
            t.clone(),
            json!({})
        )),
        "message.icon"
    );
    assert_eq!(
        err_field(base(
            hi.clone(),
            t.clone(),
            json!({"schedule_at": "2026-11-24T12:00:05Z"})
        )),
        "options.schedule_at"
    );
    assert_eq!(
        err_field(base(
            hi.clone(),
            t.clone(),
            json!({"schedule_at": "2026-11-28T12:00:00Z"})
        )),
        "options.schedule_at"
    );
    assert_eq!(
        err_field(base(hi, t, json!({"filename": "a.png"}))),
        "options.filename"
    );
}

#[test]
fn raw_replaces_the_body_and_keeps_the_topic() {
    let d = draft(
        json!({"profile": "alerts", "message": {}, "audience": {"topic": "t"},
        "options": {"raw": {"message": "raw text", "email": "a@example.com"}}}),
    );
    let p = prepare(&d).expect("prepares");
    let body: serde_json::Value =
        serde_json::from_str(p.requests[0].body.as_text().expect("text")).expect("json");
    assert_eq!(
        body,
        json!({"message": "raw text", "email": "a@example.com", "topic": "t"})
    );
}

#[test]
fn long_messages_warn_about_the_attachment() {
    let d = draft(
        json!({"profile": "alerts", "message": {"body": "x".repeat(5000)},
        "audience": {"topic": "t"}}),
    );
    let p = prepare(&d).expect("prepares");
    assert!(p.warnings[0].contains("attachment"), "{:?}", p.warnings);
}

fn exchange(status: u16, body: &str, headers: Vec<(&str, &str)>) -> Exchange {
    let mut ex = Exchange::unsent(PreparedRequest::new("POST", "https://ntfy.sh/"));
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/1.1".into(),
        headers: headers
            .into_iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        body: Body::Text(body.into()),
        truncated: false,
    });
    ex
}

#[test]
fn success_names_the_message_and_topic() {
    let o = Ntfy.interpret(&exchange(
        200,
        r#"{"id":"sPs71M8A2T","time":1700000000,"expires":1700043200,"event":"message","topic":"ci-builds","message":"hi"}"#,
        vec![],
    ));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert_eq!(o.summary, "Published: message sPs71M8A2T");
    assert_eq!(o.message_id.as_deref(), Some("sPs71M8A2T"));
    let o = Ntfy.interpret(&exchange(200, "<html>hello</html>", vec![]));
    assert_eq!(o.verdict, Verdict::Refused);
    assert!(o.hint.as_deref().is_some_and(|h| h.contains("base URL")));
}

#[test]
fn documented_errors_are_explained() {
    let cases = [
        (401, 40101, "unauthorized", "access token"),
        (403, 40301, "forbidden", "write access"),
        (400, 40007, "invalid priority", "priority"),
        (400, 40018, "invalid actions", "buttons"),
        (413, 41301, "attachment too large", "too large"),
        (429, 42901, "limit reached: too many requests", "5 seconds"),
        (
            429,
            42908,
            "limit reached: daily message quota reached",
            "quota",
        ),
        (
            429,
            42909,
            "limit reached: too many auth failures",
            "failed sign-ins",
        ),
    ];
    for (status, code, error, hint) in cases {
        let body = format!(
            r#"{{"code":{code},"http":{status},"error":"{error}","link":"https://ntfy.sh/docs/publish/"}}"#
        );
        let o = Ntfy.interpret(&exchange(status, &body, vec![("Retry-After", "7")]));
        assert_eq!(o.verdict, Verdict::Refused, "{code}");
        assert!(
            o.summary.contains(error) && o.summary.contains(&code.to_string()),
            "{code}: {}",
            o.summary
        );
        assert!(
            o.hint.as_deref().is_some_and(|h| h.contains(hint)),
            "{code}: {:?}",
            o.hint
        );
        assert_eq!(o.retry_after, (status == 429).then_some(7), "{code}");
    }
}

#[test]
fn check_uses_the_account_with_a_token_and_health_without() {
    let p = profile();
    let with = Ntfy
        .check(&p, &secrets(Some("tk_secret")))
        .expect("request");
    assert_eq!(with.url, "https://ntfy.sh/v1/account");
    assert_eq!(with.header_value("authorization"), Some("Bearer tk_secret"));
    let without = Ntfy.check(&p, &secrets(None)).expect("request");
    assert_eq!(without.url, "https://ntfy.sh/v1/health");

    let mut ex = exchange(200, r#"{"username":"phil","role":"user"}"#, vec![]);
    ex.request = with.clone();
    let o = Ntfy.interpret_check(&ex);
    assert_eq!(o.summary, "Token works: signed in as phil (user)");
    let mut ex = exchange(
        401,
        r#"{"code":40101,"http":401,"error":"unauthorized"}"#,
        vec![],
    );
    ex.request = with;
    assert_eq!(Ntfy.interpret_check(&ex).verdict, Verdict::Refused);
    let mut ex = exchange(200, r#"{"healthy":true}"#, vec![]);
    ex.request = without;
    let o = Ntfy.interpret_check(&ex);
    assert!(
        o.is_ok() && o.summary.contains("no access token"),
        "{}",
        o.summary
    );
}
