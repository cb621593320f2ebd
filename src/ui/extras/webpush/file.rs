//! A Web Push audience kept in its own file (`audience.subscriptions_file`): its count and first
//! endpoints, counted on a background thread (never its rows), and after a send, the gone
//! subscriptions removed from the file itself, through the engine (the store rewrites it).

use std::sync::{Arc, Mutex};

use eframe::egui::{self, RichText};

use crate::engine::{Engine, SendReport};
use crate::ui::command::Actions;
use crate::ui::widgets::ok_color;

/// Endpoints of a subscriptions file shown in the window; the rest are only counted.
const FILE_SAMPLE: usize = 3;

/// A file's subscription count and first endpoints, or why it cannot be read.
type Counted = Result<(usize, Vec<String>), String>;

/// A subscriptions file being counted (`None` in the slot until the count is done).
pub struct FileSummary {
    path: String,
    counted: Arc<std::sync::Mutex<Option<Counted>>>,
}

impl FileSummary {
    /// Starts counting `path` on its own thread; the window repaints when it is done.
    fn start(path: &str, ctx: &egui::Context) -> Self {
        let counted = Arc::new(std::sync::Mutex::new(None));
        let (slot, file, ctx) = (Arc::clone(&counted), path.to_string(), ctx.clone());
        let spawned = std::thread::Builder::new()
            .name("count-subscriptions".into())
            .spawn(move || {
                let result = crate::engine::Engine::audience_file_summary(
                    std::path::Path::new(&file),
                    FILE_SAMPLE,
                )
                .map(|(count, sample)| {
                    let endpoints = sample
                        .iter()
                        .map(|v| match v.get("endpoint").and_then(|e| e.as_str()) {
                            Some(e) => e.to_string(),
                            None => "(no endpoint)".to_string(),
                        })
                        .collect();
                    (count, endpoints)
                });
                if let Ok(mut slot) = slot.lock() {
                    *slot = Some(result);
                }
                ctx.request_repaint();
            });
        if let Err(e) = spawned
            && let Ok(mut slot) = counted.lock()
        {
            *slot = Some(Err(format!("could not start counting: {e}")));
        }
        Self {
            path: path.to_string(),
            counted,
        }
    }
}

/// A subscriptions file instead of a list: its count and first endpoints, never its rows.
pub fn file_summary(ui: &mut egui::Ui, summary: &mut Option<FileSummary>, path: &str) {
    if summary.as_ref().is_none_or(|f| f.path != path) {
        *summary = Some(FileSummary::start(path, ui.ctx()));
    }
    let Some(file) = summary else {
        return;
    };
    let counted = file.counted.lock().ok().and_then(|c| c.clone());
    match counted {
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Counting the subscriptions in the file…");
            });
        }
        Some(Ok((count, sample))) => {
            ui.label(RichText::new(format!("Subscriptions file: {count} subscriptions")).strong())
                .on_hover_text(path);
            for endpoint in &sample {
                ui.weak(endpoint);
            }
            if count > sample.len() {
                ui.weak(format!("… and {} more", count - sample.len()));
            }
            ui.weak("Read as the send goes: the list is not loaded into the window. Clear the Subscriptions file field to list subscriptions here instead.");
        }
        Some(Err(e)) => {
            ui.colored_label(ok_color(ui, false), format!("Subscriptions file: {e}"));
        }
    }
}

/// How a removal from the file ended: how many went, or why none did.
type Pruned = Result<usize, String>;

/// The gone subscriptions of one send from a file, and their removal once asked for.
pub struct FilePrune {
    report: Arc<SendReport>,
    gone: usize,
    /// Set once the removal runs; the slot fills when it is done.
    running: Option<Arc<Mutex<Option<Pruned>>>>,
    /// Removed (or refused): the offer is not made again for this send.
    finished: bool,
}

/// After a send from a subscriptions file: "Remove N gone from the file", which rewrites the
/// file without them on a background thread (a million lines take a moment).
pub fn gone(
    ui: &mut egui::Ui,
    (pruning, summary): (&mut Option<FilePrune>, &mut Option<FileSummary>),
    report: &Arc<SendReport>,
    path: &str,
    actions: &mut Actions,
) {
    if pruning
        .as_ref()
        .is_none_or(|p| !Arc::ptr_eq(&p.report, report))
    {
        *pruning = Some(FilePrune {
            report: report.clone(),
            gone: report.results.iter().filter(|r| r.outcome.gone).count(),
            running: None,
            finished: false,
        });
    }
    let Some(prune) = pruning else {
        return;
    };
    if let Some(slot) = &prune.running {
        let done = slot.lock().ok().and_then(|mut s| s.take());
        match done {
            None => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Removing the gone subscriptions from the file…");
                });
                return;
            }
            Some(result) => {
                prune.running = None;
                prune.finished = true;
                match result {
                    Ok(n) => actions.note(
                        true,
                        format!("Removed {n} gone subscription(s) from {path}"),
                    ),
                    Err(e) => actions.note(false, e),
                }
                // Counted again: the file changed.
                *summary = None;
                return;
            }
        }
    }
    if prune.gone == 0 || prune.finished {
        return;
    }
    let n = prune.gone;
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(
            ok_color(ui, false),
            format!("{n} subscription(s) in the file are gone: the browser unsubscribed or they expired."),
        );
        let clicked = ui
            .button(format!("Remove {n} gone from the file"))
            .on_hover_text(format!(
                "Rewrite {path} without them, in the same shape: written to a temporary file beside it, then renamed over it (atomic: a crash leaves the old file or the new one). Nothing is removed if the file changed since the send."
            ))
            .clicked();
        if clicked {
            let slot = Arc::new(Mutex::new(None));
            let (done, report, file, ctx) = (
                Arc::clone(&slot),
                prune.report.clone(),
                path.to_string(),
                ui.ctx().clone(),
            );
            let spawned = std::thread::Builder::new()
                .name("prune-subscriptions".into())
                .spawn(move || {
                    let result = Engine::prune_audience_file(std::path::Path::new(&file), &report);
                    if let Ok(mut slot) = done.lock() {
                        *slot = Some(result);
                    }
                    ctx.request_repaint();
                });
            match spawned {
                Ok(_) => prune.running = Some(slot),
                Err(e) => actions.note(false, format!("Not removed: could not start ({e})")),
            }
        }
    });
}
