//! Apple Push Notification service with token auth: an ES256 provider JWT from the `.p8` key,
//! HTTP/2 `POST /3/device/{token}` (providers.md §8.2).
//!
//! Apple refuses provider tokens renewed more often than about every 20 minutes
//! (TooManyProviderTokenUpdates) and tokens older than an hour (ExpiredProviderToken). The JWT's
//! `iat` is therefore aligned to 20-minute steps: every token minted in the same step (by the app
//! or by separate command-line runs) carries the same issue time, a new one appears at most every
//! 20 minutes, and a token is reused until 40 minutes after its `iat`, well inside Apple's hour.

mod auth;
mod errors;
mod payload;

use super::shared::answer;
use time::OffsetDateTime;

use super::describe::{Capabilities, FieldKind, FieldSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider, TokenPlan};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Body, Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

pub use auth::validate_signing_key;
use auth::{SECRET, mint, setting, signing_key};
use errors::{NAME, reason, reason_outcome};
use payload::{
    MAX_PAYLOAD, MAX_VOIP_PAYLOAD, device_tokens, payload, raw_payload, short, topic_for,
};

pub struct Apns;

const PRODUCTION: &str = "https://api.push.apple.com";
const SANDBOX: &str = "https://api.sandbox.push.apple.com";
/// The device token Check sends to: valid hex, registered to nobody.
const CHECK_TOKEN: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Shown in previews before a token exists.
pub const TOKEN_PLACEHOLDER: &str = "<provider token: signed with the .p8 key when sending>";
const PUSH_TYPES: &[&str] = &[
    "alert",
    "background",
    "location",
    "voip",
    "complication",
    "fileprovider",
    "mdm",
    "liveactivity",
    "pushtotalk",
    "widgets",
    "controls",
];

static INFO: ProviderInfo = ProviderInfo {
    id: "apns",
    name: NAME,
    default_base_url: PRODUCTION,
    settings: &[
        FieldSpec::new(
            "key_id",
            "Key ID",
            FieldKind::Text,
            "the 10-character id of the .p8 key (Certificates, Identifiers & Profiles > Keys)",
        )
        .required(),
        FieldSpec::new(
            "team_id",
            "Team ID",
            FieldKind::Text,
            "the 10-character team id (Membership details)",
        )
        .required(),
        FieldSpec::new(
            "topic",
            "Topic (bundle id)",
            FieldKind::Text,
            "the app's bundle id, e.g. com.example.app",
        )
        .required(),
        FieldSpec::new(
            "environment",
            "APNs environment",
            FieldKind::Choice(&["sandbox", "production"]),
            "sandbox for development builds (Xcode), production for TestFlight and the App Store",
        )
        .required(),
    ],
    secrets: &[FieldSpec::new(
        SECRET,
        "Signing key (.p8)",
        FieldKind::Text,
        "the contents of AuthKey_XXXXXXXXXX.p8 (-----BEGIN PRIVATE KEY-----…)",
    )
    .required()],
    audience: &[FieldSpec::new(
        "device_tokens",
        "Device tokens",
        FieldKind::List,
        "hex device tokens, one per line (one request each)",
    )],
    options: &[
        FieldSpec::new(
            "push_type",
            "Push type",
            FieldKind::Choice(PUSH_TYPES),
            "default: alert, or background for a silent message",
        ),
        FieldSpec::new(
            "collapse_id",
            "Collapse id",
            FieldKind::Text,
            "a newer notification with the same id replaces the shown one (64 bytes max)",
        ),
        FieldSpec::new(
            "badge",
            "Badge",
            FieldKind::Number,
            "the number on the app icon (0 clears it)",
        ),
        FieldSpec::new(
            "sound",
            "Sound",
            FieldKind::Text,
            "a sound file in the app bundle (default: the system sound)",
        ),
        FieldSpec::new(
            "category",
            "Category",
            FieldKind::Text,
            "the notification category the app registered; it defines the buttons",
        ),
        FieldSpec::new(
            "thread_id",
            "Thread id",
            FieldKind::Text,
            "groups notifications in Notification Center",
        ),
    ],
    capabilities: Capabilities {
        mints_tokens: true,
        ..Capabilities::BASE
    },
    common_options: &["ttl", "priority", "raw"],
    ..ProviderInfo::BASE
};

/// `sandbox` or `production`; without the setting, the profile's badge decides.
fn environment(profile: &Profile) -> Result<&'static str, DraftError> {
    match profile.setting("environment").map(str::trim) {
        Some("sandbox") | Some("development") => Ok("sandbox"),
        Some("production") => Ok("production"),
        Some(other) if !other.is_empty() => Err(DraftError::new(
            "settings.environment",
            format!("`{other}` is not sandbox or production"),
        )),
        _ => Ok(
            if profile.environment == crate::profile::Environment::Prod {
                "production"
            } else {
                "sandbox"
            },
        ),
    }
}

fn root(profile: &Profile) -> Result<String, DraftError> {
    let has_override = profile
        .base_url
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    if has_override {
        base_url(profile, &INFO)
    } else if environment(profile)? == "production" {
        Ok(PRODUCTION.into())
    } else {
        Ok(SANDBOX.into())
    }
}

impl Provider for Apns {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        setting(ctx.profile, "key_id", "Key ID")?;
        setting(ctx.profile, "team_id", "Team ID")?;
        let bundle = setting(ctx.profile, "topic", "topic (bundle id)")?;
        signing_key(ctx.secrets.require(&ctx.profile.name, SECRET)?)?;
        let root = root(ctx.profile)?;
        let tokens = device_tokens(draft)?;
        let options = Fields::new("options", &draft.options);
        let mut warnings = Vec::new();
        let m = &draft.message;
        let headers = Headers::read(&options, bundle, m.silent, ctx.now, &mut warnings)?;
        let body = body(draft, &options, &headers, &mut warnings)?;
        let Headers {
            push_type,
            topic,
            priority,
            expiration,
            collapse,
        } = headers;
        let token = ctx.token.unwrap_or(TOKEN_PLACEHOLDER);
        let requests = tokens
            .iter()
            .map(|device| {
                let mut r = PreparedRequest::new("POST", format!("{root}/3/device/{device}"))
                    .http2_only()
                    .header("authorization", format!("bearer {token}"))
                    .header("apns-topic", topic.clone())
                    .header("apns-push-type", push_type)
                    .header("apns-priority", priority);
                if let Some(at) = expiration {
                    r = r.header("apns-expiration", at.to_string());
                }
                if let Some(c) = collapse {
                    r = r.header("apns-collapse-id", c);
                }
                r = r.header("content-type", "application/json");
                r.body = Body::Text(body.clone());
                if let Some(t) = ctx.token {
                    r.add_secret("provider_token", t);
                }
                if tokens.len() > 1 {
                    r.recipient = Some(short(device));
                }
                r
            })
            .collect();
        Ok(Prepared { requests, warnings })
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        let apns_id = response.header("apns-id").unwrap_or("").to_string();
        if response.status == 200 {
            let unique = response
                .header("apns-unique-id")
                .map(|u| format!(" (delivery log id {u})"))
                .unwrap_or_default();
            let mut o = Outcome::accepted(format!("Sent: apns-id {apns_id}{unique}"));
            if !apns_id.is_empty() {
                o = o.with_id(apns_id);
            }
            return o;
        }
        let mut o = reason_outcome(response);
        if !apns_id.is_empty() {
            o.summary.push_str(&format!(" (apns-id {apns_id})"));
        }
        o
    }

    fn call(
        &self,
        call: &Call,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<CallPlan, DraftError> {
        match call {
            Call::Check => self.check(profile, secrets).map(CallPlan::Request),
            other => Err(other.unsupported(self.info().name)),
        }
    }

    fn interpret_call(&self, _call: &Call, exchange: &Exchange) -> Outcome {
        self.interpret_check(exchange)
    }

    fn token_plan(
        &self,
        profile: &Profile,
        secrets: &Secrets,
        now: OffsetDateTime,
    ) -> Result<TokenPlan, DraftError> {
        mint(profile, secrets, now).map(TokenPlan::Mint)
    }

    fn validate_secret(&self, field: &str, value: &str) -> Result<(), String> {
        if field == SECRET {
            validate_signing_key(value)
        } else {
            Ok(())
        }
    }

    fn audience_label(&self, draft: &Draft) -> String {
        match Fields::new("audience", &draft.audience).strings("device_tokens") {
            Ok(t) if t.len() == 1 => "1 device".into(),
            Ok(t) if !t.is_empty() => format!("{} devices", t.len()),
            _ => "nobody yet".into(),
        }
    }

    fn broadcast(&self, _draft: &Draft) -> Option<String> {
        None
    }
}

/// The per-notification APNs headers the options choose.
struct Headers<'a> {
    push_type: &'a str,
    topic: String,
    priority: &'static str,
    expiration: Option<i64>,
    collapse: Option<&'a str>,
}

impl<'a> Headers<'a> {
    fn read(
        options: &Fields<'a>,
        bundle: &str,
        silent: bool,
        now: OffsetDateTime,
        warnings: &mut Vec<String>,
    ) -> Result<Self, DraftError> {
        let push_type = options
            .one_of("push_type", PUSH_TYPES)?
            .unwrap_or(if silent { "background" } else { "alert" });
        let topic = topic_for(bundle, push_type);
        let background = push_type == "background";
        let priority = match options.one_of("priority", &["low", "normal", "high"])? {
            _ if background => "5",
            Some("low") => "5",
            _ => "10",
        };
        if background && options.string("priority")? == Some("high") {
            warnings.push(
                "Background pushes must use priority 5 (Apple's rule); sent with 5, not 10.".into(),
            );
        }
        let expiration = options.u64("ttl")?.map(|ttl| {
            if ttl == 0 {
                0
            } else {
                now.unix_timestamp() + i64::try_from(ttl).unwrap_or(i64::MAX / 2)
            }
        });
        let collapse = options.string("collapse_id")?;
        if collapse.is_some_and(|c| c.len() > 64) {
            return Err(DraftError::new(
                "options.collapse_id",
                "is longer than 64 bytes (Apple's limit)",
            ));
        }
        if options.has("schedule_at") {
            return Err(DraftError::new(
                "options.schedule_at",
                "APNs cannot schedule notifications; send at the time you want it delivered",
            ));
        }
        Ok(Self {
            push_type,
            topic,
            priority,
            expiration,
            collapse,
        })
    }
}

/// The JSON body, generated or raw, within Apple's size limit for its push type.
fn body(
    draft: &Draft,
    options: &Fields<'_>,
    headers: &Headers<'_>,
    warnings: &mut Vec<String>,
) -> Result<String, DraftError> {
    let background = headers.push_type == "background";
    let payload = match options.value("raw") {
        Some(raw) => raw_payload(raw)?,
        None => payload(draft, options, background, warnings)?,
    };
    let body = serde_json::to_string(&payload).unwrap_or_default();
    let limit = if headers.push_type == "voip" {
        MAX_VOIP_PAYLOAD
    } else {
        MAX_PAYLOAD
    };
    if body.len() > limit {
        return Err(DraftError::new(
            "message",
            format!(
                "the APNs payload is {} bytes; Apple allows {limit}: shorten the text or the data",
                body.len()
            ),
        ));
    }
    Ok(body)
}

/// The calls beside sending, behind `Provider::call`.
impl Apns {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        let bundle = setting(profile, "topic", "topic (bundle id)")?;
        let token = mint(profile, secrets, crate::clock::now())?;
        let mut r =
            PreparedRequest::new("POST", format!("{}/3/device/{CHECK_TOKEN}", root(profile)?))
                .http2_only()
                .header("authorization", format!("bearer {}", token.value))
                .header("apns-topic", bundle)
                .header("apns-push-type", "background")
                .header("apns-priority", "5")
                .header("apns-expiration", "0")
                .header("content-type", "application/json");
        r.body = Body::Text(r#"{"aps":{"content-available":1}}"#.into());
        r.add_secret("provider_token", &token.value);
        Ok(r)
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        match reason(response).as_str() {
            "BadDeviceToken" => Outcome::accepted(
                "Key, team and topic work: APNs accepted the provider token and refused only the dummy device token",
            ),
            _ if response.status == 200 => Outcome::accepted("APNs accepted the provider token"),
            _ => reason_outcome(response),
        }
    }
}

#[cfg(test)]
mod tests;
