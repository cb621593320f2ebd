//! Azure Notification Hubs, REST data plane (providers.md §2): `POST {hub}/messages/` signed with a
//! SAS token computed locally from the connection string; native formats for every platform,
//! templates, tags and tag expressions, direct sends, scheduled sends, and the `test` debug send
//! whose outcome lists each registration.

mod body;
mod connection;
mod doctor;
mod formats;
mod headers;
mod interpret;
pub mod report;
mod sas;
mod tags;
mod wns;

use super::describe::{Capabilities, FieldKind, FieldSpec, ProviderInfo, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider};
use super::shared::answer;
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;
use body::Payload;
use time::OffsetDateTime;

pub use connection::{ConnectionString, parse as parse_connection_string};
pub use formats::FORMATS;
pub use report::{NotificationOutcome, RegistrationResult, parse_outcome};
pub use sas::{SasToken, sign as sas_signature, token as sas_token};
pub use tags::parse as parse_tag_expression;
pub use wns::{WNS_RAW_MAX, check_xml, root_names};

use interpret::{NAME, hub_of, ids_text, key_name, notification_id, refusal, test_outcome};
pub use interpret::{is_test, test_report, tracking_headers};

pub struct Azure;

pub const API_VERSION: &str = "2020-06";
/// The hub refuses bodies over 64 KB (413).
const MAX_BODY: usize = 64 * 1024;
/// Scheduled sends reach at most seven days ahead.
const MAX_SCHEDULE_DAYS: i64 = 7;
/// The secret masked in dumps: the signature, so `sr`, `se` and `skn` stay readable.
const SIG_FIELD: &str = "sas_signature";

/// The tag the check's test send goes to: no device registers it.
const CHECK_TAG: &str = "pushdeck_credential_check";

static INFO: ProviderInfo = ProviderInfo {
    id: "azure",
    name: NAME,
    // Documentation only: the real root comes from the connection string's Endpoint.
    default_base_url: "https://<namespace>.servicebus.windows.net",
    settings: &[FieldSpec::new(
        "hub",
        "Hub name",
        FieldKind::Text,
        "the notification hub's name (not the namespace)",
    )
    .required()],
    secrets: &[FieldSpec::new(
        "connection_string",
        "Connection string",
        FieldKind::Text,
        "Endpoint=sb://…/;SharedAccessKeyName=…;SharedAccessKey=… from Access Policies (sending needs the Send claim)",
    )
    .required()],
    audience: &[
        FieldSpec::new(
            "tags",
            "Tags",
            FieldKind::List,
            "registrations with any of these tags (sent OR-ed, at most 20); none at all means everyone",
        ),
        FieldSpec::new(
            "tag_expression",
            "Tag expression",
            FieldKind::Text,
            "e.g. (follows_RedSox || follows_Cardinals) && location_Boston",
        ),
        FieldSpec::new(
            "device_handle",
            "Device handle",
            FieldKind::Text,
            "direct send to one APNs token, FCM token or WNS channel URI",
        ),
    ],
    options: &[
        FieldSpec::new(
            "format",
            "Format",
            FieldKind::Choice(formats::FORMATS),
            "the platform payload (default apple); template fills each registration's template",
        ),
        FieldSpec::new(
            "test_send",
            "Test send",
            FieldKind::Bool,
            "debug mode: at most 10 registrations, and a per-registration outcome report",
        ),
        FieldSpec::new(
            "wns_type",
            "WNS type",
            FieldKind::Choice(formats::WNS_TYPES),
            "windows only: toast (default), tile, badge or raw",
        ),
        FieldSpec::new(
            "headers",
            "Custom headers",
            FieldKind::Json,
            "headers the hub passes on, e.g. {\"apns-collapse-id\": \"sale\", \"X-WNS-Tag\": \"promo\"}",
        ),
        FieldSpec::new(
            "badge",
            "Badge",
            FieldKind::Number,
            "apple badge count; windows badge value",
        ),
        FieldSpec::new(
            "sound",
            "Sound",
            FieldKind::Text,
            "apple sound name (default: default)",
        ),
        FieldSpec::new(
            "category",
            "Category",
            FieldKind::Text,
            "apple notification category (default: the first button's id)",
        ),
    ],
    capabilities: Capabilities {
        retries_on_rate_limit: 2,
        server_dry_run: true,
        ..Capabilities::BASE
    },
    ..ProviderInfo::BASE
};

/// Who a draft goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Audience {
    Everyone,
    Tags(String, usize),
    Expression(String),
    Device(String),
}

fn audience(draft: &Draft) -> Result<Audience, DraftError> {
    let a = Fields::new("audience", &draft.audience);
    let tag_list = a.strings("tags")?;
    let expression = a.string("tag_expression")?.map(str::trim);
    let device = a.string("device_handle")?.map(str::trim);
    let chosen = [!tag_list.is_empty(), expression.is_some(), device.is_some()];
    if chosen.iter().filter(|c| **c).count() > 1 {
        return Err(DraftError::new(
            "audience",
            "use only one of tags, tag_expression, device_handle",
        ));
    }
    if let Some(device) = device {
        return Ok(Audience::Device(device.to_string()));
    }
    if let Some(expr) = expression {
        tags::parse(expr).map_err(|e| DraftError::new("audience.tag_expression", e.to_string()))?;
        return Ok(Audience::Expression(expr.to_string()));
    }
    if !tag_list.is_empty() {
        for (i, tag) in tag_list.iter().enumerate() {
            tags::check_tag(tag).map_err(|e| DraftError::new(format!("audience.tags[{i}]"), e))?;
        }
        if tag_list.len() > tags::MAX_OR_TAGS {
            return Err(DraftError::new(
                "audience.tags",
                format!(
                    "the hub takes at most {} tags in one send; this has {}",
                    tags::MAX_OR_TAGS,
                    tag_list.len()
                ),
            ));
        }
        return Ok(Audience::Tags(tag_list.join(" || "), tag_list.len()));
    }
    Ok(Audience::Everyone)
}

fn hub_name(profile: &Profile) -> Result<&str, DraftError> {
    let hub = profile.setting("hub").map(str::trim).filter(|h| !h.is_empty()).ok_or_else(|| {
        DraftError::new(
            "settings.hub",
            format!(
                "profile `{}` has no hub name; set it with `pushdeck profile add {} --provider azure --set hub=…`",
                profile.name, profile.name
            ),
        )
    })?;
    let bad = hub
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')));
    if let Some(c) = bad {
        return Err(DraftError::new(
            "settings.hub",
            format!("`{hub}` has `{c}`; a hub name holds letters, digits, . - _ and /"),
        ));
    }
    if hub.starts_with('/') || hub.ends_with('/') || hub.len() > 260 {
        return Err(DraftError::new(
            "settings.hub",
            format!(
                "`{hub}` is not a valid hub name (1 to 260 characters, no leading or trailing /)"
            ),
        ));
    }
    Ok(hub)
}

/// The hub's URL (`https://ns.servicebus.windows.net/hub`), the key, and the connection string.
struct Target {
    hub_url: String,
    connection: ConnectionString,
    secret: String,
}

fn target(profile: &Profile, secrets: &Secrets) -> Result<Target, DraftError> {
    let hub = hub_name(profile)?;
    let secret = secrets.require(&profile.name, "connection_string")?;
    let connection = connection::parse(secret)?;
    let root = match profile
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(url) => {
            crate::http::check_base_url(url).map_err(|e| DraftError::new("base_url", e))?
        }
        None => connection.endpoint.clone(),
    };
    Ok(Target {
        hub_url: format!("{root}/{hub}"),
        connection,
        secret: secret.to_string(),
    })
}

/// A request to `path_and_query` under the hub, signed for the hub URL.
fn signed(
    method: &str,
    t: &Target,
    path_and_query: &str,
    now: time::OffsetDateTime,
) -> PreparedRequest {
    let expiry = now.unix_timestamp() + sas::TTL_SECS;
    let token = sas::token(
        &t.hub_url,
        &t.connection.key_name,
        &t.connection.key,
        expiry,
    );
    let mut request = PreparedRequest::new(method, format!("{}/{path_and_query}", t.hub_url))
        .header("Authorization", token.header.clone());
    request.add_secret(SIG_FIELD, &token.signature);
    // Never on the wire, but masked wherever it might be echoed.
    request.add_secret("connection_string", &t.secret);
    request.add_secret("connection_string", &t.connection.key);
    request
}

impl Provider for Azure {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        doctor::inspect(ctx.profile, ctx.secrets)
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let options = Fields::new("options", &draft.options);
        let audience = audience(draft)?;
        let custom = headers::parse(&options)?;
        let mut warnings = Vec::new();
        let payload = formats::build(draft, ctx.now, &mut warnings)?;
        if payload.body.len() > MAX_BODY {
            return Err(DraftError::new(
                if options.has("raw") {
                    "options.raw"
                } else {
                    "message"
                },
                format!(
                    "the payload is {} bytes; the hub accepts at most {MAX_BODY}",
                    payload.body.len()
                ),
            ));
        }
        let test = options.bool("test_send")?.unwrap_or(false) || ctx.dry_run;
        let schedule = schedule_at(&options, ctx.now)?;
        check_modes(
            &audience,
            test,
            schedule.is_some(),
            payload.format,
            ctx.dry_run,
        )?;
        let t = target(ctx.profile, ctx.secrets)?;
        let mut request = send_request(&t, &audience, schedule, &payload, test, ctx.now);
        if test {
            warnings.push("Test send: the hub delivers to at most 10 matching registrations (for real) and reports each one's outcome.".into());
        }
        if options.has("priority") && !matches!(payload.format, "apple" | "fcmv1" | "gcm") {
            warnings.push(format!(
                "options.priority has no effect on format {}.",
                payload.format
            ));
        }
        headers::apply(&mut request, custom, &mut warnings);
        request.body = crate::http::Body::Text(payload.body);
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
        if !response.is_success() {
            return refusal(exchange, response);
        }
        let url = &exchange.request.url;
        let ids = ids_text(response);
        if is_test(url) {
            let Some(report) = report::parse_outcome(response.text()) else {
                return Outcome::refused(format!(
                    "The hub answered {} to a test send without an outcome report{ids}",
                    response.status
                ))
                .with_hint("Check the base URL: it may point at a proxy instead of the hub.");
            };
            return test_outcome(&report, &ids);
        }
        let id = notification_id(response);
        let what = if url.contains("/schedulednotifications/") {
            "Scheduled"
        } else if url.contains("?direct") {
            "Sent to the device"
        } else {
            "Sent"
        };
        let mut outcome = Outcome::accepted(format!(
            "{what}: the hub accepted it ({}){ids}",
            response.status
        ));
        if let Some(id) = id {
            outcome = outcome.with_id(id);
        }
        outcome
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
        match audience(draft) {
            Ok(Audience::Everyone) => format!("every {} registration", format_name(draft)),
            Ok(Audience::Tags(expr, 1)) => format!("registrations tagged “{expr}”"),
            Ok(Audience::Tags(expr, n)) => format!("registrations with any of {n} tags ({expr})"),
            Ok(Audience::Expression(e)) => format!("registrations matching “{e}”"),
            Ok(Audience::Device(_)) => "one device (direct send)".into(),
            Err(_) => "an invalid audience".into(),
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        (audience(draft).ok()? == Audience::Everyone)
            .then(|| format!("every {} registration of the hub", format_name(draft)))
    }
}

/// `options.schedule_at`, checked: in the future and at most seven days ahead.
fn schedule_at(
    options: &Fields<'_>,
    now: OffsetDateTime,
) -> Result<Option<OffsetDateTime>, DraftError> {
    Ok(match options.string("schedule_at")? {
        None => None,
        Some(at) => {
            let when = crate::clock::parse_rfc3339(at)
                .map_err(|e| DraftError::new("options.schedule_at", e))?;
            if when <= now {
                return Err(DraftError::new("options.schedule_at", "is in the past"));
            }
            if when > now + time::Duration::days(MAX_SCHEDULE_DAYS) {
                return Err(DraftError::new(
                    "options.schedule_at",
                    format!("the hub schedules at most {MAX_SCHEDULE_DAYS} days ahead"),
                ));
            }
            Some(when)
        }
    })
}

/// Test mode, scheduling and direct sends exclude one another; templates need registrations.
fn check_modes(
    audience: &Audience,
    test: bool,
    scheduled: bool,
    format: &str,
    dry_run: bool,
) -> Result<(), DraftError> {
    let what = if dry_run {
        "--dry-run (the hub's test mode)"
    } else {
        "options.test_send"
    };
    if matches!(audience, Audience::Device(_)) {
        if test {
            return Err(DraftError::new(
                what,
                "the hub's test mode does not work with a direct send (audience.device_handle); use tags instead",
            ));
        }
        if scheduled {
            return Err(DraftError::new(
                "options.schedule_at",
                "a direct send (audience.device_handle) cannot be scheduled",
            ));
        }
        if format == "template" {
            return Err(DraftError::new(
                "options.format",
                "a template needs registrations; a direct send takes a native format",
            ));
        }
    }
    if test && scheduled {
        return Err(DraftError::new(
            what,
            "a scheduled send has no test mode; remove options.schedule_at to test",
        ));
    }
    Ok(())
}

/// The signed send with the headers that pick the audience, the format and the schedule.
fn send_request(
    t: &Target,
    audience: &Audience,
    schedule: Option<OffsetDateTime>,
    payload: &Payload,
    test: bool,
    now: OffsetDateTime,
) -> PreparedRequest {
    let path = match (audience, schedule) {
        (Audience::Device(_), _) => format!("messages/?direct&api-version={API_VERSION}"),
        (_, Some(_)) => format!("schedulednotifications/?api-version={API_VERSION}"),
        _ if test => format!("messages/?api-version={API_VERSION}&test"),
        _ => format!("messages/?api-version={API_VERSION}"),
    };
    let mut request = signed("POST", t, &path, now);
    for (name, value) in &payload.headers {
        request = request.header(name, value.clone());
    }
    request = request
        .header("ServiceBusNotification-Format", payload.format)
        .header("x-ms-version", API_VERSION);
    match audience {
        Audience::Tags(expr, _) | Audience::Expression(expr) => {
            request = request.header("ServiceBusNotification-Tags", expr.clone());
        }
        Audience::Device(handle) => {
            request = request.header("ServiceBusNotification-DeviceHandle", handle.clone());
        }
        Audience::Everyone => {}
    }
    if let Some(when) = schedule {
        let utc = when.to_offset(time::UtcOffset::UTC);
        request = request.header(
            "ServiceBusNotification-ScheduleTime",
            formats::w3c(utc).trim_end_matches('Z').to_string(),
        );
    }
    request
}

/// The calls beside sending, behind `Provider::call`.
impl Azure {
    /// A test send to a tag no device has: it needs the Send right (a Listen key is refused, a
    /// Send-only key passes, unlike listing registrations, which needs Manage) and the hub (404
    /// when there is none), and delivers nothing.
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        let draft = Draft::from_json(
            &serde_json::json!({
                "profile": profile.name,
                "message": {"body": "Pushdeck credential check"},
                "audience": {"tags": [CHECK_TAG]},
            })
            .to_string(),
        )?;
        let ctx = PrepareContext {
            draft: &draft,
            profile,
            secrets,
            now: crate::clock::now(),
            idempotency_key: "check",
            token: None,
            dry_run: true,
        };
        self.prepare(&ctx)?
            .requests
            .into_iter()
            .next()
            .ok_or_else(|| DraftError::new("call", "the check's test send could not be built"))
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        if !response.is_success() {
            return refusal(exchange, response);
        }
        if report::parse_outcome(response.text()).is_none() {
            return Outcome::refused(format!(
                "The hub answered {} to the test send without an outcome report",
                response.status
            ))
            .with_hint(
                "Check the base URL: it may point at a proxy or a web page instead of the hub.",
            );
        }
        let hub = hub_of(&exchange.request.url);
        let key = key_name(exchange).unwrap_or("this key");
        Outcome::accepted(format!(
            "Connection string works: policy {key} can send to hub “{hub}” (a test send to the tag {CHECK_TAG}, which no device has, delivered nothing)"
        ))
    }
}

fn format_name(draft: &Draft) -> &'static str {
    formats::format_of(&Fields::new("options", &draft.options)).unwrap_or("apple")
}

#[cfg(test)]
mod tests;
