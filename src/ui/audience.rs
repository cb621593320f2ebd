//! Audience and options, rendered from the provider's field descriptions.

use eframe::egui::{self, RichText};

use super::app::PushdeckApp;
use super::form::COMMON_OPTION_SPECS;
use super::widgets::{multiline_field, text_field};
use crate::provider::{FieldKind, FieldSpec};

fn field_ui(ui: &mut egui::Ui, spec: &FieldSpec, value: &mut String) {
    match spec.kind {
        FieldKind::List => {
            multiline_field(ui, spec.label, value, "one per line", 2).on_hover_text(spec.hint);
        }
        FieldKind::Json => {
            multiline_field(ui, spec.label, value, "JSON", 3).on_hover_text(spec.hint);
        }
        // Thousands of items would make one text box slow: the provider's audience panel (extras)
        // lists, imports and removes them.
        FieldKind::JsonList => {}
        FieldKind::Choice(choices) => {
            let label = ui.label(spec.label);
            let shown = if value.is_empty() {
                "default".to_string()
            } else {
                value.clone()
            };
            egui::ComboBox::from_id_salt(("choice", spec.key))
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(value, String::new(), "default");
                    for c in choices {
                        ui.selectable_value(value, (*c).to_string(), *c);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text(spec.hint);
        }
        FieldKind::Bool => {
            let mut on = value == "true";
            if ui
                .checkbox(&mut on, spec.label)
                .on_hover_text(spec.hint)
                .changed()
            {
                *value = if on { "true".into() } else { String::new() };
            }
        }
        FieldKind::Text | FieldKind::Number => {
            text_field(ui, spec.label, value, spec.hint);
        }
    }
}

pub fn show(app: &mut PushdeckApp, ui: &mut egui::Ui) {
    let info = app.provider().info();
    let ctx = ui.ctx().clone();
    egui::ScrollArea::vertical()
        .id_salt("audience-scroll")
        .show(ui, |ui| {
            ui.add_space(6.0);
            ui.label(RichText::new("Audience").heading().strong());
            for spec in info.audience {
                let mut value = app
                    .tab_state()
                    .form
                    .audience
                    .get(spec.key)
                    .cloned()
                    .unwrap_or_default();
                field_ui(ui, spec, &mut value);
                for lookup in info.lookups.iter().filter(|l| l.audience_key == spec.key) {
                    ui.horizontal(|ui| {
                        let busy = app.lookup_task.is_some();
                        let button = ui.add_enabled(!busy, egui::Button::new(lookup.label));
                        if button
                            .on_hover_text(format!("Read the list from {} (read-only)", info.name))
                            .clicked()
                        {
                            app.start_lookup(&ctx, lookup.id, spec.key);
                        }
                        if busy {
                            ui.spinner();
                        } else {
                            ui.weak(format!("from {}", info.name));
                        }
                    });
                    let items = app
                        .tab_state()
                        .lookup_items
                        .get(spec.key)
                        .cloned()
                        .unwrap_or_default();
                    if !items.is_empty() {
                        ui.horizontal_wrapped(|ui| {
                            for item in items {
                                let present = value.lines().any(|l| l.trim() == item.value);
                                let button = egui::Button::new(format!("+ {}", item.label)).small();
                                if ui
                                    .add_enabled(!present, button)
                                    .on_hover_text(format!("Add {}", item.value))
                                    .clicked()
                                {
                                    if spec.kind == FieldKind::List {
                                        if !value.trim().is_empty() && !value.ends_with('\n') {
                                            value.push('\n');
                                        }
                                        value.push_str(&item.value);
                                    } else {
                                        // A single-value field (a device, a topic) takes the pick.
                                        value = item.value.clone();
                                    }
                                }
                            }
                        });
                    }
                }
                app.tab_state()
                    .form
                    .audience
                    .insert(spec.key.to_string(), value);
                ui.add_space(4.0);
            }
            super::extras::audience(app, ui);
            ui.add_space(8.0);
            ui.label(RichText::new("Options").heading().strong());
            for spec in COMMON_OPTION_SPECS.iter().chain(info.options) {
                let mut value = app
                    .tab_state()
                    .form
                    .options
                    .get(spec.key)
                    .cloned()
                    .unwrap_or_default();
                field_ui(ui, spec, &mut value);
                app.tab_state()
                    .form
                    .options
                    .insert(spec.key.to_string(), value);
                ui.add_space(4.0);
            }
        });
}
