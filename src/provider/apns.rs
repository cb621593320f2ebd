//! Apple Push Notification service with token auth: an ES256 provider JWT from the `.p8` key,
//! HTTP/2 `POST /3/device/{token}` (providers.md §8.2).
//!
//! Apple refuses provider tokens renewed more often than about every 20 minutes
//! (TooManyProviderTokenUpdates) and tokens older than an hour (ExpiredProviderToken). The JWT's
//! `iat` is therefore aligned to 20-minute steps: every token minted in the same step (by the app
//! or by separate command-line runs) carries the same issue time, a new one appears at most every
//! 20 minutes, and a token is reused until 40 minutes after its `iat`, well inside Apple's hour.

pub mod auth;
pub mod certificate;
pub mod channels;
mod check;
mod doctor;
pub mod errors;
mod fan_out;
mod headers;
pub mod live_activity;
pub mod payload;
pub mod push_types;

use super::shared::answer;
use time::OffsetDateTime;

use super::describe::{
    Capabilities, FieldKind, FieldSpec, LookupSpec, ProviderInfo, base_url, validate_keys,
};
use super::seam::{
    Call, CallPlan, FanOut, FanOutSource, PrepareContext, Prepared, Provider, TokenPlan,
};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Body, Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

pub use auth::validate_signing_key;
use auth::{SECRET, mint, token_credentials};
use certificate::CertificateAuth;
use errors::{NAME, reason, reason_outcome};
use fan_out::ApnsFanOut;
use headers::{Headers, body};
use payload::{INTERRUPTION_LEVELS, device_tokens};
use push_types::NAMES as PUSH_TYPES;

pub struct Apns;

const PRODUCTION: &str = "https://api.push.apple.com";
const SANDBOX: &str = "https://api.sandbox.push.apple.com";
/// The device token Check sends to: valid hex, registered to nobody.
const CHECK_TOKEN: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Requests of a device-token list in flight at once: streams on one HTTP/2 connection.
const CONCURRENCY: usize = 64;
/// Shown in previews before a token exists.
pub const TOKEN_PLACEHOLDER: &str = "<provider token: signed with the .p8 key when sending>";

static INFO: ProviderInfo = ProviderInfo {
    id: "apns",
    name: NAME,
    default_base_url: PRODUCTION,
    settings: &[
        FieldSpec::new(
            certificate::AUTH,
            "Authentication",
            FieldKind::Choice(certificate::AUTH_CHOICES),
            "token: a .p8 signing key (key id, team id); certificate: a .p12 or PEM push certificate sent as the TLS client certificate",
        ),
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
        FieldSpec::new(
            "key_file",
            "Key file name",
            FieldKind::Text,
            "optional: the .p8's name, AuthKey_<KEY ID>.p8; Check compares its id with the Key ID",
        ),
    ],
    secrets: &[
        FieldSpec::new(
            SECRET,
            "Signing key (.p8)",
            FieldKind::Text,
            "the contents of AuthKey_XXXXXXXXXX.p8 (-----BEGIN PRIVATE KEY-----…)",
        )
        .required(),
        FieldSpec::new(
            certificate::CERTIFICATE,
            "Push certificate (.p12 or PEM)",
            FieldKind::Text,
            "with auth=certificate: the .p12 exported from Keychain Access (drop the file or Load from file…), or PEM certificate and private key",
        ),
        FieldSpec::new(
            certificate::PASSWORD,
            "Certificate password",
            FieldKind::Text,
            "the password the .p12 was exported with (none: leave empty)",
        ),
    ],
    audience: &[
        FieldSpec::new(
            "device_tokens",
            "Device tokens",
            FieldKind::List,
            "hex device tokens, one per line (one request each)",
        ),
        FieldSpec::new(
            "channel_id",
            "Broadcast channel",
            FieldKind::Text,
            "iOS 18: a channel id (base64) instead of device tokens; every device subscribed to it gets the Live Activity update",
        ),
    ],
    lookups: &[LookupSpec {
        id: channels::LOOKUP,
        label: "Load channels",
        audience_key: "channel_id",
    }],
    options: &[
        FieldSpec::new(
            "push_type",
            "Push type",
            FieldKind::Choice(PUSH_TYPES),
            "default: alert, background for a silent message, liveactivity with a Live Activity; sets apns-push-type, the topic suffix and the priority Apple requires",
        ),
        FieldSpec::new(
            "interruption_level",
            "Interruption level",
            FieldKind::Choice(INTERRUPTION_LEVELS),
            "aps.interruption-level: passive (no sound), active (default), time-sensitive (breaks through Focus), critical (needs Apple's entitlement)",
        ),
        FieldSpec::new(
            "relevance_score",
            "Relevance score",
            FieldKind::Text,
            "aps.relevance-score, 0 to 1: which notification leads a notification summary",
        ),
        FieldSpec::new(
            "target_content_id",
            "Target content id",
            FieldKind::Text,
            "aps.target-content-id: the window or content to bring forward when tapped",
        ),
        FieldSpec::new(
            "filter_criteria",
            "Filter criteria",
            FieldKind::Text,
            "aps.filter-criteria: the Focus filter that decides whether it shows",
        ),
        FieldSpec::new(
            "expiration",
            "Expiration",
            FieldKind::Text,
            "apns-expiration: UNIX seconds or RFC 3339 (0: deliver now or never); instead of TTL",
        ),
        FieldSpec::new(
            "live_activity",
            "Live Activity (JSON)",
            FieldKind::Json,
            "{\"event\": \"start\"|\"update\"|\"end\", \"content_state\": {…}, \"attributes_type\", \"attributes\", \"stale_date\", \"dismissal_date\", \"relevance_score\", \"alert\"}",
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
    // One HTTP/2 connection carries a token list as multiplexed streams (APNs allows hundreds
    // per connection); no documented rate limit beyond that.
    capabilities: Capabilities {
        mints_tokens: true,
        concurrency: CONCURRENCY,
        ..Capabilities::BASE
    },
    common_options: &["ttl", "priority", "raw"],
};

/// `sandbox` or `production`; without the setting, the certificate's only environment (when it
/// has one), else the profile's badge.
pub fn environment(
    profile: &Profile,
    from_cert: Option<&'static str>,
) -> Result<&'static str, DraftError> {
    match profile.setting("environment").map(str::trim) {
        Some("sandbox") | Some("development") => Ok("sandbox"),
        Some("production") => Ok("production"),
        Some(other) if !other.is_empty() => Err(DraftError::new(
            "settings.environment",
            format!("`{other}` is not sandbox or production"),
        )),
        _ if from_cert.is_some() => Ok(from_cert.unwrap_or("sandbox")),
        _ => Ok(
            if profile.environment == crate::profile::Environment::Prod {
                "production"
            } else {
                "sandbox"
            },
        ),
    }
}

fn root(profile: &Profile, cert: Option<&CertificateAuth>) -> Result<String, DraftError> {
    let has_override = profile
        .base_url
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    let from_cert = cert.and_then(|c| c.facts.only_environment());
    if has_override {
        base_url(profile, &INFO)
    } else if environment(profile, from_cert)? == "production" {
        Ok(PRODUCTION.into())
    } else {
        Ok(SANDBOX.into())
    }
}

/// What a draft sends to: one broadcast to a channel, or each device token from one template.
enum Target {
    Channel(Prepared),
    Devices(Box<ApnsFanOut>),
}

/// Everything an APNs send shares, checked and built once: the signer (provider token or client
/// certificate), the headers its push type asks for, and the body. Device tokens are not read.
fn target(ctx: &PrepareContext<'_>) -> Result<Target, DraftError> {
    let draft = ctx.draft;
    validate_keys(&INFO, draft)?;
    let cert = certificate::for_profile(ctx.profile, ctx.secrets, ctx.now)?;
    let bundle = match &cert {
        Some(c) => c.topic.clone(),
        None => token_credentials(ctx.profile, ctx.secrets)?,
    };
    let bundle = bundle.as_str();
    let root = root(ctx.profile, cert.as_ref())?;
    let channel = channels::audience_channel(draft)?;
    let options = Fields::new("options", &draft.options);
    let mut warnings = Vec::new();
    let m = &draft.message;
    let headers = Headers::read(&options, bundle, m.silent, ctx.now, &mut warnings)?;
    let body = body(draft, &options, &headers, ctx.now, &mut warnings)?;
    if let Some(c) = &cert {
        let env = environment(ctx.profile, c.facts.only_environment()).ok();
        warnings.extend(c.warnings(&headers.topic, env, ctx.now));
    }
    let Headers {
        push_type,
        topic,
        priority,
        expiration,
        collapse,
    } = headers;
    let push_type = push_type.name;
    if let Some(channel) = channel {
        let request = channels::broadcast_send(
            &root,
            bundle,
            &channel,
            (push_type, priority, expiration, collapse),
            body,
            &match &cert {
                Some(c) => channels::Signer::Certificate(c),
                None => channels::Signer::Token(ctx.token),
            },
            &mut warnings,
        )?;
        return Ok(Target::Channel(Prepared {
            requests: vec![request],
            warnings,
        }));
    }
    let mut r = PreparedRequest::new("POST", "").http2_only();
    r = match &cert {
        Some(c) => c.apply(r),
        None => r.header(
            "authorization",
            format!("bearer {}", ctx.token.unwrap_or(TOKEN_PLACEHOLDER)),
        ),
    };
    r = r
        .header("apns-topic", topic)
        .header("apns-push-type", push_type)
        .header("apns-priority", priority);
    if let Some(at) = expiration {
        r = r.header("apns-expiration", at.to_string());
    }
    if let Some(c) = collapse {
        r = r.header("apns-collapse-id", c);
    }
    r = r.header("content-type", "application/json");
    r.body = Body::Text(body);
    if let Some(t) = ctx.token {
        r.add_secret("provider_token", t);
    }
    Ok(Target::Devices(Box::new(ApnsFanOut::new(
        root, r, warnings,
    ))))
}

impl Provider for Apns {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        doctor::inspect(self, ctx.profile, ctx.secrets, ctx.now, ctx.cached)
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        match target(ctx)? {
            Target::Channel(prepared) => Ok(prepared),
            Target::Devices(mut shared) => {
                let tokens = device_tokens(ctx.draft)?;
                let named = tokens.len() > 1;
                Ok(Prepared {
                    requests: tokens
                        .iter()
                        .map(|device| shared.for_device(device, named))
                        .collect(),
                    warnings: shared.take_warnings(),
                })
            }
        }
    }

    /// A list of device tokens streams (one request each, built as the HTTP/2 streams have
    /// room); a channel send stays one request.
    fn fan_out_source(&self, draft: &Draft) -> Option<FanOutSource> {
        fan_out::source(draft)
    }

    fn fan_out(&self, ctx: &PrepareContext<'_>) -> Option<Result<Box<dyn FanOut>, DraftError>> {
        Some(target(ctx).and_then(|t| match t {
            Target::Devices(shared) => Ok(shared as Box<dyn FanOut>),
            Target::Channel(_) => Err(DraftError::new(
                "audience.channel_id",
                "a channel send is one request, not a list of device tokens",
            )),
        }))
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        if channels::is_broadcast(exchange) {
            return channels::broadcast_outcome(response);
        }
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
        let mut o =
            certificate::explain_refusal(reason_outcome(response), exchange, &reason(response));
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
            other if channels::is_channel_call(other) => {
                channels::call_request(other, profile, secrets).map(CallPlan::Request)
            }
            other => Err(other.unsupported(self.info().name)),
        }
    }

    fn interpret_call(&self, call: &Call, exchange: &Exchange) -> Outcome {
        if channels::is_channel_call(call) {
            return channels::interpret(call, exchange);
        }
        self.interpret_check(exchange)
    }

    fn token_plan(
        &self,
        profile: &Profile,
        secrets: &Secrets,
        now: OffsetDateTime,
    ) -> Result<TokenPlan, DraftError> {
        if certificate::uses_certificate(profile)? {
            return Ok(TokenPlan::None);
        }
        mint(profile, secrets, now).map(TokenPlan::Mint)
    }

    fn validate_secret(&self, field: &str, value: &str) -> Result<(), String> {
        match field {
            SECRET => validate_signing_key(value),
            certificate::CERTIFICATE => certificate::validate(value),
            _ => Ok(()),
        }
    }

    fn audience_label(&self, draft: &Draft) -> String {
        if let Ok(Some(channel)) = channels::audience_channel(draft) {
            return format!("channel {channel}");
        }
        match Fields::new("audience", &draft.audience).strings("device_tokens") {
            Ok(t) if t.len() == 1 => "1 device".into(),
            Ok(t) if !t.is_empty() => format!("{} devices", t.len()),
            _ => "nobody yet".into(),
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        let channel = channels::audience_channel(draft).ok()??;
        Some(format!("every device subscribed to channel {channel}"))
    }
}

#[cfg(test)]
pub(crate) mod certificate_tests;
#[cfg(test)]
mod channel_tests;
#[cfg(test)]
mod push_type_tests;
#[cfg(test)]
mod tests;
