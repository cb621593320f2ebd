//! What the window does when a panel asks: applied after the frame, one action at a time. The
//! status line, the history list and the panels' answers are fed from here, from what the
//! actions did — never set by a panel directly.

use std::sync::Arc;
use std::time::Duration;

use super::app::{ActiveSend, FAN_OUT_CONFIRM, PushdeckApp, RightTab};
use super::command::{Action, Command};
use super::compile::{Context, job};
use super::dialogs::Mode;
use super::form::ComposerForm;
use super::task::Task;
use super::view::CallAnswer;
use crate::draft::Draft;
use crate::engine::{EngineEvent, SendJob, SendReport};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::provider::{self, Call};

const CALL_TIMEOUT: Duration = Duration::from_secs(20);

impl PushdeckApp {
    pub(super) fn apply(&mut self, action: Action) {
        match action {
            Action::Run(command) => self.run(command),
            Action::ConfirmSend => match self.current_job() {
                Ok(job) => self.start_send(job),
                Err(e) => self.say(false, format!("Not sent: {e}")),
            },
            Action::LoadDraft(draft) => self.open_draft(&draft, "Loaded the draft."),
            Action::Lookup { lookup, key } => self.start_call(Call::Lookup(lookup), Some(key)),
            Action::ProviderCall { call, purpose } => self.start_provider_call(call, purpose),
            Action::Copy { text, what } => {
                if let Some(ctx) = &self.egui_ctx {
                    ctx.copy_text(text);
                }
                self.confirm_briefly(format!("{what} copied"));
            }
            Action::SaveTemplate(name) => self.save_template(&name),
            Action::LoadTemplate(name) => self.load_template(&name),
            Action::SelectTab(tab) => {
                if self.sink.open {
                    self.close_sink(); // switching away stops the listener
                }
                self.tab = tab;
                self.reveal = false;
            }
            Action::SelectProfile(name) => {
                let state = &mut self.tabs[self.tab];
                state.profile = name;
                state.check = None;
                self.reveal = false;
            }
            Action::Note { ok, text } => self.say(ok, text),
            Action::Reveal(on) => self.reveal = on,
            Action::FillPicker { key, items } => {
                self.tabs[self.tab].lookup_items.insert(key, items);
            }
            Action::SaveProfile(edit) => match self.save_profile(&edit) {
                Ok(()) => self.credentials = None,
                Err(e) => self.editor_error(e),
            },
            Action::DeleteProfile(name) => self.delete_profile(&name),
            Action::StoreVapidKey {
                private_key,
                public_key,
            } => self.store_vapid_key(&private_key, public_key),
            Action::FileChosen(path) => self.file_chosen(&path),
            Action::LoadSecretFile(field) => self.choose_file(Mode::LoadSecret(field)),
            Action::SaveExchange(dump) => self.choose_file(Mode::SaveExchange(dump)),
            Action::ShowHistoryEntry(id) => self.show_history_entry(&id),
            Action::ShowSinkSession(id) => self.show_sink_session(id),
            Action::SetTheme(theme) => {
                self.theme = theme;
                if let Some(ctx) = &self.egui_ctx {
                    super::look::apply(ctx, theme);
                }
                if let Err(e) = crate::store::library::set_theme(&self.paths.settings_file(), theme)
                {
                    self.say(
                        false,
                        format!("The theme applies now but was not kept for the next start: {e}."),
                    );
                }
            }
            Action::ResumeHistoryEntry { id, confirmed } => {
                self.resume_history_entry(&id, confirmed)
            }
            Action::Campaign(step) => self.campaign_step(step),
            Action::Sink(step) => self.sink_step(step),
            Action::DeleteHistoryEntry(id) => match self.engine.history().delete(&id) {
                Ok(_) => self.history.remove(&id),
                Err(e) => self.history.error = Some(e.to_string()),
            },
        }
    }

    fn run(&mut self, command: Command) {
        match command {
            Command::Send => self.request_send(),
            Command::CancelSend => {
                if let Some(s) = &self.sending {
                    s.handle.cancel.cancel();
                }
                if let Some(c) = &self.campaign.running {
                    c.cancel.cancel();
                }
            }
            Command::CheckCredentials => self.start_call(Call::Check, None),
            Command::Validate => match self.current_job() {
                Ok(mut job) => {
                    job.dry_run = true;
                    self.start_send(job);
                }
                Err(e) => self.say(false, format!("Not validated: {e}")),
            },
            Command::OpenDraft => self.choose_file(Mode::Open),
            Command::SaveDraftAs => self.choose_file(Mode::Save),
            Command::ImportSubscriptions => self.choose_file(Mode::ImportSubscriptions),
            Command::ToggleHistory => self.history.open = !self.history.open,
            Command::ToggleCampaign => self.campaign.open = !self.campaign.open,
            Command::SendCampaign => self.campaign_step(super::campaign::Step::Send),
            Command::SaveCampaignAs => self.choose_file(Mode::SaveCampaign),
            Command::ShowShortcuts => self.shortcuts_open = !self.shortcuts_open,
            Command::ToggleSink => self.toggle_sink(),
            Command::StartSink => self.start_sink(),
            Command::StopSink => self.stop_sink(),
            Command::EditCredentials => {
                let profile = self.current_profile().cloned();
                if let Some(p) = &profile {
                    self.load_secrets(p);
                }
                let stored = profile
                    .as_ref()
                    .and_then(|p| self.secrets.get(&p.name))
                    .map(|(_, s)| s.clone())
                    .unwrap_or_default();
                self.credentials = Some(super::credentials::Editor::new(
                    self.provider().info(),
                    profile.as_ref(),
                    stored,
                ));
            }
            Command::NewProfile => {
                self.credentials = Some(super::credentials::Editor::new(
                    self.provider().info(),
                    None,
                    Vec::new(),
                ))
            }
            // The rest are buttons whose panel pushes the action with its data.
            _ => {}
        }
    }

    pub(super) fn say(&mut self, ok: bool, text: impl Into<String>) {
        self.status = Some((ok, text.into()));
    }

    /// A short confirmation that goes away by itself (the status line keeps the last outcome).
    pub(super) fn confirm_briefly(&mut self, text: impl Into<String>) {
        self.toasts.push(text);
    }

    pub(super) fn editor_error(&mut self, error: String) {
        match &mut self.credentials {
            Some(editor) => editor.error = Some(error),
            None => self.say(false, error),
        }
    }

    fn context(&self) -> Option<(Profile, Result<crate::profile::Secrets, String>)> {
        let profile = self.current_profile()?.clone();
        let secrets = self
            .secrets
            .get(&profile.name)
            .map(|(s, _)| s.clone())
            .unwrap_or_else(|| Err("the credentials were not read yet".into()));
        Some((profile, secrets))
    }

    /// What Send would do now: the job, or why it cannot be built.
    pub(super) fn current_job(&mut self) -> Result<SendJob, String> {
        let compiled = self.compiled();
        let (profile, secrets) = self
            .context()
            .ok_or_else(|| "Choose or create a profile first (Edit credentials…).".to_string())?;
        let cx = Context {
            provider: self.provider(),
            profile: Some(&profile),
            secrets: secrets.as_ref().map_err(String::as_str),
            idempotency_key: &self.tabs[self.tab].idempotency_key,
        };
        job(&compiled.draft, &cx)
    }

    /// Send was pressed (button or Ctrl+Enter): validate, confirm a broadcast, then send.
    fn request_send(&mut self) {
        if self.sending.is_some() || self.confirm.is_some() {
            return; // no double send
        }
        let job = match self.current_job() {
            Ok(job) => job,
            Err(e) => return self.say(false, format!("Not sent: {e}")),
        };
        let compiled = self.compiled();
        if let Err(e) = &compiled.prepared {
            return self.say(false, format!("Not sent: {e}"));
        }
        let requests = compiled.total;
        // A broadcast, or a fan-out over more than a handful of recipients, is confirmed first.
        let broad = job.provider.broadcast(&job.draft).or_else(|| {
            (requests > FAN_OUT_CONFIRM)
                .then(|| format!("{requests} recipients ({})", compiled.audience))
        });
        match broad {
            Some(audience) if job.profile.confirm_broadcast => self.confirm = Some(audience),
            _ => self.start_send(job),
        }
    }

    pub(super) fn start_send(&mut self, mut job: SendJob) {
        let state = &mut self.tabs[self.tab];
        // One idempotency key per composed message: a repeat of the same message reuses it (the
        // provider dedupes), a changed message gets a new one.
        if state.last_sent.as_ref().is_some_and(|d| d != &*job.draft) {
            state.idempotency_key = uuid::Uuid::new_v4().to_string();
            job.idempotency_key = state.idempotency_key.clone();
        }
        state.last_sent = Some((*job.draft).clone());
        self.start_send_as(job, self.tab, None);
    }

    /// Starts a send whose results show in provider tab `tab`; `resume` sends only to the
    /// recipients an earlier send did not reach.
    pub(super) fn start_send_as(
        &mut self,
        job: SendJob,
        tab: usize,
        resume: Option<crate::engine::ResumeFrom>,
    ) {
        let ctx = self.egui_ctx.clone();
        let notify: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        });
        let handle = self
            .engine
            .spawn_send_as(&self.runtime, job, resume, notify);
        self.sending = Some(ActiveSend {
            handle,
            tab,
            total: 0,
            done: 0,
        });
        self.say(true, "Sending…");
        self.right = RightTab::Response;
        self.reveal = false;
    }

    /// Drains engine events and finished calls. Runs every frame; cheap when nothing happened.
    pub(super) fn poll(&mut self) {
        let mut finished = None;
        if let Some(active) = &mut self.sending {
            while let Ok(event) = active.handle.events.try_recv() {
                match event {
                    EngineEvent::Started { total, .. } => active.total = total,
                    EngineEvent::Result(_) => active.done += 1,
                    EngineEvent::Finished(report) => finished = Some(Ok((active.tab, report))),
                    EngineEvent::Invalid(e) => finished = Some(Err(e)),
                }
            }
        }
        if let Some(done) = finished {
            self.sending = None;
            match done {
                Ok((tab, report)) => self.finish_send(tab, report),
                Err(e) => self.say(false, format!("Not sent: {e}")),
            }
        }
        self.poll_calls();
    }

    fn poll_calls(&mut self) {
        if let Some((tab, task)) = &self.check_task
            && let Some(result) = task.poll()
        {
            let tab = *tab;
            self.check_task = None;
            self.tabs[tab].check = Some(match result {
                Ok(r) => r.outcome.clone(),
                Err(e) => Outcome::refused(e.to_string()),
            });
        }
        if let Some((tab, key, task)) = &self.lookup_task
            && let Some(result) = task.poll()
        {
            let (tab, key) = (*tab, key.clone());
            self.lookup_task = None;
            match result {
                Ok(r) if r.outcome.is_ok() => {
                    self.say(true, r.outcome.summary.clone());
                    self.tabs[tab]
                        .lookup_items
                        .insert(key, r.outcome.items.clone());
                }
                Ok(r) => self.say(false, with_hint(&r.outcome)),
                Err(e) => self.say(false, e.to_string()),
            }
        }
        let mut i = 0;
        while i < self.call_tasks.len() {
            match self.call_tasks[i].1.poll() {
                Some(result) => {
                    let (purpose, _) = self.call_tasks.remove(i);
                    let answer = result.map_err(|e| e.to_string());
                    self.calls.insert(purpose, CallAnswer::Done(answer));
                }
                None => i += 1,
            }
        }
    }

    fn finish_send(&mut self, tab: usize, report: Arc<SendReport>) {
        let provider = provider::all()[tab];
        // The draft that was sent, not the form again (which may have changed meanwhile).
        let audience = self.tabs[tab]
            .last_sent
            .as_ref()
            .map(|d| provider.audience_label(d))
            .unwrap_or_default();
        let text = summary(&report, &audience);
        let ok = !report.results.is_empty() && report.results.iter().all(|r| r.outcome.is_ok());
        self.say(ok, text);
        if let Some(e) = &report.history_error {
            self.notices.push(e.clone());
        }
        if let Some(summary) = &report.history_summary {
            self.history.add(summary.clone());
        }
        let state = &mut self.tabs[tab];
        state.inspector.selected_result = 0;
        state.last_report = Some(report);
    }

    /// A check or a lookup: one at a time of each, its answer in the profile bar or the picker.
    fn start_call(&mut self, call: Call, lookup_key: Option<String>) {
        let Some((profile, secrets)) = self.context() else {
            return self.say(false, "Choose a profile first.");
        };
        let secrets = match secrets {
            Ok(s) => s,
            Err(e) => {
                match lookup_key {
                    Some(_) => self.say(false, e),
                    None => self.tabs[self.tab].check = Some(Outcome::refused(e)),
                }
                return;
            }
        };
        let task = match (&call, &lookup_key) {
            // The check covers what the composed draft names too (e.g. SNS ARNs and the region).
            (Call::Check, None) => {
                let audience = self.current_draft().ok().map(|d| d.audience.clone());
                let engine = self.engine.clone();
                let provider = self.provider();
                let ctx = self.egui_ctx.clone().unwrap_or_default();
                Task::spawn(&self.runtime, &ctx, async move {
                    Ok(engine
                        .check(
                            provider,
                            &profile,
                            &secrets,
                            audience.as_ref(),
                            CALL_TIMEOUT,
                        )
                        .await)
                })
            }
            _ => self.spawn_call(call, profile, secrets),
        };
        match lookup_key {
            Some(key) => self.lookup_task = Some((self.tab, key, task)),
            None => {
                self.tabs[self.tab].check = None;
                self.check_task = Some((self.tab, task));
            }
        }
    }

    fn start_provider_call(&mut self, call: Call, purpose: &'static str) {
        let Some((profile, secrets)) = self.context() else {
            let answer = Err("Choose a profile first.".to_string());
            self.calls.insert(purpose, CallAnswer::Done(answer));
            return;
        };
        match secrets {
            Ok(secrets) => {
                let task = self.spawn_call(call, profile, secrets);
                self.calls.insert(purpose, CallAnswer::Running);
                self.call_tasks.push((purpose, task));
            }
            Err(e) => {
                self.calls.insert(purpose, CallAnswer::Done(Err(e)));
            }
        }
    }

    fn spawn_call(
        &self,
        call: Call,
        profile: Profile,
        secrets: crate::profile::Secrets,
    ) -> super::app::CallTask {
        let engine = self.engine.clone();
        let provider = self.provider();
        let ctx = self.egui_ctx.clone().unwrap_or_default();
        Task::spawn(&self.runtime, &ctx, async move {
            engine
                .call(provider, &profile, &secrets, call, CALL_TIMEOUT)
                .await
        })
    }

    /// Loads a draft into the tab of its profile's provider.
    pub fn load_draft(&mut self, draft: &Draft) -> Result<(), String> {
        let provider_id = match self.profiles.get(&draft.profile) {
            Some(p) => p.provider.clone(),
            None => self.provider().info().id.to_string(),
        };
        let index = provider::all()
            .iter()
            .position(|p| p.info().id == provider_id)
            .ok_or_else(|| format!("provider `{provider_id}` is not in this build"))?;
        self.tab = index;
        let info = provider::all()[index].info();
        let known = self.profiles.get(&draft.profile).is_some();
        let state = &mut self.tabs[index];
        state.form = ComposerForm::from_draft(draft, info);
        if known {
            state.profile = Some(draft.profile.clone());
        }
        state.idempotency_key = uuid::Uuid::new_v4().to_string();
        state.last_sent = None;
        if !known && !draft.profile.is_empty() {
            return Err(format!(
                "Loaded, but profile `{}` does not exist here: pick or create one.",
                draft.profile
            ));
        }
        Ok(())
    }

    pub(super) fn open_draft(&mut self, draft: &Draft, done: &str) {
        match self.load_draft(draft) {
            Ok(()) => self.say(true, done),
            Err(warning) => self.say(false, warning),
        }
    }
}

fn with_hint(outcome: &Outcome) -> String {
    match &outcome.hint {
        Some(h) => format!("{} — {h}", outcome.summary),
        None => outcome.summary.clone(),
    }
}

/// The status line after a send.
fn summary(report: &SendReport, audience: &str) -> String {
    match report.results.as_slice() {
        [] => "Nothing was sent.".to_string(),
        [one] => {
            let status = one
                .exchange
                .response
                .as_ref()
                .map(|r| {
                    format!(
                        " — {} {} in {:.0} ms",
                        r.status, r.reason, one.exchange.elapsed_ms
                    )
                })
                .unwrap_or_default();
            let to = if one.outcome.is_ok() && !audience.is_empty() {
                format!(" to {audience}")
            } else {
                String::new()
            };
            format!("{}{to}{status}", with_hint(&one.outcome))
        }
        [.., last] if report.stepped => with_hint(&last.outcome),
        many => {
            let ok = many.iter().filter(|r| r.outcome.is_ok()).count();
            let stopped = match (report.cancelled, report.abandoned()) {
                (false, _) => String::new(),
                (true, 0) => " (cancelled)".into(),
                (true, k) => format!(" (cancelled; {k} in doubt: they may have arrived)"),
            };
            format!("{ok} of {} accepted{stopped}", many.len())
        }
    }
}
