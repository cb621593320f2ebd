//! The state behind files and memory (`files.rs`, `memory.rs`), apart from their code so the
//! app can hold it without importing the modules that extend the app.

use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Instant;

use super::dialogs::Mode;
use super::form::ComposerForm;
use super::inspector::RightTab;
use crate::draft::Draft;
use crate::store::session::Session;

/// What a native dialog answered: a path, nothing (cancelled), or why there is no native dialog.
pub type Picked = Result<Option<PathBuf>, String>;

#[derive(Default)]
pub struct Files {
    /// Use the desktop's dialogs (the real window); tests and the fallback use the in-app one.
    pub native: bool,
    /// Why native dialogs were found unavailable, once they were.
    pub(super) native_off: Option<String>,
    /// A native dialog open now, for this purpose.
    pub(super) picking: Option<(Mode, mpsc::Receiver<Picked>)>,
    /// The draft file the message in `tab` came from or was saved to, as it is on disk.
    pub(super) opened: Option<Opened>,
}

pub struct Opened {
    pub path: PathBuf,
    pub tab: usize,
    pub draft: Draft,
}

#[derive(Default)]
pub struct Memory {
    /// What the shown tab looked like last frame: tab, pane, profile, message.
    pub(super) seen: Option<(usize, RightTab, Option<String>, ComposerForm)>,
    pub(super) changed_at: Option<Instant>,
    /// The session as last written or read, so an unchanged one is not written again.
    pub(super) written: Option<Session>,
    /// The window title last asked for (the unsaved mark), so it is sent only on change.
    pub(super) title: Option<String>,
}
