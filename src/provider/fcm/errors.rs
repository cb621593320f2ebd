//! FCM's error body in plain words with what to do.

use serde_json::Value;

use crate::http::ResponseDump;
use crate::outcome::Outcome;
use crate::provider::shared::said_or_status;

/// The provider's name in every outcome's words.
pub const NAME: &str = "FCM";

/// FCM's error body: `{"error":{"code","message","status","details":[FcmError, BadRequest]}}`.
pub fn error_outcome(response: &ResponseDump) -> Outcome {
    let ApiError {
        message,
        code,
        fields,
    } = ApiError::read(response);
    let said = said_or_status(&message, response.status);
    let code = code.as_str();
    let mut outcome = match code {
        "UNREGISTERED" => Outcome::refused(format!(
            "{NAME}: this token is no longer registered (UNREGISTERED): {said}"
        ))
        .with_hint("The app was uninstalled or the token expired: delete this token from your list; the app registers a new one when it runs again."),
        "SENDER_ID_MISMATCH" => Outcome::refused(format!(
            "{NAME}: the token belongs to another Firebase project (SENDER_ID_MISMATCH)"
        ))
        .with_hint("Use a service-account key of the project the app is registered in, or set project_id to that project."),
        "INVALID_ARGUMENT" => {
            let at = if fields.is_empty() {
                String::new()
            } else {
                format!(" at {}", fields.join("; "))
            };
            let hint = if fields.iter().any(|f| f.starts_with("message.token")) {
                "The registration token is malformed: copy it again from the device (it is long, with a colon after the first part)."
            } else {
                "Fix the field FCM names and send again; Validate checks it without delivering."
            };
            Outcome::refused(format!("{NAME} refused the message (INVALID_ARGUMENT){at}: {said}"))
                .with_hint(hint)
        }
        "QUOTA_EXCEEDED" | "RESOURCE_EXHAUSTED" => Outcome::refused(format!(
            "{NAME}: sending quota exceeded ({code}){}",
            response
                .retry_after()
                .map(|s| format!("; it asks to wait {s} s"))
                .unwrap_or_default()
        ))
        .with_hint("Too many messages for this project or this device right now: wait, then send again more slowly."),
        "THIRD_PARTY_AUTH_ERROR" => Outcome::refused(format!(
            "{NAME} could not deliver through Apple or the browser push service (THIRD_PARTY_AUTH_ERROR): {said}"
        ))
        .with_hint("The APNs key or certificate (or web push credentials) in the Firebase project is missing or invalid: upload a valid APNs auth key under Project settings > Cloud Messaging."),
        "UNAUTHENTICATED" => Outcome::refused(format!(
            "{NAME} refused the access token (UNAUTHENTICATED): {said}"
        ))
        .with_hint("The access token was refused: the key may have been revoked or the project changed. The command line fetches a fresh token on every run; in the app, restart Pushdeck to fetch one now."),
        "PERMISSION_DENIED" => Outcome::refused(format!(
            "{NAME} does not let this service account send (PERMISSION_DENIED): {said}"
        ))
        .with_hint("Enable the Firebase Cloud Messaging API for the project and give the service account the \"Firebase Cloud Messaging API Admin\" role; check the project id."),
        "NOT_FOUND" => Outcome::refused(format!("{NAME} could not find it (NOT_FOUND): {said}"))
            .with_hint("Check the project id (in the key or the profile's project_id setting)."),
        "UNAVAILABLE" => Outcome::refused(format!("{NAME} is temporarily unavailable: {said}"))
            .with_hint("This is on Google's side: try again in a little while."),
        "INTERNAL" => Outcome::refused(format!("{NAME} had an internal error: {said}"))
            .with_hint("This is on Google's side: try again; if it persists, check the Firebase status page."),
        _ => Outcome::from_status(NAME, response.status, &said),
    };
    if response.status == 429 || response.status == 503 {
        outcome.retry_after = response.retry_after();
    }
    outcome
}

/// What FCM's error body says: the message, the most precise code (the FcmError `errorCode`,
/// else the status name), and the fields a BadRequest names.
struct ApiError {
    message: String,
    code: String,
    fields: Vec<String>,
}

impl ApiError {
    fn read(response: &ResponseDump) -> Self {
        let body = response.json();
        let error = body.as_ref().and_then(|b| b.get("error"));
        let text = |key: &str| {
            error
                .and_then(|e| e.get(key))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let message = text("message");
        let status_name = text("status");
        let details = error
            .and_then(|e| e.get("details"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let error_code = details
            .iter()
            .find_map(|d| d.get("errorCode").and_then(Value::as_str))
            .unwrap_or("")
            .to_string();
        let fields: Vec<String> = details
            .iter()
            .filter_map(|d| d.get("fieldViolations").and_then(Value::as_array))
            .flatten()
            .filter_map(|v| {
                let field = v.get("field").and_then(Value::as_str)?;
                Some(match v.get("description").and_then(Value::as_str) {
                    Some(d) if !d.is_empty() => format!("{field} ({d})"),
                    _ => field.to_string(),
                })
            })
            .collect();
        let code = if error_code.is_empty() {
            status_name
        } else {
            error_code
        };
        Self {
            message,
            code,
            fields,
        }
    }
}
