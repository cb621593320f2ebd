//! Web Push: VAPID keys under the profile bar (generate, import, copy the applicationServerKey,
//! the service-worker snippet), the subscription list under the audience (paste, import a file,
//! remove), and after a send, one click to drop the subscriptions that are gone.

use std::sync::Arc;

use eframe::egui::{self, RichText};

use crate::engine::SendReport;
use crate::provider::webpush::subscription::{Subscription, parse_many};
use crate::provider::webpush::vapid::{VapidKey, check_subject};
use crate::provider::webpush::{self, SERVICE_WORKER_SNIPPET};
use crate::ui::command::{Action, Actions, Command};
use crate::ui::form::ComposerForm;
use crate::ui::view::View;
use crate::ui::widgets::{multiline_field, ok_color, text_field};
use file::{FilePrune, FileSummary, file_summary};

mod file;

const FIELD: &str = "subscriptions";

/// What the panel keeps between frames: typed input and the parsed list, re-read only when the
/// audience text changes.
#[derive(Default)]
pub struct State {
    paste: String,
    label: String,
    import_key: String,
    replace_key: bool,
    /// "Export private key…" was clicked: the confirmation shows until copied or cancelled.
    confirm_export: bool,
    /// Rejections from the last paste or import, in words.
    problems: Vec<String>,
    parsed_from: String,
    rows: Arc<Vec<Row>>,
    /// The gone subscriptions of the last report, found once per report.
    gone: Option<(Arc<SendReport>, Vec<String>)>,
    /// The subscriptions file named in the audience, counted on a background thread.
    file: Option<FileSummary>,
    /// The gone subscriptions of the last send from a file, and their removal from it.
    file_prune: Option<FilePrune>,
}

#[derive(Clone)]
struct Row {
    name: String,
    endpoint: String,
    /// Why the line cannot be used, when it cannot.
    problem: Option<String>,
    line: String,
}

fn rows_of(text: &str) -> Vec<Row> {
    text.lines()
        .map(|l| l.trim().trim_end_matches(','))
        .filter(|l| !l.is_empty() && *l != "[" && *l != "]")
        .map(|line| {
            let parsed = serde_json::from_str::<serde_json::Value>(line)
                .map_err(|e| format!("not JSON ({e})"))
                .and_then(|v| Subscription::from_value(&v));
            match parsed {
                Ok(s) => Row {
                    name: s.display_name(),
                    endpoint: s.endpoint,
                    problem: None,
                    line: line.to_string(),
                },
                Err(e) => Row {
                    name: "unusable".into(),
                    endpoint: line.chars().take(60).collect(),
                    problem: Some(e),
                    line: line.to_string(),
                },
            }
        })
        .collect()
}

fn audience_text(form: &ComposerForm) -> &str {
    form.audience.get(FIELD).map_or("", String::as_str)
}

fn set_lines(form: &mut ComposerForm, lines: Vec<String>) {
    form.audience.insert(FIELD.into(), lines.join("\n"));
}

/// Adds subscriptions from pasted text or a file; returns what happened in words.
pub fn add_subscriptions(form: &mut ComposerForm, text: &str, label: &str) -> (usize, Vec<String>) {
    let (found, rejected) = parse_many(text);
    let existing = rows_of(audience_text(form));
    let mut lines: Vec<String> = existing.iter().map(|r| r.line.clone()).collect();
    let mut added = 0;
    for mut s in found {
        if existing.iter().any(|r| r.endpoint == s.endpoint) {
            continue;
        }
        if s.label.is_none() && !label.trim().is_empty() {
            s.label = Some(label.trim().to_string());
        }
        lines.push(s.to_value().to_string());
        added += 1;
    }
    set_lines(form, lines);
    let problems = rejected
        .iter()
        .map(|r| format!("{}: {}", r.place, r.reason))
        .collect();
    (added, problems)
}

pub fn profile(ui: &mut egui::Ui, view: &View<'_>, state: &mut State, actions: &mut Actions) {
    let Some(profile) = view.profile else {
        return;
    };
    let has_private = view
        .secrets
        .is_some_and(|s| s.get("vapid_private_key").is_some());
    ui.add_space(4.0);
    // The profile's public key; or, when only the private key is known (a profile added again
    // from the command line loses its settings), the public half worked out from it: the key
    // exists, and "none yet" would say otherwise.
    let public = profile
        .setting("vapid_public_key")
        .map(str::to_string)
        .or_else(|| {
            let private = view.secrets?.get("vapid_private_key")?;
            VapidKey::import(private).ok().map(|k| k.public_key_b64())
        });
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new("VAPID keys").strong());
        match public.as_deref() {
            Some(public) => {
                ui.monospace(format!(
                    "{}…{}",
                    &public[..public.len().min(16)],
                    &public[public.len().saturating_sub(6)..]
                ))
                .on_hover_text(public);
                if ui
                    .button("Copy public key")
                    .on_hover_text(
                        "The applicationServerKey your page passes to pushManager.subscribe()",
                    )
                    .clicked()
                {
                    actions.push(Action::Copy {
                        text: public.to_string(),
                        what: "Public key",
                    });
                }
            }
            None => {
                ui.weak("none yet");
            }
        }
        let generate = ui
            .add_enabled(
                !has_private || state.replace_key,
                egui::Button::new("Generate keys"),
            )
            .on_hover_text("Make a new P-256 key pair: the private key goes to the keyring");
        if generate.clicked() {
            match VapidKey::generate() {
                Ok(key) => save_key(actions, &key),
                Err(e) => actions.note(false, e),
            }
            state.replace_key = false;
        }
        if has_private {
            ui.checkbox(&mut state.replace_key, "Replace")
                .on_hover_text("A new key breaks every subscription made with the current one");
            if ui
                .button("Export private key…")
                .on_hover_text("Copy the private key to the clipboard, after a confirmation")
                .clicked()
            {
                state.confirm_export = true;
            }
        }
    });
    if state.confirm_export {
        confirm_export(ui, view, state, actions);
    }
    if let Some(subject) = profile.setting("subject")
        && let Err(e) = check_subject(subject)
    {
        ui.colored_label(ok_color(ui, false), e);
    } else if profile.setting("subject").is_none() {
        ui.colored_label(
            ok_color(ui, false),
            "Set a subject (mailto:you@example.com) under Edit credentials: push services require it.",
        );
    }
    ui.collapsing("Import a private key", |ui| {
        ui.horizontal(|ui| {
            let label = ui.label("Private key");
            ui.add(
                egui::TextEdit::singleline(&mut state.import_key)
                    .password(true)
                    .hint_text("base64url or PEM")
                    .desired_width(220.0),
            )
            .labelled_by(label.id);
            let allowed = !has_private || state.replace_key;
            if ui
                .add_enabled(allowed, egui::Button::new("Import"))
                .on_hover_text("Keep using the key your subscriptions were made with")
                .clicked()
            {
                match VapidKey::import(&state.import_key) {
                    Ok(key) => {
                        save_key(actions, &key);
                        state.import_key.clear();
                        state.replace_key = false;
                    }
                    Err(e) => actions.note(false, format!("Key not imported: {e}")),
                }
            }
        });
    });
    ui.collapsing("Service worker snippet", |ui| {
        ui.weak("Put this in your service worker: it shows the payload exactly as sent.");
        if ui
            .button("Copy snippet")
            .on_hover_text("Copy the service-worker code")
            .clicked()
        {
            actions.push(Action::Copy {
                text: SERVICE_WORKER_SNIPPET.to_string(),
                what: "Snippet",
            });
        }
        egui::ScrollArea::vertical()
            .id_salt("sw-snippet")
            .max_height(140.0)
            .show(ui, |ui| {
                ui.monospace(SERVICE_WORKER_SNIPPET);
            });
    });
}

/// Asks before the private key goes to the clipboard; it is never shown.
fn confirm_export(ui: &mut egui::Ui, view: &View<'_>, state: &mut State, actions: &mut Actions) {
    ui.group(|ui| {
        ui.colored_label(
            ok_color(ui, false),
            "Anyone who has the private key can send pushes as this site. Copy it to the clipboard?",
        );
        ui.horizontal(|ui| {
            if ui.button("Copy private key").clicked() {
                let private = view
                    .secrets
                    .and_then(|s| s.get("vapid_private_key"))
                    .ok_or_else(|| "this profile has no VAPID private key".to_string())
                    .and_then(VapidKey::import)
                    .and_then(|key| key.private_key_b64());
                match private {
                    Ok(text) => actions.push(Action::Copy {
                        text,
                        what: "Private key",
                    }),
                    Err(e) => actions.note(false, format!("Key not exported: {e}")),
                }
                state.confirm_export = false;
            }
            if ui.button("Cancel").clicked() {
                state.confirm_export = false;
            }
        });
    });
}

/// The private key goes to the keyring and the public one into the profile (by the app).
fn save_key(actions: &mut Actions, key: &VapidKey) {
    match key.private_key_b64() {
        Ok(private_key) => actions.push(Action::StoreVapidKey {
            private_key,
            public_key: key.public_key_b64(),
        }),
        Err(e) => actions.note(false, e),
    }
}

pub fn audience(
    ui: &mut egui::Ui,
    _view: &View<'_>,
    form: &mut ComposerForm,
    state: &mut State,
    actions: &mut Actions,
) {
    let file = form
        .audience
        .get(webpush::FILE_FIELD)
        .map_or("", |f| f.trim())
        .to_string();
    if !file.is_empty() {
        return file_summary(ui, &mut state.file, &file);
    }
    let text = audience_text(form);
    if state.parsed_from != text {
        state.rows = Arc::new(rows_of(text));
        state.parsed_from = text.to_string();
    }
    let rows = state.rows.clone();
    let usable = rows.iter().filter(|r| r.problem.is_none()).count();
    ui.label(
        RichText::new(match usable {
            0 => "Subscriptions: none yet".to_string(),
            1 => "Subscriptions: 1".to_string(),
            n => format!("Subscriptions: {n}"),
        })
        .strong(),
    );
    // A pasted file of subscriptions must not push the buttons off screen.
    egui::ScrollArea::vertical()
        .id_salt("webpush-paste")
        .max_height(90.0)
        .show(ui, |ui| {
            multiline_field(
                ui,
                "Paste subscription",
                &mut state.paste,
                "JSON.stringify(subscription) from the page: one, a JSON array, or one per line",
                2,
            );
        });
    ui.horizontal(|ui| {
        text_field(ui, "Label", &mut state.label, "optional, e.g. Ana's laptop");
    });
    ui.horizontal(|ui| {
        if ui
            .add_enabled(!state.paste.trim().is_empty(), egui::Button::new("Add"))
            .on_hover_text("Check the pasted subscription(s) and add the usable ones")
            .clicked()
        {
            let (added, problems) = add_subscriptions(form, &state.paste, &state.label);
            if problems.is_empty() {
                state.paste.clear();
                state.label.clear();
            }
            actions.note(
                problems.is_empty(),
                format!("Added {added} subscription(s)"),
            );
            state.problems = problems;
        }
        if Command::ImportSubscriptions.button(ui, true) {
            actions.run(Command::ImportSubscriptions);
        }
    });
    for p in &state.problems {
        ui.colored_label(ok_color(ui, false), format!("Left out: {p}"));
    }
    let mut remove: Option<usize> = None;
    if !rows.is_empty() {
        let row_height = ui.spacing().interact_size.y;
        // Only the visible rows are laid out: thousands of subscriptions stay cheap.
        egui::ScrollArea::vertical()
            .id_salt("webpush-subscriptions")
            .max_height(180.0)
            .show_rows(ui, row_height, rows.len(), |ui, range| {
                for i in range {
                    let row = &rows[i];
                    ui.horizontal(|ui| {
                        if ui
                            .small_button("×")
                            .on_hover_text(format!("Remove {}", row.name))
                            .clicked()
                        {
                            remove = Some(i);
                        }
                        match &row.problem {
                            None => {
                                ui.label(&row.name).on_hover_text(&row.endpoint);
                            }
                            Some(p) => {
                                ui.colored_label(ok_color(ui, false), format!("unusable: {p}"))
                                    .on_hover_text(&row.endpoint);
                            }
                        }
                    });
                }
            });
    }
    if let Some(i) = remove {
        let lines = rows
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, r)| r.line.clone())
            .collect();
        set_lines(form, lines);
    }
}

/// Endpoints the last send found gone (404/410), taken from the draft that was sent.
fn gone_endpoints(report: &SendReport, sent: Option<&crate::draft::Draft>) -> Vec<String> {
    let Some(sent) = sent else {
        return Vec::new();
    };
    let Ok(subs) = webpush::subscriptions(sent) else {
        return Vec::new();
    };
    report
        .results
        .iter()
        .filter(|r| r.outcome.gone)
        .filter_map(|r| subs.get(r.index).map(|s| s.endpoint.clone()))
        .collect()
}

pub fn response(
    ui: &mut egui::Ui,
    view: &View<'_>,
    form: &mut ComposerForm,
    state: &mut State,
    actions: &mut Actions,
) {
    let Some(report) = view.last_report else {
        return;
    };
    if let Some(path) = view
        .last_sent
        .and_then(|d| d.audience.get(webpush::FILE_FIELD))
        .and_then(|f| f.as_str())
        .filter(|f| !f.trim().is_empty())
    {
        return file::gone(
            ui,
            (&mut state.file_prune, &mut state.file),
            report,
            path.trim(),
            actions,
        );
    }
    // Reading the sent draft's subscriptions is done once per report, not per frame.
    let gone = match &state.gone {
        Some((seen, gone)) if Arc::ptr_eq(seen, report) => gone,
        _ => {
            let gone = gone_endpoints(report, view.last_sent);
            &state.gone.insert((report.clone(), gone)).1
        }
    };
    if gone.is_empty() {
        return;
    }
    let present: Vec<String> = state
        .rows
        .iter()
        .filter(|r| gone.contains(&r.endpoint))
        .map(|r| r.line.clone())
        .collect();
    if present.is_empty() {
        return;
    }
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(
            ok_color(ui, false),
            format!(
                "{} subscription(s) are gone: the browser unsubscribed or they expired.",
                present.len()
            ),
        );
        if ui
            .button(format!("Remove {} gone", present.len()))
            .on_hover_text("Take them out of the subscription list (they will never work again)")
            .clicked()
        {
            let kept = rows_of(audience_text(form))
                .into_iter()
                .filter(|r| !present.contains(&r.line))
                .map(|r| r.line)
                .collect();
            set_lines(form, kept);
            actions.note(
                true,
                format!("Removed {} gone subscription(s)", present.len()),
            );
        }
    });
}
