//! Web Push (RFC 8030) to browser subscriptions: one request per subscription, each encrypted with
//! RFC 8291 (`aes128gcm`) and signed with a VAPID JWT (RFC 8292) per push-service origin
//! (providers.md §7).

mod doctor;
pub mod ece;
mod fan_out;
pub mod subscription;
#[cfg(test)]
mod tests;
pub mod vapid;

use super::shared::answer;
use serde_json::{Map, Value, json};

use super::describe::{Capabilities, FieldKind, FieldSpec, MAX_CONCURRENCY, ProviderInfo};
use super::seam::{Call, CallPlan, FanOut, FanOutSource, PrepareContext, Prepared, Provider};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Body, Exchange};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;
use fan_out::WebPushFanOut;
use subscription::Subscription;
use vapid::VapidKey;

/// The audience key naming a file of subscriptions (read by the store as the send goes).
pub const FILE_FIELD: &str = "subscriptions_file";

pub struct WebPush;

const NAME: &str = "Web Push";
/// A day: long enough for a laptop that sleeps overnight, short enough not to surprise.
const DEFAULT_TTL_S: u64 = 86_400;
const URGENCIES: &[&str] = &["very-low", "low", "normal", "high"];
/// Requests in flight at once when the draft does not say.
pub const DEFAULT_CONCURRENCY: usize = 32;

static INFO: ProviderInfo = ProviderInfo {
    id: "webpush",
    name: NAME,
    default_base_url: "",
    settings: &[
        FieldSpec::new(
            "subject",
            "Subject",
            FieldKind::Text,
            "mailto:you@example.com or an https:// URL: how push services contact you",
        )
        .required(),
        FieldSpec::new(
            "vapid_public_key",
            "VAPID public key",
            FieldKind::Text,
            "the applicationServerKey your page subscribes with (filled in by Generate keys)",
        ),
    ],
    secrets: &[FieldSpec::new(
        "vapid_private_key",
        "VAPID private key",
        FieldKind::Text,
        "base64url (as web-push tools print it) or PEM; Generate keys makes one",
    )
    .required()],
    audience: &[
        FieldSpec::new(
            "subscriptions",
            "Subscriptions",
            FieldKind::JsonList,
            "PushSubscription JSON from the browser: one per line, or a JSON array",
        ),
        FieldSpec::new(
            FILE_FIELD,
            "Subscriptions file",
            FieldKind::Text,
            "a file of subscriptions (JSON lines or a JSON array) read as the send goes, instead of listing them here: for big lists",
        ),
    ],
    options: &[
        FieldSpec::new(
            "urgency",
            "Urgency",
            FieldKind::Choice(URGENCIES),
            "how eagerly the push service wakes the device (battery vs speed)",
        ),
        FieldSpec::new(
            "topic",
            "Topic",
            FieldKind::Text,
            "up to 32 letters, digits, - or _: a newer message with the same topic replaces an undelivered one",
        ),
        FieldSpec::new(
            "concurrency",
            "Concurrency",
            FieldKind::Number,
            "requests in flight at once during a fan-out (default 32)",
        ),
    ],
    // Push services answer 429 with Retry-After; one patient retry is what users expect.
    capabilities: Capabilities {
        retries_on_rate_limit: 2,
        concurrency: DEFAULT_CONCURRENCY,
        ..Capabilities::BASE
    },
    common_options: &["ttl", "priority", "raw"],
    ..ProviderInfo::BASE
};

impl Provider for WebPush {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        doctor::inspect(ctx.profile, ctx.secrets)
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let mut shared = WebPushFanOut::new(ctx)?;
        let subscriptions = subscriptions(ctx.draft)?;
        let mut requests = Vec::with_capacity(subscriptions.len());
        for (i, sub) in subscriptions.iter().enumerate() {
            let request = shared.request_for(sub).map_err(|e| {
                let field = format!("audience.subscriptions[{i}]");
                match e.strip_prefix("endpoint ") {
                    Some(rest) => DraftError::new(format!("{field}.endpoint"), rest),
                    None => DraftError::new(field, e),
                }
            })?;
            requests.push(request);
        }
        for (i, (request, body)) in requests
            .iter_mut()
            .zip(fan_out::encrypt_all(shared.plaintext(), &subscriptions))
            .enumerate()
        {
            let body = body.map_err(|e| {
                DraftError::new(format!("audience.subscriptions[{i}]"), e.to_string())
            })?;
            request.body = Body::Bytes(body.into());
        }
        Ok(Prepared {
            requests,
            warnings: shared.take_warnings(),
        })
    }

    fn fan_out_source(&self, draft: &Draft) -> Option<FanOutSource> {
        match draft.audience.get(FILE_FIELD) {
            Some(Value::String(path)) if !path.trim().is_empty() => Some(FanOutSource::File {
                field: FILE_FIELD,
                path: path.trim().into(),
            }),
            _ => Some(FanOutSource::Inline {
                field: "subscriptions",
            }),
        }
    }

    fn fan_out(&self, ctx: &PrepareContext<'_>) -> Option<Result<Box<dyn FanOut>, DraftError>> {
        Some(WebPushFanOut::new(ctx).map(|f| Box::new(f) as Box<dyn FanOut>))
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        let text = response.text().trim();
        let detail: String = text.chars().take(300).collect();
        let said = if detail.is_empty() {
            String::new()
        } else {
            format!(": {detail}")
        };
        match response.status {
            200..=299 => {
                let location = response.header("Location").unwrap_or("");
                let ttl = response
                    .header("TTL")
                    .filter(|t| Some(*t) != exchange.request.header_value("TTL"))
                    .map(|t| format!(" (the push service cut the TTL to {t} s)"))
                    .unwrap_or_default();
                let summary = match response.status {
                    201 => format!("Sent: the push service accepted it{ttl}"),
                    status => format!(
                        "Sent: the push service answered {status} {} instead of 201 Created{ttl}",
                        status_phrase(status, &response.reason)
                    ),
                };
                let outcome = Outcome::accepted(summary);
                match location.rsplit('/').next().filter(|id| !id.is_empty()) {
                    Some(id) => outcome.with_id(id),
                    None => outcome,
                }
            }
            404 | 410 => {
                let mut outcome = Outcome::refused(format!(
                    "Gone: this subscription has expired or was unsubscribed ({})",
                    response.status
                ))
                .with_hint("Remove it from your list; the browser must subscribe again to get pushes.");
                outcome.gone = true;
                outcome
            }
            413 => Outcome::refused(format!("Too large: the push service refused the payload size (413){said}"))
                .with_hint("Shorten the message or its data; push services must accept only 4096 encrypted bytes."),
            429 => {
                let mut outcome = Outcome::refused(format!("Rate limited by the push service (429){said}"))
                    .with_hint("Send more slowly (lower Concurrency) or wait before sending again.");
                outcome.retry_after = response.retry_after();
                outcome
            }
            400 => Outcome::refused(format!("The push service rejected the request headers (400){said}"))
                .with_hint("Check TTL, Urgency and Topic (up to 32 letters, digits, - or _)."),
            401 | 403 => Outcome::refused(format!(
                "The push service refused the VAPID signature ({}){said}",
                response.status
            ))
            .with_hint("The subscription was made with a different applicationServerKey, or the subject is invalid. Use the public key shown under VAPID keys on your page, and subscribe again."),
            status => Outcome::from_status("The push service", status, &detail),
        }
    }

    fn call(
        &self,
        call: &Call,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<CallPlan, DraftError> {
        match call {
            Call::Check => self.check_locally(profile, secrets).map(CallPlan::Local),
            other => Err(other.unsupported(self.info().name)),
        }
    }

    fn interpret_call(&self, _call: &Call, exchange: &Exchange) -> Outcome {
        self.interpret(exchange)
    }

    fn validate_secret(&self, field: &str, value: &str) -> Result<(), String> {
        if field == "vapid_private_key" {
            VapidKey::import(value).map(|_| ())
        } else {
            Ok(())
        }
    }

    fn concurrency(&self, draft: &Draft) -> usize {
        Fields::new("options", &draft.options)
            .u64("concurrency")
            .ok()
            .flatten()
            .map_or(self.info().capabilities.concurrency, |n| {
                usize::try_from(n)
                    .unwrap_or(MAX_CONCURRENCY)
                    .clamp(1, MAX_CONCURRENCY)
            })
    }

    fn preview_draft(&self, draft: &Draft, limit: usize) -> Option<(Draft, usize)> {
        let Some(Value::Array(all)) = draft.audience.get("subscriptions") else {
            return None;
        };
        if all.len() <= limit {
            return None;
        }
        // A new audience with the first `limit`: writing into the shared one would copy it all.
        let mut audience: Map<String, Value> = draft
            .audience
            .iter()
            .filter(|(k, _)| *k != "subscriptions")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        audience.insert("subscriptions".into(), Value::Array(all[..limit].to_vec()));
        let cut = Draft {
            audience: audience.into(),
            ..draft.clone()
        };
        Some((cut, all.len() - limit))
    }

    fn audience_label(&self, draft: &Draft) -> String {
        if let Some(Value::String(path)) = draft.audience.get(FILE_FIELD) {
            return format!("the subscriptions in {}", path.trim());
        }
        match draft.audience.get("subscriptions") {
            Some(Value::Array(items)) if items.len() == 1 => Subscription::from_value(&items[0])
                .map(|s| format!("subscription {}", s.display_name()))
                .unwrap_or_else(|_| "1 subscription".into()),
            Some(Value::Array(items)) => format!("{} subscriptions", items.len()),
            _ => "nobody yet".into(),
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        // Inline, every subscription is named and large fan-outs are confirmed by the front
        // ends' recipient count; a file may hold a million, counted only as it is sent.
        match draft.audience.get(FILE_FIELD) {
            Some(Value::String(path)) if !path.trim().is_empty() => {
                Some(format!("every subscription in {}", path.trim()))
            }
            _ => None,
        }
    }
}

/// The calls beside sending, behind `Provider::call`.
impl WebPush {
    /// Push services have no read-only endpoint: the check is local (the key pair, the subject).
    fn check_locally(&self, profile: &Profile, secrets: &Secrets) -> Result<Outcome, DraftError> {
        local_check(profile, secrets)
    }
}

fn key(profile: &Profile, secrets: &Secrets) -> Result<VapidKey, DraftError> {
    let text = secrets.require(&profile.name, "vapid_private_key")?;
    let key = VapidKey::import(text).map_err(|e| DraftError::new("secret vapid_private_key", e))?;
    if let Some(public) = profile.setting("vapid_public_key")
        && public != key.public_key_b64()
    {
        return Err(DraftError::new(
            "settings.vapid_public_key",
            "does not match the VAPID private key: subscriptions made with one key are refused with the other. Generate keys again or fix the public key",
        ));
    }
    Ok(key)
}

fn subject(profile: &Profile) -> Result<&str, DraftError> {
    let subject = profile.setting("subject").ok_or_else(|| {
        DraftError::new(
            "settings.subject",
            format!(
                "missing; set it with `pushdeck profile add {} --provider webpush --set subject=mailto:you@example.com`",
                profile.name
            ),
        )
    })?;
    vapid::check_subject(subject).map_err(|e| DraftError::new("settings.subject", e))?;
    Ok(subject)
}

fn local_check(profile: &Profile, secrets: &Secrets) -> Result<Outcome, DraftError> {
    let subject = subject(profile)?;
    let key = key(profile, secrets)?;
    // Sign and verify a token the way a push service would: proves the key pair end to end.
    let now = crate::clock::now();
    let audience = "https://push.example";
    let jwt = key
        .jwt(audience, subject, now)
        .map_err(|e| DraftError::new("secret vapid_private_key", e))?;
    vapid::verify(&jwt, &key.public_key_b64(), audience, now)
        .map_err(|e| DraftError::new("secret vapid_private_key", e))?;
    let public = key.public_key_b64();
    let stored = if profile.setting("vapid_public_key").is_some() {
        "matches the stored public key"
    } else {
        "no public key stored in the profile yet (Generate keys or set vapid_public_key)"
    };
    Ok(Outcome::accepted(format!(
        "VAPID keys work: the private key signs tokens that verify with {}…; {stored}; subject {subject}. Checked locally: push services have no read-only endpoint.",
        &public[..12]
    )))
}

/// The subscriptions of a draft, each checked; the error names the item.
pub fn subscriptions(draft: &Draft) -> Result<Vec<Subscription>, DraftError> {
    if draft.audience.contains_key(FILE_FIELD) {
        return Err(DraftError::new(
            format!("audience.{FILE_FIELD}"),
            "the subscriptions are in a file: Pushdeck reads it as it sends (name either `subscriptions` or `subscriptions_file`, not both)",
        ));
    }
    let items = match draft.audience.get("subscriptions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        Some(_) => {
            return Err(DraftError::new(
                "audience.subscriptions",
                "must be a list of PushSubscription objects",
            ));
        }
    };
    if items.is_empty() {
        return Err(DraftError::new(
            "audience.subscriptions",
            "no subscriptions: paste one from the browser (JSON.stringify(subscription)), import a file, or name one in `audience.subscriptions_file`",
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            Subscription::from_value(item)
                .map_err(|e| DraftError::new(format!("audience.subscriptions[{i}]"), e))
        })
        .collect()
}

fn headers(options: &Fields<'_>) -> Result<Vec<(&'static str, String)>, DraftError> {
    let mut headers = vec![(
        "TTL",
        options.u64("ttl")?.unwrap_or(DEFAULT_TTL_S).to_string(),
    )];
    let urgency = match options.one_of("urgency", URGENCIES)? {
        Some(u) => Some(u),
        None => options
            .one_of("priority", &["low", "normal", "high"])?
            .filter(|p| *p != "normal"),
    };
    if let Some(urgency) = urgency {
        headers.push(("Urgency", urgency.to_string()));
    }
    if let Some(topic) = options.string("topic")? {
        let ok = topic.len() <= 32
            && topic
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !ok {
            return Err(DraftError::new(
                "options.topic",
                "at most 32 letters, digits, - or _ (RFC 8030 §5.4)",
            ));
        }
        headers.push(("Topic", topic.to_string()));
    }
    if options.has("schedule_at") {
        return Err(DraftError::new(
            "options.schedule_at",
            "Web Push cannot schedule: push services deliver at once (use TTL to bound how long they keep it)",
        ));
    }
    Ok(headers)
}

/// The JSON a service worker shows directly (see the snippet under Help for the other side).
pub fn payload(draft: &Draft, warnings: &mut Vec<String>) -> Value {
    let m = &draft.message;
    let mut p = Map::new();
    let mut put = |k: &str, v: &str| {
        if !v.trim().is_empty() {
            p.insert(k.into(), json!(v));
        }
    };
    put("title", &m.title);
    put("body", &m.body);
    put("icon", &m.icon);
    put("image", &m.image);
    put("url", &m.url);
    if !m.subtitle.is_empty() {
        warnings.push("Browsers show no subtitle: it is left out of the payload.".into());
    }
    if !m.buttons.is_empty() {
        let actions: Vec<Value> = m
            .buttons
            .iter()
            .map(|b| {
                let mut a = Map::new();
                a.insert("action".into(), json!(b.id));
                a.insert("title".into(), json!(b.label));
                if !b.icon.is_empty() {
                    a.insert("icon".into(), json!(b.icon));
                }
                if !b.url.is_empty() {
                    a.insert("url".into(), json!(b.url));
                }
                Value::Object(a)
            })
            .collect();
        if actions.len() > 2 {
            warnings.push(format!(
                "Chrome shows at most 2 action buttons; {} are sent and the rest may be hidden.",
                actions.len()
            ));
        }
        p.insert("actions".into(), Value::Array(actions));
    }
    if m.silent {
        p.insert("silent".into(), json!(true));
    }
    if !m.translations.is_empty() {
        p.insert("translations".into(), json!(m.translations));
    }
    if !m.data.is_empty() {
        p.insert("data".into(), Value::Object(m.data.clone()));
    }
    Value::Object(p)
}

fn payload_bytes(draft: &Draft, warnings: &mut Vec<String>) -> Vec<u8> {
    serde_json::to_vec(&payload(draft, warnings)).unwrap_or_default()
}

fn override_origin(profile: &Profile) -> Result<Option<String>, DraftError> {
    match profile
        .base_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Ok(None),
        Some(raw) => {
            let checked =
                crate::http::check_base_url(raw).map_err(|e| DraftError::new("base_url", e))?;
            Ok(origin_of(&checked))
        }
    }
}

/// `scheme://host[:port]`: the VAPID audience.
fn origin_of(url: &str) -> Option<String> {
    let url = url::Url::parse(url).ok()?;
    url.host_str()?;
    Some(url.origin().ascii_serialization())
}

/// The endpoint (parsed) with its scheme, host and port replaced (tests, self-hosted push
/// services).
fn replace_origin_of(url: &url::Url, origin: &str) -> String {
    let (path, query) = (url.path(), url.query());
    let mut out =
        String::with_capacity(origin.len() + path.len() + query.map_or(0, |q| q.len() + 1));
    out.push_str(origin);
    out.push_str(path);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A service worker that shows the payload exactly as Pushdeck sends it.
pub const SERVICE_WORKER_SNIPPET: &str = include_str!("webpush/service_worker.js");

/// The words after a 2xx status: the server's own when it sent any, else the standard ones.
fn status_phrase(status: u16, reason: &str) -> &str {
    match (reason.trim(), status) {
        ("", 200) => "OK",
        ("", 202) => "Accepted",
        ("", 204) => "No Content",
        ("", _) => "",
        (said, _) => said,
    }
}
