//! AWS SNS Publish over the Query API, signed with SigV4 (providers.md §6).

pub mod sigv4;

use super::shared::{Refused, refuse_options};
use serde_json::{Map, Value, json};

use super::describe::{FieldKind, FieldSpec, LookupSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Body, Exchange, PreparedRequest};
use crate::outcome::{LookupItem, Outcome};
use crate::profile::Profile;
use crate::profile::Secrets;

pub struct Sns;

const NAME: &str = "AWS SNS";
const VERSION: &str = "2010-03-31";
const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";
const MAX_MESSAGE_BYTES: usize = 262_144;
const TARGETS: [(&str, &str); 3] = [
    ("topic_arn", "TopicArn"),
    ("target_arn", "TargetArn"),
    ("phone_number", "PhoneNumber"),
];

/// The common options outside `INFO.common_options`, and why.
const REFUSED: &[Refused] = &[
    (
        "ttl",
        "Publish has no ttl: set AWS.SNS.MOBILE.*.TTL in message.data instead; remove this option",
    ),
    (
        "priority",
        "Publish has no priority: SNS has no priority; remove this option",
    ),
    (
        "schedule_at",
        "Publish has no schedule_at: SNS cannot schedule; remove this option",
    ),
];

static INFO: ProviderInfo = ProviderInfo {
    id: "sns",
    name: NAME,
    default_base_url: "https://sns.{region}.amazonaws.com",
    settings: &[
        FieldSpec::new(
            "region",
            "Region",
            FieldKind::Text,
            "e.g. us-east-1: the region of the topic or endpoint",
        )
        .required(),
        FieldSpec::new(
            "access_key_id",
            "Access key ID",
            FieldKind::Text,
            "AKIA… (or ASIA… with a session token)",
        )
        .required(),
    ],
    secrets: &[
        FieldSpec::new(
            "secret_access_key",
            "Secret access key",
            FieldKind::Text,
            "the secret of this access key",
        )
        .required(),
        FieldSpec::new(
            "session_token",
            "Session token",
            FieldKind::Text,
            "only for temporary credentials (ASIA… keys)",
        ),
    ],
    audience: &[
        FieldSpec::new(
            "topic_arn",
            "Topic ARN",
            FieldKind::Text,
            "arn:aws:sns:REGION:ACCOUNT:NAME (Load topics); every subscriber gets it",
        ),
        FieldSpec::new(
            "target_arn",
            "Target ARN",
            FieldKind::Text,
            "a mobile platform endpoint ARN",
        ),
        FieldSpec::new(
            "phone_number",
            "Phone number",
            FieldKind::Text,
            "E.164, e.g. +14155550100: a direct SMS",
        ),
    ],
    options: &[FieldSpec::new(
        "message_structure_json",
        "Per-platform messages",
        FieldKind::Bool,
        "MessageStructure=json: default, APNS, APNS_SANDBOX and GCM (FCM v1) built from the message",
    )],
    lookups: &[LookupSpec {
        id: "topics",
        label: "Load topics",
        audience_key: "topic_arn",
    }],
    common_options: &["raw"],
    ..ProviderInfo::BASE
};

impl Provider for Sns {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let account = Account::from(ctx.profile, ctx.secrets)?;
        let options = Fields::new("options", &draft.options);
        refuse_options(&options, REFUSED)?;
        let mut warnings = Vec::new();
        let params = match options.value("raw") {
            Some(raw) => raw_params(raw)?,
            None => publish_params(draft, &options, &account, &mut warnings)?,
        };
        let request = account.signed_post(&params, ctx.now)?;
        Ok(Prepared {
            requests: vec![request],
            warnings,
        })
    }

    fn interpret(&self, exchange: &Exchange) -> Outcome {
        judge(exchange, |text| {
            let id = tag(text, "MessageId").unwrap_or_default();
            if id.is_empty() {
                return Outcome::refused(format!(
                    "{NAME} answered without a MessageId, so it is unclear whether anything was published"
                ))
                .with_hint("Check the base URL: it should be https://sns.REGION.amazonaws.com.");
            }
            let seq = tag(text, "SequenceNumber")
                .map(|s| format!(" (sequence {s})"))
                .unwrap_or_default();
            Outcome::accepted(format!("Published: message {id}{seq}")).with_id(id)
        })
    }
    fn call(
        &self,
        call: &Call,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<CallPlan, DraftError> {
        match call {
            Call::Check => self.check(profile, secrets).map(CallPlan::Request),
            Call::Lookup(id) => self.lookup(id, profile, secrets).map(CallPlan::Request),
            other => Err(other.unsupported(self.info().name)),
        }
    }

    fn interpret_call(&self, call: &Call, exchange: &Exchange) -> Outcome {
        match call {
            Call::Lookup(id) => self.interpret_lookup(id, exchange),
            _ => self.interpret_check(exchange),
        }
    }

    fn audience_label(&self, draft: &Draft) -> String {
        let a = Fields::new("audience", &draft.audience);
        let get = |k| a.string(k).ok().flatten();
        if let Some(arn) = get("topic_arn") {
            format!("topic “{}”", arn.rsplit(':').next().unwrap_or(arn))
        } else if let Some(arn) = get("target_arn") {
            "1 endpoint".to_string() + &format!(" ({})", arn.rsplit('/').next().unwrap_or(arn))
        } else if let Some(phone) = get("phone_number") {
            phone.to_string()
        } else {
            "nobody yet".into()
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        Fields::new("audience", &draft.audience)
            .string("topic_arn")
            .ok()
            .flatten()
            .map(|_| format!("every subscriber of {}", self.audience_label(draft)))
    }
}

/// The calls beside sending, behind `Provider::call`.
impl Sns {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        list_topics(profile, secrets)
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        judge(exchange, |text| {
            let n = all_tags(text, "TopicArn").len();
            let more = if tag(text, "NextToken").is_some() {
                " (first page)"
            } else {
                ""
            };
            Outcome::accepted(format!(
                "Credentials work: {n} topic{} in this region{more}",
                if n == 1 { "" } else { "s" }
            ))
        })
    }

    fn lookup(
        &self,
        id: &str,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<PreparedRequest, DraftError> {
        match id {
            "topics" => list_topics(profile, secrets),
            other => Err(DraftError::new(
                "lookup",
                format!("`{other}` is not a lookup of {NAME}"),
            )),
        }
    }

    fn interpret_lookup(&self, _id: &str, exchange: &Exchange) -> Outcome {
        judge(exchange, |text| {
            let arns = all_tags(text, "TopicArn");
            let mut o = Outcome::accepted(format!(
                "Loaded {} topic{}",
                arns.len(),
                if arns.len() == 1 { "" } else { "s" }
            ));
            o.items = arns
                .into_iter()
                .map(|arn| {
                    let name = arn.rsplit(':').next().unwrap_or(&arn).to_string();
                    LookupItem::new(arn, name)
                })
                .collect();
            o
        })
    }
}

/// The profile's credentials and endpoint.
struct Account<'a> {
    region: &'a str,
    access_key_id: &'a str,
    secret: &'a str,
    session_token: Option<&'a str>,
    root: String,
}

impl<'a> Account<'a> {
    fn from(profile: &'a Profile, secrets: &'a Secrets) -> Result<Self, DraftError> {
        let setting = |key: &str, what: &str| {
            profile.setting(key).map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| {
                DraftError::new(
                    format!("settings.{key}"),
                    format!("profile `{}` has no {what}; set it with `pushdeck profile add {} --provider sns --set {key}=…`", profile.name, profile.name),
                )
            })
        };
        let region = setting("region", "region")?;
        if !region
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(DraftError::new(
                "settings.region",
                format!("`{region}` is not a region name such as us-east-1"),
            ));
        }
        let access_key_id = setting("access_key_id", "access key ID")?;
        let secret = secrets.require(&profile.name, "secret_access_key")?;
        let session_token = secrets.get("session_token");
        let root = match base_url(profile, &INFO)? {
            url if url.contains("{region}") => {
                let host = if region.starts_with("cn-") {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                format!("https://sns.{region}.{host}")
            }
            url => url,
        };
        Ok(Self {
            region,
            access_key_id,
            secret,
            session_token,
            root,
        })
    }

    /// A signed `POST /` with the form body: `Content-Type`, `X-Amz-Date`, the session token
    /// when there is one, and `Authorization`, all over the host of the URL.
    fn signed_post(
        &self,
        params: &[(String, String)],
        now: time::OffsetDateTime,
    ) -> Result<PreparedRequest, DraftError> {
        let body = form(params);
        let url = format!("{}/", self.root);
        let parsed = url::Url::parse(&url)
            .map_err(|e| DraftError::new("base_url", format!("not a URL: {e}")))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err(DraftError::new("base_url", "has no host")),
        };
        let amz_date = amz_date(now);
        let mut headers = vec![
            ("Content-Type".to_string(), FORM.to_string()),
            ("Host".to_string(), host),
            ("X-Amz-Date".to_string(), amz_date.clone()),
        ];
        if let Some(token) = self.session_token {
            headers.push(("X-Amz-Security-Token".to_string(), token.to_string()));
        }
        let signed = sigv4::sign(
            &sigv4::Request {
                method: "POST",
                path: parsed.path(),
                query: parsed.query().unwrap_or(""),
                headers: &headers,
                body: body.as_bytes(),
            },
            &sigv4::Credentials {
                access_key_id: self.access_key_id,
                secret_access_key: self.secret,
                region: self.region,
                service: "sns",
                amz_date: &amz_date,
            },
        );
        // The Host header is set by the HTTP client from the URL (the same value as signed).
        let mut request = PreparedRequest::new("POST", url);
        for (name, value) in headers.into_iter().filter(|(n, _)| n != "Host") {
            request = if name == "X-Amz-Security-Token" {
                request.secret_header(&name, value.clone(), "session_token", &value)
            } else {
                request.header(&name, value)
            };
        }
        let mut request = request
            .header("Authorization", signed.authorization.clone())
            .header("Accept", "text/xml");
        // The signature is a credential for 15 minutes: masked like a key.
        request.add_secret("signature", &signed.signature);
        request.add_secret("secret_access_key", self.secret);
        request.body = Body::Text(body);
        Ok(request)
    }
}

fn amz_date(now: time::OffsetDateTime) -> String {
    let t = now.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn form(params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| {
            format!(
                "{}={}",
                sigv4::uri_encode(k, false),
                sigv4::uri_encode(v, false)
            )
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn list_topics(profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
    let account = Account::from(profile, secrets)?;
    account.signed_post(
        &[
            ("Action".into(), "ListTopics".into()),
            ("Version".into(), VERSION.into()),
        ],
        crate::clock::now(),
    )
}

fn raw_params(raw: &Value) -> Result<Vec<(String, String)>, DraftError> {
    let Value::Object(map) = raw else {
        return Err(DraftError::new(
            "options.raw",
            "must be an object of Query API parameters, e.g. {\"TopicArn\": …, \"Message\": …}",
        ));
    };
    let mut params = vec![
        ("Action".to_string(), "Publish".to_string()),
        ("Version".to_string(), VERSION.to_string()),
    ];
    for (k, v) in map {
        if k == "Action" || k == "Version" {
            continue;
        }
        let v = match v {
            Value::String(s) => s.clone(),
            Value::Number(_) | Value::Bool(_) => v.to_string(),
            _ => {
                return Err(DraftError::new(
                    format!("options.raw.{k}"),
                    "must be a string (Query API parameters are flat)",
                ));
            }
        };
        params.push((k.clone(), v));
    }
    Ok(params)
}

fn publish_params(
    draft: &Draft,
    options: &Fields<'_>,
    account: &Account<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<(String, String)>, DraftError> {
    let m = &draft.message;
    let mut params = vec![
        ("Action".to_string(), "Publish".to_string()),
        ("Version".to_string(), VERSION.to_string()),
    ];
    let audience = Fields::new("audience", &draft.audience);
    let mut chosen = Vec::new();
    for (key, param) in TARGETS {
        if let Some(v) = audience.string(key)? {
            chosen.push((key, param, v.trim()));
        }
    }
    let (key, param, value) = match chosen.as_slice() {
        [one] => *one,
        [] => {
            return Err(DraftError::new(
                "audience",
                "choose where to publish: topic_arn, target_arn or phone_number",
            ));
        }
        _ => {
            return Err(DraftError::new(
                "audience",
                "Publish takes exactly one of topic_arn, target_arn, phone_number",
            ));
        }
    };
    match key {
        "phone_number" => {
            let digits = value.strip_prefix('+').unwrap_or("");
            if digits.is_empty() || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit())
            {
                return Err(DraftError::new(
                    "audience.phone_number",
                    format!("`{value}` is not an E.164 number such as +14155550100"),
                ));
            }
        }
        _ => {
            let parts: Vec<&str> = value.split(':').collect();
            if parts.len() < 6 || parts[0] != "arn" || parts[2] != "sns" {
                return Err(DraftError::new(
                    format!("audience.{key}"),
                    format!("`{value}` is not an SNS ARN (arn:aws:sns:REGION:ACCOUNT:…)"),
                ));
            }
            if parts[3] != account.region {
                return Err(DraftError::new(
                    format!("audience.{key}"),
                    format!(
                        "is in region {} but this profile publishes to {}; SNS only publishes within one region (set region={} in the profile)",
                        parts[3], account.region, parts[3]
                    ),
                ));
            }
        }
    }
    params.push((param.to_string(), value.to_string()));
    if !m.title.is_empty() {
        check_subject(&m.title)?;
        params.push(("Subject".into(), m.title.clone()));
    }
    if m.body.trim().is_empty() {
        return Err(DraftError::new("message.body", "is required"));
    }
    let structured = options.bool("message_structure_json")?.unwrap_or(false);
    let message = if structured {
        let text = per_platform(draft)?;
        warnings.push(format!(
            "Message, decoded (each value is sent as a JSON string): {}",
            decoded(&text)
        ));
        params.push(("MessageStructure".into(), "json".into()));
        text
    } else {
        m.body.clone()
    };
    params.push(("Message".into(), message));
    let mut n = 0;
    for (name, value) in &m.data {
        n += 1;
        let (kind, text) = attribute(name, value)?;
        params.push((format!("MessageAttributes.entry.{n}.Name"), name.clone()));
        params.push((
            format!("MessageAttributes.entry.{n}.Value.DataType"),
            kind.to_string(),
        ));
        params.push((
            format!("MessageAttributes.entry.{n}.Value.StringValue"),
            text,
        ));
    }
    let size: usize = params
        .iter()
        .filter(|(k, _)| k == "Message" || k.starts_with("MessageAttributes"))
        .map(|(_, v)| v.len())
        .sum();
    if size > MAX_MESSAGE_BYTES {
        return Err(DraftError::new(
            "message.body",
            format!("the message and attributes are {size} bytes; SNS allows {MAX_MESSAGE_BYTES}"),
        ));
    }
    let dropped: Vec<&str> = [
        ("subtitle", !m.subtitle.is_empty()),
        ("url", !m.url.is_empty() && !structured),
        ("image", !m.image.is_empty()),
        ("icon", !m.icon.is_empty()),
        ("buttons", !m.buttons.is_empty()),
        ("translations", !m.translations.is_empty()),
    ]
    .into_iter()
    .filter(|(_, set)| *set)
    .map(|(k, _)| k)
    .collect();
    if !dropped.is_empty() {
        warnings.push(format!(
            "SNS Publish has no place for {}: not sent.",
            dropped.join(", ")
        ));
    }
    Ok(params)
}

/// AWS: ASCII, starts with a letter, number or punctuation, no line breaks or control
/// characters, at most 100 characters.
fn check_subject(subject: &str) -> Result<(), DraftError> {
    let err = |m: &str| {
        Err(DraftError::new(
            "message.title",
            format!("is the email Subject in SNS and {m}"),
        ))
    };
    if !subject.is_ascii() {
        return err("must be ASCII (no accents or emoji)");
    }
    if subject.chars().any(|c| c.is_ascii_control()) {
        return err("must not contain line breaks or control characters");
    }
    if subject.starts_with(' ') {
        return err("must start with a letter, number or punctuation");
    }
    if subject.len() > 100 {
        return err(&format!(
            "must be at most 100 characters (it has {})",
            subject.len()
        ));
    }
    Ok(())
}

fn attribute(name: &str, value: &Value) -> Result<(&'static str, String), DraftError> {
    let field = || format!("message.data.{name}");
    if name.is_empty()
        || name.len() > 256
        || name.starts_with('.')
        || name.ends_with('.')
        || name.contains("..")
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(DraftError::new(
            field(),
            "is a message attribute name: letters, digits, - _ . only (no leading, trailing or double dots), up to 256",
        ));
    }
    Ok(match value {
        Value::String(s) => ("String", s.clone()),
        Value::Number(n) => ("Number", n.to_string()),
        Value::Bool(b) => ("String", b.to_string()),
        Value::Array(_) => ("String.Array", value.to_string()),
        _ => {
            return Err(DraftError::new(
                field(),
                "must be a string, number, boolean or list (SNS attributes are flat)",
            ));
        }
    })
}

/// `{"default", "APNS", "APNS_SANDBOX", "GCM"}`: every value a JSON string.
fn per_platform(draft: &Draft) -> Result<String, DraftError> {
    let m = &draft.message;
    let mut alert = Map::new();
    if !m.title.is_empty() {
        alert.insert("title".into(), json!(m.title));
    }
    alert.insert("body".into(), json!(m.body));
    let mut apns = Map::new();
    let mut aps = Map::new();
    if m.silent {
        aps.insert("content-available".into(), json!(1));
    } else {
        aps.insert("alert".into(), Value::Object(alert.clone()));
        aps.insert("sound".into(), json!("default"));
    }
    apns.insert("aps".into(), Value::Object(aps));
    let mut fcm_data = Map::new();
    for (k, v) in &m.data {
        if k == "aps" {
            return Err(DraftError::new(
                "message.data.aps",
                "is reserved for the APNs payload",
            ));
        }
        apns.insert(k.clone(), v.clone());
        fcm_data.insert(
            k.clone(),
            json!(
                v.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| v.to_string())
            ),
        );
    }
    if !m.url.is_empty() {
        apns.insert("url".into(), json!(m.url));
        fcm_data.insert("url".into(), json!(m.url));
    }
    let mut fcm_message = Map::new();
    if !m.silent {
        let mut notification = alert;
        if !m.image.is_empty() {
            notification.insert("image".into(), json!(m.image));
        }
        fcm_message.insert("notification".into(), Value::Object(notification));
    }
    if !fcm_data.is_empty() {
        fcm_message.insert("data".into(), Value::Object(fcm_data));
    }
    let apns_text = Value::Object(apns).to_string();
    let gcm_text = json!({ "fcmV1Message": { "message": fcm_message } }).to_string();
    let outer = json!({
        "default": m.body,
        "APNS": apns_text,
        "APNS_SANDBOX": apns_text,
        "GCM": gcm_text,
    });
    Ok(outer.to_string())
}

/// The JSON-in-JSON message with its string values parsed back, for reading.
fn decoded(text: &str) -> String {
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return text.to_string();
    };
    let open: Map<String, Value> = map
        .into_iter()
        .map(|(k, v)| {
            let inner = v
                .as_str()
                .and_then(|s| serde_json::from_str::<Value>(s).ok())
                .filter(Value::is_object)
                .unwrap_or(v);
            (k, inner)
        })
        .collect();
    Value::Object(open).to_string()
}

/// The text of the first `<name>…</name>`.
fn tag(text: &str, name: &str) -> Option<String> {
    all_tags(text, name).into_iter().next()
}

fn all_tags(text: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(unescape(after[..end].trim()));
        rest = &after[end + close.len()..];
    }
    out
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#xA;", "\n")
        .replace("&#10;", "\n")
        .replace("&amp;", "&")
}

/// Transport failures, AWS error XML, or the success reading `ok` gives.
fn judge(exchange: &Exchange, ok: impl FnOnce(&str) -> Outcome) -> Outcome {
    let response = match super::shared::answer(exchange) {
        Ok(response) => response,
        Err(outcome) => return outcome,
    };
    let text = response.text();
    if response.is_success() && tag(text, "Error").is_none() {
        return ok(text);
    }
    let code = tag(text, "Code").unwrap_or_default();
    let message = tag(text, "Message").unwrap_or_default();
    let status = response.status;
    let said = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message.clone()
    };
    let refused = |what: &str, hint: &str| {
        Outcome::refused(format!("{NAME} {what} ({status} {code}): {said}")).with_hint(hint)
    };
    match code.as_str() {
        "RequestExpired" | "RequestTimeTooSkewed" => refused(
            "refused the request as too old or too new",
            "Your computer's clock is more than 5 minutes off: AWS compares the signed X-Amz-Date with its own time. Turn on automatic time (NTP) and send again.",
        ),
        "SignatureDoesNotMatch" => {
            // What we signed includes x-amz-security-token: mask the request's secrets in it.
            let ours = crate::http::mask_all(
                &ours_to_sign(exchange).unwrap_or_default(),
                &exchange.request.secrets,
            );
            refused(
                "says the signature does not match",
                &format!(
                    "The secret access key does not belong to this access key ID, or something changed the request on the way (a proxy). AWS's message above quotes what it expected; this app signed: {ours}"
                ),
            )
        }
        "InvalidClientTokenId" | "UnrecognizedClientException" => refused(
            "does not know this access key",
            "Check the access key ID in the profile (and that the key is active in IAM); temporary ASIA… keys also need their session token.",
        ),
        "ExpiredToken" => refused(
            "says the session token has expired",
            "Get fresh temporary credentials (aws sts get-session-token or your SSO login) and store the new key, secret and session token.",
        ),
        "IncompleteSignature" | "MissingAuthenticationToken" => refused(
            "found the signature incomplete",
            "Check the access key ID and the base URL (a proxy may strip the Authorization header).",
        ),
        "AuthorizationError" | "AccessDenied" | "AccessDeniedException" => refused(
            "says these credentials may not do that",
            "Give this IAM user or role sns:Publish (and sns:ListTopics for the topic picker) on this topic.",
        ),
        "NotFound" => refused(
            "could not find it",
            "Check the ARN: the topic or endpoint must exist in this profile's region and account.",
        ),
        "EndpointDisabled" => refused(
            "says the endpoint is disabled",
            "The device token expired or was rejected by APNs/FCM; the app must register again and update the endpoint.",
        ),
        "PlatformApplicationDisabled" => refused(
            "says the platform application is disabled",
            "Its APNs certificate or FCM credentials expired: renew them in the SNS console.",
        ),
        "InvalidParameter"
        | "ParameterValueInvalid"
        | "InvalidParameterValue"
        | "ValidationError"
        | "ValidationException" => refused(
            "refused a parameter",
            "Fix the parameter the message names; nothing was published.",
        ),
        "Throttling" | "ThrottlingException" | "ThrottledException" => {
            let mut o = refused(
                "is throttling",
                "Too many requests: wait a little and send again.",
            );
            o.retry_after = response.retry_after();
            o
        }
        c if c.starts_with("KMS") => refused(
            "could not use the topic's KMS key",
            "The topic is encrypted: allow this principal kms:GenerateDataKey and kms:Decrypt on its key.",
        ),
        _ => Outcome::from_status(NAME, status, &said),
    }
}

/// This app's canonical request and string to sign, recomputed from what was sent (no secret is
/// needed for either), for comparing with the ones AWS quotes.
fn ours_to_sign(exchange: &Exchange) -> Option<String> {
    let request = &exchange.request;
    let url = url::Url::parse(&request.url).ok()?;
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        _ => return None,
    };
    let auth = request.header_value("Authorization")?;
    let signed = auth.split("SignedHeaders=").nth(1)?.split(',').next()?;
    let scope = auth.split("Credential=").nth(1)?.split(',').next()?;
    let scope = scope.split_once('/').map(|(_, s)| s)?;
    let mut headers = vec![("host".to_string(), host)];
    for name in signed.split(';').filter(|n| *n != "host") {
        headers.push((name.to_string(), request.header_value(name)?.to_string()));
    }
    let (canonical, _) = sigv4::canonical_request(&sigv4::Request {
        method: &request.method,
        path: url.path(),
        query: url.query().unwrap_or(""),
        headers: &headers,
        body: request.body.as_bytes(),
    });
    let date = request.header_value("X-Amz-Date")?;
    Some(format!(
        "canonical request «{}», string to sign «AWS4-HMAC-SHA256\\n{date}\\n{scope}\\n{}»",
        canonical.replace('\n', "\\n"),
        sigv4::sha256_hex(canonical.as_bytes())
    ))
}

#[cfg(test)]
mod tests;
