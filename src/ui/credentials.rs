//! The profile bar (picker, environment badge, where the secret lives, Check) and the credentials
//! editor. Secret values are typed here and go straight to the keyring; they are never shown.

use std::collections::BTreeMap;

use eframe::egui::{self, RichText};

use super::app::PushdeckApp;
use super::widgets::{env_badge, ok_color, text_field};
use crate::provider;
use crate::store::{Environment, Profile};

pub struct Editor {
    /// The profile being edited; `None` while creating a new one.
    original: Option<String>,
    name: String,
    provider: &'static str,
    settings: BTreeMap<String, String>,
    base_url: String,
    environment: Environment,
    confirm_broadcast: bool,
    /// New secret values typed by the user (empty = keep the stored one).
    secrets: BTreeMap<String, String>,
    stored: Vec<&'static str>,
    error: Option<String>,
    confirm_delete: bool,
}

impl Editor {
    fn for_profile(app: &PushdeckApp, profile: Option<&Profile>) -> Editor {
        let info = app.provider().info();
        match profile {
            Some(p) => Editor {
                original: Some(p.name.clone()),
                name: p.name.clone(),
                provider: info.id,
                settings: p.settings.clone(),
                base_url: p.base_url.clone().unwrap_or_default(),
                environment: p.environment,
                confirm_broadcast: p.confirm_broadcast,
                secrets: BTreeMap::new(),
                stored: app.keyring.stored_fields(&p.name, info.secret_keys()),
                error: None,
                confirm_delete: false,
            },
            None => Editor {
                original: None,
                name: String::new(),
                provider: info.id,
                settings: BTreeMap::new(),
                base_url: String::new(),
                environment: Environment::Dev,
                confirm_broadcast: true,
                secrets: BTreeMap::new(),
                stored: Vec::new(),
                error: None,
                confirm_delete: false,
            },
        }
    }
}

pub fn profile_bar(app: &mut PushdeckApp, ui: &mut egui::Ui) {
    let info = app.provider().info();
    let ctx = ui.ctx().clone();
    egui::Panel::top("profile-bar").show(ui, |ui| {
        ui.add_space(2.0);
        ui.horizontal(|ui| {
            let label = ui.label("Profile");
            let names: Vec<String> = app
                .profiles
                .list()
                .filter(|p| p.provider == info.id)
                .map(|p| p.name.clone())
                .collect();
            let current = app.tab_state().profile.clone();
            let mut chosen = current.clone();
            egui::ComboBox::from_id_salt("profile-picker")
                .selected_text(current.clone().unwrap_or_else(|| "no profile".into()))
                .show_ui(ui, |ui| {
                    for n in &names {
                        ui.selectable_value(&mut chosen, Some(n.clone()), n);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("Which account to send with");
            if chosen != current {
                let state = app.tab_state();
                state.profile = chosen;
                state.check = None;
                app.reveal = false;
            }
            if let Some(profile) = app.current_profile().cloned() {
                env_badge(ui, profile.environment);
                let settings: Vec<String> = info
                    .settings
                    .iter()
                    .filter_map(|f| {
                        profile
                            .setting(f.key)
                            .map(|v| format!("{} {}", f.label, short(v)))
                    })
                    .collect();
                let stored = app.keyring.stored_fields(&profile.name, info.secret_keys());
                let keyring = if app.keyring.is_persistent() {
                    "stored in keyring"
                } else {
                    "kept for this session"
                };
                let secrets: Vec<String> = info
                    .secrets
                    .iter()
                    .map(|f| {
                        if stored.contains(&f.key) {
                            format!("{} {keyring}", f.label)
                        } else {
                            format!("{} not set", f.label)
                        }
                    })
                    .collect();
                ui.weak(format!(
                    "{} · {}",
                    settings.join(" · "),
                    secrets.join(" · ")
                ));
                if ui
                    .button("Edit credentials…")
                    .on_hover_text("Settings and secrets of this profile")
                    .clicked()
                {
                    app.credentials = Some(Editor::for_profile(app, Some(&profile)));
                }
                let busy = app.check_task.is_some();
                if ui
                    .add_enabled(!busy, egui::Button::new("Check"))
                    .on_hover_text(format!(
                        "Test the credentials with {}'s cheapest read-only call",
                        info.name
                    ))
                    .clicked()
                {
                    app.start_check(&ctx);
                }
                if busy {
                    ui.spinner();
                }
                if let Some(outcome) = &app.tabs[app.tab].check {
                    let text = RichText::new(&outcome.summary).color(ok_color(ui, outcome.is_ok()));
                    let r = ui.label(text);
                    if let Some(h) = &outcome.hint {
                        r.on_hover_text(h);
                    }
                }
            }
            if ui
                .button("New profile…")
                .on_hover_text(format!("Add a {} account", info.name))
                .clicked()
            {
                app.credentials = Some(Editor::for_profile(app, None));
            }
        });
        super::extras::profile(app, ui);
        ui.add_space(2.0);
    });
}

fn short(v: &str) -> String {
    if v.chars().count() > 14 {
        let head: String = v.chars().take(6).collect();
        let tail: String = v
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        format!("{head}…{tail}")
    } else {
        v.to_string()
    }
}

pub fn window(app: &mut PushdeckApp, ctx: &egui::Context) {
    let Some(mut editor) = app.credentials.take() else {
        return;
    };
    let Some(provider) = provider::find(editor.provider) else {
        return;
    };
    let info = provider.info();
    let mut open = true;
    let mut action = None;
    let title = if editor.original.is_some() {
        "Edit credentials"
    } else {
        "New profile"
    };
    egui::Window::new(title)
        .open(&mut open)
        .collapsible(false)
        .resizable(false)
        .default_width(420.0)
        .show(ctx, |ui| {
            ui.label(RichText::new(info.name).strong());
            if editor.original.is_some() {
                ui.label(format!("Profile {}", editor.name));
            } else {
                text_field(ui, "Profile name", &mut editor.name, "acme-prod");
            }
            for f in info.settings {
                let value = editor.settings.entry(f.key.to_string()).or_default();
                text_field(ui, f.label, value, f.hint);
            }
            text_field(ui, "Base URL", &mut editor.base_url, info.default_base_url)
                .on_hover_text("Leave empty for the provider's API; http:// only to this computer");
            ui.horizontal(|ui| {
                let label = ui.label("Environment");
                egui::ComboBox::from_id_salt("environment")
                    .selected_text(editor.environment.label())
                    .show_ui(ui, |ui| {
                        for env in Environment::ALL {
                            ui.selectable_value(&mut editor.environment, env, env.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
            });
            ui.checkbox(
                &mut editor.confirm_broadcast,
                "Ask before sending to a whole segment or topic",
            );
            ui.separator();
            for f in info.secrets {
                let l = ui.label(f.label);
                let hint = if editor.stored.contains(&f.key) {
                    "stored in keyring — type to replace"
                } else {
                    f.hint
                };
                let value = editor.secrets.entry(f.key.to_string()).or_default();
                ui.add(
                    egui::TextEdit::singleline(value)
                        .password(true)
                        .hint_text(hint)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(l.id);
            }
            if !app.keyring.is_persistent() {
                ui.colored_label(
                    ok_color(ui, false),
                    "No keyring: secrets are kept for this session only.",
                );
            }
            if let Some(e) = &editor.error {
                ui.colored_label(ok_color(ui, false), e);
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui
                    .button(RichText::new("Save").strong())
                    .on_hover_text("Save settings; secrets go to the keyring")
                    .clicked()
                {
                    action = Some("save");
                }
                if ui.button("Cancel").clicked() {
                    action = Some("cancel");
                }
                if editor.original.is_some() {
                    if editor.confirm_delete {
                        if ui
                            .button(RichText::new("Really delete").color(ok_color(ui, false)))
                            .on_hover_text("Remove the profile and its secrets")
                            .clicked()
                        {
                            action = Some("delete");
                        }
                    } else if ui
                        .button("Delete profile…")
                        .on_hover_text("Remove this profile and its secrets")
                        .clicked()
                    {
                        editor.confirm_delete = true;
                    }
                }
            });
        });
    match action {
        Some("save") => match save(app, &editor) {
            Ok(()) => return,
            Err(e) => editor.error = Some(e),
        },
        Some("delete") => {
            if let Some(name) = &editor.original {
                let mut problems = Vec::new();
                for f in info.secrets {
                    if let Err(e) = app.keyring.delete(name, f.key) {
                        problems.push(e.to_string());
                    }
                }
                match app.profiles.remove(name) {
                    Ok(_) => {
                        app.forget_secrets(name);
                        for tab in app.tabs.iter_mut() {
                            if tab.profile.as_deref() == Some(name) {
                                tab.profile = None;
                            }
                        }
                        app.status = Some((
                            problems.is_empty(),
                            if problems.is_empty() {
                                format!("Deleted profile {name}.")
                            } else {
                                format!(
                                    "Deleted profile {name}, but its secrets could not be removed: {}",
                                    problems.join("; ")
                                )
                            },
                        ));
                        return;
                    }
                    Err(e) => editor.error = Some(e.to_string()),
                }
            }
        }
        Some(_) => return,
        None => {}
    }
    if open {
        app.credentials = Some(editor);
    }
}

fn save(app: &mut PushdeckApp, editor: &Editor) -> Result<(), String> {
    let name = editor.name.trim().to_string();
    if editor.original.is_none() && app.profiles.get(&name).is_some() {
        return Err(format!("A profile named {name} already exists."));
    }
    let mut profile = match &editor.original {
        Some(n) => app
            .profiles
            .get(n)
            .cloned()
            .ok_or("the profile disappeared")?,
        None => Profile::new(&name, editor.provider),
    };
    profile.settings = editor
        .settings
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    profile.base_url = match editor.base_url.trim() {
        "" => None,
        url => Some(crate::http::check_base_url(url).map_err(|e| format!("Base URL: {e}"))?),
    };
    profile.environment = editor.environment;
    profile.confirm_broadcast = editor.confirm_broadcast;
    // A wrong key file is refused before anything is saved (FCM service account, APNs .p8).
    if let Some(provider) = crate::provider::find(editor.provider) {
        for (field, value) in editor.secrets.iter().filter(|(_, v)| !v.is_empty()) {
            provider
                .validate_secret(field, value)
                .map_err(|e| format!("{field}: {e}; nothing was saved"))?;
        }
    }
    app.profiles.upsert(profile).map_err(|e| e.to_string())?;
    for (field, value) in &editor.secrets {
        if !value.is_empty() {
            app.keyring
                .set(&name, field, value)
                .map_err(|e| format!("The settings were saved, but the secret was not: {e}"))?;
        }
    }
    app.forget_secrets(&name);
    let state = app.tab_state();
    state.profile = Some(name.clone());
    state.check = None;
    app.status = Some((true, format!("Saved profile {name}.")));
    Ok(())
}
