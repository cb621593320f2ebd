use std::time::{Duration, SystemTime};

use serde_json::json;

use super::*;
use crate::finding::{Level, texts_at};
use crate::profile::{Profile, Secrets};
use crate::sink::testing::{arrival_of, begun, prepared, with_header};

const BASE: &str = "http://127.0.0.1:8631";
const KEY: &str = "AcmeKeyNotReal0123456789+/abcdefghijklmnop=";

fn connection(key: &str) -> String {
    format!(
        "Endpoint=sb://acme-ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey={key}"
    )
}

fn profile() -> Profile {
    let mut p = Profile::new("acme", "azure");
    p.base_url = Some(BASE.into());
    p.settings.insert("hub".into(), "acme-hub".into());
    p
}

fn secrets(key: &str) -> Secrets {
    let mut s = Secrets::default();
    s.insert("connection_string", connection(key));
    s
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

fn sink(with_profile: bool) -> AzureSink {
    let (p, s) = (profile(), secrets(KEY));
    begun(
        AzureSink::default(),
        with_profile.then_some((&p, &s)),
        BASE,
        now(),
    )
}

fn arrival_with(draft: serde_json::Value, key: &str) -> Arrival {
    let request = prepared("azure", draft, &profile(), &secrets(key), now());
    arrival_of(&request, now() + Duration::from_secs(1))
}

fn send(audience: serde_json::Value, options: serde_json::Value) -> Arrival {
    arrival_with(
        json!({"profile": "acme", "message": {"title": "Flash sale", "body": "50% off"},
               "audience": audience, "options": options}),
        KEY,
    )
}

fn apple() -> Arrival {
    send(json!({"tags": ["vip", "fans"]}), json!({}))
}

fn body(v: &Verdict) -> String {
    String::from_utf8_lossy(&v.body).into_owned()
}

fn header<'a>(v: &'a Verdict, name: &str) -> Option<&'a str> {
    v.headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[test]
fn pushdecks_own_send_is_verified_and_answered_201() {
    let v = sink(true).answer(&apple(), None);
    assert_eq!(v.status, 201, "{} {:?}", body(&v), v.findings);
    assert_eq!(texts_at(&v.findings, Level::Fail), "");
    let ok = texts_at(&v.findings, Level::Ok);
    assert!(
        ok.contains("matches the key of policy DefaultFullSharedAccessSignature"),
        "{ok}"
    );
    assert!(ok.contains("Tag expression of 2 tags"), "{ok}");
    let location = header(&v, "Location").expect("a Location");
    assert!(
        location.starts_with("http://127.0.0.1:8631/acme-hub/messages/")
            && location.ends_with("?api-version=2020-06"),
        "{location}"
    );
    assert!(header(&v, "TrackingId").is_some_and(|t| t.ends_with("_G1")));
    assert!(v.body.is_empty());
    assert!(v.secrets.iter().any(|(n, _)| n == "sas_signature"));
    assert_eq!(v.summary, "send (apple) to tags “vip || fans” → 201");
    assert_eq!(v.decoded[0].label, "SAS token");
    assert_eq!(
        v.decoded[0].text,
        "resource (sr): http://127.0.0.1:8631/acme-hub\nexpires (se): 1795000300 = 2026-11-18T11:11:40Z\npolicy (skn): DefaultFullSharedAccessSignature"
    );
}

#[test]
fn without_a_profile_the_token_is_read_but_not_verified() {
    let v = sink(false).answer(&send(json!({}), json!({})), None);
    assert_eq!(v.status, 201, "{}", body(&v));
    assert!(
        texts_at(&v.findings, Level::Warn).contains("not verified: start the sink with --profile"),
        "{:?}",
        v.findings
    );
}

#[test]
fn another_key_is_refused_as_the_hub_refuses_it() {
    let a = arrival_with(
        json!({"profile": "acme", "message": {"body": "hi"}}),
        "SomeOtherKeyNotReal0123456789+/abcdefghijk=",
    );
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 401);
    assert!(
        body(&v).starts_with("<Error><Code>401</Code><Detail>InvalidSignature: The token has an invalid signature. TrackingId:"),
        "{}",
        body(&v)
    );
    assert!(texts_at(&v.findings, Level::Fail).contains("not the HMAC"));
}

#[test]
fn an_expired_token_is_expired_token() {
    let mut a = apple();
    a.received_at = now() + Duration::from_secs(400);
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 401);
    assert!(body(&v).contains("<Detail>ExpiredToken: ."), "{}", body(&v));
    assert!(texts_at(&v.findings, Level::Fail).contains("expired"));
}

#[test]
fn a_token_for_another_hub_does_not_cover_this_one() {
    let mut a = apple();
    a.target = a.target.replace("/acme-hub/", "/other-hub/");
    let v = sink(false).answer(&a, None);
    assert_eq!(v.status, 401);
    assert!(body(&v).contains("InvalidAudience"), "{}", body(&v));
    // With the profile, a hub that is not the profile's is not there at all.
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 404);
}

#[test]
fn no_authorization_is_missing_token() {
    let mut a = apple();
    a.headers.retain(|(n, _)| n != "authorization");
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 401);
    assert!(body(&v).contains("MissingToken"));
}

#[test]
fn a_missing_format_header_is_named() {
    let mut a = apple();
    a.headers
        .retain(|(n, _)| n != "servicebusnotification-format");
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 400);
    assert!(
        texts_at(&v.findings, Level::Fail).contains("No ServiceBusNotification-Format header"),
        "{:?}",
        v.findings
    );
}

#[test]
fn a_body_that_does_not_match_its_format_is_refused() {
    let mut a = send(json!({}), json!({"format": "fcmv1"}));
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 201, "{} {:?}", body(&v), v.findings);
    a.body =
        bytes::Bytes::from_static(br#"{"message":{"token":"abc","notification":{"body":"x"}}}"#);
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 400);
    assert!(texts_at(&v.findings, Level::Fail).contains("message.token"));
}

#[test]
fn windows_needs_xml_matching_x_wns_type() {
    let a = send(json!({}), json!({"format": "windows", "wns_type": "toast"}));
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 201, "{} {:?}", body(&v), v.findings);
    let v = sink(true).answer(&with_header(a.clone(), "x-wns-type", "wns/tile"), None);
    assert_eq!(v.status, 400);
    assert!(texts_at(&v.findings, Level::Fail).contains("root is <toast>"));
    let mut broken = a;
    broken.body = bytes::Bytes::from_static(b"<toast><visual></toast>");
    assert_eq!(sink(true).answer(&broken, None).status, 400);
}

#[test]
fn an_oversized_payload_is_413() {
    let mut a = apple();
    a.body = bytes::Bytes::from(format!(
        "{{\"aps\":{{\"alert\":\"{}\"}}}}",
        "x".repeat(5000)
    ));
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 413);
    assert!(body(&v).contains("The request entity is too large."));
}

#[test]
fn tag_expressions_are_parsed_with_the_providers_parser() {
    let v = sink(true).answer(
        &with_header(apple(), "servicebusnotification-tags", "vip && (fans"),
        None,
    );
    assert_eq!(v.status, 400);
    assert!(body(&v).contains("The tag expression"), "{}", body(&v));
    let many = (0..21)
        .map(|i| format!("t{i}"))
        .collect::<Vec<_>>()
        .join(" || ");
    let v = sink(true).answer(
        &with_header(apple(), "servicebusnotification-tags", &many),
        None,
    );
    assert_eq!(v.status, 400);
    assert!(
        texts_at(&v.findings, Level::Fail).contains("21 tags"),
        "{:?}",
        v.findings
    );
}

#[test]
fn a_test_send_answers_the_outcome_report() {
    let v = sink(true).answer(
        &send(json!({"tags": ["vip"]}), json!({"test_send": true})),
        None,
    );
    assert_eq!(v.status, 201, "{}", body(&v));
    let report = crate::provider::azure::parse_outcome(&body(&v)).expect("an outcome report");
    assert_eq!((report.success, report.failure), (1, 0));
    assert_eq!(report.results[0].platform, "apple");
}

#[test]
fn pushdecks_check_finds_no_registration() {
    use crate::provider::{Call, CallPlan, find};
    let CallPlan::Request(request) = find("azure")
        .expect("azure")
        .call(&Call::Check, &profile(), &secrets(KEY))
        .expect("a check")
    else {
        panic!("the Azure check is a request");
    };
    let v = sink(true).answer(&arrival_of(&request, SystemTime::now()), None);
    assert_eq!(v.status, 201, "{}", body(&v));
    let report = crate::provider::azure::parse_outcome(&body(&v)).expect("an outcome report");
    assert_eq!((report.success, report.failure), (0, 0));
}

#[test]
fn a_direct_send_needs_its_device_handle() {
    let a = send(json!({"device_handle": "a1b2c3d4"}), json!({}));
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 201, "{} {:?}", body(&v), v.findings);
    assert!(v.secrets.iter().any(|(_, s)| s == "a1b2c3d4"));
    let mut bare = a;
    bare.headers
        .retain(|(n, _)| n != "servicebusnotification-devicehandle");
    let v = sink(true).answer(&bare, None);
    assert_eq!(v.status, 400);
    assert!(body(&v).contains("DeviceHandle"));
}

#[test]
fn rehearsals_answer_the_hubs_errors() {
    for r in REHEARSALS {
        let v = sink(true).answer(&apple(), Some(r));
        assert_eq!(v.status, r.status, "{}", r.name);
        assert!(body(&v).starts_with(&format!("<Error><Code>{}</Code>", r.status)));
        assert_eq!(
            texts_at(&v.findings, Level::Fail),
            "",
            "{}: checks still run",
            r.name
        );
        assert_eq!(
            header(&v, "Retry-After").is_some(),
            r.status == 429,
            "{}",
            r.name
        );
    }
}

#[test]
fn a_profile_without_a_connection_string_is_refused_at_start() {
    let e = AzureSink::default()
        .begin(&SinkStart {
            profile: Some(&profile()),
            secrets: Some(&Secrets::default()),
            base_url: BASE,
            kept: None,
            now: now(),
        })
        .expect_err("refused");
    assert!(e.contains("connection_string"), "{e}");
}

/// A token made with Python's standard library following Microsoft's sample (as in the
/// provider's sas.rs tests), for http://127.0.0.1:8631/acme-hub, the key above, se=1795000300:
/// a signer independent of the provider's code the sink verifies with.
const PYTHON_TOKEN: &str = "SharedAccessSignature sr=http%3a%2f%2f127.0.0.1%3a8631%2facme-hub&sig=mRMsGufZ%2BzbN5u3BN2HBeuHUDIP5FGJQYQhZRU98kSk%3D&se=1795000300&skn=DefaultFullSharedAccessSignature";

#[test]
fn a_token_signed_elsewhere_is_verified() {
    let a = with_header(apple(), "authorization", PYTHON_TOKEN);
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 201, "{} {:?}", body(&v), v.findings);
    let forged = with_header(
        apple(),
        "authorization",
        &PYTHON_TOKEN.replace("se=1795000300", "se=1795000900"),
    );
    assert_eq!(sink(true).answer(&forged, None).status, 401);
}

#[test]
fn a_scheduled_send_is_answered_with_its_location() {
    let at = time::OffsetDateTime::from(now()) + time::Duration::hours(2);
    let at = at
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a time");
    let v = sink(true).answer(
        &send(json!({"tags": ["vip"]}), json!({"schedule_at": at})),
        None,
    );
    assert_eq!(v.status, 201, "{} {:?}", body(&v), v.findings);
    assert!(
        header(&v, "Location").is_some_and(|l| l.contains("/acme-hub/schedulednotifications/")),
        "{:?}",
        v.headers
    );
    assert!(texts_at(&v.findings, Level::Ok).contains("Scheduled for "));
}
