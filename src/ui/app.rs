//! The main window: state, the frame's layout, and the actions (send, check, open, save…).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use eframe::egui::{self, Key, KeyboardShortcut, Modifiers, RichText};

use super::form::ComposerForm;
use super::task::Task;
use super::{credentials, dialogs, history, inspector, widgets};
use crate::draft::{Draft, DraftError};
use crate::engine::{
    DEFAULT_TIMEOUT, Engine, EngineEvent, MAX_CONCURRENCY, SendHandle, SendJob, SendReport,
    SendResult,
};
use crate::outcome::Outcome;
use crate::provider::Call;
use crate::provider::{self, Prepared, Provider, Secrets};
use crate::store::{HistoryStore, KeyringStatus, Paths, Profile, ProfileStore, SecretStore};

pub const SEND_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::Enter);
pub const OPEN_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
pub const SAVE_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
pub const HISTORY_SHORTCUT: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::H);

/// A fan-out to more recipients than this asks first (with the profile's broadcast setting).
pub const FAN_OUT_CONFIRM: usize = 10;

/// A check or lookup running on the runtime.
pub(super) type NetTask = Task<Result<Arc<SendResult>, DraftError>>;

/// What the app needs from outside: where files live, the secret store, and the runtime to send on.
pub struct AppSetup {
    pub paths: Paths,
    pub keyring: SecretStore,
    pub runtime: tokio::runtime::Handle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RightTab {
    Preview,
    Request,
    Response,
}

/// Per provider tab: its profile, what is being composed, and the idempotency key of that message.
pub struct TabState {
    pub profile: Option<String>,
    pub form: ComposerForm,
    pub idempotency_key: String,
    /// The draft last sent from this tab: the key is renewed once the message changes.
    pub(super) last_sent: Option<Draft>,
    pub check: Option<Outcome>,
    pub lookup_items: HashMap<String, Vec<crate::outcome::LookupItem>>,
    /// The last send from this tab, shown in its Response pane, and the row picked in it.
    pub last_report: Option<Arc<SendReport>>,
    pub selected_result: usize,
    /// Raw payload mode: show the diff against the generated payload.
    pub show_raw_diff: bool,
    /// The language the Preview shows (empty: the default language).
    pub preview_lang: String,
    /// The name being typed for "Save as template", while that field is open.
    pub template_name: Option<String>,
    /// Show the response body exactly as received instead of pretty-printed.
    pub response_raw: bool,
}

impl TabState {
    fn new() -> Self {
        Self {
            profile: None,
            form: ComposerForm::default(),
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            last_sent: None,
            check: None,
            lookup_items: HashMap::new(),
            last_report: None,
            selected_result: 0,
            show_raw_diff: false,
            preview_lang: String::new(),
            template_name: None,
            response_raw: false,
        }
    }
}

pub struct ActiveSend {
    handle: SendHandle,
    /// The provider tab the send started from.
    pub tab: usize,
    pub total: usize,
    pub done: usize,
    pub results: Vec<Arc<SendResult>>,
}

pub struct PushdeckApp {
    pub(super) runtime: tokio::runtime::Handle,
    pub(super) engine: Engine,
    pub(super) paths: Paths,
    pub(super) profiles: ProfileStore,
    pub(super) keyring: SecretStore,
    /// Secrets of the profiles used this session, so the Request pane can render as you type
    /// without a keyring round trip per frame. Memory only.
    secrets_cache: HashMap<String, Result<Secrets, String>>,
    pub tab: usize,
    pub(super) tabs: Vec<TabState>,
    pub right: RightTab,
    pub(super) reveal: bool,
    pub(super) sending: Option<ActiveSend>,
    /// The last outcome in words, for the status bar: (ok, text).
    pub status: Option<(bool, String)>,
    /// A broadcast waiting for the user's confirmation: the audience in words.
    pub(super) confirm: Option<String>,
    pub(super) credentials: Option<credentials::Editor>,
    pub(super) history: history::HistoryView,
    pub(super) file_dialog: Option<dialogs::FileDialog>,
    pub(super) notices: Vec<String>,
    pub(super) check_task: Option<(usize, NetTask)>,
    pub(super) lookup_task: Option<(usize, String, NetTask)>,
    pub(super) clipboard_note: Option<String>,
    /// Kept so the runtime can wake the UI when a send reports.
    egui_ctx: Option<egui::Context>,
    preview_cache: Vec<PreviewCache>,
    /// The message image shown in the Preview, fetched in the background.
    pub preview_images: super::images::PreviewImages,
    /// The form as a draft and its audience in words, kept until the form changes: a long
    /// subscription list takes milliseconds to read, and several panes ask every frame.
    draft_cache: std::cell::RefCell<Option<DraftCache>>,
    audience_cache: std::cell::RefCell<Option<(usize, ComposerForm, String)>>,
}

struct DraftCache {
    tab: usize,
    profile: String,
    form: ComposerForm,
    draft: Result<Draft, DraftError>,
}

/// A live preview and what it was built from.
struct PreviewCache {
    tab: usize,
    form: ComposerForm,
    profile: Option<Profile>,
    secrets: u64,
    built: std::time::Instant,
    result: Result<Arc<Prepared>, String>,
    total: usize,
}

/// Tokens in a preview (APNs, VAPID) carry times: rebuild a preview older than this when shown.
const PREVIEW_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

impl PushdeckApp {
    pub fn new(setup: AppSetup) -> Result<Self, String> {
        let AppSetup {
            paths,
            keyring,
            runtime,
        } = setup;
        let mut notices = Vec::new();
        let profiles = match ProfileStore::open(paths.profiles_file()) {
            Ok(store) => store,
            Err(e) => {
                notices.push(format!("Profiles could not be read: {e}. Pushdeck started without them; fix the file's permissions and restart."));
                ProfileStore::empty(paths.profiles_file())
            }
        };
        if let Some(w) = &profiles.warning {
            notices.push(w.clone());
        }
        if let KeyringStatus::SessionOnly(reason) = &keyring.status {
            notices.push(format!(
                "No keyring: {reason}. Secrets you enter now are kept in memory for this session only and never written to disk."
            ));
        }
        let history_store = HistoryStore::new(paths.history_dir());
        let engine = Engine::new(history_store)
            .map_err(|e| format!("the network client could not start: {e}"))?;
        let mut tabs: Vec<TabState> = provider::all().iter().map(|_| TabState::new()).collect();
        for (i, p) in provider::all().iter().enumerate() {
            tabs[i].profile = profiles
                .list()
                .find(|pr| pr.provider == p.info().id)
                .map(|pr| pr.name.clone());
        }
        let history = history::HistoryView::new(engine.history().list());
        Ok(Self {
            runtime,
            engine,
            paths,
            profiles,
            keyring,
            secrets_cache: HashMap::new(),
            tab: 0,
            tabs,
            right: RightTab::Request,
            reveal: false,
            sending: None,
            status: None,
            confirm: None,
            credentials: None,
            history,
            file_dialog: None,
            notices,
            check_task: None,
            lookup_task: None,
            clipboard_note: None,
            egui_ctx: None,
            preview_cache: Vec::new(),
            preview_images: Default::default(),
            draft_cache: Default::default(),
            audience_cache: Default::default(),
        })
    }

    pub fn provider(&self) -> &'static dyn Provider {
        provider::all()[self.tab]
    }

    pub(super) fn tab_state(&mut self) -> &mut TabState {
        &mut self.tabs[self.tab]
    }

    pub(super) fn current_profile(&self) -> Option<&Profile> {
        self.tabs[self.tab]
            .profile
            .as_deref()
            .and_then(|n| self.profiles.get(n))
    }

    /// Secrets for a profile, read from the keyring once per session (and after edits).
    pub(super) fn secrets_for(&mut self, profile: &Profile) -> Result<Secrets, String> {
        if let Some(cached) = self.secrets_cache.get(&profile.name) {
            return cached.clone();
        }
        // A failure is cached too (until the credentials are edited), so a broken keyring is not
        // asked again on every frame.
        let loaded = match provider::find(&profile.provider) {
            Some(p) => self
                .keyring
                .load(&profile.name, p.info().secret_keys())
                .map_err(|e| e.to_string()),
            None => Err(format!(
                "provider `{}` is not in this build",
                profile.provider
            )),
        };
        self.secrets_cache
            .insert(profile.name.clone(), loaded.clone());
        loaded
    }

    pub(super) fn forget_secrets(&mut self, profile: &str) {
        self.secrets_cache.remove(profile);
    }

    /// The draft being composed in the current tab.
    pub fn current_draft(&self) -> Result<Draft, DraftError> {
        let state = &self.tabs[self.tab];
        let profile = state.profile.clone().unwrap_or_default();
        if let Ok(cache) = self.draft_cache.try_borrow()
            && let Some(c) = cache.as_ref()
            && c.tab == self.tab
            && c.profile == profile
            && c.form == state.form
        {
            return c.draft.clone();
        }
        let draft = state.form.to_draft(&profile, self.provider().info());
        if let Ok(mut cache) = self.draft_cache.try_borrow_mut() {
            *cache = Some(DraftCache {
                tab: self.tab,
                profile,
                form: state.form.clone(),
                draft: draft.clone(),
            });
        }
        draft
    }

    /// What Send would do now: the job, or why it cannot be built.
    pub(super) fn current_job(&mut self) -> Result<SendJob, String> {
        let profile = self
            .current_profile()
            .cloned()
            .ok_or_else(|| "Choose or create a profile first (Edit credentials…).".to_string())?;
        let draft = self.current_draft().map_err(|e| e.to_string())?;
        let secrets = self.secrets_for(&profile)?;
        let key = self.tabs[self.tab].idempotency_key.clone();
        Ok(SendJob {
            provider: self.provider(),
            draft: Arc::new(draft),
            profile,
            secrets,
            idempotency_key: key,
            dry_run: false,
            timeout: DEFAULT_TIMEOUT,
            concurrency: MAX_CONCURRENCY,
        })
    }

    /// The requests Send would make, for the live Request pane. Built once per change of the
    /// form, profile or credentials, not per frame (Web Push encrypts every request).
    pub(super) fn current_preview(&mut self) -> Result<Arc<Prepared>, String> {
        self.cached_preview().0
    }

    /// How many requests Send would make (a preview of a big fan-out builds only the first few).
    pub(super) fn current_request_count(&mut self) -> usize {
        self.cached_preview().1
    }

    fn cached_preview(&mut self) -> (Result<Arc<Prepared>, String>, usize) {
        let profile = self.current_profile().cloned();
        let secrets = match &profile {
            Some(p) => self.secrets_for(p).map(|s| s.fingerprint()).unwrap_or(0),
            None => 0,
        };
        let tab = self.tab;
        let form = &self.tabs[tab].form;
        let hit = self.preview_cache.iter().find(|c| {
            c.tab == tab
                && c.secrets == secrets
                && c.built.elapsed() < PREVIEW_MAX_AGE
                && c.profile == profile
                && &c.form == form
        });
        if let Some(c) = hit {
            return (c.result.clone(), c.total);
        }
        let form = form.clone();
        let (result, total) = match self
            .current_job()
            .and_then(|job| Engine::prepare_preview(&job).map_err(|e| e.to_string()))
        {
            Ok((prepared, total)) => (Ok(Arc::new(prepared)), total),
            Err(e) => (Err(e), 0),
        };
        // Two entries: the raw editor asks for the generated payload beside the edited one.
        self.preview_cache.insert(
            0,
            PreviewCache {
                tab,
                form,
                profile,
                secrets,
                built: std::time::Instant::now(),
                result: result.clone(),
                total,
            },
        );
        self.preview_cache.truncate(2);
        (result, total)
    }

    /// Who the current message goes to, in words; a raw payload that does not parse yet does not
    /// hide the audience.
    pub fn audience_text(&self) -> String {
        let state = &self.tabs[self.tab];
        if let Ok(cache) = self.audience_cache.try_borrow()
            && let Some((tab, form, text)) = cache.as_ref()
            && *tab == self.tab
            && *form == state.form
        {
            return text.clone();
        }
        // The draft is usually at hand already; only a raw payload that does not parse yet
        // needs a second conversion without it.
        let text = match self.current_draft() {
            Ok(d) => self.provider().audience_label(&d),
            Err(_) => {
                let mut form = state.form.clone();
                form.options.remove("raw");
                form.to_draft(
                    state.profile.as_deref().unwrap_or(""),
                    self.provider().info(),
                )
                .map(|d| self.provider().audience_label(&d))
                .unwrap_or_default()
            }
        };
        if let Ok(mut cache) = self.audience_cache.try_borrow_mut() {
            *cache = Some((self.tab, state.form.clone(), text.clone()));
        }
        text
    }

    /// Shows `report` in the current tab's Response pane (benchmarks, tests).
    pub fn set_last_report(&mut self, report: SendReport) {
        let state = &mut self.tabs[self.tab];
        state.selected_result = 0;
        state.last_report = Some(Arc::new(report));
    }

    pub fn is_sending(&self) -> bool {
        self.sending.is_some()
    }

    /// Send was pressed (button or Ctrl+Enter): validate, confirm a broadcast, then send.
    pub fn request_send(&mut self) {
        if self.sending.is_some() || self.confirm.is_some() {
            return; // no double send
        }
        let job = match self.current_job() {
            Ok(job) => job,
            Err(e) => {
                self.status = Some((false, format!("Not sent: {e}")));
                return;
            }
        };
        let requests = match Engine::prepare_preview(&job) {
            Ok((_, total)) => total,
            Err(e) => {
                self.status = Some((false, format!("Not sent: {e}")));
                return;
            }
        };
        // A broadcast, or a fan-out over more than a handful of recipients, is confirmed first.
        let broad = job.provider.broadcast(&job.draft).or_else(|| {
            (requests > FAN_OUT_CONFIRM).then(|| {
                format!(
                    "{requests} recipients ({})",
                    job.provider.audience_label(&job.draft)
                )
            })
        });
        match broad {
            Some(audience) if job.profile.confirm_broadcast => self.confirm = Some(audience),
            _ => self.start_send(job),
        }
    }

    pub(super) fn confirm_send(&mut self) {
        self.confirm = None;
        match self.current_job() {
            Ok(job) => self.start_send(job),
            Err(e) => self.status = Some((false, format!("Not sent: {e}"))),
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
        let ctx = self.egui_ctx.clone();
        let notify: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        });
        let handle = self.engine.spawn_send(&self.runtime, job, notify);
        self.sending = Some(ActiveSend {
            handle,
            tab: self.tab,
            total: 0,
            done: 0,
            results: Vec::new(),
        });
        self.status = Some((true, "Sending…".into()));
        self.right = RightTab::Response;
        self.reveal = false;
    }

    pub fn cancel_send(&mut self) {
        if let Some(s) = &self.sending {
            s.handle.cancel.cancel();
        }
    }

    /// Drains engine events and finished tasks. Runs every frame; cheap when nothing happened.
    fn poll(&mut self) {
        let mut finished = None;
        if let Some(active) = &mut self.sending {
            while let Ok(event) = active.handle.events.try_recv() {
                match event {
                    EngineEvent::Started { total, .. } => active.total = total,
                    EngineEvent::Result(r) => {
                        active.done += 1;
                        active.results.push(r);
                    }
                    EngineEvent::Finished(report) => finished = Some(Ok((active.tab, report))),
                    EngineEvent::Invalid(e) => finished = Some(Err(e)),
                }
            }
        }
        if let Some(done) = finished {
            self.sending = None;
            match done {
                Ok((tab, report)) => self.finish_send(tab, report),
                Err(e) => self.status = Some((false, format!("Not sent: {e}"))),
            }
        }
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
                    self.status = Some((true, r.outcome.summary.clone()));
                    self.tabs[tab]
                        .lookup_items
                        .insert(key, r.outcome.items.clone());
                }
                Ok(r) => self.status = Some((false, with_hint(&r.outcome))),
                Err(e) => self.status = Some((false, e.to_string())),
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
        let text = match report.results.as_slice() {
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
            many => {
                let ok = many.iter().filter(|r| r.outcome.is_ok()).count();
                format!(
                    "{ok} of {} accepted{}",
                    many.len(),
                    if report.cancelled { " (cancelled)" } else { "" }
                )
            }
        };
        let ok = !report.results.is_empty() && report.results.iter().all(|r| r.outcome.is_ok());
        self.status = Some((ok, text));
        if let Some(e) = &report.history_error {
            self.notices.push(e.clone());
        }
        if let Some(summary) = &report.history_summary {
            self.history.add(summary.clone());
        }
        let state = &mut self.tabs[tab];
        state.selected_result = 0;
        state.last_report = Some(report);
    }

    pub(super) fn start_check(&mut self, ctx: &egui::Context) {
        let Some(profile) = self.current_profile().cloned() else {
            return;
        };
        let secrets = match self.secrets_for(&profile) {
            Ok(s) => s,
            Err(e) => {
                self.tab_state().check = Some(Outcome::refused(e));
                return;
            }
        };
        let engine = self.engine.clone();
        let provider = self.provider();
        self.tab_state().check = None;
        let task = Task::spawn(&self.runtime, ctx, async move {
            engine
                .call(
                    provider,
                    &profile,
                    &secrets,
                    Call::Check,
                    Duration::from_secs(20),
                )
                .await
        });
        self.check_task = Some((self.tab, task));
    }

    pub(super) fn start_lookup(&mut self, ctx: &egui::Context, lookup: &str, key: &str) {
        let Some(profile) = self.current_profile().cloned() else {
            self.status = Some((false, "Choose a profile first.".into()));
            return;
        };
        let secrets = match self.secrets_for(&profile) {
            Ok(s) => s,
            Err(e) => {
                self.status = Some((false, e));
                return;
            }
        };
        let engine = self.engine.clone();
        let provider = self.provider();
        let lookup = lookup.to_string();
        let task = Task::spawn(&self.runtime, ctx, async move {
            engine
                .call(
                    provider,
                    &profile,
                    &secrets,
                    Call::Lookup(lookup),
                    Duration::from_secs(20),
                )
                .await
        });
        self.lookup_task = Some((self.tab, key.to_string(), task));
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
        let state = &mut self.tabs[index];
        state.form = ComposerForm::from_draft(draft, info);
        if self.profiles.get(&draft.profile).is_some() {
            state.profile = Some(draft.profile.clone());
        }
        state.idempotency_key = uuid::Uuid::new_v4().to_string();
        state.last_sent = None;
        if self.profiles.get(&draft.profile).is_none() && !draft.profile.is_empty() {
            return Err(format!(
                "Loaded, but profile `{}` does not exist here: pick or create one.",
                draft.profile
            ));
        }
        Ok(())
    }

    pub(super) fn copy_text(&mut self, ctx: &egui::Context, text: String, what: &str) {
        ctx.copy_text(text);
        self.clipboard_note = Some(format!("{what} copied"));
    }

    /// The whole window. Tests call this through kittest; eframe through `App::ui`.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.egui_ctx.is_none() {
            self.egui_ctx = Some(ui.ctx().clone());
        }
        self.poll();
        self.shortcuts(ui.ctx());
        self.top_bar(ui);
        for (i, notice) in self.notices.clone().iter().enumerate() {
            egui::Panel::top(("notice", i)).show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new("Note:")
                            .strong()
                            .color(widgets::note_color(ui)),
                    );
                    ui.label(notice);
                    if ui
                        .small_button("Dismiss")
                        .on_hover_text("Hide this notice")
                        .clicked()
                    {
                        self.notices.remove(i);
                    }
                });
            });
        }
        credentials::profile_bar(self, ui);
        self.bottom_bar(ui);
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(ui.available_width() * 0.42)
            .min_size(320.0)
            .show(ui, |ui| inspector::show(self, ui));
        egui::Panel::left("compose")
            .resizable(true)
            .default_size(ui.available_width() * 0.5)
            .min_size(280.0)
            .show(ui, |ui| super::composer::show(self, ui));
        egui::CentralPanel::default().show(ui, |ui| super::audience::show(self, ui));
        self.modals(ui.ctx());
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        if ctx.input_mut(|i| i.consume_shortcut(&SEND_SHORTCUT)) {
            self.request_send();
        }
        if self.sending.is_some() && ctx.input(|i| i.key_pressed(Key::Escape)) {
            self.cancel_send();
        }
        if ctx.input_mut(|i| i.consume_shortcut(&OPEN_SHORTCUT)) {
            self.file_dialog = Some(dialogs::FileDialog::open(&self.paths));
        }
        if ctx.input_mut(|i| i.consume_shortcut(&SAVE_SHORTCUT)) {
            self.file_dialog = Some(dialogs::FileDialog::save(&self.paths));
        }
        if ctx.input_mut(|i| i.consume_shortcut(&HISTORY_SHORTCUT)) {
            self.history.open = !self.history.open;
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::top("providers").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading(RichText::new("Pushdeck").strong());
                ui.add_space(12.0);
                for (i, p) in provider::all().iter().enumerate() {
                    let selected = self.tab == i;
                    if ui
                        .selectable_label(selected, p.info().name)
                        .on_hover_text(format!("Compose for {}", p.info().name))
                        .clicked()
                        && !selected
                    {
                        self.tab = i;
                        self.reveal = false;
                    }
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    let n = self.history.len();
                    if ui
                        .button(format!("History ({n})"))
                        .on_hover_text(format!(
                            "Past sends and their dumps ({})",
                            ui.ctx().format_shortcut(&HISTORY_SHORTCUT)
                        ))
                        .clicked()
                    {
                        self.history.open = !self.history.open;
                    }
                    if ui
                        .button("Save draft as…")
                        .on_hover_text(format!(
                            "Save this message as a draft file the CLI can send ({})",
                            ui.ctx().format_shortcut(&SAVE_SHORTCUT)
                        ))
                        .clicked()
                    {
                        self.file_dialog = Some(dialogs::FileDialog::save(&self.paths));
                    }
                    if ui
                        .button("Open draft…")
                        .on_hover_text(format!(
                            "Open a draft file ({})",
                            ui.ctx().format_shortcut(&OPEN_SHORTCUT)
                        ))
                        .clicked()
                    {
                        self.file_dialog = Some(dialogs::FileDialog::open(&self.paths));
                    }
                });
            });
        });
    }

    fn bottom_bar(&mut self, ui: &mut egui::Ui) {
        egui::Panel::bottom("status").show(ui, |ui| {
            ui.add_space(4.0);
            ui.horizontal(|ui| {
                match &self.status {
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
                    self.send_button(ui)
                });
            });
            ui.add_space(4.0);
        });
    }

    fn send_button(&mut self, ui: &mut egui::Ui) {
        if let Some(active) = &self.sending {
            if ui
                .button("Cancel")
                .on_hover_text("Stop sending (Esc)")
                .clicked()
            {
                active.handle.cancel.cancel();
            }
            ui.add_enabled(
                false,
                egui::Button::new(format!(
                    "Sending… {}/{} (Esc cancels)",
                    active.done,
                    active.total.max(1)
                )),
            )
            .on_hover_text("A send is in flight");
            ui.spinner();
            return;
        }
        let env = self.current_profile().map(|p| p.environment);
        let audience = self.audience_text();
        let mut label = if audience.is_empty() || audience == "nobody yet" {
            "Send".to_string()
        } else {
            format!("Send to {}", super::preview::truncate(&audience, 48).0)
        };
        if let Some(env) = env {
            label.push_str(&format!(" · {}", env.label()));
        }
        let mut button =
            egui::Button::new(RichText::new(label).strong().color(egui::Color32::WHITE))
                .min_size(egui::vec2(160.0, 30.0));
        button = button.fill(
            env.map(widgets::env_color)
                .unwrap_or(egui::Color32::from_rgb(0x1e, 0x66, 0xd0)),
        );
        let shortcut = ui.ctx().format_shortcut(&SEND_SHORTCUT);
        if ui
            .add(button)
            .on_hover_text(format!("Send this message now ({shortcut})"))
            .clicked()
        {
            self.request_send();
        }
        ui.weak(shortcut);
    }

    fn modals(&mut self, ctx: &egui::Context) {
        if let Some(audience) = self.confirm.clone() {
            let env = self
                .current_profile()
                .map(|p| p.environment.label())
                .unwrap_or("");
            let modal = egui::Modal::new(egui::Id::unique("confirm-broadcast")).show(ctx, |ui| {
                ui.set_max_width(420.0);
                ui.heading("Confirm the audience");
                ui.label(format!(
                    "This sends to {audience} ({env}). It cannot be undone."
                ));
                ui.add_space(8.0);
                let mut choice = None;
                ui.horizontal(|ui| {
                    if ui
                        .button(RichText::new("Send now").strong())
                        .on_hover_text("Send this message to the whole audience")
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
                Some(true) => self.confirm_send(),
                Some(false) => self.confirm = None,
                None if modal.should_close() => self.confirm = None,
                None => {}
            }
        }
        credentials::window(self, ctx);
        dialogs::file_dialog(self, ctx);
        history::window(self, ctx);
    }
}

fn with_hint(outcome: &Outcome) -> String {
    match &outcome.hint {
        Some(h) => format!("{} — {h}", outcome.summary),
        None => outcome.summary.clone(),
    }
}

/// The app as eframe runs it, with the optional frame log of `scripts/bench-app`.
pub struct WindowApp {
    pub app: PushdeckApp,
    pub frame_log: Option<super::frame_log::FrameLog>,
}

impl eframe::App for WindowApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.ui(ui);
        if let Some(log) = &mut self.frame_log {
            log.frame();
        }
    }
}
