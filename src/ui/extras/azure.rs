//! Azure Notification Hubs: at the top of the Response pane, the hub's tracking ids (what support
//! asks for) and, after a test send, the outcome report as a table: success and failure counts,
//! then one row per registration (platform, handle, registration id, outcome), like
//! ServiceBusExplorer's result log.

use eframe::egui::{self, RichText};

use crate::provider::azure::{self, NotificationOutcome};
use crate::ui::command::{Action, Actions};
use crate::ui::view::View;
use crate::ui::widgets::ok_color;

/// Under the profile bar: what the stored connection string says (namespace and policy), and a
/// warning before the first send when it cannot work (malformed, or a Listen-only policy).
pub fn profile(ui: &mut egui::Ui, view: &View<'_>) {
    let Some(secrets) = view.secrets else {
        return;
    };
    let Some(text) = secrets.get("connection_string") else {
        return;
    };
    ui.horizontal_wrapped(|ui| match azure::parse_connection_string(text) {
        Ok(cs) => {
            let namespace = cs.endpoint.trim_start_matches("https://");
            ui.weak(format!("Namespace {namespace} · policy {}", cs.key_name));
            if cs.key_name.to_ascii_lowercase().contains("listen") {
                ui.colored_label(
                    ok_color(ui, false),
                    "A Listen policy cannot send: use one with the Send claim (e.g. DefaultFullSharedAccessSignature).",
                );
            }
        }
        Err(e) => {
            ui.colored_label(ok_color(ui, false), e.message);
        }
    });
}

pub fn response(ui: &mut egui::Ui, view: &View<'_>, actions: &mut Actions) {
    let Some(report) = view.last_report else {
        return;
    };
    let Some(result) = report
        .results
        .get(view.selected_result)
        .or(report.results.first())
    else {
        return;
    };
    let Some(response) = &result.exchange.response else {
        return;
    };
    let tracking = azure::tracking_headers(response);
    let outcome = azure::test_report(&result.exchange);
    if !tracking.is_empty() {
        egui::Grid::new("azure-tracking")
            .num_columns(2)
            .show(ui, |ui| {
                for (name, value) in &tracking {
                    ui.label(RichText::new(*name).strong());
                    ui.label(RichText::new(value).monospace());
                    ui.end_row();
                }
            });
    }
    if let Some(outcome) = outcome {
        let copy = outcome_table(ui, &outcome);
        if let Some(text) = copy {
            actions.push(Action::Copy {
                text,
                what: "Test send outcome",
            });
        }
    }
    ui.separator();
}

/// Draws the report; returns the table as tab-separated text when the user asks to copy it.
fn outcome_table(ui: &mut egui::Ui, outcome: &NotificationOutcome) -> Option<String> {
    ui.label(RichText::new("Test send outcome").strong());
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!("Succeeded: {}", outcome.success)).color(ok_color(ui, true)),
        );
        ui.label(
            RichText::new(format!("Failed: {}", outcome.failure))
                .color(ok_color(ui, outcome.failure == 0)),
        );
        ui.weak(format!(
            "{} registration{} reported",
            outcome.results.len(),
            if outcome.results.len() == 1 { "" } else { "s" }
        ));
    });
    if outcome.results.is_empty() {
        ui.weak("No registration matched this format and audience.");
        return None;
    }
    egui::ScrollArea::both()
        .id_salt("azure-outcome")
        .max_height(180.0)
        .show(ui, |ui| {
            egui::Grid::new("azure-outcome-grid")
                .num_columns(4)
                .striped(true)
                .show(ui, |ui| {
                    for title in ["Platform", "Handle", "Registration ID", "Outcome"] {
                        ui.label(RichText::new(title).strong());
                    }
                    ui.end_row();
                    for r in &outcome.results {
                        ui.label(&r.platform);
                        ui.label(RichText::new(shorten(&r.handle, 28)).monospace())
                            .on_hover_text(&r.handle);
                        ui.label(RichText::new(&r.registration_id).monospace());
                        ui.label(RichText::new(&r.outcome).color(ok_color(ui, r.succeeded())));
                        ui.end_row();
                    }
                });
        });
    ui.button("Copy outcome table")
        .on_hover_text("Copy the rows as tab-separated text")
        .clicked()
        .then(|| {
            let mut text = String::from("Platform\tHandle\tRegistration ID\tOutcome\n");
            for r in &outcome.results {
                text.push_str(&format!(
                    "{}\t{}\t{}\t{}\n",
                    r.platform, r.handle, r.registration_id, r.outcome
                ));
            }
            text
        })
}

fn shorten(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        text.to_string()
    } else {
        format!("{}…", chars[..max].iter().collect::<String>())
    }
}
