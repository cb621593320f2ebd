use serde_json::json;
use time::macros::datetime;

use super::*;
use crate::http::{Body, ResponseDump};
use crate::outcome::Verdict;
use crate::provider::PrepareContext;

const CONNECTION: &str = "Endpoint=sb://acme-ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey=AcmeKeyNotReal0123456789+/abcdefghijklmnop=";
/// Computed with Python (see sas.rs) for the hub URL above, key above, se = now + 300.
const AUTH: &str = "SharedAccessSignature sr=https%3a%2f%2facme-ns.servicebus.windows.net%2facme-hub&sig=TktVCORKUuI%2F5sXviv1siSqGm%2FSnFNpAfuyZftaq%2FhA%3D&se=1795521900&skn=DefaultFullSharedAccessSignature";

fn profile() -> Profile {
    let mut p = Profile::new("acme-hub", "azure");
    p.settings.insert("hub".into(), "acme-hub".into());
    p
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.insert("connection_string", CONNECTION.into());
    s
}

fn prepare_with(draft: &Draft, dry_run: bool) -> Result<Prepared, DraftError> {
    Azure.prepare(&PrepareContext {
        draft,
        profile: &profile(),
        secrets: &secrets(),
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: "k",
        token: None,
        dry_run,
    })
}

fn prepare(draft: &Draft) -> Result<Prepared, DraftError> {
    prepare_with(draft, false)
}

fn draft(v: serde_json::Value) -> Draft {
    Draft::from_json(&v.to_string()).expect("valid draft")
}

fn message(format: &str, extra: serde_json::Value) -> Draft {
    let mut options = json!({"format": format});
    if let Some(map) = extra.as_object() {
        for (k, v) in map {
            options[k] = v.clone();
        }
    }
    draft(json!({
        "profile": "acme-hub",
        "message": {
            "title": "Flash sale", "subtitle": "Today only", "body": "50% off <everything> & more",
            "url": "https://acme.example/sale", "image": "https://acme.example/banner.png",
            "buttons": [{"id": "shop", "label": "Shop now"}],
            "data": {"campaign": "fall-2026", "n": 3}
        },
        "audience": {"tags": ["vip"]},
        "options": options
    }))
}

/// (headers without Authorization, body) of the one request.
fn wire(p: &Prepared) -> (Vec<(String, String)>, String) {
    let r = &p.requests[0];
    let headers = r
        .headers
        .iter()
        .filter(|(n, _)| n != "Authorization")
        .cloned()
        .collect();
    (headers, r.body.as_text().expect("text").to_string())
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn apple_byte_for_byte_with_sas_header() {
    let p = prepare(&message("apple", json!({"badge": 2, "ttl": 3600}))).expect("prepares");
    let r = &p.requests[0];
    assert_eq!(r.method, "POST");
    assert_eq!(
        r.url,
        "https://acme-ns.servicebus.windows.net/acme-hub/messages/?api-version=2020-06"
    );
    assert_eq!(r.header_value("Authorization"), Some(AUTH));
    let (headers, body) = wire(&p);
    assert_eq!(
        headers,
        h(&[
            ("Content-Type", "application/json;charset=utf-8"),
            ("apns-push-type", "alert"),
            ("apns-priority", "10"),
            ("ServiceBusNotification-Apns-Expiry", "2026-11-24T13:00:00Z"),
            ("ServiceBusNotification-Format", "apple"),
            ("x-ms-version", "2020-06"),
            ("ServiceBusNotification-Tags", "vip"),
        ])
    );
    assert_eq!(
        body,
        r#"{"aps":{"alert":{"title":"Flash sale","subtitle":"Today only","body":"50% off <everything> & more"},"badge":2,"sound":"default","category":"shop","mutable-content":1},"image":"https://acme.example/banner.png","url":"https://acme.example/sale","campaign":"fall-2026","n":3}"#
    );
    assert!(
        p.warnings.iter().any(|w| w.contains("category “shop”")),
        "{:?}",
        p.warnings
    );
    // The signature is masked in every dump; sr, se and skn stay readable.
    let red = serde_json::to_string(&r.redacted()).expect("json");
    assert!(!red.contains("TktVCORKUuI%2F5sXviv1siSqGm"), "{red}");
    assert!(
        red.contains("skn=DefaultFullSharedAccessSignature"),
        "{red}"
    );
    let curl = crate::http::to_curl(r, false);
    assert!(curl.contains("${PUSHDECK_SAS_SIGNATURE}"), "{curl}");
}

#[test]
fn apple_silent_is_background() {
    let d = draft(
        json!({"profile": "p", "message": {"silent": true, "data": {"sync": true}},
        "options": {"format": "apple"}}),
    );
    let (headers, body) = wire(&prepare(&d).expect("prepares"));
    assert_eq!(body, r#"{"aps":{"content-available":1},"sync":true}"#);
    assert!(headers.contains(&("apns-push-type".into(), "background".into())));
    assert!(headers.contains(&("apns-priority".into(), "5".into())));
    assert!(
        !headers
            .iter()
            .any(|(n, _)| n == "ServiceBusNotification-Tags")
    );
}

#[test]
fn fcmv1_byte_for_byte() {
    let p = prepare(&message("fcmv1", json!({"ttl": 3600, "priority": "high"}))).expect("prepares");
    let (headers, body) = wire(&p);
    assert_eq!(
        headers,
        h(&[
            ("Content-Type", "application/json;charset=utf-8"),
            ("ServiceBusNotification-Format", "fcmv1"),
            ("x-ms-version", "2020-06"),
            ("ServiceBusNotification-Tags", "vip"),
        ])
    );
    assert_eq!(
        body,
        r#"{"message":{"notification":{"title":"Flash sale","body":"50% off <everything> & more","image":"https://acme.example/banner.png"},"data":{"campaign":"fall-2026","n":"3","url":"https://acme.example/sale"},"android":{"ttl":"3600s","priority":"HIGH"}}}"#
    );
    assert!(p.warnings.iter().any(|w| w.contains("no subtitle")));
}

#[test]
fn gcm_byte_for_byte() {
    let p = prepare(&message("gcm", json!({"ttl": 60}))).expect("prepares");
    let (headers, body) = wire(&p);
    assert_eq!(
        headers[0],
        (
            "Content-Type".into(),
            "application/json;charset=utf-8".into()
        )
    );
    assert!(headers.contains(&("ServiceBusNotification-Format".into(), "gcm".into())));
    assert_eq!(
        body,
        r#"{"notification":{"title":"Flash sale","body":"50% off <everything> & more","image":"https://acme.example/banner.png"},"data":{"campaign":"fall-2026","n":3},"time_to_live":60}"#
    );
    assert!(p.warnings.iter().any(|w| w.contains("shut down")));
}

#[test]
fn windows_toast_byte_for_byte() {
    let p = prepare(&message("windows", json!({}))).expect("prepares");
    let (headers, body) = wire(&p);
    assert_eq!(
        headers,
        h(&[
            ("Content-Type", "application/xml;charset=utf-8"),
            ("X-WNS-Type", "wns/toast"),
            ("ServiceBusNotification-Format", "windows"),
            ("x-ms-version", "2020-06"),
            ("ServiceBusNotification-Tags", "vip"),
        ])
    );
    assert_eq!(
        body,
        r#"<toast activationType="protocol" launch="https://acme.example/sale"><visual><binding template="ToastGeneric"><text>Flash sale</text><text>Today only</text><text>50% off &lt;everything&gt; &amp; more</text><image placement="hero" src="https://acme.example/banner.png"/></binding></visual><actions><action content="Shop now" arguments="shop" activationType="foreground"/></actions></toast>"#
    );
    assert!(wns::check_xml(&body).is_ok());
}

#[test]
fn windows_tile_badge_raw() {
    let p = prepare(&message("windows", json!({"wns_type": "tile", "ttl": 600}))).expect("tile");
    let (headers, body) = wire(&p);
    assert!(headers.contains(&("X-WNS-Type".into(), "wns/tile".into())));
    assert!(headers.contains(&("X-WNS-TTL".into(), "600".into())));
    assert!(
        body.starts_with(
            "<tile><visual><binding template=\"TileMedium\"><image placement=\"background\""
        ),
        "{body}"
    );
    assert!(wns::check_xml(&body).is_ok(), "{body}");

    let p = prepare(&message(
        "windows",
        json!({"wns_type": "badge", "badge": 7}),
    ))
    .expect("badge");
    let (headers, body) = wire(&p);
    assert_eq!(body, r#"<badge value="7"/>"#);
    assert!(headers.contains(&("X-WNS-Type".into(), "wns/badge".into())));
    let e = prepare(&message("windows", json!({"wns_type": "badge"}))).expect_err("no number");
    assert_eq!(e.field, "options.badge");

    let p = prepare(&message("windows", json!({"wns_type": "raw"}))).expect("raw");
    let (headers, body) = wire(&p);
    assert_eq!(
        headers[0],
        ("Content-Type".into(), "application/octet-stream".into())
    );
    assert!(headers.contains(&("X-WNS-Type".into(), "wns/raw".into())));
    assert_eq!(
        body,
        r#"{"title":"Flash sale","body":"50% off <everything> & more","url":"https://acme.example/sale","data":{"campaign":"fall-2026","n":3}}"#
    );
    let e = prepare(&message("apple", json!({"wns_type": "raw"}))).expect_err("wns_type on apple");
    assert_eq!(e.field, "options.wns_type");
}

#[test]
fn windowsphone_adm_baidu_template() {
    let (headers, body) = wire(&prepare(&message("windowsphone", json!({}))).expect("mpns"));
    assert_eq!(headers[0].1, "application/xml;charset=utf-8");
    assert!(headers.contains(&("X-WindowsPhone-Target".into(), "toast".into())));
    assert!(headers.contains(&("X-NotificationClass".into(), "2".into())));
    assert_eq!(
        body,
        r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:Toast><wp:Text1>Flash sale</wp:Text1><wp:Text2>50% off &lt;everything&gt; &amp; more</wp:Text2><wp:Param>https://acme.example/sale</wp:Param></wp:Toast></wp:Notification>"#
    );
    assert!(wns::check_xml(&body).is_ok());

    let (headers, body) = wire(&prepare(&message("adm", json!({"ttl": 86400}))).expect("adm"));
    assert_eq!(headers[0].1, "application/json;charset=utf-8");
    assert!(headers.contains(&("ServiceBusNotification-Format".into(), "adm".into())));
    assert_eq!(
        body,
        r#"{"data":{"title":"Flash sale","body":"50% off <everything> & more","url":"https://acme.example/sale","image":"https://acme.example/banner.png","campaign":"fall-2026","n":"3"},"expiresAfter":86400}"#
    );

    let (_, body) = wire(&prepare(&message("baidu", json!({}))).expect("baidu"));
    assert_eq!(
        body,
        r#"{"title":"Flash sale","description":"50% off <everything> & more","custom_content":{"campaign":"fall-2026","n":3,"url":"https://acme.example/sale"}}"#
    );

    let (headers, body) = wire(&prepare(&message("template", json!({}))).expect("template"));
    assert!(headers.contains(&("ServiceBusNotification-Format".into(), "template".into())));
    assert_eq!(
        body,
        r#"{"title":"Flash sale","subtitle":"Today only","body":"50% off <everything> & more","url":"https://acme.example/sale","image":"https://acme.example/banner.png","campaign":"fall-2026","n":"3"}"#
    );
}

#[test]
fn raw_payloads_are_validated() {
    let raw = |format: &str, raw: serde_json::Value| {
        prepare(&draft(
            json!({"profile": "p", "options": {"format": format, "raw": raw}}),
        ))
    };
    let (_, body) = wire(&raw("apple", json!({"aps": {"alert": "Hi"}})).expect("object"));
    assert_eq!(body, r#"{"aps":{"alert":"Hi"}}"#);
    let (_, body) = wire(&raw("apple", json!("{\"aps\":{\"badge\":1}}")).expect("string"));
    assert_eq!(body, r#"{"aps":{"badge":1}}"#);
    let e = raw("apple", json!("{\"aps\":")).expect_err("bad json");
    assert_eq!(e.field, "options.raw");
    assert!(e.message.starts_with("invalid JSON"), "{e}");
    let e = raw("apple", json!({"aps": "x"})).expect_err("aps not an object");
    assert_eq!(e.field, "options.raw.aps");
    let e = raw("fcmv1", json!({"message": {"token": "x"}})).expect_err("target");
    assert_eq!(e.field, "options.raw.message.token");
    let e = raw("template", json!({"n": 1})).expect_err("non-string");
    assert_eq!(e.field, "options.raw.n");

    let xml = "<toast><visual><binding template=\"ToastGeneric\"><text>Hi</text></binding></visual></toast>";
    let (headers, body) = wire(&raw("windows", json!(xml)).expect("xml"));
    assert_eq!(body, xml);
    assert_eq!(headers[0].1, "application/xml;charset=utf-8");
    for bad in [
        "<toast><visual></toast>",
        "<toast>",
        "<a/><b/>",
        "<a attr=x/>",
    ] {
        let e = raw("windows", json!(bad)).expect_err(bad);
        assert_eq!(e.field, "options.raw");
        assert!(e.message.starts_with("invalid XML"), "{bad}: {e}");
    }
}

#[test]
fn a_data_only_apple_payload_is_sent_as_background_with_a_warning() {
    let p = prepare(&draft(json!({"profile": "p", "options": {
        "format": "apple", "raw": {"sync": "inbox", "n": 3}}})))
    .expect("data-only is accepted");
    let (headers, body) = wire(&p);
    assert_eq!(body, r#"{"sync":"inbox","n":3}"#);
    assert!(headers.contains(&("apns-push-type".into(), "background".into())));
    assert!(headers.contains(&("apns-priority".into(), "5".into())));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("no aps: iOS delivers it as a background/data message only")),
        "{:?}",
        p.warnings
    );
}

#[test]
fn raw_windows_payloads_go_out_with_the_type_their_root_names() {
    let raw = |format: &str, raw: serde_json::Value| {
        prepare(&draft(
            json!({"profile": "p", "options": {"format": format, "raw": raw}}),
        ))
        .expect(format)
    };
    let header = |p: &Prepared, name: &str| {
        wire(p)
            .0
            .into_iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    };
    for (xml, kind) in [
        (
            "<toast><visual><binding template=\"ToastGeneric\"><text>Hi</text></binding></visual></toast>",
            "toast",
        ),
        (
            "<tile><visual><binding template=\"TileMedium\"><text>3</text></binding></visual></tile>",
            "tile",
        ),
        ("<badge value=\"7\"/>", "badge"),
    ] {
        let p = raw("windows", json!(xml));
        assert_eq!(
            header(&p, "X-WNS-Type").as_deref(),
            Some(format!("wns/{kind}").as_str())
        );
        assert_eq!(
            header(&p, "Content-Type").as_deref(),
            Some("application/xml;charset=utf-8")
        );
        let said = format!("X-WNS-Type wns/{kind} taken from the payload's <{kind}> root.");
        assert!(p.warnings.contains(&said), "{:?}", p.warnings);
    }
    // Not XML at all: a WNS raw notification, as bytes.
    for payload in [json!("sync:42"), json!({"sync": 42})] {
        let p = raw("windows", payload.clone());
        assert_eq!(
            header(&p, "X-WNS-Type").as_deref(),
            Some("wns/raw"),
            "{payload}"
        );
        assert_eq!(
            header(&p, "Content-Type").as_deref(),
            Some("application/octet-stream")
        );
        assert!(
            p.warnings.iter().any(|w| w.contains("wns/raw")),
            "{:?}",
            p.warnings
        );
    }
    // The user's own choice wins, without a word.
    let p = prepare(&draft(json!({"profile": "p", "options": {
        "format": "windows", "wns_type": "toast", "raw": "<tile><visual/></tile>"}})))
    .expect("chosen");
    assert_eq!(header(&p, "X-WNS-Type").as_deref(), Some("wns/toast"));
    assert!(!p.warnings.iter().any(|w| w.contains("X-WNS-Type")));

    // MPNS: a tile is target token, class 1; a toast target toast, class 2.
    let tile = "<?xml version=\"1.0\" encoding=\"utf-8\"?><wp:Notification xmlns:wp=\"WPNotification\"><wp:Tile><wp:Count>3</wp:Count></wp:Tile></wp:Notification>";
    let p = raw("windowsphone", json!(tile));
    assert_eq!(
        header(&p, "X-WindowsPhone-Target").as_deref(),
        Some("token")
    );
    assert_eq!(header(&p, "X-NotificationClass").as_deref(), Some("1"));
    assert!(
        p.warnings.iter().any(|w| w.contains("<wp:Tile>")),
        "{:?}",
        p.warnings
    );
    let toast = tile.replace("wp:Tile", "wp:Toast");
    let p = raw("windowsphone", json!(toast));
    assert_eq!(
        header(&p, "X-WindowsPhone-Target").as_deref(),
        Some("toast")
    );
    assert_eq!(header(&p, "X-NotificationClass").as_deref(), Some("2"));
}

#[test]
fn audiences() {
    let with = |audience: serde_json::Value| {
        draft(json!({"profile": "p", "message": {"body": "Hi"}, "audience": audience}))
    };
    let tags_of = |d: &Draft| {
        prepare(d).map(|p| {
            p.requests[0]
                .header_value("ServiceBusNotification-Tags")
                .map(str::to_string)
        })
    };
    assert_eq!(
        tags_of(&with(json!({"tags": ["a", "b:c"]}))).expect("tags"),
        Some("a || b:c".into())
    );
    assert_eq!(
        tags_of(&with(json!({"tag_expression": " (a || b) && !c "}))).expect("expr"),
        Some("(a || b) && !c".into())
    );
    let e = tags_of(&with(json!({"tag_expression": "a && (b"}))).expect_err("bad");
    assert_eq!(e.field, "audience.tag_expression");
    assert!(e.message.contains("at character 6"), "{e}");
    let e = tags_of(&with(json!({"tags": ["ok", "not ok"]}))).expect_err("space");
    assert_eq!(e.field, "audience.tags[1]");
    let many: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
    assert!(
        tags_of(&with(json!({"tags": many})))
            .expect_err("21")
            .message
            .contains("at most 20")
    );
    let e = tags_of(&with(json!({"tags": ["a"], "tag_expression": "b"}))).expect_err("two");
    assert_eq!(e.field, "audience");

    let everyone = with(json!({}));
    assert!(
        Azure
            .broadcast(&everyone)
            .is_some_and(|b| b.contains("every apple registration"))
    );
    assert!(Azure.broadcast(&with(json!({"tags": ["a"]}))).is_none());
    assert_eq!(
        Azure.audience_label(&with(json!({"tags": ["a"]}))),
        "registrations tagged “a”"
    );

    let direct = with(json!({"device_handle": "abcdef0123"}));
    let p = prepare(&direct).expect("direct");
    let r = &p.requests[0];
    assert_eq!(
        r.url,
        "https://acme-ns.servicebus.windows.net/acme-hub/messages/?direct&api-version=2020-06"
    );
    assert_eq!(
        r.header_value("ServiceBusNotification-DeviceHandle"),
        Some("abcdef0123")
    );
    assert!(Azure.broadcast(&direct).is_none());
    let e = prepare_with(&direct, true).expect_err("test + direct");
    assert!(e.message.contains("direct send"), "{e}");
}

#[test]
fn test_send_and_dry_run_use_the_test_mode() {
    let d = message("apple", json!({"test_send": true}));
    let p = prepare(&d).expect("test");
    assert_eq!(
        p.requests[0].url,
        "https://acme-ns.servicebus.windows.net/acme-hub/messages/?api-version=2020-06&test"
    );
    assert!(p.warnings.iter().any(|w| w.contains("at most 10")));
    let p = prepare_with(&message("apple", json!({})), true).expect("dry run");
    assert!(is_test(&p.requests[0].url));
    assert!(Azure.info().capabilities.server_dry_run);
}

#[test]
fn scheduled_send() {
    let p = prepare(&message(
        "apple",
        json!({"schedule_at": "2026-11-25T09:30:00+01:00"}),
    ))
    .expect("scheduled");
    let r = &p.requests[0];
    assert_eq!(
        r.url,
        "https://acme-ns.servicebus.windows.net/acme-hub/schedulednotifications/?api-version=2020-06"
    );
    assert_eq!(
        r.header_value("ServiceBusNotification-ScheduleTime"),
        Some("2026-11-25T08:30:00")
    );
    let past = prepare(&message(
        "apple",
        json!({"schedule_at": "2026-11-24T11:00:00Z"}),
    ))
    .expect_err("past");
    assert_eq!(past.field, "options.schedule_at");
    let far = prepare(&message(
        "apple",
        json!({"schedule_at": "2026-12-24T11:00:00Z"}),
    ))
    .expect_err("far");
    assert!(far.message.contains("7 days"), "{far}");
    let both = prepare(&message(
        "apple",
        json!({"schedule_at": "2026-11-25T08:30:00Z", "test_send": true}),
    ))
    .expect_err("test + schedule");
    assert_eq!(both.field, "options.test_send");
}

#[test]
fn settings_and_secrets_errors_name_the_field() {
    let d = message("apple", json!({}));
    let mut no_hub = profile();
    no_hub.settings.clear();
    let ctx = |profile: &Profile, secrets: &Secrets| {
        Azure.prepare(&PrepareContext {
            draft: &d,
            profile,
            secrets,
            now: datetime!(2026-11-24 12:00 UTC),
            idempotency_key: "k",
            token: None,
            dry_run: false,
        })
    };
    assert_eq!(
        ctx(&no_hub, &secrets()).expect_err("hub").field,
        "settings.hub"
    );
    assert_eq!(
        ctx(&profile(), &Secrets::default())
            .expect_err("secret")
            .field,
        "secret connection_string"
    );
    let mut bad = Secrets::default();
    bad.insert(
        "connection_string",
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKey=k".into(),
    );
    let e = ctx(&profile(), &bad).expect_err("no key name");
    assert!(e.message.contains("SharedAccessKeyName="), "{e}");
    let mut local = profile();
    local.base_url = Some("http://127.0.0.1:9/".into());
    let p = ctx(&local, &secrets()).expect("loopback");
    assert!(
        p.requests[0]
            .url
            .starts_with("http://127.0.0.1:9/acme-hub/messages/")
    );
    local.base_url = Some("http://example.com".into());
    assert_eq!(
        ctx(&local, &secrets()).expect_err("cleartext").field,
        "base_url"
    );
}

#[test]
fn the_example_draft_prepares() {
    let d = Draft::from_json(include_str!(
        "../../../assets/examples/azure-test-send.json"
    ))
    .expect("example draft");
    let p = prepare(&d).expect("prepares");
    let r = &p.requests[0];
    assert!(is_test(&r.url));
    assert_eq!(
        r.header_value("ServiceBusNotification-Tags"),
        Some("(follows_RedSox || follows_Cardinals) && location_Boston")
    );
}

mod headers;
mod interpret;
