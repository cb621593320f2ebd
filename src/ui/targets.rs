//! The campaign panel beside the composer: the targets (add a profile of any provider, edit its
//! audience in that provider's tab with the tab's own audience form, enable, remove), the picked
//! target's requests and the warnings of what its provider drops or cuts, one Send, and the
//! results matrix. It draws and pushes steps; `campaign.rs` does them.

use eframe::egui::{self, RichText};

use super::app::PushdeckApp;
use super::campaign::{ConfirmLine, PreviewOf, Step};
use super::command::Command;
use super::widgets::{env_badge, note_color};
use crate::provider;

impl PushdeckApp {
    /// The panel, when open; drawn before the composer so it sits beside it.
    pub(super) fn campaign_panel(&mut self, ui: &mut egui::Ui) {
        if !self.campaign.open {
            return;
        }
        let preview = self.campaign_preview();
        let tab_profile = self.current_profile().map(|p| p.name.clone());
        let profiles: Vec<(String, &'static str, crate::profile::Environment)> = self
            .profiles
            .list()
            .filter_map(|p| {
                provider::find(&p.provider)
                    .map(|pr| (p.name.clone(), pr.info().name, p.environment))
            })
            .collect();
        let sending = self.is_sending();
        let state = &self.campaign;
        let actions = &mut self.actions;
        egui::Panel::left("campaign")
            .resizable(true)
            .default_size(400.0)
            .min_size(300.0)
            // A wide matrix wraps rather than squeezing the composer.
            .max_size(ui.available_width() * 0.42)
            .show(ui, |ui| {
                egui::ScrollArea::vertical().id_salt("campaign-scroll").show(ui, |ui| {
                    ui.heading("Campaign");
                    ui.label("One message (the composer's) to every target at once.");
                    ui.add_space(4.0);
                    for (i, t) in state.targets.iter().enumerate() {
                        let (provider, env) = profiles
                            .iter()
                            .find(|(n, _, _)| *n == t.profile)
                            .map(|(_, p, e)| (*p, Some(*e)))
                            .unwrap_or(("missing profile", None));
                        ui.horizontal(|ui| {
                            let mut on = t.enabled;
                            if ui
                                .checkbox(&mut on, "")
                                .on_hover_text("Send to this target (unticked: kept, not sent)")
                                .changed()
                            {
                                actions.campaign(Step::Enable(i, on));
                            }
                            let label = format!("{} · {}", t.profile, provider);
                            if ui
                                .selectable_label(state.picked == i, label)
                                .on_hover_text("Show this target's requests and warnings")
                                .clicked()
                            {
                                actions.campaign(Step::Pick(i));
                            }
                            if let Some(env) = env {
                                env_badge(ui, env);
                            }
                        });
                        ui.horizontal(|ui| {
                            ui.add_space(24.0);
                            if ui
                                .small_button(format!("Edit target {}", i + 1))
                                .on_hover_text("Open this target in its provider's tab to set its audience with that provider's form")
                                .clicked()
                            {
                                actions.campaign(Step::Edit(i));
                            }
                            let same = tab_profile.as_deref() == Some(t.profile.as_str());
                            if ui
                                .add_enabled(same, egui::Button::new(format!("Use this tab for target {}", i + 1)).small())
                                .on_hover_text("Take the audience and options set in this tab")
                                .on_disabled_hover_text("Open the target's tab first (Edit target)")
                                .clicked()
                            {
                                actions.campaign(Step::UseTab(i));
                            }
                            if ui
                                .small_button(format!("Remove target {}", i + 1))
                                .on_hover_text("Take this target out of the campaign")
                                .clicked()
                            {
                                actions.campaign(Step::Remove(i));
                            }
                        });
                    }
                    ui.horizontal(|ui| {
                        ui.menu_button("Add target", |ui| {
                            for (name, provider, _) in &profiles {
                                if ui
                                    .button(format!("{name} ({provider})"))
                                    .on_hover_text("Add this profile; set its audience with Edit target")
                                    .clicked()
                                {
                                    actions.campaign(Step::Add(name.clone()));
                                    ui.close();
                                }
                            }
                        })
                        .response
                        .on_hover_text("Add a profile of any provider as a target");
                        if ui
                            .add_enabled(tab_profile.is_some(), egui::Button::new("Add this tab"))
                            .on_hover_text("Add this tab's profile with the audience and options set here")
                            .clicked()
                        {
                            actions.campaign(Step::AddCurrent);
                        }
                    });
                    if let Some(preview) = &preview {
                        ui.separator();
                        picked_ui(ui, state.picked, &state.targets, preview, actions);
                    }
                    ui.separator();
                    ui.horizontal(|ui| {
                        let any = state.targets.iter().any(|t| t.enabled);
                        let send = Command::SendCampaign;
                        if ui
                            .add_enabled(any && !sending, egui::Button::new(RichText::new(send.label()).strong()))
                            .on_hover_text(send.tooltip(ui.ctx()))
                            .clicked()
                        {
                            actions.campaign(Step::Send);
                        }
                        let save = Command::SaveCampaignAs;
                        if save.button(ui, !state.targets.is_empty()) {
                            actions.run(save);
                        }
                    });
                    super::matrix::show(ui, state, sending, actions);
                });
            });
        if let Some(lines) = &self.campaign.confirm
            && let Some(go) = confirm_modal(ui.ctx(), lines)
        {
            self.actions.campaign(Step::Confirmed(go));
        }
    }
}

/// The picked target's requests and the warnings of its provider.
fn picked_ui(
    ui: &mut egui::Ui,
    picked: usize,
    targets: &[crate::campaign::Target],
    preview: &Result<PreviewOf, String>,
    actions: &mut super::command::Actions,
) {
    ui.horizontal(|ui| {
        ui.label("Requests of target");
        egui::ComboBox::from_id_salt("campaign-target-picker")
            .selected_text(
                targets
                    .get(picked)
                    .map(|t| format!("{} {}", picked + 1, t.profile))
                    .unwrap_or_default(),
            )
            .show_ui(ui, |ui| {
                for (i, t) in targets.iter().enumerate() {
                    if ui
                        .selectable_label(i == picked, format!("{} {}", i + 1, t.profile))
                        .clicked()
                    {
                        actions.campaign(Step::Pick(i));
                    }
                }
            })
            .response
            .on_hover_text("The target whose requests and warnings show here");
    });
    match preview {
        Ok(p) => {
            for w in &p.warnings {
                ui.label(RichText::new(format!("⚠ {w}")).color(note_color(ui)));
            }
            ui.label(format!("{} request(s)", p.total));
            for r in &p.requests {
                egui::CollapsingHeader::new(r.lines().next().unwrap_or("request"))
                    .id_salt(("campaign-request", picked, r.len()))
                    .show(ui, |ui| {
                        ui.add(egui::Label::new(RichText::new(r).monospace()).selectable(true));
                    });
            }
        }
        Err(e) => {
            ui.label(RichText::new(e).color(note_color(ui)));
        }
    }
}

/// The one confirmation: every target, its audience and environment badge.
fn confirm_modal(ctx: &egui::Context, lines: &[ConfirmLine]) -> Option<bool> {
    let body = |ui: &mut egui::Ui| {
        ui.label(format!(
            "This sends the message to {} targets. It cannot be undone.",
            lines.len()
        ));
        for l in lines {
            ui.horizontal(|ui| {
                env_badge(ui, l.environment);
                ui.label(format!("{} ({}) → {}", l.profile, l.provider, l.audience));
            });
        }
    };
    let send = format!("Send to {} targets", lines.len());
    super::send_bar::confirm(
        ctx,
        ("confirm-campaign", 480.0),
        "Send the campaign?",
        body,
        (&send, "Send to every target listed"),
    )
}
