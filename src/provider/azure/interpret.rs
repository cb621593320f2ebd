//! Reading a hub's answers: test-send reports, tracking ids, and the hub's refusals in plain
//! words with what to do.

use super::report::NotificationOutcome;
use crate::http::{Exchange, ResponseDump};
use crate::outcome::{LookupItem, Outcome};

/// The provider's name in every outcome's words.
pub const NAME: &str = "Azure Notification Hubs";

pub fn is_test(url: &str) -> bool {
    url.split_once('?')
        .is_some_and(|(_, q)| q.split('&').any(|p| p == "test" || p == "test=true"))
}

/// The report of a test send: counts in the summary, one item per registration. A send that
/// matched nobody is its own plain outcome (not sent to anyone), not a refusal.
pub fn test_outcome(report: &NotificationOutcome, ids: &str) -> Outcome {
    let counts = format!("{} succeeded, {} failed", report.success, report.failure);
    let mut outcome = if report.success == 0 && report.failure == 0 {
        // Not a refusal: the hub took the send, and there was simply nobody to deliver it to.
        Outcome::not_sent(format!(
            "Test send: no registration matches these tags, so nobody received it{ids}"
        ))
        .with_hint(
            "Check the tags or tag expression (tags are case-sensitive and must match a registration's exactly), and that registrations of this format exist (the hub's portal lists them).",
        )
    } else if report.success == 0 {
        Outcome::refused(format!("Test send: {counts}{ids}")).with_hint(
            "Every registration failed at its push service: see each outcome; expired handles must re-register, and the hub needs valid platform credentials.",
        )
    } else if report.failure > 0 {
        Outcome::accepted(format!("Test send: {counts}{ids}")).with_hint(
            "Some registrations failed: see each outcome (expired or invalid handles must re-register).",
        )
    } else {
        Outcome::accepted(format!("Test send: {counts}{ids}"))
    };
    outcome.items = report
        .results
        .iter()
        .map(|r| {
            LookupItem::new(
                r.registration_id.clone(),
                format!("{} | {} | {}", r.platform, r.handle, r.outcome),
            )
        })
        .collect();
    outcome
}

/// `; tracking id …, notification …` from the hub's headers, for support tickets.
pub fn ids_text(response: &ResponseDump) -> String {
    let mut parts = Vec::new();
    if let Some(id) = notification_id(response) {
        parts.push(format!("notification id {id}"));
    }
    if let Some(t) = response.header("TrackingId") {
        parts.push(format!("tracking id {t}"));
    }
    if let Some(c) = response.header("x-ms-correlation-request-id") {
        parts.push(format!("correlation id {c}"));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("; {}", parts.join(", "))
    }
}

/// The notification id: the last path segment of `Location` (`…/messages/<id>?api-version=…`).
pub fn notification_id(response: &ResponseDump) -> Option<String> {
    let location = response.header("Location")?;
    let path = location.split('?').next()?.trim_end_matches('/');
    let id = path.rsplit('/').next()?;
    (!id.is_empty() && !id.contains(':')).then(|| id.to_string())
}

/// The hub name from a request URL: the path segments before `messages`, `schedulednotifications`
/// or `registrations`.
pub fn hub_of(url: &str) -> String {
    let path = url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let end = segments
        .iter()
        .position(|s| matches!(*s, "messages" | "schedulednotifications" | "registrations"))
        .unwrap_or(segments.len());
    segments[..end].join("/")
}

pub fn key_name(exchange: &Exchange) -> Option<&str> {
    exchange
        .request
        .header_value("Authorization")
        .and_then(super::sas::key_name_of)
}

/// A plain-language reading of the hub's errors (providers.md §2.6).
pub fn refusal(exchange: &Exchange, response: &ResponseDump) -> Outcome {
    let detail = super::report::error_detail(response.text());
    let shown = if detail.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        detail.clone()
    };
    let hub = hub_of(&exchange.request.url);
    let ids = ids_text(response);
    match response.status {
        400 => Outcome::refused(format!("The hub refused the request as malformed: {shown}{ids}"))
            .with_hint("Check that the payload matches the format (options.format) and that the tags or expression are valid."),
        401 => {
            let key = key_name(exchange).unwrap_or("this policy");
            let claim = super::report::missing_claim(&detail);
            let lower = detail.to_ascii_lowercase();
            let (summary, hint) = if let Some(claim) = claim {
                (
                    format!("The key of policy {key} lacks the {claim} claim: {shown}"),
                    format!("Use a policy with the {claim} right (e.g. DefaultFullSharedAccessSignature); {key} cannot do this."),
                )
            } else if lower.contains("expired") {
                (
                    format!("The hub says the SAS token expired: {shown}"),
                    "Check this computer's clock: tokens are valid for 5 minutes from now.".to_string(),
                )
            } else if key.to_ascii_lowercase().contains("listen") {
                (
                    format!("Policy {key} is refused ({shown}): a Listen key cannot send"),
                    "This needs the Send claim: use DefaultFullSharedAccessSignature or a policy with Send.".to_string(),
                )
            } else {
                (
                    format!("The hub refused the key of policy {key} (401): {shown}"),
                    "The SharedAccessKey is wrong or belongs to another namespace, or the policy lacks the Send claim: copy the connection string again from the hub's Access Policies.".to_string(),
                )
            };
            Outcome::refused(format!("{summary}{ids}")).with_hint(hint)
        }
        403 => Outcome::refused(format!("The hub refused it (403): quota exceeded, message too large for the tier, or throttled: {shown}{ids}"))
            .with_hint("Check the namespace's tier and daily push quota in the portal; the Free tier allows 1 million pushes a month."),
        404 => Outcome::refused(format!("There is no hub named “{hub}” in this namespace: {shown}{ids}"))
            .with_hint("Check the hub setting (the hub's name, not the namespace's) and the Endpoint in the connection string."),
        413 => Outcome::refused(format!("The payload is too large for the hub (413): {shown}{ids}"))
            .with_hint("Shorten the message or data: the hub takes at most 64 KB, and each platform less (APNs 4 KB)."),
        429 => {
            let wait = response.retry_after();
            let mut o = Outcome::refused(format!(
                "The hub is throttling this namespace{}{ids}",
                wait.map(|s| format!(": it asks to wait {s} s")).unwrap_or_default()
            ))
            .with_hint("Wait, then send again; nothing was sent this time.");
            o.retry_after = wait;
            o
        }
        status => {
            let mut o = Outcome::from_status(NAME, status, &detail);
            o.summary.push_str(&ids);
            o
        }
    }
}

/// Used by the GUI: the test-send report of an exchange, when it is one.
pub fn test_report(exchange: &Exchange) -> Option<NotificationOutcome> {
    if !is_test(&exchange.request.url) {
        return None;
    }
    let response = exchange.response.as_ref()?;
    if !response.is_success() {
        return None;
    }
    super::report::parse_outcome(response.text())
}

/// Used by the GUI: the hub's tracking headers of a response.
pub fn tracking_headers(response: &ResponseDump) -> Vec<(&'static str, String)> {
    ["TrackingId", "x-ms-correlation-request-id", "Location"]
        .into_iter()
        .filter_map(|h| response.header(h).map(|v| (h, v.to_string())))
        .collect()
}
