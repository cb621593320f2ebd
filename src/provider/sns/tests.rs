use serde_json::json;
use time::macros::datetime;

use super::account::*;
use super::*;
use crate::http::ResponseDump;
use crate::outcome::Verdict;
use crate::provider::PrepareContext;

const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:Builds";

fn profile() -> Profile {
    let mut p = Profile::new("aws", "sns");
    p.settings.insert("region".into(), "us-east-1".into());
    p.settings
        .insert("access_key_id".into(), "AKIDEXAMPLE".into());
    p
}

fn secrets() -> Secrets {
    let mut s = Secrets::default();
    s.insert("secret_access_key", SECRET.into());
    s
}

fn prepare_with(draft: &Draft, secrets: &Secrets) -> Result<Prepared, DraftError> {
    Sns.prepare(&PrepareContext {
        draft,
        profile: &profile(),
        secrets,
        now: datetime!(2026-11-24 12:00 UTC),
        idempotency_key: "k",
        token: None,
        dry_run: false,
    })
}

fn prepare(draft: &Draft) -> Result<Prepared, DraftError> {
    prepare_with(draft, &secrets())
}

fn draft(json: serde_json::Value) -> Draft {
    Draft::from_json(&json.to_string()).expect("valid draft")
}

/// providers.md §6.1's form body, byte for byte, and its signature.
#[test]
fn topic_publish_byte_for_byte_and_signed() {
    let p = prepare(&draft(json!({
        "profile": "aws",
        "message": {"title": "CI", "body": "Build 118 passed", "data": {"severity": "info"}},
        "audience": {"topic_arn": TOPIC}
    })))
    .expect("prepares");
    let r = &p.requests[0];
    assert_eq!(r.url, "https://sns.us-east-1.amazonaws.com/");
    assert_eq!(
        r.body.as_text(),
        Some(
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3ABuilds&Subject=CI&Message=Build%20118%20passed&MessageAttributes.entry.1.Name=severity&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=info"
        )
    );
    assert_eq!(r.header_value("Content-Type"), Some(FORM));
    assert_eq!(r.header_value("X-Amz-Date"), Some("20261124T120000Z"));
    // The signature, recomputed from the request's parts with the SigV4 steps.
    let headers = vec![
        ("content-type".to_string(), FORM.to_string()),
        (
            "host".to_string(),
            "sns.us-east-1.amazonaws.com".to_string(),
        ),
        ("x-amz-date".to_string(), "20261124T120000Z".to_string()),
    ];
    let expected = sigv4::sign(
        &sigv4::Request {
            method: "POST",
            path: "/",
            query: "",
            headers: &headers,
            body: r.body.as_bytes(),
        },
        &sigv4::Credentials {
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: SECRET,
            region: "us-east-1",
            service: "sns",
            amz_date: "20261124T120000Z",
        },
    );
    assert_eq!(
        r.header_value("Authorization"),
        Some(expected.authorization.as_str())
    );
    assert!(expected.authorization.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/sns/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="));
    let red = serde_json::to_string(&r.redacted()).expect("json");
    assert!(!red.contains(&expected.signature), "signature masked");
}

#[test]
fn session_token_is_signed_and_masked() {
    let mut s = secrets();
    s.insert("session_token", "IQoJb3JpZ2luX2VjEXAMPLETOKEN".into());
    let p = prepare_with(&draft(json!({"profile": "aws", "message": {"body": "x"}, "audience": {"phone_number": "+14155550100"}})), &s).expect("prepares");
    let r = &p.requests[0];
    assert_eq!(
        r.header_value("X-Amz-Security-Token"),
        Some("IQoJb3JpZ2luX2VjEXAMPLETOKEN")
    );
    assert!(r.header_value("Authorization").is_some_and(|a| {
        a.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token")
    }));
    let red = serde_json::to_string(&r.redacted()).expect("json");
    assert!(!red.contains("IQoJb3JpZ2luX2VjEXAMPLETOKEN"));
    assert!(
        r.body
            .as_text()
            .is_some_and(|b| b.contains("PhoneNumber=%2B14155550100"))
    );
}

#[test]
fn per_platform_message_is_built_and_escaped() {
    let p = prepare(&draft(json!({
        "profile": "aws",
        "message": {"title": "CI", "body": "Build passed", "data": {"build": 118}},
        "audience": {"target_arn": "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/app/0f1e2d3c"},
        "options": {"message_structure_json": true}
    })))
    .expect("prepares");
    let body = p.requests[0].body.as_text().expect("text").to_string();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let message = &params
        .iter()
        .find(|(k, _)| k == "Message")
        .expect("Message")
        .1;
    assert_eq!(
        message,
        r#"{"default":"Build passed","APNS":"{\"aps\":{\"alert\":{\"title\":\"CI\",\"body\":\"Build passed\"},\"sound\":\"default\"},\"build\":118}","APNS_SANDBOX":"{\"aps\":{\"alert\":{\"title\":\"CI\",\"body\":\"Build passed\"},\"sound\":\"default\"},\"build\":118}","GCM":"{\"fcmV1Message\":{\"message\":{\"notification\":{\"title\":\"CI\",\"body\":\"Build passed\"},\"data\":{\"build\":\"118\"}}}}"}"#
    );
    assert!(
        params
            .iter()
            .any(|(k, v)| k == "MessageStructure" && v == "json")
    );
    assert!(
        p.warnings[0].contains(r#""APNS":{"aps":{"alert""#),
        "{:?}",
        p.warnings
    );
}

#[test]
fn bad_input_names_the_field() {
    let long = "x".repeat(101);
    let cases = [
        (
            json!({"profile": "aws", "message": {"body": "x"}}),
            "audience",
        ),
        (
            json!({"profile": "aws", "message": {"body": "x"}, "audience": {"topic_arn": TOPIC, "phone_number": "+1"}}),
            "audience",
        ),
        (
            json!({"profile": "aws", "message": {"body": "x"}, "audience": {"topic_arn": "arn:aws:sns:eu-west-1:1:T"}}),
            "audience.topic_arn",
        ),
        (
            json!({"profile": "aws", "message": {"body": "x"}, "audience": {"topic_arn": "Builds"}}),
            "audience.topic_arn",
        ),
        (
            json!({"profile": "aws", "message": {"body": "x"}, "audience": {"phone_number": "0155"}}),
            "audience.phone_number",
        ),
        (
            json!({"profile": "aws", "message": {"title": "Café", "body": "x"}, "audience": {"topic_arn": TOPIC}}),
            "message.title",
        ),
        (
            json!({"profile": "aws", "message": {"title": long, "body": "x"}, "audience": {"topic_arn": TOPIC}}),
            "message.title",
        ),
        (
            json!({"profile": "aws", "message": {"title": "a\nb", "body": "x"}, "audience": {"topic_arn": TOPIC}}),
            "message.title",
        ),
        (
            json!({"profile": "aws", "message": {"body": ""}, "audience": {"topic_arn": TOPIC}}),
            "message.body",
        ),
        (
            json!({"profile": "aws", "message": {"body": "x", "data": {"a b": "c"}}, "audience": {"topic_arn": TOPIC}}),
            "message.data.a b",
        ),
        (
            json!({"profile": "aws", "message": {"body": "x", "data": {"o": {"k": 1}}}, "audience": {"topic_arn": TOPIC}}),
            "message.data.o",
        ),
        (
            json!({"profile": "aws", "message": {"body": "x"}, "audience": {"topic_arn": TOPIC}, "options": {"ttl": 5}}),
            "options.ttl",
        ),
    ];
    for (d, field) in cases {
        let err = prepare(&draft(d.clone())).expect_err("invalid");
        assert_eq!(err.field, field, "{d}: {err}");
    }
    let mut p = profile();
    p.settings.remove("region");
    let err = Sns.check(&p, &secrets()).expect_err("no region");
    assert_eq!(err.field, "settings.region");
}

fn exchange(request: PreparedRequest, status: u16, body: &str) -> Exchange {
    let mut ex = Exchange::unsent(request);
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/1.1".into(),
        headers: vec![],
        body: crate::http::Body::Text(body.into()),
        truncated: false,
    });
    ex
}

fn sent() -> PreparedRequest {
    prepare(&draft(
        json!({"profile": "aws", "message": {"body": "x"}, "audience": {"topic_arn": TOPIC}}),
    ))
    .expect("prepares")
    .requests
    .remove(0)
}

fn error_xml(kind: &str, code: &str, message: &str) -> String {
    format!(
        "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>9c3c2a8b</RequestId></ErrorResponse>"
    )
}

#[test]
fn publish_response_and_errors() {
    let o = Sns.interpret(&exchange(sent(), 200, r#"<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult><ResponseMetadata><RequestId>d74b8436</RequestId></ResponseMetadata></PublishResponse>"#));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert_eq!(
        o.message_id.as_deref(),
        Some("567910cd-659e-55d4-8ccb-5aaf14679dc0")
    );

    let o = Sns.interpret(&exchange(
        sent(),
        400,
        &error_xml("Sender", "RequestExpired", "Request has expired."),
    ));
    assert!(
        o.hint
            .as_deref()
            .is_some_and(|h| h.contains("clock is more than 5 minutes off")),
        "{o:?}"
    );

    let o = Sns.interpret(&exchange(
        sent(),
        403,
        &error_xml(
            "Sender",
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
    ));
    let hint = o.hint.expect("hint");
    assert!(hint.contains("canonical request «POST\\n/\\n\\ncontent-type:application/x-www-form-urlencoded; charset=utf-8\\nhost:sns.us-east-1.amazonaws.com\\nx-amz-date:20261124T120000Z"), "{hint}");
    assert!(
        hint.contains("20261124/us-east-1/sns/aws4_request"),
        "{hint}"
    );

    for (code, needle) in [
        ("InvalidClientTokenId", "access key ID"),
        ("AuthorizationError", "sns:Publish"),
        ("NotFound", "Check the ARN"),
        ("EndpointDisabled", "register again"),
        ("InvalidParameter", "Fix the parameter"),
        ("ExpiredToken", "fresh temporary credentials"),
    ] {
        let o = Sns.interpret(&exchange(sent(), 400, &error_xml("Sender", code, "m")));
        assert_eq!(o.verdict, Verdict::Refused);
        assert!(
            o.hint.as_deref().is_some_and(|h| h.contains(needle)),
            "{code}: {o:?}"
        );
    }
}

#[test]
fn list_topics_fills_the_picker() {
    let req = Sns
        .lookup("topics", &profile(), &secrets())
        .expect("request");
    assert_eq!(
        req.body.as_text(),
        Some("Action=ListTopics&Version=2010-03-31")
    );
    let xml = r#"<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics><member><TopicArn>arn:aws:sns:us-east-1:123456789012:Builds</TopicArn></member><member><TopicArn>arn:aws:sns:us-east-1:123456789012:Alerts</TopicArn></member></Topics></ListTopicsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListTopicsResponse>"#;
    let o = Sns.interpret_lookup("topics", &exchange(req.clone(), 200, xml));
    assert_eq!(
        o.items,
        vec![
            LookupItem::new(TOPIC, "Builds"),
            LookupItem::new("arn:aws:sns:us-east-1:123456789012:Alerts", "Alerts")
        ]
    );
    let o = Sns.interpret_check(&exchange(req, 200, xml));
    assert_eq!(o.summary, "Credentials work: 2 topics in this region");
}

#[test]
fn the_image_warning_appears_only_when_no_platform_payload_carries_the_image() {
    let with = |options: serde_json::Value, silent: bool| {
        prepare(&draft(json!({
            "profile": "aws",
            "message": {"body": "Sale", "image": "https://example.com/sale.png", "silent": silent},
            "audience": {"target_arn": "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/0f1e2d3c"},
            "options": options
        })))
        .expect("prepares")
    };
    let says_image_dropped = |p: &Prepared| {
        p.warnings
            .iter()
            .any(|w| w.contains("no place for") && w.contains("image"))
    };

    let structured = with(json!({"message_structure_json": true}), false);
    let message = structured.requests[0]
        .body
        .as_text()
        .expect("text")
        .to_string();
    assert!(
        message.contains("sale.png"),
        "the image is in the FCM payload"
    );
    assert!(
        !says_image_dropped(&structured),
        "no warning says the image is dropped: {:?}",
        structured.warnings
    );

    assert!(
        says_image_dropped(&with(json!({}), false)),
        "plain text carries no image"
    );
    let silent = with(json!({"message_structure_json": true}), true);
    assert!(
        says_image_dropped(&silent),
        "a silent push has no notification for the image: {:?}",
        silent.warnings
    );
}
