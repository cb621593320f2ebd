//! The right-hand pane: Request (what Send will do, live as you type, secrets masked) and Response
//! (status, headers, body, time, and the outcome in words).

use eframe::egui::{self, RichText};

use std::sync::Arc;

use super::code::{Lang, code_lines};
use super::command::{Action, Actions, Command};
use super::extras::{self, Panels};
use super::form::ComposerForm;
use super::images::PreviewImages;
use super::table::{self, Header, Row, Sort};
use super::view::View;
use super::widgets::{note_color, ok_color};
use crate::http::{self, Body, Exchange, PreparedRequest, dump};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RightTab {
    Preview,
    Request,
    Response,
}

/// The pane's state in one provider tab.
#[derive(Default)]
pub struct State {
    /// The row picked among a fan-out's results.
    pub selected_result: usize,
    /// Show the response body exactly as received instead of pretty-printed.
    response_raw: bool,
    /// Raw payload mode: show the diff against the generated payload.
    pub(super) show_raw_diff: bool,
    /// The language the Preview shows (empty: the default language).
    pub(super) preview_lang: String,
    /// The exchange shown in the Response pane, redacted and split into lines once.
    response: Option<Arc<ResponseView>>,
    /// A fan-out's results as table rows, made once per report (keyed by its address).
    result_rows: Option<(usize, Vec<Row>)>,
    result_sort: Option<Sort>,
}

/// What the pane may change.
pub struct Parts<'a> {
    pub right: &'a mut RightTab,
    pub state: &'a mut State,
    pub form: &'a mut ComposerForm,
    pub panels: &'a mut Panels,
    pub images: &'a mut PreviewImages,
}

pub fn show(ui: &mut egui::Ui, view: &View<'_>, parts: Parts<'_>, actions: &mut Actions) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        for (tab, name, tip) in [
            (RightTab::Preview, "Preview", "How recipients will see it"),
            (
                RightTab::Request,
                "Request",
                "The exact request Send will make",
            ),
            (RightTab::Response, "Response", "What the provider answered"),
        ] {
            if ui
                .selectable_label(*parts.right == tab, name)
                .on_hover_text(tip)
                .clicked()
                && *parts.right != tab
            {
                *parts.right = tab;
                actions.push(Action::Reveal(false)); // a reveal lasts until the pane changes
            }
        }
    });
    ui.separator();
    match parts.right {
        RightTab::Preview => {
            super::preview::show(ui, view, &mut parts.state.preview_lang, parts.images)
        }
        RightTab::Request => request_tab(ui, view, parts.state, parts.form, actions),
        RightTab::Response => {
            response_tab(ui, view, parts.state, parts.panels, parts.form, actions)
        }
    }
}

fn headers_grid(ui: &mut egui::Ui, id: &str, headers: &[(String, String)]) {
    egui::Grid::new(id)
        .striped(true)
        .num_columns(2)
        .show(ui, |ui| {
            for (name, value) in headers {
                ui.label(RichText::new(name).monospace().weak());
                ui.add(
                    egui::Label::new(RichText::new(value).monospace())
                        .selectable(true)
                        .wrap(),
                );
                ui.end_row();
            }
        });
}

fn body_lang(headers: &[(String, String)], body: &Body) -> Lang {
    let ct = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.as_str());
    Lang::detect(ct, body.as_text().unwrap_or(""))
}

/// Human sizes: 612 bytes, 4.2 KB, 5.1 MB.
pub fn size_text(n: usize) -> String {
    match n {
        0..1000 => format!("{n} bytes"),
        1000..1_000_000 => format!("{:.1} KB", n as f64 / 1000.0),
        _ => format!("{:.1} MB", n as f64 / 1_000_000.0),
    }
}

/// Longest row the code view lays out; a longer line (a minified 10 MB answer is one line) is
/// shown over several rows, so a frame never lays out megabytes of text.
const MAX_ROW_CHARS: usize = 2000;

fn split_long(text: &str) -> Vec<String> {
    let mut rows = Vec::new();
    for line in text.lines() {
        if line.len() <= MAX_ROW_CHARS {
            rows.push(line.to_string());
            continue;
        }
        let mut rest = line;
        while !rest.is_empty() {
            let mut cut = rest.len().min(MAX_ROW_CHARS);
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let (row, tail) = rest.split_at(cut);
            rows.push(row.to_string());
            rest = tail;
        }
    }
    rows
}

fn body_lines(body: &Body) -> Vec<String> {
    match body {
        Body::Empty => Vec::new(),
        Body::Text(t) => split_long(&dump::pretty_if_json(t)),
        Body::Bytes(b) => vec![format!("[{} bytes of binary data]", b.len())],
    }
}

/// The live request: `Some` with the form (raw editing) in the Request pane, `None` for a
/// request as sent (or as a sink received it).
struct Live<'a> {
    view: &'a View<'a>,
    form: &'a mut ComposerForm,
    state: &'a mut State,
}

fn request_view(
    ui: &mut egui::Ui,
    reveal: bool,
    request: &PreparedRequest,
    mut live: Option<Live<'_>>,
    id: &str,
    actions: &mut Actions,
) {
    let shown = if reveal {
        request.clone()
    } else {
        request.redacted()
    };
    ui.horizontal(|ui| {
        ui.label(RichText::new(&shown.method).monospace().strong());
        ui.add(
            egui::Label::new(RichText::new(&shown.url).monospace())
                .selectable(true)
                .wrap(),
        );
    });
    ui.horizontal(|ui| {
        if !request.secrets.is_empty() {
            let (label, tip) = if reveal {
                ("Hide secrets", "Mask the secrets again")
            } else {
                (
                    "Reveal",
                    "Show the secrets in this pane until you switch panes (never saved)",
                )
            };
            if ui.button(label).on_hover_text(tip).clicked() {
                actions.push(Action::Reveal(!reveal));
            }
        }
        if Command::CopyAsCurl.button(ui, true) {
            let curl = http::to_curl(request, false);
            actions.push(Action::Copy {
                text: curl,
                what: "curl command",
            });
        }
        if Command::CopyBody.button(ui, true) {
            let text = shown.body.as_text().unwrap_or("").to_string();
            actions.push(Action::Copy { text, what: "Body" });
        }
        if let Some(live) = &mut live {
            super::raw::toggle(ui, live.view, live.form, actions);
        }
    });
    headers_grid(ui, &format!("{id}-headers"), &shown.headers);
    ui.add_space(4.0);
    if let Some(live) = live.as_mut().filter(|l| super::raw::is_active(l.form)) {
        super::raw::editor(ui, live.view, live.form, &mut live.state.show_raw_diff);
        return;
    }
    let (lines, lang) = match (&shown.body, &shown.plaintext) {
        // An encrypted body (Web Push) is unreadable: show what was encrypted.
        (Body::Bytes(b), Some(plain)) => {
            ui.weak(format!(
                "Encrypted body: {} ({}); the plaintext before encryption:",
                size_text(b.len()),
                shown.header_value("Content-Encoding").unwrap_or("binary")
            ));
            let lines = dump::pretty_if_json(plain)
                .lines()
                .map(str::to_string)
                .collect();
            (lines, Lang::detect(Some("application/json"), plain))
        }
        _ => (
            body_lines(&shown.body),
            body_lang(&shown.headers, &shown.body),
        ),
    };
    let height = (ui.available_height() - 24.0).max(80.0);
    code_lines(ui, &format!("{id}-body"), &lines, lang, height);
    let mask = if reveal {
        "secrets shown"
    } else {
        "secrets masked"
    };
    let live = if live.is_some() {
        " · updates as you type"
    } else {
        ""
    };
    let route = shown
        .notable_route()
        .map(|r| format!(" · {r}"))
        .unwrap_or_default();
    ui.weak(format!("{}{live} · {mask}{route}", size_text(shown.body.len())))
        .on_hover_text("How this request reaches its host: the profile's proxy setting, or the HTTPS_PROXY / ALL_PROXY / NO_PROXY environment variables as curl reads them");
}

fn request_tab(
    ui: &mut egui::Ui,
    view: &View<'_>,
    state: &mut State,
    form: &mut ComposerForm,
    actions: &mut Actions,
) {
    match &view.compiled.prepared {
        Ok(prepared) => {
            for w in &prepared.warnings {
                ui.colored_label(note_color(ui), format!("Note: {w}"));
            }
            let total = view.compiled.total;
            if total > 1 {
                ui.weak(format!("{total} requests; the first is shown."));
            }
            if let Some(first) = prepared.requests.first() {
                let live = Live { view, form, state };
                request_view(ui, view.reveal, first, Some(live), "request", actions);
            }
        }
        Err(e) => {
            ui.label(RichText::new("Not ready to send").strong());
            ui.colored_label(ok_color(ui, false), e);
            // A raw edit that does not parse must stay editable.
            if super::raw::is_active(form) {
                super::raw::editor(ui, view, form, &mut state.show_raw_diff);
            }
        }
    }
}

/// The exchange of the Response pane as shown (redacted unless revealed) and its body as lines.
struct ResponseView {
    key: (usize, bool, bool, String, usize),
    exchange: Exchange,
    lines: Arc<Vec<String>>,
}

fn response_view(
    cache: &mut Option<Arc<ResponseView>>,
    exchange: &Exchange,
    (selected, reveal, raw): (usize, bool, bool),
) -> Arc<ResponseView> {
    let body_len = exchange.response.as_ref().map_or(0, |r| r.body.len());
    let key = (selected, reveal, raw, exchange.started_at.clone(), body_len);
    if let Some(view) = cache.as_ref().filter(|v| v.key == key) {
        return view.clone();
    }
    let shown = if reveal {
        exchange.clone()
    } else {
        exchange.redacted()
    };
    let lines = match &shown.response {
        Some(r) if raw => match &r.body {
            Body::Text(t) => split_long(t),
            other => body_lines(other),
        },
        Some(r) => body_lines(&r.body),
        None => Vec::new(),
    };
    let view = Arc::new(ResponseView {
        key,
        exchange: shown,
        lines: Arc::new(lines),
    });
    *cache = Some(view.clone());
    view
}

fn response_tab(
    ui: &mut egui::Ui,
    view: &View<'_>,
    state: &mut State,
    panels: &mut Panels,
    form: &mut ComposerForm,
    actions: &mut Actions,
) {
    if let Some(active) = view.sending {
        ui.horizontal(|ui| {
            ui.spinner();
            ui.label(format!(
                "Sending… {} of {} done",
                active.done,
                active.total.max(1)
            ));
        });
        if active.total > 1 {
            ui.add(
                egui::ProgressBar::new(active.done as f32 / active.total as f32).show_percentage(),
            );
        }
        return;
    }
    let Some(report) = view.last_report.cloned() else {
        ui.weak("Send something to see the provider's answer here.");
        return;
    };
    extras::response(ui, view, form, panels, actions);
    if report.results.len() > 1 {
        results_list(ui, &report, state, actions);
    }
    let Some(result) = report
        .results
        .get(state.selected_result)
        .or(report.results.first())
    else {
        ui.weak("Nothing was sent.");
        return;
    };
    let ok = result.outcome.is_ok();
    ui.label(
        RichText::new(&result.outcome.summary)
            .strong()
            .color(ok_color(ui, ok)),
    );
    if let Some(h) = &result.outcome.hint {
        ui.label(format!("What to do: {h}"));
    }
    // Redacting and splitting a body of megabytes is done once per shown exchange, not per frame.
    let shown = response_view(
        &mut state.response,
        &result.exchange,
        (state.selected_result, view.reveal, state.response_raw),
    );
    response_parts(
        ui,
        &result.exchange,
        &shown,
        &mut state.response_raw,
        actions,
    );
    egui::CollapsingHeader::new("Request as sent")
        .default_open(false)
        .show(ui, |ui| {
            let request = result.exchange.request.clone();
            request_view(ui, view.reveal, &request, None, "sent", actions);
        });
}

/// A request the sink received (`answer` false: its headers, body pretty, the decrypted
/// plaintext) or the answer it gave, in the panes' own layout; `key` tells arrivals apart in the
/// cache.
pub(super) fn received(
    ui: &mut egui::Ui,
    exchange: &Exchange,
    (key, reveal, answer): (usize, bool, bool),
    state: &mut State,
    actions: &mut Actions,
) {
    if !answer {
        return request_view(ui, reveal, &exchange.request, None, "received", actions);
    }
    let shown = response_view(
        &mut state.response,
        exchange,
        (key, reveal, state.response_raw),
    );
    response_parts(ui, exchange, &shown, &mut state.response_raw, actions);
}

/// The response of an exchange as shown (status, headers, body pretty or raw, copy and save);
/// `original` is what Save exchange… redacts and writes.
fn response_parts(
    ui: &mut egui::Ui,
    original: &Exchange,
    shown: &ResponseView,
    raw: &mut bool,
    actions: &mut Actions,
) {
    match &shown.exchange.response {
        Some(r) => {
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!("{} {}", r.status, r.reason))
                        .monospace()
                        .strong(),
                );
                let cut = if r.truncated {
                    " (cut: the server sent more than Pushdeck keeps)"
                } else {
                    ""
                };
                ui.weak(format!(
                    "{} · {:.0} ms · {}{cut}",
                    r.version,
                    shown.exchange.elapsed_ms,
                    size_text(r.body.len())
                ));
            });
            egui::CollapsingHeader::new("Response headers")
                .default_open(true)
                .show(ui, |ui| headers_grid(ui, "response-headers", &r.headers));
            ui.horizontal(|ui| {
                ui.selectable_value(raw, false, "Pretty")
                    .on_hover_text("JSON indented for reading");
                ui.selectable_value(raw, true, "Raw")
                    .on_hover_text("The body exactly as it arrived");
            });
            let lang = body_lang(&r.headers, &r.body);
            let height = (ui.available_height() * 0.6).max(80.0);
            code_lines(ui, "response-body", &shown.lines, lang, height);
            if Command::CopyResponseBody.button(ui, true) {
                let text = r.body.as_text().unwrap_or("").to_string();
                actions.push(Action::Copy {
                    text,
                    what: "Response body",
                });
            }
            if Command::SaveExchange.button(ui, true) {
                let dump = dump::exchange_text(&original.redacted());
                actions.push(Action::SaveExchange(dump));
            }
        }
        None => {
            if let Some(e) = &shown.exchange.error {
                ui.label(format!("No response: {}", e.message));
                ui.weak(&e.detail);
            }
        }
    }
}

const RESULT_HEADERS: [Header; 4] = [
    Header {
        title: "Status",
        tooltip: "The HTTP status the provider answered with",
        width: 60.0,
    },
    Header {
        title: "Recipient",
        tooltip: "Who the request was for",
        width: 170.0,
    },
    Header {
        title: "Time",
        tooltip: "How long the request took",
        width: 70.0,
    },
    Header {
        title: "Outcome",
        tooltip: "What the answer means",
        width: 140.0,
    },
];

/// One row per request of a fan-out; picking one shows its exchange below.
fn results_list(
    ui: &mut egui::Ui,
    report: &Arc<crate::engine::SendReport>,
    state: &mut State,
    actions: &mut Actions,
) {
    let key = Arc::as_ptr(report) as usize;
    if state.result_rows.as_ref().is_none_or(|(k, _)| *k != key) {
        // Redacting every request once per report, not once per row per frame.
        let rows = report
            .results
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let (status, code) = match &r.exchange.response {
                    Some(response) => (response.status.to_string(), f64::from(response.status)),
                    None => ("—".to_string(), 0.0),
                };
                let who = r
                    .exchange
                    .request
                    .redacted()
                    .recipient
                    .unwrap_or_else(|| format!("request {}", i + 1));
                let mark = if r.outcome.is_ok() { "OK" } else { "Failed" };
                Row {
                    cells: vec![
                        Row::number(status, code),
                        Row::text(who),
                        Row::number(
                            format!("{:.0} ms", r.exchange.elapsed_ms),
                            r.exchange.elapsed_ms,
                        ),
                        Row::text(format!("{mark}: {}", r.outcome.summary)),
                    ],
                }
            })
            .collect();
        state.result_rows = Some((key, rows));
    }
    let Some((_, rows)) = &state.result_rows else {
        return;
    };
    if let Some(i) = table::show(
        ui,
        "results",
        &RESULT_HEADERS,
        rows,
        &mut state.result_sort,
        Some(state.selected_result),
        160.0,
    ) {
        state.selected_result = i;
        actions.push(Action::Reveal(false));
    }
    ui.separator();
}

#[cfg(test)]
mod long_lines {
    use super::*;

    #[test]
    fn a_huge_line_becomes_bounded_rows_without_splitting_a_character() {
        let line = "é".repeat(3000); // 6000 bytes
        let rows = split_long(&format!("short\n{line}\nend"));
        assert_eq!(rows.first().map(String::as_str), Some("short"));
        assert_eq!(rows.last().map(String::as_str), Some("end"));
        assert!(rows.iter().all(|r| r.len() <= MAX_ROW_CHARS));
        assert_eq!(rows[1..rows.len() - 1].concat(), line);
    }
}
