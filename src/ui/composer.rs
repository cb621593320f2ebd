//! Compose: title, subtitle, body, links, image, buttons, custom data and translations.

use eframe::egui::{self, RichText};

use super::command::{Action, Actions, Command};
use super::form::ComposerForm;
use super::view::View;
use super::widgets::{cell_field, multiline_field, text_field};
use crate::draft::{Button, Translation};

/// The composer's own state besides the form.
#[derive(Default)]
pub struct State {
    /// The name being typed for "Save as template", while that field is open.
    template_name: Option<String>,
}

pub fn show(
    ui: &mut egui::Ui,
    view: &View<'_>,
    form: &mut ComposerForm,
    state: &mut State,
    actions: &mut Actions,
) {
    egui::ScrollArea::vertical()
        .id_salt("compose-scroll")
        .show(ui, |ui| {
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                ui.label(RichText::new("Compose").heading().strong());
                templates_ui(ui, view, state, actions);
            });
            message_ui(ui, form);
            buttons_ui(ui, form);
            data_ui(ui, form);
            languages_ui(ui, form);
        });
}

/// The message itself: title, subtitle, body, links, image, icon, silent.
fn message_ui(ui: &mut egui::Ui, form: &mut ComposerForm) {
    text_field(ui, "Title", &mut form.title, "Flash sale");
    text_field(
        ui,
        "Subtitle",
        &mut form.subtitle,
        "iOS shows it under the title",
    );
    multiline_field(ui, "Body", &mut form.body, "What the notification says", 3);
    ui.columns(2, |cols| {
        text_field(&mut cols[0], "Click URL", &mut form.url, "https://…");
        text_field(
            &mut cols[1],
            "Image",
            &mut form.image,
            "https://…/banner.png",
        );
    });
    text_field(ui, "Icon", &mut form.icon, "https://…/icon.png");
    ui.checkbox(&mut form.silent, "Silent (background data only, no alert)")
        .on_hover_text("Wakes the app without showing anything; the body may be empty");
}

/// Action buttons: id, label and an optional URL each.
fn buttons_ui(ui: &mut egui::Ui, form: &mut ComposerForm) {
    ui.add_space(6.0);
    ui.label("Buttons");
    let mut remove = None;
    for (i, b) in form.buttons.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            cell_field(ui, &format!("Button {} id", i + 1), &mut b.id, "id", 70.0);
            cell_field(
                ui,
                &format!("Button {} label", i + 1),
                &mut b.label,
                "label",
                110.0,
            );
            cell_field(
                ui,
                &format!("Button {} URL", i + 1),
                &mut b.url,
                "https://… (optional)",
                170.0,
            );
            if ui
                .small_button("×")
                .on_hover_text(format!("Remove button {}", i + 1))
                .clicked()
            {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        form.buttons.remove(i);
    }
    ui.horizontal(|ui| {
        if ui
            .button("+ Add button")
            .on_hover_text("Add an action button")
            .clicked()
        {
            let n = form.buttons.len() + 1;
            form.buttons.push(Button {
                id: format!("button-{n}"),
                ..Default::default()
            });
        }
        ui.weak("web: 2 max · mobile: 3 max");
    });
}

/// Custom key/value data the app receives.
fn data_ui(ui: &mut egui::Ui, form: &mut ComposerForm) {
    ui.add_space(6.0);
    ui.label("Custom data");
    let mut remove = None;
    for (i, (k, v)) in form.data.iter_mut().enumerate() {
        ui.horizontal(|ui| {
            cell_field(ui, &format!("Data {} key", i + 1), k, "key", 110.0);
            cell_field(
                ui,
                &format!("Data {} value", i + 1),
                v,
                "value (text or JSON)",
                220.0,
            );
            if ui
                .small_button("×")
                .on_hover_text(format!("Remove data row {}", i + 1))
                .clicked()
            {
                remove = Some(i);
            }
        });
    }
    if let Some(i) = remove {
        form.data.remove(i);
    }
    if ui
        .button("+ Add data")
        .on_hover_text("Add a key/value the app receives with the notification")
        .clicked()
    {
        form.data.push((String::new(), String::new()));
    }
}

/// Translations of the title, subtitle and body.
fn languages_ui(ui: &mut egui::Ui, form: &mut ComposerForm) {
    ui.add_space(6.0);
    ui.label("Languages");
    ui.weak("The fields above are the default language (en).");
    let mut remove = None;
    for (i, (lang, t)) in form.translations.iter_mut().enumerate() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.horizontal(|ui| {
                cell_field(ui, &format!("Language {} code", i + 1), lang, "fr", 60.0);
                if ui
                    .small_button("×")
                    .on_hover_text("Remove this language")
                    .clicked()
                {
                    remove = Some(i);
                }
            });
            let name = if lang.is_empty() {
                format!("language {}", i + 1)
            } else {
                lang.clone()
            };
            cell_field(
                ui,
                &format!("Title ({name})"),
                &mut t.title,
                "translated title",
                f32::INFINITY,
            );
            cell_field(
                ui,
                &format!("Subtitle ({name})"),
                &mut t.subtitle,
                "translated subtitle",
                f32::INFINITY,
            );
            cell_field(
                ui,
                &format!("Body ({name})"),
                &mut t.body,
                "translated body",
                f32::INFINITY,
            );
        });
    }
    if let Some(i) = remove {
        form.translations.remove(i);
    }
    if ui
        .button("+ Add language")
        .on_hover_text("Add a translation")
        .clicked()
    {
        form.translations
            .push((String::new(), Translation::default()));
    }
}

/// Saved templates of this provider: pick one to load it, or save the current message as one.
fn templates_ui(ui: &mut egui::Ui, view: &View<'_>, state: &mut State, actions: &mut Actions) {
    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
        if let Some(name) = &mut state.template_name {
            if ui.button("Cancel").on_hover_text("Do not save").clicked() {
                state.template_name = None;
                return;
            }
            let save = ui
                .button("Save template")
                .on_hover_text("Keep this message to reuse it");
            let field = cell_field(ui, "Template name", name, "template name", 140.0);
            let enter = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if save.clicked() || enter {
                actions.push(Action::SaveTemplate(name.clone()));
                state.template_name = None;
            }
            return;
        }
        if Command::SaveAsTemplate.button(ui, true) {
            state.template_name = Some(String::new());
        }
        if !view.templates.is_empty() {
            egui::ComboBox::from_id_salt("templates")
                .selected_text("Templates")
                .show_ui(ui, |ui| {
                    for n in view.templates {
                        if ui.selectable_label(false, n).clicked() {
                            actions.push(Action::LoadTemplate(n.clone()));
                        }
                    }
                })
                .response
                .on_hover_text("Load a saved template");
        }
    });
}
