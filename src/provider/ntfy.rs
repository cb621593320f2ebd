//! ntfy: JSON publishing to the server's root URL, optional `Authorization: Bearer` access token
//! (providers.md §8.3).

use super::shared::answer;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::describe::{FieldKind, FieldSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider};
use crate::draft::{Draft, DraftError, Fields, Message};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

pub struct Ntfy;

const NAME: &str = "ntfy";
/// ntfy turns longer messages into an attachment.
pub(crate) const MAX_MESSAGE_BYTES: usize = 4096;
/// ntfy shows at most three action buttons.
pub(crate) const MAX_ACTIONS: usize = 3;
/// Delays ntfy accepts: 10 s to 3 days.
const MIN_DELAY_S: i64 = 10;
const MAX_DELAY_S: i64 = 3 * 24 * 3600;
const PRIORITIES: &[&str] = &["min", "low", "normal", "high", "max"];

static INFO: ProviderInfo = ProviderInfo {
    id: "ntfy",
    name: NAME,
    default_base_url: "https://ntfy.sh",
    settings: &[],
    secrets: &[FieldSpec::new(
        "access_token",
        "Access token",
        FieldKind::Text,
        "optional: tk_… for protected topics or servers (Account > Access tokens)",
    )],
    audience: &[FieldSpec::new(
        "topic",
        "Topic",
        FieldKind::Text,
        "the topic name subscribers listen to: letters, digits, - and _ (up to 64)",
    )
    .required()],
    options: &[
        FieldSpec::new(
            "tags",
            "Tags",
            FieldKind::List,
            "tags or emoji short codes, e.g. warning, +1 (shown as emojis)",
        ),
        FieldSpec::new(
            "attach",
            "Attachment URL",
            FieldKind::Text,
            "a file to attach by URL (default: the message image)",
        ),
        FieldSpec::new(
            "filename",
            "Attachment name",
            FieldKind::Text,
            "the file name shown for the attachment",
        ),
        FieldSpec::new(
            "markdown",
            "Markdown",
            FieldKind::Bool,
            "render the message as Markdown (web app and Android)",
        ),
    ],
    common_options: &["priority", "schedule_at", "raw"],
    ..ProviderInfo::BASE
};

impl Provider for Ntfy {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        super::doctor::tokens::ntfy(ctx.profile, ctx.secrets)
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let root = base_url(ctx.profile, &INFO)?;
        let topic = topic(draft)?;
        let options = Fields::new("options", &draft.options);
        let mut warnings = Vec::new();
        let body = match options.value("raw") {
            Some(raw) => raw_body(raw, &topic)?,
            None => message_body(draft, &topic, &options, ctx.now, &mut warnings)?,
        };
        let mut request = PreparedRequest::new("POST", format!("{root}/"));
        if let Some(token) = ctx.secrets.get("access_token") {
            request = request.secret_header(
                "Authorization",
                format!("Bearer {token}"),
                "access_token",
                token,
            );
        }
        let request = request
            .header("Accept", "application/json")
            .json_body(&body);
        Ok(Prepared {
            requests: vec![request],
            warnings,
        })
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        let body = response.json();
        if response.is_success() {
            let id = body
                .as_ref()
                .and_then(|b| b.get("id"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if id.is_empty() {
                return Outcome::refused(format!(
                    "{NAME} answered {} without a message id, so it is unclear whether anything was published",
                    response.status
                ))
                .with_hint("Check the base URL: it should be the ntfy server itself (e.g. https://ntfy.sh), not a web page or proxy.");
            }
            let event = body
                .as_ref()
                .and_then(|b| b.get("event"))
                .and_then(Value::as_str)
                .unwrap_or("message");
            let what = if event == "message" {
                "Published".to_string()
            } else {
                format!("Accepted ({event})")
            };
            return Outcome::accepted(format!("{what}: message {id}")).with_id(id);
        }
        error_outcome(response, body.as_ref())
    }

    fn call(
        &self,
        call: &Call,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<CallPlan, DraftError> {
        match call {
            Call::Check => self.check(profile, secrets).map(CallPlan::Request),
            other => Err(other.unsupported(self.info().name)),
        }
    }

    fn interpret_call(&self, _call: &Call, exchange: &Exchange) -> Outcome {
        self.interpret_check(exchange)
    }

    fn audience_label(&self, draft: &Draft) -> String {
        match Fields::new("audience", &draft.audience).string("topic") {
            Ok(Some(t)) => format!("topic “{}”", t.trim()),
            _ => "nobody yet".into(),
        }
    }

    fn broadcast(&self, _draft: &Draft) -> Option<String> {
        // A topic is one named channel the user chose; asking every time would only train people
        // to click through confirmations.
        None
    }
}

/// The calls beside sending, behind `Provider::call`.
impl Ntfy {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        let root = base_url(profile, &INFO)?;
        Ok(match secrets.get("access_token") {
            Some(token) => PreparedRequest::new("GET", format!("{root}/v1/account"))
                .secret_header(
                    "Authorization",
                    format!("Bearer {token}"),
                    "access_token",
                    token,
                )
                .header("Accept", "application/json"),
            None => PreparedRequest::new("GET", format!("{root}/v1/health"))
                .header("Accept", "application/json"),
        })
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        let body = response.json();
        let with_token = exchange.request.url.ends_with("/v1/account");
        if !response.is_success() {
            return error_outcome(response, body.as_ref());
        }
        let Some(body) = body else {
            return Outcome::refused(format!(
                "{NAME} answered {} but not with JSON",
                response.status
            ))
            .with_hint(
                "Check the base URL: it should be the ntfy server itself (e.g. https://ntfy.sh).",
            );
        };
        if with_token {
            match body.get("username").and_then(Value::as_str) {
                Some("*") | None => Outcome::refused(
                    "The server treats this access token as anonymous",
                )
                .with_hint("Create a token under Account > Access tokens on this server and store it again (Edit credentials)."),
                Some(user) => {
                    let role = body.get("role").and_then(Value::as_str).unwrap_or("user");
                    Outcome::accepted(format!("Token works: signed in as {user} ({role})"))
                }
            }
        } else if body.get("healthy").and_then(Value::as_bool) == Some(true) {
            Outcome::accepted(
                "Server is up; no access token stored, so only open topics accept messages",
            )
        } else {
            Outcome::refused(format!("{NAME} says the server is not healthy")).with_hint(
                "The server is up but reports a problem; try again later or ask its operator.",
            )
        }
    }
}

fn topic(draft: &Draft) -> Result<String, DraftError> {
    let a = Fields::new("audience", &draft.audience);
    let topic = a
        .string("topic")?
        .map(|t| t.trim().trim_start_matches('/').to_string())
        .ok_or_else(|| DraftError::new("audience.topic", "choose the topic to publish to"))?;
    let valid = !topic.is_empty()
        && topic.len() <= 64
        && topic
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(DraftError::new(
            "audience.topic",
            format!(
                "`{topic}` is not a topic name: use 1 to 64 letters, digits, - or _ (ntfy's rule)"
            ),
        ));
    }
    Ok(topic)
}

fn raw_body(raw: &Value, topic: &str) -> Result<Value, DraftError> {
    let mut raw = crate::provider::shared::raw_object(raw)?;
    if !raw.contains_key("topic") {
        raw.insert("topic".into(), json!(topic));
    }
    Ok(Value::Object(raw))
}

fn message_body(
    draft: &Draft,
    topic: &str,
    options: &Fields<'_>,
    now: OffsetDateTime,
    warnings: &mut Vec<String>,
) -> Result<Value, DraftError> {
    let m = &draft.message;
    refuse_unsupported(m, options)?;
    let attach = match options.string("attach")? {
        Some(a) => Some(a.trim().to_string()),
        None if !m.image.trim().is_empty() => Some(m.image.trim().to_string()),
        None => None,
    };
    if m.body.trim().is_empty() && attach.is_none() {
        return Err(DraftError::new(
            "message.body",
            "is required (ntfy would publish the placeholder text \"triggered\")",
        ));
    }
    if m.body.len() > MAX_MESSAGE_BYTES {
        warnings.push(format!(
            "The message is {} bytes: ntfy turns messages over {MAX_MESSAGE_BYTES} bytes into a text attachment.",
            m.body.len()
        ));
    }
    let mut body = Map::new();
    body.insert("topic".into(), json!(topic));
    if !m.title.trim().is_empty() {
        body.insert("title".into(), json!(m.title));
    }
    if !m.body.is_empty() {
        body.insert("message".into(), json!(m.body));
    }
    if let Some(priority) = options.one_of("priority", PRIORITIES)? {
        let level = match priority {
            "min" => 1,
            "low" => 2,
            "normal" => 3,
            "high" => 4,
            _ => 5,
        };
        body.insert("priority".into(), json!(level));
    }
    let tags = options.strings("tags")?;
    if !tags.is_empty() {
        body.insert("tags".into(), json!(tags));
    }
    if options.bool("markdown")? == Some(true) {
        body.insert("markdown".into(), json!(true));
    }
    add_links(&mut body, m, options, attach)?;
    if !m.buttons.is_empty() {
        body.insert("actions".into(), actions(m)?);
    }
    if let Some(at) = options.string("schedule_at")? {
        body.insert("delay".into(), json!(delay(at, now)?));
    }
    Ok(Value::Object(body))
}

/// What a draft may carry but ntfy cannot: refused, so nothing is silently dropped.
fn refuse_unsupported(m: &Message, options: &Fields<'_>) -> Result<(), DraftError> {
    for (present, field, why) in [
        (
            !m.subtitle.is_empty(),
            "message.subtitle",
            "ntfy has no subtitle; put it in the title or the message",
        ),
        (
            !m.data.is_empty(),
            "message.data",
            "ntfy carries no custom data; put it in the message text",
        ),
        (
            !m.translations.is_empty(),
            "message.translations",
            "ntfy sends one language; publish each language to its own topic",
        ),
        (
            m.silent,
            "message.silent",
            "ntfy has no silent messages; use priority min to deliver without a sound",
        ),
        (
            options.has("ttl"),
            "options.ttl",
            "ntfy has no per-message expiry (the server keeps messages for its cache duration)",
        ),
    ] {
        if present {
            return Err(DraftError::new(field, why));
        }
    }
    Ok(())
}

/// The click link, the icon and the attachment: URLs ntfy opens or fetches.
fn add_links(
    body: &mut Map<String, Value>,
    m: &Message,
    options: &Fields<'_>,
    attach: Option<String>,
) -> Result<(), DraftError> {
    if !m.url.trim().is_empty() {
        body.insert(
            "click".into(),
            json!(checked_url("message.url", &m.url, false)?),
        );
    }
    if !m.icon.trim().is_empty() {
        body.insert(
            "icon".into(),
            json!(checked_url("message.icon", &m.icon, true)?),
        );
    }
    if let Some(attach) = attach {
        let field = if options.has("attach") {
            "options.attach"
        } else {
            "message.image"
        };
        body.insert("attach".into(), json!(checked_url(field, &attach, true)?));
        if let Some(name) = options.string("filename")? {
            body.insert("filename".into(), json!(name));
        }
    } else if options.has("filename") {
        return Err(DraftError::new(
            "options.filename",
            "names an attachment: give an attachment URL (options.attach or message.image) too",
        ));
    }
    Ok(())
}

/// Buttons as ntfy `view` actions: each opens its link.
fn actions(m: &Message) -> Result<Value, DraftError> {
    if m.buttons.len() > MAX_ACTIONS {
        return Err(DraftError::new(
            "message.buttons",
            format!(
                "ntfy shows at most {MAX_ACTIONS} buttons; this has {}",
                m.buttons.len()
            ),
        ));
    }
    let mut actions = Vec::new();
    for (i, b) in m.buttons.iter().enumerate() {
        if b.label.trim().is_empty() {
            return Err(DraftError::new(
                format!("message.buttons[{i}].label"),
                "every button needs a label",
            ));
        }
        if b.url.trim().is_empty() {
            return Err(DraftError::new(
                format!("message.buttons[{i}].url"),
                "ntfy buttons open a link (a view action): give each button a url",
            ));
        }
        let url = checked_url(&format!("message.buttons[{i}].url"), &b.url, false)?;
        actions.push(json!({"action": "view", "label": b.label, "url": url}));
    }
    Ok(Value::Array(actions))
}

/// `options.schedule_at` as ntfy's `delay`: a Unix time 10 s to 3 days ahead.
fn delay(at: &str, now: OffsetDateTime) -> Result<String, DraftError> {
    let when =
        crate::clock::parse_rfc3339(at).map_err(|e| DraftError::new("options.schedule_at", e))?;
    let ahead = (when - now).whole_seconds();
    if ahead < MIN_DELAY_S {
        return Err(DraftError::new(
            "options.schedule_at",
            "must be at least 10 seconds in the future",
        ));
    }
    if ahead > MAX_DELAY_S {
        return Err(DraftError::new(
            "options.schedule_at",
            "ntfy schedules at most 3 days ahead",
        ));
    }
    Ok(when.unix_timestamp().to_string())
}

/// A URL the phone opens or fetches. Click and button targets may be app links (mailto:,
/// geo:, myapp://); icons and attachments are downloaded, so they must be http(s).
fn checked_url(field: &str, raw: &str, web_only: bool) -> Result<String, DraftError> {
    let raw = raw.trim();
    match url::Url::parse(raw) {
        Ok(u) if !web_only || matches!(u.scheme(), "http" | "https") => Ok(raw.to_string()),
        Ok(_) => Err(DraftError::new(
            field,
            format!("`{raw}` must be an http(s) URL: ntfy downloads it"),
        )),
        Err(e) => Err(DraftError::new(
            field,
            format!("`{raw}` is not a URL ({e})"),
        )),
    }
}

/// ntfy errors: `{"code":40101,"http":401,"error":"unauthorized","link":"…"}`.
fn error_outcome(response: &crate::http::ResponseDump, body: Option<&Value>) -> Outcome {
    let status = response.status;
    let code = body
        .and_then(|b| b.get("code"))
        .and_then(Value::as_u64)
        .unwrap_or(0);
    let error = body
        .and_then(|b| b.get("error"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let detail = if error.is_empty() {
        let text = response.text().trim();
        if text.is_empty() || text.len() > 200 {
            format!("HTTP {status}")
        } else {
            text.to_string()
        }
    } else if code != 0 {
        format!("{error} (code {code})")
    } else {
        error
    };
    let hint: Option<&str> = match code {
        40101 => Some(
            "This topic or server needs an access token: store one with `pushdeck secret set PROFILE access_token` (or Edit credentials).",
        ),
        40301 => Some(
            "The access token is valid but may not write to this topic; grant write access on the server (ntfy access …) or use another topic.",
        ),
        40007 => Some("Use a priority of min, low, normal, high or max."),
        40018 => Some("The buttons were refused: each needs a label and a link, three at most."),
        41301 => Some(
            "The attachment is too large for this server (ntfy.sh: 2 MB); link to a smaller file.",
        ),
        42901 => Some(
            "Too many requests from this address: ntfy refills one request every 5 seconds. Wait, then send again.",
        ),
        42902 => Some("Too many e-mails were requested today; wait until tomorrow."),
        42905 => Some(
            "Today's attachment bandwidth is used up; send without an attachment or wait until tomorrow.",
        ),
        42908 => Some(
            "Today's message quota is used up (ntfy.sh: 250 a day without an account); wait until tomorrow or sign in with a token of an account with a higher tier.",
        ),
        42909 => Some(
            "Too many failed sign-ins from this address: check the access token, then wait a while before trying again.",
        ),
        _ => None,
    };
    let mut outcome = match status {
        401 => Outcome::refused(format!("{NAME} wants credentials: {detail}")).with_hint(
            hint.unwrap_or("Store an access token for this profile (Edit credentials), or publish to an open topic."),
        ),
        403 => Outcome::refused(format!("{NAME} refused access: {detail}")).with_hint(
            hint.unwrap_or("The access token may not write to this topic."),
        ),
        429 => Outcome::refused(format!(
            "{NAME} is rate limiting: {detail}{}",
            response
                .retry_after()
                .map(|s| format!("; it asks to wait {s} s"))
                .unwrap_or_default()
        ))
        .with_hint(hint.unwrap_or("Wait a little, then send again; nothing was published.")),
        400..=499 => Outcome::refused(format!("{NAME} refused the message: {detail}")).with_hint(
            hint.unwrap_or("Fix the field it names and send again."),
        ),
        _ => {
            let mut o = Outcome::from_status(NAME, status, &detail);
            if let Some(h) = hint {
                o = o.with_hint(h);
            }
            o
        }
    };
    if status == 429 {
        outcome.retry_after = response.retry_after();
    }
    outcome
}

#[cfg(test)]
mod tests;
