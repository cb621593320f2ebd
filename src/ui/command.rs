//! Everything a user can do in the window. `Command` is the table of named actions — label,
//! tooltip and shortcut in one place, as rerun's `UICommand` — and `Action` adds the ones that
//! carry data. Panels only push actions; the app applies them after the frame, so a panel never
//! reaches into another's state and the status line is fed from what the actions did.

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, os::OperatingSystem};

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::draft::Draft;
use crate::profile::Environment;
use crate::provider::Call;

/// A named action with a fixed label, a tooltip and, for the frequent ones, a shortcut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Send,
    CancelSend,
    CheckCredentials,
    /// FCM's `validate_only`: the server checks the message and delivers nothing.
    Validate,
    OpenDraft,
    SaveDraftAs,
    ToggleHistory,
    EditCredentials,
    NewProfile,
    CopyAsCurl,
    CopyBody,
    CopyResponseBody,
    SaveExchange,
    EditRaw,
    BackToGenerated,
    ResetRaw,
    SaveAsTemplate,
    ImportSubscriptions,
    ShowShortcuts,
    ToggleCampaign,
    SendCampaign,
    SaveCampaignAs,
    /// The Sink view: Pushdeck stands in for a provider (`sink.rs`).
    ToggleSink,
    StartSink,
    StopSink,
}

struct Spec {
    label: &'static str,
    tooltip: &'static str,
    shortcut: Option<KeyboardShortcut>,
}

const fn spec(label: &'static str, tooltip: &'static str) -> Spec {
    Spec {
        label,
        tooltip,
        shortcut: None,
    }
}

const fn keyed(label: &'static str, tooltip: &'static str, key: Key) -> Spec {
    Spec {
        label,
        tooltip,
        shortcut: Some(KeyboardShortcut::new(Modifiers::COMMAND, key)),
    }
}

impl Command {
    /// Every command with a shortcut, checked once per frame and listed, in this order, by the
    /// Keyboard shortcuts window.
    pub const WITH_SHORTCUTS: [Command; 7] = [
        Command::Send,
        Command::ToggleCampaign,
        Command::ToggleSink,
        Command::OpenDraft,
        Command::SaveDraftAs,
        Command::ToggleHistory,
        Command::ShowShortcuts,
    ];

    fn spec(self) -> Spec {
        match self {
            Command::Send => keyed("Send", "Send this message now", Key::Enter),
            Command::CancelSend => spec("Cancel", "Stop sending (Esc)"),
            Command::CheckCredentials => spec(
                "Check",
                "Test these credentials with the provider's cheapest read-only call",
            ),
            Command::Validate => spec(
                "Validate",
                "FCM checks the message and the target (validate_only) and delivers nothing",
            ),
            Command::OpenDraft => keyed("Open draft…", "Open a draft file", Key::O),
            Command::SaveDraftAs => keyed(
                "Save draft as…",
                "Save this message as a draft file the CLI can send",
                Key::S,
            ),
            Command::ToggleHistory => keyed("History", "Past sends and their dumps", Key::H),
            Command::ShowShortcuts => Spec {
                shortcut: Some(KeyboardShortcut::new(Modifiers::NONE, Key::F1)),
                ..spec(
                    "Keyboard shortcuts",
                    "Every keyboard shortcut of the window",
                )
            },
            Command::EditCredentials => spec(
                "Edit credentials…",
                "Change this profile's settings and secrets (secrets go to the OS keyring)",
            ),
            Command::NewProfile => spec("New profile…", "Create a profile for this provider"),
            Command::CopyAsCurl => spec(
                "Copy as curl",
                "A runnable curl command; secrets become $PUSHDECK_… variables unless revealed",
            ),
            Command::CopyBody => spec("Copy body", "Copy the request body"),
            Command::CopyResponseBody => spec("Copy response body", "Copy the response body"),
            Command::SaveExchange => spec(
                "Save exchange…",
                "Save this request and response (secrets masked) to a file",
            ),
            Command::EditRaw => spec(
                "Edit raw",
                "Edit the generated payload itself; Send uses your edit",
            ),
            Command::BackToGenerated => spec(
                "Back to generated",
                "Drop the raw edit and send the payload built from the form",
            ),
            Command::ResetRaw => spec(
                "Reset to generated",
                "Start the raw edit again from the generated payload",
            ),
            Command::SaveAsTemplate => spec("Save as template…", "Keep this message to reuse it"),
            Command::ToggleCampaign => keyed(
                "Campaign",
                "One message to several profiles and providers at once: targets, one Send, results as a matrix",
                Key::M,
            ),
            Command::SendCampaign => spec(
                "Send to all targets",
                "Send the composer's message to every enabled target at once (asks first)",
            ),
            Command::SaveCampaignAs => spec(
                "Save campaign as…",
                "Save the message and every target as a campaign file the CLI can send",
            ),
            // R for "receive": the other letters that come to mind are taken (S, I for italics).
            Command::ToggleSink => keyed(
                "Sink",
                "Stand in for a provider: receive what your backend sends and see what is wrong",
                Key::R,
            ),
            Command::StartSink => spec(
                "Start listening",
                "Listen on this port and answer every request as the provider would",
            ),
            Command::StopSink => spec(
                "Stop listening",
                "Stop the sink: the port is free again and refuses connections",
            ),
            Command::ImportSubscriptions => spec(
                "Import file…",
                "Add subscriptions from a JSON file (an array, or one per line)",
            ),
        }
    }

    pub fn label(self) -> &'static str {
        self.spec().label
    }

    /// The shortcut on `os`. `Modifiers::COMMAND` is Cmd on macOS and Ctrl elsewhere; where the
    /// Cmd form is taken by macOS itself (Cmd+H hides the app) the Mac gets its own convention.
    pub fn shortcut_on(self, os: OperatingSystem) -> Option<KeyboardShortcut> {
        match (self, os) {
            // Safari's and Chrome's History on macOS.
            (Command::ToggleHistory, OperatingSystem::Mac) => {
                Some(KeyboardShortcut::new(Modifiers::COMMAND, Key::Y))
            }
            _ => self.spec().shortcut,
        }
    }

    /// The shortcut on the platform the window runs on.
    pub fn shortcut(self, ctx: &egui::Context) -> Option<KeyboardShortcut> {
        self.shortcut_on(ctx.os())
    }

    /// The tooltip without the shortcut.
    pub fn description(self) -> &'static str {
        self.spec().tooltip
    }

    /// The tooltip, with the shortcut as this platform writes it.
    pub fn tooltip(self, ctx: &egui::Context) -> String {
        let tooltip = self.spec().tooltip;
        match self.shortcut(ctx) {
            Some(s) => format!("{tooltip} ({})", ctx.format_shortcut(&s)),
            None => tooltip.to_string(),
        }
    }

    /// A button with this command's label and tooltip; true when clicked.
    pub fn button(self, ui: &mut egui::Ui, enabled: bool) -> bool {
        let tooltip = self.tooltip(ui.ctx());
        ui.add_enabled(enabled, egui::Button::new(self.label()))
            .on_hover_text(tooltip)
            .on_disabled_hover_text(self.spec().tooltip)
            .clicked()
    }
}

/// What a panel asks the app to do. Applied in order after the frame. (No `Debug`: a profile
/// edit carries secret values.)
#[derive(Clone)]
pub enum Action {
    Run(Command),
    /// The user confirmed the audience of a broadcast.
    ConfirmSend,
    /// Put a draft in the composer of its profile's provider.
    LoadDraft(Box<Draft>),
    /// Fill an audience picker: the provider's lookup `lookup`, into the audience field `key`.
    Lookup {
        lookup: String,
        key: String,
    },
    /// A provider's own call from its panel (Telegram's webhook, Courier's delivery status); the
    /// answer comes back to that panel through the view, keyed by `purpose`.
    ProviderCall {
        call: Call,
        purpose: &'static str,
    },
    Copy {
        text: String,
        what: &'static str,
    },
    SaveTemplate(String),
    LoadTemplate(String),
    SelectTab(usize),
    SelectProfile(Option<String>),
    /// Items a provider panel found for an audience picker (Telegram's chats).
    FillPicker {
        key: String,
        items: Vec<crate::outcome::LookupItem>,
    },
    /// Show or mask the secrets in the inspector (a reveal lasts until the pane changes).
    Reveal(bool),
    /// A one-line note for the status bar from a panel that finished something of its own.
    Note {
        ok: bool,
        text: String,
    },
    /// The credentials editor's Save: settings to the profiles file, secrets to the keyring.
    SaveProfile(Box<ProfileEdit>),
    DeleteProfile(String),
    /// A VAPID key pair for the current profile: the private key to the keyring, the public one
    /// into its settings.
    StoreVapidKey {
        private_key: String,
        public_key: String,
    },
    /// "Load from file…" of a credential field: choose the file, read it into the field.
    LoadSecretFile(&'static str),
    /// The file dialog's path was chosen (what it is for is the dialog's mode).
    FileChosen(PathBuf),
    SaveExchange(String),
    ShowHistoryEntry(String),
    /// Open History on a sink session (read off the UI thread, shown once read).
    ShowSinkSession(String),
    DeleteHistoryEntry(String),
    /// The View menu's theme, applied and kept in the settings file.
    SetTheme(crate::store::library::Theme),
    /// "Send to the remaining": the entry's draft to its recipients with no recorded success;
    /// `confirmed` once the user said yes to a broad audience.
    ResumeHistoryEntry {
        id: String,
        confirmed: bool,
    },
    Campaign(super::campaign::Step),
    Sink(SinkStep),
}

/// What the Sink view (`sink.rs`) asks for besides its commands.
#[derive(Debug, Clone)]
pub enum SinkStep {
    /// Answer with this rehearsal from the next request on (`None`: answer normally).
    Answer(Option<&'static str>),
    /// Show the arrival with this number in the inspector.
    Pick(u64),
}

/// A profile as the credentials editor leaves it.
#[derive(Clone, Default)]
pub struct ProfileEdit {
    /// The profile being edited; `None` for a new one.
    pub original: Option<String>,
    pub name: String,
    pub provider: &'static str,
    pub settings: BTreeMap<String, String>,
    pub base_url: String,
    pub environment: Environment,
    pub confirm_broadcast: bool,
    /// New secret values (empty: keep the stored one).
    pub secrets: BTreeMap<String, String>,
}

/// The queue panels push to.
#[derive(Default)]
pub struct Actions(Vec<Action>);

impl Actions {
    pub fn push(&mut self, action: Action) {
        self.0.push(action);
    }

    pub fn run(&mut self, command: Command) {
        self.0.push(Action::Run(command));
    }

    pub fn note(&mut self, ok: bool, text: impl Into<String>) {
        self.0.push(Action::Note {
            ok,
            text: text.into(),
        });
    }

    pub fn campaign(&mut self, step: super::campaign::Step) {
        self.0.push(Action::Campaign(step));
    }

    pub fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_is_not_cmd_h_on_macos_which_hides_the_app() {
        let cmd_h = KeyboardShortcut::new(Modifiers::COMMAND, Key::H);
        assert_eq!(
            Command::ToggleHistory.shortcut_on(OperatingSystem::Nix),
            Some(cmd_h)
        );
        for command in Command::WITH_SHORTCUTS {
            assert_ne!(command.shortcut_on(OperatingSystem::Mac), Some(cmd_h));
            assert!(command.shortcut_on(OperatingSystem::Mac).is_some());
        }
    }

    #[test]
    fn no_two_commands_share_a_shortcut() {
        for os in [
            OperatingSystem::Mac,
            OperatingSystem::Nix,
            OperatingSystem::Windows,
        ] {
            let keys: Vec<_> = Command::WITH_SHORTCUTS
                .iter()
                .filter_map(|c| c.shortcut_on(os))
                .collect();
            for (i, k) in keys.iter().enumerate() {
                assert!(!keys[i + 1..].contains(k), "{k:?} twice on {os:?}");
            }
        }
    }
}
