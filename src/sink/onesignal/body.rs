//! A create-notification body checked as OneSignal checks it (providers.md §1.2–1.4): every
//! field against the OpenAPI document's type, the app, the content's language maps with `en`,
//! exactly one way of choosing the audience, buttons, links, attachments, data, the
//! idempotency key, and the size a push can carry.

use serde_json::{Map, Value};

use super::spec::{mismatch, shape_mismatch, spec};
use crate::finding::Finding;
use crate::provider::onesignal::filters;

/// APNs and FCM carry at most 4 KB: OneSignal refuses content and data beyond it.
pub const MAX_PUSH_BYTES: usize = 4096;
/// Ids per request in alias and subscription lists.
const MAX_IDS: usize = 2000;
const MAX_BUTTONS: usize = 3;
const MAX_WEB_BUTTONS: usize = 2;

/// OneSignal's refusal: a status and its `errors` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub errors: Vec<String>,
}

impl Refused {
    pub fn new(status: u16, error: impl Into<String>) -> Self {
        Self {
            status,
            errors: vec![error.into()],
        }
    }
}

/// OneSignal's own words for the errors it documents (the 403's double space included).
pub const ACCESS_DENIED: &str = "Access denied.  Please include an 'Authorization: ...' header with a valid API key (https://documentation.onesignal.com/docs/accounts-and-keys#app-api-keys).";
pub const NO_AUDIENCE: &str =
    "You must include which players, segments, or tags you wish to send this notification to.";
pub const NO_APP_ID: &str =
    "app_id not found. You may be missing a Content-Type: application/json header.";
pub const NO_ENGLISH: &str = "Message Notifications must have English language content";

/// The targeting families; a request uses exactly one.
const FAMILIES: &[(&str, &[&str])] = &[
    ("segments", &["included_segments", "excluded_segments"]),
    ("filters", &["filters"]),
    ("aliases", &["include_aliases"]),
    ("subscription ids", &["include_subscription_ids"]),
    (
        "device tokens",
        &[
            "include_ios_tokens",
            "include_android_reg_ids",
            "include_chrome_reg_ids",
            "include_chrome_web_reg_ids",
            "include_amazon_reg_ids",
            "include_wp_wns_uris",
            "include_email_tokens",
            "include_phone_numbers",
            "email_to",
        ],
    ),
    (
        "legacy player ids",
        &["include_player_ids", "include_external_user_ids"],
    ),
];

/// What the notification goes to and says, for the summary.
pub struct Checked {
    pub audience: String,
    pub heading: String,
}

fn bad(findings: &mut Vec<Finding>, error: String) -> Refused {
    findings.push(Finding::fail(error.clone()));
    Refused::new(400, error)
}

pub fn check(
    body: &Map<String, Value>,
    app_id: Option<&str>,
    findings: &mut Vec<Finding>,
) -> Result<Checked, Refused> {
    let spec = spec();
    match (body.get("app_id").and_then(Value::as_str), app_id) {
        (None, _) => {
            findings.push(Finding::fail("No app_id: every notification names its app"));
            return Err(Refused::new(400, NO_APP_ID));
        }
        (Some(id), _) if uuid::Uuid::parse_str(id).is_err() => {
            return Err(bad(findings, format!("app_id `{id}` is not a UUID")));
        }
        (Some(id), Some(ours)) if !id.eq_ignore_ascii_case(ours) => {
            findings.push(Finding::fail(format!(
                "app_id {id} is not the profile's app ({ours}): this key cannot send for it"
            )));
            return Err(Refused::new(403, ACCESS_DENIED));
        }
        (Some(id), _) => findings.push(Finding::ok(format!("app_id {id}"))),
    }

    let mut type_errors = Vec::new();
    for (name, value) in body {
        match spec.properties.get(name) {
            None => findings.push(Finding::warn(format!(
                "`{name}` is not a create-notification field of OneSignal's API document: OneSignal ignores it"
            ))),
            Some(p) if p.read_only => findings.push(Finding::warn(format!(
                "`{name}` is read-only in OneSignal's API document: it is ignored in a request"
            ))),
            Some(p) => type_errors.extend(mismatch(name, p, value)),
        }
    }
    if !type_errors.is_empty() {
        for e in &type_errors {
            findings.push(Finding::fail(e.clone()));
        }
        return Err(Refused {
            status: 400,
            errors: type_errors,
        });
    }
    findings.push(Finding::ok(format!(
        "Every field has the type {} gives it",
        spec.source
            .split(',')
            .next()
            .unwrap_or("OneSignal's API document")
    )));

    let heading = check_content(body, findings)?;
    let audience = check_audience(body, findings)?;
    check_extras(body, findings)?;

    let carried: usize = ["contents", "headings", "subtitle", "data"]
        .iter()
        .filter_map(|k| body.get(*k))
        .map(|v| v.to_string().len())
        .sum();
    if carried > MAX_PUSH_BYTES {
        return Err(bad(
            findings,
            format!(
                "The notification's content and data are {carried} bytes; a push carries at most {MAX_PUSH_BYTES}"
            ),
        ));
    }
    findings.push(Finding::ok(format!(
        "Content and data: {carried} bytes (at most {MAX_PUSH_BYTES})"
    )));
    Ok(Checked { audience, heading })
}

fn check_content(
    body: &Map<String, Value>,
    findings: &mut Vec<Finding>,
) -> Result<String, Refused> {
    let languages = &spec().languages;
    for name in ["contents", "headings", "subtitle"] {
        let Some(Value::Object(map)) = body.get(name) else {
            continue;
        };
        if !map.contains_key("en") {
            findings.push(Finding::fail(format!(
                "`{name}` has no `en`: OneSignal needs English text whenever a language map is used"
            )));
            return Err(Refused::new(400, NO_ENGLISH));
        }
        for code in map.keys().filter(|c| !languages.contains(c)) {
            findings.push(Finding::warn(format!(
                "`{name}.{code}` is not a language code OneSignal documents"
            )));
        }
    }
    let silent = body.get("content_available") == Some(&Value::Bool(true));
    let template = body.get("template_id").is_some_and(|v| !v.is_null());
    let text = |name: &str| {
        body.get(name)
            .and_then(|m| m.get("en"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    };
    match body.get("contents") {
        Some(Value::Object(_)) => findings.push(Finding::ok("contents has English text")),
        _ if silent => findings.push(Finding::ok(
            "No contents: a silent (content_available) push",
        )),
        _ if template => findings.push(Finding::ok("No contents: the template gives them")),
        _ => {
            findings.push(Finding::fail(
                "No contents: a visible push needs contents {\"en\": …} (or template_id, or content_available for a silent one)",
            ));
            return Err(Refused::new(400, NO_ENGLISH));
        }
    }
    let heading = text("headings");
    Ok(if heading.is_empty() {
        text("contents")
    } else {
        heading
    })
}

fn string_list_len(value: &Value) -> usize {
    value.as_array().map(Vec::len).unwrap_or(0)
}

fn check_audience(
    body: &Map<String, Value>,
    findings: &mut Vec<Finding>,
) -> Result<String, Refused> {
    let used: Vec<&str> = FAMILIES
        .iter()
        .filter(|(_, keys)| {
            keys.iter()
                .any(|k| body.get(*k).is_some_and(|v| !v.is_null()))
        })
        .map(|(family, _)| *family)
        .collect();
    let family = match used[..] {
        [] => {
            findings.push(Finding::fail(
                "No audience: name segments, filters, include_aliases or include_subscription_ids",
            ));
            return Err(Refused::new(400, NO_AUDIENCE));
        }
        [one] => one,
        _ => {
            return Err(bad(
                findings,
                format!(
                    "Use only one targeting method; this request combines {}",
                    used.join(" and ")
                ),
            ));
        }
    };
    let audience = match family {
        "segments" => {
            let Some(included) = body
                .get("included_segments")
                .filter(|v| string_list_len(v) > 0)
            else {
                return Err(bad(
                    findings,
                    "excluded_segments needs included_segments beside it".into(),
                ));
            };
            let names: Vec<&str> = included
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!("segments {}", names.join(", "))
        }
        "filters" => {
            if let Err(e) = filters::check(body.get("filters")) {
                return Err(bad(
                    findings,
                    format!("{}: {}", e.field.replace("audience.", ""), e.message),
                ));
            }
            // The document's Filter types for field, key and relation (its enum); its `required`
            // is not applied (location filters have no relation), nor `value`'s string type
            // (numbers are taken for numeric fields, as the provider sends them).
            let shape = &spec().filter;
            let entries = body.get("filters").and_then(Value::as_array);
            for (i, item) in entries.into_iter().flatten().enumerate() {
                let checked = item.as_object().into_iter().flatten();
                for (key, value) in checked.filter(|(k, _)| *k != "value") {
                    if let Some(why) = shape
                        .properties
                        .get(key)
                        .and_then(|p| mismatch(&format!("filters[{i}].{key}"), p, value))
                    {
                        return Err(bad(findings, why));
                    }
                }
            }
            format!("{} filter entries", entries.map_or(0, Vec::len))
        }
        "aliases" => {
            let Some(aliases) = body.get("include_aliases").and_then(Value::as_object) else {
                return Err(bad(findings, "include_aliases must be an object".into()));
            };
            if body.get("target_channel").is_none_or(Value::is_null) {
                return Err(bad(
                    findings,
                    "include_aliases requires target_channel (push, email or sms)".into(),
                ));
            }
            let mut count = 0;
            for (label, ids) in aliases {
                let Some(list) = ids.as_array().filter(|l| l.iter().all(Value::is_string)) else {
                    return Err(bad(
                        findings,
                        format!("include_aliases.{label} must be a list of ids (strings)"),
                    ));
                };
                count += list.len();
            }
            if count == 0 || count > MAX_IDS {
                return Err(bad(
                    findings,
                    format!("include_aliases holds {count} ids; 1 to {MAX_IDS} per request"),
                ));
            }
            format!("{count} alias id{}", if count == 1 { "" } else { "s" })
        }
        "subscription ids" => {
            let ids = body
                .get("include_subscription_ids")
                .unwrap_or(&Value::Null)
                .as_array()
                .cloned()
                .unwrap_or_default();
            if ids.is_empty() || ids.len() > MAX_IDS {
                return Err(bad(
                    findings,
                    format!(
                        "include_subscription_ids holds {} ids; 1 to {MAX_IDS} per request",
                        ids.len()
                    ),
                ));
            }
            if let Some(bad_id) = ids
                .iter()
                .filter_map(Value::as_str)
                .find(|id| uuid::Uuid::parse_str(id).is_err())
            {
                return Err(bad(
                    findings,
                    format!(
                        "include_subscription_ids: `{bad_id}` is not a subscription id (a UUID)"
                    ),
                ));
            }
            format!(
                "{} subscription{}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            )
        }
        other => {
            findings.push(Finding::warn(format!(
                "Targets {other}: a legacy or advanced way OneSignal still takes"
            )));
            other.to_string()
        }
    };
    findings.push(Finding::ok(format!("One targeting method: {family}")));
    Ok(audience)
}

fn check_extras(body: &Map<String, Value>, findings: &mut Vec<Finding>) -> Result<(), Refused> {
    let button = &spec().button;
    for (name, max) in [("buttons", MAX_BUTTONS), ("web_buttons", MAX_WEB_BUTTONS)] {
        let Some(list) = body.get(name).and_then(Value::as_array) else {
            continue;
        };
        if list.len() > max {
            return Err(bad(
                findings,
                format!(
                    "`{name}` has {} buttons; OneSignal shows at most {max}",
                    list.len()
                ),
            ));
        }
        for (i, b) in list.iter().enumerate() {
            if let Some(why) = shape_mismatch(&format!("{name}[{i}]"), button, b) {
                return Err(bad(findings, why));
            }
        }
        findings.push(Finding::ok(format!(
            "{} {name}, each with an id",
            list.len()
        )));
    }
    for name in [
        "url",
        "app_url",
        "web_url",
        "big_picture",
        "chrome_web_image",
        "large_icon",
    ] {
        if let Some(link) = body.get(name).and_then(Value::as_str)
            && url::Url::parse(link).is_err()
        {
            findings.push(Finding::warn(format!(
                "`{name}` `{link}` is not an absolute URL: devices cannot open it"
            )));
        }
    }
    if body.get("url").is_some() && (body.get("app_url").is_some() || body.get("web_url").is_some())
    {
        findings.push(Finding::warn(
            "url with app_url or web_url: OneSignal takes either url or the per-platform pair",
        ));
    }
    if let Some(attachments) = body.get("ios_attachments").and_then(Value::as_object)
        && let Some((id, _)) = attachments.iter().find(|(_, v)| !v.is_string())
    {
        return Err(bad(
            findings,
            format!("ios_attachments.{id} must be a URL string"),
        ));
    }
    if let Some(key) = body.get("idempotency_key").and_then(Value::as_str) {
        if uuid::Uuid::parse_str(key).is_err() {
            return Err(bad(
                findings,
                format!("idempotency_key `{key}` is not a UUID"),
            ));
        }
        findings.push(Finding::ok(
            "idempotency_key is a UUID: a repeat within 30 days is not sent twice",
        ));
    }
    Ok(())
}
