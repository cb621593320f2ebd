//! The only code that touches disk and the keyring: paths, profiles, secrets, drafts, history.

mod atomic;
mod attachments;
pub mod audience_file;
mod calls;
mod campaigns;
mod entry;
mod error;
pub mod files;
mod history;
mod journal;
pub mod library;
mod paths;
mod profiles;
mod ranges;
mod record;
mod secrets;
pub mod session;
mod sink;

pub use crate::profile::{Environment, Profile};
pub use atomic::{Loaded, read_or_quarantine, write_atomic};
pub use attachments::read_attachment;
pub use calls::{CallLog, CallRecord};
pub use campaigns::{CampaignEntry, CampaignTarget};
pub use entry::{EntryState, HistoryEntry, HistorySummary, Tally};
pub use error::StoreError;
pub use history::HistoryStore;
pub use journal::{Finished, Journal, JournalHeader};
pub use paths::Paths;
pub use profiles::ProfileStore;
pub use ranges::Reached;
pub use record::{HistoryResult, KEEP_BINARY_BODIES, history_result};
pub use secrets::{KeyringStatus, SecretBackend, SecretError, SecretStore};
pub use sink::{
    SESSION_PREFIX, SinkLog, SinkRecord, SinkSession, SinkSessionHeader, SinkSummary, read_ca_pem,
    write_ca_pem,
};
