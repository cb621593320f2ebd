//! Pushbullet API v2: `POST /v2/pushes` with `Access-Token: …` (providers.md §4).

use serde_json::{Map, Value, json};

use super::describe::{FieldKind, FieldSpec, LookupSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, FileNeed, LocalFile, PrepareContext, Prepared, Provider};
use super::shared::{
    Refused, StatusRule, answer, refuse_options, said_or_status, status_outcome, warn_unsent,
};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest, ResponseDump};
use crate::outcome::Outcome;
use crate::profile::Profile;
use crate::profile::Secrets;

mod file;
mod lookup;

pub struct Pushbullet;

const NAME: &str = "Pushbullet";
const TARGETS: [&str; 4] = ["device_iden", "email", "channel_tag", "client_iden"];

/// The common options outside `INFO.common_options`, and why.
const REFUSED: &[Refused] = &[
    (
        "ttl",
        "Pushbullet keeps pushes until they are dismissed; it has no TTL; remove this option",
    ),
    (
        "priority",
        "Pushbullet has no push priority; remove this option",
    ),
    (
        "schedule_at",
        "Pushbullet cannot schedule pushes; remove this option",
    ),
];

static INFO: ProviderInfo = ProviderInfo {
    id: "pushbullet",
    name: NAME,
    default_base_url: "https://api.pushbullet.com",
    secrets: &[FieldSpec::new(
        "access_token",
        "Access token",
        FieldKind::Text,
        "pushbullet.com > Settings > Account > Create Access Token (o.…)",
    )
    .required()],
    audience: &[
        FieldSpec::new(
            "device_iden",
            "Device",
            FieldKind::Text,
            "one of your devices (Load devices); leave all four empty for every device",
        ),
        FieldSpec::new(
            "email",
            "Email",
            FieldKind::Text,
            "push to this person (a Pushbullet user, otherwise by email)",
        ),
        FieldSpec::new(
            "channel_tag",
            "Channel tag",
            FieldKind::Text,
            "every subscriber of a channel you own (a broadcast)",
        ),
        FieldSpec::new(
            "client_iden",
            "OAuth client",
            FieldKind::Text,
            "every user who authorized your OAuth client (its iden; a broadcast)",
        ),
    ],
    options: &[
        FieldSpec::new(
            "type",
            "Push type",
            FieldKind::Choice(&["note", "link", "file"]),
            "default: file when a file is given, link when the message has a URL, note otherwise",
        ),
        FieldSpec::new(
            "file",
            "File…",
            FieldKind::Text,
            "path of a local file to push (up to 25 MB): uploaded first, then pushed",
        ),
        FieldSpec::new(
            "file_type",
            "File type",
            FieldKind::Text,
            "the file's MIME type (image/png…); default: guessed from its extension",
        ),
    ],
    lookups: &[
        LookupSpec {
            id: "devices",
            label: "Load devices",
            audience_key: "device_iden",
        },
        LookupSpec {
            id: "channels",
            label: "Load channels",
            audience_key: "channel_tag",
        },
    ],
    common_options: &["raw"],
    ..ProviderInfo::BASE
};

impl Provider for Pushbullet {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        super::doctor::tokens::pushbullet(ctx.profile, ctx.secrets)
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let token = ctx.secrets.require(&ctx.profile.name, "access_token")?;
        let root = base_url(ctx.profile, &INFO)?;
        let options = Fields::new("options", &draft.options);
        refuse_options(&options, REFUSED)?;
        let mut warnings = Vec::new();
        let body = match options.value("raw") {
            Some(raw) => raw_body(raw)?,
            None => match file::path_of(draft)? {
                Some(path) => return file::prepare(ctx, &path),
                None => push_body(draft, &options, ctx.idempotency_key, &mut warnings)?,
            },
        };
        let request = PreparedRequest::new("POST", format!("{root}/v2/pushes"))
            .secret_header("Access-Token", token, "access_token", token)
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
        let step = file::step_of(&exchange.request);
        let mut outcome = if !matches!(step, file::Step::Push) {
            file::interpret(&step, exchange, response)
        } else if response.is_success() {
            let push = body.as_ref();
            let iden = push
                .and_then(|b| b.get("iden"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if iden.is_empty() {
                Outcome::refused(format!(
                    "{NAME} answered {} without a push id, so it is unclear whether anything was sent",
                    response.status
                ))
                .with_hint("Check the base URL: it may point at a proxy or a web page instead of the API.")
            } else {
                let kind = push
                    .and_then(|b| b.get("type"))
                    .and_then(Value::as_str)
                    .unwrap_or("push");
                Outcome::accepted(format!("Pushed {kind} {iden}")).with_id(iden)
            }
        } else {
            error_outcome(response, body.as_ref())
        };
        append_rate_limit(&mut outcome, response);
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

    fn files(&self, draft: &Draft) -> Vec<FileNeed> {
        file::pushed(draft).map(file::need).into_iter().collect()
    }

    fn steps(&self, draft: &Draft) -> Vec<String> {
        file::pushed(draft)
            .and_then(|path| file::file_name(&path).ok())
            .map(|name| file::steps(&name))
            .unwrap_or_default()
    }

    fn next_step(
        &self,
        ctx: &PrepareContext<'_>,
        files: &[LocalFile],
        done: &[Exchange],
    ) -> Result<Option<PreparedRequest>, Outcome> {
        file::next_step(ctx, files, done)
    }

    fn audience_label(&self, draft: &Draft) -> String {
        let a = Fields::new("audience", &draft.audience);
        let get = |k| a.string(k).ok().flatten();
        if let Some(device) = get("device_iden") {
            format!("device {device}")
        } else if let Some(email) = get("email") {
            email.to_string()
        } else if let Some(tag) = get("channel_tag") {
            format!("channel “{tag}”")
        } else if let Some(client) = get("client_iden") {
            format!("OAuth client {client}")
        } else {
            "all your devices".into()
        }
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        let audience = Fields::new("audience", &draft.audience);
        let get = |k| audience.string(k).ok().flatten();
        if let Some(tag) = get("channel_tag") {
            Some(format!("every subscriber of channel “{tag}”"))
        } else {
            get("client_iden")
                .map(|client| format!("every user who authorized OAuth client {client}"))
        }
    }
}

/// The calls beside sending, behind `Provider::call`.
impl Pushbullet {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        get(profile, secrets, "/v2/users/me")
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        let body = response.json();
        let mut outcome = if response.is_success() {
            let field = |k: &str| {
                body.as_ref()
                    .and_then(|b| b.get(k))
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string()
            };
            let (name, email) = (field("name"), field("email"));
            match (name.is_empty(), email.is_empty()) {
                (true, true) if body.is_none() => Outcome::refused(format!(
                    "{NAME} answered {} but not with an account",
                    response.status
                ))
                .with_hint(
                    "Check the base URL: it should be the API root, https://api.pushbullet.com.",
                ),
                (true, true) => Outcome::accepted("Token works"),
                (false, true) => Outcome::accepted(format!("Token works: signed in as {name}")),
                (true, false) => Outcome::accepted(format!("Token works: signed in as {email}")),
                (false, false) => {
                    Outcome::accepted(format!("Token works: signed in as {name} <{email}>"))
                }
            }
        } else {
            error_outcome(response, body.as_ref())
        };
        append_rate_limit(&mut outcome, response);
        outcome
    }

    fn lookup(
        &self,
        id: &str,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<PreparedRequest, DraftError> {
        match id {
            "devices" => get(profile, secrets, "/v2/devices?active=true"),
            "channels" => get(profile, secrets, "/v2/channels?active=true"),
            other => Err(DraftError::new(
                "lookup",
                format!("`{other}` is not a lookup of {NAME}"),
            )),
        }
    }

    fn interpret_lookup(&self, id: &str, exchange: &Exchange) -> Outcome {
        lookup::interpret(id, exchange)
    }
}

fn get(profile: &Profile, secrets: &Secrets, path: &str) -> Result<PreparedRequest, DraftError> {
    let token = secrets.require(&profile.name, "access_token")?;
    let root = base_url(profile, &INFO)?;
    Ok(PreparedRequest::new("GET", format!("{root}{path}"))
        .secret_header("Access-Token", token, "access_token", token)
        .header("Accept", "application/json"))
}

fn raw_body(raw: &Value) -> Result<Value, DraftError> {
    let map = crate::provider::shared::raw_object(raw)?;
    if !map.get("type").is_some_and(Value::is_string) {
        return Err(DraftError::new(
            "options.raw",
            "a Pushbullet push needs \"type\": \"note\", \"link\" or \"file\"",
        ));
    }
    Ok(Value::Object(map))
}

fn push_body(
    draft: &Draft,
    options: &Fields<'_>,
    guid: &str,
    warnings: &mut Vec<String>,
) -> Result<Value, DraftError> {
    let m = &draft.message;
    let kind = match options.one_of("type", &["note", "link", "file"])? {
        Some("file") => {
            return Err(DraftError::new(
                "options.file",
                "a file push needs a file: give its path (the File… field)",
            ));
        }
        Some(kind) => kind,
        None if m.url.trim().is_empty() => "note",
        None => "link",
    };
    if kind == "link" && m.url.trim().is_empty() {
        return Err(DraftError::new(
            "message.url",
            "a link push needs a URL; add one or choose the note type",
        ));
    }
    if kind == "note" && m.body.trim().is_empty() && m.title.trim().is_empty() {
        return Err(DraftError::new(
            "message.body",
            "is required for a note push (or give it a title)",
        ));
    }
    let mut body = Map::new();
    body.insert("type".into(), json!(kind));
    if !m.title.is_empty() {
        body.insert("title".into(), json!(m.title));
    }
    if !m.body.is_empty() {
        body.insert("body".into(), json!(m.body));
    }
    if kind == "link" {
        body.insert("url".into(), json!(m.url.trim()));
    } else if !m.url.trim().is_empty() {
        warnings.push(
            "A note push has no link: the URL is not sent (choose the link type to send it)."
                .into(),
        );
    }
    if let Some((key, value)) = target(draft)? {
        body.insert(key.into(), json!(value));
    }
    if !guid.is_empty() {
        body.insert("guid".into(), json!(guid));
    }
    warn_unsent("Pushbullet", &file::unsent(draft), warnings);
    Ok(Value::Object(body))
}

/// The one device, email, channel or client the push goes to; none means all the user's devices.
fn target(draft: &Draft) -> Result<Option<(&'static str, &str)>, DraftError> {
    let audience = Fields::new("audience", &draft.audience);
    let mut chosen = Vec::new();
    for key in TARGETS {
        if let Some(value) = audience.string(key)? {
            chosen.push((key, value.trim()));
        }
    }
    match chosen.as_slice() {
        [] => Ok(None),
        [(key, value)] => {
            if value.contains(char::is_whitespace) {
                return Err(DraftError::new(
                    format!("audience.{key}"),
                    "takes exactly one value (no spaces or line breaks)",
                ));
            }
            if *key == "email" && !value.contains('@') {
                return Err(DraftError::new(
                    "audience.email",
                    format!("`{value}` is not an email address"),
                ));
            }
            Ok(Some((*key, *value)))
        }
        _ => Err(DraftError::new(
            "audience",
            format!(
                "Pushbullet pushes to one target at a time: keep only one of {} (none means all your devices)",
                chosen
                    .iter()
                    .map(|(k, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// Pushbullet's error object: `{"error": {"type", "message", "param", "cat"}, "error_code"}`.
struct ApiError {
    message: String,
    param: String,
    code: String,
}

fn api_error(body: Option<&Value>) -> ApiError {
    let error = body.and_then(|b| b.get("error"));
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    let mut code = text(body.and_then(|b| b.get("error_code")));
    if code.is_empty() {
        code = text(error.and_then(|e| e.get("code")));
    }
    ApiError {
        message: text(error.and_then(|e| e.get("message"))),
        param: text(error.and_then(|e| e.get("param"))),
        code,
    }
}

const PRO_HINT: &str =
    "Free accounts get 500 pushes a month; wait for next month or upgrade to Pushbullet Pro.";

fn error_outcome(response: &ResponseDump, body: Option<&Value>) -> Outcome {
    let e = api_error(body);
    let status = response.status;
    let said = said_or_status(&e.message, status);
    let param = if e.param.is_empty() {
        String::new()
    } else {
        format!(" (field {})", e.param)
    };
    let pro = e.code == "pushbullet_pro_required";
    match status {
        400 => Outcome::refused(format!("{NAME} refused the push: {said}{param}")).with_hint(
            match e.param.as_str() {
                "email" => "Check the email address.",
                "url" => "Check the URL: it must be a full http(s) address.",
                _ => "Fix the field it names and send again.",
            },
        ),
        403 if pro => Outcome::refused(format!(
            "{NAME} refused: this account used up its free pushes ({said})"
        ))
        .with_hint(PRO_HINT),
        404 => Outcome::refused(format!("{NAME} could not find it (404): {said}{param}"))
            .with_hint(match e.param.as_str() {
                "device_iden" => {
                    "That device does not exist any more: Load devices again and pick one."
                }
                "channel_tag" => "No channel has that tag: check the tag of a channel you own.",
                "client_iden" => "No OAuth client has that iden: check it on pushbullet.com > Settings > Clients.",
                _ => "Check the target and the base URL.",
            }),
        _ => {
            let rules = [
                StatusRule::new(
                    &[401],
                    "refused the access token",
                    "The token is missing, mistyped or revoked. Create one at pushbullet.com > Settings > Account and store it with Edit credentials or `pushdeck secret set PROFILE access_token`.",
                ),
                StatusRule::new(
                    &[403],
                    "says this token may not do that",
                    "The token is valid but not allowed this request (for example a channel you do not own, or an OAuth token without access). Use your account's own access token.",
                ),
                StatusRule::new(
                    &[429],
                    "is rate limiting this account",
                    if pro {
                        PRO_HINT
                    } else {
                        "Too many requests: wait until the rate limit resets (see below), then send again. Nothing was sent."
                    },
                ),
            ];
            status_outcome(NAME, status, &said, response.retry_after(), &rules)
                .unwrap_or_else(|| Outcome::from_status(NAME, status, &e.message))
        }
    }
}

/// "· rate limit 32767 of 32768 left, resets 2026-11-24 12:00:00 UTC": Pushbullet's budget,
/// from the `X-Ratelimit-*` headers every response carries.
fn append_rate_limit(outcome: &mut Outcome, response: &ResponseDump) {
    if let Some(text) = rate_limit_text(response) {
        outcome.summary.push_str(" · ");
        outcome.summary.push_str(&text);
    }
}

pub fn rate_limit_text(response: &ResponseDump) -> Option<String> {
    let num = |name: &str| {
        response
            .header(name)
            .and_then(|v| v.trim().parse::<i64>().ok())
    };
    let (limit, remaining) = (num("x-ratelimit-limit")?, num("x-ratelimit-remaining")?);
    let reset = num("x-ratelimit-reset")
        .and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
        .map(|t| {
            format!(
                ", resets {:04}-{:02}-{:02} {:02}:{:02}:{:02} UTC",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            )
        })
        .unwrap_or_default();
    Some(format!("rate limit {remaining} of {limit} left{reset}"))
}

#[cfg(test)]
mod tests;
