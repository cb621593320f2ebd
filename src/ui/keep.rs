//! The actions that keep things: templates, profiles and their secrets, VAPID keys, files from
//! the file dialog, history entries. Applied after the frame, like every action.

use std::path::Path;

use super::app::PushdeckApp;
use super::command::ProfileEdit;
use super::dialogs::Mode;
use crate::profile::Profile;
use crate::provider;
use crate::store::files::read_user_text;
use crate::store::{library, write_atomic};

impl PushdeckApp {
    fn templates(&self) -> library::Templates {
        library::Templates::new(&self.paths.data, self.provider().info().id)
    }

    pub(super) fn save_template(&mut self, name: &str) {
        let name = name.trim().to_string();
        let result = self
            .current_draft()
            .map_err(|e| e.to_string())
            .and_then(|d| self.templates().save(&name, &d).map_err(|e| e.to_string()));
        match result {
            Ok(()) => {
                let provider = self.provider().info().id;
                self.templates.insert(provider, self.templates().list());
                self.confirm_briefly(format!("Saved template {name}."));
            }
            Err(e) => self.say(false, format!("Template not saved: {e}")),
        }
    }

    pub(super) fn load_template(&mut self, name: &str) {
        match self.templates().load(name) {
            Ok(mut draft) => {
                // A template keeps the tab's profile.
                draft.profile = self.tabs[self.tab].profile.clone().unwrap_or(draft.profile);
                self.open_draft(&draft, &format!("Loaded template {name}."));
            }
            Err(e) => self.say(false, e.to_string()),
        }
    }

    pub(super) fn save_profile(&mut self, edit: &ProfileEdit) -> Result<(), String> {
        let name = edit.name.trim().to_string();
        if edit.original.is_none() && self.profiles.get(&name).is_some() {
            return Err(format!("A profile named {name} already exists."));
        }
        let mut profile = match &edit.original {
            Some(n) => self
                .profiles
                .get(n)
                .cloned()
                .ok_or("the profile disappeared")?,
            None => Profile::new(&name, edit.provider),
        };
        profile.settings = edit
            .settings
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), v.trim().to_string()))
            .collect();
        profile.base_url = match edit.base_url.trim() {
            "" => None,
            url => Some(crate::http::check_base_url(url).map_err(|e| format!("Base URL: {e}"))?),
        };
        for (key, value) in &profile.settings {
            if let Some(Err(e)) = Profile::check_network_setting(key, value) {
                return Err(format!("{key}: {e}; nothing was saved"));
            }
        }
        profile.environment = edit.environment;
        profile.confirm_broadcast = edit.confirm_broadcast;
        // A wrong key file is refused before anything is saved (FCM service account, APNs .p8).
        if let Some(provider) = provider::find(edit.provider) {
            let own = edit
                .secrets
                .iter()
                .filter(|(f, _)| !crate::profile::NETWORK_SECRETS.contains(&f.as_str()));
            for (field, value) in own.filter(|(_, v)| !v.is_empty()) {
                provider
                    .validate_secret(field, value)
                    .map_err(|e| format!("{field}: {e}; nothing was saved"))?;
            }
        }
        self.profiles.upsert(profile).map_err(|e| e.to_string())?;
        for (field, value) in &edit.secrets {
            if !value.is_empty() {
                self.keyring
                    .set(&name, field, value)
                    .map_err(|e| format!("The settings were saved, but the secret was not: {e}"))?;
            }
        }
        self.forget_secrets(&name);
        let state = &mut self.tabs[self.tab];
        state.profile = Some(name.clone());
        state.check = None;
        self.confirm_briefly(format!("Saved profile {name}."));
        Ok(())
    }

    pub(super) fn delete_profile(&mut self, name: &str) {
        let info = self.provider().info();
        let problems: Vec<String> = info
            .secret_keys()
            .filter_map(|f| self.keyring.delete(name, f).err())
            .map(|e| e.to_string())
            .collect();
        if let Err(e) = self.profiles.remove(name) {
            return self.editor_error(e.to_string());
        }
        self.credentials = None;
        self.forget_secrets(name);
        for tab in self.tabs.iter_mut() {
            if tab.profile.as_deref() == Some(name) {
                tab.profile = None;
            }
        }
        if problems.is_empty() {
            self.say(true, format!("Deleted profile {name}."));
        } else {
            self.say(
                false,
                format!(
                    "Deleted profile {name}, but its secrets could not be removed: {}",
                    problems.join("; ")
                ),
            );
        }
    }

    pub(super) fn store_vapid_key(&mut self, private_key: &str, public_key: String) {
        let Some(profile) = self.current_profile().cloned() else {
            return self.say(false, "Choose a profile first.");
        };
        if let Err(e) = self
            .keyring
            .set(&profile.name, "vapid_private_key", private_key)
        {
            return self.say(false, format!("The key was not stored: {e}"));
        }
        let mut updated = profile.clone();
        updated
            .settings
            .insert("vapid_public_key".into(), public_key);
        match self.profiles.upsert(updated) {
            Ok(()) => self.say(
                true,
                "VAPID keys saved: copy the public key into your page's subscribe() call",
            ),
            Err(e) => self.say(false, format!("The public key was not saved: {e}")),
        }
        self.forget_secrets(&profile.name);
    }

    /// The in-app dialog's choice: used, and the dialog closes; or it stays open with the error.
    pub(super) fn file_chosen(&mut self, path: &Path) {
        let Some(mode) = self.file_dialog.as_ref().map(|d| d.mode.clone()) else {
            return;
        };
        match self.use_file(&mode, path) {
            Ok(()) => self.file_dialog = None,
            Err(e) => {
                if let Some(dialog) = &mut self.file_dialog {
                    dialog.error = Some(e);
                }
            }
        }
    }

    /// Opens, saves or imports `path` for `mode` (either dialog, any desktop).
    pub(super) fn keep_file(&mut self, mode: &Mode, path: &Path) -> Result<(), String> {
        let read = |path: &Path| read_user_text(path).map_err(|e| format!("Cannot read it: {e}"));
        match mode {
            Mode::Open => {
                let composed = crate::campaign::Composed::from_json(&read(path)?)
                    .map_err(|e| format!("This draft has a problem: {e}"))?;
                let draft = match composed {
                    crate::campaign::Composed::Draft(draft) => draft,
                    crate::campaign::Composed::Campaign(campaign) => {
                        self.open_campaign(campaign, path);
                        let _ = library::remember_draft(&self.paths.settings_file(), path);
                        return Ok(());
                    }
                };
                // A draft whose profile is missing still opens; the status says what to fix.
                self.open_draft(&draft, &format!("Opened {}", path.display()));
                self.opened_file(path, draft);
            }
            Mode::Save => {
                let draft = self
                    .current_draft()
                    .map_err(|e| format!("Not saved: {e}"))?;
                write_atomic(path, draft.to_json_pretty().as_bytes())
                    .map_err(|e| format!("Not saved: {e}"))?;
                self.confirm_briefly(format!("Saved draft to {}", path.display()));
                self.opened_file(path, (*draft).clone());
            }
            Mode::SaveCampaign => self.save_campaign(path)?,
            Mode::ImportSubscriptions => self.import_subscriptions(&read(path)?, path)?,
            Mode::SaveExchange(dump) => {
                write_atomic(path, dump.as_bytes()).map_err(|e| format!("Not saved: {e}"))?;
                self.confirm_briefly(format!("Saved the exchange to {}", path.display()));
            }
            Mode::LoadSecret(_) => return self.use_file(mode, path),
        }
        if matches!(mode, Mode::Open | Mode::Save)
            && let Err(e) = library::remember_draft(&self.paths.settings_file(), path)
        {
            tracing::debug!(error = %e, "recent drafts not updated");
        }
        Ok(())
    }

    pub(super) fn import_subscriptions(&mut self, text: &str, path: &Path) -> Result<(), String> {
        let form = &mut self.tabs[self.tab].form;
        let (added, problems) = super::extras::webpush::add_subscriptions(form, text, "");
        if added == 0 && !problems.is_empty() {
            return Err(format!(
                "No usable subscription in {}: {}",
                path.display(),
                problems.join("; ")
            ));
        }
        let left_out = if problems.is_empty() {
            String::new()
        } else {
            format!("; {} left out ({})", problems.len(), problems.join("; "))
        };
        self.say(
            problems.is_empty(),
            format!(
                "Added {added} subscription(s) from {}{left_out}",
                path.display()
            ),
        );
        Ok(())
    }

    pub(super) fn show_history_entry(&mut self, id: &str) {
        if let Ok(Some(record)) = self.engine.history().get_campaign(id) {
            return self.reopen_campaign(record);
        }
        match self.engine.history().get(id) {
            Ok(Some(entry)) => self.history.show(entry),
            Ok(None) => {
                self.history.error = Some("This entry is gone (deleted by another window?).".into())
            }
            Err(e) => self.history.error = Some(e.to_string()),
        }
    }
}
