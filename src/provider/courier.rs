//! Courier: `POST /send` with `Authorization: Bearer …` (providers.md §5), in the current
//! `{"message": …}` form or the older `event`/`recipient`/`profile` form, plus the
//! `GET /messages/{id}` delivery lookup.

mod delivery;
mod errors;
mod payload;

use serde_json::Value;

use super::describe::{Capabilities, FieldKind, FieldSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider};
use super::shared::{Refused, answer, refuse_options};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

pub use delivery::interpret_delivery;
use errors::{NAME, error_outcome};
use payload::{legacy_body, message_body, raw_body};

pub struct Courier;

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

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        super::doctor::tokens::courier(ctx.profile, ctx.secrets)
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

#[cfg(test)]
mod tests;
