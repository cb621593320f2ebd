//! Apple's rules per `apns-push-type`: the topic suffix, the priorities it takes, what its `aps`
//! must hold, and the lint that says, before sending, why a payload would be dropped or refused.
//!
//! providers.md §8.2 documents the suffixes `.voip`, `.complication`, `.pushkit.fileprovider`
//! and `.push-type.liveactivity` and that background pushes need priority 5. It is silent on the
//! rest; those rules (marked `confirmed: false`) follow Apple's per-type pages and say so in a
//! warning, the window and docs/providers/apns.md.

use serde_json::{Map, Value};

use crate::draft::DraftError;

/// What a push type's payload is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Content {
    /// `aps.alert` (with badge, sound…): a notification the user sees.
    Alert,
    /// `aps.content-available: 1` and nothing the user would see.
    Background,
    /// `aps.event`, `aps.timestamp`, `aps.content-state`…: an ActivityKit update.
    LiveActivity,
    /// `aps.content-changed: true`: reload the widgets or controls.
    ContentChanged,
    /// `{"mdm": "<PushMagic>"}` and no `aps`.
    Mdm,
    /// Handed to the app (PushKit, File Provider, location extension): `aps` plus custom keys.
    AppDefined,
}

#[derive(Debug, Clone, Copy)]
pub struct PushType {
    pub name: &'static str,
    /// Appended to the bundle id for `apns-topic`; empty: the bundle id itself.
    pub suffix: &'static str,
    /// The `apns-priority` values Apple accepts; the first is the default.
    pub priorities: &'static [&'static str],
    pub content: Content,
    /// Whether providers.md confirms the suffix and priority (false: from Apple's own pages).
    pub confirmed: bool,
    /// One sentence for the window's push-type note and the docs.
    pub about: &'static str,
}

const BOTH: &[&str] = &["10", "5"];

pub const PUSH_TYPES: &[PushType] = &[
    PushType {
        name: "alert",
        suffix: "",
        priorities: BOTH,
        content: Content::Alert,
        confirmed: true,
        about: "a visible notification: aps.alert, badge, sound; priority 10 (or 5 to save power)",
    },
    PushType {
        name: "background",
        suffix: "",
        priorities: &["5"],
        content: Content::Background,
        confirmed: true,
        about: "wakes the app silently: aps.content-available only, priority 5 (Apple's rule)",
    },
    PushType {
        name: "location",
        suffix: ".location-query",
        priorities: BOTH,
        content: Content::AppDefined,
        confirmed: false,
        about: "asks the app's Location Push Service Extension for the device's location; topic <bundle>.location-query (Apple's page; not in providers.md)",
    },
    PushType {
        name: "voip",
        suffix: ".voip",
        priorities: BOTH,
        content: Content::AppDefined,
        confirmed: true,
        about: "an incoming call for PushKit, topic <bundle>.voip; the app must report it to CallKit",
    },
    PushType {
        name: "complication",
        suffix: ".complication",
        priorities: BOTH,
        content: Content::AppDefined,
        confirmed: true,
        about: "updates a watchOS complication, topic <bundle>.complication",
    },
    PushType {
        name: "fileprovider",
        suffix: ".pushkit.fileprovider",
        priorities: BOTH,
        content: Content::AppDefined,
        confirmed: true,
        about: "tells a File Provider extension to re-read a container (put container-identifier in data), topic <bundle>.pushkit.fileprovider",
    },
    PushType {
        name: "mdm",
        suffix: "",
        priorities: BOTH,
        content: Content::Mdm,
        confirmed: false,
        about: "wakes a managed device to contact its MDM server: {\"mdm\": PushMagic} in data, the MDM certificate's topic as the profile topic (not in providers.md)",
    },
    PushType {
        name: "liveactivity",
        suffix: ".push-type.liveactivity",
        priorities: BOTH,
        content: Content::LiveActivity,
        confirmed: true,
        about: "starts, updates or ends a Live Activity (options.live_activity), topic <bundle>.push-type.liveactivity",
    },
    PushType {
        name: "pushtotalk",
        suffix: ".voip-ptt",
        priorities: &["10"],
        content: Content::AppDefined,
        confirmed: false,
        about: "a Push to Talk message for the app's PTChannelManager, topic <bundle>.voip-ptt, priority 10 (Apple's page; not in providers.md)",
    },
    PushType {
        name: "widgets",
        suffix: ".push-type.widgets",
        priorities: BOTH,
        content: Content::ContentChanged,
        confirmed: false,
        about: "reloads the app's widgets: aps.content-changed, topic <bundle>.push-type.widgets (WidgetKit's page; providers.md marks widgets unconfirmed)",
    },
    PushType {
        name: "controls",
        suffix: ".push-type.controls",
        priorities: BOTH,
        content: Content::ContentChanged,
        confirmed: false,
        about: "reloads the app's Control Center controls: aps.content-changed, topic <bundle>.push-type.controls (unconfirmed: providers.md marks controls unconfirmed)",
    },
];

pub const NAMES: &[&str] = &[
    "alert",
    "background",
    "location",
    "voip",
    "complication",
    "fileprovider",
    "mdm",
    "liveactivity",
    "pushtotalk",
    "widgets",
    "controls",
];

pub fn rule(name: &str) -> &'static PushType {
    PUSH_TYPES
        .iter()
        .find(|t| t.name == name)
        .unwrap_or(&PUSH_TYPES[0])
}

/// The topic a push type needs: the bundle id with Apple's suffix (once, if the profile's topic
/// already ends with it).
pub fn topic_for(bundle: &str, push_type: &str) -> String {
    let suffix = rule(push_type).suffix;
    if suffix.is_empty() || bundle.ends_with(suffix) {
        bundle.to_string()
    } else {
        format!("{bundle}{suffix}")
    }
}

/// The priority this push type goes out with: what was asked when Apple allows it, otherwise its
/// only priority, with a warning.
pub fn priority(
    t: &PushType,
    asked: Option<&str>,
    warnings: &mut Vec<String>,
) -> Result<&'static str, DraftError> {
    let wanted = match asked {
        Some("low") => "5",
        Some("high") => "10",
        // "normal" asks for nothing in particular: the type's own default.
        Some(_) if !t.priorities.contains(&"10") => return Ok(t.priorities[0]),
        Some(_) => "10",
        None => return Ok(t.priorities[0]),
    };
    if let Some(p) = t.priorities.iter().find(|p| **p == wanted) {
        return Ok(p);
    }
    let only = t.priorities[0];
    if t.name == "background" {
        warnings.push(
            "Background pushes must use priority 5 (Apple's rule); sent with 5, not 10.".into(),
        );
    } else {
        warnings.push(format!(
            "{} pushes go with priority {only} (Apple's rule); sent with {only}, not {wanted}.",
            t.name
        ));
    }
    Ok(only)
}

fn refuse(field: &str, why: impl Into<String>) -> DraftError {
    DraftError::new(field, why)
}

/// Checks the payload about to be sent against its push type. A payload Apple refuses or iOS
/// drops is an error (nothing is sent); a doubtful one gives a warning.
pub fn lint(
    t: &PushType,
    payload: &Value,
    raw: bool,
    warnings: &mut Vec<String>,
) -> Result<(), DraftError> {
    let field = if raw {
        "options.raw"
    } else {
        "options.push_type"
    };
    let empty = Map::new();
    let aps = payload
        .get("aps")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let has = |k: &str| aps.contains_key(k);
    match t.content {
        Content::Background => {
            if has("alert") {
                return Err(refuse(
                    field,
                    "a background push with an alert is dropped by iOS: send it as push type alert, or remove aps.alert",
                ));
            }
            if has("sound") || has("badge") {
                return Err(refuse(
                    field,
                    "a background push with a sound or badge is dropped by iOS: aps may hold content-available only",
                ));
            }
            if aps.get("content-available") != Some(&Value::from(1)) {
                return Err(refuse(
                    field,
                    "a background push needs aps.content-available: 1, or iOS does not wake the app",
                ));
            }
        }
        Content::Alert => {
            if !has("alert") {
                warnings.push("This alert push has no aps.alert, so iOS shows nothing: use push type background for a silent push.".into());
            }
        }
        Content::LiveActivity => {
            if !has("event") || !has("timestamp") {
                return Err(refuse(
                    field,
                    "a Live Activity push needs aps.event and aps.timestamp: fill options.live_activity",
                ));
            }
        }
        Content::ContentChanged => {
            if aps.get("content-changed") != Some(&Value::Bool(true)) {
                warnings.push(format!(
                    "A {} push carries aps.content-changed: true; without it iOS may not reload anything.",
                    t.name
                ));
            }
            if has("alert") {
                return Err(refuse(
                    field,
                    format!("a {} push shows no alert: iOS drops aps.alert here", t.name),
                ));
            }
        }
        Content::Mdm => {
            if !payload.get("mdm").is_some_and(Value::is_string) {
                return Err(refuse(
                    if raw {
                        "options.raw"
                    } else {
                        "message.data.mdm"
                    },
                    "an MDM push is {\"mdm\": \"<PushMagic>\"}: give the device's PushMagic string as data key mdm",
                ));
            }
        }
        Content::AppDefined => {
            if has("content-available") && t.name == "voip" {
                warnings.push("VoIP pushes always wake the app through PushKit: content-available has no effect.".into());
            }
        }
    }
    if t.content != Content::Alert && t.content != Content::LiveActivity {
        for key in [
            "interruption-level",
            "relevance-score",
            "target-content-id",
            "filter-criteria",
        ] {
            if has(key) {
                return Err(refuse(
                    field,
                    format!(
                        "aps.{key} belongs to a visible notification; a {} push has none",
                        t.name
                    ),
                ));
            }
        }
    }
    if !t.confirmed {
        warnings.push(format!(
            "The topic ({}) and priority rules of {} pushes follow Apple's page for it; Pushdeck's APNs reference does not confirm them. If APNs answers TopicDisallowed or DeviceTokenNotForTopic, check that page.",
            if t.suffix.is_empty() { "the bundle id" } else { t.suffix },
            t.name
        ));
    }
    Ok(())
}
