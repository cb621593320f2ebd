//! Reading the hub's answers: tracking headers, test-send reports, documented errors.

use super::*;

fn exchange(url: &str, status: u16, body: &str, headers: &[(&str, &str)]) -> Exchange {
    let request = PreparedRequest::new("POST", url).header(
        "Authorization",
        "SharedAccessSignature sr=x&sig=y&se=1&skn=DefaultListenSharedAccessSignature",
    );
    let mut ex = Exchange::unsent(request);
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/1.1".into(),
        headers: h(headers),
        body: Body::Text(body.into()),
        truncated: false,
    });
    ex
}

const SEND: &str = "https://ns.servicebus.windows.net/acme-hub/messages/?api-version=2020-06";
const TEST: &str = "https://ns.servicebus.windows.net/acme-hub/messages/?api-version=2020-06&test";

#[test]
fn interprets_success_with_tracking_headers() {
    let o = Azure.interpret(&exchange(
        SEND,
        201,
        "",
        &[
            (
                "Location",
                "https://ns.servicebus.windows.net/acme-hub/messages/6123?api-version=2015-04",
            ),
            ("TrackingId", "trk-1"),
        ],
    ));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert_eq!(o.message_id.as_deref(), Some("6123"));
    assert!(
        o.summary
            .contains("notification id 6123, tracking id trk-1"),
        "{}",
        o.summary
    );
}

#[test]
fn interprets_the_test_outcome() {
    let xml = r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect"><Success>1</Success><Failure>1</Failure><Results><RegistrationResult><ApplicationPlatform>apple</ApplicationPlatform><PnsHandle>ab12</PnsHandle><RegistrationId>r-1</RegistrationId><Outcome>The Notification was successfully sent to the Push Notification System</Outcome></RegistrationResult><RegistrationResult><ApplicationPlatform>gcm</ApplicationPlatform><PnsHandle>cd34</PnsHandle><RegistrationId>r-2</RegistrationId><Outcome>InvalidCredentials</Outcome></RegistrationResult></Results></NotificationOutcome>"#;
    let ex = exchange(TEST, 201, xml, &[("TrackingId", "trk-2")]);
    let o = Azure.interpret(&ex);
    assert_eq!(o.verdict, Verdict::Accepted);
    assert!(
        o.summary
            .starts_with("Test send: 1 succeeded, 1 failed; tracking id trk-2"),
        "{}",
        o.summary
    );
    assert_eq!(o.items.len(), 2);
    assert_eq!(o.items[1].value, "r-2");
    assert_eq!(o.items[1].label, "gcm | cd34 | InvalidCredentials");
    assert_eq!(test_report(&ex).map(|r| r.results.len()), Some(2));

    let none = r#"<NotificationOutcome xmlns="http://schemas.microsoft.com/netservices/2010/10/servicebus/connect" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Success>0</Success><Failure>0</Failure><Results i:nil="true"/></NotificationOutcome>"#;
    let o = Azure.interpret(&exchange(TEST, 201, none, &[]));
    assert_eq!(o.verdict, Verdict::NotSent);
    assert!(
        o.summary
            .starts_with("Test send: no registration matches these tags"),
        "{}",
        o.summary
    );
    assert!(o.hint.as_deref().is_some_and(|h| h.contains("tags")));
    assert!(!o.summary.to_ascii_lowercase().contains("refused"));
    let o = Azure.interpret(&exchange(TEST, 201, "", &[]));
    assert_eq!(o.verdict, Verdict::Refused);
}

#[test]
fn interprets_each_documented_error() {
    let err = |code: u16, detail: &str| {
        format!("<Error><Code>{code}</Code><Detail>{detail}</Detail></Error>")
    };
    let o = Azure.interpret(&exchange(SEND, 401, &err(401, "Unauthorized access. 'Send' claim(s) are required to perform this operation. TrackingId:t"), &[]));
    assert!(o.summary.contains("lacks the Send claim"), "{}", o.summary);
    assert!(
        o.hint
            .as_deref()
            .is_some_and(|h| h.contains("DefaultListenSharedAccessSignature cannot"))
    );
    let o = Azure.interpret(&exchange(SEND, 401, &err(401, "ExpiredToken: ."), &[]));
    assert!(o.summary.contains("expired"), "{}", o.summary);
    let o = Azure.interpret(&exchange(SEND, 401, &err(401, "InvalidSignature"), &[]));
    assert!(
        o.summary.contains("a Listen key cannot send"),
        "{}",
        o.summary
    );
    let o = Azure.interpret(&exchange(
        SEND,
        404,
        &err(404, "The hub was not found"),
        &[],
    ));
    assert!(
        o.summary.contains("no hub named “acme-hub”"),
        "{}",
        o.summary
    );
    let o = Azure.interpret(&exchange(SEND, 403, &err(403, "QuotaExceeded"), &[]));
    assert!(o.summary.contains("quota"), "{}", o.summary);
    let o = Azure.interpret(&exchange(
        SEND,
        413,
        &err(413, "Request entity too large"),
        &[],
    ));
    assert!(o.hint.as_deref().is_some_and(|h| h.contains("64 KB")));
    let o = Azure.interpret(&exchange(SEND, 400, &err(400, "Bad payload"), &[]));
    assert!(o.summary.contains("Bad payload"), "{}", o.summary);
    let o = Azure.interpret(&exchange(SEND, 429, "", &[("Retry-After", "7")]));
    assert_eq!(o.retry_after, Some(7));

    let check = |status, body: &str| Azure.interpret_check(&exchange(TEST, status, body, &[]));
    let o = check(
        401,
        &err(401, "Unauthorized access. 'Send' claim(s) are required"),
    );
    assert!(o.summary.contains("lacks the Send claim"), "{}", o.summary);
    let o = check(404, &err(404, "Hub not found"));
    assert!(
        o.summary.contains("no hub named “acme-hub”"),
        "{}",
        o.summary
    );
    let o = check(
        201,
        r#"<NotificationOutcome><Success>0</Success><Failure>0</Failure></NotificationOutcome>"#,
    );
    assert!(o.is_ok());
    assert!(
        o.summary.contains("can send to hub “acme-hub”"),
        "{}",
        o.summary
    );
    assert!(!check(201, "<html/>").is_ok());
}

#[test]
fn check_is_a_test_send_to_a_tag_no_device_has() {
    let r = Azure.check(&profile(), &secrets()).expect("check");
    assert_eq!(r.method, "POST");
    assert!(is_test(&r.url), "{}", r.url);
    assert_eq!(
        r.header_value("ServiceBusNotification-Tags"),
        Some(CHECK_TAG)
    );
    assert!(
        r.header_value("Authorization")
            .is_some_and(|a| a.contains("skn=DefaultFullSharedAccessSignature"))
    );
}
