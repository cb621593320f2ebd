//! How a provider describes itself: its settings, secret fields, audience keys and options (each
//! with a label, a hint and a kind the forms render), its lookups and its capabilities.

use serde::Serialize;

use crate::draft::{COMMON_OPTIONS, Draft, DraftError};
use crate::profile::Profile;

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
    /// Which of the options every draft may carry (`draft::COMMON_OPTIONS`) this provider
    /// accepts: the window shows only these, and the others are refused before sending.
    pub common_options: &'static [&'static str],
    pub capabilities: Capabilities,
}

/// What a provider can do, as data the engine and the front ends read (no method to call).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Capabilities {
    /// At most this many requests start per second across a fan-out (Telegram: about 30).
    pub max_per_second: Option<f64>,
    /// Retry a request this many times when the provider asks to wait (429 + Retry-After).
    pub retries_on_rate_limit: u32,
    /// `token_plan` signs locally and cheaply (`TokenPlan::Mint`): previews show a real token.
    pub mints_tokens: bool,
    /// The provider validates on its server without delivering (FCM `validate_only`, Azure test
    /// sends): `--dry-run` then sends with `PrepareContext::dry_run` set.
    pub server_dry_run: bool,
    /// Requests of one send in flight at once, unless the draft asks for another number.
    pub concurrency: usize,
}

impl Capabilities {
    pub const BASE: Capabilities = Capabilities {
        max_per_second: None,
        retries_on_rate_limit: 0,
        mints_tokens: false,
        server_dry_run: false,
        concurrency: DEFAULT_CONCURRENCY,
    };
}

/// Requests of one send in flight at once when a provider says nothing else.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// The most requests of one send in flight at once, whatever a provider or draft asks for.
pub const MAX_CONCURRENCY: usize = 256;

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
        common_options: COMMON_OPTIONS,
        capabilities: Capabilities::BASE,
    };

    /// The names of its secret fields, for loading them from the keyring; the secrets every
    /// profile may have (`proxy_password`) included.
    pub fn secret_keys(&self) -> impl Iterator<Item = &'static str> + use<> {
        self.secrets
            .iter()
            .map(|f| f.key)
            .chain(crate::profile::NETWORK_SECRETS)
    }

    /// Whether the common option `key` (ttl, priority, schedule_at, raw) applies here.
    pub fn accepts_common(&self, key: &str) -> bool {
        self.common_options.contains(&key)
    }
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
    let options: Vec<&str> = COMMON_OPTIONS
        .iter()
        .copied()
        .chain(info.options.iter().map(|f| f.key))
        .collect();
    crate::draft::Fields::new("options", &draft.options).reject_unknown(&options)
}
