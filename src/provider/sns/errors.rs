//! Reading SNS's XML answers, and its documented errors in plain words with what to do.

use crate::http::Exchange;
use crate::outcome::Outcome;

/// The provider's name in every outcome's words.
pub const NAME: &str = "AWS SNS";

/// The text of the first `<name>…</name>`.
pub fn tag(text: &str, name: &str) -> Option<String> {
    all_tags(text, name).into_iter().next()
}

pub fn all_tags(text: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(unescape(after[..end].trim()));
        rest = &after[end + close.len()..];
    }
    out
}

pub fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#xA;", "\n")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}

/// Transport failures, AWS error XML, or the success reading `ok` gives.
/// SNS error codes with the same reading: what SNS says, and what to do.
const CODES: &[(&[&str], &str, &str)] = &[
    (
        &["RequestExpired", "RequestTimeTooSkewed"],
        "refused the request as too old or too new",
        "Your computer's clock is more than 5 minutes off: AWS compares the signed X-Amz-Date with its own time. Turn on automatic time (NTP) and send again.",
    ),
    (
        &["InvalidClientTokenId", "UnrecognizedClientException"],
        "does not know this access key",
        "Check the access key ID in the profile (and that the key is active in IAM); temporary ASIA… keys also need their session token.",
    ),
    (
        &["ExpiredToken"],
        "says the session token has expired",
        "Get fresh temporary credentials (aws sts get-session-token or your SSO login) and store the new key, secret and session token.",
    ),
    (
        &["IncompleteSignature", "MissingAuthenticationToken"],
        "found the signature incomplete",
        "Check the access key ID and the base URL (a proxy may strip the Authorization header).",
    ),
    (
        &[
            "AuthorizationError",
            "AccessDenied",
            "AccessDeniedException",
        ],
        "says these credentials may not do that",
        "Give this IAM user or role sns:Publish (and sns:ListTopics for the topic picker) on this topic.",
    ),
    (
        &["NotFound"],
        "could not find it",
        "Check the ARN: the topic or endpoint must exist in this profile's region and account.",
    ),
    (
        &["EndpointDisabled"],
        "says the endpoint is disabled",
        "The device token expired or was rejected by APNs/FCM; the app must register again and update the endpoint.",
    ),
    (
        &["PlatformApplicationDisabled"],
        "says the platform application is disabled",
        "Its APNs certificate or FCM credentials expired: renew them in the SNS console.",
    ),
    (
        &[
            "InvalidParameter",
            "ParameterValueInvalid",
            "InvalidParameterValue",
            "ValidationError",
            "ValidationException",
        ],
        "refused a parameter",
        "Fix the parameter the message names; nothing was published.",
    ),
];

/// Codes that ask to slow down: the outcome carries the wait SNS asked for.
const THROTTLING: &[&str] = &["Throttling", "ThrottlingException", "ThrottledException"];

pub fn judge(exchange: &Exchange, ok: impl FnOnce(&str) -> Outcome) -> Outcome {
    let response = match crate::provider::shared::answer(exchange) {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let text = response.text();
    if response.is_success() && tag(text, "Error").is_none() {
        return ok(text);
    }
    let code = tag(text, "Code").unwrap_or_default();
    let message = tag(text, "Message").unwrap_or_default();
    let status = response.status;
    let said = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message.clone()
    };
    let refused = |what: &str, hint: &str| {
        Outcome::refused(format!("{NAME} {what} ({status} {code}): {said}")).with_hint(hint)
    };
    match code.as_str() {
        "SignatureDoesNotMatch" => {
            // What we signed includes x-amz-security-token: mask the request's secrets in it.
            let ours = crate::http::mask_all(
                &ours_to_sign(exchange).unwrap_or_default(),
                &exchange.request.secrets,
            );
            refused(
                "says the signature does not match",
                &format!(
                    "The secret access key does not belong to this access key ID, or something changed the request on the way (a proxy). AWS's message above quotes what it expected; this app signed: {ours}"
                ),
            )
        }
        c if THROTTLING.contains(&c) => {
            let mut o = refused(
                "is throttling",
                "Too many requests: wait a little and send again.",
            );
            o.retry_after = response.retry_after();
            o
        }
        c if c.starts_with("KMS") => refused(
            "could not use the topic's KMS key",
            "The topic is encrypted: allow this principal kms:GenerateDataKey and kms:Decrypt on its key.",
        ),
        c => match CODES.iter().find(|(codes, _, _)| codes.contains(&c)) {
            Some((_, what, hint)) => refused(what, hint),
            None => Outcome::from_status(NAME, status, &said),
        },
    }
}

/// This app's canonical request and string to sign, recomputed from what was sent (no secret is
/// needed for either), for comparing with the ones AWS quotes.
pub fn ours_to_sign(exchange: &Exchange) -> Option<String> {
    let request = &exchange.request;
    let url = url::Url::parse(&request.url).ok()?;
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return None,
    };
    let auth = request.header_value("Authorization")?;
    let signed = auth.split("SignedHeaders=").nth(1)?.split(',').next()?;
    let scope = auth.split("Credential=").nth(1)?.split(',').next()?;
    let scope = scope.split_once('/').map(|(_, s)| s)?;
    let mut headers = vec![("host".to_string(), host)];
    for name in signed.split(';').filter(|n| *n != "host") {
        headers.push((name.to_string(), request.header_value(name)?.to_string()));
    }
    let (canonical, _) = super::sigv4::canonical_request(&super::sigv4::Request {
        method: &request.method,
        path: url.path(),
        query: url.query().unwrap_or(""),
        headers: &headers,
        body: request.body.as_bytes(),
    });
    let date = request.header_value("X-Amz-Date")?;
    Some(format!(
        "canonical request «{}», string to sign «AWS4-HMAC-SHA256\\n{date}\\n{scope}\\n{}»",
        canonical.replace('\n', "\\n"),
        super::sigv4::sha256_hex(canonical.as_bytes())
    ))
}
