//! APNs, below the audience: iOS 18 broadcast channels. List the app's channels, create one with
//! a storage policy, delete one after a confirmation, and "Send to this channel", which fills
//! `audience.channel_id` (and the liveactivity push type, the only one a channel carries).

use eframe::egui::{self, RichText};
use serde_json::json;

use crate::engine::SendResult;
use crate::provider::Call;
use crate::provider::apns::channels::{self, STORAGE_POLICIES};
use crate::ui::command::{Action, Actions};
use crate::ui::form::ComposerForm;
use crate::ui::view::View;
use crate::ui::widgets::{note_color, ok_color};

/// Answers to this section's calls come back under this name.
const PURPOSE: &str = "apns-channels";

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    List,
    Create,
    Delete(String),
}

#[derive(Default)]
pub struct State {
    /// The profile this state belongs to: switching profile starts over.
    profile: String,
    channels: Vec<String>,
    listed: bool,
    /// The storage policy a new channel gets (empty: no-storage).
    policy: String,
    /// The channel whose deletion waits for a confirmation.
    confirm_delete: Option<String>,
    pending: Option<Pending>,
    /// The last result, in words: (ok, text).
    note: Option<(bool, String)>,
}

impl State {
    fn call(&mut self, actions: &mut Actions, pending: Pending, call: Call) {
        self.pending = Some(pending);
        actions.push(Action::ProviderCall {
            call,
            purpose: PURPOSE,
        });
    }
}

pub fn audience(
    ui: &mut egui::Ui,
    view: &View<'_>,
    form: &mut ComposerForm,
    state: &mut State,
    actions: &mut Actions,
) {
    let profile_name = view.profile.map(|p| p.name.clone()).unwrap_or_default();
    if state.profile != profile_name {
        *state = State {
            profile: profile_name,
            ..State::default()
        };
    }
    if let Some(pending) = state.pending.clone()
        && let Some(answer) = view.answer(PURPOSE)
    {
        state.pending = None;
        answered(state, pending, answer);
    }
    let busy = state.pending.is_some() || view.calling(PURPOSE);
    ui.add_space(6.0);
    ui.label(RichText::new("Broadcast channels (iOS 18)").strong());
    ui.label(
        RichText::new(format!(
            "One Live Activity update reaches every device subscribed to a channel. {}",
            channels::UNCONFIRMED
        ))
        .small()
        .color(note_color(ui)),
    );
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!busy, egui::Button::new("List channels"))
            .on_hover_text("Read the app's channels in this profile's environment from Apple's channel management host (read-only)")
            .clicked()
        {
            state.call(actions, Pending::List, Call::lookup(channels::LOOKUP));
        }
        if busy {
            ui.spinner();
        }
    });
    ui.horizontal(|ui| {
        let label = ui.label("Storage policy");
        let shown = if state.policy.is_empty() {
            STORAGE_POLICIES[0].to_string()
        } else {
            state.policy.clone()
        };
        egui::ComboBox::from_id_salt("apns-channel-storage-policy")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for p in STORAGE_POLICIES {
                    ui.selectable_value(&mut state.policy, (*p).to_string(), *p);
                }
            })
            .response
            .labelled_by(label.id)
            .on_hover_text("no-storage: only devices online now get an update (for frequent updates); most-recent-message: APNs keeps the latest for devices that come online later");
        if ui
            .add_enabled(!busy, egui::Button::new("Create channel"))
            .on_hover_text("Create a channel for Live Activity updates with this storage policy (Apple allows 10,000 per environment)")
            .clicked()
        {
            let policy = if state.policy.is_empty() {
                STORAGE_POLICIES[0]
            } else {
                state.policy.as_str()
            };
            let call = Call::action(channels::CREATE, json!({ "storage_policy": policy }));
            state.call(actions, Pending::Create, call);
        }
    });
    if state.listed && state.channels.is_empty() {
        ui.weak("No channels in this environment yet.");
    }
    for id in state.channels.clone() {
        channel_row(ui, form, state, actions, &id, busy);
    }
    if let Some((ok, note)) = &state.note {
        let color = ok_color(ui, *ok);
        ui.add(egui::Label::new(RichText::new(note).color(color)).wrap());
    }
}

/// One channel: its id, sending to it, and deleting it after a confirmation.
fn channel_row(
    ui: &mut egui::Ui,
    form: &mut ComposerForm,
    state: &mut State,
    actions: &mut Actions,
    id: &str,
    busy: bool,
) {
    ui.horizontal(|ui| {
        ui.monospace(id);
        if ui
            .button("Send to this channel")
            .on_hover_text("Put this channel in the audience (instead of device tokens) and choose the liveactivity push type: fill the Live Activity below the Push type, then Send")
            .clicked()
        {
            form.audience.insert("channel_id".into(), id.to_string());
            form.audience.insert("device_tokens".into(), String::new());
            form.options.insert("push_type".into(), "liveactivity".into());
            state.note = Some((true, format!("The audience is now channel {id}")));
        }
        if ui
            .add_enabled(!busy, egui::Button::new("Delete…"))
            .on_hover_text("Delete this channel (asks first)")
            .clicked()
        {
            state.confirm_delete = Some(id.to_string());
        }
    });
    if state.confirm_delete.as_deref() == Some(id) {
        ui.label(format!(
            "Delete channel {id}? The devices subscribed to it get no more updates through it."
        ));
        ui.horizontal(|ui| {
            if ui
                .add_enabled(!busy, egui::Button::new("Delete channel"))
                .on_hover_text("Delete it at Apple now")
                .clicked()
            {
                state.confirm_delete = None;
                let call = Call::action(channels::DELETE, json!({ "channel_id": id }));
                state.call(actions, Pending::Delete(id.to_string()), call);
            }
            if ui
                .button("Keep channel")
                .on_hover_text("Do not delete it")
                .clicked()
            {
                state.confirm_delete = None;
            }
        });
    }
}

/// What an answer means for the section.
fn answered(
    state: &mut State,
    pending: Pending,
    answer: &Result<std::sync::Arc<SendResult>, String>,
) {
    let result = match answer {
        Ok(r) => r,
        Err(e) => {
            state.note = Some((false, e.clone()));
            return;
        }
    };
    let outcome = &result.outcome;
    if !outcome.is_ok() {
        let text = match &outcome.hint {
            Some(h) => format!("{} — {h}", outcome.summary),
            None => outcome.summary.clone(),
        };
        state.note = Some((false, text));
        return;
    }
    match pending {
        Pending::List => {
            state.channels = outcome.items.iter().map(|i| i.value.clone()).collect();
            state.listed = true;
        }
        Pending::Create => {
            if let Some(id) = &outcome.message_id
                && !state.channels.contains(id)
            {
                state.channels.push(id.clone());
            }
        }
        Pending::Delete(id) => state.channels.retain(|c| *c != id),
    }
    state.note = Some((true, outcome.summary.clone()));
}
