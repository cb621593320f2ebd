//! Small widgets shared by the panels: labelled fields (every input has an accessible name), the
//! environment badge, and a long-text viewer that renders only the visible lines.

use eframe::egui::{self, Color32, RichText, Ui};

use crate::store::Environment;

/// A label above a single-line text field, linked for screen readers and tests.
pub fn text_field(ui: &mut Ui, label: &str, value: &mut String, hint: &str) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id)
}

pub fn multiline_field(
    ui: &mut Ui,
    label: &str,
    value: &mut String,
    hint: &str,
    rows: usize,
) -> egui::Response {
    let l = ui.label(label);
    ui.add(
        egui::TextEdit::multiline(value)
            .hint_text(hint)
            .desired_rows(rows)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id)
}

/// A field with an accessible name but no visible label (table cells, key/value rows).
pub fn cell_field(
    ui: &mut Ui,
    name: &str,
    value: &mut String,
    hint: &str,
    width: f32,
) -> egui::Response {
    let response = ui.add(
        egui::TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(width),
    );
    let name = name.to_string();
    response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::TextInput, true, &name));
    response
}

pub fn env_color(env: Environment) -> Color32 {
    match env {
        Environment::Dev => Color32::from_rgb(0x2e, 0x7d, 0x32),
        Environment::Staging => Color32::from_rgb(0xc7, 0x7c, 0x02),
        Environment::Prod => Color32::from_rgb(0xc6, 0x28, 0x28),
    }
}

pub fn env_badge(ui: &mut Ui, env: Environment) -> egui::Response {
    let text = RichText::new(format!(" {} ", env.label()))
        .strong()
        .color(Color32::WHITE)
        .background_color(env_color(env));
    ui.label(text)
        .on_hover_text("The environment this profile sends to (set in Edit credentials)")
}

/// Monospace text, selectable, drawn line by line so a body of several MB stays smooth: only the
/// visible rows are laid out.
pub fn long_text(ui: &mut Ui, id: &str, lines: &[String], max_height: f32) {
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
    egui::ScrollArea::both()
        .id_salt(id)
        .max_height(max_height)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, lines.len(), |ui, range| {
            for line in &lines[range] {
                ui.add(
                    egui::Label::new(RichText::new(line).monospace())
                        .selectable(true)
                        .extend(),
                );
            }
        });
}

/// Amber for notes that are not errors.
pub fn note_color(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0xff, 0xcc, 0x80)
    } else {
        Color32::from_rgb(0x8a, 0x5a, 0x00)
    }
}

pub fn ok_color(ui: &Ui, ok: bool) -> Color32 {
    if ok {
        if ui.visuals().dark_mode {
            Color32::from_rgb(0x81, 0xc7, 0x84)
        } else {
            Color32::from_rgb(0x2e, 0x7d, 0x32)
        }
    } else if ui.visuals().dark_mode {
        Color32::from_rgb(0xef, 0x9a, 0x9a)
    } else {
        Color32::from_rgb(0xc6, 0x28, 0x28)
    }
}
