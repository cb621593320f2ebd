//! The main window: its state, and one frame — poll what finished, lay the panels out, then apply
//! what the panels asked for (`actions.rs`). Panels draw from a read-only `View` plus their own
//! state and push `Action`s; only the app changes shared state, and only after the frame.

use std::collections::HashMap;
use std::sync::Arc;

use eframe::egui::{self, Key, RichText};

use super::command::{Action, Actions, Command};
use super::compile::{Compiler, Context};
use super::form::ComposerForm;
use super::task::Task;
use super::view::{CallAnswer, Compiled, Progress, View};
use super::{composer, credentials, dialogs, extras, history, images, inspector, widgets};
use crate::draft::{Draft, DraftError};
use crate::engine::{Engine, SendHandle, SendReport, SendResult};
use crate::outcome::{LookupItem, Outcome};
use crate::profile::{Profile, Secrets};
use crate::provider::{self, Provider};
use crate::store::{KeyringStatus, Paths, ProfileStore, SecretStore};

pub use inspector::RightTab;

/// A fan-out to more recipients than this asks first (with the profile's broadcast setting).
pub const FAN_OUT_CONFIRM: usize = 10;

/// A call running on the runtime: a check, a lookup, a provider panel's call.
pub(super) type CallTask = Task<Result<Arc<SendResult>, DraftError>>;

/// What the app needs from outside: where files live, the secret store, and the runtime to send on.
pub struct AppSetup {
    pub paths: Paths,
    pub keyring: SecretStore,
    pub runtime: tokio::runtime::Handle,
}

/// Per provider tab: its profile, what is being composed, and what came back.
pub struct TabState {
    pub profile: Option<String>,
    pub form: ComposerForm,
    pub idempotency_key: String,
    /// The draft last sent from this tab: the key is renewed once the message changes.
    pub(super) last_sent: Option<Draft>,
    pub check: Option<Outcome>,
    pub lookup_items: HashMap<String, Vec<LookupItem>>,
    /// The last send from this tab, shown in its Response pane.
    pub last_report: Option<Arc<SendReport>>,
    pub(super) composer: composer::State,
    pub(super) inspector: inspector::State,
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
            composer: composer::State::default(),
            inspector: inspector::State::default(),
        }
    }
}

pub(super) struct ActiveSend {
    pub handle: SendHandle,
    /// The provider tab the send started from.
    pub tab: usize,
    pub total: usize,
    pub done: usize,
}

pub struct PushdeckApp {
    pub(super) runtime: tokio::runtime::Handle,
    pub(super) engine: Engine,
    pub(super) paths: Paths,
    pub(super) profiles: ProfileStore,
    pub(super) keyring: SecretStore,
    /// Secrets and which fields are stored, per profile, read from the keyring once per session
    /// (and after edits), never per frame. Memory only.
    pub(super) secrets: HashMap<String, (Result<Secrets, String>, Vec<&'static str>)>,
    pub tab: usize,
    pub(super) tabs: Vec<TabState>,
    pub(super) compiler: Compiler,
    pub(super) panels: extras::Panels,
    /// Each provider's saved templates, listed when first shown and after a save.
    pub(super) templates: HashMap<&'static str, Vec<String>>,
    pub(super) reveal: bool,
    pub right: RightTab,
    pub(super) sending: Option<ActiveSend>,
    /// The last outcome in words, for the status bar: (ok, text).
    pub status: Option<(bool, String)>,
    /// A broadcast waiting for the user's confirmation: the audience in words.
    pub(super) confirm: Option<String>,
    pub(super) credentials: Option<credentials::Editor>,
    pub(super) history: history::HistoryView,
    pub(super) file_dialog: Option<dialogs::FileDialog>,
    pub(super) notices: Vec<String>,
    pub(super) check_task: Option<(usize, CallTask)>,
    pub(super) lookup_task: Option<(usize, String, CallTask)>,
    /// Provider panels' calls by purpose: running or answered.
    pub(super) calls: HashMap<&'static str, CallAnswer>,
    pub(super) call_tasks: Vec<(&'static str, CallTask)>,
    pub(super) actions: Actions,
    /// Kept so the runtime can wake the UI when a send reports.
    pub(super) egui_ctx: Option<egui::Context>,
    /// The message image shown in the Preview, fetched in the background.
    pub preview_images: images::PreviewImages,
    /// Native file dialogs, dropped files, the draft file the message came from.
    pub(super) files: super::file_state::Files,
    /// What the window keeps between runs (`memory.rs`).
    pub(super) memory: super::file_state::Memory,
    /// Short confirmations that go away by themselves.
    pub toasts: super::toasts::Toasts,
    pub(super) theme: crate::store::library::Theme,
    pub(super) shortcuts_open: bool,
    /// The campaign panel: targets, the one Send, the results matrix (`campaign.rs`).
    pub campaign: super::campaign::CampaignState,
    /// The Sink view: Pushdeck standing in for a provider (`sink.rs`).
    pub sink: super::sink::SinkState,
}

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
        let history_store = crate::store::HistoryStore::new(paths.history_dir());
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
        let preview_images = images::PreviewImages::new(engine.clone(), runtime.clone());
        let theme = crate::store::library::theme(&paths.settings_file());
        let mut app = Self {
            runtime,
            engine,
            paths,
            profiles,
            keyring,
            secrets: HashMap::new(),
            tab: 0,
            tabs,
            compiler: Compiler::default(),
            panels: extras::Panels::default(),
            templates: HashMap::new(),
            reveal: false,
            right: RightTab::Request,
            sending: None,
            status: None,
            confirm: None,
            credentials: None,
            history,
            file_dialog: None,
            notices,
            check_task: None,
            lookup_task: None,
            calls: HashMap::new(),
            call_tasks: Vec::new(),
            actions: Actions::default(),
            egui_ctx: None,
            preview_images,
            files: Default::default(),
            memory: Default::default(),
            toasts: Default::default(),
            theme,
            shortcuts_open: false,
            campaign: Default::default(),
            sink: Default::default(),
        };
        app.restore_session();
        Ok(app)
    }

    pub fn provider(&self) -> &'static dyn Provider {
        provider::all()[self.tab]
    }

    pub(super) fn current_profile(&self) -> Option<&Profile> {
        self.tabs[self.tab]
            .profile
            .as_deref()
            .and_then(|n| self.profiles.get(n))
    }

    /// Secrets and stored fields of a profile, read from the keyring once per session (and after
    /// edits). A failure is kept too, so a broken keyring is not asked again every frame.
    pub(super) fn load_secrets(&mut self, profile: &Profile) {
        if self.secrets.contains_key(&profile.name) {
            return;
        }
        let entry = match provider::find(&profile.provider) {
            Some(p) => (
                self.keyring
                    .load(&profile.name, p.info().secret_keys())
                    .map_err(|e| e.to_string()),
                self.keyring
                    .stored_fields(&profile.name, p.info().secret_keys()),
            ),
            None => (
                Err(format!(
                    "provider `{}` is not in this build",
                    profile.provider
                )),
                Vec::new(),
            ),
        };
        self.secrets.insert(profile.name.clone(), entry);
    }

    pub(super) fn forget_secrets(&mut self, profile: &str) {
        self.secrets.remove(profile);
        self.compiler.clear();
    }

    /// The current tab's form as a draft, its requests and its audience, from the cache.
    pub(super) fn compiled(&mut self) -> Arc<Compiled> {
        let profile = self.current_profile().cloned();
        let secrets = profile
            .as_ref()
            .and_then(|p| self.secrets.get(&p.name))
            .map(|(s, _)| s.as_ref().map_err(String::as_str));
        let state = &self.tabs[self.tab];
        let cx = Context {
            provider: self.provider(),
            profile: profile.as_ref(),
            secrets: match (&profile, secrets) {
                (_, Some(s)) => s,
                (Some(_), None) => Err("Reading the credentials from the keyring…"),
                (None, None) => Err("Choose or create a profile first."),
            },
            idempotency_key: &state.idempotency_key,
        };
        self.compiler.compile(&state.form, &cx)
    }

    /// The draft being composed in the current tab.
    pub fn current_draft(&mut self) -> Result<Arc<Draft>, DraftError> {
        self.compiled().draft.clone()
    }

    /// Shows `report` in the current tab's Response pane (benchmarks, tests).
    pub fn set_last_report(&mut self, report: SendReport) {
        let state = &mut self.tabs[self.tab];
        state.inspector.selected_result = 0;
        state.last_report = Some(Arc::new(report));
    }

    pub fn is_sending(&self) -> bool {
        self.sending.is_some() || self.campaign.running.is_some()
    }

    pub fn history_open(&self) -> bool {
        self.history.open
    }

    /// The whole window. Tests call this through kittest; eframe through `App::ui`.
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        if self.egui_ctx.is_none() {
            self.egui_ctx = Some(ui.ctx().clone());
            super::look::first_frame(ui.ctx(), self.theme);
        }
        self.poll();
        self.poll_campaign();
        self.poll_sink();
        self.poll_sink_history();
        self.poll_files(ui.ctx());
        self.shortcuts(ui.ctx());
        self.frame(ui);
        for action in self.actions.take() {
            self.apply(action);
        }
        self.autosave(ui.ctx());
        self.read_what_the_next_frame_needs(ui.ctx());
    }

    /// The keyring and the templates folder are read here, after the frame, never while the
    /// panels draw: once per profile and per provider, then from memory.
    fn read_what_the_next_frame_needs(&mut self, ctx: &egui::Context) {
        let mut read = false;
        if let Some(profile) = self.current_profile().cloned()
            && !self.secrets.contains_key(&profile.name)
        {
            self.load_secrets(&profile);
            read = true;
        }
        let provider = self.provider().info().id;
        if !self.templates.contains_key(provider) {
            let listed = crate::store::library::Templates::new(&self.paths.data, provider).list();
            self.templates.insert(provider, listed);
            read = true;
        }
        if read {
            // What was read changes what the panels show: draw again with it.
            self.compiler.clear();
            ctx.request_repaint();
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        for command in Command::WITH_SHORTCUTS {
            if let Some(shortcut) = command.shortcut(ctx)
                && ctx.input_mut(|i| i.consume_shortcut(&shortcut))
            {
                self.actions.run(command);
            }
        }
        if self.is_sending() && ctx.input(|i| i.key_pressed(Key::Escape)) {
            self.actions.run(Command::CancelSend);
        }
    }

    /// Lays the panels out, each with the view and its own state.
    fn frame(&mut self, ui: &mut egui::Ui) {
        let compiled = self.compiled();
        let templates = self
            .templates
            .get(self.provider().info().id)
            .cloned()
            .unwrap_or_default();
        self.top_bar(ui);
        self.notices_ui(ui);
        if self.sink.open {
            // The Sink view takes the window's body; a provider tab or Sink again leaves it.
            let profiles: Vec<(String, String)> = (self.profiles.list())
                .map(|p| (p.name.clone(), p.provider.clone()))
                .collect();
            let view = super::sink::SinkView {
                profiles: &profiles,
                reveal: self.reveal,
            };
            super::sink::show(ui, &view, &mut self.sink, &mut self.actions);
            return self.modals(&ui.ctx().clone());
        }
        self.campaign_panel(ui);
        let profile = self.current_profile().cloned();
        let names: Vec<String> = self
            .profiles
            .list()
            .filter(|p| p.provider == self.provider().info().id)
            .map(|p| p.name.clone())
            .collect();
        let (secrets, stored) = match profile.as_ref().and_then(|p| self.secrets.get(&p.name)) {
            Some((s, stored)) => (s.as_ref().ok(), stored.as_slice()),
            None => (None, &[][..]),
        };
        let tab = &mut self.tabs[self.tab];
        let view = View {
            provider: provider::all()[self.tab],
            profile: profile.as_ref(),
            profiles: &names,
            secrets,
            stored,
            keyring_persistent: self.keyring.is_persistent(),
            compiled: &compiled,
            sending: self.sending.as_ref().map(|s| Progress {
                done: s.done,
                total: s.total,
            }),
            last_report: tab.last_report.as_ref(),
            selected_result: tab.inspector.selected_result,
            last_sent: tab.last_sent.as_ref(),
            check: tab.check.as_ref(),
            checking: self.check_task.is_some(),
            lookup_items: &tab.lookup_items,
            looking_up: self.lookup_task.is_some(),
            calls: &self.calls,
            templates: &templates,
            reveal: self.reveal,
            status: self.status.as_ref(),
        };
        let actions = &mut self.actions;
        credentials::profile_bar(ui, &view, &mut tab.form, &mut self.panels, actions);
        super::send_bar::status_bar(ui, &view, self.status.as_ref(), actions);
        egui::Panel::right("inspector")
            .resizable(true)
            .default_size(ui.available_width() * 0.42)
            .min_size(320.0)
            .show(ui, |ui| {
                inspector::show(
                    ui,
                    &view,
                    inspector::Parts {
                        right: &mut self.right,
                        state: &mut tab.inspector,
                        form: &mut tab.form,
                        panels: &mut self.panels,
                        images: &mut self.preview_images,
                    },
                    actions,
                )
            });
        egui::Panel::left("compose")
            .resizable(true)
            .default_size(ui.available_width() * 0.5)
            .min_size(280.0)
            .show(ui, |ui| {
                composer::show(ui, &view, &mut tab.form, &mut tab.composer, actions)
            });
        egui::CentralPanel::default().show(ui, |ui| {
            super::audience::show(ui, &view, &mut tab.form, &mut self.panels, actions)
        });
        let ctx = ui.ctx().clone();
        self.modals(&ctx);
    }

    fn notices_ui(&mut self, ui: &mut egui::Ui) {
        let mut dismissed = None;
        for (i, notice) in self.notices.iter().enumerate() {
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
                        dismissed = Some(i);
                    }
                });
            });
        }
        if let Some(i) = dismissed {
            self.notices.remove(i);
        }
    }

    fn top_bar(&mut self, ui: &mut egui::Ui) {
        let history_len = self.history.len();
        let targets = self.campaign.targets.len();
        let unsaved = self.unsaved_mark();
        let current = (!self.sink.open).then_some(self.tab);
        let sink = (self.sink.open, self.sink.is_running());
        let theme = self.theme;
        let actions = &mut self.actions;
        egui::Panel::top("providers").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.heading(RichText::new("Pushdeck").strong());
                ui.add_space(12.0);
                // The tabs wrap onto a second line before they would run under the buttons on
                // the right (ten providers and five buttons do not fit 1280 px on one line).
                let right = 530.0 + if unsaved.is_some() { 160.0 } else { 0.0 };
                let room = (ui.available_width() - right).max(200.0);
                let wrapping =
                    egui::Layout::left_to_right(egui::Align::Center).with_main_wrap(true);
                ui.allocate_ui_with_layout(egui::vec2(room, 0.0), wrapping, |ui| {
                    for (i, p) in provider::all().iter().enumerate() {
                        let selected = current == Some(i);
                        if ui
                            .selectable_label(selected, p.info().name)
                            .on_hover_text(format!("Compose for {}", p.info().name))
                            .clicked()
                            && !selected
                        {
                            actions.push(Action::SelectTab(i));
                        }
                    }
                });
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    super::look::view_menu(ui, theme, actions);
                    let history = Command::ToggleHistory;
                    if ui
                        .button(format!("{} ({history_len})", history.label()))
                        .on_hover_text(history.tooltip(ui.ctx()))
                        .clicked()
                    {
                        actions.run(history);
                    }
                    let toggle = Command::ToggleSink;
                    let label = if sink.1 { "Sink ●" } else { toggle.label() };
                    if ui
                        .add(egui::Button::new(label).selected(sink.0))
                        .on_hover_text(toggle.tooltip(ui.ctx()))
                        .clicked()
                    {
                        actions.run(toggle);
                    }
                    let campaign = Command::ToggleCampaign;
                    if ui
                        .button(format!("{} ({targets})", campaign.label()))
                        .on_hover_text(campaign.tooltip(ui.ctx()))
                        .clicked()
                    {
                        actions.run(campaign);
                    }
                    for command in [Command::SaveDraftAs, Command::OpenDraft] {
                        if command.button(ui, true) {
                            actions.run(command);
                        }
                    }
                    if let Some(mark) = &unsaved {
                        ui.label(RichText::new(mark).color(widgets::note_color(ui)))
                            .on_hover_text(
                                "Changed since it was opened or saved: Save draft as… keeps it",
                            );
                    }
                });
            });
        });
    }

    fn modals(&mut self, ctx: &egui::Context) {
        if let Some(audience) = self.confirm.clone() {
            let env = self
                .current_profile()
                .map(|p| p.environment.label())
                .unwrap_or("");
            if let Some(send) = super::send_bar::confirm_modal(ctx, &audience, env) {
                self.confirm = None;
                if send {
                    self.actions.push(Action::ConfirmSend);
                }
            }
        }
        credentials::window(
            ctx,
            &mut self.credentials,
            self.keyring.is_persistent(),
            &mut self.actions,
        );
        dialogs::file_dialog(ctx, &mut self.file_dialog, &mut self.actions);
        history::window(ctx, &mut self.history, &mut self.actions);
        super::look::shortcuts_window(ctx, &mut self.shortcuts_open);
        self.toasts.show(ctx);
    }
}

/// The app as eframe runs it, with the optional frame log of `scripts/bench-app`.
pub struct WindowApp {
    pub app: PushdeckApp,
    pub frame_log: Option<super::frame_log::FrameLog>,
}

impl eframe::App for WindowApp {
    /// eframe calls this when the window closes (and now and then): the session is kept.
    fn save(&mut self, _storage: &mut dyn eframe::Storage) {
        if let Err(e) = self.app.save_session() {
            tracing::warn!(error = %e, "the window's session was not saved");
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.app.ui(ui);
        if let Some(log) = &mut self.frame_log {
            log.frame();
        }
    }
}
