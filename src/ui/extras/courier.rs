//! Courier's "Check delivery": after a send, look the message up (`GET /messages/{id}`, through
//! the engine like every call) and show its status and each channel's attempt, at the top of the
//! Response pane.

use eframe::egui::{self, RichText};
use serde_json::json;

use crate::outcome::Outcome;
use crate::provider::{Call, courier};
use crate::ui::command::{Action, Actions};
use crate::ui::view::View;

/// The answer of a delivery check comes back under this name.
const PURPOSE: &str = "courier-delivery";

/// Which message the shown answer is about: a new send forgets the previous one's delivery.
#[derive(Default)]
pub struct State {
    message_id: String,
}

pub fn response(ui: &mut egui::Ui, view: &View<'_>, state: &mut State, actions: &mut Actions) {
    let Some(message_id) = view.last_report.and_then(|r| {
        r.results
            .iter()
            .find_map(|res| res.outcome.message_id.clone())
    }) else {
        return;
    };
    let busy = view.calling(PURPOSE);
    ui.horizontal(|ui| {
        let button = ui
            .add_enabled(!busy, egui::Button::new("Check delivery"))
            .on_hover_text(format!(
                "Ask Courier how message {message_id} is doing (read-only)"
            ));
        if button.clicked() {
            state.message_id = message_id.clone();
            let call = Call::action(courier::DELIVERY, json!({ "message_id": message_id }));
            actions.push(Action::ProviderCall {
                call,
                purpose: PURPOSE,
            });
        }
        if busy {
            ui.spinner();
        } else {
            ui.weak(format!("message {message_id}"));
        }
    });
    let answer = view
        .answer(PURPOSE)
        .filter(|_| state.message_id == message_id);
    if let Some(answer) = answer {
        let outcome = match answer {
            Ok(result) => result.outcome.clone(),
            Err(e) => Outcome::refused(e.clone()),
        };
        let text = RichText::new(&outcome.summary).strong();
        ui.label(if outcome.is_ok() {
            text
        } else {
            text.color(ui.visuals().error_fg_color)
        });
        for item in &outcome.items {
            ui.label(format!("  {}", item.label));
        }
        if let Some(h) = &outcome.hint {
            ui.label(format!("What to do: {h}"));
        }
    }
    ui.separator();
}
