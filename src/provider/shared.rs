//! What every provider repeats, written once so the wording stays the same everywhere: reading
//! `options.raw`, refusing a common option the provider has no place for, the opening of every
//! `interpret`, and tables of documented error statuses.

use serde_json::{Map, Value};

use crate::draft::{DraftError, Fields};
use crate::http::{Exchange, ResponseDump};
use crate::outcome::Outcome;

/// `options.raw` as a JSON object: given as one, or as text that parses to one.
pub fn raw_object(raw: &Value) -> Result<Map<String, Value>, DraftError> {
    match raw_json(raw)? {
        Value::Object(map) => Ok(map),
        _ => Err(DraftError::new("options.raw", "must be a JSON object")),
    }
}

/// `options.raw` as JSON of any shape: text is parsed, anything else is taken as it is.
pub fn raw_json(raw: &Value) -> Result<Value, DraftError> {
    match raw {
        Value::String(text) => serde_json::from_str::<Value>(text)
            .map_err(|e| DraftError::new("options.raw", format!("invalid JSON: {e}"))),
        other => Ok(other.clone()),
    }
}

/// A common option a provider cannot honour, with the whole sentence that says why and what to
/// do instead. Refusing beats silently dropping: the user would think it applied.
pub type Refused = (&'static str, &'static str);

/// Fails on the first option of `refused` that the draft sets.
pub fn refuse_options(options: &Fields<'_>, refused: &[Refused]) -> Result<(), DraftError> {
    match refused.iter().find(|(key, _)| options.has(key)) {
        Some((key, why)) => Err(DraftError::new(format!("options.{key}"), *why)),
        None => Ok(()),
    }
}

/// Warns "{who} has no place for a, b: not sent." for the message fields that are set but
/// that the provider cannot carry.
pub fn warn_unsent(who: &str, fields: &[(&str, bool)], warnings: &mut Vec<String>) {
    let dropped: Vec<&str> = fields
        .iter()
        .filter(|(_, set)| *set)
        .map(|(k, _)| *k)
        .collect();
    if !dropped.is_empty() {
        warnings.push(format!(
            "{who} has no place for {}: not sent.",
            dropped.join(", ")
        ));
    }
}

/// The complete response a provider judges, or the outcome already decided without it: a
/// transport failure, a redirect, a capped body, or nothing sent.
pub fn answer(exchange: &Exchange) -> Result<&ResponseDump, Outcome> {
    if let Some(outcome) = Outcome::from_transport(exchange) {
        return Err(outcome);
    }
    exchange
        .response
        .as_ref()
        .ok_or_else(|| Outcome::not_sent("Not sent."))
}

/// One documented error status: "{provider} {says} ({status}): {what it said}", and the hint.
#[derive(Debug, Clone, Copy)]
pub struct StatusRule<'a> {
    pub statuses: &'a [u16],
    pub says: &'a str,
    pub hint: &'a str,
}

impl<'a> StatusRule<'a> {
    pub const fn new(statuses: &'a [u16], says: &'a str, hint: &'a str) -> Self {
        Self {
            statuses,
            says,
            hint,
        }
    }
}

/// The outcome of the first rule listing `status`; a 429 carries the wait the provider asked
/// for. `None` when no rule lists it, for the caller's generic reading.
pub fn status_outcome(
    provider: &str,
    status: u16,
    said: &str,
    retry_after: Option<u64>,
    rules: &[StatusRule<'_>],
) -> Option<Outcome> {
    let rule = rules.iter().find(|r| r.statuses.contains(&status))?;
    let mut outcome = Outcome::refused(format!("{provider} {} ({status}): {said}", rule.says))
        .with_hint(rule.hint);
    if status == 429 {
        outcome.retry_after = retry_after;
    }
    Some(outcome)
}

/// The provider's error message, or "HTTP {status}" when it gave none.
pub fn said_or_status(message: &str, status: u16) -> String {
    if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn raw_object_keeps_todays_wording() {
        assert!(raw_object(&json!({"a": 1})).is_ok());
        assert!(raw_object(&json!("{\"a\": 1}")).is_ok());
        let e = raw_object(&json!([1])).expect_err("array");
        assert_eq!(
            (e.field.as_str(), e.message.as_str()),
            ("options.raw", "must be a JSON object")
        );
        let e = raw_object(&json!("[1]")).expect_err("array text");
        assert_eq!(e.message, "must be a JSON object");
        let e = raw_object(&json!("{")).expect_err("bad text");
        assert!(e.message.starts_with("invalid JSON: "), "{}", e.message);
    }

    #[test]
    fn status_rules_word_the_refusal() {
        const RULES: &[StatusRule<'static>] =
            &[StatusRule::new(&[400, 422], "refused it", "Fix it.")];
        let o = status_outcome("X", 422, "bad", Some(3), RULES).expect("listed");
        assert_eq!(o.summary, "X refused it (422): bad");
        assert_eq!(o.hint.as_deref(), Some("Fix it."));
        assert_eq!(o.retry_after, None);
        assert!(status_outcome("X", 500, "bad", None, RULES).is_none());
    }
}
