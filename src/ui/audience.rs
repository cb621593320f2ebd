//! Audience and options, rendered from the provider's field descriptions.

use eframe::egui::{self, RichText};

use super::command::{Action, Actions};
use super::extras::{self, Panels};
use super::form::{COMMON_OPTION_SPECS, ComposerForm};
use super::view::View;
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

pub fn show(
    ui: &mut egui::Ui,
    view: &View<'_>,
    form: &mut ComposerForm,
    panels: &mut Panels,
    actions: &mut Actions,
) {
    let info = view.provider.info();
    egui::ScrollArea::vertical()
        .id_salt("audience-scroll")
        .show(ui, |ui| {
            ui.add_space(6.0);
            ui.label(RichText::new("Audience").heading().strong());
            for spec in info.audience {
                // A list of thousands (Web Push subscriptions) has its own panel below.
                if spec.kind == FieldKind::JsonList {
                    ui.add_space(4.0);
                    continue;
                }
                let value = form.audience.entry(spec.key.to_string()).or_default();
                field_ui(ui, spec, value);
                for lookup in info.lookups.iter().filter(|l| l.audience_key == spec.key) {
                    ui.horizontal(|ui| {
                        let busy = view.looking_up;
                        let button = ui.add_enabled(!busy, egui::Button::new(lookup.label));
                        if button
                            .on_hover_text(format!("Read the list from {} (read-only)", info.name))
                            .clicked()
                        {
                            actions.push(Action::Lookup {
                                lookup: lookup.id.to_string(),
                                key: spec.key.to_string(),
                            });
                        }
                        if busy {
                            ui.spinner();
                        } else {
                            ui.weak(format!("from {}", info.name));
                        }
                    });
                    if let Some(items) = view.lookup_items.get(spec.key) {
                        lookup_items(ui, spec, items, value);
                    }
                }
                extras::below_field(ui, view, spec.key, form, panels, actions);
                ui.add_space(4.0);
            }
            extras::audience(ui, view, form, panels, actions);
            ui.add_space(8.0);
            ui.label(RichText::new("Options").heading().strong());
            // Only the common options this provider accepts.
            let common = COMMON_OPTION_SPECS
                .iter()
                .filter(|s| info.accepts_common(s.key));
            for spec in common.chain(info.options) {
                let value = form.options.entry(spec.key.to_string()).or_default();
                field_ui(ui, spec, value);
                extras::below_field(ui, view, spec.key, form, panels, actions);
                ui.add_space(4.0);
            }
        });
}

/// The items a lookup returned, each a button that adds it to the field.
fn lookup_items(
    ui: &mut egui::Ui,
    spec: &FieldSpec,
    items: &[crate::outcome::LookupItem],
    value: &mut String,
) {
    if items.is_empty() {
        return;
    }
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
                    *value = item.value.clone();
                }
            }
        }
    });
}
