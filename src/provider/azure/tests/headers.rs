//! `options.headers`: extra headers for the hub to pass on, checked, and refused when Pushdeck
//! sets them itself.

use super::*;

fn with_headers(format: &str, headers: serde_json::Value) -> Result<Prepared, DraftError> {
    prepare(&message(format, json!({ "headers": headers })))
}

#[test]
fn custom_headers_go_out_beside_the_generated_ones() {
    let p = with_headers(
        "apple",
        json!({"apns-collapse-id": "sale-42", "ServiceBusNotification-Apns-Expiry": "2026-11-25T00:00:00Z"}),
    )
    .expect("custom headers");
    let (headers, _) = wire(&p);
    assert!(headers.contains(&("apns-collapse-id".into(), "sale-42".into())));
    assert!(headers.contains(&(
        "ServiceBusNotification-Apns-Expiry".into(),
        "2026-11-25T00:00:00Z".into()
    )));
    assert!(
        p.warnings.iter().all(|w| !w.contains("options.headers")),
        "{:?}",
        p.warnings
    );

    // One with a generated header's name replaces it, and says so.
    let p = with_headers(
        "windows",
        json!({"x-wns-type": "wns/tile", "X-WNS-Tag": "promo"}),
    )
    .expect("replace");
    let (headers, _) = wire(&p);
    let wns: Vec<_> = headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("X-WNS-Type"))
        .collect();
    assert_eq!(wns, [&("x-wns-type".to_string(), "wns/tile".to_string())]);
    assert!(headers.contains(&("X-WNS-Tag".into(), "promo".into())));
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("in place of the generated X-WNS-Type: wns/toast")),
        "{:?}",
        p.warnings
    );

    // A name the hub does not forward is sent, with a word of warning.
    let p = with_headers("apple", json!({"X-Campaign": "fall"})).expect("other name");
    assert!(
        p.warnings
            .iter()
            .any(|w| w.contains("may not pass X-Campaign on"))
    );
}

#[test]
fn headers_pushdeck_sets_itself_are_refused_with_the_reason() {
    for (name, reason) in [
        ("Authorization", "SAS token"),
        ("content-type", "options.format"),
        ("ServiceBusNotification-Format", "options.format"),
        ("ServiceBusNotification-Tags", "audience.tags"),
    ] {
        let e = with_headers("apple", json!({ name: "x" })).expect_err(name);
        assert_eq!(e.field, format!("options.headers.{name}"));
        assert!(
            e.message.contains("cannot be set here") && e.message.contains(reason),
            "{e}"
        );
    }
}

#[test]
fn header_names_and_values_are_checked() {
    let e = with_headers("apple", json!({"apns collapse id": "x"})).expect_err("space");
    assert_eq!(e.field, "options.headers.apns collapse id");
    assert!(e.message.contains("not a valid header name"), "{e}");
    let e = with_headers("apple", json!({"apns-priority": 5})).expect_err("number");
    assert!(e.message.contains("must be a string"), "{e}");
    let e = with_headers("apple", json!({"apns-id": "a\r\nX-Evil: 1"})).expect_err("crlf");
    assert!(e.message.contains("line breaks"), "{e}");
    let e = with_headers("apple", json!(["apns-id"])).expect_err("not an object");
    assert_eq!(e.field, "options.headers");
    let info = Azure.info();
    assert!(
        info.options
            .iter()
            .any(|f| f.key == "headers" && f.kind == FieldKind::Json)
    );
}
