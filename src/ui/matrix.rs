//! A campaign's results as a matrix: one row per target (status, time, outcome in words), its
//! recipients inside a collapsible row when it fanned out, each result's exchange one click away,
//! and "Retry failed", which sends again only what failed.

use eframe::egui::{self, RichText};

use super::campaign::{CampaignState, Step, TargetRun};
use super::command::Actions;
use super::widgets::ok_color;
use crate::engine::SendResult;
use crate::http::dump;
use crate::outcome::Verdict;

pub fn show(ui: &mut egui::Ui, state: &CampaignState, sending: bool, actions: &mut Actions) {
    if state.runs.is_empty() {
        return;
    }
    ui.separator();
    ui.horizontal(|ui| {
        ui.heading("Results");
        let failed = state
            .runs
            .iter()
            .any(|r| r.finished && r.failed() > 0 && r.history_id.is_some());
        if ui
            .add_enabled(failed && !sending, egui::Button::new("Retry failed"))
            .on_hover_text(
                "Send again only what failed: each failed target, and inside a fan-out only its recipients with no recorded success",
            )
            .on_disabled_hover_text("Nothing failed")
            .clicked()
        {
            actions.campaign(Step::RetryFailed);
        }
    });
    egui::Grid::new("campaign-matrix")
        .striped(true)
        .num_columns(5)
        // Long outcomes wrap: the matrix never pushes the composer away.
        .max_col_width(190.0)
        .show(ui, |ui| {
            for h in ["Target", "Status", "Time", "Outcome", ""] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for run in &state.runs {
                target_rows(ui, state, run, actions);
            }
        });
    if let Some((t, r)) = state.shown
        && let Some(result) = state
            .runs
            .iter()
            .find(|run| run.index == t)
            .and_then(|run| run.results.get(r))
    {
        ui.separator();
        ui.label(RichText::new("Exchange").strong());
        let text = dump::exchange_text(&result.exchange.redacted());
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        super::widgets::long_text(ui, "campaign-exchange", &lines, 260.0);
    }
}

/// A target's row and, when its fan-out is opened, one row per recipient.
fn target_rows(ui: &mut egui::Ui, state: &CampaignState, run: &TargetRun, actions: &mut Actions) {
    let name = format!("{} · {}", run.profile, run.provider);
    let (ok, status, outcome) = if let Some(e) = &run.error {
        (false, "not sent".to_string(), e.clone())
    } else if !run.finished {
        (
            true,
            format!("{} of {}", run.results.len(), run.total.max(1)),
            "sending…".to_string(),
        )
    } else {
        match run.results.as_slice() {
            [] => (false, "—".into(), "nothing was sent".into()),
            [one] => (
                one.outcome.is_ok(),
                status_of(one),
                one.outcome.summary.clone(),
            ),
            many => {
                let good = many.iter().filter(|r| r.outcome.is_ok()).count();
                (
                    good == many.len(),
                    format!("{good} of {}", many.len()),
                    format!("{good} of {} recipients accepted", many.len()),
                )
            }
        }
    };
    let fan_out = run.results.len() > 1;
    let id = ui.make_persistent_id(("campaign-recipients", run.index));
    let mut open = ui.data_mut(|d| *d.get_persisted_mut_or(id, false));
    if fan_out {
        let arrow = if open { "⏷" } else { "⏵" };
        if ui
            .selectable_label(open, format!("{arrow} {name}"))
            .on_hover_text("Show or hide one row per recipient of this target's fan-out")
            .clicked()
        {
            open = !open;
            ui.data_mut(|d| d.insert_persisted(id, open));
        }
    } else {
        ui.label(name);
    }
    ui.label(RichText::new(status).color(ok_color(ui, ok)));
    ui.label(time_of(&run.results));
    ui.add(egui::Label::new(outcome).wrap());
    if run.results.len() == 1 {
        exchange_button(ui, state, run.index, 0, actions);
    } else {
        ui.label("");
    }
    ui.end_row();
    if fan_out && open {
        for (i, r) in run.results.iter().enumerate() {
            recipient_row(ui, state, run.index, i, r, actions);
        }
    }
}

fn recipient_row(
    ui: &mut egui::Ui,
    state: &CampaignState,
    target: usize,
    i: usize,
    r: &SendResult,
    actions: &mut Actions,
) {
    let mark = if r.outcome.is_ok() { "✓" } else { "✗" };
    let who = r
        .exchange
        .request
        .redacted()
        .recipient
        .unwrap_or_else(|| format!("request {}", i + 1));
    ui.label(RichText::new(format!("    {mark} {who}")).color(ok_color(ui, r.outcome.is_ok())));
    ui.label(status_of(r));
    ui.label(format!("{:.0} ms", r.exchange.elapsed_ms));
    ui.add(egui::Label::new(&r.outcome.summary).wrap());
    exchange_button(ui, state, target, i, actions);
    ui.end_row();
}

fn exchange_button(
    ui: &mut egui::Ui,
    state: &CampaignState,
    target: usize,
    i: usize,
    actions: &mut Actions,
) {
    let open = state.shown == Some((target, i));
    if ui
        .small_button(if open { "Hide exchange" } else { "Exchange" })
        .on_hover_text("The request and response of this result (secrets masked)")
        .clicked()
    {
        actions.campaign(Step::Exchange(target, i));
    }
}

fn status_of(r: &SendResult) -> String {
    match (&r.exchange.response, r.outcome.verdict) {
        (Some(resp), _) => resp.status.to_string(),
        (None, Verdict::NotSent) => "not sent".into(),
        (None, _) => "no answer".into(),
    }
}

/// The slowest request's time: when the target was done.
fn time_of(results: &[std::sync::Arc<SendResult>]) -> String {
    let ms = results
        .iter()
        .map(|r| r.exchange.elapsed_ms)
        .fold(0.0_f64, f64::max);
    if results.is_empty() {
        String::new()
    } else {
        format!("{ms:.0} ms")
    }
}
