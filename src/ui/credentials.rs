//! The profile bar (picker, environment badge, where the secret lives, Check) and the credentials
//! editor. Secret values are typed here and go straight to the keyring; they are never shown.

use eframe::egui::{self, RichText};

use super::command::{Action, Actions, Command, ProfileEdit};
use super::extras::{self, Panels};
use super::form::ComposerForm;
use super::view::View;
use super::widgets::{env_badge, ok_color, text_field};
use crate::profile::{Environment, Profile};
use crate::provider::{self, FieldKind, FieldSpec, ProviderInfo};

/// The credentials editor: the profile being edited, and what it shows besides.
pub struct Editor {
    edit: ProfileEdit,
    /// Which secret fields are stored already.
    stored: Vec<&'static str>,
    pub(super) error: Option<String>,
    confirm_delete: bool,
    /// What the APNs certificate being entered says, for the certificate and password it was
    /// read from (a hash of both): opening a .p12 is slow, so not every frame.
    certificate: Option<(u64, Result<Vec<String>, String>)>,
}

impl Editor {
    pub fn new(
        info: &'static ProviderInfo,
        profile: Option<&Profile>,
        stored: Vec<&'static str>,
    ) -> Editor {
        let edit = match profile {
            Some(p) => ProfileEdit {
                original: Some(p.name.clone()),
                name: p.name.clone(),
                provider: info.id,
                settings: p.settings.clone(),
                base_url: p.base_url.clone().unwrap_or_default(),
                environment: p.environment,
                confirm_broadcast: p.confirm_broadcast,
                secrets: Default::default(),
            },
            None => ProfileEdit {
                provider: info.id,
                environment: Environment::Dev,
                confirm_broadcast: true,
                ..Default::default()
            },
        };
        Editor {
            edit,
            stored,
            error: None,
            confirm_delete: false,
            certificate: None,
        }
    }
}

impl Editor {
    /// The provider id of the profile being edited.
    pub fn provider(&self) -> &'static str {
        self.edit.provider
    }

    pub fn edit(&self) -> &ProfileEdit {
        &self.edit
    }

    /// Puts a secret read from a file (or dropped) into its field, as if typed.
    pub fn set_secret(&mut self, field: &str, value: String) {
        self.edit.secrets.insert(field.to_string(), value);
    }
}

pub fn profile_bar(
    ui: &mut egui::Ui,
    view: &View<'_>,
    form: &mut ComposerForm,
    panels: &mut Panels,
    actions: &mut Actions,
) {
    let info = view.provider.info();
    egui::Panel::top("profile-bar").show(ui, |ui| {
        ui.add_space(2.0);
        ui.horizontal(|ui| {
            let label = ui.label("Profile");
            let current = view.profile.map(|p| p.name.clone());
            let mut chosen = current.clone();
            egui::ComboBox::from_id_salt("profile-picker")
                .selected_text(current.clone().unwrap_or_else(|| "no profile".into()))
                .show_ui(ui, |ui| {
                    for n in view.profiles {
                        ui.selectable_value(&mut chosen, Some(n.clone()), n);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("Which account to send with");
            if chosen != current {
                actions.push(Action::SelectProfile(chosen));
            }
            if let Some(profile) = view.profile {
                profile_summary(ui, view, profile);
                if Command::EditCredentials.button(ui, true) {
                    actions.run(Command::EditCredentials);
                }
                if Command::CheckCredentials.button(ui, !view.checking) {
                    actions.run(Command::CheckCredentials);
                }
                if view.checking {
                    ui.spinner();
                }
                // A doctor's answer is the list of findings below the bar; only a bare outcome
                // (no findings) is said here.
                if let Some(outcome) = view.check.filter(|o| o.findings.is_empty()) {
                    let text = RichText::new(&outcome.summary).color(ok_color(ui, outcome.is_ok()));
                    let r = ui.label(text);
                    if let Some(h) = &outcome.hint {
                        r.on_hover_text(h);
                    }
                }
            }
            if ui
                .button(Command::NewProfile.label())
                .on_hover_text(format!("Add a {} account", info.name))
                .clicked()
            {
                actions.run(Command::NewProfile);
            }
        });
        if let Some(outcome) = view.check
            && !outcome.findings.is_empty()
        {
            super::findings::findings(ui, &outcome.findings);
        }
        extras::profile(ui, view, form, panels, actions);
        ui.add_space(2.0);
    });
}

/// The badge, the settings in short, and where each secret is (read from the cache).
fn profile_summary(ui: &mut egui::Ui, view: &View<'_>, profile: &Profile) {
    let info = view.provider.info();
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
    let keyring = if view.keyring_persistent {
        "stored in keyring"
    } else {
        "kept for this session"
    };
    // An optional secret that is not set is not news (and would push Check off the bar).
    let secrets: Vec<String> = info
        .secrets
        .iter()
        .filter(|f| f.required || view.stored.contains(&f.key))
        .map(|f| {
            if view.stored.contains(&f.key) {
                format!("{} {keyring}", f.label)
            } else {
                format!("{} not set", f.label)
            }
        })
        .collect();
    let text = format!("{} · {}", settings.join(" · "), secrets.join(" · "));
    // The summary gives way to the buttons after it (Edit credentials…, Check, New profile…): cut
    // to the room left, the whole of it on hover.
    let room = (ui.available_width() - BUTTONS_WIDTH).max(80.0);
    ui.allocate_ui(egui::vec2(room, ui.spacing().interact_size.y), |ui| {
        ui.add(egui::Label::new(RichText::new(&text).weak()).truncate())
            .on_hover_text(&text);
    });
}

/// What the profile bar keeps free after the summary: its three buttons and Check's answer.
const BUTTONS_WIDTH: f32 = 420.0;

/// Key files (PEM, JSON) span lines: their fields do too, so a pasted file keeps its shape.
fn multi_line(f: &FieldSpec) -> bool {
    matches!(f.kind, FieldKind::Json | FieldKind::List)
        || f.hint.contains("PEM")
        || f.hint.contains("-----BEGIN")
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

pub fn window(
    ctx: &egui::Context,
    slot: &mut Option<Editor>,
    keyring_persistent: bool,
    actions: &mut Actions,
) {
    let Some(editor) = slot else {
        return;
    };
    let Some(provider) = provider::find(editor.edit.provider) else {
        return;
    };
    let info = provider.info();
    let mut open = true;
    let mut close = false;
    let title = if editor.edit.original.is_some() {
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
            fields(ui, info, editor, keyring_persistent, actions);
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                if ui
                    .button(RichText::new("Save").strong())
                    .on_hover_text("Save settings; secrets go to the keyring")
                    .clicked()
                {
                    actions.push(Action::SaveProfile(Box::new(editor.edit.clone())));
                }
                if ui
                    .button("Cancel")
                    .on_hover_text("Close without saving")
                    .clicked()
                {
                    close = true;
                }
                if let Some(name) = &editor.edit.original {
                    if editor.confirm_delete {
                        if ui
                            .button(RichText::new("Really delete").color(ok_color(ui, false)))
                            .on_hover_text("Remove the profile and its secrets")
                            .clicked()
                        {
                            actions.push(Action::DeleteProfile(name.clone()));
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
    if close || !open {
        *slot = None;
    }
}

fn fields(
    ui: &mut egui::Ui,
    info: &ProviderInfo,
    editor: &mut Editor,
    keyring_persistent: bool,
    actions: &mut Actions,
) {
    let edit = &mut editor.edit;
    ui.label(RichText::new(info.name).strong());
    if edit.original.is_some() {
        ui.label(format!("Profile {}", edit.name));
    } else {
        text_field(ui, "Profile name", &mut edit.name, "acme-prod");
    }
    for f in info.settings {
        let value = edit.settings.entry(f.key.to_string()).or_default();
        text_field(ui, f.label, value, f.hint);
    }
    text_field(ui, "Base URL", &mut edit.base_url, info.default_base_url)
        .on_hover_text("Leave empty for the provider's API; http:// only to this computer");
    ui.horizontal(|ui| {
        let label = ui.label("Environment");
        egui::ComboBox::from_id_salt("environment")
            .selected_text(edit.environment.label())
            .show_ui(ui, |ui| {
                for env in Environment::ALL {
                    ui.selectable_value(&mut edit.environment, env, env.label());
                }
            })
            .response
            .labelled_by(label.id);
    });
    ui.checkbox(
        &mut edit.confirm_broadcast,
        "Ask before sending to a whole segment or topic",
    );
    network_fields(ui, editor_stored(&editor.stored), edit);
    ui.separator();
    for f in info.secrets {
        let hint = if editor.stored.contains(&f.key) {
            "stored in keyring — type, load or drop a file to replace"
        } else {
            f.hint
        };
        let l = ui
            .horizontal(|ui| {
                let l = ui.label(f.label);
                // A password is typed, not kept in a file.
                if f.key != crate::provider::apns::certificate::PASSWORD
                    && ui
                        .small_button("Load from file…")
                        .on_hover_text(format!(
                            "Read the {} from a file (or drop the file on the window)",
                            f.label
                        ))
                        .clicked()
                {
                    actions.push(Action::LoadSecretFile(f.key));
                }
                l
            })
            .inner;
        let value = edit.secrets.entry(f.key.to_string()).or_default();
        let field = if multi_line(f) {
            egui::TextEdit::multiline(value).desired_rows(4)
        } else {
            egui::TextEdit::singleline(value)
        };
        ui.add(
            field
                .password(true)
                .hint_text(hint)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
    }
    certificate_facts(ui, editor);
    if !keyring_persistent {
        ui.colored_label(
            ok_color(ui, false),
            "No keyring: secrets are kept for this session only.",
        );
    }
    if let Some(e) = &editor.error {
        ui.colored_label(ok_color(ui, false), e);
    }
}

/// What Apple encoded in the APNs certificate being entered (bundle id, topics, environment,
/// expiry), or why it does not open; warns 30 days before it expires.
fn certificate_facts(ui: &mut egui::Ui, editor: &mut Editor) {
    use crate::provider::apns::certificate::{CERTIFICATE, PASSWORD, open};
    use std::hash::{Hash, Hasher};
    let Some(value) = editor
        .edit
        .secrets
        .get(CERTIFICATE)
        .filter(|v| editor.edit.provider == "apns" && !v.trim().is_empty())
    else {
        editor.certificate = None;
        return;
    };
    let password = editor
        .edit
        .secrets
        .get(PASSWORD)
        .filter(|p| !p.is_empty())
        .map(String::as_str);
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (value, password).hash(&mut hasher);
    let key = hasher.finish();
    if editor.certificate.as_ref().is_none_or(|(k, _)| *k != key) {
        let now = crate::clock::now();
        let read = open(value, password)
            .map(|o| {
                let mut lines = o.facts.lines(now);
                lines.extend(o.facts.expiry_warning(now).map(|w| format!("⚠ {w}")));
                lines
            })
            .map_err(|e| e.to_string());
        editor.certificate = Some((key, read));
    }
    if let Some((_, read)) = &editor.certificate {
        match read {
            Ok(lines) => {
                for line in lines {
                    if line.starts_with('⚠') {
                        ui.colored_label(ok_color(ui, false), line);
                    } else {
                        ui.label(line);
                    }
                }
            }
            Err(e) => {
                ui.colored_label(ok_color(ui, false), e);
            }
        }
    }
}

fn editor_stored(stored: &[&'static str]) -> bool {
    stored.contains(&crate::profile::PROXY_PASSWORD)
}

/// The settings every profile has: its proxy (and that proxy's password) and extra trusted CAs.
fn network_fields(ui: &mut egui::Ui, password_stored: bool, edit: &mut ProfileEdit) {
    use crate::profile::{CA_CERTIFICATES, PROXY, PROXY_PASSWORD};
    ui.separator();
    let proxy = edit.settings.entry(PROXY.to_string()).or_default();
    text_field(
        ui,
        "Proxy",
        proxy,
        "empty: HTTPS_PROXY / ALL_PROXY from the environment",
    )
    .on_hover_text(
        "The proxy this profile sends through: http://host:port, https://…, socks5://… or socks5h://…; put a user in it as http://USER@host:port and its password below. `direct` ignores the environment's proxy. Empty: the HTTPS_PROXY / ALL_PROXY / NO_PROXY variables, as curl reads them.",
    );
    let l = ui.label("Proxy password");
    let hint = if password_stored {
        "stored in keyring — type to replace"
    } else {
        "only if the proxy URL names a user"
    };
    let value = edit.secrets.entry(PROXY_PASSWORD.to_string()).or_default();
    ui.add(
        egui::TextEdit::singleline(value)
            .password(true)
            .hint_text(hint)
            .desired_width(f32::INFINITY),
    )
    .labelled_by(l.id)
    .on_hover_text("The password of the proxy user; kept in the keyring, never in a file");
    let ca = edit
        .settings
        .entry(CA_CERTIFICATES.to_string())
        .or_default();
    text_field(
        ui,
        "Extra trusted CA certificates",
        ca,
        "/path/to/company-ca.pem",
    )
    .on_hover_text(
        "A PEM file of certificate authorities trusted in addition to the system's own (a company CA, a TLS-inspecting proxy's root). Empty: the system's trust store only.",
    );
}
