//! A named account at one provider: its non-secret settings (kept in the profiles file) and its
//! secret values (kept only in the keyring). Below the store and the providers, which both use it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which environment a profile sends to: shown as a badge on the profile bar and the Send button.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Dev,
    Staging,
    Prod,
}

impl Environment {
    pub const ALL: [Environment; 3] = [Environment::Dev, Environment::Staging, Environment::Prod];

    pub fn label(self) -> &'static str {
        match self {
            Environment::Dev => "DEV",
            Environment::Staging => "STAGING",
            Environment::Prod => "PROD",
        }
    }

    pub fn parse(text: &str) -> Option<Environment> {
        match text.trim().to_ascii_lowercase().as_str() {
            "dev" | "development" => Some(Environment::Dev),
            "staging" | "stage" => Some(Environment::Staging),
            "prod" | "production" => Some(Environment::Prod),
            _ => None,
        }
    }
}

/// A named account at one provider: non-secret settings only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    #[serde(skip)]
    pub name: String,
    pub provider: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
    #[serde(default)]
    pub environment: Environment,
    /// Ask before a broadcast (a whole segment, a topic…). On by default.
    #[serde(default = "yes")]
    pub confirm_broadcast: bool,
}

fn yes() -> bool {
    true
}

impl Profile {
    pub fn new(name: &str, provider: &str) -> Self {
        Self {
            name: name.to_string(),
            provider: provider.to_string(),
            base_url: None,
            settings: BTreeMap::new(),
            environment: Environment::Dev,
            confirm_broadcast: true,
        }
    }

    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .get(key)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
    }
}

/// The settings every profile has, whatever its provider: how it reaches the network.
pub const PROXY: &str = "proxy";
pub const CA_CERTIFICATES: &str = "ca_certificates";
pub const NETWORK_SETTINGS: [&str; 2] = [PROXY, CA_CERTIFICATES];
/// The password of the user named in the `proxy` URL: a secret, kept in the keyring.
pub const PROXY_PASSWORD: &str = "proxy_password";
pub const NETWORK_SECRETS: [&str; 1] = [PROXY_PASSWORD];

impl Profile {
    /// Its proxy and extra trusted certificates, for the transport.
    pub fn network(&self, secrets: &Secrets) -> crate::http::Network {
        crate::http::Network {
            proxy: self.setting(PROXY).map(str::to_string),
            proxy_password: secrets.get(PROXY_PASSWORD).map(str::to_string),
            ca_certificates: self.setting(CA_CERTIFICATES).map(std::path::PathBuf::from),
        }
    }

    /// Checks a network setting's value as typed (`None` when `key` is not one).
    pub fn check_network_setting(key: &str, value: &str) -> Option<Result<(), String>> {
        match key {
            PROXY if value.trim().is_empty() => Some(Ok(())),
            PROXY => Some(crate::http::check_proxy_setting(value)),
            CA_CERTIFICATES => Some(Ok(())),
            _ => None,
        }
    }
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
    pub fn require(&self, profile: &str, field: &str) -> Result<&str, crate::draft::DraftError> {
        self.get(field).ok_or_else(|| {
            crate::draft::DraftError::new(
                format!("secret {field}"),
                format!(
                    "no `{field}` stored for profile `{profile}`; store it with `pushdeck secret set {profile} {field}` or Edit credentials (without a keyring, set PUSHDECK_{} in the environment)",
                    field.to_ascii_uppercase()
                ),
            )
        })
    }
}
