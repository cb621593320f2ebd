//! What the window keeps between runs (`data/ui/session.json`): the provider tab, each tab's
//! profile and message being composed (as drafts: profile names, never secrets), the right pane,
//! and the draft file the message came from. Written temp+rename; a broken file is moved aside.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::atomic::{read_or_quarantine, write_atomic};
use super::error::StoreError;
use crate::draft::Draft;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// The provider id of the tab shown.
    #[serde(default)]
    pub provider: Option<String>,
    /// Per provider id: the tab's profile and the message being composed.
    #[serde(default)]
    pub tabs: BTreeMap<String, TabSession>,
    /// Preview, Request or Response.
    #[serde(default)]
    pub right_pane: Option<String>,
    /// The draft file the shown message was opened from or saved to, and that file's draft.
    #[serde(default)]
    pub file: Option<PathBuf>,
    #[serde(default)]
    pub file_draft: Option<Draft>,
    /// The provider id of the tab that file's message is in.
    #[serde(default)]
    pub file_tab: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TabSession {
    #[serde(default)]
    pub profile: Option<String>,
    #[serde(default)]
    pub draft: Option<Draft>,
}

/// The kept session; a missing file is an empty one, a broken one is moved aside (with a warning).
pub fn load_session(file: &Path) -> (Session, Option<String>) {
    match read_or_quarantine::<Session>(file) {
        Ok(loaded) => {
            let warning = loaded.quarantined.map(|(aside, why)| {
                format!(
                    "The window's last session could not be read ({why}); it was moved to {} and the window starts afresh.",
                    aside.display()
                )
            });
            (loaded.value, warning)
        }
        Err(e) => (
            Session::default(),
            Some(format!("The window's last session could not be read: {e}")),
        ),
    }
}

pub fn save_session(file: &Path, session: &Session) -> Result<(), StoreError> {
    let text =
        serde_json::to_string_pretty(session).map_err(|e| StoreError::Invalid(e.to_string()))?;
    write_atomic(file, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_round_trips_and_a_broken_one_starts_afresh() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("ui/session.json");
        assert_eq!(load_session(&file), (Session::default(), None));
        let mut draft = Draft {
            profile: "acme".into(),
            ..Default::default()
        };
        draft.message.title = "Sale".into();
        let mut session = Session {
            provider: Some("ntfy".into()),
            right_pane: Some("Preview".into()),
            ..Default::default()
        };
        session.tabs.insert(
            "ntfy".into(),
            TabSession {
                profile: Some("acme".into()),
                draft: Some(draft),
            },
        );
        save_session(&file, &session).expect("save");
        assert_eq!(load_session(&file), (session, None));
        std::fs::write(&file, "{broken").expect("break");
        let (s, warning) = load_session(&file);
        assert_eq!(s, Session::default());
        assert!(warning.expect("said").contains("moved to"));
    }
}
