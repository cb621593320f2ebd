//! Firebase Cloud Messaging HTTP v1: a service-account JWT (RS256) exchanged for an OAuth2 access
//! token, then `POST /v1/projects/{project}/messages:send` (providers.md §8.1).
//!
//! With a base URL override (tests, proxies) the token exchange goes there too: the token
//! request is sent to `{base_url}{path of token_uri}` (normally `{base_url}/token`), while the
//! JWT's `aud` stays the key's `token_uri`, as Google checks it.

use super::shared::answer;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::describe::{Capabilities, FieldKind, FieldSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider, Token, TokenPlan};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

pub mod auth;
mod doctor;
pub mod errors;
pub mod payload;

pub use auth::validate_service_account;
use auth::{SECRET, project_id, service_account, token_request};
use errors::{NAME, error_outcome};
use payload::{Target, message, raw_message, short_token, target, url_segment};

pub struct Fcm;

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
        FieldSpec::new(
            "live_activity",
            "Live Activity (JSON)",
            FieldKind::Json,
            "an iOS Live Activity through FCM, as APNs' options.live_activity: {\"event\": \"start\"|\"update\"|\"end\", \"content_state\": {…}, …}",
        ),
        FieldSpec::new(
            "live_activity_token",
            "Live Activity token",
            FieldKind::Text,
            "the activity's push token (or push-to-start token) from ActivityKit, sent as apns.live_activity_token",
        ),
    ],
    capabilities: Capabilities {
        retries_on_rate_limit: 2,
        server_dry_run: true,
        ..Capabilities::BASE
    },
    common_options: &["ttl", "priority", "raw"],
    ..ProviderInfo::BASE
};

impl Provider for Fcm {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        doctor::inspect(ctx.profile, ctx.secrets)
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
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
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
        let response = answer(exchange)?;
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
                "Key works: Google issued an access token with the messaging scope, valid for {} min",
                (token.expires_at - now).whole_minutes().max(0)
            )),
            Err(outcome) => outcome,
        }
    }
}

#[cfg(test)]
mod tests;
