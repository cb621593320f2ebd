//! The bottom bar (the status line, and the Send button with the audience and the environment
//! badge) and the confirmation before a broadcast.

use eframe::egui::{self, RichText};

use super::command::{Actions, Command};
use super::view::View;
use super::widgets;

/// The broadcast confirmation: `Some(true)` send, `Some(false)` cancelled, `None` still open.
pub fn confirm_modal(ctx: &egui::Context, audience: &str, env: &str) -> Option<bool> {
    let body = |ui: &mut egui::Ui| {
        ui.label(format!(
            "This sends to {audience} ({env}). It cannot be undone."
        ));
    };
    confirm(
        ctx,
        ("confirm-broadcast", 420.0),
        "Confirm the audience",
        body,
        ("Send now", "Send this message to the whole audience"),
    )
}

/// A modal asking before sending: `body` says what will go where, then the send button (`send`:
/// its label and tooltip) and Cancel. `Some(true)` send, `Some(false)` cancelled (Esc or a click
/// outside too), `None` still open.
pub fn confirm(
    ctx: &egui::Context,
    (id, width): (&str, f32),
    heading: &str,
    body: impl FnOnce(&mut egui::Ui),
    send: (&str, &str),
) -> Option<bool> {
    let modal = egui::Modal::new(egui::Id::unique(id)).show(ctx, |ui| {
        ui.set_max_width(width);
        ui.heading(heading);
        body(ui);
        ui.add_space(8.0);
        let mut choice = None;
        ui.horizontal(|ui| {
            if ui
                .button(RichText::new(send.0).strong())
                .on_hover_text(send.1)
                .clicked()
            {
                choice = Some(true);
            }
            if ui
                .button("Cancel")
                .on_hover_text("Go back without sending")
                .clicked()
            {
                choice = Some(false);
            }
        });
        choice
    });
    match modal.inner {
        None if modal.should_close() => Some(false),
        choice => choice,
    }
}

/// The status line and the Send button (with the environment badge and the audience).
pub fn status_bar(
    ui: &mut egui::Ui,
    view: &View<'_>,
    status: Option<&(bool, String)>,
    actions: &mut Actions,
) {
    egui::Panel::bottom("status").show(ui, |ui| {
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            match status {
                Some((ok, text)) => {
                    ui.label(
                        RichText::new("•")
                            .strong()
                            .color(widgets::ok_color(ui, *ok)),
                    );
                    ui.label(text);
                }
                None => {
                    ui.weak("Nothing sent yet.");
                }
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                send_button(ui, view, actions)
            });
        });
        ui.add_space(4.0);
    });
}

fn send_button(ui: &mut egui::Ui, view: &View<'_>, actions: &mut Actions) {
    if let Some(progress) = view.sending {
        if Command::CancelSend.button(ui, true) {
            actions.run(Command::CancelSend);
        }
        ui.add_enabled(
            false,
            egui::Button::new(format!(
                "Sending… {}/{} (Esc cancels)",
                progress.done,
                progress.total.max(1)
            )),
        )
        .on_hover_text("A send is in flight");
        ui.spinner();
        return;
    }
    let env = view.profile.map(|p| p.environment);
    let audience = &view.compiled.audience;
    let mut label = if audience.is_empty() || audience == "nobody yet" {
        "Send".to_string()
    } else {
        format!("Send to {}", super::preview::truncate(audience, 48).0)
    };
    if let Some(env) = env {
        label.push_str(&format!(" · {}", env.label()));
    }
    let button = egui::Button::new(RichText::new(label).strong().color(egui::Color32::WHITE))
        .min_size(egui::vec2(160.0, 30.0))
        .fill(
            env.map(widgets::env_color)
                .unwrap_or(egui::Color32::from_rgb(0x1e, 0x66, 0xd0)),
        );
    let send = Command::Send;
    if ui
        .add(button)
        .on_hover_text(send.tooltip(ui.ctx()))
        .clicked()
    {
        actions.run(send);
    }
    if let Some(shortcut) = send.shortcut(ui.ctx()) {
        ui.weak(ui.ctx().format_shortcut(&shortcut));
    }
}
