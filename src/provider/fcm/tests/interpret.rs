//! Reading FCM's answers: success, validation and each documented error.

use super::*;

fn send_exchange(status: u16, body: &str, validate_only: bool) -> Exchange {
    let req_body = if validate_only {
        r#"{"message":{},"validate_only":true}"#
    } else {
        r#"{"message":{}}"#
    };
    let mut req = PreparedRequest::new(
        "POST",
        "https://fcm.googleapis.com/v1/projects/p/messages:send",
    );
    req.body = Body::Text(req_body.into());
    let mut ex = Exchange::unsent(req);
    ex.response = Some(ResponseDump {
        status,
        reason: String::new(),
        version: "HTTP/2.0".into(),
        headers: vec![("retry-after".into(), "30".into())],
        body: Body::Text(body.into()),
        truncated: false,
    });
    ex
}

fn fcm_error(
    code: u16,
    status: &str,
    error_code: Option<&str>,
    message: &str,
    field: Option<&str>,
) -> String {
    let mut details = vec![];
    if let Some(c) = error_code {
        details.push(
            json!({"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": c}),
        );
    }
    if let Some(f) = field {
        details.push(json!({"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"field": f, "description": "Invalid registration token"}]}));
    }
    json!({"error": {"code": code, "message": message, "status": status, "details": details}})
        .to_string()
}

#[test]
fn success_and_validation() {
    let o = Fcm.interpret(&send_exchange(
        200,
        r#"{"name":"projects/acme-push/messages/0:1700000000000000%abcdef"}"#,
        false,
    ));
    assert_eq!(o.verdict, Verdict::Accepted);
    assert_eq!(o.summary, "Sent: message 0:1700000000000000%abcdef");
    let o = Fcm.interpret(&send_exchange(
        200,
        r#"{"name":"projects/acme-push/messages/fake_message_id"}"#,
        true,
    ));
    assert!(
        o.is_ok() && o.summary.starts_with("Validated"),
        "{}",
        o.summary
    );
}

#[test]
fn documented_errors_are_explained() {
    let cases = [
        (
            404,
            "NOT_FOUND",
            Some("UNREGISTERED"),
            None,
            "no longer registered",
            "delete this token",
        ),
        (
            403,
            "PERMISSION_DENIED",
            Some("SENDER_ID_MISMATCH"),
            None,
            "another Firebase project",
            "project",
        ),
        (
            400,
            "INVALID_ARGUMENT",
            Some("INVALID_ARGUMENT"),
            Some("message.token"),
            "at message.token (Invalid registration token)",
            "malformed",
        ),
        (
            429,
            "RESOURCE_EXHAUSTED",
            Some("QUOTA_EXCEEDED"),
            None,
            "wait 30 s",
            "more slowly",
        ),
        (
            401,
            "UNAUTHENTICATED",
            Some("THIRD_PARTY_AUTH_ERROR"),
            None,
            "THIRD_PARTY_AUTH_ERROR",
            "APNs auth key",
        ),
        (
            401,
            "UNAUTHENTICATED",
            None,
            None,
            "refused the access token",
            "revoked",
        ),
        (
            403,
            "PERMISSION_DENIED",
            None,
            None,
            "PERMISSION_DENIED",
            "Cloud Messaging API",
        ),
    ];
    for (status, name, code, field, summary, hint) in cases {
        let body = fcm_error(status, name, code, "Requested entity was not found.", field);
        let o = Fcm.interpret(&send_exchange(status, &body, false));
        assert_eq!(o.verdict, Verdict::Refused);
        assert!(
            o.summary.contains(summary),
            "{name}/{code:?}: {}",
            o.summary
        );
        assert!(
            o.hint.as_deref().is_some_and(|h| h.contains(hint)),
            "{name}/{code:?}: {:?}",
            o.hint
        );
        assert_eq!(o.retry_after, (status == 429).then_some(30));
    }
}
