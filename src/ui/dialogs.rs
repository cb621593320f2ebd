//! Open draft / Save draft as / Save exchange: a path field with recent files and the drafts folder
//! listed, in the app's own window. The window uses the desktop's own dialogs (`files.rs`) and
//! falls back to this one where no desktop portal answers (and in tests).

use std::path::PathBuf;

use eframe::egui::{self, RichText};

use super::command::{Action, Actions};
use super::widgets::{ok_color, text_field};
use crate::store::files::{self, expand_user_path};
use crate::store::{Paths, library};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Open,
    Save,
    /// Save the campaign panel's targets with the composer's message.
    SaveCampaign,
    /// Save this (already redacted) exchange dump.
    SaveExchange(String),
    /// Add Web Push subscriptions from a file.
    ImportSubscriptions,
    /// Read a credential field's secret (a `.p8`, a service-account JSON) from a file.
    LoadSecret(&'static str),
}

impl Mode {
    /// Whether the chosen file is written (and so may replace one).
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Mode::Save | Mode::SaveCampaign | Mode::SaveExchange(_)
        )
    }

    pub fn title(&self) -> &'static str {
        match self {
            Mode::Open => "Open draft",
            Mode::Save => "Save draft as",
            Mode::SaveCampaign => "Save campaign as",
            Mode::SaveExchange(_) => "Save exchange",
            Mode::ImportSubscriptions => "Import subscriptions",
            Mode::LoadSecret(_) => "Load a credential from a file",
        }
    }
}

pub struct FileDialog {
    pub mode: Mode,
    pub path: String,
    folder: PathBuf,
    /// Recent draft files first, then the drafts folder.
    files: Vec<PathBuf>,
    pub(super) error: Option<String>,
    /// A file to be written exists already: the path the user must confirm replacing.
    replace: Option<PathBuf>,
}

impl FileDialog {
    pub fn new(paths: &Paths, mode: Mode) -> Self {
        let folder = paths.drafts_dir();
        let mut files: Vec<PathBuf> = Vec::new();
        if mode != Mode::Save {
            files = library::recent_drafts(&paths.settings_file());
        }
        if let Ok(read) = std::fs::read_dir(&folder) {
            let mut in_folder: Vec<PathBuf> = read
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .filter(|p| !files.contains(p))
                .collect();
            in_folder.sort();
            files.extend(in_folder);
        }
        let path = match &mode {
            Mode::Save => folder.join("draft.json"),
            Mode::SaveCampaign => folder.join("campaign.json"),
            Mode::SaveExchange(_) => paths
                .data
                .join("exchanges")
                .join(format!("{}.txt", crate::store::HistoryStore::new_id())),
            Mode::Open => files.first().cloned().unwrap_or_default(),
            Mode::ImportSubscriptions => paths.data.join("subscriptions.json"),
            Mode::LoadSecret(_) => PathBuf::new(),
        };
        if matches!(
            mode,
            Mode::SaveExchange(_) | Mode::LoadSecret(_) | Mode::ImportSubscriptions
        ) {
            files.clear();
        }
        Self {
            mode,
            path: path.display().to_string(),
            folder,
            files,
            error: None,
            replace: None,
        }
    }
}

/// The dialog, while one is open; the chosen path goes to the app as `Action::FileChosen`, and the
/// dialog stays open with the error if the app could not use it.
pub fn file_dialog(ctx: &egui::Context, slot: &mut Option<FileDialog>, actions: &mut Actions) {
    let Some(dialog) = slot else {
        return;
    };
    let mut open = true;
    let mut go = false;
    let mut cancel = false;
    let title = dialog.mode.title();
    let verb = match dialog.mode {
        Mode::Open => "Open",
        Mode::Save | Mode::SaveCampaign | Mode::SaveExchange(_) => "Save",
        Mode::ImportSubscriptions => "Import",
        Mode::LoadSecret(_) => "Load",
    };
    let mut replace = false;
    egui::Window::new(title)
        .open(&mut open)
        .collapsible(false)
        .default_width(460.0)
        .show(ctx, |ui| {
            let r = text_field(ui, "File", &mut dialog.path, "/path/to/file or ~/file")
                .on_hover_text("~ is your home folder");
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                go = true;
            }
            if !dialog.files.is_empty() {
                ui.label(RichText::new(format!("Recent, and {}", dialog.folder.display())).weak());
                egui::ScrollArea::vertical()
                    .max_height(160.0)
                    .show(ui, |ui| {
                        for f in &dialog.files {
                            if ui
                                .selectable_label(
                                    dialog.path == f.display().to_string(),
                                    f.display().to_string(),
                                )
                                .clicked()
                            {
                                dialog.path = f.display().to_string();
                            }
                        }
                    });
            }
            if matches!(dialog.mode, Mode::SaveExchange(_)) {
                ui.weak("Saved as text with secrets masked.");
            }
            if let Some(e) = &dialog.error {
                ui.colored_label(ok_color(ui, false), e);
            }
            if let Some(existing) = &dialog.replace {
                ui.colored_label(
                    ok_color(ui, false),
                    format!("{} exists already.", existing.display()),
                );
                if ui
                    .button("Replace")
                    .on_hover_text("Write over the existing file")
                    .clicked()
                {
                    replace = true;
                }
            }
            ui.horizontal(|ui| {
                if ui
                    .button(RichText::new(verb).strong())
                    .on_hover_text(title)
                    .clicked()
                {
                    go = true;
                }
                if ui
                    .button("Cancel")
                    .on_hover_text("Close without choosing a file")
                    .clicked()
                {
                    cancel = true;
                }
            });
        });
    if cancel || !open {
        *slot = None;
    } else if replace {
        dialog.replace = None;
        actions.push(Action::FileChosen(expand_user_path(&dialog.path)));
    } else if go {
        let path = expand_user_path(&dialog.path);
        // Writing asks before replacing a file (a native save dialog asks by itself).
        if dialog.mode.writes() && files::exists(&path) {
            dialog.replace = Some(path);
        } else {
            dialog.replace = None;
            actions.push(Action::FileChosen(path));
        }
    }
}
