//! iOS 18 broadcast channels: managing them (create, list, read, delete) on Apple's channel
//! management host, and sending a Live Activity update to every device subscribed to one.
//!
//! What Apple's pages confirm (read through the stored copies; see docs/providers/apns.md):
//! management speaks HTTP/2 over TLS on `api-manage-broadcast.sandbox.push.apple.com` for the
//! sandbox, an app keeps up to 10,000 channels per environment, a channel id is a base64 string,
//! a broadcast is a `POST` that APNs authenticates, then checks the channel of, then delivers to
//! every subscriber, and a failed answer carries `apns-request-id` and a JSON `reason`. The ports,
//! paths, bodies and reason names below could not be read in full there: they follow what public
//! APNs clients send, and the docs and the window say so.

use base64::Engine as _;
use serde_json::{Value, json};

use super::certificate::CertificateAuth;
use super::errors::{NAME, reason_outcome};
use super::{INFO, environment};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::{LookupItem, Outcome};
use crate::profile::{Profile, Secrets};
use crate::provider::describe::base_url;
use crate::provider::seam::Call;
use crate::provider::shared::answer;

pub const MANAGE_PRODUCTION: &str = "https://api-manage-broadcast.push.apple.com:2196";
pub const MANAGE_SANDBOX: &str = "https://api-manage-broadcast.sandbox.push.apple.com:2195";

/// The lookup that lists every channel of the app (`pushdeck lookup PROFILE channels`).
pub const LOOKUP: &str = "channels";
/// The actions beside it, with their parameters (`channel_id`, `storage_policy`).
pub const CREATE: &str = "channels.create";
pub const READ: &str = "channels.read";
pub const DELETE: &str = "channels.delete";

/// `message-storage-policy` in words, in Apple's numbering (0, 1).
pub const STORAGE_POLICIES: &[&str] = &["no-storage", "most-recent-message"];

/// Said wherever a channel detail rests on public clients rather than Apple's own page.
pub const UNCONFIRMED: &str = "Apple's channel pages could not be read in full here: the management ports, paths, bodies and error reasons follow what public APNs clients send.";

/// The number Apple's API takes for a storage policy word (or its number).
pub fn storage_policy(word: &str) -> Result<u8, DraftError> {
    match word.trim() {
        "no-storage" | "0" => Ok(0),
        "most-recent-message" | "1" => Ok(1),
        other => Err(DraftError::new(
            "storage_policy",
            format!(
                "`{other}` is not a storage policy: use no-storage (deliver only to devices online now) or most-recent-message (keep the latest update for devices that come online later)"
            ),
        )),
    }
}

/// The word for Apple's number, as `show` and the list print it.
fn storage_word(n: &Value) -> String {
    match n.as_u64() {
        Some(0) => "no-storage".into(),
        Some(1) => "most-recent-message".into(),
        _ => n.to_string(),
    }
}

/// A channel id is base64 (ActivityKit's `PushType.channel(_:)` documents it so).
pub fn check_channel_id(field: &str, id: &str) -> Result<String, DraftError> {
    let id = id.trim();
    let standard = base64::engine::general_purpose::STANDARD;
    if id.is_empty() {
        return Err(DraftError::new(
            field,
            "give the channel id APNs returned when the channel was created (`pushdeck apns channels list PROFILE` shows them)",
        ));
    }
    if standard.decode(id).is_err() {
        return Err(DraftError::new(
            field,
            format!(
                "`{id}` is not a channel id: APNs channel ids are base64 (e.g. dHN/Qo5cEe+YbB5R5DpVfg==), copy it whole"
            ),
        ));
    }
    Ok(id.to_string())
}

/// The draft's `audience.channel_id`, when it sends to a channel. One channel per request, as
/// `apns-channel-id` names one.
pub fn audience_channel(draft: &Draft) -> Result<Option<String>, DraftError> {
    let audience = Fields::new("audience", &draft.audience);
    let Some(id) = audience.string("channel_id")? else {
        return Ok(None);
    };
    if id.trim().is_empty() {
        return Ok(None);
    }
    if !audience.strings("device_tokens")?.is_empty() {
        return Err(DraftError::new(
            "audience.channel_id",
            "give device tokens or a channel, not both: a channel send reaches every subscribed device by itself",
        ));
    }
    check_channel_id("audience.channel_id", id).map(Some)
}

/// The root of the management API: the profile's base URL when overridden (tests, proxies),
/// otherwise the environment's management host.
fn manage_root(profile: &Profile, from_cert: Option<&'static str>) -> Result<String, DraftError> {
    let overridden = profile
        .base_url
        .as_deref()
        .is_some_and(|s| !s.trim().is_empty());
    if overridden {
        base_url(profile, &INFO)
    } else if environment(profile, from_cert)? == "production" {
        Ok(MANAGE_PRODUCTION.into())
    } else {
        Ok(MANAGE_SANDBOX.into())
    }
}

/// Whether a call is one of the channel calls this module builds and judges.
pub fn is_channel_call(call: &Call) -> bool {
    match call {
        Call::Lookup(id) => id == LOOKUP,
        Call::Action { name, .. } => [CREATE, READ, DELETE].contains(&name.as_str()),
        Call::Check => false,
    }
}

fn param<'a>(params: &'a Value, key: &str) -> &'a str {
    params.get(key).and_then(Value::as_str).unwrap_or("")
}

/// How a channel request is signed: a provider token (none yet in a preview: the placeholder),
/// or the push certificate as the TLS client certificate (Apple accepts either for channels).
pub enum Signer<'a> {
    Token(Option<&'a str>),
    Certificate(&'a CertificateAuth),
}

impl Signer<'_> {
    fn sign(&self, r: PreparedRequest) -> PreparedRequest {
        match self {
            Signer::Certificate(c) => c.apply(r),
            Signer::Token(token) => {
                let mut r = r.header(
                    "authorization",
                    format!("bearer {}", token.unwrap_or(super::TOKEN_PLACEHOLDER)),
                );
                if let Some(t) = token {
                    r.add_secret("provider_token", t);
                }
                r
            }
        }
    }

    /// The certificate's one environment, when it has only one (it decides the host).
    fn environment(&self) -> Option<&'static str> {
        match self {
            Signer::Certificate(c) => c.facts.only_environment(),
            Signer::Token(_) => None,
        }
    }
}

/// The management request for a channel call, signed by `signer`.
pub fn request(
    call: &Call,
    profile: &Profile,
    bundle: &str,
    signer: &Signer<'_>,
) -> Result<PreparedRequest, DraftError> {
    let root = format!(
        "{}/1/apps/{bundle}",
        manage_root(profile, signer.environment())?
    );
    let (method, path, channel, body) = match call {
        Call::Lookup(id) if id == LOOKUP => ("GET", "all-channels", None, None),
        Call::Action { name, params } if name == CREATE => {
            let policy = storage_policy(match param(params, "storage_policy") {
                "" => "no-storage",
                given => given,
            })?;
            let body = json!({"message-storage-policy": policy, "push-type": "LiveActivity"});
            ("POST", "channels", None, Some(body))
        }
        Call::Action { name, params } if name == READ || name == DELETE => {
            let id = check_channel_id("channel_id", param(params, "channel_id"))?;
            let method = if name == READ { "GET" } else { "DELETE" };
            (method, "channels", Some(id), None)
        }
        other => return Err(other.unsupported(NAME)),
    };
    let mut r = signer.sign(PreparedRequest::new(method, format!("{root}/{path}")).http2_only());
    if let Some(id) = channel {
        r = r.header("apns-channel-id", id);
    }
    if let Some(body) = body {
        r = r.header("content-type", "application/json");
        r.body = crate::http::Body::Text(body.to_string());
    }
    Ok(r)
}

/// The request id APNs answered with, for the summary ("(apns-request-id …)").
fn request_id(exchange: &Exchange) -> String {
    exchange
        .response
        .as_ref()
        .and_then(|r| r.header("apns-request-id"))
        .map(|id| format!(" (apns-request-id {id})"))
        .unwrap_or_default()
}

/// Judges the answer to a channel call: the created id, the list as lookup items, one channel's
/// settings, or a deletion.
pub fn interpret(call: &Call, exchange: &Exchange) -> Outcome {
    let response = match answer(exchange) {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let rid = request_id(exchange);
    if !(200..300).contains(&response.status) {
        let mut o = reason_outcome(response);
        // The shared wording speaks of a notification; this was a channel request.
        o.summary =
            o.summary
                .replacen("refused the notification", "refused the channel request", 1);
        o.summary.push_str(&rid);
        return o;
    }
    let body = response.json().unwrap_or(Value::Null);
    match call {
        Call::Lookup(_) => {
            let items: Vec<LookupItem> = body
                .get("channels")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(LookupItem::plain)
                        .collect()
                })
                .unwrap_or_default();
            let mut o = Outcome::accepted(match items.len() {
                0 => "The app has no broadcast channels in this environment".to_string(),
                1 => "1 broadcast channel".to_string(),
                n => format!("{n} broadcast channels"),
            });
            o.items = items;
            o
        }
        Call::Action { name, params } if name == CREATE => {
            match response
                .header("apns-channel-id")
                .filter(|id| !id.is_empty())
            {
                Some(id) => {
                    let policy = param(params, "storage_policy");
                    let policy = if policy.is_empty() {
                        "no-storage"
                    } else {
                        policy
                    };
                    let mut o = Outcome::accepted(format!("Channel created: {id} ({policy}){rid}"))
                        .with_id(id);
                    o.items = vec![LookupItem::plain(id)];
                    o
                }
                None => Outcome::refused(format!(
                    "{NAME} answered {} without an apns-channel-id header{rid}",
                    response.status
                ))
                .with_hint("Check the base URL: it may not point at the channel management host."),
            }
        }
        Call::Action { name, params } if name == READ => {
            let id = param(params, "channel_id");
            let policy = body
                .get("message-storage-policy")
                .map(storage_word)
                .unwrap_or_else(|| "not given".into());
            let kind = body
                .get("push-type")
                .and_then(Value::as_str)
                .unwrap_or("not given");
            Outcome::accepted(format!(
                "Channel {id}: storage policy {policy}, push type {kind}{rid}"
            ))
            .with_id(id)
        }
        Call::Action { params, .. } => Outcome::accepted(format!(
            "Channel {} deleted{rid}",
            param(params, "channel_id")
        )),
        Call::Check => Outcome::accepted(format!("{NAME} answered {}", response.status)),
    }
}

/// The broadcast send: one `POST /4/broadcasts/apps/{bundle}` naming the channel, with the
/// push type, priority and expiration of a Live Activity; no `apns-topic` (the path names the
/// app). `headers` are the send's other headers, already checked.
pub fn broadcast_request(
    root: &str,
    bundle: &str,
    channel: &str,
    headers: &[(&str, String)],
    body: String,
    signer: &Signer<'_>,
) -> PreparedRequest {
    let mut r = signer
        .sign(
            PreparedRequest::new("POST", format!("{root}/4/broadcasts/apps/{bundle}")).http2_only(),
        )
        .header("apns-channel-id", channel);
    for (name, value) in headers {
        r = r.header(name, value.clone());
    }
    r = r.header("content-type", "application/json");
    r.body = crate::http::Body::Text(body);
    r
}

/// Whether a request is a broadcast send (for judging its answer).
pub fn is_broadcast(exchange: &Exchange) -> bool {
    exchange.request.url.contains("/4/broadcasts/apps/")
}

/// A channel call's request: signed with the push certificate when the profile uses one, else
/// with a provider token minted from the profile's key.
pub fn call_request(
    call: &Call,
    profile: &Profile,
    secrets: &Secrets,
) -> Result<PreparedRequest, DraftError> {
    let now = crate::clock::now();
    if let Some(cert) = super::certificate::for_profile(profile, secrets, now)? {
        return request(call, profile, &cert.topic, &Signer::Certificate(&cert));
    }
    let bundle = super::auth::setting(profile, "topic", "topic (bundle id)")?;
    let token = super::auth::mint(profile, secrets, now)?;
    request(call, profile, bundle, &Signer::Token(Some(&token.value)))
}

/// The broadcast request for a draft whose audience is a channel: only a Live Activity goes
/// over a channel. `headers` is (push type, priority, expiration, collapse id) as the device
/// path chose them.
pub fn broadcast_send(
    root: &str,
    bundle: &str,
    channel: &str,
    headers: (&str, &str, Option<i64>, Option<&str>),
    body: String,
    signer: &Signer<'_>,
    warnings: &mut Vec<String>,
) -> Result<PreparedRequest, DraftError> {
    let (push_type, priority, expiration, collapse) = headers;
    if push_type != "liveactivity" {
        return Err(DraftError::new(
            "options.push_type",
            format!(
                "a broadcast channel carries Live Activity updates only; `{push_type}` goes to device tokens. Fill options.live_activity (push type liveactivity)"
            ),
        ));
    }
    if collapse.is_some() {
        return Err(DraftError::new(
            "options.collapse_id",
            "a channel send has no apns-collapse-id in the channel API public clients use: leave it out",
        ));
    }
    let event = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|p| p["aps"]["event"].as_str().map(str::to_string))
        .unwrap_or_default();
    if event == "start" {
        warnings.push("A channel reaches Live Activities that already run and subscribed to it (ActivityKit .channel); a start event normally goes to a push-to-start token.".into());
    }
    let mut list = vec![
        ("apns-push-type", push_type.to_string()),
        ("apns-priority", priority.to_string()),
    ];
    if let Some(at) = expiration {
        list.push(("apns-expiration", at.to_string()));
    }
    Ok(broadcast_request(
        root, bundle, channel, &list, body, signer,
    ))
}

/// Judges a broadcast send's answer: APNs names it by `apns-request-id`.
pub fn broadcast_outcome(response: &crate::http::ResponseDump) -> Outcome {
    let rid = response.header("apns-request-id").unwrap_or("").to_string();
    if response.status == 200 {
        let unique = response
            .header("apns-unique-id")
            .map(|u| format!(" (delivery log id {u})"))
            .unwrap_or_default();
        let mut o = Outcome::accepted(format!(
            "Sent to the channel's subscribers: apns-request-id {rid}{unique}"
        ));
        if !rid.is_empty() {
            o = o.with_id(rid);
        }
        return o;
    }
    let mut o = reason_outcome(response);
    if !rid.is_empty() {
        o.summary.push_str(&format!(" (apns-request-id {rid})"));
    }
    o
}
