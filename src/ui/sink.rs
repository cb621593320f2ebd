//! The window's Sink view: Pushdeck stands in for a provider. Pick what to imitate, start it, point
//! the backend at the setup lines, and every request that arrives shows live in a table; picking
//! one shows it in the inspector the sends use, with what was checked in words. This module holds
//! the view's state and draws it; `sink_run.rs` starts, stops and drains it through the engine.

use std::sync::Arc;

use eframe::egui::{self, RichText};

use super::command::{Action, Actions, Command, SinkStep as Step};
use super::inspector;
use super::table::{self, Header, Row, Sort};
use super::widgets::{note_color, ok_color};
use crate::engine::sink::{SinkHandle, catalogue, default_port};
use crate::finding::Level;
use crate::sink::{Listening, Rehearsal};
use crate::store::SinkRecord;

/// The most arrivals the view keeps; older ones stay in history (History, `pushdeck history show`).
pub const KEPT: usize = 2000;

/// One request received, as it came (`record`) and as shown (`shown`, masked).
pub struct Arrived {
    pub seq: u64,
    pub record: Arc<SinkRecord>,
    pub shown: Arc<SinkRecord>,
}

impl Arrived {
    pub fn new(seq: u64, record: Arc<SinkRecord>) -> Self {
        let shown = Arc::new(record.redacted());
        Self { seq, record, shown }
    }
}

/// What can be imitated: the provider id, its rehearsals and how it listens.
pub type Imitated = (&'static str, &'static [Rehearsal], Listening);

pub struct SinkState {
    pub open: bool,
    pub(super) catalogue: Vec<Imitated>,
    pub provider: &'static str,
    /// The profile arrivals are verified against.
    pub profile: Option<String>,
    pub port: String,
    pub tls: bool,
    pub answer: Option<&'static str>,
    pub(super) running: Option<SinkHandle>,
    /// Newest first, with their table rows alongside.
    pub arrivals: Vec<Arrived>,
    pub(super) rows: Vec<Row>,
    pub(super) next: u64,
    pub picked: Option<u64>,
    /// Why the last Start (or answer switch) did not happen, in words.
    pub error: Option<String>,
    /// Said at start and while running (a request not kept in history…).
    pub warnings: Vec<String>,
    /// What the last stop did, in words, and the history session it kept.
    pub(super) stopped: Option<(String, String)>,
    sort: Option<Sort>,
    /// The inspector shows the answer instead of the request.
    show_answer: bool,
    inspector: inspector::State,
}

impl Default for SinkState {
    fn default() -> Self {
        let catalogue = catalogue();
        let provider = catalogue
            .iter()
            .find(|(id, _, _)| *id == "ntfy")
            .or(catalogue.first())
            .map_or("ntfy", |(id, _, _)| *id);
        let mut state = Self {
            open: false,
            catalogue,
            provider,
            profile: None,
            port: String::new(),
            tls: false,
            answer: None,
            running: None,
            arrivals: Vec::new(),
            rows: Vec::new(),
            next: 0,
            picked: None,
            error: None,
            warnings: Vec::new(),
            stopped: None,
            sort: None,
            show_answer: false,
            inspector: inspector::State::default(),
        };
        state.choose(provider);
        state
    }
}

impl SinkState {
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The URL the backend is pointed at, while listening.
    pub fn base_url(&self) -> Option<&str> {
        self.running.as_ref().map(|h| h.base_url.as_str())
    }

    fn imitated(&self) -> Option<&Imitated> {
        self.catalogue
            .iter()
            .find(|(id, _, _)| *id == self.provider)
    }

    /// The rehearsals of the picked provider.
    pub(super) fn rehearsals(&self) -> &'static [Rehearsal] {
        self.imitated().map_or(&[], |(_, r, _)| r)
    }

    /// Whether the provider is only ever spoken to over TLS (APNs).
    fn tls_only(&self) -> bool {
        self.imitated()
            .is_some_and(|(_, _, l)| *l == Listening::Tls)
    }

    /// Picks what to imitate: its own port, TLS when it needs it, no profile or rehearsal yet.
    fn choose(&mut self, provider: &'static str) {
        self.provider = provider;
        self.port = default_port(provider).to_string();
        self.tls = self.tls_only();
        self.profile = None;
        self.answer = None;
    }

    /// The port typed, or why it is not one.
    pub(super) fn port_number(&self) -> Result<Option<u16>, String> {
        let port = self.port.trim();
        if port.is_empty() {
            return Ok(None);
        }
        port.parse::<u16>().map(Some).map_err(|_| {
            format!(
                "Port: `{port}` is not a port number: give one from 1 to 65535, or 0 for any free port."
            )
        })
    }

    /// A received request joins the top of the table (the oldest leave past [`KEPT`]).
    pub(super) fn arrived(&mut self, record: Arc<SinkRecord>) {
        let arrived = Arrived::new(self.next, record);
        self.next += 1;
        self.rows.insert(0, row(&arrived.shown));
        self.arrivals.insert(0, arrived);
        self.arrivals.truncate(KEPT);
        self.rows.truncate(KEPT);
    }

    /// A new session starts with an empty table.
    pub(super) fn clear(&mut self) {
        self.arrivals.clear();
        self.rows.clear();
        self.picked = None;
        self.warnings.clear();
        self.error = None;
        self.stopped = None;
    }
}

/// What the view reads besides its own state.
pub struct SinkView<'a> {
    /// Every profile: (name, provider id).
    pub profiles: &'a [(String, String)],
    pub reveal: bool,
}

pub(super) const HEADERS: [Header; 5] = [
    Header {
        title: "Time",
        tooltip: "When the request arrived",
        width: 70.0,
    },
    Header {
        title: "Method",
        tooltip: "The HTTP method",
        width: 60.0,
    },
    Header {
        title: "Path",
        tooltip: "What the request asked for",
        width: 180.0,
    },
    Header {
        title: "Status",
        tooltip: "What the sink answered, as the provider would",
        width: 55.0,
    },
    Header {
        title: "Verdict",
        tooltip: "What was checked: OK, a warning to look at, or a problem the provider would refuse",
        width: 200.0,
    },
];

/// The worst of the findings, in a word (the default fonts have no ✓ ⚠ ✗).
fn verdict(record: &SinkRecord) -> &'static str {
    match record.findings.iter().map(|f| f.level).max() {
        Some(Level::Fail) => "Problem",
        Some(Level::Warn) => "Warning",
        _ => "OK",
    }
}

pub(super) fn row(record: &SinkRecord) -> Row {
    let request = &record.exchange.request;
    // `at` is RFC 3339: its time of day is what a live list needs.
    let time = record.at.get(11..19).unwrap_or(&record.at).to_string();
    // The URL is the sink's base URL and the target as it arrived: show the target.
    let path = match request.url.splitn(4, '/').nth(3) {
        Some(target) => format!("/{target}"),
        None => request.url.clone(),
    };
    let status = record.exchange.response.as_ref().map_or(0, |r| r.status);
    Row {
        cells: vec![
            Row::text(time),
            Row::text(request.method.clone()),
            Row::text(path),
            Row::number(status.to_string(), f64::from(status)),
            Row::text(format!("{}: {}", verdict(record), record.summary)),
        ],
    }
}

pub fn show(ui: &mut egui::Ui, view: &SinkView<'_>, state: &mut SinkState, actions: &mut Actions) {
    let picked = state
        .picked
        .and_then(|seq| state.arrivals.iter().position(|a| a.seq == seq));
    egui::Panel::right("sink-inspector")
        .resizable(true)
        .default_size(ui.available_width() * 0.45)
        .min_size(320.0)
        .show(ui, |ui| match picked {
            Some(i) => arrival(ui, view, state, i, actions),
            None => {
                ui.add_space(6.0);
                ui.weak("Pick a request in the table to see it here: its headers and body, what was checked, and the answer given.");
            }
        });
    egui::CentralPanel::default().show(ui, |ui| {
        controls(ui, view, state, actions);
        ui.separator();
        if state.arrivals.is_empty() {
            ui.weak(if state.is_running() {
                "Waiting for requests: point your backend at the setup lines above."
            } else {
                "Start listening, then send from your backend: each request shows here."
            });
            return;
        }
        let n = state.arrivals.len();
        let s = if n == 1 { "" } else { "s" };
        ui.label(format!("{n} request{s} received, newest first"));
        let height = ui.available_height().max(120.0);
        if let Some(i) = table::show(
            ui,
            "sink-arrivals",
            &HEADERS,
            &state.rows,
            &mut state.sort,
            picked,
            height,
        ) && let Some(a) = state.arrivals.get(i)
        {
            actions.push(Action::Sink(Step::Pick(a.seq)));
        }
    });
}

fn provider_name(id: &str) -> &'static str {
    crate::provider::find(id).map_or("this provider", |p| p.info().name)
}

fn controls(ui: &mut egui::Ui, view: &SinkView<'_>, state: &mut SinkState, actions: &mut Actions) {
    ui.add_space(6.0);
    ui.heading("Pushdeck as the provider");
    ui.label(
        "Point your backend here: Pushdeck answers as the provider would and says what is wrong.",
    );
    ui.add_space(4.0);
    let running = state.is_running();
    ui.add_enabled_ui(!running, |ui| {
        egui::Grid::new("sink-controls").num_columns(2).show(ui, |ui| {
            let label = ui.label("Provider");
            let mut chosen = state.provider;
            egui::ComboBox::from_id_salt("sink-provider")
                .selected_text(provider_name(state.provider))
                .show_ui(ui, |ui| {
                    for (id, _, _) in &state.catalogue {
                        ui.selectable_value(&mut chosen, *id, provider_name(id));
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("The provider whose API the sink speaks");
            if chosen != state.provider {
                state.choose(chosen);
            }
            ui.end_row();

            let label = ui.label("Profile");
            let own: Vec<&str> = view
                .profiles
                .iter()
                .filter(|(_, p)| p == state.provider)
                .map(|(n, _)| n.as_str())
                .collect();
            egui::ComboBox::from_id_salt("sink-profile")
                .selected_text(state.profile.as_deref().unwrap_or("none"))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut state.profile, None, "none")
                        .on_hover_text("Signatures and tokens are read and their shape checked, not verified");
                    for name in own {
                        ui.selectable_value(&mut state.profile, Some(name.to_string()), name);
                    }
                })
                .response
                .labelled_by(label.id)
                .on_hover_text("Verifies signatures and tokens against this profile's credentials");
            ui.end_row();

            let label = ui.label("Port");
            ui.add(egui::TextEdit::singleline(&mut state.port).desired_width(80.0))
                .labelled_by(label.id)
                .on_hover_text("The port on 127.0.0.1 to listen on (0: any free port)");
            ui.end_row();

            ui.label("");
            let tls_only = state.tls_only();
            ui.add_enabled_ui(!tls_only, |ui| {
                ui.checkbox(&mut state.tls, "TLS (https)").on_hover_text(if tls_only {
                    "This provider is only spoken to over TLS"
                } else {
                    "Serve https with a local CA your backend must trust (its file is shown once started)"
                });
            });
            ui.end_row();
        });
    });
    ui.horizontal(|ui| {
        let command = if running {
            Command::StopSink
        } else {
            Command::StartSink
        };
        if command.button(ui, true) {
            actions.run(command);
        }
        answer_picker(ui, state, actions);
    });
    if let Some(e) = &state.error {
        ui.colored_label(ok_color(ui, false), e);
    }
    for w in &state.warnings {
        ui.colored_label(note_color(ui), w);
    }
    if let Some((stopped, session)) = state.stopped.as_ref().filter(|_| !running) {
        ui.horizontal_wrapped(|ui| {
            ui.weak(stopped);
            if ui
                .button("Show in History")
                .on_hover_text("Open this session in History: every request it received, each in the inspector")
                .clicked()
            {
                actions.push(Action::ShowSinkSession(session.clone()));
            }
        });
    }
    if let Some(handle) = &state.running {
        setup(ui, handle, actions);
    }
}

fn answer_picker(ui: &mut egui::Ui, state: &mut SinkState, actions: &mut Actions) {
    let label = ui.label("Answer with");
    let before = state.answer;
    let rehearsals = state.rehearsals();
    egui::ComboBox::from_id_salt("sink-answer")
        .selected_text(state.answer.unwrap_or("Normal"))
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut state.answer, None, "Normal")
                .on_hover_text(
                    "Answer as the provider does when all is well (or refuses what is wrong)",
                );
            for r in rehearsals {
                ui.selectable_value(&mut state.answer, Some(r.name), r.name)
                    .on_hover_text(format!("{} — {}", r.status, r.about));
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text(
            "Rehearse one of the provider's documented errors: every request gets that answer",
        );
    if state.answer != before && state.is_running() {
        actions.push(Action::Sink(Step::Answer(state.answer)));
    }
}

/// Where the sink listens and what to configure in the backend, each with a Copy button.
fn setup(ui: &mut egui::Ui, handle: &SinkHandle, actions: &mut Actions) {
    ui.add_space(4.0);
    ui.label(RichText::new(format!("Listening at {}", handle.base_url)).strong());
    egui::Grid::new("sink-setup").num_columns(3).show(ui, |ui| {
        let mut line = |ui: &mut egui::Ui, label: &str, value: &str, about: &str| {
            ui.label(label).on_hover_text(about);
            // Copy before the value: a subscription's JSON is wider than the pane, and the
            // button must stay on screen; the value is cut, whole on hover.
            if ui
                .small_button("Copy")
                .on_hover_text(format!("Copy {label}"))
                .clicked()
            {
                actions.push(Action::Copy {
                    text: value.to_string(),
                    what: "Setup line",
                });
            }
            ui.add(egui::Label::new(RichText::new(value).monospace()).truncate())
                .on_hover_text(format!("{value}\n\n{about}"));
            ui.end_row();
        };
        for l in &handle.setup {
            line(ui, &l.label, &l.value, &l.about);
        }
        if let Some(ca) = &handle.ca_file {
            line(
                ui,
                "CA certificate",
                &ca.to_string_lossy(),
                "The file your backend must trust to reach the sink over TLS",
            );
        }
    });
}

/// The picked arrival: its verdict, findings and decoded parts, then the request or the answer.
fn arrival(
    ui: &mut egui::Ui,
    view: &SinkView<'_>,
    state: &mut SinkState,
    i: usize,
    actions: &mut Actions,
) {
    let arrived = &state.arrivals[i];
    let record = if view.reveal {
        arrived.record.clone()
    } else {
        arrived.shown.clone()
    };
    received(
        ui,
        (&record, &arrived.record.exchange),
        (arrived.seq as usize, view.reveal),
        (&mut state.show_answer, &mut state.inspector),
        actions,
    );
}

/// One received request as the Sink view and History show it: `record`'s verdict, findings and
/// decoded parts, then `exchange`'s request or answer in the inspector (`key` tells requests
/// apart for its cache; history's records are already redacted).
pub(super) fn received(
    ui: &mut egui::Ui,
    (record, exchange): (&SinkRecord, &crate::http::Exchange),
    (key, reveal): (usize, bool),
    (show_answer, inspector_state): (&mut bool, &mut inspector::State),
    actions: &mut Actions,
) {
    ui.add_space(6.0);
    let ok = verdict(record) != "Problem";
    ui.label(
        RichText::new(&record.summary)
            .strong()
            .color(ok_color(ui, ok)),
    );
    if let Some(r) = &record.rehearsal {
        ui.colored_label(note_color(ui), format!("Answered with the rehearsal “{r}”"));
    }
    super::findings::findings(ui, &record.findings);
    for (n, d) in record.decoded.iter().enumerate() {
        egui::CollapsingHeader::new(&d.label)
            .id_salt(("sink-decoded", n))
            .default_open(true)
            .show(ui, |ui| {
                let lines: Vec<String> = crate::http::dump::pretty_if_json(&d.text)
                    .lines()
                    .map(str::to_string)
                    .collect();
                super::widgets::long_text(ui, &format!("sink-decoded-{n}"), &lines, 140.0);
            });
    }
    ui.separator();
    ui.horizontal(|ui| {
        ui.selectable_value(show_answer, false, "Request")
            .on_hover_text("The request as it arrived");
        ui.selectable_value(show_answer, true, "Answer")
            .on_hover_text("What the sink answered, as the provider would");
    });
    inspector::received(
        ui,
        exchange,
        (key, reveal, *show_answer),
        inspector_state,
        actions,
    );
}
