//! `options.live_activity` → the `aps` of an ActivityKit push (start, update or end), as Apple
//! documents it: `timestamp` (filled in at send time), `event`, `content-state`, and for start
//! `attributes-type` and `attributes`, then `stale-date`, `dismissal-date`, `relevance-score` and
//! an optional `alert`. FCM's `apns.payload` reuses it.

use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use crate::draft::{DraftError, Fields};

const SECTION: &str = "options.live_activity";
const KEYS: &[&str] = &[
    "event",
    "content_state",
    "attributes_type",
    "attributes",
    "stale_date",
    "dismissal_date",
    "relevance_score",
    "alert",
];
pub const EVENTS: &[&str] = &["start", "update", "end"];

fn err(key: &str, why: impl Into<String>) -> DraftError {
    DraftError::new(format!("{SECTION}.{key}"), why)
}

/// The `aps` dictionary; `now` is the send time, so tests can fix it.
pub fn aps(
    value: &Value,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Map<String, Value>, DraftError> {
    let Some(map) = value.as_object() else {
        return Err(DraftError::new(
            SECTION,
            "must be an object: {\"event\": \"start\"|\"update\"|\"end\", \"content_state\": {…}, …}",
        ));
    };
    let f = Fields::new(SECTION, map);
    f.reject_unknown(KEYS)?;
    let Some(event) = f.one_of("event", EVENTS)? else {
        return Err(err("event", "choose start, update or end"));
    };
    let mut aps = Map::new();
    aps.insert("timestamp".into(), json!(now.unix_timestamp()));
    aps.insert("event".into(), json!(event));
    match f.value("content_state") {
        Some(Value::Object(state)) => {
            aps.insert("content-state".into(), Value::Object(state.clone()));
        }
        Some(_) => {
            return Err(err(
                "content_state",
                "must be a JSON object: the ContentState of the app's ActivityAttributes",
            ));
        }
        None if event == "end" => warnings.push(
            "Ending without content_state leaves the Live Activity's last content on the Lock Screen until it is dismissed.".into(),
        ),
        None => {
            return Err(err(
                "content_state",
                format!("a Live Activity {event} needs the new content state (a JSON object)"),
            ));
        }
    }
    let attributes_type = f.string("attributes_type")?;
    let attributes = f.value("attributes");
    if event == "start" {
        let Some(kind) = attributes_type else {
            return Err(err(
                "attributes_type",
                "a start needs the name of the app's ActivityAttributes type, e.g. DeliveryAttributes",
            ));
        };
        let Some(Value::Object(attrs)) = attributes else {
            return Err(err(
                "attributes",
                "a start needs the activity's static attributes as a JSON object ({} when it has none)",
            ));
        };
        aps.insert("attributes-type".into(), json!(kind));
        aps.insert("attributes".into(), Value::Object(attrs.clone()));
    } else if attributes_type.is_some() || attributes.is_some() {
        return Err(err(
            if attributes_type.is_some() {
                "attributes_type"
            } else {
                "attributes"
            },
            format!("only a start carries attributes; an {event} changes the content state"),
        ));
    }
    if let Some(stale) = date(&f, "stale_date")? {
        if event == "end" {
            return Err(err(
                "stale_date",
                "an ended activity does not go stale: use dismissal_date",
            ));
        }
        aps.insert("stale-date".into(), json!(stale));
    }
    if let Some(dismiss) = date(&f, "dismissal_date")? {
        if event != "end" {
            return Err(err(
                "dismissal_date",
                "only an end has a dismissal date (when iOS removes the ended activity)",
            ));
        }
        aps.insert("dismissal-date".into(), json!(dismiss));
    }
    if let Some(score) = f.value("relevance_score") {
        let Some(n) = score
            .as_f64()
            .or_else(|| score.as_str().and_then(|s| s.trim().parse().ok()))
        else {
            return Err(err("relevance_score", "must be a number"));
        };
        aps.insert("relevance-score".into(), number(n));
    }
    match f.value("alert") {
        None if event == "start" => warnings.push(
            "A push-to-start without an alert starts the activity silently; Apple's start payload carries an alert to light up the screen.".into(),
        ),
        None => {}
        Some(Value::Object(alert)) => {
            for key in alert.keys() {
                if !["title", "body", "sound"].contains(&key.as_str()) {
                    return Err(err(
                        &format!("alert.{key}"),
                        "a Live Activity alert has title, body and sound",
                    ));
                }
            }
            aps.insert("alert".into(), Value::Object(alert.clone()));
        }
        Some(_) => {
            return Err(err(
                "alert",
                "must be an object: {\"title\": …, \"body\": …, \"sound\": …}",
            ));
        }
    }
    Ok(aps)
}

/// A date as UNIX seconds: a number, or RFC 3339 text (what the window's date fields hold).
fn date(f: &Fields<'_>, key: &str) -> Result<Option<i64>, DraftError> {
    match f.value(key) {
        None => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .filter(|n| *n >= 0)
            .map(Some)
            .ok_or_else(|| err(key, "must be whole UNIX seconds")),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => {
            let s = s.trim();
            if let Ok(n) = s.parse::<i64>() {
                return Ok(Some(n));
            }
            OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                .map(|t| Some(t.unix_timestamp()))
                .map_err(|_| {
                    err(
                        key,
                        "must be UNIX seconds or RFC 3339, e.g. 2026-12-04T18:30:00Z",
                    )
                })
        }
        Some(_) => Err(err(key, "must be UNIX seconds or RFC 3339 text")),
    }
}

/// Whole numbers stay integers in the JSON (`100`, not `100.0`).
pub fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        json!(n as i64)
    } else {
        json!(n)
    }
}
