//! Courier's "Check delivery": after a send, look the message up (`GET /messages/{id}`) and show
//! its status and each channel's attempt, at the top of the Response pane.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use eframe::egui::{self, RichText};

use serde_json::json;

use crate::outcome::Outcome;
use crate::provider::Call;
use crate::provider::courier;
use crate::ui::app::PushdeckApp;
use crate::ui::task::Task;

/// What the panel remembers between frames (kept in egui's memory, per window).
#[derive(Default)]
struct Delivery {
    message_id: String,
    task: Option<Task<Outcome>>,
    result: Option<Outcome>,
}

type Shared = Arc<Mutex<Delivery>>;

pub fn response(app: &mut PushdeckApp, ui: &mut egui::Ui) {
    let tab = app.tab;
    let Some(message_id) = app.tabs[tab].last_report.as_ref().and_then(|r| {
        r.results
            .iter()
            .find_map(|res| res.outcome.message_id.clone())
    }) else {
        return;
    };
    let shared: Shared = ui.ctx().data_mut(|d| {
        d.get_temp_mut_or_default::<Shared>(egui::Id::unique("courier-delivery"))
            .clone()
    });
    let mut state = shared.lock().unwrap_or_else(|e| e.into_inner());
    if state.message_id != message_id {
        // A new send: forget the previous message's delivery.
        *state = Delivery {
            message_id: message_id.clone(),
            ..Delivery::default()
        };
    }
    if let Some(outcome) = state.task.as_ref().and_then(Task::poll) {
        state.task = None;
        state.result = Some(outcome);
    }
    let busy = state.task.is_some();
    ui.horizontal(|ui| {
        let button = ui
            .add_enabled(!busy, egui::Button::new("Check delivery"))
            .on_hover_text(format!(
                "Ask Courier how message {message_id} is doing (read-only)"
            ));
        if button.clicked() {
            match start(app, ui.ctx(), &message_id) {
                Ok(task) => {
                    state.task = Some(task);
                    state.result = None;
                }
                Err(e) => state.result = Some(Outcome::refused(e)),
            }
        }
        if busy {
            ui.spinner();
        } else {
            ui.weak(format!("message {message_id}"));
        }
    });
    if let Some(outcome) = &state.result {
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

fn start(
    app: &mut PushdeckApp,
    ctx: &egui::Context,
    message_id: &str,
) -> Result<Task<Outcome>, String> {
    let profile = app
        .current_profile()
        .cloned()
        .ok_or("Choose a profile first.")?;
    let secrets = app.secrets_for(&profile)?;
    let call = Call::action(courier::DELIVERY, json!({ "message_id": message_id }));
    let engine = app.engine.clone();
    let provider = app.provider();
    Ok(Task::spawn(&app.runtime, ctx, async move {
        match engine
            .call(provider, &profile, &secrets, call, Duration::from_secs(20))
            .await
        {
            Ok(result) => result.outcome.clone(),
            Err(e) => Outcome::refused(e.to_string()),
        }
    }))
}
