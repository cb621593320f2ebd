//! The window comes back as it was left: tab, each tab's profile and message, the right pane and
//! the draft file the message came from (`store::session`, under the data folder). Written 2 s
//! after the last change (never every frame), and when the window closes.

use std::time::Duration;

use eframe::egui;

use super::app::PushdeckApp;
use super::file_state::Opened;
use super::form::ComposerForm;
use super::inspector::RightTab;
use crate::provider;
use crate::store::session::{Session, TabSession, load_session, save_session};

/// How long the message must rest before it is written.
const SETTLE: Duration = Duration::from_secs(2);

fn pane_name(pane: RightTab) -> &'static str {
    match pane {
        RightTab::Preview => "Preview",
        RightTab::Request => "Request",
        RightTab::Response => "Response",
    }
}

fn pane_of(name: &str) -> Option<RightTab> {
    [RightTab::Preview, RightTab::Request, RightTab::Response]
        .into_iter()
        .find(|p| pane_name(*p) == name)
}

fn tab_of(id: &str) -> Option<usize> {
    provider::all().iter().position(|p| p.info().id == id)
}

impl PushdeckApp {
    /// Puts back what the last session left (on start).
    pub(super) fn restore_session(&mut self) {
        let (session, warning) = load_session(&self.paths.session_file());
        if let Some(w) = warning {
            self.notices.push(w);
        }
        for (i, p) in provider::all().iter().enumerate() {
            let info = p.info();
            let Some(kept) = session.tabs.get(info.id) else {
                continue;
            };
            if let Some(draft) = &kept.draft {
                self.tabs[i].form = ComposerForm::from_draft(draft, info);
            }
            // A profile deleted since (or moved to another provider) is not brought back.
            if let Some(name) = &kept.profile
                && self
                    .profiles
                    .get(name)
                    .is_some_and(|p| p.provider == info.id)
            {
                self.tabs[i].profile = Some(name.clone());
            }
        }
        if let Some(i) = session.provider.as_deref().and_then(tab_of) {
            self.tab = i;
        }
        if let Some(pane) = session.right_pane.as_deref().and_then(pane_of) {
            self.right = pane;
        }
        if let (Some(path), Some(draft), Some(tab)) = (
            &session.file,
            &session.file_draft,
            session.file_tab.as_deref().and_then(tab_of),
        ) {
            self.files.opened = Some(Opened {
                path: path.clone(),
                tab,
                draft: draft.clone(),
            });
        }
        self.memory.written = Some(session);
    }

    fn session_now(&self) -> Session {
        let mut session = Session {
            provider: Some(self.provider().info().id.to_string()),
            right_pane: Some(pane_name(self.right).to_string()),
            ..Default::default()
        };
        for (i, p) in provider::all().iter().enumerate() {
            let info = p.info();
            let state = &self.tabs[i];
            if state.profile.is_none() && state.form == ComposerForm::default() {
                continue;
            }
            // A message that does not make a draft yet (half-typed JSON) keeps its last good copy.
            let draft = state
                .form
                .to_draft(state.profile.as_deref().unwrap_or(""), info)
                .ok()
                .or_else(|| {
                    let kept = self.memory.written.as_ref()?.tabs.get(info.id)?;
                    kept.draft.clone()
                });
            session.tabs.insert(
                info.id.to_string(),
                TabSession {
                    profile: state.profile.clone(),
                    draft,
                },
            );
        }
        if let Some(o) = &self.files.opened {
            session.file = Some(o.path.clone());
            session.file_draft = Some(o.draft.clone());
            session.file_tab = Some(provider::all()[o.tab].info().id.to_string());
        }
        session
    }

    /// Writes the session now if it changed (the close hook; eframe calls it on exit).
    pub fn save_session(&mut self) -> Result<(), String> {
        let session = self.session_now();
        if self.memory.written.as_ref() == Some(&session) {
            return Ok(());
        }
        save_session(&self.paths.session_file(), &session).map_err(|e| e.to_string())?;
        self.memory.written = Some(session);
        Ok(())
    }

    /// Each frame: notes a change, and writes the session once it has rested for [`SETTLE`].
    pub(super) fn autosave(&mut self, ctx: &egui::Context) {
        let now = crate::clock::instant();
        let state = &self.tabs[self.tab];
        let changed = match &self.memory.seen {
            Some((tab, pane, profile, form)) => {
                *tab != self.tab
                    || *pane != self.right
                    || *profile != state.profile
                    || *form != state.form
            }
            None => false,
        };
        if changed || self.memory.seen.is_none() {
            if changed {
                self.memory.changed_at = Some(now);
            }
            self.memory.seen = Some((
                self.tab,
                self.right,
                state.profile.clone(),
                state.form.clone(),
            ));
        }
        if let Some(at) = self.memory.changed_at {
            let rested = now.saturating_duration_since(at);
            if rested >= SETTLE {
                self.memory.changed_at = None;
                if let Err(e) = self.save_session() {
                    tracing::warn!(error = %e, "the window's session was not saved");
                }
            } else {
                ctx.request_repaint_after(SETTLE - rested);
            }
        }
        let title = match self.unsaved_mark() {
            Some(mark) => format!("Pushdeck {mark}"),
            None => "Pushdeck".to_string(),
        };
        if self.memory.title.as_ref() != Some(&title) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.memory.title = Some(title);
        }
    }
}
