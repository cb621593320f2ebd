//! Sink sessions in the History window: listed among the sends by time (kind "Sink"), each opening
//! its requests, a picked one shown as the Sink view shows it (history keeps them redacted). The
//! panel does no I/O: `history_sink_run.rs` reads the store off the UI thread and fills this in.

use eframe::egui::{self, RichText};

use super::command::Actions;
use super::inspector;
use super::table::{self, Row, Sort};
use super::task::Task;
use super::widgets::ok_color;
use crate::finding::Level;
use crate::store::{SinkSession, SinkSummary};

pub(super) type Opening = Task<Result<Option<SinkSession>, String>>;

/// The sink sessions History lists, and the one opened.
pub struct SinkSessions {
    /// Newest first; a session still running is left out until it stops.
    pub(super) list: Vec<SinkSummary>,
    /// The list wants reading again (at the start, when a sink stops).
    pub(super) stale: bool,
    pub(super) loading: Option<Task<Vec<SinkSummary>>>,
    pub(super) opening: Option<(String, Opening)>,
    pub(super) opened: Option<Opened>,
}

impl Default for SinkSessions {
    fn default() -> Self {
        Self {
            list: Vec::new(),
            stale: true,
            loading: None,
            opening: None,
            opened: None,
        }
    }
}

impl SinkSessions {
    /// Reads the list again at the next frame (a sink just stopped).
    pub(super) fn refresh(&mut self) {
        self.stale = true;
    }
}

/// An opened session with its requests as rows, in the order received.
pub struct Opened {
    pub(super) session: SinkSession,
    rows: Vec<Row>,
    sort: Option<Sort>,
    picked: Option<usize>,
    /// The inspector shows the answer instead of the request.
    show_answer: bool,
    inspector: inspector::State,
}

impl Opened {
    pub(super) fn new(session: SinkSession) -> Self {
        let rows = session.arrivals.iter().map(super::sink::row).collect();
        Self {
            session,
            rows,
            sort: None,
            picked: None,
            show_answer: false,
            inspector: inspector::State::default(),
        }
    }
}

/// The worst level in a word, as the Sink view says it (the default fonts have no ✓ ⚠ ✗).
fn worst_word(level: Level) -> &'static str {
    match level {
        Level::Fail => "Problem",
        Level::Warn => "Warning",
        Level::Ok => "OK",
    }
}

fn received_words(n: usize) -> String {
    format!("{n} request{} received", if n == 1 { "" } else { "s" })
}

/// A session's row in the History list (the columns of `history::HEADERS`).
pub(super) fn row(s: &SinkSummary) -> Row {
    let time = s.at.get(..19).unwrap_or(&s.at).replace('T', " ");
    Row {
        cells: vec![
            Row::text(worst_word(s.worst)),
            Row::text("Sink"),
            Row::text(time),
            Row::text(format!(
                "{} · {}",
                s.provider,
                s.profile.as_deref().unwrap_or("no profile")
            )),
            Row::text(format!("at {}", s.base_url)),
            Row::text(received_words(s.requests)),
        ],
    }
}

/// Whether the History filters let the session through (`outcome`: no problem found, or one).
pub(super) fn matches(
    s: &SinkSummary,
    (provider, profile, outcome): (&str, &str, Option<bool>),
    needle: &str,
) -> bool {
    let profile_of = s.profile.as_deref().unwrap_or_default();
    (provider.is_empty() || s.provider == provider)
        && (profile.is_empty() || profile_of == profile)
        && outcome.is_none_or(|ok| (s.worst != Level::Fail) == ok)
        && (needle.is_empty()
            || [
                &s.provider,
                profile_of,
                &s.base_url,
                &s.summary,
                &s.at,
                "sink",
            ]
            .iter()
            .any(|f| f.to_lowercase().contains(needle)))
}

/// The opened session: where it listened, its requests, and the picked one in the inspector.
pub(super) fn detail(ui: &mut egui::Ui, opened: &mut Opened, actions: &mut Actions) {
    let header = &opened.session.header;
    let summary = opened.session.summary();
    ui.label(
        RichText::new(format!(
            "Sink · {} at {} · {}",
            header.provider,
            header.base_url,
            header
                .profile
                .as_deref()
                .map_or("no profile".to_string(), |p| format!("profile {p}"))
        ))
        .strong(),
    );
    ui.horizontal(|ui| {
        ui.colored_label(
            ok_color(ui, summary.worst != Level::Fail),
            format!(
                "{}, worst: {}",
                received_words(summary.requests),
                worst_word(summary.worst)
            ),
        );
        ui.weak(format!("session {}", summary.id))
            .on_hover_text("Its id for `pushdeck history show`");
    });
    if opened.rows.is_empty() {
        ui.weak("No request arrived while this sink listened.");
        return;
    }
    if let Some(i) = table::show(
        ui,
        "history-sink-requests",
        &super::sink::HEADERS,
        &opened.rows,
        &mut opened.sort,
        opened.picked,
        (ui.available_height() * 0.35).max(100.0),
    ) {
        opened.picked = Some(i);
    }
    ui.separator();
    let Some(record) = opened.picked.and_then(|i| opened.session.arrivals.get(i)) else {
        ui.weak("Pick a request to see it: what was checked, its headers and body, and the answer given.");
        return;
    };
    egui::ScrollArea::vertical()
        .id_salt("history-sink-request")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            super::sink::received(
                ui,
                (record, &record.exchange),
                (opened.picked.unwrap_or_default(), false),
                (&mut opened.show_answer, &mut opened.inspector),
                actions,
            );
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(worst: Level, profile: Option<&str>) -> SinkSummary {
        SinkSummary {
            id: "sink-20261204T000000000Z-abcd1234".into(),
            at: "2026-12-04T00:00:00.000Z".into(),
            provider: "ntfy".into(),
            profile: profile.map(str::to_string),
            base_url: "http://127.0.0.1:8080".into(),
            requests: 2,
            worst,
            summary: "sink: 2 requests received".into(),
        }
    }

    #[test]
    fn the_history_filters_apply_to_sessions() {
        let problem = session(Level::Fail, Some("alerts"));
        let fine = session(Level::Warn, None);
        let any = ("", "", None);
        assert!(matches(&problem, any, "") && matches(&fine, any, ""));
        assert!(
            matches(&problem, ("", "", Some(false)), ""),
            "failed: a problem"
        );
        assert!(
            !matches(&fine, ("", "", Some(false)), ""),
            "a warning is no failure"
        );
        assert!(matches(&fine, ("", "", Some(true)), ""));
        assert!(!matches(&problem, ("apns", "", None), ""));
        assert!(matches(&problem, ("ntfy", "alerts", None), ""));
        assert!(!matches(&fine, ("", "alerts", None), ""), "no profile");
        assert!(matches(&fine, any, "sink") && matches(&fine, any, "8080"));
        assert!(!matches(&fine, any, "deploys"));
    }

    #[test]
    fn a_session_row_says_kind_worst_and_count() {
        let cells: Vec<String> = row(&session(Level::Fail, None))
            .cells
            .into_iter()
            .map(|(text, _)| text)
            .collect();
        assert_eq!(
            cells,
            [
                "Problem",
                "Sink",
                "2026-12-04 00:00:00",
                "ntfy · no profile",
                "at http://127.0.0.1:8080",
                "2 requests received"
            ]
        );
    }
}
