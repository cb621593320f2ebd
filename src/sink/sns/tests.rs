use std::time::{Duration, SystemTime};

use serde_json::json;

use super::*;
use crate::finding::{Level, texts_at};
use crate::profile::{Profile, Secrets};
use crate::sink::testing::{arrival_of, begun, prepared, with_header};

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:Builds";
const BASE: &str = "http://127.0.0.1:8630";

fn profile() -> Profile {
    let mut p = Profile::new("aws", "sns");
    p.base_url = Some(BASE.into());
    p.settings.insert("region".into(), "us-east-1".into());
    p.settings
        .insert("access_key_id".into(), "AKIDEXAMPLE".into());
    p
}

fn secrets(secret: &str) -> Secrets {
    let mut s = Secrets::default();
    s.insert("secret_access_key", secret.into());
    s
}

fn now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000)
}

fn sink(with_profile: bool) -> SnsSink {
    let (p, s) = (profile(), secrets(SECRET));
    begun(
        SnsSink::default(),
        with_profile.then_some((&p, &s)),
        BASE,
        now(),
    )
}

/// What Pushdeck's SNS provider sends for `draft`, signed with `secret`.
fn arrival(draft: serde_json::Value, secret: &str) -> Arrival {
    let request = prepared("sns", draft, &profile(), &secrets(secret), now());
    arrival_of(&request, now() + Duration::from_secs(2))
}

fn publish(secret: &str) -> Arrival {
    arrival(
        json!({
            "profile": "aws",
            "message": {"title": "CI", "body": "Build 118 passed", "data": {"severity": "info"}},
            "audience": {"topic_arn": TOPIC}
        }),
        secret,
    )
}

fn raw(params: serde_json::Value) -> Arrival {
    arrival(
        json!({"profile": "aws", "message": {"body": "x"}, "options": {"raw": params}}),
        SECRET,
    )
}

fn body(v: &Verdict) -> String {
    String::from_utf8_lossy(&v.body).into_owned()
}

fn code(v: &Verdict) -> String {
    let text = body(v);
    text.split_once("<Code>")
        .and_then(|(_, rest)| rest.split_once("</Code>"))
        .map(|(code, _)| code.to_string())
        .unwrap_or_default()
}

#[test]
fn pushdecks_own_publish_is_verified_and_answered() {
    let v = sink(true).answer(&publish(SECRET), None);
    assert_eq!(v.status, 200, "{}", body(&v));
    assert_eq!(texts_at(&v.findings, Level::Fail), "");
    assert!(
        texts_at(&v.findings, Level::Ok).contains("matches the profile's secret access key"),
        "{:?}",
        v.findings
    );
    assert!(body(&v).contains("<PublishResponse"), "{}", body(&v));
    assert!(body(&v).contains("<MessageId>"));
    assert!(
        v.summary.starts_with("Publish to topic “Builds”"),
        "{}",
        v.summary
    );
    let labels: Vec<&str> = v.decoded.iter().map(|d| d.label.as_str()).collect();
    assert_eq!(labels, ["Canonical request", "String to sign"]);
    assert!(v.decoded[0].text.starts_with("POST\n/\n\n"));
    assert!(v.secrets.iter().any(|(n, _)| n == "signature"));
}

#[test]
fn without_a_profile_the_signature_is_read_but_not_verified() {
    let v = sink(false).answer(&publish("another secret entirely"), None);
    assert_eq!(v.status, 200, "{}", body(&v));
    assert!(
        texts_at(&v.findings, Level::Warn).contains("not verified: start the sink with --profile"),
        "{:?}",
        v.findings
    );
}

#[test]
fn a_wrong_secret_is_signature_does_not_match_quoting_the_canonical_request() {
    let v = sink(true).answer(&publish("wrong/secret"), None);
    assert_eq!(v.status, 403);
    assert_eq!(code(&v), "SignatureDoesNotMatch");
    let text = body(&v);
    assert!(text.contains("<Type>Sender</Type>"), "{text}");
    assert!(text.contains("The Canonical String for this request should have been"));
    assert!(text.contains("<RequestId>"));
    assert!(texts_at(&v.findings, Level::Fail).contains("does not match"));
}

#[test]
fn a_tampered_body_no_longer_matches() {
    let mut a = publish(SECRET);
    a.body = bytes::Bytes::from(String::from_utf8_lossy(&a.body).replace("118", "119"));
    let v = sink(true).answer(&a, None);
    assert_eq!(code(&v), "SignatureDoesNotMatch");
}

#[test]
fn another_access_key_is_invalid_client_token_id() {
    let a = publish(SECRET);
    let auth = a
        .header("authorization")
        .expect("signed")
        .replace("AKIDEXAMPLE", "AKIAOTHERKEY");
    let v = sink(true).answer(&with_header(a, "authorization", &auth), None);
    assert_eq!((v.status, code(&v).as_str()), (403, "InvalidClientTokenId"));
}

#[test]
fn an_old_signature_is_request_expired() {
    let mut a = publish(SECRET);
    a.received_at = now() + Duration::from_secs(16 * 60);
    let v = sink(true).answer(&a, None);
    assert_eq!((v.status, code(&v).as_str()), (400, "RequestExpired"));
    assert!(body(&v).contains("Signature expired: "), "{}", body(&v));
    assert!(texts_at(&v.findings, Level::Fail).contains("more than 15 minutes"));
}

#[test]
fn no_authorization_is_missing_authentication_token() {
    let mut a = publish(SECRET);
    a.headers.retain(|(n, _)| n != "authorization");
    let v = sink(true).answer(&a, None);
    assert_eq!(
        (v.status, code(&v).as_str()),
        (403, "MissingAuthenticationToken")
    );
    assert!(texts_at(&v.findings, Level::Fail).contains("No Authorization header"));
}

#[test]
fn a_missing_message_is_named() {
    let v = sink(true).answer(&raw(json!({"TopicArn": TOPIC})), None);
    assert_eq!((v.status, code(&v).as_str()), (400, "ValidationError"));
    assert!(texts_at(&v.findings, Level::Fail).contains("No Message"));
}

#[test]
fn two_targets_are_refused() {
    let v = sink(true).answer(
        &raw(json!({"TopicArn": TOPIC, "PhoneNumber": "+14155550100", "Message": "hi"})),
        None,
    );
    assert_eq!(code(&v), "InvalidParameter");
    assert!(texts_at(&v.findings, Level::Fail).contains("exactly one target"));
}

#[test]
fn an_oversized_message_is_refused() {
    let big = "x".repeat(MAX + 1);
    let v = sink(true).answer(&raw(json!({"TopicArn": TOPIC, "Message": big})), None);
    assert_eq!(code(&v), "InvalidParameter");
    assert!(body(&v).contains("Message too long"));
}

const MAX: usize = crate::provider::sns::MAX_MESSAGE_BYTES;

#[test]
fn message_structure_json_needs_default() {
    let v = sink(true).answer(
        &raw(
            json!({"TopicArn": TOPIC, "MessageStructure": "json", "Message": "{\"APNS\":\"{}\"}"}),
        ),
        None,
    );
    assert_eq!(code(&v), "InvalidParameter");
    assert!(texts_at(&v.findings, Level::Fail).contains("`default` key"));
    let ok = sink(true).answer(
        &arrival(
            json!({"profile": "aws", "message": {"title": "CI", "body": "done"},
                   "audience": {"target_arn": "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/1a2b"},
                   "options": {"message_structure_json": true}}),
            SECRET,
        ),
        None,
    );
    assert_eq!(ok.status, 200, "{}", body(&ok));
}

#[test]
fn a_number_attribute_must_be_a_number() {
    let v = sink(true).answer(
        &raw(json!({"TopicArn": TOPIC, "Message": "hi",
            "MessageAttributes.entry.1.Name": "n",
            "MessageAttributes.entry.1.Value.DataType": "Number",
            "MessageAttributes.entry.1.Value.StringValue": "many"})),
        None,
    );
    assert_eq!(code(&v), "ParameterValueInvalid");
}

#[test]
fn a_topic_in_another_region_is_refused() {
    let v = sink(true).answer(
        &raw(json!({"TopicArn": "arn:aws:sns:eu-west-1:123456789012:Builds", "Message": "hi"})),
        None,
    );
    assert_eq!(code(&v), "InvalidParameter");
    assert!(texts_at(&v.findings, Level::Fail).contains("region eu-west-1"));
}

#[test]
fn a_fifo_topic_needs_a_group_and_gets_a_sequence_number() {
    let fifo = "arn:aws:sns:us-east-1:123456789012:Builds.fifo";
    let v = sink(true).answer(&raw(json!({"TopicArn": fifo, "Message": "hi"})), None);
    assert!(body(&v).contains("MessageGroupId parameter is required"));
    let v = sink(true).answer(
        &raw(json!({"TopicArn": fifo, "Message": "hi", "MessageGroupId": "g"})),
        None,
    );
    assert_eq!(v.status, 200);
    assert!(body(&v).contains("<SequenceNumber>"));
}

#[test]
fn rehearsals_answer_snss_errors_after_checking() {
    for (name, status, code_) in [
        ("endpoint-disabled", 400, "EndpointDisabled"),
        ("not-found", 404, "NotFound"),
        ("throttled", 400, "Throttling"),
        ("invalid-parameter", 400, "InvalidParameter"),
        ("internal-error", 500, "InternalError"),
        ("signature", 403, "SignatureDoesNotMatch"),
    ] {
        let sink = sink(true);
        let r = sink
            .rehearsals()
            .iter()
            .find(|r| r.name == name)
            .expect("offered");
        let v = sink.answer(&publish(SECRET), Some(r));
        assert_eq!((v.status, code(&v).as_str()), (status, code_), "{name}");
        assert_eq!(
            texts_at(&v.findings, Level::Fail),
            "",
            "{name}: checks still run"
        );
    }
    let signature = sink(true).answer(&publish(SECRET), Some(&REHEARSALS[5]));
    assert!(body(&signature).contains("The String-to-Sign should have been"));
    let internal = sink(true).answer(&publish(SECRET), Some(&REHEARSALS[4]));
    assert!(body(&internal).contains("<Type>Receiver</Type>"));
}

#[test]
fn pushdecks_check_lists_the_sinks_topic() {
    use crate::provider::{Call, CallPlan, find};
    let CallPlan::Request(request) = find("sns")
        .expect("sns")
        .call(&Call::Check, &profile(), &secrets(SECRET))
        .expect("a check")
    else {
        panic!("the SNS check is a request");
    };
    let v = sink(true).answer(&arrival_of(&request, SystemTime::now()), None);
    assert_eq!(v.status, 200, "{}", body(&v));
    assert!(
        body(&v).contains("<TopicArn>arn:aws:sns:us-east-1:000000000000:pushdeck-sink</TopicArn>")
    );
}

#[test]
fn a_profile_of_another_provider_is_refused_at_start() {
    let p = Profile::new("os", "onesignal");
    let s = Secrets::default();
    let e = SnsSink::default()
        .begin(&SinkStart {
            profile: Some(&p),
            secrets: Some(&s),
            base_url: BASE,
            kept: None,
            now: now(),
        })
        .expect_err("refused");
    assert!(
        e.contains("the sns sink needs a profile of that provider"),
        "{e}"
    );
}

/// A request botocore signed (tests/fixtures/sink/README.md): an independent SigV4 signer.
#[test]
fn botocores_publish_is_verified() {
    let captured: serde_json::Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/sink/botocore-sns-publish.json"
    ))
    .expect("the fixture is JSON");
    let text = |v: &serde_json::Value| v.as_str().expect("a string").to_string();
    let mut headers = vec![("host".to_string(), "127.0.0.1:8630".to_string())];
    for (name, value) in captured["headers"].as_object().expect("headers") {
        headers.push((name.to_ascii_lowercase(), text(value)));
    }
    let date = text(&captured["headers"]["X-Amz-Date"]);
    let signed_at = time::PrimitiveDateTime::parse(
        &date,
        time::macros::format_description!("[year][month][day]T[hour][minute][second]Z"),
    )
    .expect("an AWS date")
    .assume_utc();
    let a = Arrival {
        method: text(&captured["method"]),
        target: "/".into(),
        version: "HTTP/1.1".into(),
        headers,
        body: bytes::Bytes::from(text(&captured["body"])),
        tls: false,
        client_certificate: None,
        peer: "127.0.0.1:50001".into(),
        received_at: SystemTime::from(signed_at) + Duration::from_secs(3),
    };
    let v = sink(true).answer(&a, None);
    assert_eq!(v.status, 200, "{} {:?}", body(&v), v.findings);
    assert_eq!(texts_at(&v.findings, Level::Fail), "");
    assert!(texts_at(&v.findings, Level::Ok).contains("2 message attributes, well formed"));
    // The same request with another secret is refused.
    let mut other = sink(true);
    other.account = Some(aws::Account {
        region: "us-east-1".into(),
        access_key_id: "AKIDEXAMPLE".into(),
        secret: "another".into(),
        session_token: None,
    });
    assert_eq!(code(&other.answer(&a, None)), "SignatureDoesNotMatch");
}

#[test]
fn temporary_credentials_need_their_session_token() {
    let (p, mut s) = (profile(), secrets(SECRET));
    s.insert("session_token", "FQoGZXIvYXdzEXAMPLETOKEN".into());
    let sink = begun(SnsSink::default(), Some((&p, &s)), BASE, now());
    let with_token = prepared(
        "sns",
        json!({"profile": "aws", "message": {"body": "hi"},
        "audience": {"topic_arn": TOPIC}}),
        &p,
        &s,
        now(),
    );
    let a = arrival_of(&with_token, now());
    assert_eq!(sink.answer(&a, None).status, 200);
    assert!(
        sink.answer(&a, None)
            .secrets
            .iter()
            .any(|(n, _)| n == "session_token")
    );
    let v = sink.answer(&publish(SECRET), None);
    assert_eq!((v.status, code(&v).as_str()), (403, "InvalidClientTokenId"));
    assert!(texts_at(&v.findings, Level::Fail).contains("No X-Amz-Security-Token"));
}
