//! APNs's `reason` in a response, in plain words with what to do.

use serde_json::Value;
use time::OffsetDateTime;

use crate::http::ResponseDump;
use crate::outcome::Outcome;
use crate::provider::shared::said_or_status;

/// The provider's name in every outcome's words.
pub const NAME: &str = "APNs";

pub fn reason(response: &ResponseDump) -> String {
    response
        .json()
        .and_then(|b| b.get("reason").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

pub fn reason_outcome(response: &ResponseDump) -> Outcome {
    let reason = reason(response);
    let status = response.status;
    let hint = hint_for(&reason);
    let said = said_or_status(&reason, status);
    let when = if status == 410 {
        unregistered_since(response)
    } else {
        String::new()
    };
    let mut o = match status {
        400 => Outcome::refused(format!("{NAME} refused the notification: {said}")),
        403 => Outcome::refused(format!("{NAME} refused the provider token: {said}")),
        410 => Outcome::refused(format!(
            "{NAME}: the device token is no longer valid: {said}{when}"
        )),
        413 => Outcome::refused(format!("{NAME}: the payload is too large: {said}")),
        429 => Outcome::refused(format!("{NAME} is rate limiting: {said}")),
        _ => Outcome::from_status(NAME, status, &said),
    };
    if !hint.is_empty() {
        o = o.with_hint(hint);
    }
    o
}

/// Every reason providers.md §8.2 lists (Apple's table plus the two newer 403 reasons).
#[cfg(test)]
pub const REASONS: &[&str] = &[
    "BadCollapseId",
    "BadDeviceToken",
    "BadExpirationDate",
    "BadMessageId",
    "BadPriority",
    "BadTopic",
    "DeviceTokenNotForTopic",
    "DuplicateHeaders",
    "IdleTimeout",
    "InvalidPushType",
    "MissingDeviceToken",
    "MissingTopic",
    "PayloadEmpty",
    "TopicDisallowed",
    "BadCertificate",
    "BadCertificateEnvironment",
    "ExpiredProviderToken",
    "Forbidden",
    "InvalidProviderToken",
    "MissingProviderToken",
    "UnrelatedKeyIdInToken",
    "BadEnvironmentKeyInToken",
    "BadPath",
    "MethodNotAllowed",
    "ExpiredToken",
    "Unregistered",
    "PayloadTooLarge",
    "TooManyProviderTokenUpdates",
    "TooManyRequests",
    "InternalServerError",
    "ServiceUnavailable",
    "Shutdown",
];

/// What to do about each reason Apple documents; empty when the reason is unknown.
pub fn hint_for(reason: &str) -> &'static str {
    match reason {
        "BadDeviceToken" => {
            "Token from the other environment? Development builds (Xcode) register sandbox tokens, TestFlight and App Store builds production tokens: switch the profile's environment, or check the token was copied whole."
        }
        "DeviceTokenNotForTopic" => {
            "This device token belongs to another app or another push type: check the topic (bundle id) in the profile, and that a Live Activity, VoIP or widget token goes with its push type (Apple registers those under the suffixed topic)."
        }
        "InvalidProviderToken" => {
            "Apple does not accept the provider token: check the Key ID, the Team ID and that the .p8 key belongs to this team and is not revoked."
        }
        "ExpiredProviderToken" => {
            "The provider token is older than an hour: check this computer's clock (it must be set automatically)."
        }
        "TooManyProviderTokenUpdates" => {
            "Apple saw new provider tokens too often (more than about every 20 minutes): wait 20 minutes, and avoid running many copies of Pushdeck with the same key at once."
        }
        "MissingProviderToken" => {
            "No provider token was sent: store the .p8 key for this profile (Edit credentials)."
        }
        "UnrelatedKeyIdInToken" => {
            "The Key ID in the token does not belong to the Team ID: copy both again from the developer account (Keys, and Membership details), and use the .p8 downloaded for that key."
        }
        "BadEnvironmentKeyInToken" => {
            "This key is limited to the other APNs environment (Apple lets a key be sandbox-only or production-only): switch the profile's environment, or create a key for both in Certificates, Identifiers & Profiles > Keys."
        }
        "Unregistered" | "ExpiredToken" => {
            "The app is no longer installed on this device or the token expired: delete this token."
        }
        "TopicDisallowed" => {
            "Apple does not let this key push to this topic: the key's team must own the bundle id, and the push type's suffix (.voip, .push-type.liveactivity…) must be enabled for the app (e.g. the Push Notifications and Live Activities capabilities)."
        }
        "BadTopic" => {
            "The topic is not a valid bundle id: set the profile's topic to the app's bundle id (Pushdeck adds the push type's suffix itself)."
        }
        "MissingTopic" => {
            "No apns-topic was sent: set the profile's topic to the app's bundle id (token auth always needs it)."
        }
        "BadCollapseId" => {
            "The collapse id is too long (64 bytes max): shorten options.collapse_id."
        }
        "BadExpirationDate" => {
            "The expiration is not a valid time: give ttl in seconds, or expiration as UNIX seconds or RFC 3339."
        }
        "BadMessageId" => {
            "The apns-id is not a lowercase UUID (8-4-4-4-12): leave it out and Apple makes one."
        }
        "BadPriority" => {
            "Use priority 10 or 5; background pushes need 5 (pick priority low, or leave it empty and Pushdeck picks the one the push type needs)."
        }
        "DuplicateHeaders" => {
            "A header was sent twice: check options.raw and any proxy in between that adds apns-* headers."
        }
        "InvalidPushType" => {
            "Apple does not know this apns-push-type here: pick one of alert, background, voip, liveactivity… (widgets and controls need a recent iOS)."
        }
        "MissingDeviceToken" => "No device token in the path: add one to Device tokens.",
        "PayloadEmpty" => "Write a message or add data.",
        "PayloadTooLarge" => "Shorten the text or the data: 4 KB at most (5 KB for VoIP).",
        "TooManyRequests" => {
            "Too many notifications to this device in a short time: wait, then send again."
        }
        "Forbidden" => "Check that the key is enabled for Apple Push Notifications.",
        "BadCertificate" | "BadCertificateEnvironment" => {
            "This profile uses token auth; a certificate problem points at a proxy in between."
        }
        "BadPath" | "MethodNotAllowed" => "Check the base URL: it must be the APNs host.",
        "InternalServerError" | "ServiceUnavailable" | "Shutdown" => {
            "This is on Apple's side: try again in a little while."
        }
        "IdleTimeout" => "The connection was idle too long: send again.",
        _ => "",
    }
}

/// ", since {time}": when Apple learned the token was gone (a 410's `timestamp`, in ms).
fn unregistered_since(response: &ResponseDump) -> String {
    response
        .json()
        .and_then(|b| b.get("timestamp").and_then(Value::as_i64))
        .and_then(|ms| {
            OffsetDateTime::from_unix_timestamp(ms / 1000)
                .ok()
                .and_then(|t| {
                    t.format(&time::format_description::well_known::Rfc3339)
                        .ok()
                })
        })
        .map(|t| format!(", since {t}"))
        .unwrap_or_default()
}
