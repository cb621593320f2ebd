//! Telegram's panel below the audience: the deep link (a random start token, the t.me link to
//! copy, and which chat pressed Start with it), and the webhook that blocks Find chats (getUpdates
//! answers 409 while one is set): see it, remove it after a confirmation, or set one.

use eframe::egui::{self, RichText};
use serde_json::{Value, json};

use crate::engine::SendResult;
use crate::outcome::Outcome;
use crate::provider::telegram::{self, DiscoveredChat};
use crate::ui::command::{Action, Actions};
use crate::ui::form::ComposerForm;
use crate::ui::view::View;
use crate::ui::widgets;

/// Answers to this panel's calls come back under this name.
const PURPOSE: &str = "telegram";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BotCall {
    /// getMe, to learn the bot's username for the link.
    Me,
    /// getUpdates, to see who pressed Start.
    Updates,
    /// getUpdates with offset -100: the newest updates, confirming the older ones.
    NewestUpdates,
    WebhookInfo,
    DeleteWebhook,
    SetWebhook,
}

impl BotCall {
    fn method(self) -> &'static str {
        match self {
            BotCall::Me => "getMe",
            BotCall::Updates | BotCall::NewestUpdates => "getUpdates",
            BotCall::WebhookInfo => "getWebhookInfo",
            BotCall::DeleteWebhook => "deleteWebhook",
            BotCall::SetWebhook => "setWebhook",
        }
    }
}

/// What the panel keeps between frames.
#[derive(Default)]
pub struct State {
    /// The profile this state belongs to: switching profile starts over.
    profile: String,
    bot_username: Option<String>,
    start_token: Option<String>,
    /// Chats that pressed Start with the current token.
    started: Vec<DiscoveredChat>,
    /// Whether any discovery ran since the token was made.
    looked: bool,
    /// `getWebhookInfo` in words, when known.
    webhook: Option<Vec<String>>,
    webhook_set: bool,
    confirm_delete: bool,
    new_url: String,
    /// The status-bar text that last made this panel look at the webhook.
    seen_conflict: Option<String>,
    /// The last read of updates was a full page: newer ones may be waiting behind it.
    more_pending: bool,
    /// The status-bar text that last said so (from Find chats).
    seen_more_pending: Option<String>,
    /// The last result of this panel, in words: (ok, text).
    note: Option<(bool, String)>,
    /// The call whose answer the panel waits for.
    pending: Option<BotCall>,
}

impl State {
    /// Asks the engine for a Bot API call; the answer comes back through the view.
    fn call(&mut self, actions: &mut Actions, call: BotCall, body: Option<Value>) {
        self.pending = Some(call);
        actions.push(Action::ProviderCall {
            call: crate::provider::Call::action(call.method(), body.unwrap_or(Value::Null)),
            purpose: PURPOSE,
        });
    }
}

/// The panel under the audience fields.
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
    if let Some(call) = state.pending
        && let Some(answer) = view.answer(PURPOSE)
    {
        state.pending = None;
        answered(state, call, answer, actions);
    }
    // Find chats (the generic lookup) hit a webhook: show it right away.
    if let Some((false, text)) = view.status
        && text.starts_with(telegram::WEBHOOK_CONFLICT)
        && state.seen_conflict.as_ref() != Some(text)
        && state.pending.is_none()
    {
        state.seen_conflict = Some(text.clone());
        state.call(actions, BotCall::WebhookInfo, None);
    }
    // Find chats read a full page: offer the newest.
    if let Some((true, text)) = view.status
        && text.contains(telegram::MORE_PENDING_NOTE)
        && state.seen_more_pending.as_ref() != Some(text)
    {
        state.seen_more_pending = Some(text.clone());
        state.more_pending = true;
    }

    deep_link_ui(ui, form, state, actions);
    if state.more_pending {
        let busy = state.pending.is_some();
        more_pending(ui, state, actions, busy);
    }
    webhook_ui(ui, state, actions);
    if let Some((ok, note)) = &state.note {
        let color = widgets::ok_color(ui, *ok);
        ui.add(egui::Label::new(RichText::new(note).color(color)).wrap());
    }
}

/// The deep link: a new start token, the t.me link to copy, and who pressed Start with it.
fn deep_link_ui(
    ui: &mut egui::Ui,
    form: &mut ComposerForm,
    state: &mut State,
    actions: &mut Actions,
) {
    ui.add_space(8.0);
    ui.separator();
    ui.label(RichText::new("Deep link").strong());
    ui.weak(
        "People who open this link start the bot with your token, so you know which chat is whose.",
    );
    let busy = state.pending.is_some();
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!busy, egui::Button::new("New deep link"))
            .clicked()
        {
            let token = telegram::start_token(*uuid::Uuid::new_v4().as_bytes());
            state.start_token = Some(token);
            state.started.clear();
            state.looked = false;
            if state.bot_username.is_none() {
                state.call(actions, BotCall::Me, None);
            }
        }
        if state.start_token.is_some()
            && ui
                .add_enabled(!busy, egui::Button::new("Who pressed Start?"))
                .on_hover_text("Read the bot's recent updates (getUpdates, read-only)")
                .clicked()
        {
            state.call(actions, BotCall::Updates, None);
        }
        if busy {
            ui.spinner();
        }
    });
    if let (Some(bot), Some(token)) = (state.bot_username.clone(), state.start_token.clone()) {
        let mut link = telegram::deep_link(&bot, &token);
        ui.horizontal(|ui| {
            let width = (ui.available_width() - 90.0).max(120.0);
            widgets::cell_field(ui, "Deep link", &mut link, "", width);
            if ui
                .button("Copy link")
                .on_hover_text("Copy the t.me link")
                .clicked()
            {
                actions.push(Action::Copy {
                    text: link.clone(),
                    what: "Deep link",
                });
            }
        });
        if state.looked && state.started.is_empty() {
            ui.weak("Nobody has pressed Start with this link yet.");
        }
        for chat in state.started.clone() {
            ui.horizontal(|ui| {
                ui.label(format!(
                    "{} ({}) pressed Start with this link",
                    if chat.name.is_empty() {
                        "A chat"
                    } else {
                        &chat.name
                    },
                    chat.id
                ));
                if ui
                    .button(format!("Add {}", chat.id))
                    .on_hover_text("Add this chat to the audience")
                    .clicked()
                {
                    add_chat(form, chat.id);
                }
            });
        }
    }
}

/// The webhook: its status, removing it after a confirmation, or setting one.
fn webhook_ui(ui: &mut egui::Ui, state: &mut State, actions: &mut Actions) {
    let busy = state.pending.is_some();
    ui.add_space(6.0);
    ui.label(RichText::new("Webhook").strong());
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!busy, egui::Button::new("Webhook status"))
            .on_hover_text("getWebhookInfo: while a webhook is set, Find chats cannot read updates")
            .clicked()
        {
            state.call(actions, BotCall::WebhookInfo, None);
        }
    });
    if let Some(lines) = state.webhook.clone() {
        for line in lines {
            ui.label(line);
        }
        if state.webhook_set
            && !state.confirm_delete
            && ui
                .add_enabled(!busy, egui::Button::new("Remove webhook…"))
                .clicked()
        {
            state.confirm_delete = true;
        }
        if state.confirm_delete {
            ui.label(telegram::DELETE_WEBHOOK_WARNING);
            ui.horizontal(|ui| {
                if ui
                    .add_enabled(!busy, egui::Button::new("Remove the webhook"))
                    .clicked()
                {
                    state.confirm_delete = false;
                    state.call(
                        actions,
                        BotCall::DeleteWebhook,
                        Some(json!({"drop_pending_updates": false})),
                    );
                }
                if ui.button("Keep it").clicked() {
                    state.confirm_delete = false;
                }
            });
        }
        ui.horizontal(|ui| {
            widgets::cell_field(
                ui,
                "New webhook URL",
                &mut state.new_url,
                "https://…",
                280.0,
            );
            if ui
                .add_enabled(!busy, egui::Button::new("Set webhook"))
                .clicked()
            {
                match telegram::check_webhook_url(&state.new_url) {
                    Ok(url) => state.call(actions, BotCall::SetWebhook, Some(json!({"url": url}))),
                    Err(e) => state.note = Some((false, e.to_string())),
                }
            }
        });
    }
}

/// The last read was a full page: say so, and offer the newest, which confirms the older updates.
fn more_pending(ui: &mut egui::Ui, state: &mut State, actions: &mut Actions, busy: bool) {
    ui.add_space(6.0);
    ui.label(format!("{}.", telegram::MORE_PENDING_NOTE));
    ui.label(telegram::NEWEST_WARNING);
    if ui
        .add_enabled(
            !busy,
            egui::Button::new("Read newest (confirms older updates)"),
        )
        .on_hover_text("getUpdates with offset -100")
        .clicked()
    {
        state.call(
            actions,
            BotCall::NewestUpdates,
            Some(json!({"offset": telegram::NEWEST_OFFSET})),
        );
    }
}

fn add_chat(form: &mut ComposerForm, id: i64) {
    let value = form.audience.entry("chat_ids".to_string()).or_default();
    let id = id.to_string();
    if value.lines().any(|l| l.trim() == id) {
        return;
    }
    if !value.trim().is_empty() && !value.ends_with('\n') {
        value.push('\n');
    }
    value.push_str(&id);
}

/// What an answer means for the panel.
fn answered(
    state: &mut State,
    call: BotCall,
    answer: &Result<std::sync::Arc<SendResult>, String>,
    actions: &mut Actions,
) {
    let result = match answer {
        Ok(r) => r,
        Err(e) => {
            state.note = Some((false, e.clone()));
            return;
        }
    };
    let value = match telegram::reply(&result.exchange) {
        Ok(v) => v,
        Err(outcome) => {
            let webhook_blocks = result
                .exchange
                .response
                .as_ref()
                .is_some_and(|r| r.status == 409);
            state.note = Some((false, with_hint(&outcome)));
            if matches!(call, BotCall::Updates | BotCall::NewestUpdates) && webhook_blocks {
                // Say why, and show the webhook right away.
                state.call(actions, BotCall::WebhookInfo, None);
            }
            return;
        }
    };
    match call {
        BotCall::Me => match telegram::bot_identity(&value) {
            Some((name, username)) => {
                state.note = Some((true, format!("Bot “{name}” (@{username})")));
                state.bot_username = Some(username);
            }
            None => state.note = Some((false, "getMe did not name the bot".into())),
        },
        BotCall::Updates | BotCall::NewestUpdates => {
            state.more_pending = call == BotCall::Updates && telegram::more_pending(&value);
            let chats = telegram::discover_chats(&value);
            let token = state.start_token.clone().unwrap_or_default();
            state.started = chats
                .iter()
                .filter(|c| c.start_payload.as_deref() == Some(token.as_str()))
                .cloned()
                .collect();
            state.looked = true;
            let newest = if call == BotCall::NewestUpdates {
                " in the newest updates"
            } else {
                ""
            };
            state.note = Some((
                true,
                format!(
                    "Found {} chat{}{newest}",
                    chats.len(),
                    if chats.len() == 1 { "" } else { "s" }
                ),
            ));
            actions.push(Action::FillPicker {
                key: "chat_ids".into(),
                items: chats.iter().map(DiscoveredChat::item).collect(),
            });
        }
        BotCall::WebhookInfo => {
            state.webhook_set = value
                .get("url")
                .and_then(Value::as_str)
                .is_some_and(|u| !u.is_empty());
            state.webhook = Some(telegram::webhook_summary(&value));
        }
        BotCall::DeleteWebhook | BotCall::SetWebhook => {
            state.note = Some((true, result.outcome.summary.clone()));
            state.new_url.clear();
            state.call(actions, BotCall::WebhookInfo, None);
        }
    }
}

fn with_hint(outcome: &Outcome) -> String {
    match &outcome.hint {
        Some(h) => format!("{} — {h}", outcome.summary),
        None => outcome.summary.clone(),
    }
}
