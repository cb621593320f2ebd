//! Open draft / Save draft as: a path field with the drafts folder listed, in the app's own window
//! (works the same on every desktop, in tests, and without a portal service).

use std::path::PathBuf;

use eframe::egui::{self, RichText};

use super::app::PushdeckApp;
use super::widgets::{ok_color, text_field};
use crate::draft::Draft;
use crate::store::{Paths, write_atomic};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Open,
    Save,
}

pub struct FileDialog {
    pub mode: Mode,
    pub path: String,
    folder: PathBuf,
    files: Vec<PathBuf>,
    error: Option<String>,
}

impl FileDialog {
    fn new(paths: &Paths, mode: Mode) -> Self {
        let folder = paths.drafts_dir();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .map(|r| {
                r.filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "json"))
                    .collect()
            })
            .unwrap_or_default();
        files.sort();
        let path = match mode {
            Mode::Save => folder.join("draft.json").display().to_string(),
            Mode::Open => files
                .first()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
        };
        Self {
            mode,
            path,
            folder,
            files,
            error: None,
        }
    }

    pub fn open(paths: &Paths) -> Self {
        Self::new(paths, Mode::Open)
    }

    pub fn save(paths: &Paths) -> Self {
        Self::new(paths, Mode::Save)
    }
}

pub fn file_dialog(app: &mut PushdeckApp, ctx: &egui::Context) {
    let Some(mut dialog) = app.file_dialog.take() else {
        return;
    };
    let mut open = true;
    let mut go = false;
    let mut cancel = false;
    let title = match dialog.mode {
        Mode::Open => "Open draft",
        Mode::Save => "Save draft as",
    };
    egui::Window::new(title)
        .open(&mut open)
        .collapsible(false)
        .default_width(460.0)
        .show(ctx, |ui| {
            let r = text_field(ui, "File", &mut dialog.path, "/path/to/draft.json");
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                go = true;
            }
            if !dialog.files.is_empty() {
                ui.label(RichText::new(format!("In {}", dialog.folder.display())).weak());
                egui::ScrollArea::vertical()
                    .max_height(160.0)
                    .show(ui, |ui| {
                        for f in &dialog.files {
                            let name = f
                                .file_name()
                                .map(|n| n.to_string_lossy().into_owned())
                                .unwrap_or_default();
                            if ui
                                .selectable_label(dialog.path == f.display().to_string(), name)
                                .clicked()
                            {
                                dialog.path = f.display().to_string();
                            }
                        }
                    });
            }
            if let Some(e) = &dialog.error {
                ui.colored_label(ok_color(ui, false), e);
            }
            ui.horizontal(|ui| {
                let verb = if dialog.mode == Mode::Open {
                    "Open"
                } else {
                    "Save"
                };
                if ui
                    .button(RichText::new(verb).strong())
                    .on_hover_text(format!("{verb} the draft file"))
                    .clicked()
                {
                    go = true;
                }
                if ui.button("Cancel").clicked() {
                    cancel = true;
                }
            });
        });
    if cancel {
        return;
    }
    if go {
        let path = PathBuf::from(dialog.path.trim());
        let result = match dialog.mode {
            Mode::Open => std::fs::read_to_string(&path)
                .map_err(|e| format!("Cannot read {}: {e}", path.display()))
                .and_then(|text| {
                    Draft::from_json(&text).map_err(|e| format!("This draft has a problem: {e}"))
                })
                .map(|draft| {
                    // A draft whose profile is missing still opens; the status says what to fix.
                    app.status = Some(match app.load_draft(&draft) {
                        Ok(()) => (true, format!("Opened {}", path.display())),
                        Err(warning) => (false, warning),
                    });
                }),
            Mode::Save => app
                .current_draft()
                .map_err(|e| format!("Not saved: {e}"))
                .and_then(|draft| {
                    write_atomic(&path, draft.to_json_pretty().as_bytes())
                        .map_err(|e| format!("Not saved: {e}"))
                })
                .map(|()| app.status = Some((true, format!("Saved draft to {}", path.display())))),
        };
        match result {
            Ok(()) => return,
            Err(e) => dialog.error = Some(e),
        }
    }
    if open {
        app.file_dialog = Some(dialog);
    }
}
