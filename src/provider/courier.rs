//! Courier: `POST /send` with `Authorization: Bearer …` (providers.md §5), in the current
//! `{"message": …}` form or the older `event`/`recipient`/`profile` form, plus the
//! `GET /messages/{id}` delivery lookup.

use serde_json::{Map, Value, json};

use super::describe::{Capabilities, FieldKind, FieldSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider};
use super::shared::{Refused, StatusRule, answer, refuse_options, said_or_status, status_outcome};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::{LookupItem, Outcome};
use crate::profile::Profile;
use crate::profile::Secrets;

pub struct Courier;

const NAME: &str = "Courier";
/// The keys that say who a recipient object is (providers.md §5.2).
const RECIPIENT_KEYS: &[&str] = &[
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

/// The common options outside `INFO.common_options`, and why.
const REFUSED: &[Refused] = &[
    (
        "ttl",
        "Courier's send has no ttl: set an expiry in a Courier template or use options.raw; remove this option",
    ),
    (
        "priority",
        "Courier's send has no priority: Courier routes by channel, not priority; remove this option",
    ),
];

static INFO: ProviderInfo = ProviderInfo {
    id: "courier",
    name: NAME,
    default_base_url: "https://api.courier.com",
    secrets: &[FieldSpec::new(
        "auth_token",
        "Auth token",
        FieldKind::Text,
        "Settings > API Keys: the workspace's test or production key (pk_…)",
    )
    .required()],
    audience: &[FieldSpec::new(
        "to",
        "To",
        FieldKind::Json,
        "a recipient or a list: {\"email\": …}, {\"user_id\": …}, {\"phone_number\": …}, {\"list_id\": …}",
    )],
    options: &[
        FieldSpec::new(
            "template",
            "Template",
            FieldKind::Text,
            "a notification template id or alias, sent instead of the title and body",
        ),
        FieldSpec::new(
            "routing_method",
            "Routing method",
            FieldKind::Choice(&["single", "all"]),
            "single: the first channel that works; all: every channel",
        ),
        FieldSpec::new(
            "channels",
            "Channels",
            FieldKind::List,
            "in order, e.g. push, email, sms",
        ),
        FieldSpec::new(
            "idempotency_key",
            "Idempotency key",
            FieldKind::Text,
            "a repeat with the same key is not sent twice (default: one per composed message)",
        ),
        FieldSpec::new(
            "legacy_event",
            "Legacy event",
            FieldKind::Text,
            "an event id: use the older event/recipient/profile send form",
        ),
    ],
    capabilities: Capabilities {
        retries_on_rate_limit: 2,
        ..Capabilities::BASE
    },
    common_options: &["schedule_at", "raw"],
    ..ProviderInfo::BASE
};

impl Provider for Courier {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let token = ctx.secrets.require(&ctx.profile.name, "auth_token")?;
        let root = base_url(ctx.profile, &INFO)?;
        let options = Fields::new("options", &draft.options);
        refuse_options(&options, REFUSED)?;
        let mut warnings = Vec::new();
        let body = match (options.value("raw"), options.string("legacy_event")?) {
            (Some(raw), _) => raw_body(raw)?,
            (None, Some(event)) => legacy_body(draft, event, &options, &mut warnings)?,
            (None, None) => message_body(ctx, &options, &mut warnings)?,
        };
        let key = options
            .string("idempotency_key")?
            .unwrap_or(ctx.idempotency_key);
        let mut request = PreparedRequest::new("POST", format!("{root}/send")).secret_header(
            "Authorization",
            format!("Bearer {token}"),
            "auth_token",
            token,
        );
        if !key.is_empty() {
            request = request.header("Idempotency-Key", key);
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
        if !response.is_success() {
            return error_outcome(response.status, body.as_ref(), response.retry_after());
        }
        let text = |k: &str| {
            body.as_ref()
                .and_then(|b| b.get(k))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        if let Some(id) = text("requestId") {
            Outcome::accepted(format!(
                "Accepted: request {id}; Courier delivers it next (Check delivery shows how it went)"
            ))
            .with_id(id)
        } else if let Some(id) = text("messageId") {
            Outcome::accepted(format!(
                "Accepted: message {id}; Courier delivers it next (Check delivery shows how it went)"
            ))
            .with_id(id)
        } else {
            Outcome::refused(format!(
                "{NAME} answered {} without a request id, so it is unclear whether anything was sent",
                response.status
            ))
            .with_hint("Check the base URL: it should be the API root, https://api.courier.com.")
        }
    }
    fn call(
        &self,
        call: &Call,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<CallPlan, DraftError> {
        match call {
            Call::Check => self.check(profile, secrets).map(CallPlan::Request),
            Call::Action { name, params } if name == DELIVERY => {
                let id = params
                    .get("message_id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                delivery_request(profile, secrets, id).map(CallPlan::Request)
            }
            other => Err(other.unsupported(self.info().name)),
        }
    }

    fn interpret_call(&self, call: &Call, exchange: &Exchange) -> Outcome {
        match call {
            Call::Action { name, .. } if name == DELIVERY => interpret_delivery(exchange),
            _ => self.interpret_check(exchange),
        }
    }

    fn audience_label(&self, draft: &Draft) -> String {
        match draft.audience.get("to") {
            Some(Value::Array(items)) if items.len() == 1 => recipient_label(&items[0]),
            Some(Value::Array(items)) if !items.is_empty() => {
                format!("{} recipients", items.len())
            }
            Some(one @ Value::Object(_)) => recipient_label(one),
            _ => "nobody yet".into(),
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        let lists: Vec<String> = match draft.audience.get("to") {
            Some(Value::Array(items)) => items.iter().filter_map(list_name).collect(),
            Some(one) => list_name(one).into_iter().collect(),
            None => Vec::new(),
        };
        (!lists.is_empty()).then(|| format!("everyone on {}", lists.join(", ")))
    }
}

/// The calls beside sending, behind `Provider::call`.
impl Courier {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        get(profile, secrets, "/messages?limit=1")
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        let body = response.json();
        if !response.is_success() {
            return error_outcome(response.status, body.as_ref(), response.retry_after());
        }
        match body
            .as_ref()
            .and_then(|b| b.get("results"))
            .and_then(Value::as_array)
        {
            Some(list) if list.is_empty() => {
                Outcome::accepted("Key works: this workspace has sent no messages yet")
            }
            Some(_) => Outcome::accepted("Key works: the workspace's message log is readable"),
            None => Outcome::refused(format!(
                "{NAME} answered {} but not with a message list",
                response.status
            ))
            .with_hint("Check the base URL: it should be the API root, https://api.courier.com."),
        }
    }
}

fn list_name(recipient: &Value) -> Option<String> {
    ["list_id", "list_pattern", "audience_id"]
        .iter()
        .find_map(|k| recipient.get(*k).and_then(Value::as_str))
        .map(|v| format!("“{v}”"))
}

fn recipient_label(recipient: &Value) -> String {
    for (key, what) in [
        ("email", ""),
        ("phone_number", ""),
        ("user_id", "user "),
        ("list_id", "list "),
        ("list_pattern", "lists "),
        ("audience_id", "audience "),
    ] {
        if let Some(v) = recipient.get(key).and_then(Value::as_str) {
            return format!("{what}{v}");
        }
    }
    "1 recipient".into()
}

fn get(profile: &Profile, secrets: &Secrets, path: &str) -> Result<PreparedRequest, DraftError> {
    let token = secrets.require(&profile.name, "auth_token")?;
    let root = base_url(profile, &INFO)?;
    Ok(PreparedRequest::new("GET", format!("{root}{path}"))
        .secret_header(
            "Authorization",
            format!("Bearer {token}"),
            "auth_token",
            token,
        )
        .header("Accept", "application/json"))
}

/// The action name of "Check delivery": `Call::action(DELIVERY, json!({"message_id": id}))`.
pub const DELIVERY: &str = "delivery";

/// `GET /messages/{id}`: a message's status and per-channel attempts ("Check delivery").
pub fn delivery_request(
    profile: &Profile,
    secrets: &Secrets,
    message_id: &str,
) -> Result<PreparedRequest, DraftError> {
    let id = message_id.trim();
    if id.is_empty() {
        return Err(DraftError::new("message_id", "is empty"));
    }
    let segment: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    get(profile, secrets, &format!("/messages/{segment}"))
}

/// The delivery status in words; each provider attempt is an item ("email via sendgrid: SENT").
pub fn interpret_delivery(exchange: &Exchange) -> Outcome {
    let response = match answer(exchange) {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let body = response.json();
    if response.status == 404 {
        return Outcome::refused(format!(
            "{NAME} has no message with this id yet (404)"
        ))
        .with_hint("Courier needs a moment to log a new send: try again in a few seconds. A list or audience send has one message id per recipient; find them in Courier's Message Logs.");
    }
    if !response.is_success() {
        return error_outcome(response.status, body.as_ref(), response.retry_after());
    }
    let Some(msg) = body.as_ref().filter(|b| b.is_object()) else {
        return Outcome::refused(format!("{NAME} answered without message details"));
    };
    let text = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let status = text(msg, "status");
    let status = if status.is_empty() {
        "UNKNOWN".to_string()
    } else {
        status
    };
    let mut summary = format!("Delivery status: {status}");
    let reason = text(msg, "reason");
    if !reason.is_empty() {
        summary.push_str(&format!(" ({reason})"));
    }
    let error = text(msg, "error");
    if !error.is_empty() {
        summary.push_str(&format!(": {error}"));
    }
    let mut stamps = Vec::new();
    for key in ["enqueued", "sent", "delivered", "opened", "clicked"] {
        if let Some(ms) = msg.get(key).and_then(Value::as_i64) {
            stamps.push(format!("{key} {}", millis_text(ms)));
        }
    }
    if !stamps.is_empty() {
        summary.push_str(&format!(" · {}", stamps.join(", ")));
    }
    let items: Vec<LookupItem> = msg
        .get("providers")
        .and_then(Value::as_array)
        .map(|list| list.iter().map(attempt_item).collect())
        .unwrap_or_default();
    let failed = matches!(
        status.as_str(),
        "UNDELIVERABLE" | "UNROUTABLE" | "UNMAPPED" | "CANCELED" | "FILTERED" | "THROTTLED"
    );
    let mut outcome = if failed {
        Outcome::refused(summary).with_hint(reason_hint(&reason, &status))
    } else {
        Outcome::accepted(summary)
    };
    if let Some(id) = msg.get("id").and_then(Value::as_str) {
        outcome = outcome.with_id(id);
    }
    outcome.items = items;
    outcome
}

/// One provider attempt: "email via sendgrid: DELIVERED".
fn attempt_item(attempt: &Value) -> LookupItem {
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => ["key", "name", "id"]
            .iter()
            .find_map(|k| o.get(*k).and_then(Value::as_str))
            .unwrap_or("")
            .to_string(),
        _ => String::new(),
    };
    let channel = text(attempt.get("channel"));
    let provider = text(attempt.get("provider"));
    let status = text(attempt.get("status"));
    let error = text(attempt.get("error"));
    let mut label = match (channel.is_empty(), provider.is_empty()) {
        (false, false) => format!("{channel} via {provider}"),
        (false, true) => channel.clone(),
        (true, false) => provider.clone(),
        (true, true) => "attempt".into(),
    };
    if !status.is_empty() {
        label.push_str(&format!(": {status}"));
    }
    if !error.is_empty() {
        label.push_str(&format!(" ({error})"));
    }
    let value = if provider.is_empty() {
        channel
    } else {
        provider
    };
    LookupItem::new(value, label)
}

fn reason_hint(reason: &str, status: &str) -> &'static str {
    match reason {
        "NO_CHANNELS" => {
            "No channel could reach this recipient: give them an email, phone number or push token, or route to other channels."
        }
        "NO_PROVIDERS" => {
            "No provider is configured for the routed channels: add one under Channels in Courier's designer."
        }
        "UNSUBSCRIBED" | "OPT_IN_REQUIRED" => "The recipient's preferences block this message.",
        "UNPUBLISHED" => "The template is not published: publish it in Courier's designer.",
        "BOUNCED" => "The address bounced: check the email address.",
        "PROVIDER_ERROR" | "FAILED" => {
            "The downstream provider refused it: open the message in Courier's logs for its error."
        }
        _ if status == "UNMAPPED" => {
            "The event is not mapped to a notification: map it in Courier, or send a template id instead."
        }
        _ => "Open the message in Courier's Message Logs for details.",
    }
}

fn millis_text(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| format!("{:02}:{:02}:{:02} UTC", t.hour(), t.minute(), t.second()))
        .unwrap_or_else(|_| ms.to_string())
}

fn raw_body(raw: &Value) -> Result<Value, DraftError> {
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
fn recipients(draft: &Draft) -> Result<Value, DraftError> {
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

fn message_body(
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

/// The older form (trycourier ≤ v4): `{"event", "recipient", "profile", "data"}`, with the
/// recipient's `user_id` as `recipient` and the rest of `audience.to` as the `profile`.
fn legacy_body(
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
        _ => {
            return Err(DraftError::new(
                "audience.to.user_id",
                "the legacy event form needs a recipient id: add \"user_id\" to audience.to",
            ));
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

/// Courier's documented error statuses; the rest get the generic reading.
const ERRORS: &[StatusRule<'static>] = &[
    StatusRule::new(
        &[400, 422],
        "refused the request",
        "Fix what it names and send again; nothing was sent.",
    ),
    StatusRule::new(
        &[401],
        "refused the auth token",
        "Copy the workspace's API key from Settings > API Keys (test and production keys differ) and store it with Edit credentials or `pushdeck secret set PROFILE auth_token`.",
    ),
    StatusRule::new(
        &[403],
        "says this key may not do that",
        "Use a key with full access to this workspace.",
    ),
    StatusRule::new(
        &[404],
        "could not find it",
        "Check the template or list id, and the base URL.",
    ),
    StatusRule::new(
        &[409],
        "refused a reused idempotency key",
        "This key was already used for a different message: change the message, or clear options.idempotency_key for a new one.",
    ),
    StatusRule::new(&[429], "is rate limiting", "Wait a little and send again."),
];

fn error_outcome(status: u16, body: Option<&Value>, retry_after: Option<u64>) -> Outcome {
    let message = body
        .and_then(|b| b.get("message"))
        .and_then(Value::as_str)
        .unwrap_or("");
    let said = said_or_status(message, status);
    status_outcome(NAME, status, &said, retry_after, ERRORS)
        .unwrap_or_else(|| Outcome::from_status(NAME, status, message))
}

#[cfg(test)]
mod tests;
