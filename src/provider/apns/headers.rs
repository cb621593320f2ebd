//! The per-notification APNs headers a draft's options choose (push type, topic, priority,
//! expiration, collapse id) and the JSON body, linted against its push type and Apple's size limit.

use time::OffsetDateTime;

use super::payload::{MAX_PAYLOAD, MAX_VOIP_PAYLOAD, payload, raw_payload};
use super::push_types::{self, NAMES as PUSH_TYPES, PushType, lint, rule, topic_for};
use crate::draft::{Draft, DraftError, Fields};

/// The per-notification APNs headers the options choose.
pub struct Headers<'a> {
    pub push_type: &'static PushType,
    pub topic: String,
    pub priority: &'static str,
    pub expiration: Option<i64>,
    pub collapse: Option<&'a str>,
}

impl<'a> Headers<'a> {
    pub fn read(
        options: &Fields<'a>,
        bundle: &str,
        silent: bool,
        now: OffsetDateTime,
        warnings: &mut Vec<String>,
    ) -> Result<Self, DraftError> {
        let default = if options.has("live_activity") {
            "liveactivity"
        } else if silent {
            "background"
        } else {
            "alert"
        };
        let push_type = rule(options.one_of("push_type", PUSH_TYPES)?.unwrap_or(default));
        let topic = topic_for(bundle, push_type.name);
        let asked = options.one_of("priority", &["low", "normal", "high"])?;
        let priority = push_types::priority(push_type, asked, warnings)?;
        let expiration = expiration(options, now)?;
        let collapse = options.string("collapse_id")?;
        if collapse.is_some_and(|c| c.len() > 64) {
            return Err(DraftError::new(
                "options.collapse_id",
                "is longer than 64 bytes (Apple's limit)",
            ));
        }
        if options.has("schedule_at") {
            return Err(DraftError::new(
                "options.schedule_at",
                "APNs cannot schedule notifications; send at the time you want it delivered",
            ));
        }
        if push_type.name == "pushtotalk" && expiration.is_some_and(|e| e != 0) {
            warnings.push("Apple asks for apns-expiration 0 on Push to Talk: a late message about a talk is useless.".into());
        }
        Ok(Self {
            push_type,
            topic,
            priority,
            expiration,
            collapse,
        })
    }
}

/// `apns-expiration` in UNIX seconds: now + `ttl`, or `expiration` itself (seconds or RFC 3339).
fn expiration(options: &Fields<'_>, now: OffsetDateTime) -> Result<Option<i64>, DraftError> {
    let ttl = options.u64("ttl")?;
    let at = match options.value("expiration") {
        None => None,
        Some(v) => {
            let text = v.as_str().map(str::trim).unwrap_or_default();
            let seconds = v.as_i64().or_else(|| text.parse().ok()).or_else(|| {
                OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
                    .ok()
                    .map(|t| t.unix_timestamp())
            });
            match seconds {
                Some(s) if s >= 0 => Some(s),
                _ if text.is_empty() && v.is_string() => None,
                _ => {
                    return Err(DraftError::new(
                        "options.expiration",
                        "must be UNIX seconds or RFC 3339 (e.g. 2026-12-04T18:30:00Z); 0 means deliver now or never",
                    ));
                }
            }
        }
    };
    match (ttl, at) {
        (Some(_), Some(_)) => Err(DraftError::new(
            "options.expiration",
            "give ttl or expiration, not both: both set apns-expiration",
        )),
        (Some(0), None) => Ok(Some(0)),
        (Some(ttl), None) => Ok(Some(
            now.unix_timestamp() + i64::try_from(ttl).unwrap_or(i64::MAX / 2),
        )),
        (None, at) => Ok(at),
    }
}

/// The JSON body, generated or raw, linted against its push type and within Apple's size limit.
pub fn body(
    draft: &Draft,
    options: &Fields<'_>,
    headers: &Headers<'_>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<String, DraftError> {
    let t = headers.push_type;
    let raw = options.value("raw");
    let payload = match raw {
        Some(raw) => raw_payload(raw, t)?,
        None => payload(draft, options, t, now, warnings)?,
    };
    lint(t, &payload, raw.is_some(), warnings)?;
    if options.string("interruption_level")? == Some("critical") {
        warnings.push("Critical alerts need Apple's critical-alert entitlement in the app; without it iOS shows an ordinary (active) notification.".into());
    }
    let body = serde_json::to_string(&payload).unwrap_or_default();
    let limit = if t.name == "voip" {
        MAX_VOIP_PAYLOAD
    } else {
        MAX_PAYLOAD
    };
    if body.len() > limit {
        return Err(DraftError::new(
            "message",
            format!(
                "the APNs payload is {} bytes; Apple allows {limit}: shorten the text or the data",
                body.len()
            ),
        ));
    }
    Ok(body)
}
