//! A credential check's findings under the profile bar: ✓ / ⚠ / ✗ with a sentence each, in
//! colour, the raw detail (a parser's message, the HTTP status) one click away.

use eframe::egui::{self, Color32, RichText, Sense, Stroke, Vec2, pos2};

use super::widgets::{note_color, ok_color};
use crate::provider::doctor::{Finding, Level};

fn color(ui: &egui::Ui, level: Level) -> Color32 {
    match level {
        Level::Ok => ok_color(ui, true),
        Level::Warn => note_color(ui),
        Level::Fail => ok_color(ui, false),
    }
}

/// The level's mark, painted: the default fonts have no ✓, ⚠ or ✗ glyphs.
fn mark(ui: &mut egui::Ui, level: Level) {
    let size = ui.text_style_height(&egui::TextStyle::Body);
    let (rect, response) = ui.allocate_exact_size(Vec2::splat(size), Sense::hover());
    let words = match level {
        Level::Ok => "fine",
        Level::Warn => "warning",
        Level::Fail => "problem",
    };
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, words));
    let painter = ui.painter_at(rect);
    let c = rect.center();
    let r = size * 0.45;
    painter.circle_filled(c, r, color(ui, level));
    let ink = Stroke::new(size * 0.12, ui.visuals().extreme_bg_color);
    let at = |x: f32, y: f32| pos2(c.x + x * r, c.y + y * r);
    match level {
        Level::Ok => {
            painter.line_segment([at(-0.5, 0.0), at(-0.15, 0.4)], ink);
            painter.line_segment([at(-0.15, 0.4), at(0.5, -0.4)], ink);
        }
        Level::Warn => {
            painter.line_segment([at(0.0, -0.55), at(0.0, 0.15)], ink);
            painter.circle_filled(at(0.0, 0.45), size * 0.07, ink.color);
        }
        Level::Fail => {
            painter.line_segment([at(-0.4, -0.4), at(0.4, 0.4)], ink);
            painter.line_segment([at(-0.4, 0.4), at(0.4, -0.4)], ink);
        }
    }
}

pub fn findings(ui: &mut egui::Ui, findings: &[Finding]) {
    ui.vertical(|ui| {
        for (index, f) in findings.iter().enumerate() {
            let open_id = ui.scope_id().with(("finding", index, &f.text));
            let open = ui.data(|d| d.get_temp::<bool>(open_id).unwrap_or(false));
            ui.horizontal(|ui| {
                mark(ui, f.level);
                let text = RichText::new(&f.text).color(color(ui, f.level));
                if f.detail.is_some() {
                    // A finding with raw detail opens it with one click.
                    let r = ui
                        .add(egui::Label::new(text).sense(Sense::click()))
                        .on_hover_text(if open {
                            "Hide the raw detail"
                        } else {
                            "Show the raw detail"
                        });
                    if r.clicked() {
                        ui.data_mut(|d| d.insert_temp(open_id, !open));
                    }
                } else {
                    ui.label(text);
                }
            });
            if open && let Some(detail) = &f.detail {
                ui.indent(open_id, |ui| {
                    ui.label(RichText::new(detail).monospace());
                });
            }
        }
    });
}
