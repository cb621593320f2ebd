//! Raw payload mode: the generated payload in an editor, validated as you type, sent as edited, with
//! "Reset to generated" and a diff against what Pushdeck would have generated.

use eframe::egui::{self, RichText};

use super::command::{Action, Actions, Command};
use super::form::ComposerForm;
use super::view::View;
use super::widgets::{note_color, ok_color};

/// Is the edited payload well-formed? `Err` says where it is not.
pub fn validate(text: &str) -> Result<&'static str, String> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('<') {
        let mut reader = quick_xml::Reader::from_str(text);
        let mut depth: i64 = 0;
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) if depth == 0 => return Ok("XML"),
                Ok(quick_xml::events::Event::Eof) => return Err("XML: a tag is not closed".into()),
                Ok(quick_xml::events::Event::Start(_)) => depth += 1,
                Ok(quick_xml::events::Event::End(_)) => depth -= 1,
                Ok(_) => {}
                Err(e) => return Err(format!("XML at byte {}: {e}", reader.error_position())),
            }
        }
    }
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(_)) => Ok("JSON"),
        Ok(_) => Err("JSON: the payload must be an object { … }".into()),
        Err(e) => Err(format!("JSON: {e}")),
    }
}

pub fn is_active(form: &ComposerForm) -> bool {
    form.options
        .get("raw")
        .is_some_and(|r| !r.trim().is_empty())
}

/// The "Edit raw" toggle for the Request pane's toolbar.
pub fn toggle(ui: &mut egui::Ui, view: &View<'_>, form: &mut ComposerForm, actions: &mut Actions) {
    if is_active(form) {
        if Command::BackToGenerated.button(ui, true) {
            form.options.remove("raw");
        }
    } else if Command::EditRaw.button(ui, true) {
        match &view.compiled.generated {
            Ok(body) => {
                form.options.insert("raw".into(), body.clone());
            }
            Err(e) => actions.push(Action::Note {
                ok: false,
                text: format!("Cannot edit the raw payload: {e}"),
            }),
        }
    }
}

/// The editor, its validation line, Reset, and the diff.
pub fn editor(ui: &mut egui::Ui, view: &View<'_>, form: &mut ComposerForm, show_diff: &mut bool) {
    let text = form.options.entry("raw".into()).or_default();
    ui.horizontal(|ui| {
        match validate(text) {
            Ok(kind) => ui.colored_label(
                ok_color(ui, true),
                format!("Raw payload: valid {kind}, sent as edited"),
            ),
            Err(e) => ui.colored_label(ok_color(ui, false), e),
        };
    });
    ui.horizontal(|ui| {
        if Command::ResetRaw.button(ui, true)
            && let Ok(body) = &view.compiled.generated
        {
            *text = body.clone();
        }
        let show = &mut *show_diff;
        if ui
            .selectable_label(*show, "Diff")
            .on_hover_text("What the edit changes against the generated payload")
            .clicked()
        {
            *show = !*show;
        }
    });
    let label = ui.label("Raw payload");
    let theme = egui_extras::syntax_highlighting::CodeTheme::from_style(ui.style());
    let xml = text.trim_start().starts_with('<');
    let mut layouter = |ui: &egui::Ui, buf: &dyn egui::TextBuffer, wrap: f32| {
        let mut job = if xml {
            let mut job = egui::text::LayoutJob::default();
            for (i, line) in buf.as_str().split('\n').enumerate() {
                if i > 0 {
                    job.append(
                        "\n",
                        0.0,
                        egui::TextFormat::simple(
                            egui::TextStyle::Monospace.resolve(ui.style()),
                            ui.visuals().text_color(),
                        ),
                    );
                }
                super::code::append_xml_line(ui, line, &mut job);
            }
            job
        } else {
            egui_extras::syntax_highlighting::highlight(
                ui.ctx(),
                ui.style(),
                &theme,
                buf.as_str(),
                "json",
            )
        };
        job.wrap.max_width = wrap;
        ui.fonts_mut(|f| f.layout_job(job))
    };
    egui::ScrollArea::vertical()
        .id_salt("raw-editor")
        .max_height(ui.available_height() * 0.6)
        .show(ui, |ui| {
            ui.add(
                egui::TextEdit::multiline(text)
                    .code_editor()
                    .desired_width(f32::INFINITY)
                    .desired_rows(16)
                    .layouter(&mut layouter),
            )
            .labelled_by(label.id);
        });
    if *show_diff {
        match &view.compiled.generated {
            Ok(base) => diff_ui(ui, base, text),
            Err(e) => {
                ui.colored_label(note_color(ui), e);
            }
        }
    }
}

fn diff_ui(ui: &mut egui::Ui, generated: &str, edited: &str) {
    let diff = similar::TextDiff::from_lines(generated, edited);
    let (added, removed) = (ok_color(ui, true), ok_color(ui, false));
    egui::ScrollArea::vertical()
        .id_salt("raw-diff-view")
        .max_height(200.0)
        .show(ui, |ui| {
            let mut changes = 0;
            for change in diff.iter_all_changes() {
                let (sign, color) = match change.tag() {
                    similar::ChangeTag::Delete => ("-", removed),
                    similar::ChangeTag::Insert => ("+", added),
                    similar::ChangeTag::Equal => continue,
                };
                changes += 1;
                let line = change.value().trim_end_matches('\n');
                ui.label(
                    RichText::new(format!("{sign} {line}"))
                        .monospace()
                        .color(color),
                );
            }
            if changes == 0 {
                ui.weak("No difference from the generated payload.");
            }
        });
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn validates_json_and_xml() {
        assert_eq!(validate(r#"{"a": 1}"#), Ok("JSON"));
        assert!(validate(r#"{"a": }"#).expect_err("bad").contains("line 1"));
        assert!(validate("[1]").is_err());
        assert_eq!(validate("<toast><visual/></toast>"), Ok("XML"));
        assert!(validate("<toast><visual></toast>").is_err());
        assert!(validate("<toast>").is_err());
    }
}
