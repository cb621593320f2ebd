//! Apple Push Notification service with token auth: an ES256 provider JWT from the `.p8` key,
//! HTTP/2 `POST /3/device/{token}` (providers.md §8.2).
//!
//! Apple refuses provider tokens renewed more often than about every 20 minutes
//! (TooManyProviderTokenUpdates) and tokens older than an hour (ExpiredProviderToken). The JWT's
//! `iat` is therefore aligned to 20-minute steps: every token minted in the same step (by the app
//! or by separate command-line runs) carries the same issue time, a new one appears at most every
//! 20 minutes, and a token is reused until 40 minutes after its `iat`, well inside Apple's hour.

use super::shared::answer;
use serde::Serialize;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::describe::{Capabilities, FieldKind, FieldSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider, Token, TokenPlan};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Body, Exchange, PreparedRequest, ResponseDump};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

pub struct Apns;

const NAME: &str = "APNs";
const SECRET: &str = "signing_key_p8";
const PRODUCTION: &str = "https://api.push.apple.com";
const SANDBOX: &str = "https://api.sandbox.push.apple.com";
const MAX_PAYLOAD: usize = 4096;
const MAX_VOIP_PAYLOAD: usize = 5120;
/// Provider tokens: `iat` aligned to this step, reused until `REUSE` after it, dead after `LIFE`.
const STEP_S: i64 = 20 * 60;
const REUSE_S: i64 = 40 * 60;
const LIFE_S: i64 = 60 * 60;
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

fn setting<'a>(profile: &'a Profile, key: &str, label: &str) -> Result<&'a str, DraftError> {
    profile
        .setting(key)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| {
            DraftError::new(
                format!("settings.{key}"),
                format!(
                    "profile `{}` has no {label}; set it with `pushdeck profile add {} --provider apns --set {key}=…`",
                    profile.name, profile.name
                ),
            )
        })
}

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

/// The key as PEM. Accepts the `.p8` file as is, the PEM flattened onto one line (a single-line
/// paste drops the line breaks), or the base64 body alone.
fn pem(text: &str) -> String {
    let mut body = text.trim();
    for marker in [
        "-----BEGIN PRIVATE KEY-----",
        "-----BEGIN EC PRIVATE KEY-----",
    ] {
        if let Some(rest) = body.strip_prefix(marker) {
            body = rest;
        }
    }
    for marker in ["-----END PRIVATE KEY-----", "-----END EC PRIVATE KEY-----"] {
        if let Some(rest) = body.trim_end().strip_suffix(marker) {
            body = rest;
        }
    }
    let body: String = body.split_whitespace().collect();
    let lines: Vec<String> = body
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect();
    format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    )
}

fn signing_key(text: &str) -> Result<jsonwebtoken::EncodingKey, DraftError> {
    jsonwebtoken::EncodingKey::from_ec_pem(pem(text).as_bytes()).map_err(|e| {
        DraftError::new(
            format!("secret {SECRET}"),
            format!("is not a .p8 signing key (a P-256 private key in PEM form): {e}"),
        )
    })
}

/// Checks a `.p8` key when it is stored.
pub fn validate_signing_key(text: &str) -> Result<(), String> {
    super::jwt::install_crypto();
    let key = signing_key(text).map_err(|e| e.message)?;
    // A key of another curve parses but cannot sign ES256: try it.
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
        &json!({"iss": "check", "iat": 0}),
        &key,
    )
    .map(|_| ())
    .map_err(|e| format!("cannot sign ES256 with this key ({e}); APNs keys are P-256"))
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
}

/// The provider token for a profile at `now`, with its `iat` aligned to the 20-minute step.
fn mint(profile: &Profile, secrets: &Secrets, now: OffsetDateTime) -> Result<Token, DraftError> {
    let key_id = setting(profile, "key_id", "Key ID")?;
    let team_id = setting(profile, "team_id", "Team ID")?;
    let key = signing_key(secrets.require(&profile.name, SECRET)?)?;
    super::jwt::install_crypto();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(key_id.to_string());
    let now_s = now.unix_timestamp();
    let iat = now_s - now_s.rem_euclid(STEP_S);
    let value =
        jsonwebtoken::encode(&header, &Claims { iss: team_id, iat }, &key).map_err(|e| {
            DraftError::new(
                format!("secret {SECRET}"),
                format!("could not sign the provider token ({e})"),
            )
        })?;
    let issued = OffsetDateTime::from_unix_timestamp(iat).unwrap_or(now);
    Ok(Token {
        value,
        expires_at: issued + time::Duration::seconds(LIFE_S),
        refresh_after: issued + time::Duration::seconds(REUSE_S),
    })
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

        let push_type = options
            .one_of("push_type", PUSH_TYPES)?
            .unwrap_or(if m.silent { "background" } else { "alert" });
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
                ctx.now.unix_timestamp() + i64::try_from(ttl).unwrap_or(i64::MAX / 2)
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

        let payload = match options.value("raw") {
            Some(raw) => raw_payload(raw)?,
            None => payload(draft, &options, background, &mut warnings)?,
        };
        let body = serde_json::to_string(&payload).unwrap_or_default();
        let limit = if push_type == "voip" {
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

fn short(token: &str) -> String {
    if token.len() > 12 {
        format!("{}…", &token[..12])
    } else {
        token.to_string()
    }
}

/// The topic a push type needs: VoIP, complication, file provider and Live Activity pushes go to
/// the bundle id with Apple's suffix.
fn topic_for(bundle: &str, push_type: &str) -> String {
    let suffix = match push_type {
        "voip" => ".voip",
        "complication" => ".complication",
        "fileprovider" => ".pushkit.fileprovider",
        "liveactivity" => ".push-type.liveactivity",
        _ => "",
    };
    if suffix.is_empty() || bundle.ends_with(suffix) {
        bundle.to_string()
    } else {
        format!("{bundle}{suffix}")
    }
}

fn device_tokens(draft: &Draft) -> Result<Vec<String>, DraftError> {
    let tokens = Fields::new("audience", &draft.audience).strings("device_tokens")?;
    if tokens.is_empty() {
        return Err(DraftError::new(
            "audience.device_tokens",
            "add at least one device token",
        ));
    }
    tokens
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            let t: String = t
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '<' && *c != '>')
                .collect();
            if t.is_empty()
                || !t.len().is_multiple_of(2)
                || !t.bytes().all(|b| b.is_ascii_hexdigit())
            {
                Err(DraftError::new(
                    format!("audience.device_tokens[{i}]"),
                    "is not a device token: APNs tokens are hexadecimal (64 or more characters)",
                ))
            } else {
                Ok(t.to_ascii_lowercase())
            }
        })
        .collect()
}

fn raw_payload(raw: &Value) -> Result<Value, DraftError> {
    let parsed = crate::provider::shared::raw_json(raw)?;
    if !parsed.get("aps").is_some_and(Value::is_object) {
        return Err(DraftError::new(
            "options.raw",
            "must be an APNs payload: a JSON object with an \"aps\" dictionary",
        ));
    }
    Ok(parsed)
}

fn payload(
    draft: &Draft,
    options: &Fields<'_>,
    background: bool,
    warnings: &mut Vec<String>,
) -> Result<Value, DraftError> {
    let m = &draft.message;
    if !m.translations.is_empty() {
        return Err(DraftError::new(
            "message.translations",
            "APNs sends one language per notification: send one draft per language, or use loc-key in options.raw",
        ));
    }
    if m.data.contains_key("aps") {
        return Err(DraftError::new(
            "message.data.aps",
            "is reserved for Apple's dictionary; use another key",
        ));
    }
    let mut aps = Map::new();
    if background {
        if !m.title.is_empty() || !m.body.is_empty() {
            warnings.push("A background push shows nothing: the title and body are not sent (the app reads the data).".into());
        }
        aps.insert("content-available".into(), json!(1));
    } else {
        if m.body.trim().is_empty() && m.title.trim().is_empty() {
            return Err(DraftError::new(
                "message.body",
                "is required for a visible notification (or mark the message silent)",
            ));
        }
        let mut alert = Map::new();
        for (key, value) in [
            ("title", &m.title),
            ("subtitle", &m.subtitle),
            ("body", &m.body),
        ] {
            if !value.trim().is_empty() {
                alert.insert(key.into(), json!(value));
            }
        }
        aps.insert("alert".into(), Value::Object(alert));
        if let Some(badge) = options.u64("badge")? {
            aps.insert("badge".into(), json!(badge));
        }
        aps.insert(
            "sound".into(),
            json!(options.string("sound")?.unwrap_or("default")),
        );
        if let Some(thread) = options.string("thread_id")? {
            aps.insert("thread-id".into(), json!(thread));
        }
        match options.string("category")? {
            Some(c) => {
                aps.insert("category".into(), json!(c));
            }
            None if !m.buttons.is_empty() => {
                return Err(DraftError::new(
                    "options.category",
                    "iOS shows buttons from a notification category the app registers: give that category's identifier",
                ));
            }
            None => {}
        }
        if !m.image.trim().is_empty() {
            aps.insert("mutable-content".into(), json!(1));
        }
    }
    if !m.buttons.is_empty() {
        warnings
            .push("APNs sends no button labels: the app's category defines the buttons.".into());
    }
    let mut payload = Map::new();
    payload.insert("aps".into(), Value::Object(aps));
    for (k, v) in &m.data {
        payload.insert(k.clone(), v.clone());
    }
    // For the app's Notification Service Extension and tap handling.
    if !m.image.trim().is_empty() && !payload.contains_key("image") {
        payload.insert("image".into(), json!(m.image.trim()));
    }
    if !m.url.trim().is_empty() && !payload.contains_key("url") {
        payload.insert("url".into(), json!(m.url.trim()));
    }
    Ok(Value::Object(payload))
}

fn reason(response: &ResponseDump) -> String {
    response
        .json()
        .and_then(|b| b.get("reason").and_then(Value::as_str).map(str::to_string))
        .unwrap_or_default()
}

fn reason_outcome(response: &ResponseDump) -> Outcome {
    let reason = reason(response);
    let status = response.status;
    let hint: &str = match reason.as_str() {
        "BadDeviceToken" => {
            "Token from the other environment? Development builds (Xcode) register sandbox tokens, TestFlight and App Store builds production tokens: switch the profile's environment, or check the token was copied whole."
        }
        "DeviceTokenNotForTopic" => {
            "This device token belongs to another app: check the topic (bundle id) in the profile."
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
        "Unregistered" | "ExpiredToken" => {
            "The app is no longer installed on this device or the token expired: delete this token."
        }
        "BadTopic" | "TopicDisallowed" | "MissingTopic" => {
            "Check the topic: it must be the app's bundle id, and the key's team must own the app."
        }
        "BadCollapseId" => "The collapse id is too long (64 bytes max).",
        "BadExpirationDate" => "The expiration (ttl) is not a valid time.",
        "BadPriority" => "Use priority 10, 5 or 1; background pushes need 5.",
        "InvalidPushType" => "Pick a push type Apple knows (alert, background, voip…).",
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
    };
    let said = if reason.is_empty() {
        format!("HTTP {status}")
    } else {
        reason.clone()
    };
    let when = if status == 410 {
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

#[cfg(test)]
mod tests;
