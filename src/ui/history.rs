//! The history window: past sends, filterable, each opening its redacted dump; "Compose again"
//! loads its draft; "Send to the remaining" finishes an interrupted send (or one with failures).
//! Sink sessions are listed among the sends (`history_sink.rs`).

use eframe::egui::{self, RichText};

use super::command::{Action, Actions};
use super::history_sink::{self, Opened, SinkSessions};
use super::table::{self, Header, Row, Sort};
use super::widgets::{long_text, ok_color, text_field};
use crate::http::dump;
use crate::store::{EntryState, HistoryEntry, HistorySummary};

pub struct HistoryView {
    pub open: bool,
    items: Vec<HistorySummary>,
    filter: String,
    /// Empty means any.
    provider: String,
    profile: String,
    /// None: any; Some(true): only accepted; Some(false): only failed.
    outcome: Option<bool>,
    selected: Option<(HistoryEntry, Vec<String>)>,
    /// The column the list is sorted by (newest first until a header is clicked).
    sort: Option<Sort>,
    pub(super) error: Option<String>,
    /// A resume waiting for the user's confirmation: the entry, the audience in words, the
    /// profile's environment.
    pub(super) confirm: Option<(String, String, String)>,
    /// "Also send to the K in doubt", for the entry shown (unticked whenever another is shown).
    pub(super) include_in_doubt: bool,
    pub(super) sinks: SinkSessions,
}

/// A row of the list: a send (or campaign), or a sink session.
enum Listed<'a> {
    Send(&'a HistorySummary),
    Sink(&'a crate::store::SinkSummary),
}

impl Listed<'_> {
    fn at(&self) -> &str {
        match self {
            Listed::Send(i) => &i.at,
            Listed::Sink(s) => &s.at,
        }
    }
}

impl HistoryView {
    pub fn new(items: Vec<HistorySummary>) -> Self {
        Self {
            open: false,
            items,
            filter: String::new(),
            provider: String::new(),
            profile: String::new(),
            outcome: None,
            selected: None,
            sort: None,
            error: None,
            confirm: None,
            include_in_doubt: false,
            sinks: SinkSessions::default(),
        }
    }

    pub fn remove(&mut self, id: &str) {
        self.items.retain(|i| i.id != id);
    }

    /// A send just recorded: its row goes on top without reading the history again.
    pub fn add(&mut self, item: HistorySummary) {
        self.items.retain(|i| i.id != item.id);
        self.items.insert(0, item);
    }

    /// The list read again (a campaign folds its targets' rows into one).
    pub fn reload(&mut self, items: Vec<HistorySummary>) {
        self.items = items;
    }

    pub fn len(&self) -> usize {
        self.items.len() + self.sinks.list.len()
    }

    /// A sink session read back: it shows instead of a send.
    pub(super) fn show_sink(&mut self, opened: Opened) {
        self.selected = None;
        self.sinks.opened = Some(opened);
        self.error = None;
    }

    /// An entry the user picked, with its dump as lines.
    pub fn show(&mut self, entry: HistoryEntry) {
        let mut text = String::new();
        for r in &entry.results {
            text.push_str(&format!("== {}\n", r.outcome.summary));
            text.push_str(&dump::exchange_text(&r.exchange));
            text.push('\n');
        }
        let lines = text.lines().map(str::to_string).collect();
        self.selected = Some((entry, lines));
        self.sinks.opened = None;
        self.error = None;
        self.include_in_doubt = false;
    }
}

pub fn window(ctx: &egui::Context, view: &mut HistoryView, actions: &mut Actions) {
    if !view.open {
        return;
    }
    let mut open = true;
    let mut load = None;
    let mut load_sink = None;
    let mut compose = None;
    let mut delete = None;
    let mut resume = None;
    if let Some((id, audience, env)) = view.confirm.clone()
        && let Some(send) = super::send_bar::confirm_modal(ctx, &audience, &env)
    {
        view.confirm = None;
        if send {
            actions.push(Action::ResumeHistoryEntry {
                id,
                confirmed: true,
            });
        }
    }
    egui::Window::new("History")
        .open(&mut open)
        .default_size([760.0, 520.0])
        .show(ctx, |ui| {
            filters_ui(ui, view);
            let needle = view.filter.to_lowercase();
            let (provider, profile, outcome) =
                (view.provider.clone(), view.profile.clone(), view.outcome);
            let mut shown: Vec<Listed> = view
                .items
                .iter()
                .filter(|i| {
                    (provider.is_empty() || i.provider == provider)
                        && (profile.is_empty() || i.profile == profile)
                        && outcome.is_none_or(|ok| i.ok == ok)
                })
                .filter(|i| {
                    needle.is_empty()
                        || [&i.provider, &i.profile, &i.audience, &i.summary, &i.at]
                            .iter()
                            .any(|f| f.to_lowercase().contains(&needle))
                })
                .map(Listed::Send)
                .chain(
                    view.sinks
                        .list
                        .iter()
                        .filter(|s| {
                            history_sink::matches(s, (&provider, &profile, outcome), &needle)
                        })
                        .map(Listed::Sink),
                )
                .collect();
            // Both lists are newest first; RFC 3339 times in one zone sort as text.
            shown.sort_by(|a, b| b.at().cmp(a.at()));
            let rows: Vec<Row> = shown
                .iter()
                .map(|l| match l {
                    Listed::Send(i) => row(i),
                    Listed::Sink(s) => history_sink::row(s),
                })
                .collect();
            let selected_send = view.selected.as_ref().map(|(e, _)| e.id.as_str());
            let selected_sink = view.sinks.opened.as_ref().map(|o| o.session.header.session.as_str());
            let selected = shown.iter().position(|l| match l {
                Listed::Send(i) => Some(i.id.as_str()) == selected_send,
                Listed::Sink(s) => Some(s.id.as_str()) == selected_sink,
            });
            if view.items.is_empty() && view.sinks.list.is_empty() {
                ui.weak("No sends and no sink sessions yet.");
            } else if let Some(i) = table::show(
                ui,
                "history-table",
                &HEADERS,
                &rows,
                &mut view.sort,
                selected,
                (ui.available_height() * 0.4).max(120.0),
            ) {
                match shown[i] {
                    Listed::Send(i) => load = Some(i.id.clone()),
                    Listed::Sink(s) => load_sink = Some(s.id.clone()),
                }
            }
            ui.separator();
            {
                if let Some(e) = &view.error {
                    ui.colored_label(ok_color(ui, false), e);
                }
                if let Some(opened) = &mut view.sinks.opened {
                    history_sink::detail(ui, opened, actions);
                } else if let Some((entry, lines)) = &view.selected {
                    ui.label(
                        RichText::new(format!("To {} · profile {}", entry.audience, entry.profile))
                            .strong(),
                    );
                    let resumed_by = view
                        .items
                        .iter()
                        .find(|i| i.resumes.as_deref() == Some(entry.id.as_str()))
                        .map(|i| i.id.clone());
                    let in_doubt = entry.in_doubt.len();
                    let remaining = entry.to_resume(view.include_in_doubt).len();
                    match entry.state {
                        EntryState::Interrupted => {
                            ui.colored_label(ok_color(ui, false), entry.summary().summary);
                        }
                        EntryState::Running => {
                            ui.weak(entry.summary().summary);
                        }
                        EntryState::Finished if in_doubt > 0 => {
                            ui.weak(entry.summary().summary);
                        }
                        EntryState::Finished => {}
                    }
                    if let Some(of) = &entry.resumes {
                        ui.weak(format!("Resumes {of}"));
                    }
                    if let Some(by) = &resumed_by {
                        ui.weak(format!("Resumed by {by}"));
                    }
                    ui.horizontal(|ui| {
                        if resumed_by.is_none()
                            && entry.state != EntryState::Running
                            && in_doubt > 0
                        {
                            ui.checkbox(
                                &mut view.include_in_doubt,
                                format!("Also send to the {in_doubt} in doubt"),
                            )
                            .on_hover_text(format!(
                                "{}. Unticked, they are not sent again; ticked, they are, and may get it twice.",
                                crate::engine::in_doubt_words(in_doubt)
                            ));
                        }
                        if resumed_by.is_none()
                            && entry.state != EntryState::Running
                            && entry.recipient_count() > 0
                            && remaining > 0
                            && ui
                                .button(format!("Send to the remaining {remaining}"))
                                .on_hover_text(format!(
                                    "Send this draft again only to the {remaining} of {} recipients with no recorded success; the {} already reached are skipped{}. Recorded as a new history entry.",
                                    entry.recipient_count(),
                                    entry.done.len(),
                                    if in_doubt > 0 && !view.include_in_doubt {
                                        format!(", and so are the {in_doubt} in doubt")
                                    } else {
                                        String::new()
                                    }
                                ))
                                .clicked()
                        {
                            resume = Some(entry.id.clone());
                        }
                        if ui
                            .button("Compose again")
                            .on_hover_text("Load this send's draft into the composer")
                            .clicked()
                        {
                            compose = Some(entry.draft.clone());
                        }
                        if ui
                            .button("Delete")
                            .on_hover_text("Remove this entry from history")
                            .clicked()
                        {
                            delete = Some(entry.id.clone());
                        }
                    });
                    long_text(ui, "history-dump", lines, ui.available_height());
                } else {
                    ui.weak("Select a send to see what went over the wire, or a sink session to see what it received.");
                }
            }
        });
    if let Some(id) = load {
        actions.push(Action::ShowHistoryEntry(id));
    }
    if let Some(id) = load_sink {
        actions.push(Action::ShowSinkSession(id));
    }
    if let Some(id) = resume {
        actions.push(Action::ResumeHistoryEntry {
            id,
            confirmed: false,
        });
    }
    if let Some(id) = delete {
        view.selected = None;
        actions.push(Action::DeleteHistoryEntry(id));
    }
    if let Some(draft) = compose {
        actions.push(Action::LoadDraft(Box::new(draft)));
        open = false;
    }
    view.open = open;
}

const HEADERS: [Header; 6] = [
    Header {
        title: "Status",
        tooltip: "Whether every request of the send was accepted (a sink session: the worst of what was checked)",
        width: 60.0,
    },
    Header {
        title: "Kind",
        tooltip: "A send, a campaign, or a sink session (requests Pushdeck received as the provider)",
        width: 70.0,
    },
    Header {
        title: "Time",
        tooltip: "When it was sent (UTC)",
        width: 140.0,
    },
    Header {
        title: "Provider · profile",
        tooltip: "What it was sent with",
        width: 170.0,
    },
    Header {
        title: "Audience",
        tooltip: "Who it was sent to",
        width: 150.0,
    },
    Header {
        title: "Summary",
        tooltip: "What the provider answered",
        width: 160.0,
    },
];

fn row(item: &HistorySummary) -> Row {
    let time = item.at.get(..19).unwrap_or(&item.at).replace('T', " ");
    Row {
        cells: vec![
            Row::text(match item.state {
                EntryState::Finished if item.ok => "OK",
                EntryState::Finished => "Failed",
                EntryState::Interrupted => "Interrupted",
                EntryState::Running => "Sending",
            }),
            Row::text(if item.targets > 0 { "Campaign" } else { "Send" }),
            // RFC 3339 times in one zone sort as text.
            Row::text(time),
            Row::text(format!("{} · {}", item.provider, item.profile)),
            Row::text(&item.audience),
            Row::text(&item.summary),
        ],
    }
}

/// The filter field and the provider, profile and outcome pickers.
fn filters_ui(ui: &mut egui::Ui, view: &mut HistoryView) {
    text_field(
        ui,
        "Filter",
        &mut view.filter,
        "provider, profile, audience or text",
    );
    ui.horizontal(|ui| {
        let sinks = &view.sinks.list;
        let providers = distinct(
            (view.items.iter().map(|i| i.provider.as_str()))
                .chain(sinks.iter().map(|s| s.provider.as_str())),
        );
        let profiles = distinct(
            (view.items.iter().map(|i| i.profile.as_str()))
                .chain(sinks.iter().filter_map(|s| s.profile.as_deref())),
        );
        choice(ui, "Provider", &mut view.provider, &providers);
        choice(ui, "Profile", &mut view.profile, &profiles);
        let label = ui.label("Outcome");
        let shown = match view.outcome {
            None => "any",
            Some(true) => "accepted",
            Some(false) => "failed",
        };
        egui::ComboBox::from_id_salt("history-outcome")
            .selected_text(shown)
            .show_ui(ui, |ui| {
                ui.selectable_value(&mut view.outcome, None, "any");
                ui.selectable_value(&mut view.outcome, Some(true), "accepted");
                ui.selectable_value(&mut view.outcome, Some(false), "failed");
            })
            .response
            .labelled_by(label.id);
    });
}

fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = items.map(str::to_string).collect();
    v.sort();
    v.dedup();
    v
}

/// A labelled picker of one value among `options`, or any (empty).
fn choice(ui: &mut egui::Ui, label: &str, value: &mut String, options: &[String]) {
    let l = ui.label(label);
    let shown = if value.is_empty() {
        "any".to_string()
    } else {
        value.clone()
    };
    egui::ComboBox::from_id_salt(("history", label))
        .selected_text(shown)
        .show_ui(ui, |ui| {
            ui.selectable_value(value, String::new(), "any");
            for o in options {
                ui.selectable_value(value, o.clone(), o);
            }
        })
        .response
        .labelled_by(l.id);
}
