//! Firebase Cloud Messaging HTTP v1: a service-account JWT (RS256) exchanged for an OAuth2 access
//! token, then `POST /v1/projects/{project}/messages:send` (providers.md §8.1).
//!
//! With a base URL override (tests, proxies) the token exchange goes there too: the token
//! request is sent to `{base_url}{path of token_uri}` (normally `{base_url}/token`), while the
//! JWT's `aud` stays the key's `token_uri`, as Google checks it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::describe::{Capabilities, FieldKind, FieldSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider, Token, TokenPlan};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest, ResponseDump};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

pub struct Fcm;

const NAME: &str = "FCM";
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const SECRET: &str = "service_account_json";
/// FCM keeps messages at most 4 weeks.
const MAX_TTL: u64 = 2_419_200;
/// Notification plus data payload.
const MAX_PAYLOAD_BYTES: usize = 4096;
/// Stop reusing an access token this long before it expires.
const TOKEN_MARGIN_MINUTES: i64 = 5;
/// Shown in previews before the first exchange: the real token is fetched when sending.
pub const TOKEN_PLACEHOLDER: &str = "<access token: fetched from the token endpoint when sending>";

static INFO: ProviderInfo = ProviderInfo {
    id: "fcm",
    name: NAME,
    default_base_url: "https://fcm.googleapis.com",
    settings: &[FieldSpec::new(
        "project_id",
        "Project ID",
        FieldKind::Text,
        "optional: read from the service-account key; set it to send to another project",
    )],
    secrets: &[FieldSpec::new(
        SECRET,
        "Service-account key (JSON)",
        FieldKind::Json,
        "the whole JSON file from Project settings > Service accounts > Generate new private key",
    )
    .required()],
    audience: &[
        FieldSpec::new(
            "tokens",
            "Registration tokens",
            FieldKind::List,
            "one device registration token per line (one request each)",
        ),
        FieldSpec::new(
            "topic",
            "Topic",
            FieldKind::Text,
            "a topic name, e.g. news (every subscriber: a broadcast)",
        ),
        FieldSpec::new(
            "condition",
            "Condition",
            FieldKind::Text,
            "e.g. 'dogs' in topics && 'cats' in topics (up to 5 topics)",
        ),
    ],
    options: &[
        FieldSpec::new(
            "validate_only",
            "Validate only",
            FieldKind::Bool,
            "FCM checks the message and the target but delivers nothing",
        ),
        FieldSpec::new(
            "collapse_key",
            "Collapse key",
            FieldKind::Text,
            "a newer message with the same key replaces an undelivered one (Android, iOS)",
        ),
        FieldSpec::new(
            "channel_id",
            "Android channel",
            FieldKind::Text,
            "the Android notification channel id the app created",
        ),
    ],
    capabilities: Capabilities {
        retries_on_rate_limit: 2,
        server_dry_run: true,
        ..Capabilities::BASE
    },
    ..ProviderInfo::BASE
};

/// The fields of a service-account key Pushdeck uses.
#[derive(Deserialize)]
struct ServiceAccount {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    project_id: String,
    #[serde(default)]
    private_key_id: String,
    #[serde(default)]
    private_key: String,
    #[serde(default)]
    client_email: String,
    #[serde(default)]
    token_uri: String,
}

fn secret_error(message: impl Into<String>) -> DraftError {
    DraftError::new(format!("secret {SECRET}"), message)
}

/// Reads and checks a service-account key: what `secret set` and every send validate.
fn service_account(text: &str) -> Result<(ServiceAccount, jsonwebtoken::EncodingKey), DraftError> {
    let sa: ServiceAccount = serde_json::from_str(text.trim()).map_err(|e| {
        secret_error(format!(
            "is not the JSON of a service-account key ({e}); paste the whole downloaded file"
        ))
    })?;
    if sa.kind != "service_account" {
        return Err(secret_error(format!(
            "has type `{}`, expected `service_account`: download a key under Project settings > Service accounts",
            sa.kind
        )));
    }
    if sa.client_email.trim().is_empty() {
        return Err(secret_error("has no client_email"));
    }
    if sa.token_uri.trim().is_empty() {
        return Err(secret_error("has no token_uri"));
    }
    crate::http::check_base_url(&sa.token_uri)
        .map_err(|e| secret_error(format!("token_uri: {e}")))?;
    if sa.private_key.trim().is_empty() {
        return Err(secret_error("has no private_key"));
    }
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(sa.private_key.as_bytes()).map_err(|e| {
        secret_error(format!(
            "private_key is not an RSA private key in PEM form ({e})"
        ))
    })?;
    Ok((sa, key))
}

/// Checks a key when it is stored (`pushdeck secret set`).
pub fn validate_service_account(text: &str) -> Result<(), String> {
    service_account(text).map(|_| ()).map_err(|e| e.message)
}

fn project_id(profile: &Profile, sa: &ServiceAccount) -> Result<String, DraftError> {
    match profile.setting("project_id").map(str::trim) {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ if !sa.project_id.trim().is_empty() => Ok(sa.project_id.trim().to_string()),
        _ => Err(DraftError::new(
            "settings.project_id",
            format!(
                "the key names no project; set it with `pushdeck profile add {} --provider fcm --set project_id=…`",
                profile.name
            ),
        )),
    }
}

/// Where the token request goes: the key's `token_uri`, or its path under the base URL override.
fn token_endpoint(profile: &Profile, sa: &ServiceAccount) -> Result<String, DraftError> {
    let uri = sa.token_uri.trim();
    match profile
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(uri.to_string()),
        Some(_) => {
            let root = base_url(profile, &INFO)?;
            let path = url::Url::parse(uri)
                .map(|u| u.path().to_string())
                .unwrap_or_else(|_| "/token".into());
            Ok(format!("{root}{path}"))
        }
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

/// The token request: a signed JWT grant, form-encoded.
fn token_request(
    profile: &Profile,
    secrets: &Secrets,
    now: OffsetDateTime,
) -> Result<PreparedRequest, DraftError> {
    let text = secrets.require(&profile.name, SECRET)?;
    let (sa, key) = service_account(text)?;
    super::jwt::install_crypto();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    if !sa.private_key_id.is_empty() {
        header.kid = Some(sa.private_key_id.clone());
    }
    let iat = now.unix_timestamp();
    let claims = Claims {
        iss: &sa.client_email,
        scope: SCOPE,
        aud: sa.token_uri.trim(),
        iat,
        exp: iat + 3600,
    };
    let jwt = jsonwebtoken::encode(&header, &claims, &key)
        .map_err(|e| secret_error(format!("could not sign with private_key ({e})")))?;
    let body: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer")
        .append_pair("assertion", &jwt)
        .finish();
    let mut request = PreparedRequest::new("POST", token_endpoint(profile, &sa)?)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("Accept", "application/json");
    request.body = crate::http::Body::Text(body);
    request.add_secret("assertion", &jwt);
    Ok(request)
}

impl Provider for Fcm {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let text = ctx.secrets.require(&ctx.profile.name, SECRET)?;
        let (sa, _) = service_account(text)?;
        let project = project_id(ctx.profile, &sa)?;
        let root = base_url(ctx.profile, &INFO)?;
        let options = Fields::new("options", &draft.options);
        let validate_only = ctx.dry_run || options.bool("validate_only")? == Some(true);
        let mut warnings = Vec::new();
        let target = target(draft)?;
        let message = match options.value("raw") {
            Some(raw) => raw_message(raw)?,
            None => message(draft, &options, ctx.now, &mut warnings)?,
        };
        let url = format!("{root}/v1/projects/{}/messages:send", url_segment(&project));
        let token = ctx.token.unwrap_or(TOKEN_PLACEHOLDER);
        let build = |target_key: &str, target_value: &str| {
            let mut m = Map::new();
            if !message.contains_key("token")
                && !message.contains_key("topic")
                && !message.contains_key("condition")
            {
                m.insert(target_key.into(), json!(target_value));
            }
            for (k, v) in &message {
                m.insert(k.clone(), v.clone());
            }
            let mut body = Map::new();
            body.insert("message".into(), Value::Object(m));
            if validate_only {
                body.insert("validate_only".into(), json!(true));
            }
            let mut request = PreparedRequest::new("POST", url.clone())
                .header("Authorization", format!("Bearer {token}"))
                .json_body(&Value::Object(body));
            if let Some(t) = ctx.token {
                request.add_secret("access_token", t);
            }
            request
        };
        let requests = match &target {
            Target::Tokens(tokens) => tokens
                .iter()
                .map(|t| {
                    let mut r = build("token", t);
                    if tokens.len() > 1 {
                        r.recipient = Some(short_token(t));
                    }
                    r
                })
                .collect(),
            Target::Topic(t) => vec![build("topic", t)],
            Target::Condition(c) => vec![build("condition", c)],
        };
        Ok(Prepared { requests, warnings })
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        if let Some(outcome) = Outcome::from_transport(exchange) {
            return outcome;
        }
        let Some(response) = exchange.response.as_ref() else {
            return Outcome::not_sent("Not sent.");
        };
        if response.is_success() {
            let name = response
                .json()
                .and_then(|b| b.get("name").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_default();
            if name.is_empty() {
                return Outcome::refused(format!(
                    "{NAME} answered {} without a message name, so it is unclear whether anything was sent",
                    response.status
                ))
                .with_hint("Check the base URL: it should be https://fcm.googleapis.com or a stand-in of it.");
            }
            let id = name.rsplit('/').next().unwrap_or(&name).to_string();
            let validated = exchange
                .request
                .body
                .as_text()
                .and_then(|t| serde_json::from_str::<Value>(t).ok())
                .and_then(|b| b.get("validate_only").and_then(Value::as_bool))
                == Some(true);
            return if validated {
                Outcome::accepted(
                    "Validated: FCM accepted the message and the target, and delivered nothing",
                )
                .with_id(name)
            } else {
                Outcome::accepted(format!("Sent: message {id}")).with_id(name)
            };
        }
        error_outcome(response)
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

    fn validate_secret(&self, field: &str, value: &str) -> Result<(), String> {
        if field == SECRET {
            validate_service_account(value)
        } else {
            Ok(())
        }
    }

    fn token_plan(
        &self,
        profile: &Profile,
        secrets: &Secrets,
        now: OffsetDateTime,
    ) -> Result<TokenPlan, DraftError> {
        token_request(profile, secrets, now).map(TokenPlan::Exchange)
    }

    fn token_from_exchange(
        &self,
        exchange: &Exchange,
        now: OffsetDateTime,
    ) -> Result<Token, Outcome> {
        if let Some(outcome) = Outcome::from_transport(exchange) {
            return Err(outcome);
        }
        let Some(response) = exchange.response.as_ref() else {
            return Err(Outcome::not_sent("Not sent."));
        };
        let body = response.json();
        let text = |key: &str| {
            body.as_ref()
                .and_then(|b| b.get(key))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        if response.is_success() {
            let token = text("access_token");
            let expires_in = body
                .as_ref()
                .and_then(|b| b.get("expires_in"))
                .and_then(Value::as_i64)
                .unwrap_or(0)
                // Google grants an hour; a server claiming more is not believed past a day (and
                // an absurd value must not overflow the date arithmetic).
                .min(24 * 3600);
            if token.is_empty() || expires_in <= 0 {
                return Err(Outcome::refused(
                    "The token endpoint answered without an access token and its lifetime",
                )
                .with_hint("Check the key's token_uri (normally https://oauth2.googleapis.com/token) and the base URL."));
            }
            let expires_at = now + time::Duration::seconds(expires_in);
            let margin = time::Duration::minutes(TOKEN_MARGIN_MINUTES)
                .min(time::Duration::seconds(expires_in / 2));
            return Ok(Token {
                value: token,
                expires_at,
                refresh_after: expires_at - margin,
            });
        }
        let error = text("error");
        let description = text("error_description");
        let said = match (error.is_empty(), description.is_empty()) {
            (false, false) => format!("{error}: {description}"),
            (false, true) => error.clone(),
            _ => format!("HTTP {}", response.status),
        };
        let lower = description.to_ascii_lowercase();
        let hint = if lower.contains("short-lived")
            || lower.contains("iat")
            || lower.contains("exp")
        {
            "Google thinks the token's time is wrong: check that this computer's clock is set automatically."
        } else if error == "invalid_grant" {
            "Google does not accept this key: it may have been deleted or disabled. Create a new key (Project settings > Service accounts > Generate new private key) and store it again."
        } else if error == "invalid_client" || error == "unauthorized_client" {
            "The service account is unknown or disabled: check client_email in the key, or download a new key."
        } else if error == "invalid_scope" {
            "The scope was refused; this service account cannot use Firebase Cloud Messaging."
        } else {
            "The token endpoint refused the key; check the key file and the base URL."
        };
        Err(Outcome::refused(format!("Could not get an access token: {said}")).with_hint(hint))
    }

    fn audience_label(&self, draft: &Draft) -> String {
        match target(draft) {
            Ok(Target::Tokens(t)) if t.len() == 1 => "1 token".into(),
            Ok(Target::Tokens(t)) => format!("{} tokens", t.len()),
            Ok(Target::Topic(t)) => format!("topic “{t}”"),
            Ok(Target::Condition(_)) => "a topic condition".into(),
            Err(_) => "nobody yet".into(),
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        match target(draft).ok()? {
            Target::Topic(t) => Some(format!("every subscriber of topic “{t}”")),
            Target::Condition(c) => Some(format!("every device matching {c}")),
            Target::Tokens(_) => None,
        }
    }
}

/// The calls beside sending, behind `Provider::call`.
impl Fcm {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        let text = secrets.require(&profile.name, SECRET)?;
        let (sa, _) = service_account(text)?;
        project_id(profile, &sa)?;
        token_request(profile, secrets, crate::clock::now())
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        let now = crate::clock::now();
        match self.token_from_exchange(exchange, now) {
            Ok(token) => Outcome::accepted(format!(
                "Key works: Google issued an access token, valid for {} min",
                (token.expires_at - now).whole_minutes().max(0)
            )),
            Err(outcome) => outcome,
        }
    }
}

enum Target {
    Tokens(Vec<String>),
    Topic(String),
    Condition(String),
}

fn target(draft: &Draft) -> Result<Target, DraftError> {
    let a = Fields::new("audience", &draft.audience);
    let tokens = a.strings("tokens")?;
    let topic = a.string("topic")?.map(str::trim);
    let condition = a.string("condition")?.map(str::trim);
    let count = usize::from(!tokens.is_empty())
        + usize::from(topic.is_some())
        + usize::from(condition.is_some());
    if count == 0 {
        return Err(DraftError::new(
            "audience",
            "choose who receives it: tokens, a topic or a condition",
        ));
    }
    if count > 1 {
        return Err(DraftError::new(
            "audience",
            "FCM takes exactly one target: use only one of tokens, topic, condition",
        ));
    }
    if !tokens.is_empty() {
        return Ok(Target::Tokens(tokens));
    }
    if let Some(topic) = topic {
        let name = topic.strip_prefix("/topics/").unwrap_or(topic);
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.~%".contains(&b));
        if !valid {
            return Err(DraftError::new(
                "audience.topic",
                format!("`{topic}` is not a topic name: use letters, digits and - _ . ~ %"),
            ));
        }
        return Ok(Target::Topic(name.to_string()));
    }
    let condition = condition.unwrap_or_default();
    let topics = condition.matches("in topics").count();
    if topics == 0 {
        return Err(DraftError::new(
            "audience.condition",
            "write it like 'dogs' in topics || 'cats' in topics",
        ));
    }
    if topics > 5 {
        return Err(DraftError::new(
            "audience.condition",
            format!("FCM allows at most 5 topics in a condition; this has {topics}"),
        ));
    }
    Ok(Target::Condition(condition.to_string()))
}

fn short_token(token: &str) -> String {
    if token.chars().count() > 16 {
        let head: String = token.chars().take(12).collect();
        format!("{head}…")
    } else {
        token.to_string()
    }
}

fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// `options.raw` is the `message` object; the target from the audience is added when missing.
fn raw_message(raw: &Value) -> Result<Map<String, Value>, DraftError> {
    let parsed = match raw {
        Value::String(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| DraftError::new("options.raw", format!("invalid JSON: {e}")))?,
        other => other.clone(),
    };
    match parsed {
        Value::Object(mut map) => {
            // Accept a whole send body too.
            if let Some(Value::Object(inner)) = map.remove("message") {
                return Ok(inner);
            }
            Ok(map)
        }
        _ => Err(DraftError::new(
            "options.raw",
            "must be a JSON object: the FCM `message`",
        )),
    }
}

/// The message without its target: notification, data and the three platform blocks.
fn message(
    draft: &Draft,
    options: &Fields<'_>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Map<String, Value>, DraftError> {
    let m = &draft.message;
    if !m.translations.is_empty() {
        return Err(DraftError::new(
            "message.translations",
            "FCM sends one language per message: send one draft per language, or use localization keys in options.raw",
        ));
    }
    if options.has("schedule_at") {
        return Err(DraftError::new(
            "options.schedule_at",
            "FCM cannot schedule messages; send it at the time you want it delivered",
        ));
    }
    let data = data(&m.data, warnings)?;
    if !m.silent && m.body.trim().is_empty() {
        return Err(DraftError::new(
            "message.body",
            "is required, unless the message is silent (data only)",
        ));
    }
    if m.silent && data.is_empty() {
        return Err(DraftError::new(
            "message.data",
            "a silent message carries data only: add at least one data key",
        ));
    }
    let mut message = Map::new();
    if !m.silent {
        let mut notification = Map::new();
        put(&mut notification, "title", &m.title);
        put(&mut notification, "body", &m.body);
        put(&mut notification, "image", &m.image);
        message.insert("notification".into(), Value::Object(notification));
    } else if !m.title.is_empty() || !m.image.is_empty() {
        warnings.push("A silent message shows nothing: the title and image are not sent.".into());
    }
    if !data.is_empty() {
        let size =
            serde_json::to_vec(&data).map(|v| v.len()).unwrap_or(0) + m.title.len() + m.body.len();
        if size > MAX_PAYLOAD_BYTES {
            return Err(DraftError::new(
                "message.data",
                format!("the message is about {size} bytes; FCM allows {MAX_PAYLOAD_BYTES}"),
            ));
        }
        message.insert("data".into(), Value::Object(data));
    }

    let ttl = options.u64("ttl")?;
    if ttl.is_some_and(|t| t > MAX_TTL) {
        return Err(DraftError::new(
            "options.ttl",
            format!("FCM keeps messages at most {MAX_TTL} s (4 weeks)"),
        ));
    }
    let priority = options.one_of("priority", &["low", "normal", "high"])?;
    let collapse = options.string("collapse_key")?;
    let channel = options.string("channel_id")?;

    // Android
    let mut android = Map::new();
    if let Some(c) = collapse {
        android.insert("collapse_key".into(), json!(c));
    }
    match priority {
        Some("high") => {
            android.insert("priority".into(), json!("HIGH"));
        }
        Some(_) => {
            android.insert("priority".into(), json!("NORMAL"));
        }
        None => {}
    }
    if let Some(ttl) = ttl {
        android.insert("ttl".into(), json!(format!("{ttl}s")));
    }
    if let Some(c) = channel {
        android.insert("notification".into(), json!({"channel_id": c}));
    }
    if !android.is_empty() {
        message.insert("android".into(), Value::Object(android));
    }

    // APNs
    let mut headers = Map::new();
    let mut aps = Map::new();
    if m.silent {
        headers.insert("apns-push-type".into(), json!("background"));
        headers.insert("apns-priority".into(), json!("5"));
        aps.insert("content-available".into(), json!(1));
    } else if let Some(p) = priority {
        headers.insert(
            "apns-priority".into(),
            json!(if p == "low" { "5" } else { "10" }),
        );
    }
    if let Some(ttl) = ttl {
        let at = now.unix_timestamp() + i64::try_from(ttl).unwrap_or(0);
        headers.insert("apns-expiration".into(), json!(at.to_string()));
    }
    if let Some(c) = collapse {
        if c.len() > 64 {
            return Err(DraftError::new(
                "options.collapse_key",
                "iOS collapse ids are at most 64 bytes",
            ));
        }
        headers.insert("apns-collapse-id".into(), json!(c));
    }
    if !m.silent && !m.subtitle.is_empty() {
        aps.insert("alert".into(), json!({"subtitle": m.subtitle}));
    }
    if !m.silent && !m.image.is_empty() {
        aps.insert("mutable-content".into(), json!(1));
    }
    let mut apns = Map::new();
    if !headers.is_empty() {
        apns.insert("headers".into(), Value::Object(headers));
    }
    if !aps.is_empty() {
        apns.insert("payload".into(), json!({"aps": aps}));
    }
    if !m.silent && !m.image.is_empty() {
        apns.insert("fcm_options".into(), json!({"image": m.image}));
    }
    if !apns.is_empty() {
        message.insert("apns".into(), Value::Object(apns));
    }

    // Web push
    let mut web_headers = Map::new();
    if let Some(ttl) = ttl {
        web_headers.insert("TTL".into(), json!(ttl.to_string()));
    }
    if let Some(p) = priority {
        web_headers.insert("Urgency".into(), json!(p));
    }
    let mut web_notification = Map::new();
    if !m.silent {
        put(&mut web_notification, "icon", &m.icon);
        if !m.buttons.is_empty() {
            let mut actions = Vec::new();
            for (i, b) in m.buttons.iter().enumerate() {
                if b.id.trim().is_empty() || b.label.trim().is_empty() {
                    return Err(DraftError::new(
                        format!("message.buttons[{i}]"),
                        "every button needs an id and a label",
                    ));
                }
                let mut action = json!({"action": b.id, "title": b.label});
                if !b.icon.is_empty() {
                    action["icon"] = json!(b.icon);
                }
                actions.push(action);
            }
            web_notification.insert("actions".into(), Value::Array(actions));
            warnings.push("Buttons show in browsers only: FCM has no buttons for Android, and iOS buttons need a category the app registers (use options.raw).".into());
            if m.buttons.iter().any(|b| !b.url.is_empty()) {
                warnings.push("Button links are not sent: the web page's service worker decides what a button click opens.".into());
            }
        }
    }
    let mut webpush = Map::new();
    if !web_headers.is_empty() {
        webpush.insert("headers".into(), Value::Object(web_headers));
    }
    if !web_notification.is_empty() {
        webpush.insert("notification".into(), Value::Object(web_notification));
    }
    if !m.url.trim().is_empty() {
        if !m.url.trim().starts_with("https://") {
            return Err(DraftError::new(
                "message.url",
                "FCM opens only https:// links from a web notification",
            ));
        }
        webpush.insert("fcm_options".into(), json!({"link": m.url.trim()}));
        warnings.push("The link opens from web notifications; Android and iOS apps decide themselves what a tap opens.".into());
    }
    if !webpush.is_empty() {
        message.insert("webpush".into(), Value::Object(webpush));
    }
    Ok(message)
}

fn put(map: &mut Map<String, Value>, key: &str, value: &str) {
    if !value.trim().is_empty() {
        map.insert(key.into(), json!(value));
    }
}

/// FCM data is a string → string map: numbers and booleans are sent as their text, nested values
/// are refused.
fn data(
    input: &Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<Map<String, Value>, DraftError> {
    let mut out = Map::new();
    let mut converted = Vec::new();
    for (key, value) in input {
        let lower = key.to_ascii_lowercase();
        if ["from", "notification", "message_type"].contains(&lower.as_str())
            || lower.starts_with("google.")
            || lower.starts_with("gcm.")
        {
            return Err(DraftError::new(
                format!("message.data.{key}"),
                "is reserved by FCM (from, notification, message_type, google.*, gcm.*); rename it",
            ));
        }
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Number(n) => {
                converted.push(key.clone());
                n.to_string()
            }
            Value::Bool(b) => {
                converted.push(key.clone());
                b.to_string()
            }
            Value::Null => continue,
            Value::Array(_) | Value::Object(_) => {
                return Err(DraftError::new(
                    format!("message.data.{key}"),
                    "FCM data values must be strings: nested lists and objects are not allowed (send them as a JSON string)",
                ));
            }
        };
        out.insert(key.clone(), Value::String(text));
    }
    if !converted.is_empty() {
        warnings.push(format!(
            "FCM data values are strings: {} sent as text.",
            converted.join(", ")
        ));
    }
    Ok(out)
}

/// FCM's error body: `{"error":{"code","message","status","details":[FcmError, BadRequest]}}`.
fn error_outcome(response: &ResponseDump) -> Outcome {
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
    let said = if message.is_empty() {
        format!("HTTP {}", response.status)
    } else {
        message.clone()
    };
    let code = if error_code.is_empty() {
        status_name.as_str()
    } else {
        error_code.as_str()
    };
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

#[cfg(test)]
mod tests;
