//! APNs, below the Push type choice: what the chosen push type needs (topic suffix, priority,
//! payload) and the Live Activity composer (start / update / end), which writes
//! `options.live_activity` as the draft holds it. Broadcast channels are named as not available.

use eframe::egui::{self, RichText};
use serde_json::{Map, Value, json};

use crate::provider::apns::live_activity::EVENTS;
use crate::provider::apns::push_types::rule;
use crate::ui::form::ComposerForm;
use crate::ui::widgets::{multiline_field, note_color, text_field};

/// The composer's text, kept while it does not parse yet (a half-typed JSON object).
#[derive(Default, PartialEq, Clone)]
pub struct State {
    event: String,
    content_state: String,
    attributes_type: String,
    attributes: String,
    stale_date: String,
    dismissal_date: String,
    relevance_score: String,
    alert_title: String,
    alert_body: String,
    alert_sound: String,
    /// What the composer last wrote into the form: anything else there was typed or opened
    /// elsewhere, and is read back in.
    written: String,
    problem: Option<String>,
}

/// The push type the draft goes out with, as the provider picks it.
fn push_type(form: &ComposerForm) -> &str {
    let chosen = form
        .options
        .get("push_type")
        .map(|s| s.trim())
        .unwrap_or("");
    if !chosen.is_empty() {
        chosen
    } else if form
        .options
        .get("live_activity")
        .is_some_and(|s| !s.trim().is_empty())
    {
        "liveactivity"
    } else if form.silent {
        "background"
    } else {
        "alert"
    }
}

pub fn below_push_type(ui: &mut egui::Ui, form: &mut ComposerForm, state: &mut State) {
    let t = rule(push_type(form));
    ui.label(
        RichText::new(format!(
            "{}: {}. Priority {}.",
            t.name,
            t.about,
            t.priorities.join(" or ")
        ))
        .small()
        .color(note_color(ui)),
    )
    .on_hover_text("Pushdeck sets apns-push-type, the topic suffix and a priority Apple accepts, and checks the payload before sending");
    if !t.confirmed {
        ui.label(
            RichText::new(
                "Not confirmed by Pushdeck's APNs reference: these rules follow Apple's page for this push type.",
            )
            .small()
            .color(note_color(ui)),
        );
    }
    ui.label(
        RichText::new(
            "Broadcast channels (iOS 18) are not available: Pushdeck's APNs reference does not document Apple's channel management API.",
        )
        .small()
        .color(note_color(ui)),
    );
    if t.name == "liveactivity" {
        live_activity(ui, form, state);
    }
}

fn live_activity(ui: &mut egui::Ui, form: &mut ComposerForm, state: &mut State) {
    let current = form
        .options
        .get("live_activity")
        .cloned()
        .unwrap_or_default();
    if current != state.written {
        read(state, &current);
    }
    ui.add_space(4.0);
    ui.label(RichText::new("Live Activity").strong());
    let before = state.clone();
    let label = ui.label("Live Activity event");
    let shown = if state.event.is_empty() {
        "choose…".to_string()
    } else {
        state.event.clone()
    };
    egui::ComboBox::from_id_salt("apns-live-activity-event")
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for e in EVENTS {
                ui.selectable_value(&mut state.event, (*e).to_string(), *e);
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text("start (push-to-start token), update (new content state) or end");
    multiline_field(
        ui,
        "Content state (JSON)",
        &mut state.content_state,
        "{\"status\": \"on the way\"}: the ContentState of the app's ActivityAttributes",
        3,
    )
    .on_hover_text("aps.content-state");
    if state.event == "start" {
        text_field(
            ui,
            "Attributes type",
            &mut state.attributes_type,
            "the ActivityAttributes type name, e.g. DeliveryAttributes",
        )
        .on_hover_text("aps.attributes-type");
        multiline_field(
            ui,
            "Attributes (JSON)",
            &mut state.attributes,
            "the static attributes; {} when there are none",
            2,
        )
        .on_hover_text("aps.attributes");
    }
    if state.event == "end" {
        text_field(
            ui,
            "Dismissal date",
            &mut state.dismissal_date,
            "UNIX seconds or RFC 3339: when iOS removes the ended activity",
        )
        .on_hover_text("aps.dismissal-date");
    } else {
        text_field(
            ui,
            "Stale date",
            &mut state.stale_date,
            "UNIX seconds or RFC 3339: when the content is out of date",
        )
        .on_hover_text("aps.stale-date");
    }
    text_field(
        ui,
        "Activity relevance score",
        &mut state.relevance_score,
        "which of the app's activities leads the Dynamic Island",
    )
    .on_hover_text("aps.relevance-score");
    text_field(ui, "Alert title", &mut state.alert_title, "optional")
        .on_hover_text("aps.alert.title: lights up the screen with the update");
    text_field(ui, "Alert body", &mut state.alert_body, "optional").on_hover_text("aps.alert.body");
    text_field(
        ui,
        "Alert sound",
        &mut state.alert_sound,
        "optional, e.g. chime.aiff",
    )
    .on_hover_text("aps.alert.sound");
    ui.label(
        RichText::new("The timestamp is filled in when sending.")
            .small()
            .color(note_color(ui)),
    );
    if *state != before {
        write(state, form);
    }
    if let Some(problem) = &state.problem {
        ui.colored_label(ui.visuals().error_fg_color, problem);
    }
}

/// Fills the composer from the form's `live_activity` JSON.
fn read(state: &mut State, text: &str) {
    let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let get = |k: &str| match value.get(k) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(v @ Value::Object(_)) => serde_json::to_string_pretty(v).unwrap_or_default(),
        Some(v) => v.to_string(),
    };
    let alert = |k: &str| {
        value
            .get("alert")
            .and_then(|a| a.get(k))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    *state = State {
        event: get("event"),
        content_state: get("content_state"),
        attributes_type: get("attributes_type"),
        attributes: get("attributes"),
        stale_date: get("stale_date"),
        dismissal_date: get("dismissal_date"),
        relevance_score: get("relevance_score"),
        alert_title: alert("title"),
        alert_body: alert("body"),
        alert_sound: alert("sound"),
        written: text.to_string(),
        problem: None,
    };
}

/// Writes the composer into the form when its JSON parts parse; otherwise says which does not.
fn write(state: &mut State, form: &mut ComposerForm) {
    let mut la = Map::new();
    let mut problem = None;
    let start = state.event == "start";
    if !state.event.is_empty() {
        la.insert("event".into(), json!(state.event));
    }
    let mut json_part = |key: &str, label: &str, text: &str| {
        if text.trim().is_empty() {
            return;
        }
        match serde_json::from_str::<Value>(text) {
            Ok(v) => {
                la.insert(key.into(), v);
            }
            Err(e) => problem = Some(format!("{label}: invalid JSON ({e})")),
        }
    };
    json_part("content_state", "Content state", &state.content_state);
    if start {
        json_part("attributes", "Attributes", &state.attributes);
    }
    let mut text = |key: &str, value: &str| {
        if !value.trim().is_empty() {
            la.insert(key.into(), json!(value.trim()));
        }
    };
    if start {
        text("attributes_type", &state.attributes_type);
    }
    if state.event == "end" {
        text("dismissal_date", &state.dismissal_date);
    } else {
        text("stale_date", &state.stale_date);
    }
    if !state.relevance_score.trim().is_empty() {
        la.insert(
            "relevance_score".into(),
            match state.relevance_score.trim().parse::<f64>() {
                Ok(n) => crate::provider::apns::live_activity::number(n),
                Err(_) => json!(state.relevance_score.trim()),
            },
        );
    }
    let mut alert = Map::new();
    for (k, v) in [
        ("title", &state.alert_title),
        ("body", &state.alert_body),
        ("sound", &state.alert_sound),
    ] {
        if !v.trim().is_empty() {
            alert.insert(k.into(), json!(v.trim()));
        }
    }
    if !alert.is_empty() {
        la.insert("alert".into(), Value::Object(alert));
    }
    state.problem = problem;
    if state.problem.is_none() {
        let text = serde_json::to_string_pretty(&Value::Object(la)).unwrap_or_default();
        form.options.insert("live_activity".into(), text.clone());
        state.written = text;
    }
}
