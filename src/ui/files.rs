//! Choosing files: the desktop's own open/save dialogs (rfd through the XDG desktop portal, on a
//! thread of their own so the window never freezes), the in-app dialog where no portal answers,
//! files dropped on the window, and "Load from file…" of the credential fields.

use std::path::Path;
use std::sync::mpsc;

use eframe::egui;

use super::app::PushdeckApp;
use super::dialogs::{FileDialog, Mode};
use super::drop::{Dropped, classify};
use super::file_state::Opened;
use crate::draft::Draft;
use crate::provider;
use crate::store::files::{MAX_USER_FILE, read_bounded, read_user_text};

impl PushdeckApp {
    /// Whether Open, Save and Import use the desktop's dialogs (the real window does; window
    /// tests use the in-app one unless they turn this on).
    pub fn use_native_dialogs(&mut self, on: bool) {
        self.files.native = on;
    }

    /// Asks for a file for `mode`: the desktop's dialog if there is one, else the in-app dialog.
    pub(super) fn choose_file(&mut self, mode: Mode) {
        if !self.files.native || self.files.native_off.is_some() {
            self.file_dialog = Some(FileDialog::new(&self.paths, mode));
            return;
        }
        if self.files.picking.is_some() {
            return self.say(false, "A file dialog is open already.");
        }
        let (tx, rx) = mpsc::channel();
        let ctx = self.egui_ctx.clone();
        let dialog = native_dialog(&mode, &self.paths);
        let writes = mode.writes();
        let spawned = std::thread::Builder::new()
            .name("pushdeck-file-dialog".into())
            .spawn(move || {
                let picked = portal_available().map(|()| {
                    if writes {
                        dialog.save_file()
                    } else {
                        dialog.pick_file()
                    }
                });
                let _ = tx.send(picked);
                if let Some(ctx) = ctx {
                    ctx.request_repaint();
                }
            });
        match spawned {
            Ok(_) => self.files.picking = Some((mode, rx)),
            Err(e) => self.native_unavailable(mode, format!("no thread for it ({e})")),
        }
    }

    fn native_unavailable(&mut self, mode: Mode, why: String) {
        self.notices.push(format!(
            "The desktop's file dialogs are not available: {why}. Pushdeck uses its own file dialog instead."
        ));
        self.files.native_off = Some(why);
        self.file_dialog = Some(FileDialog::new(&self.paths, mode));
    }

    /// Runs each frame: what a native dialog answered, and files dropped on the window.
    pub(super) fn poll_files(&mut self, ctx: &egui::Context) {
        if let Some((mode, rx)) = &self.files.picking {
            match rx.try_recv() {
                Ok(Ok(Some(path))) => {
                    let mode = mode.clone();
                    self.files.picking = None;
                    if let Err(e) = self.use_file(&mode, &path) {
                        self.say(false, e);
                    }
                }
                Ok(Err(why)) => {
                    let mode = mode.clone();
                    self.files.picking = None;
                    self.native_unavailable(mode, why);
                }
                Ok(Ok(None)) | Err(mpsc::TryRecvError::Disconnected) => self.files.picking = None,
                Err(mpsc::TryRecvError::Empty) => {}
            }
        }
        let hovering = ctx.input(|i| i.raw.hovered_files.len());
        if hovering > 0 {
            drop_hint(ctx);
        }
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        for file in dropped {
            self.dropped(&file);
        }
    }

    /// A dropped file, read through the store (with its size bound) and put where it belongs.
    fn dropped(&mut self, file: &egui::DroppedFileHandle) {
        let path = file.path().to_path_buf();
        let bytes = match read_bounded(&path, MAX_USER_FILE) {
            Ok(bytes) => bytes,
            Err(e) => return self.say(false, format!("The dropped file was not used: {e}")),
        };
        match classify(&path, &bytes, self.provider().info().id) {
            Dropped::Draft(draft) => {
                self.open_draft(&draft, &format!("Opened {}", path.display()));
                self.opened_file(&path, *draft);
            }
            Dropped::Secret {
                provider,
                field,
                what,
                value,
            } => self.dropped_secret(&path, provider, field, what, value),
            Dropped::Subscriptions(text) => {
                if let Some(i) = provider::all()
                    .iter()
                    .position(|p| p.info().id == "webpush")
                {
                    self.tab = i;
                }
                if let Err(e) = self.import_subscriptions(&text, &path) {
                    self.say(false, e);
                }
            }
            Dropped::Unknown(why) => self.say(false, why),
        }
    }

    /// A dropped key: validated as the provider validates it, then into the credentials editor
    /// open for that provider (and saved, for an existing profile), or into the keyring of the
    /// profile chosen on that provider's tab.
    fn dropped_secret(
        &mut self,
        path: &Path,
        provider_id: &str,
        field: &str,
        what: &str,
        value: String,
    ) {
        let Some(provider) = provider::find(provider_id) else {
            return self.say(false, format!("{what}: {provider_id} is not in this build"));
        };
        let name = provider.info().name;
        if let Err(e) = provider.validate_secret(field, &value) {
            return self.say(
                false,
                format!(
                    "{} looks like a {what} but was refused: {e}. Nothing was saved.",
                    path.display()
                ),
            );
        }
        if let Some(editor) = &mut self.credentials
            && editor.provider() == provider_id
        {
            editor.set_secret(field, value);
            let edit = editor.edit().clone();
            if edit.original.is_some() {
                if let Err(e) = self.save_profile(&edit) {
                    self.editor_error(e);
                } else {
                    self.credentials = None;
                    self.say(
                        true,
                        format!(
                            "Saved the {what} from {} to profile {}.",
                            path.display(),
                            edit.name
                        ),
                    );
                }
            } else {
                self.say(
                    true,
                    format!(
                        "Loaded the {what} from {}: name the profile and Save.",
                        path.display()
                    ),
                );
            }
            return;
        }
        match self.current_profile().cloned() {
            Some(profile) if profile.provider == provider_id => {
                match self.keyring.set(&profile.name, field, &value) {
                    Ok(()) => {
                        self.forget_secrets(&profile.name);
                        self.say(
                            true,
                            format!("Saved the {what} from {} to profile {}.", path.display(), profile.name),
                        );
                    }
                    Err(e) => self.say(false, format!("The {what} was not stored: {e}")),
                }
            }
            _ => self.say(
                false,
                format!(
                    "{} is a {what}: open the {name} tab, choose or create a profile, and drop it again.",
                    path.display()
                ),
            ),
        }
    }

    /// The file the user chose for `mode`, from either dialog.
    pub(super) fn use_file(&mut self, mode: &Mode, path: &Path) -> Result<(), String> {
        match mode {
            Mode::LoadSecret(field) => self.load_secret_file(field, path),
            _ => self.keep_file(mode, path),
        }
    }

    fn load_secret_file(&mut self, field: &str, path: &Path) -> Result<(), String> {
        let text = if field == crate::provider::apns::certificate::CERTIFICATE {
            // A .p12 is binary; the keyring keeps text, so it is held as base64.
            let bytes = read_bounded(path, MAX_USER_FILE).map_err(|e| e.to_string())?;
            crate::provider::apns::certificate::stored_form(bytes)
        } else {
            read_user_text(path).map_err(|e| e.to_string())?
        };
        let text = text.trim().to_string();
        let Some(editor) = &mut self.credentials else {
            return Err(
                "The credentials editor was closed: open it and load the file again.".into(),
            );
        };
        let provider =
            provider::find(editor.provider()).ok_or("this provider is not in this build")?;
        provider
            .validate_secret(field, &text)
            .map_err(|e| format!("{} was not loaded: {e}", path.display()))?;
        editor.set_secret(field, text);
        editor.error = None;
        self.say(
            true,
            format!(
                "Loaded {}: Save to store it in the keyring.",
                path.display()
            ),
        );
        Ok(())
    }

    /// Remembers the draft file the message now matches (opened or saved), for the unsaved mark.
    pub(super) fn opened_file(&mut self, path: &Path, draft: Draft) {
        self.files.opened = Some(Opened {
            path: path.to_path_buf(),
            tab: self.tab,
            draft,
        });
    }

    /// "• name.json — unsaved" while the message differs from the draft file it came from.
    pub fn unsaved_mark(&mut self) -> Option<String> {
        let (path, tab) = match &self.files.opened {
            Some(o) if o.tab == self.tab => (o.path.clone(), o.tab),
            _ => return None,
        };
        let draft = self.current_draft().ok();
        let same = match (&draft, &self.files.opened) {
            (Some(d), Some(o)) => **d == o.draft && o.tab == tab,
            _ => false,
        };
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned())?;
        (!same).then(|| format!("• {name} — unsaved"))
    }
}

/// While files are dragged over the window: what dropping them does.
fn drop_hint(ctx: &egui::Context) {
    let screen = ctx.content_rect();
    egui::Area::new(egui::Id::unique("drop-hint"))
        .order(egui::Order::Foreground)
        .fixed_pos(screen.center() - egui::vec2(220.0, 30.0))
        .show(ctx, |ui| {
            egui::Frame::popup(ui.style()).show(ui, |ui| {
                ui.set_width(440.0);
                ui.strong("Drop to use this file");
                ui.label(
                    "A draft opens; an APNs .p8, an FCM service-account JSON or a VAPID .pem goes to the profile's keyring; a subscriptions file joins the Web Push audience.",
                );
            });
        });
}

/// The native dialog for `mode`, starting in the drafts folder.
fn native_dialog(mode: &Mode, paths: &crate::store::Paths) -> rfd::FileDialog {
    let dialog = rfd::FileDialog::new()
        .set_title(mode.title())
        .set_directory(paths.drafts_dir());
    match mode {
        Mode::Open => dialog.add_filter("Drafts", &["json"]),
        Mode::Save => dialog
            .set_file_name("draft.json")
            .add_filter("Drafts", &["json"]),
        Mode::SaveCampaign => dialog
            .set_file_name("campaign.json")
            .add_filter("Campaigns", &["json"]),
        Mode::SaveExchange(_) => dialog.set_file_name("exchange.txt"),
        Mode::ImportSubscriptions => dialog.add_filter("Subscriptions", &["json", "jsonl", "txt"]),
        Mode::LoadSecret(_) => dialog,
    }
}

/// rfd answers "cancelled" when no portal is there, so the portal is looked for first: a running
/// or activatable `org.freedesktop.portal.Desktop` on the session bus.
pub fn portal_available() -> Result<(), String> {
    const PORTAL: &str = "org.freedesktop.portal.Desktop";
    let bus = zbus::blocking::Connection::session()
        .map_err(|e| format!("there is no D-Bus session bus ({e})"))?;
    let dbus = zbus::blocking::fdo::DBusProxy::new(&bus)
        .map_err(|e| format!("the session bus did not answer ({e})"))?;
    let name = zbus::names::BusName::try_from(PORTAL).map_err(|e| e.to_string())?;
    if dbus.name_has_owner(name).unwrap_or(false) {
        return Ok(());
    }
    let activatable = dbus.list_activatable_names().unwrap_or_default();
    if activatable.iter().any(|n| n.as_str() == PORTAL) {
        return Ok(());
    }
    Err(format!(
        "no desktop portal ({PORTAL}) runs on this session; install xdg-desktop-portal and a backend such as xdg-desktop-portal-gtk"
    ))
}
