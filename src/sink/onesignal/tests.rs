use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::*;
use crate::finding::{Level, texts_at};
use crate::profile::{Profile, Secrets};
use crate::sink::testing::{arrival_of, begun, prepared, with_header};

const BASE: &str = "http://127.0.0.1:8632";
const APP_ID: &str = "8a7b3c2d-1e0f-4a5b-9c8d-944455556666";
const KEY: &str = "os_v2_app_sink5ecretkey0123456789abcdefghijklmnopq";

fn profile(base: &str, key_kind: Option<&str>) -> Profile {
    let mut p = Profile::new("os", "onesignal");
    p.base_url = Some(base.into());
    p.settings.insert("app_id".into(), APP_ID.into());
    if let Some(kind) = key_kind {
        p.settings.insert("key_kind".into(), kind.into());
    }
    p
}

fn secrets(key: &str) -> Secrets {
    let mut s = Secrets::default();
    s.insert("api_key", key.into());
    s
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

fn sink_with(key: &str, with_profile: bool) -> OneSignalSink {
    let (p, s) = (profile(BASE, None), secrets(key));
    begun(
        OneSignalSink::default(),
        with_profile.then_some((&p, &s)),
        BASE,
        now(),
    )
}

fn sink() -> OneSignalSink {
    sink_with(KEY, true)
}

fn send_with(audience: Value, key: &str) -> Arrival {
    let request = prepared(
        "onesignal",
        json!({"profile": "os",
               "message": {"title": "Flash sale", "body": "50% off today", "url": "https://acme.example/sale",
                           "buttons": [{"id": "shop", "label": "Shop now"}], "data": {"campaign": "fall"}},
               "audience": audience}),
        &profile(BASE, None),
        &secrets(key),
        now(),
    );
    arrival_of(&request, now())
}

fn send() -> Arrival {
    send_with(json!({"segments": ["Active Users"]}), KEY)
}

/// The arrival with its JSON body changed by `edit`.
fn edited(arrival: Arrival, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Arrival {
    let mut body: Value = serde_json::from_slice(&arrival.body).expect("JSON");
    edit(body.as_object_mut().expect("an object"));
    Arrival {
        body: bytes::Bytes::from(body.to_string()),
        ..arrival
    }
}

fn reply(v: &Verdict) -> Value {
    serde_json::from_slice(&v.body).expect("the sink answers JSON")
}

fn first_error(v: &Verdict) -> String {
    reply(v)["errors"][0]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn the_embedded_spec_subset_reads() {
    let spec = spec::spec();
    for field in [
        "app_id",
        "contents",
        "headings",
        "included_segments",
        "filters",
        "buttons",
        "idempotency_key",
    ] {
        assert!(spec.properties.contains_key(field), "{field}");
    }
    assert!(spec.languages.iter().any(|l| l == "en"));
    assert_eq!(spec.button.required, ["id"]);
}

/// The embedded subset still lists every field of the document in tests/fixtures (rerun
/// scripts/onesignal-spec-subset when the document is updated).
#[test]
fn the_embedded_subset_matches_the_api_document() {
    fn walk(schemas: &Value, schema: &Value, out: &mut std::collections::BTreeSet<String>) {
        if let Some(name) = schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
            walk(schemas, &schemas[name], out);
        }
        if let Some(props) = schema["properties"].as_object() {
            out.extend(props.keys().cloned());
        }
        for key in ["allOf", "anyOf", "oneOf"] {
            for sub in schema[key].as_array().into_iter().flatten() {
                walk(schemas, sub, out);
            }
        }
    }
    let document: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/specs/onesignal-openapi.json"
    ))
    .expect("the OpenAPI document is JSON");
    let schemas = &document["components"]["schemas"];
    let mut fields = std::collections::BTreeSet::new();
    walk(schemas, &schemas["Notification"], &mut fields);
    let embedded: Value =
        serde_json::from_str(include_str!("../specs/onesignal-notification.json"))
            .expect("the subset is JSON");
    let subset: std::collections::BTreeSet<String> = embedded["properties"]
        .as_object()
        .expect("properties")
        .keys()
        .cloned()
        .collect();
    assert_eq!(subset, fields);
}

#[test]
fn pushdecks_own_send_is_checked_and_answered() {
    let v = sink().answer(&send(), None);
    assert_eq!(v.status, 200, "{} {:?}", reply(&v), v.findings);
    assert_eq!(texts_at(&v.findings, Level::Fail), "");
    assert_eq!(texts_at(&v.findings, Level::Warn), "", "{:?}", v.findings);
    let body = reply(&v);
    assert!(uuid::Uuid::parse_str(body["id"].as_str().expect("an id")).is_ok());
    assert_eq!(body["external_id"], Value::Null);
    assert!(texts_at(&v.findings, Level::Ok).contains("The API key is the profile's"));
    assert!(
        v.summary
            .starts_with("notification “Flash sale” to segments Active Users → 200 "),
        "{}",
        v.summary
    );
    assert_eq!(v.secrets, [("api_key".to_string(), KEY.to_string())]);
}

#[test]
fn pushdecks_alias_and_subscription_sends_pass() {
    for audience in [
        json!({"external_ids": ["user-1", "user-2"]}),
        json!({"subscription_ids": ["1dd608f2-c6a1-11e3-851d-000c2940e62c"]}),
        json!({"filters": [{"field": "tag", "key": "level", "relation": ">", "value": "10"}]}),
    ] {
        let v = sink().answer(&send_with(audience.clone(), KEY), None);
        assert_eq!(v.status, 200, "{audience}: {} {:?}", reply(&v), v.findings);
    }
}

#[test]
fn without_a_profile_the_key_is_not_verified() {
    let v = sink_with(KEY, false).answer(
        &send_with(json!({"segments": ["All"]}), "os_v2_app_another"),
        None,
    );
    assert_eq!(v.status, 200);
    assert!(
        texts_at(&v.findings, Level::Warn).contains("not verified: start the sink with --profile")
    );
}

#[test]
fn another_key_is_access_denied() {
    let v = sink().answer(
        &send_with(json!({"segments": ["All"]}), "os_v2_app_wrongwrongwrong"),
        None,
    );
    assert_eq!(v.status, 403);
    assert_eq!(first_error(&v), body::ACCESS_DENIED);
    let v = sink().answer(&with_header(send(), "authorization", "Bearer abc"), None);
    assert_eq!(v.status, 403);
}

#[test]
fn a_legacy_key_on_the_legacy_api_is_taken() {
    let legacy = "NGEwMGZmMjItY2NkNy0xMWUzLTk5ZDUtMDAwYzI5NDBlNjJj";
    let (p, s) = (
        profile(&format!("{BASE}/api/v1"), Some("legacy")),
        secrets(legacy),
    );
    let sink = begun(OneSignalSink::default(), Some((&p, &s)), BASE, now());
    let request = prepared(
        "onesignal",
        json!({"profile": "os", "message": {"body": "hi"}, "audience": {"segments": ["All"]}}),
        &p,
        &s,
        now(),
    );
    let a = arrival_of(&request, now());
    assert_eq!(a.path(), "/api/v1/notifications");
    assert_eq!(
        a.header("authorization"),
        Some(format!("Basic {legacy}").as_str())
    );
    let v = sink.answer(&a, None);
    assert_eq!(v.status, 200, "{} {:?}", reply(&v), v.findings);
}

#[test]
fn contents_without_english_are_refused_in_onesignals_words() {
    let a = edited(send(), |b| {
        b.insert("contents".into(), json!({"fr": "Bonjour"}));
    });
    let v = sink().answer(&a, None);
    assert_eq!(v.status, 400);
    assert_eq!(first_error(&v), body::NO_ENGLISH);
    assert!(texts_at(&v.findings, Level::Fail).contains("`contents` has no `en`"));
}

#[test]
fn the_audience_must_be_exactly_one_method() {
    let none = edited(send(), |b| {
        b.remove("included_segments");
    });
    let v = sink().answer(&none, None);
    assert_eq!(
        (v.status, first_error(&v)),
        (400, body::NO_AUDIENCE.to_string())
    );
    let two = edited(send(), |b| {
        b.insert(
            "include_subscription_ids".into(),
            json!(["1dd608f2-c6a1-11e3-851d-000c2940e62c"]),
        );
    });
    let v = sink().answer(&two, None);
    assert_eq!(v.status, 400);
    assert!(
        first_error(&v).contains("combines segments and subscription ids"),
        "{}",
        first_error(&v)
    );
}

#[test]
fn aliases_need_a_target_channel() {
    let a = edited(send_with(json!({"external_ids": ["u1"]}), KEY), |b| {
        b.remove("target_channel");
    });
    let v = sink().answer(&a, None);
    assert_eq!(v.status, 400);
    assert!(first_error(&v).contains("target_channel"));
}

#[test]
fn types_come_from_the_api_document() {
    let a = edited(send(), |b| {
        b.insert("ttl".into(), json!("soon"));
        b.insert("target_channel".into(), json!("pigeon"));
    });
    let v = sink().answer(&a, None);
    assert_eq!(v.status, 400);
    let errors = reply(&v)["errors"].to_string();
    assert!(errors.contains("`ttl` must be an integer"), "{errors}");
    assert!(
        errors.contains("`target_channel` must be one of push, email, sms"),
        "{errors}"
    );
}

#[test]
fn a_filter_relation_outside_the_document_is_refused() {
    let a = edited(
        send_with(
            json!({"filters": [{"field": "tag", "key": "level", "relation": ">", "value": 10}]}),
            KEY,
        ),
        |b| {
            b.insert(
                "filters".into(),
                json!([{"field": "tag", "key": "level", "relation": "~", "value": "10"}]),
            );
        },
    );
    let v = sink().answer(&a, None);
    assert_eq!(v.status, 400);
    assert!(first_error(&v).contains("relation"), "{}", first_error(&v));
}

#[test]
fn more_than_three_buttons_or_one_without_id_are_refused() {
    let four = edited(send(), |b| {
        b.insert(
            "buttons".into(),
            json!([{"id": "a"}, {"id": "b"}, {"id": "c"}, {"id": "d"}]),
        );
    });
    assert!(first_error(&sink().answer(&four, None)).contains("at most 3"));
    let no_id = edited(send(), |b| {
        b.insert("buttons".into(), json!([{"text": "Shop"}]));
    });
    assert!(first_error(&sink().answer(&no_id, None)).contains("lacks its required `id`"));
}

#[test]
fn another_apps_id_and_a_bad_idempotency_key_are_refused() {
    let other = edited(send(), |b| {
        b.insert(
            "app_id".into(),
            json!("11111111-2222-4333-8444-555555555555"),
        );
    });
    assert_eq!(sink().answer(&other, None).status, 403);
    let missing = edited(send(), |b| {
        b.remove("app_id");
    });
    assert_eq!(first_error(&sink().answer(&missing, None)), body::NO_APP_ID);
    let key = edited(send(), |b| {
        b.insert("idempotency_key".into(), json!("again"));
    });
    assert!(first_error(&sink().answer(&key, None)).contains("idempotency_key"));
}

#[test]
fn an_oversized_notification_is_refused() {
    let a = edited(send(), |b| {
        b.insert("data".into(), json!({"blob": "x".repeat(5000)}));
    });
    let v = sink().answer(&a, None);
    assert_eq!(v.status, 400);
    assert!(
        first_error(&v).contains("a push carries at most 4096"),
        "{}",
        first_error(&v)
    );
}

#[test]
fn a_body_that_is_not_json_is_refused() {
    let mut a = send();
    a.body = bytes::Bytes::from_static(b"app_id=1");
    assert_eq!(sink().answer(&a, None).status, 400);
    let form = with_header(send(), "content-type", "application/x-www-form-urlencoded");
    assert_eq!(first_error(&sink().answer(&form, None)), body::NO_APP_ID);
}

#[test]
fn rehearsals_answer_onesignals_bodies() {
    for r in REHEARSALS {
        let v = sink().answer(&send(), Some(r));
        assert_eq!(v.status, r.status, "{}", r.name);
        assert!(reply(&v)["errors"].is_array(), "{}", r.name);
        assert_eq!(
            texts_at(&v.findings, Level::Fail),
            "",
            "{}: checks still run",
            r.name
        );
        let retry = v.headers.iter().any(|(n, _)| n == "Retry-After");
        assert_eq!(retry, r.status == 429, "{}", r.name);
    }
    let v = sink().answer(&send(), Some(&REHEARSALS[0]));
    assert_eq!(reply(&v)["id"], "");
}

#[test]
fn pushdecks_check_reads_the_segments() {
    use crate::provider::{Call, CallPlan, find};
    let CallPlan::Request(request) = find("onesignal")
        .expect("onesignal")
        .call(&Call::Check, &profile(BASE, None), &secrets(KEY))
        .expect("a check")
    else {
        panic!("the OneSignal check is a request");
    };
    let v = sink().answer(&arrival_of(&request, now()), None);
    assert_eq!(v.status, 200, "{}", reply(&v));
    assert_eq!(reply(&v)["segments"][0]["name"], "Total Subscriptions");
}

#[test]
fn a_repeated_idempotency_key_is_replayed_not_sent_again() {
    let sink = sink();
    let first = sink.answer(&send(), None);
    let again = sink.answer(&send(), None);
    assert_eq!(reply(&first)["id"], reply(&again)["id"]);
    assert!(
        again
            .headers
            .iter()
            .any(|(n, v)| n == "Idempotent-Replayed" && v == "true")
    );
    assert!(
        !first
            .headers
            .iter()
            .any(|(n, _)| n == "Idempotent-Replayed")
    );
    let other = edited(send(), |b| {
        b.insert(
            "idempotency_key".into(),
            json!(uuid::Uuid::new_v4().to_string()),
        );
    });
    assert_ne!(reply(&sink.answer(&other, None))["id"], reply(&first)["id"]);
}

#[test]
fn an_organization_key_cannot_send() {
    let v = sink_with(KEY, false).answer(
        &with_header(
            send(),
            "authorization",
            "Key os_v2_org_organisationkey0123456789",
        ),
        None,
    );
    assert_eq!(v.status, 403);
    assert!(texts_at(&v.findings, Level::Fail).contains("Organization key"));
}
