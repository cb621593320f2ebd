//! The send body a draft becomes: recipients, content or template, routing, and the legacy
//! event form.

use serde_json::{Map, Value, json};

use crate::draft::{Draft, DraftError, Fields};
use crate::provider::seam::PrepareContext;

/// The keys that say who a recipient object is (providers.md §5.2).
pub const RECIPIENT_KEYS: &[&str] = &[
    "user_id",
    "email",
    "phone_number",
    "list_id",
    "list_pattern",
    "audience_id",
    "tenant_id",
    "slack",
    "ms_teams",
    "pagerduty",
    "webhook",
    "expo",
    "discord",
    "firebaseToken",
    "apn",
];

pub fn raw_body(raw: &Value) -> Result<Value, DraftError> {
    let map = crate::provider::shared::raw_object(raw)?;
    // A bare message object is wrapped, so both `{"message": …}` and `{"to": …}` work.
    if map.contains_key("message") || map.contains_key("event") {
        Ok(Value::Object(map))
    } else if map.contains_key("to") {
        Ok(json!({ "message": map }))
    } else {
        Err(DraftError::new(
            "options.raw",
            "must be a send body: {\"message\": {\"to\": …}} (or the legacy {\"event\": …})",
        ))
    }
}

/// `audience.to`: one recipient object or a non-empty list of them, each saying who it is.
pub fn recipients(draft: &Draft) -> Result<Value, DraftError> {
    let check = |field: String, v: &Value| -> Result<(), DraftError> {
        let Value::Object(o) = v else {
            return Err(DraftError::new(
                field,
                "must be a recipient object such as {\"email\": \"ada@example.com\"}",
            ));
        };
        if !o.keys().any(|k| RECIPIENT_KEYS.contains(&k.as_str())) {
            return Err(DraftError::new(
                field,
                "says nobody: give an email, phone_number, user_id, list_id, list_pattern or audience_id",
            ));
        }
        if let Some(email) = o.get("email")
            && !email.as_str().is_some_and(|e| e.contains('@'))
        {
            return Err(DraftError::new(
                format!("{field}.email"),
                "is not an email address",
            ));
        }
        Ok(())
    };
    match draft.audience.get("to") {
        None | Some(Value::Null) => Err(DraftError::new(
            "audience.to",
            "choose who receives it, e.g. {\"email\": \"ada@example.com\"} or {\"user_id\": \"user-42\"}",
        )),
        Some(Value::Array(items)) if items.is_empty() => {
            Err(DraftError::new("audience.to", "the list is empty"))
        }
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                check(format!("audience.to[{i}]"), item)?;
            }
            Ok(Value::Array(items.clone()))
        }
        Some(one) => {
            check("audience.to".into(), one)?;
            Ok(one.clone())
        }
    }
}

pub fn message_body(
    ctx: &PrepareContext<'_>,
    options: &Fields<'_>,
    warnings: &mut Vec<String>,
) -> Result<Value, DraftError> {
    let draft = ctx.draft;
    let m = &draft.message;
    let mut message = Map::new();
    message.insert("to".into(), recipients(draft)?);
    match options.string("template")? {
        Some(template) => {
            message.insert("template".into(), json!(template.trim()));
            if !m.title.is_empty() || !m.body.is_empty() {
                warnings.push("A template sets the content: the title and body are not sent (use {{variables}} in the template and Custom data).".into());
            }
        }
        None => {
            if m.body.trim().is_empty() {
                return Err(DraftError::new(
                    "message.body",
                    "is required (or give options.template)",
                ));
            }
            let mut content = Map::new();
            if !m.title.is_empty() {
                content.insert("title".into(), json!(m.title));
            }
            content.insert("body".into(), json!(m.body));
            message.insert("content".into(), Value::Object(content));
        }
    }
    if !m.data.is_empty() {
        message.insert("data".into(), Value::Object(m.data.clone()));
    }
    let method = options.one_of("routing_method", &["single", "all"])?;
    let channels = options.strings("channels")?;
    if method.is_some() || !channels.is_empty() {
        if channels.is_empty() {
            return Err(DraftError::new(
                "options.channels",
                "a routing method needs channels to route over, e.g. push, email",
            ));
        }
        message.insert(
            "routing".into(),
            json!({"method": method.unwrap_or("single"), "channels": channels}),
        );
    }
    if let Some(at) = options.string("schedule_at")? {
        let when = crate::clock::parse_rfc3339(at)
            .map_err(|e| DraftError::new("options.schedule_at", e))?;
        if when < ctx.now {
            return Err(DraftError::new("options.schedule_at", "is in the past"));
        }
        message.insert("delay".into(), json!({ "until": at }));
    }
    let dropped: Vec<&str> = [
        ("subtitle", !m.subtitle.is_empty()),
        ("url", !m.url.is_empty()),
        ("image", !m.image.is_empty()),
        ("icon", !m.icon.is_empty()),
        ("buttons", !m.buttons.is_empty()),
        ("translations", !m.translations.is_empty()),
        ("silent", m.silent),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(k, _)| k)
    .collect();
    if !dropped.is_empty() {
        warnings.push(format!(
            "Courier's simple content has only a title and body: {} not sent (design them in a template).",
            dropped.join(", ")
        ));
    }
    Ok(json!({ "message": message }))
}

/// A legacy `recipient` for a user given only by email or phone: `pushdeck-` and 16 hex digits of
/// the SHA-256 of the trimmed, lower-cased email (or else the phone number), so the same address
/// always lands on the same Courier profile.
fn derived_recipient(profile: &Map<String, Value>) -> Result<String, DraftError> {
    let address = |key: &str| -> Result<Option<String>, DraftError> {
        match profile.get(key) {
            None => Ok(None),
            Some(Value::String(v)) if !v.trim().is_empty() => {
                Ok(Some(format!("{key}:{}", v.trim().to_lowercase())))
            }
            Some(_) => Err(DraftError::new(
                format!("audience.to.{key}"),
                "must be a non-empty string",
            )),
        }
    };
    let email = address("email")?;
    let phone = address("phone_number")?;
    let Some(source) = email.or(phone) else {
        return Err(DraftError::new(
            "audience.to",
            "the legacy event form sends to one person: give a user_id, email or phone_number (lists and audiences need the current form: drop options.legacy_event)",
        ));
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, source.as_bytes());
    let hex: String = digest.as_ref()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    Ok(format!("pushdeck-{hex}"))
}

/// The older form (trycourier ≤ v4): `{"event", "recipient", "profile", "data"}`, with the
/// recipient's `user_id` as `recipient` (or, without one, an id derived from the email or phone)
/// and the rest of `audience.to` (`email`, `phone_number`…) as the `profile`.
pub fn legacy_body(
    draft: &Draft,
    event: &str,
    options: &Fields<'_>,
    warnings: &mut Vec<String>,
) -> Result<Value, DraftError> {
    let to = match recipients(draft)? {
        Value::Array(items) if items.len() == 1 => items[0].clone(),
        Value::Array(_) => {
            return Err(DraftError::new(
                "audience.to",
                "the legacy event form sends to one recipient; give one object",
            ));
        }
        one => one,
    };
    let mut profile = to.as_object().cloned().unwrap_or_default();
    let recipient = match profile.shift_remove("user_id") {
        Some(Value::String(id)) if !id.trim().is_empty() => id,
        Some(_) => {
            return Err(DraftError::new(
                "audience.to.user_id",
                "must be a non-empty string (the legacy event form's recipient)",
            ));
        }
        None => {
            let recipient = derived_recipient(&profile)?;
            warnings.push(format!(
                "No user_id: Courier keeps this profile under recipient `{recipient}`, derived from the address (the same address always gives the same id); add audience.to.user_id to use your own."
            ));
            recipient
        }
    };
    for key in ["template", "routing_method", "channels", "schedule_at"] {
        if options.has(key) {
            return Err(DraftError::new(
                format!("options.{key}"),
                "is not part of the legacy event form; remove it or drop options.legacy_event",
            ));
        }
    }
    if !draft.message.title.is_empty() || !draft.message.body.is_empty() {
        warnings.push("The legacy event form takes its content from the event's notification template: the title and body are not sent.".into());
    }
    let mut body = Map::new();
    body.insert("event".into(), json!(event.trim()));
    body.insert("recipient".into(), json!(recipient));
    if !profile.is_empty() {
        body.insert("profile".into(), Value::Object(profile));
    }
    if !draft.message.data.is_empty() {
        body.insert("data".into(), Value::Object(draft.message.data.clone()));
    }
    Ok(Value::Object(body))
}
