//! The provider seam: each provider describes its fields, turns a draft into prepared requests and
//! a response into an outcome, and does no I/O itself. Adding one is one file plus one registry line.

pub mod apns;
pub mod azure;
pub mod courier;
pub mod fcm;
pub mod jwt;
pub mod ntfy;
pub mod onesignal;
pub mod pushbullet;
pub(crate) mod shared;
pub mod sns;
pub mod telegram;
pub mod webpush;

use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;

use crate::draft::{Draft, DraftError};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::store::Profile;

/// Every provider this build supports, in tab order.
pub fn all() -> &'static [&'static dyn Provider] {
    &[
        &onesignal::OneSignal,
        &azure::Azure,
        &telegram::Telegram,
        &pushbullet::Pushbullet,
        &courier::Courier,
        &sns::Sns,
        &fcm::Fcm,
        &apns::Apns,
        &ntfy::Ntfy,
        &webpush::WebPush,
    ]
}

pub fn find(id: &str) -> Option<&'static dyn Provider> {
    all().iter().copied().find(|p| p.info().id == id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldKind {
    Text,
    /// Multi-line text or one item per line for lists.
    List,
    Number,
    Bool,
    Choice(&'static [&'static str]),
    /// Free JSON (e.g. OneSignal filter objects).
    Json,
    /// A list of JSON objects (Web Push subscriptions): typed one per line or as a JSON array.
    JsonList,
}

/// One field a provider understands: a setting, a secret, an audience key or an option.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct FieldSpec {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

impl FieldSpec {
    pub const fn new(
        key: &'static str,
        label: &'static str,
        kind: FieldKind,
        hint: &'static str,
    ) -> Self {
        Self {
            key,
            label,
            hint,
            kind,
            required: false,
        }
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// A read-only call that fills an audience picker (OneSignal segments, Pushbullet devices…).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct LookupSpec {
    pub id: &'static str,
    /// Button label, e.g. "Load segments".
    pub label: &'static str,
    /// The audience key the loaded items go into.
    pub audience_key: &'static str,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProviderInfo {
    pub id: &'static str,
    pub name: &'static str,
    pub default_base_url: &'static str,
    pub settings: &'static [FieldSpec],
    pub secrets: &'static [FieldSpec],
    pub audience: &'static [FieldSpec],
    pub options: &'static [FieldSpec],
    pub lookups: &'static [LookupSpec],
    /// At most this many requests start per second across a fan-out (Telegram: about 30).
    pub max_per_second: Option<f64>,
    /// Retry a request this many times when the provider asks to wait (429 + Retry-After).
    pub retries_on_rate_limit: u32,
    /// `token_plan` signs locally and cheaply (`TokenPlan::Mint`): previews show a real token.
    pub mints_tokens: bool,
}

impl ProviderInfo {
    /// Defaults for the optional parts: `ProviderInfo { id: …, ..ProviderInfo::BASE }`.
    pub const BASE: ProviderInfo = ProviderInfo {
        id: "",
        name: "",
        default_base_url: "",
        settings: &[],
        secrets: &[],
        audience: &[],
        options: &[],
        lookups: &[],
        max_per_second: None,
        retries_on_rate_limit: 0,
        mints_tokens: false,
    };
}

/// An access token a provider needs before it can send (an FCM OAuth token, an APNs provider JWT).
/// The engine caches it per profile and credentials until `refresh_after`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub value: String,
    pub expires_at: OffsetDateTime,
    /// When to stop reusing it (a margin before expiry, or the provider's renewal window).
    pub refresh_after: OffsetDateTime,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Token({}, expires {})",
            crate::http::redact_value(&self.value),
            self.expires_at
        )
    }
}

/// How a provider gets its token: not at all, by signing locally, or through an HTTP exchange
/// that the engine sends and records like any other.
pub enum TokenPlan {
    None,
    Mint(Token),
    Exchange(PreparedRequest),
}

/// Secret values of one profile, by field name. Its `Debug` never prints a value.
#[derive(Clone, Default)]
pub struct Secrets(BTreeMap<String, String>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Secrets {
    pub fn insert(&mut self, field: &str, value: String) {
        self.0.insert(field.to_string(), value);
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .get(field)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A hash of every value: tells whether the credentials changed without keeping them.
    pub fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.0.hash(&mut hasher);
        hasher.finish()
    }

    /// The value, or an error telling how to store it.
    pub fn require(&self, profile: &str, field: &str) -> Result<&str, DraftError> {
        self.get(field).ok_or_else(|| {
            DraftError::new(
                format!("secret {field}"),
                format!(
                    "no `{field}` stored for profile `{profile}`; store it with `pushdeck secret set {profile} {field}` or Edit credentials (without a keyring, set PUSHDECK_{} in the environment)",
                    field.to_ascii_uppercase()
                ),
            )
        })
    }
}

/// Everything `prepare` may use. Time and the idempotency key come in from outside so a payload is
/// a pure function of its inputs and can be tested byte for byte.
pub struct PrepareContext<'a> {
    pub draft: &'a Draft,
    pub profile: &'a Profile,
    pub secrets: &'a Secrets,
    pub now: OffsetDateTime,
    /// One per composed message: a double click re-sends the same key, so the provider dedupes.
    pub idempotency_key: &'a str,
    /// The access token from `token_plan`, when the provider needs one and it is known (a preview
    /// before the first send has none: show a placeholder).
    pub token: Option<&'a str>,
    /// Build for the provider's server-side validation mode (`server_dry_run`).
    pub dry_run: bool,
}

/// The requests a draft turns into, plus warnings the user should see before sending (a field the
/// provider drops, a list that was cut).
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub requests: Vec<PreparedRequest>,
    pub warnings: Vec<String>,
}

pub trait Provider: Send + Sync {
    fn info(&self) -> &'static ProviderInfo;

    /// Builds the request(s) for a draft. No I/O, no clock, no randomness of its own.
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError>;

    /// Judges a response: body as well as status.
    fn interpret(&self, exchange: &Exchange) -> Outcome;

    /// The cheapest read-only request that proves the credentials.
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError>;

    fn interpret_check(&self, exchange: &Exchange) -> Outcome;

    /// A read-only request for one of `info().lookups`.
    fn lookup(
        &self,
        id: &str,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<PreparedRequest, DraftError> {
        let _ = (profile, secrets);
        Err(DraftError::new(
            "lookup",
            format!("`{id}` is not a lookup of {}", self.info().name),
        ))
    }

    /// The items a lookup returned (in `Outcome::items`), or why not.
    fn interpret_lookup(&self, id: &str, exchange: &Exchange) -> Outcome {
        let _ = (id, exchange);
        Outcome::refused("This provider has no lookups.")
    }

    /// True when the provider can validate on the server without delivering (FCM validate_only,
    /// Azure test sends): `--dry-run` then sends with `PrepareContext::dry_run` set.
    fn server_dry_run(&self) -> bool {
        false
    }

    /// How many requests of one send may be in flight at once.
    fn concurrency(&self, draft: &Draft) -> usize {
        let _ = draft;
        crate::engine::DEFAULT_CONCURRENCY
    }

    /// Providers without a read-only endpoint (Web Push) check the credentials locally: `Some`
    /// replaces the network call of `check`.
    fn check_locally(
        &self,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Option<Result<Outcome, DraftError>> {
        let _ = (profile, secrets);
        None
    }

    /// For fan-outs whose requests are costly to build (Web Push encrypts each one): the draft cut
    /// to its first `limit` recipients and how many were left out, so live previews stay instant.
    /// `None` when the draft is small enough or building is cheap.
    fn preview_draft(&self, draft: &Draft, limit: usize) -> Option<(Draft, usize)> {
        let _ = (draft, limit);
        None
    }

    /// The token this profile needs before sending; the engine calls it only when its cache has
    /// no fresh token.
    fn token_plan(
        &self,
        profile: &Profile,
        secrets: &Secrets,
        now: OffsetDateTime,
    ) -> Result<TokenPlan, DraftError> {
        let _ = (profile, secrets, now);
        Ok(TokenPlan::None)
    }

    /// Reads the token out of a `TokenPlan::Exchange` response, or says why there is none.
    fn token_from_exchange(
        &self,
        exchange: &Exchange,
        now: OffsetDateTime,
    ) -> Result<Token, Outcome> {
        let _ = (exchange, now);
        Err(Outcome::refused(
            "This provider does not use access tokens.",
        ))
    }

    /// Checks a secret's value when it is stored (`pushdeck secret set`), so a wrong file is
    /// refused before it reaches the keyring. `Err` says what is wrong, in words.
    fn validate_secret(&self, field: &str, value: &str) -> Result<(), String> {
        let _ = (field, value);
        Ok(())
    }

    /// Who receives the draft, in words ("'Active Users'", "3 external IDs").
    fn audience_label(&self, draft: &Draft) -> String;

    /// `Some(description)` when the draft goes to a broad audience that deserves a confirmation
    /// ("every subscriber in 'All'").
    fn broadcast(&self, draft: &Draft) -> Option<String>;
}

/// Validates the profile's base URL override or falls back to the provider's default.
pub fn base_url(profile: &Profile, info: &ProviderInfo) -> Result<String, DraftError> {
    match profile
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(url) => crate::http::check_base_url(url).map_err(|e| DraftError::new("base_url", e)),
        None => Ok(info.default_base_url.to_string()),
    }
}

/// Checks the draft's audience and options keys against the provider's description.
pub fn validate_keys(info: &ProviderInfo, draft: &Draft) -> Result<(), DraftError> {
    let audience: Vec<&str> = info.audience.iter().map(|f| f.key).collect();
    crate::draft::Fields::new("audience", &draft.audience).reject_unknown(&audience)?;
    let options: Vec<&str> = crate::draft::COMMON_OPTIONS
        .iter()
        .copied()
        .chain(info.options.iter().map(|f| f.key))
        .collect();
    crate::draft::Fields::new("options", &draft.options).reject_unknown(&options)
}
