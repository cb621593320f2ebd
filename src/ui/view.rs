//! What every panel may read, assembled by the app once per frame from its caches: no panel
//! touches disk, the keyring or the network, and none reaches into another panel's state.

use std::collections::HashMap;
use std::sync::Arc;

use crate::draft::{Draft, DraftError};
use crate::engine::{SendReport, SendResult};
use crate::outcome::{LookupItem, Outcome};
use crate::profile::{Profile, Secrets};
use crate::provider::{Prepared, Provider};

/// The current tab's message as the engine sees it, built once per change of the form, the
/// profile or its credentials, and shared by the Request pane, the Preview and Send.
pub struct Compiled {
    pub draft: Result<Arc<Draft>, DraftError>,
    /// The requests Send would make (a big fan-out: its first few), or why there are none.
    pub prepared: Result<Arc<Prepared>, String>,
    /// How many requests Send would make in all.
    pub total: usize,
    /// Who the message goes to, in words ("" when the form does not convert yet).
    pub audience: String,
    /// The payload Pushdeck generates from the form, ignoring a raw edit: where "Edit raw" and
    /// "Reset to generated" start, and what the diff compares with.
    pub generated: Result<String, String>,
}

/// What the panels read.
pub struct View<'a> {
    pub provider: &'static dyn Provider,
    pub profile: Option<&'a Profile>,
    /// This provider's profiles, by name.
    pub profiles: &'a [String],
    /// The current profile's secrets (for panels that show a public key), when readable.
    pub secrets: Option<&'a Secrets>,
    /// Which secret fields of the current profile are stored.
    pub stored: &'a [&'static str],
    pub keyring_persistent: bool,
    pub compiled: &'a Compiled,
    pub sending: Option<Progress>,
    pub last_report: Option<&'a Arc<SendReport>>,
    /// The row of `last_report` the Response pane shows.
    pub selected_result: usize,
    /// The draft of the last send from this tab (what `last_report` answered).
    pub last_sent: Option<&'a Draft>,
    pub check: Option<&'a Outcome>,
    pub checking: bool,
    pub lookup_items: &'a HashMap<String, Vec<LookupItem>>,
    pub looking_up: bool,
    /// Answers to the provider panel's own calls, by purpose, and which are still running.
    pub calls: &'a HashMap<&'static str, CallAnswer>,
    /// This provider's saved templates, listed when the tab opened or a template was saved.
    pub templates: &'a [String],
    pub reveal: bool,
    /// The status line: (ok, text).
    pub status: Option<&'a (bool, String)>,
}

/// A send in flight.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
}

/// A provider panel's call: running, or its result.
#[derive(Clone)]
pub enum CallAnswer {
    Running,
    Done(Result<Arc<SendResult>, String>),
}

impl View<'_> {
    pub fn is_sending(&self) -> bool {
        self.sending.is_some()
    }

    /// The answer to the call made for `purpose`, once it is back.
    pub fn answer(&self, purpose: &str) -> Option<&Result<Arc<SendResult>, String>> {
        match self.calls.get(purpose) {
            Some(CallAnswer::Done(result)) => Some(result),
            _ => None,
        }
    }

    pub fn calling(&self, purpose: &str) -> bool {
        matches!(self.calls.get(purpose), Some(CallAnswer::Running))
    }
}
