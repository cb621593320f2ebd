use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::profile::Secrets;

pub const SERVICE: &str = "pushdeck";

#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct SecretError {
    pub message: String,
}

/// Where secrets live: the OS keyring, or (when none answers) memory for this session only.
pub trait SecretBackend: Send + Sync {
    fn get(&self, user: &str) -> Result<Option<String>, SecretError>;
    fn set(&self, user: &str, value: &str) -> Result<(), SecretError>;
    /// Returns whether something was deleted.
    fn delete(&self, user: &str) -> Result<bool, SecretError>;
}

/// The OS keyring through the `keyring` crate: Secret Service, Keychain, Credential Manager.
pub struct KeyringBackend;

fn explain(e: &keyring::Error) -> String {
    match e {
        keyring::Error::NoStorageAccess(inner) => format!(
            "the keyring is locked or refused access ({inner}); unlock it (log in to your desktop session) and try again"
        ),
        keyring::Error::NoDefaultStore => {
            "no keyring service is reachable (no desktop session bus); secrets can be kept for this session only".into()
        }
        keyring::Error::PlatformFailure(inner) => {
            let text = inner.to_string();
            if text.contains("ServiceUnknown") || text.contains("org.freedesktop.secrets") {
                "no Secret Service is running on the session bus (install and start gnome-keyring or KeePassXC's Secret Service)".into()
            } else {
                format!("the keyring failed: {text}")
            }
        }
        other => format!("the keyring failed: {other}"),
    }
}

impl SecretBackend for KeyringBackend {
    fn get(&self, user: &str) -> Result<Option<String>, SecretError> {
        let entry = keyring::Entry::new(SERVICE, user).map_err(|e| SecretError {
            message: explain(&e),
        })?;
        match entry.get_password() {
            Ok(v) => Ok(Some(v)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(SecretError {
                message: explain(&e),
            }),
        }
    }

    fn set(&self, user: &str, value: &str) -> Result<(), SecretError> {
        let entry = keyring::Entry::new(SERVICE, user).map_err(|e| SecretError {
            message: explain(&e),
        })?;
        entry.set_password(value).map_err(|e| SecretError {
            message: explain(&e),
        })
    }

    fn delete(&self, user: &str) -> Result<bool, SecretError> {
        let entry = keyring::Entry::new(SERVICE, user).map_err(|e| SecretError {
            message: explain(&e),
        })?;
        match entry.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(e) => Err(SecretError {
                message: explain(&e),
            }),
        }
    }
}

/// Secrets held in memory for this process only: the fallback without a keyring, and tests.
#[derive(Default)]
pub struct MemoryBackend(Mutex<HashMap<String, String>>);

impl SecretBackend for MemoryBackend {
    fn get(&self, user: &str) -> Result<Option<String>, SecretError> {
        Ok(self.0.lock().map(|m| m.get(user).cloned()).unwrap_or(None))
    }

    fn set(&self, user: &str, value: &str) -> Result<(), SecretError> {
        if let Ok(mut m) = self.0.lock() {
            m.insert(user.to_string(), value.to_string());
        }
        Ok(())
    }

    fn delete(&self, user: &str) -> Result<bool, SecretError> {
        Ok(self
            .0
            .lock()
            .map(|mut m| m.remove(user).is_some())
            .unwrap_or(false))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyringStatus {
    Available,
    /// No keyring: secrets are kept in memory for this session. The reason is in words.
    SessionOnly(String),
}

#[derive(Clone)]
pub struct SecretStore {
    backend: Arc<dyn SecretBackend>,
    pub status: KeyringStatus,
}

impl SecretStore {
    /// Opens the OS keyring, or falls back to memory with a reason when it does not answer. The
    /// probe runs on a thread with a time limit: a locked keyring can block on an unlock prompt.
    pub fn open_os_keyring() -> SecretStore {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(KeyringBackend.get(".probe"));
        });
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok(_)) => SecretStore {
                backend: Arc::new(KeyringBackend),
                status: KeyringStatus::Available,
            },
            Ok(Err(e)) => Self::session_only(e.message),
            Err(_) => Self::session_only(
                "the keyring did not answer within 5 s (it may be waiting for an unlock prompt)"
                    .into(),
            ),
        }
    }

    pub fn session_only(reason: String) -> SecretStore {
        tracing::debug!(%reason, "no keyring: secrets are kept in memory for this session only");
        SecretStore {
            backend: Arc::new(MemoryBackend::default()),
            status: KeyringStatus::SessionOnly(reason),
        }
    }

    /// An in-memory store that reports itself as a real keyring (tests).
    pub fn memory() -> SecretStore {
        SecretStore {
            backend: Arc::new(MemoryBackend::default()),
            status: KeyringStatus::Available,
        }
    }

    pub fn is_persistent(&self) -> bool {
        self.status == KeyringStatus::Available
    }

    pub fn user(profile: &str, field: &str) -> String {
        format!("{profile}/{field}")
    }

    pub fn get(&self, profile: &str, field: &str) -> Result<Option<String>, SecretError> {
        self.backend.get(&Self::user(profile, field))
    }

    pub fn set(&self, profile: &str, field: &str, value: &str) -> Result<(), SecretError> {
        self.backend.set(&Self::user(profile, field), value)
    }

    pub fn delete(&self, profile: &str, field: &str) -> Result<bool, SecretError> {
        self.backend.delete(&Self::user(profile, field))
    }

    /// All secret fields of a profile. A field missing from the store falls back to the
    /// environment variable `PUSHDECK_<FIELD>` (CI and scripts), the same name copy-as-curl uses.
    pub fn load<'a>(
        &self,
        profile: &str,
        fields: impl IntoIterator<Item = &'a str>,
    ) -> Result<Secrets, SecretError> {
        let mut secrets = Secrets::default();
        for field in fields {
            let value = match self.get(profile, field)? {
                Some(v) => Some(v),
                None => std::env::var(format!("PUSHDECK_{}", field.to_ascii_uppercase()))
                    .ok()
                    .filter(|v| !v.is_empty()),
            };
            if let Some(v) = value {
                secrets.insert(field, v);
            }
        }
        Ok(secrets)
    }

    /// Which secret fields are stored (for "stored in keyring" labels), without reading values
    /// into the UI.
    pub fn stored_fields(
        &self,
        profile: &str,
        fields: impl IntoIterator<Item = &'static str>,
    ) -> Vec<&'static str> {
        fields
            .into_iter()
            .filter(|f| matches!(self.get(profile, f), Ok(Some(_))))
            .collect()
    }
}
