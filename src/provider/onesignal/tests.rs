use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::http::{Body, ResponseDump};
use crate::provider::PrepareContext;

fn profile() -> Profile {
    let mut p = Profile::new("acme-web", "onesignal");
    p.settings.insert(
        "app_id".into(),
        "8a7b3c2d-1e0f-4a5b-9c8d-944455556666".into(),
    );
    p
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.insert("api_key", "os_v2_app_testkey1234567890abcdef".into());
    s
}

fn prepare(draft: &Draft) -> Result<Prepared, DraftError> {
    OneSignal.prepare(&PrepareContext {
        draft,
        profile: &profile(),
        secrets: &secrets(),
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: "0f8fad5b-d9cb-469f-a165-70867728950e",
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

/// The design sketch's message, byte for byte.
#[test]
fn full_message_byte_for_byte() {
    let d = draft(json!({
        "profile": "acme-web",
        "message": {
            "title": "Flash sale", "subtitle": "Today only",
            "body": "50% off everything until midnight",
            "url": "https://acme.example/sale", "image": "https://acme.example/banner.png",
            "buttons": [{"id": "shop", "label": "Shop now", "url": "https://acme.example/shop"}],
            "data": {"campaign": "fall-2026"},
            "translations": {"fr": {"title": "Vente flash", "body": "-50 % jusqu'à minuit"}}
        },
        "audience": {"segments": ["Active Users"], "exclude_segments": ["Churned"]},
        "options": {"ttl": 3600, "priority": "high"}
    }));
    let p = prepare(&d).expect("prepares");
    let r = &p.requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.url, "https://api.onesignal.com/notifications");
    assert_eq!(
        r.headers,
        vec![
            (
                "Authorization".to_string(),
                "Key os_v2_app_testkey1234567890abcdef".to_string()
            ),
            ("Accept".to_string(), "application/json".to_string()),
            (
                "Content-Type".to_string(),
                "application/json; charset=utf-8".to_string()
            ),
        ]
    );
    let expected = r#"{
  "app_id": "8a7b3c2d-1e0f-4a5b-9c8d-944455556666",
  "included_segments": [
    "Active Users"
  ],
  "excluded_segments": [
    "Churned"
  ],
  "headings": {
    "en": "Flash sale",
    "fr": "Vente flash"
  },
  "subtitle": {
    "en": "Today only"
  },
  "contents": {
    "en": "50% off everything until midnight",
    "fr": "-50 % jusqu'à minuit"
  },
  "url": "https://acme.example/sale",
  "big_picture": "https://acme.example/banner.png",
  "chrome_web_image": "https://acme.example/banner.png",
  "ios_attachments": {
    "image": "https://acme.example/banner.png"
  },
  "buttons": [
    {
      "id": "shop",
      "text": "Shop now"
    }
  ],
  "web_buttons": [
    {
      "id": "shop",
      "text": "Shop now",
      "url": "https://acme.example/shop"
    }
  ],
  "data": {
    "campaign": "fall-2026"
  },
  "ttl": 3600,
  "priority": 10,
  "idempotency_key": "0f8fad5b-d9cb-469f-a165-70867728950e"
}"#;
    assert_eq!(body_of(&p), expected);
    assert_eq!(r.secrets.len(), 1);
}

#[test]
fn external_ids_use_aliases_and_a_channel() {
    let p = prepare(&draft(json!({
        "profile": "acme-web", "message": {"body": "Hi"},
        "audience": {"external_ids": ["user-42", "user-43"]},
    })))
    .expect("prepares");
    let body: serde_json::Value = serde_json::from_str(body_of(&p)).expect("json");
    assert_eq!(body["target_channel"], "push");
    assert_eq!(
        body["include_aliases"],
        json!({"external_id": ["user-42", "user-43"]})
    );
}

#[test]
fn schedule_is_sent_with_an_explicit_offset() {
    let p = prepare(&draft(json!({
        "profile": "acme-web", "message": {"body": "Hi"},
        "audience": {"subscription_ids": ["1dd608f2-c6a1-11e3-851d-000c2940e62c"]},
        "options": {"schedule_at": "2026-12-01T09:00:00+01:00"}
    })))
    .expect("prepares");
    let body: serde_json::Value = serde_json::from_str(body_of(&p)).expect("json");
    assert_eq!(body["send_after"], "2026-12-01 08:00:00 GMT+0000");
    assert_eq!(
        body["include_subscription_ids"][0],
        "1dd608f2-c6a1-11e3-851d-000c2940e62c"
    );
}

#[test]
fn bad_input_names_the_field() {
    let cases = [
        (
            json!({"profile": "acme-web", "message": {"body": "Hi"}}),
            "audience",
        ),
        (
            json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"segments": ["A"], "external_ids": ["x"]}}),
            "audience",
        ),
        (
            json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"segmnts": ["A"]}}),
            "audience.segmnts",
        ),
        (
            json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"segments": ["A"]}, "options": {"ttl": 99999999}}),
            "options.ttl",
        ),
        (
            json!({"profile": "acme-web", "message": {"title": "No body"}, "audience": {"segments": ["A"]}}),
            "message.body",
        ),
        (
            json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"segments": ["A"]}, "options": {"schedule_at": "tomorrow"}}),
            "options.schedule_at",
        ),
        (
            json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"exclude_segments": ["A"], "filters": [{"field": "tag", "key": "a", "relation": "exists"}]}}),
            "audience.exclude_segments",
        ),
        (
            json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"filters": [{"key": "a"}]}}),
            "audience.filters[0]",
        ),
        (
            json!({"profile": "acme-web", "message": {"body": "Hi", "buttons": [{"id":"a","label":"A"},{"id":"b","label":"B"},{"id":"c","label":"C"},{"id":"d","label":"D"}]}, "audience": {"segments": ["A"]}}),
            "message.buttons",
        ),
        (
            json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"segments": ["A"]}, "options": {"raw": "{nope"}}),
            "options.raw",
        ),
    ];
    for (json, field) in cases {
        let err = prepare(&draft(json.clone())).expect_err(&format!("{json} must fail"));
        assert_eq!(err.field, field, "{json}: {err}");
    }
}

#[test]
fn missing_secret_and_app_id_are_explained() {
    let d = draft(
        json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"segments": ["All"]}}),
    );
    let err = OneSignal
        .prepare(&PrepareContext {
            draft: &d,
            profile: &profile(),
            secrets: &Secrets::default(),
            now: datetime!(2026-11-24 12:00 UTC),
            idempotency_key: "",
            token: None,
            dry_run: false,
        })
        .expect_err("no key");
    assert!(
        err.message.contains("pushdeck secret set acme-web api_key"),
        "{err}"
    );
    let err = OneSignal
        .prepare(&PrepareContext {
            draft: &d,
            profile: &Profile::new("acme-web", "onesignal"),
            secrets: &secrets(),
            now: datetime!(2026-11-24 12:00 UTC),
            idempotency_key: "",
            token: None,
            dry_run: false,
        })
        .expect_err("no app id");
    assert_eq!(err.field, "settings.app_id");
}

#[test]
fn raw_payload_replaces_the_generated_one() {
    let p = prepare(&draft(json!({
        "profile": "acme-web", "message": {"body": "ignored"},
        "options": {"raw": {"included_segments": ["All"], "contents": {"en": "raw"}}}
    })))
    .expect("prepares");
    let body: serde_json::Value = serde_json::from_str(body_of(&p)).expect("json");
    assert_eq!(body["contents"]["en"], "raw");
    assert_eq!(body["app_id"], "8a7b3c2d-1e0f-4a5b-9c8d-944455556666");
}

#[test]
fn base_url_override_and_cleartext_refusal() {
    let mut p = profile();
    p.base_url = Some("http://127.0.0.1:9999".into());
    let d = draft(
        json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"segments": ["All"]}}),
    );
    let ctx = |p: &Profile| {
        OneSignal
            .prepare(&PrepareContext {
                draft: &d,
                profile: p,
                secrets: &secrets(),
                now: datetime!(2026-11-24 12:00 UTC),
                idempotency_key: "",
                token: None,
                dry_run: false,
            })
            .map(|x| x.requests[0].url.clone())
    };
    assert_eq!(
        ctx(&p).expect("loopback ok"),
        "http://127.0.0.1:9999/notifications"
    );
    p.base_url = Some("http://onesignal.example.com".into());
    assert_eq!(ctx(&p).expect_err("cleartext").field, "base_url");
}

fn exchange(status: u16, body: &str, headers: &[(&str, &str)]) -> Exchange {
    let mut ex = Exchange::unsent(PreparedRequest::new(
        "POST",
        "https://api.onesignal.com/notifications",
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

#[test]
fn success_is_judged_from_the_body() {
    let ok = OneSignal.interpret(&exchange(
        200,
        r#"{"id":"b6b326a8-40aa-4b8f-9ad4-1d0fe7e3b5a1","external_id":null}"#,
        &[],
    ));
    assert!(ok.is_ok());
    assert_eq!(
        ok.message_id.as_deref(),
        Some("b6b326a8-40aa-4b8f-9ad4-1d0fe7e3b5a1")
    );

    let none = OneSignal.interpret(&exchange(
        200,
        r#"{"id":"","errors":["All included players are not subscribed"]}"#,
        &[],
    ));
    assert_eq!(none.verdict, Verdict::Refused);
    assert!(
        none.summary
            .contains("All included players are not subscribed"),
        "{}",
        none.summary
    );
    assert!(
        none.hint
            .as_deref()
            .is_some_and(|h| h.contains("no subscribers"))
    );

    let partial = OneSignal.interpret(&exchange(
        200,
        r#"{"id":"abc","errors":{"invalid_aliases":{"external_id":["u2"]}}}"#,
        &[],
    ));
    assert!(partial.is_ok());
    assert!(partial.summary.contains("u2"), "{}", partial.summary);

    let html = OneSignal.interpret(&exchange(200, "<html>proxy</html>", &[]));
    assert_eq!(html.verdict, Verdict::Refused);
}

#[test]
fn errors_are_explained() {
    let bad = OneSignal.interpret(&exchange(400, r#"{"errors":["You must include which players, segments, or tags you wish to send this notification to."]}"#, &[]));
    assert_eq!(bad.verdict, Verdict::Refused);
    assert!(
        bad.hint
            .as_deref()
            .is_some_and(|h| h.contains("Choose an audience"))
    );

    let denied = OneSignal.interpret(&exchange(403, r#"{"errors":["Access denied.  Please include an 'Authorization: ...' header with a valid API key"]}"#, &[]));
    assert!(
        denied.summary.contains("refused the API key"),
        "{}",
        denied.summary
    );

    let limited = OneSignal.interpret(&exchange(
        429,
        r#"{"errors":["API rate limit exceeded."]}"#,
        &[("Retry-After", "7")],
    ));
    assert_eq!(limited.retry_after, Some(7));
    assert!(limited.summary.contains("wait 7 s"), "{}", limited.summary);

    let down = OneSignal.interpret(&exchange(503, "Service temporarily unavailable", &[]));
    assert_eq!(down.verdict, Verdict::Refused);
    assert!(down.summary.contains("503"));

    let structured = OneSignal.interpret(&exchange(
        400,
        r#"{"errors":[{"code":"invalid","title":"app_id not found"}]}"#,
        &[],
    ));
    assert!(
        structured.summary.contains("app_id not found"),
        "{}",
        structured.summary
    );
}

#[test]
fn check_reads_segments() {
    let ok = OneSignal.interpret_check(&exchange(
        200,
        r#"{"total_count":4,"offset":0,"limit":1,"segments":[{"id":"x","name":"All"}]}"#,
        &[],
    ));
    assert!(ok.is_ok());
    assert_eq!(ok.summary, "Key works: the app has 4 segments");
    let seg = OneSignal.interpret_lookup(
        "segments",
        &exchange(
            200,
            r#"{"segments":[{"name":"All"},{"name":"Active Users"}]}"#,
            &[],
        ),
    );
    let names: Vec<&str> = seg.items.iter().map(|i| i.value.as_str()).collect();
    assert_eq!(names, ["All", "Active Users"]);
    let bad = OneSignal.interpret_check(&exchange(403, r#"{"errors":["Access denied."]}"#, &[]));
    assert_eq!(bad.verdict, Verdict::Refused);
    let request = OneSignal
        .check(&profile(), &secrets())
        .expect("check request");
    assert_eq!(
        request.url,
        "https://api.onesignal.com/apps/8a7b3c2d-1e0f-4a5b-9c8d-944455556666/segments?offset=0&limit=1"
    );
}

#[test]
fn audience_labels_and_broadcasts() {
    let seg =
        draft(json!({"profile": "p", "message": {"body": "x"}, "audience": {"segments": ["All"]}}));
    assert_eq!(OneSignal.audience_label(&seg), "“All”");
    assert_eq!(
        OneSignal.broadcast(&seg).as_deref(),
        Some("every subscriber in “All”")
    );
    let ids = draft(
        json!({"profile": "p", "message": {"body": "x"}, "audience": {"external_ids": ["a", "b"]}}),
    );
    assert_eq!(OneSignal.audience_label(&ids), "2 external IDs");
    assert!(OneSignal.broadcast(&ids).is_none());
}

fn filters_draft(filters: serde_json::Value) -> Draft {
    draft(
        json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"filters": filters}}),
    )
}

#[test]
fn a_made_up_filter_field_is_refused_naming_the_entry_and_the_documented_fields() {
    let d = filters_draft(json!([
        {"field": "tag", "key": "plan", "relation": "=", "value": "pro"},
        {"operator": "OR"},
        {"field": "langage", "relation": "=", "value": "fr"}
    ]));
    let err = prepare(&d).expect_err("refused").to_string();
    assert!(
        err.contains("audience.filters[2].field: unknown filter field \"langage\"; expected one of \"tag\", \"language\""),
        "{err}"
    );
    assert!(err.contains("\"location\""), "{err}");
}

#[test]
fn a_relation_the_field_does_not_allow_is_refused() {
    let d = filters_draft(json!([{"field": "language", "relation": ">", "value": "fr"}]));
    let err = prepare(&d).expect_err("refused").to_string();
    assert!(
        err.contains("audience.filters[0].relation: \">\" is not a relation of \"language\""),
        "{err}"
    );
    let d = filters_draft(json!([{"field": "tag", "key": "a", "relation": "like", "value": "x"}]));
    let err = prepare(&d).expect_err("refused").to_string();
    assert!(err.contains("audience.filters[0].relation"), "{err}");
}

#[test]
fn filters_missing_their_operands_or_with_stray_keys_are_refused() {
    for (filters, path) in [
        (
            json!([{"field": "tag", "relation": "=", "value": "x"}]),
            "audience.filters[0].key",
        ),
        (
            json!([{"field": "location", "radius": "100", "lat": "1"}]),
            "audience.filters[0].long",
        ),
        (
            json!([{"field": "country", "relation": "=", "value": "FR", "hours_ago": "3"}]),
            "audience.filters[0].hours_ago",
        ),
        (
            json!([{"field": "last_session", "relation": "<"}]),
            "audience.filters[0].hours_ago",
        ),
        (json!([{"operator": "XOR"}]), "audience.filters[0].operator"),
    ] {
        let err = prepare(&filters_draft(filters))
            .expect_err("refused")
            .to_string();
        assert!(err.contains(path), "{path}: {err}");
    }
}

#[test]
fn every_documented_filter_field_passes_through_unchanged() {
    let filters = json!([
        {"field": "tag", "key": "plan", "relation": "=", "value": "pro"},
        {"field": "tag", "key": "beta", "relation": "exists"},
        {"field": "language", "relation": "!=", "value": "fr"},
        {"field": "country", "relation": "=", "value": "DE"},
        {"field": "app_version", "relation": ">", "value": "2.1"},
        {"field": "first_session", "relation": ">", "hours_ago": "720"},
        {"operator": "OR"},
        {"field": "last_session", "relation": "<", "hours_ago": "48"},
        {"field": "session_count", "relation": "=", "value": "3"},
        {"field": "session_time", "relation": ">", "value": "600"},
        {"field": "amount_spent", "relation": ">", "value": "10"},
        {"field": "bought_sku", "key": "com.acme.pro", "relation": ">", "value": "0"},
        {"field": "tag", "key": "seen", "relation": "time_elapsed_gt", "value": "3600"},
        {"operator": "AND"},
        {"field": "location", "radius": "1000", "lat": "48.85", "long": "2.35"}
    ]);
    let p = prepare(&filters_draft(filters.clone())).expect("prepares");
    let body: serde_json::Value = serde_json::from_str(body_of(&p)).expect("json");
    assert_eq!(body["filters"], filters);
}

fn prepare_with(profile: &Profile, key: &str) -> Result<Prepared, DraftError> {
    let mut s = Secrets::default();
    s.insert("api_key", key.into());
    OneSignal.prepare(&PrepareContext {
        draft: &draft(json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"segments": ["All"]}})),
        profile,
        secrets: &s,
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: "0f8fad5b-d9cb-469f-a165-70867728950e",
        token: None,
        dry_run: false,
    })
}

#[test]
fn a_legacy_rest_key_is_sent_as_basic_to_the_older_host() {
    let legacy = "NGEwZmZmODAtZmZmZi00ZmZmLWZmZmYtZmZmZmZmZmZmZmZm";
    // Unset: the key's form decides.
    let p = prepare_with(&profile(), legacy).expect("prepares");
    let r = &p.requests[0];
    assert_eq!(r.url, "https://onesignal.com/api/v1/notifications");
    assert_eq!(
        r.header_value("authorization"),
        Some(format!("Basic {legacy}").as_str())
    );
    let p = prepare_with(&profile(), "os_v2_app_abc").expect("prepares");
    assert_eq!(p.requests[0].url, "https://api.onesignal.com/notifications");
    assert_eq!(
        p.requests[0].header_value("authorization"),
        Some("Key os_v2_app_abc")
    );
    // Set: the setting wins over the form.
    let mut app = profile();
    app.settings.insert("key_kind".into(), "app".into());
    let p = prepare_with(&app, legacy).expect("prepares");
    assert_eq!(p.requests[0].url, "https://api.onesignal.com/notifications");
    assert_eq!(
        p.requests[0].header_value("authorization"),
        Some(format!("Key {legacy}").as_str())
    );
    let mut old = profile();
    old.settings.insert("key_kind".into(), "legacy".into());
    let p = prepare_with(&old, "os_v2_app_abc").expect("prepares");
    assert_eq!(
        p.requests[0].header_value("authorization"),
        Some("Basic os_v2_app_abc")
    );
    // A base URL override still wins (a proxy, a stand-in).
    old.base_url = Some("http://127.0.0.1:9/api/v1".into());
    let p = prepare_with(&old, legacy).expect("prepares");
    assert_eq!(p.requests[0].url, "http://127.0.0.1:9/api/v1/notifications");
    let mut bad = profile();
    bad.settings.insert("key_kind".into(), "rest".into());
    let err = prepare_with(&bad, legacy).expect_err("refused").to_string();
    assert!(err.contains("settings.key_kind"), "{err}");
}
