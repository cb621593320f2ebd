//! A credential check's findings under the profile bar: ✓ / ⚠ / ✗ with a sentence each, in
//! colour, the raw detail (a parser's message, the HTTP status) one click away.

use eframe::egui::{self, Color32, RichText};

use super::widgets::{note_color, ok_color};
use crate::provider::doctor::{Finding, Level};

fn color(ui: &egui::Ui, level: Level) -> Color32 {
    match level {
        Level::Ok => ok_color(ui, true),
        Level::Warn => note_color(ui),
        Level::Fail => ok_color(ui, false),
    }
}

pub fn findings(ui: &mut egui::Ui, findings: &[Finding]) {
    ui.vertical(|ui| {
        for (index, f) in findings.iter().enumerate() {
            let text =
                RichText::new(format!("{} {}", f.level.mark(), f.text)).color(color(ui, f.level));
            match &f.detail {
                // A finding with raw detail folds it away: one click opens it.
                Some(detail) => {
                    egui::CollapsingHeader::new(text)
                        .id_salt(("finding", index))
                        .default_open(false)
                        .show(ui, |ui| {
                            ui.label(RichText::new(detail).monospace());
                        })
                        .header_response
                        .on_hover_text("Show the raw detail");
                }
                None => {
                    ui.label(text);
                }
            }
        }
    });
}
