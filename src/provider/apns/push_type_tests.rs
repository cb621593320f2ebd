//! Every push type → headers, topic suffix, priority and lint; Live Activity payloads byte for
//! byte; every documented reason explained.

use serde_json::{Value, json};
use time::macros::datetime;

use super::errors::{REASONS, hint_for};
use super::*;
use crate::provider::PrepareContext;

const KEY: &str = include_str!("../../../tests/fixtures/apns_test_key.p8");
const DEVICE: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";
const NOW: OffsetDateTime = datetime!(2026-11-24 12:07:30 UTC);

fn prepare(options: Value, message: Value) -> Result<Prepared, DraftError> {
    let mut p = Profile::new("acme-ios", "apns");
    for (k, v) in [
        ("key_id", "ABC123DEFG"),
        ("team_id", "DEF123GHIJ"),
        ("topic", "com.example.app"),
        ("environment", "sandbox"),
    ] {
        p.settings.insert(k.into(), v.into());
    }
    let mut s = Secrets::default();
    s.insert(auth::SECRET, KEY.into());
    let d = Draft::from_json(
        &json!({"profile": "acme-ios", "message": message,
            "audience": {"device_tokens": [DEVICE]}, "options": options})
        .to_string(),
    )
    .expect("draft");
    Apns.prepare(&PrepareContext {
        draft: &d,
        profile: &p,
        secrets: &s,
        now: NOW,
        idempotency_key: "k",
        token: Some("jwt"),
        dry_run: false,
    })
}

/// The lint's verdict: ok, a warning containing the text, or a refusal naming the field.
#[derive(Debug, PartialEq)]
enum Lint {
    Clean,
    Warns(&'static str),
}

#[test]
fn each_push_type_sets_its_header_topic_priority_and_lint() {
    let la = json!({"event": "update", "content_state": {"eta": 5}});
    let mdm = json!({"mdm": "7F3C-PUSHMAGIC"});
    // push type, message, data, extra options, topic, priority, body, lint
    let table: Vec<(&str, Value, Value, &str, &str, &str, Lint)> = vec![
        (
            "alert",
            json!({"body": "Hi"}),
            json!({}),
            "com.example.app",
            "10",
            r#"{"aps":{"alert":{"body":"Hi"},"sound":"default"}}"#,
            Lint::Clean,
        ),
        (
            "background",
            json!({"silent": true}),
            json!({}),
            "com.example.app",
            "5",
            r#"{"aps":{"content-available":1}}"#,
            Lint::Clean,
        ),
        (
            "location",
            json!({}),
            json!({}),
            "com.example.app.location-query",
            "10",
            r#"{"aps":{}}"#,
            Lint::Warns("Pushdeck's APNs reference does not confirm"),
        ),
        (
            "voip",
            json!({"body": "Call"}),
            json!({}),
            "com.example.app.voip",
            "10",
            r#"{"aps":{}}"#,
            Lint::Warns("handed to the app"),
        ),
        (
            "complication",
            json!({}),
            json!({}),
            "com.example.app.complication",
            "10",
            r#"{"aps":{}}"#,
            Lint::Clean,
        ),
        (
            "fileprovider",
            json!({}),
            json!({}),
            "com.example.app.pushkit.fileprovider",
            "10",
            r#"{"aps":{}}"#,
            Lint::Clean,
        ),
        (
            "mdm",
            json!({"data": mdm}),
            json!({}),
            "com.example.app",
            "10",
            r#"{"mdm":"7F3C-PUSHMAGIC"}"#,
            Lint::Warns("does not confirm"),
        ),
        (
            "liveactivity",
            json!({}),
            json!({"live_activity": la}),
            "com.example.app.push-type.liveactivity",
            "10",
            r#"{"aps":{"timestamp":1795522050,"event":"update","content-state":{"eta":5}}}"#,
            Lint::Clean,
        ),
        (
            "pushtotalk",
            json!({}),
            json!({}),
            "com.example.app.voip-ptt",
            "10",
            r#"{"aps":{}}"#,
            Lint::Warns("does not confirm"),
        ),
        (
            "widgets",
            json!({}),
            json!({}),
            "com.example.app.push-type.widgets",
            "10",
            r#"{"aps":{"content-changed":true}}"#,
            Lint::Warns("does not confirm"),
        ),
        (
            "controls",
            json!({}),
            json!({}),
            "com.example.app.push-type.controls",
            "10",
            r#"{"aps":{"content-changed":true}}"#,
            Lint::Warns("does not confirm"),
        ),
    ];
    assert_eq!(table.len(), push_types::PUSH_TYPES.len(), "every push type");
    let names: Vec<&str> = push_types::PUSH_TYPES.iter().map(|t| t.name).collect();
    assert_eq!(names, push_types::NAMES, "the choice lists every rule");
    for (push_type, message, extra, topic, priority, body, lint) in table {
        let mut options = json!({"push_type": push_type});
        for (k, v) in extra.as_object().expect("object") {
            options[k] = v.clone();
        }
        let p = prepare(options, message)
            .unwrap_or_else(|e| panic!("{push_type}: {}: {}", e.field, e.message));
        let r = &p.requests[0];
        assert_eq!(r.header_value("apns-push-type"), Some(push_type));
        assert_eq!(r.header_value("apns-topic"), Some(topic), "{push_type}");
        assert_eq!(
            r.header_value("apns-priority"),
            Some(priority),
            "{push_type}"
        );
        assert_eq!(r.body.as_text(), Some(body), "{push_type}");
        match lint {
            Lint::Clean => assert!(p.warnings.is_empty(), "{push_type}: {:?}", p.warnings),
            Lint::Warns(w) => assert!(
                p.warnings.iter().any(|x| x.contains(w)),
                "{push_type}: {:?}",
                p.warnings
            ),
        }
    }
}

#[test]
fn priorities_follow_apple() {
    let p = prepare(
        json!({"push_type": "alert", "priority": "low"}),
        json!({"body": "x"}),
    )
    .expect("alert may be 5");
    assert_eq!(p.requests[0].header_value("apns-priority"), Some("5"));
    let p = prepare(
        json!({"push_type": "background", "priority": "high"}),
        json!({"silent": true}),
    )
    .expect("background is forced to 5");
    assert_eq!(p.requests[0].header_value("apns-priority"), Some("5"));
    assert!(p.warnings.iter().any(|w| w.contains("priority 5")));
    let p = prepare(
        json!({"push_type": "background", "priority": "normal"}),
        json!({"silent": true}),
    )
    .expect("normal asks for nothing in particular");
    assert_eq!(p.requests[0].header_value("apns-priority"), Some("5"));
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    let p = prepare(
        json!({"push_type": "pushtotalk", "priority": "low"}),
        json!({}),
    )
    .expect("push to talk is forced to 10");
    assert_eq!(p.requests[0].header_value("apns-priority"), Some("10"));
    assert!(p.warnings.iter().any(|w| w.contains("priority 10")));
    let p = prepare(
        json!({"push_type": "liveactivity", "priority": "low",
        "live_activity": {"event": "end"}}),
        json!({}),
    )
    .expect("a Live Activity may be 5");
    assert_eq!(p.requests[0].header_value("apns-priority"), Some("5"));
}

#[test]
fn hard_conflicts_refuse_with_the_reason_in_words() {
    let refused = |options: Value, message: Value| {
        let e = prepare(options, message).expect_err("refused");
        (e.field, e.message)
    };
    let (field, why) = refused(
        json!({"push_type": "background", "raw": {"aps": {"content-available": 1, "alert": "hi"}}}),
        json!({}),
    );
    assert_eq!(field, "options.raw");
    assert!(
        why.contains("a background push with an alert is dropped by iOS"),
        "{why}"
    );
    let (_, why) = refused(
        json!({"push_type": "background", "raw": {"aps": {}}}),
        json!({}),
    );
    assert!(why.contains("content-available"), "{why}");
    let (field, _) = refused(
        json!({"push_type": "widgets", "raw": {"aps": {"alert": "x"}}}),
        json!({}),
    );
    assert_eq!(field, "options.raw");
    let (field, _) = refused(json!({"push_type": "mdm"}), json!({}));
    assert_eq!(field, "message.data.mdm");
    let (field, why) = refused(json!({"push_type": "liveactivity"}), json!({}));
    assert_eq!(field, "options.live_activity");
    assert!(why.contains("event"), "{why}");
    let (field, _) = refused(
        json!({"push_type": "alert", "live_activity": {"event": "end"}}),
        json!({"body": "x"}),
    );
    assert_eq!(field, "options.live_activity");
    let (field, _) = refused(
        json!({"push_type": "background", "interruption_level": "passive"}),
        json!({"silent": true}),
    );
    assert_eq!(field, "options.interruption_level");
    let (field, _) = refused(json!({"relevance_score": 2}), json!({"body": "x"}));
    assert_eq!(field, "options.relevance_score");
    let (field, _) = refused(json!({"ttl": 60, "expiration": 1}), json!({"body": "x"}));
    assert_eq!(field, "options.expiration");
}

#[test]
fn notification_extras_go_into_aps_and_expiration_into_the_header() {
    let p = prepare(
        json!({"interruption_level": "time-sensitive", "relevance_score": "0.5",
            "target_content_id": "order-42", "filter_criteria": "work",
            "expiration": "2026-11-24T13:00:00Z"}),
        json!({"body": "Hi"}),
    )
    .expect("prepares");
    let r = &p.requests[0];
    assert_eq!(
        r.body.as_text(),
        Some(
            r#"{"aps":{"alert":{"body":"Hi"},"sound":"default","target-content-id":"order-42","interruption-level":"time-sensitive","relevance-score":0.5,"filter-criteria":"work"}}"#
        )
    );
    assert_eq!(r.header_value("apns-expiration"), Some("1795525200"));
    let p = prepare(
        json!({"interruption_level": "critical", "expiration": 0}),
        json!({"body": "Hi"}),
    )
    .expect("prepares");
    assert_eq!(p.requests[0].header_value("apns-expiration"), Some("0"));
    assert!(p.warnings.iter().any(|w| w.contains("entitlement")));
}

fn live(la: Value) -> (String, Vec<String>) {
    let p = prepare(json!({"live_activity": la}), json!({})).expect("prepares");
    let r = &p.requests[0];
    assert_eq!(r.header_value("apns-push-type"), Some("liveactivity"));
    assert_eq!(
        r.header_value("apns-topic"),
        Some("com.example.app.push-type.liveactivity")
    );
    (
        r.body.as_text().expect("text").to_string(),
        p.warnings.clone(),
    )
}

#[test]
fn live_activity_start_update_end_byte_for_byte() {
    let (start, warnings) = live(json!({
        "event": "start", "attributes_type": "DeliveryAttributes",
        "attributes": {"orderNumber": "42"}, "content_state": {"status": "baking", "eta": 20},
        "stale_date": "2026-11-24T13:00:00Z", "relevance_score": 100,
        "alert": {"title": "Order 42", "body": "Your pizza is in the oven", "sound": "chime.aiff"}
    }));
    assert_eq!(
        start,
        r#"{"aps":{"timestamp":1795522050,"event":"start","content-state":{"status":"baking","eta":20},"attributes-type":"DeliveryAttributes","attributes":{"orderNumber":"42"},"stale-date":1795525200,"relevance-score":100,"alert":{"title":"Order 42","body":"Your pizza is in the oven","sound":"chime.aiff"}}}"#
    );
    assert!(warnings.is_empty(), "{warnings:?}");
    let (update, _) = live(json!({
        "event": "update", "content_state": {"status": "on the way", "eta": 10},
        "stale_date": 1795525200, "relevance_score": 50,
        "alert": {"title": "Order 42", "body": "On the way"}
    }));
    assert_eq!(
        update,
        r#"{"aps":{"timestamp":1795522050,"event":"update","content-state":{"status":"on the way","eta":10},"stale-date":1795525200,"relevance-score":50,"alert":{"title":"Order 42","body":"On the way"}}}"#
    );
    let (end, _) = live(json!({
        "event": "end", "content_state": {"status": "delivered", "eta": 0},
        "dismissal_date": 1795529250
    }));
    assert_eq!(
        end,
        r#"{"aps":{"timestamp":1795522050,"event":"end","content-state":{"status":"delivered","eta":0},"dismissal-date":1795529250}}"#
    );
    // A start without an alert is allowed but said.
    let (_, warnings) = live(json!({"event": "start", "attributes_type": "A",
        "attributes": {}, "content_state": {}}));
    assert!(
        warnings.iter().any(|w| w.contains("without an alert")),
        "{warnings:?}"
    );
}

#[test]
fn live_activity_mistakes_name_the_field() {
    for (la, field) in [
        (json!({"event": "begin"}), "options.live_activity.event"),
        (
            json!({"event": "update"}),
            "options.live_activity.content_state",
        ),
        (
            json!({"event": "start", "content_state": {}}),
            "options.live_activity.attributes_type",
        ),
        (
            json!({"event": "update", "content_state": {}, "attributes": {}}),
            "options.live_activity.attributes",
        ),
        (
            json!({"event": "update", "content_state": {}, "dismissal_date": 1}),
            "options.live_activity.dismissal_date",
        ),
        (
            json!({"event": "end", "stale_date": "tomorrow"}),
            "options.live_activity.stale_date",
        ),
        (
            json!({"event": "end", "alert": {"subtitle": "x"}}),
            "options.live_activity.alert.subtitle",
        ),
        (
            json!({"event": "end", "colour": 1}),
            "options.live_activity.colour",
        ),
        (json!("start"), "options.live_activity"),
    ] {
        let e = prepare(json!({"live_activity": la}), json!({})).expect_err("refused");
        assert_eq!(e.field, field, "{la}: {}", e.message);
    }
}

#[test]
fn every_documented_reason_has_a_fix() {
    for reason in REASONS {
        assert!(!hint_for(reason).is_empty(), "{reason} has no hint");
    }
    assert!(hint_for("UnrelatedKeyIdInToken").contains("Team ID"));
    assert!(hint_for("BadEnvironmentKeyInToken").contains("environment"));
    assert!(hint_for("TopicDisallowed").contains("suffix"));
    assert!(hint_for("TooManyProviderTokenUpdates").contains("20 minutes"));
}
