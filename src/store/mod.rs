//! The only code that touches disk and the keyring: paths, profiles, secrets, drafts, history.

mod atomic;
mod history;
pub mod library;
mod paths;
mod profiles;
mod secrets;

pub use atomic::{Loaded, read_or_quarantine, write_atomic};
pub use history::{HistoryEntry, HistoryResult, HistoryStore, HistorySummary, history_result};
pub use paths::Paths;
pub use profiles::{Environment, Profile, ProfileStore};
pub use secrets::{KeyringStatus, SecretBackend, SecretError, SecretStore};

/// Errors from disk or keyring, in words.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("could not {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl StoreError {
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        StoreError::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    }
}
