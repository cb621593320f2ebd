//! Bodies as code: JSON through egui_extras' highlighter, XML through a small one of our own, drawn
//! line by line so only the visible rows are laid out (a 5 MB body scrolls smoothly).

use eframe::egui::{self, Color32, TextFormat, text::LayoutJob};
use egui_extras::syntax_highlighting::{CodeTheme, highlight};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Json,
    Xml,
    Plain,
}

impl Lang {
    /// Guesses from the content type, then from the first character.
    pub fn detect(content_type: Option<&str>, text: &str) -> Lang {
        let ct = content_type.unwrap_or("").to_ascii_lowercase();
        let first = text.trim_start().chars().next();
        if ct.contains("json") || matches!(first, Some('{' | '[')) {
            Lang::Json
        } else if ct.contains("xml") || first == Some('<') {
            Lang::Xml
        } else {
            Lang::Plain
        }
    }
}

/// Draws `lines` in a scroll area of at most `max_height`, highlighted as `lang`.
pub fn code_lines(ui: &mut egui::Ui, id: &str, lines: &[String], lang: Lang, max_height: f32) {
    let row_height = ui.text_style_height(&egui::TextStyle::Monospace);
    let theme = CodeTheme::from_style(ui.style());
    egui::ScrollArea::both()
        .id_salt(id)
        .max_height(max_height)
        .auto_shrink([false, true])
        .show_rows(ui, row_height, lines.len(), |ui, range| {
            for line in &lines[range] {
                let job = match lang {
                    Lang::Json => highlight(ui.ctx(), ui.style(), &theme, line, "json"),
                    Lang::Xml => xml_line(ui, line),
                    Lang::Plain => plain(ui, line),
                };
                ui.add(egui::Label::new(job).selectable(true).extend());
            }
        });
}

fn font(ui: &egui::Ui) -> egui::FontId {
    egui::TextStyle::Monospace.resolve(ui.style())
}

fn plain(ui: &egui::Ui, line: &str) -> LayoutJob {
    LayoutJob::single_section(
        line.to_string(),
        TextFormat::simple(font(ui), ui.visuals().text_color()),
    )
}

/// Tags, attribute names, attribute values and text in four colours; one line at a time (a tag
/// split over lines is coloured as text on the continuation lines, which is fine for reading).
pub fn xml_line(ui: &egui::Ui, line: &str) -> LayoutJob {
    let mut job = LayoutJob::default();
    append_xml_line(ui, line, &mut job);
    job
}

pub fn append_xml_line(ui: &egui::Ui, line: &str, job: &mut LayoutJob) {
    let dark = ui.visuals().dark_mode;
    let (tag, attr, value, text) = if dark {
        (
            Color32::from_rgb(0x56, 0x9c, 0xd6),
            Color32::from_rgb(0x9c, 0xdc, 0xfe),
            Color32::from_rgb(0xce, 0x91, 0x78),
            ui.visuals().text_color(),
        )
    } else {
        (
            Color32::from_rgb(0x00, 0x45, 0x9e),
            Color32::from_rgb(0x8a, 0x1b, 0x8a),
            Color32::from_rgb(0xa3, 0x15, 0x15),
            ui.visuals().text_color(),
        )
    };
    let font = font(ui);
    let mut push = |s: &str, c: Color32| job.append(s, 0.0, TextFormat::simple(font.clone(), c));
    let mut rest = line;
    while !rest.is_empty() {
        match rest.find('<') {
            Some(0) => {
                let end = rest.find('>').map_or(rest.len(), |e| e + 1);
                let inside = &rest[..end];
                // Tag name, then attributes name="value".
                let name_end = inside
                    .find(|c: char| c.is_whitespace())
                    .unwrap_or(inside.len());
                push(&inside[..name_end], tag);
                let mut attrs = &inside[name_end..];
                while !attrs.is_empty() {
                    if let Some(q) = attrs.find('"') {
                        push(&attrs[..q], attr);
                        let after = &attrs[q + 1..];
                        let close = after.find('"').map_or(after.len(), |c| c + 1);
                        push(&attrs[q..q + 1 + close], value);
                        attrs = &after[close..];
                    } else {
                        push(attrs, tag);
                        attrs = "";
                    }
                }
                rest = &rest[end..];
            }
            Some(start) => {
                push(&rest[..start], text);
                rest = &rest[start..];
            }
            None => {
                push(rest, text);
                rest = "";
            }
        }
    }
}
