//! OneSignal: `POST /notifications` with `Authorization: Key …` (providers.md §1).

use super::shared::answer;
use serde_json::{Map, Value, json};

use super::describe::{FieldKind, FieldSpec, LookupSpec, ProviderInfo, base_url, validate_keys};
use super::seam::{Call, CallPlan, PrepareContext, Prepared, Provider};
use crate::draft::{Draft, DraftError, Fields};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
#[cfg(test)]
use crate::outcome::Verdict;
use crate::profile::Profile;
use crate::profile::Secrets;

pub struct OneSignal;

const NAME: &str = "OneSignal";
/// OneSignal's documented limits.
const MAX_IDS: usize = 2000;
const MAX_FILTERS: usize = 200;
const MAX_DATA_BYTES: usize = 2048;
const MAX_TTL: u64 = 2_419_200;
const MAX_MOBILE_BUTTONS: usize = 3;
const MAX_WEB_BUTTONS: usize = 2;

static INFO: ProviderInfo = ProviderInfo {
    id: "onesignal",
    name: NAME,
    default_base_url: "https://api.onesignal.com",
    settings: &[FieldSpec::new(
        "app_id",
        "App ID",
        FieldKind::Text,
        "Settings > Keys & IDs: the app's UUID",
    )
    .required()],
    secrets: &[FieldSpec::new(
        "api_key",
        "App API key",
        FieldKind::Text,
        "an App API key (os_v2_app_…), not an Organization key",
    )
    .required()],
    audience: &[
        FieldSpec::new(
            "segments",
            "Segments",
            FieldKind::List,
            "segment names, e.g. Active Users (a broadcast)",
        ),
        FieldSpec::new(
            "exclude_segments",
            "Exclude segments",
            FieldKind::List,
            "with segments only",
        ),
        FieldSpec::new(
            "filters",
            "Filters",
            FieldKind::Json,
            "OneSignal filter objects, passed through",
        ),
        FieldSpec::new(
            "external_ids",
            "External IDs",
            FieldKind::List,
            "your own user ids (include_aliases.external_id)",
        ),
        FieldSpec::new(
            "subscription_ids",
            "Subscription IDs",
            FieldKind::List,
            "OneSignal subscription UUIDs",
        ),
    ],
    options: &[
        FieldSpec::new(
            "target_channel",
            "Channel",
            FieldKind::Choice(&["push", "email", "sms"]),
            "with external IDs: which channel (default push)",
        ),
        FieldSpec::new(
            "idempotency_key",
            "Idempotency key",
            FieldKind::Text,
            "a UUID; a repeat within 30 days is not sent twice (default: one per composed message)",
        ),
    ],
    lookups: &[LookupSpec {
        id: "segments",
        label: "Load segments",
        audience_key: "segments",
    }],
    ..ProviderInfo::BASE
};

impl Provider for OneSignal {
    fn info(&self) -> &'static ProviderInfo {
        &INFO
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let app_id = app_id(ctx.profile)?;
        let api_key = ctx.secrets.require(&ctx.profile.name, "api_key")?;
        let root = base_url(ctx.profile, &INFO)?;
        let options = Fields::new("options", &draft.options);
        let mut warnings = Vec::new();

        let body = match options.value("raw") {
            Some(raw) => raw_body(raw, app_id)?,
            None => {
                let mut body = Map::new();
                body.insert("app_id".into(), json!(app_id));
                add_audience(&mut body, draft, &options)?;
                add_content(&mut body, draft, &mut warnings)?;
                add_options(&mut body, &options, ctx)?;
                Value::Object(body)
            }
        };
        let request = PreparedRequest::new("POST", format!("{root}/notifications"))
            .secret_header(
                "Authorization",
                format!("Key {api_key}"),
                "api_key",
                api_key,
            )
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
        let errors = body
            .as_ref()
            .and_then(|b| b.get("errors"))
            .map(errors_text)
            .unwrap_or_default();
        let id = body
            .as_ref()
            .and_then(|b| b.get("id"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let mut outcome = match response.status {
            200..=299 if body.is_none() => Outcome::refused(format!(
                "{NAME} answered {} but the body is not JSON, so it is unclear whether anything was sent",
                response.status
            ))
            .with_hint("Check the base URL: it may point at a proxy or a web page instead of the API."),
            200..=299 if id.is_empty() => {
                let why = if errors.is_empty() { "no notification id came back".to_string() } else { errors.clone() };
                Outcome::refused(format!("{NAME} created nothing: {why}")).with_hint(hint_for(&errors).unwrap_or(
                    "Nobody in this audience can receive it; check the segment or IDs in OneSignal's dashboard.",
                ))
            }
            200..=299 if !errors.is_empty() => Outcome::accepted(format!(
                "Sent: notification {id}, but some recipients were skipped: {errors}"
            ))
            .with_id(id),
            200..=299 => Outcome::accepted(format!("Sent: notification {id}")).with_id(id),
            400 => Outcome::refused(format!("{NAME} refused the request: {}", or_status(&errors, response.status)))
                .with_hint(hint_for(&errors).unwrap_or("Fix the field it names and send again.")),
            401 | 403 => Outcome::refused(format!(
                "{NAME} refused the API key ({}): {}",
                response.status,
                or_status(&errors, response.status)
            ))
            .with_hint("Use an App API key (os_v2_app_…) of this very app: check App ID and key under Settings > Keys & IDs."),
            404 => Outcome::refused(format!("{NAME} could not find the app: {}", or_status(&errors, 404)))
                .with_hint("Check the App ID in this profile."),
            429 => {
                let wait = response.retry_after();
                let mut o = Outcome::refused(format!(
                    "{NAME} is rate limiting this app{}",
                    wait.map(|s| format!(": it asks to wait {s} s")).unwrap_or_default()
                ))
                .with_hint("Wait, then send again; nothing was sent this time.");
                o.retry_after = wait;
                o
            }
            status => Outcome::from_status(NAME, status, &errors),
        };
        if response
            .header("idempotent-replayed")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            outcome.summary.push_str(
                " (a repeat of an earlier send with the same idempotency key: not sent twice)",
            );
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
        let list = |key| a.strings(key).unwrap_or_default();
        let segments = list("segments");
        if !segments.is_empty() {
            let names = quote_list(&segments);
            let excluded = list("exclude_segments");
            return if excluded.is_empty() {
                names
            } else {
                format!("{names} except {}", quote_list(&excluded))
            };
        }
        if a.has("filters") {
            return "a filtered audience".into();
        }
        for (key, what) in [
            ("external_ids", "external ID"),
            ("subscription_ids", "subscription"),
        ] {
            let ids = list(key);
            if !ids.is_empty() {
                return count(ids.len(), what);
            }
        }
        "nobody yet".into()
    }

    fn broadcast(&self, draft: &Draft) -> Option<String> {
        let segments = Fields::new("audience", &draft.audience)
            .strings("segments")
            .ok()?;
        (!segments.is_empty())
            .then(|| format!("every subscriber in {}", self.audience_label(draft)))
    }
}

/// The calls beside sending, behind `Provider::call`.
impl OneSignal {
    fn check(&self, profile: &Profile, secrets: &Secrets) -> Result<PreparedRequest, DraftError> {
        segments_request(profile, secrets, 1)
    }

    fn interpret_check(&self, exchange: &Exchange) -> Outcome {
        let outcome = self.interpret_lookup("segments", exchange);
        if !outcome.is_ok() {
            return outcome;
        }
        let total = exchange
            .response
            .as_ref()
            .and_then(|r| r.json())
            .and_then(|b| b.get("total_count").and_then(Value::as_u64));
        match total {
            Some(n) => Outcome::accepted(format!(
                "Key works: the app has {n} segment{}",
                if n == 1 { "" } else { "s" }
            )),
            None => Outcome::accepted("Key works for this app"),
        }
    }

    fn lookup(
        &self,
        id: &str,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<PreparedRequest, DraftError> {
        match id {
            "segments" => segments_request(profile, secrets, 300),
            other => Err(DraftError::new(
                "lookup",
                format!("`{other}` is not a lookup of {NAME}"),
            )),
        }
    }

    fn interpret_lookup(&self, _id: &str, exchange: &Exchange) -> Outcome {
        let response = match answer(exchange) {
            Ok(response) => response,
            Err(outcome) => return outcome,
        };
        let body = response.json();
        let errors = body
            .as_ref()
            .and_then(|b| b.get("errors"))
            .map(errors_text)
            .unwrap_or_default();
        match response.status {
            200..=299 => {
                let Some(list) = body.as_ref().and_then(|b| b.get("segments")).and_then(Value::as_array) else {
                    return Outcome::refused(format!("{NAME} answered without a segment list"))
                        .with_hint("Check the base URL.");
                };
                let mut o = Outcome::accepted(format!("Loaded {} segments", list.len()));
                o.items = list
                    .iter()
                    .filter_map(|s| s.get("name").and_then(Value::as_str).map(crate::outcome::LookupItem::plain))
                    .collect();
                o
            }
            401 | 403 => Outcome::refused(format!(
                "{NAME} refused the API key ({}): {}",
                response.status,
                or_status(&errors, response.status)
            ))
            .with_hint("This must be an App API key of this app (Settings > Keys & IDs); an Organization key or another app's key is refused."),
            400 | 404 => Outcome::refused(format!(
                "{NAME} does not know this app ({}): {}",
                response.status,
                or_status(&errors, response.status)
            ))
            .with_hint("Check the App ID: it is the UUID under Settings > Keys & IDs."),
            status => Outcome::from_status(NAME, status, &errors),
        }
    }
}

fn count(n: usize, what: &str) -> String {
    format!("{n} {what}{}", if n == 1 { "" } else { "s" })
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("“{s}”"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn app_id(profile: &Profile) -> Result<&str, DraftError> {
    profile.setting("app_id").ok_or_else(|| {
        DraftError::new(
            "settings.app_id",
            format!("profile `{}` has no App ID; set it with `pushdeck profile add {} --provider onesignal --set app_id=…`", profile.name, profile.name),
        )
    })
}

fn segments_request(
    profile: &Profile,
    secrets: &Secrets,
    limit: u32,
) -> Result<PreparedRequest, DraftError> {
    let app_id = app_id(profile)?;
    let api_key = secrets.require(&profile.name, "api_key")?;
    let root = base_url(profile, &INFO)?;
    let app = url_segment(app_id);
    Ok(PreparedRequest::new(
        "GET",
        format!("{root}/apps/{app}/segments?offset=0&limit={limit}"),
    )
    .secret_header(
        "Authorization",
        format!("Key {api_key}"),
        "api_key",
        api_key,
    )
    .header("Accept", "application/json"))
}

fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A raw payload replaces the generated one; `app_id` is filled in when it is missing, since a
/// request without it can only fail.
fn raw_body(raw: &Value, app_id: &str) -> Result<Value, DraftError> {
    let mut raw = crate::provider::shared::raw_object(raw)?;
    if !raw.contains_key("app_id") {
        raw.insert("app_id".into(), json!(app_id));
    }
    Ok(Value::Object(raw))
}

fn add_audience(
    body: &mut Map<String, Value>,
    draft: &Draft,
    options: &Fields<'_>,
) -> Result<(), DraftError> {
    let a = Fields::new("audience", &draft.audience);
    let segments = a.strings("segments")?;
    let excluded = a.strings("exclude_segments")?;
    let external = a.strings("external_ids")?;
    let subscriptions = a.strings("subscription_ids")?;
    let filters = match a.value("filters") {
        None => None,
        Some(Value::Array(items)) if items.is_empty() => None,
        Some(Value::Array(items)) => {
            if items.len() > MAX_FILTERS {
                return Err(DraftError::new(
                    "audience.filters",
                    format!(
                        "OneSignal allows at most {MAX_FILTERS} entries (operators included); this has {}",
                        items.len()
                    ),
                ));
            }
            for (i, item) in items.iter().enumerate() {
                let ok = item.get("field").and_then(Value::as_str).is_some()
                    || item.get("operator").and_then(Value::as_str).is_some();
                if !ok {
                    return Err(DraftError::new(
                        format!("audience.filters[{i}]"),
                        "each filter needs a \"field\" (or is an {\"operator\": \"OR\"})",
                    ));
                }
            }
            Some(items.clone())
        }
        Some(_) => {
            return Err(DraftError::new(
                "audience.filters",
                "must be a list of OneSignal filter objects",
            ));
        }
    };
    let methods = [
        !segments.is_empty(),
        filters.is_some(),
        !external.is_empty(),
        !subscriptions.is_empty(),
    ];
    match methods.iter().filter(|m| **m).count() {
        0 => {
            return Err(DraftError::new(
                "audience",
                "choose who receives it: segments, filters, external_ids or subscription_ids",
            ));
        }
        1 => {}
        _ => {
            return Err(DraftError::new(
                "audience",
                "OneSignal takes exactly one way of targeting: use only one of segments, filters, external_ids, subscription_ids",
            ));
        }
    }
    if !excluded.is_empty() && segments.is_empty() {
        return Err(DraftError::new(
            "audience.exclude_segments",
            "only works together with segments",
        ));
    }
    for (key, ids) in [
        ("external_ids", &external),
        ("subscription_ids", &subscriptions),
    ] {
        if ids.len() > MAX_IDS {
            return Err(DraftError::new(
                format!("audience.{key}"),
                format!(
                    "OneSignal takes at most {MAX_IDS} ids per request; this has {}",
                    ids.len()
                ),
            ));
        }
    }
    if !segments.is_empty() {
        body.insert("included_segments".into(), json!(segments));
        if !excluded.is_empty() {
            body.insert("excluded_segments".into(), json!(excluded));
        }
    }
    if let Some(filters) = filters {
        body.insert("filters".into(), Value::Array(filters));
    }
    if !external.is_empty() {
        let channel = options
            .one_of("target_channel", &["push", "email", "sms"])?
            .unwrap_or("push");
        body.insert("target_channel".into(), json!(channel));
        body.insert("include_aliases".into(), json!({ "external_id": external }));
    } else if let Some(channel) = options.one_of("target_channel", &["push", "email", "sms"])? {
        body.insert("target_channel".into(), json!(channel));
    }
    if !subscriptions.is_empty() {
        body.insert("include_subscription_ids".into(), json!(subscriptions));
    }
    Ok(())
}

/// headings / subtitle / contents as language maps with `en` as the default language.
fn add_content(
    body: &mut Map<String, Value>,
    draft: &Draft,
    warnings: &mut Vec<String>,
) -> Result<(), DraftError> {
    let m = &draft.message;
    if m.translations.contains_key("en") {
        return Err(DraftError::new(
            "message.translations.en",
            "the untranslated fields are already English (en); translate into other languages only",
        ));
    }
    let mut maps: [(&str, Map<String, Value>); 3] = [
        ("headings", Map::new()),
        ("subtitle", Map::new()),
        ("contents", Map::new()),
    ];
    let mut put = |lang: &str, title: &str, subtitle: &str, text: &str| {
        for (i, value) in [title, subtitle, text].into_iter().enumerate() {
            if !value.trim().is_empty() {
                maps[i].1.insert(lang.to_string(), json!(value));
            }
        }
    };
    put("en", &m.title, &m.subtitle, &m.body);
    for (lang, t) in &m.translations {
        if lang.trim().is_empty() {
            return Err(DraftError::new(
                "message.translations",
                "a language code is empty",
            ));
        }
        put(lang, &t.title, &t.subtitle, &t.body);
    }
    let contents = &maps[2].1;
    if !m.silent && !contents.contains_key("en") {
        return Err(DraftError::new(
            "message.body",
            "is required (OneSignal needs English text), unless the message is silent",
        ));
    }
    for (lang, t) in &m.translations {
        if !t.title.is_empty() && m.title.is_empty() {
            warnings.push(format!("The {lang} title is sent but there is no default (en) title: OneSignal needs en in every language map."));
        }
        if t.body.is_empty() && !m.silent {
            warnings.push(format!(
                "No {lang} body: {lang} readers get the English text."
            ));
        }
    }
    for (key, map) in maps {
        if !map.is_empty() {
            body.insert(key.into(), Value::Object(map));
        }
    }
    if m.silent {
        body.insert("content_available".into(), json!(true));
    }
    if !m.url.is_empty() {
        body.insert("url".into(), json!(m.url));
    }
    if !m.image.is_empty() {
        body.insert("big_picture".into(), json!(m.image));
        body.insert("chrome_web_image".into(), json!(m.image));
        body.insert("ios_attachments".into(), json!({ "image": m.image }));
    }
    if !m.icon.is_empty() {
        body.insert("large_icon".into(), json!(m.icon));
        body.insert("chrome_web_icon".into(), json!(m.icon));
    }
    add_buttons(body, draft, warnings)?;
    if !m.data.is_empty() {
        let size = serde_json::to_vec(&m.data).map(|v| v.len()).unwrap_or(0);
        if size > MAX_DATA_BYTES {
            return Err(DraftError::new(
                "message.data",
                format!("is {size} bytes; OneSignal allows at most {MAX_DATA_BYTES}"),
            ));
        }
        body.insert("data".into(), Value::Object(m.data.clone()));
    }
    Ok(())
}

fn add_buttons(
    body: &mut Map<String, Value>,
    draft: &Draft,
    warnings: &mut Vec<String>,
) -> Result<(), DraftError> {
    let buttons = &draft.message.buttons;
    if buttons.is_empty() {
        return Ok(());
    }
    if buttons.len() > MAX_MOBILE_BUTTONS {
        return Err(DraftError::new(
            "message.buttons",
            format!(
                "OneSignal shows at most {MAX_MOBILE_BUTTONS} buttons on mobile; this has {}",
                buttons.len()
            ),
        ));
    }
    for (i, b) in buttons.iter().enumerate() {
        if b.id.trim().is_empty() || b.label.trim().is_empty() {
            return Err(DraftError::new(
                format!("message.buttons[{i}]"),
                "every button needs an id and a label",
            ));
        }
    }
    let mobile: Vec<Value> = buttons
        .iter()
        .map(|b| {
            let mut v = json!({ "id": b.id, "text": b.label });
            if !b.icon.is_empty() {
                v["icon"] = json!(b.icon);
            }
            v
        })
        .collect();
    let web: Vec<Value> = buttons
        .iter()
        .take(MAX_WEB_BUTTONS)
        .map(|b| {
            let mut v = json!({ "id": b.id, "text": b.label });
            if !b.icon.is_empty() {
                v["icon"] = json!(b.icon);
            }
            if !b.url.is_empty() {
                v["url"] = json!(b.url);
            }
            v
        })
        .collect();
    if buttons.len() > MAX_WEB_BUTTONS {
        warnings.push(format!(
            "Browsers show at most {MAX_WEB_BUTTONS} buttons: “{}” appears on mobile only.",
            buttons[MAX_WEB_BUTTONS].label
        ));
    }
    if buttons.iter().any(|b| !b.url.is_empty()) {
        warnings.push("Button links open on the web only; mobile apps receive the button id and handle the click themselves.".into());
    }
    body.insert("buttons".into(), Value::Array(mobile));
    body.insert("web_buttons".into(), Value::Array(web));
    Ok(())
}

fn add_options(
    body: &mut Map<String, Value>,
    options: &Fields<'_>,
    ctx: &PrepareContext<'_>,
) -> Result<(), DraftError> {
    if let Some(ttl) = options.u64("ttl")? {
        if ttl > MAX_TTL {
            return Err(DraftError::new(
                "options.ttl",
                format!("OneSignal keeps messages at most {MAX_TTL} s (28 days)"),
            ));
        }
        body.insert("ttl".into(), json!(ttl));
    }
    if let Some(priority) = options.one_of("priority", &["low", "normal", "high"])? {
        // OneSignal: 10 is high, anything else normal (its docs use 5).
        body.insert(
            "priority".into(),
            json!(if priority == "high" { 10 } else { 5 }),
        );
    }
    if let Some(at) = options.string("schedule_at")? {
        let when = crate::clock::parse_rfc3339(at)
            .map_err(|e| DraftError::new("options.schedule_at", e))?;
        if when < ctx.now {
            return Err(DraftError::new("options.schedule_at", "is in the past"));
        }
        body.insert("send_after".into(), json!(send_after(when)));
    }
    let key = options
        .string("idempotency_key")?
        .unwrap_or(ctx.idempotency_key);
    if !key.is_empty() {
        body.insert("idempotency_key".into(), json!(key));
    }
    Ok(())
}

/// OneSignal reads a date without an offset as UTC−11, so always send one: `2026-12-01 08:00:00 GMT+0000`.
fn send_after(when: time::OffsetDateTime) -> String {
    let utc = when.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} GMT+0000",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

/// OneSignal's `errors` is polymorphic: a list of strings or objects, or an object.
fn errors_text(errors: &Value) -> String {
    match errors {
        Value::Array(items) => items
            .iter()
            .map(|e| match e {
                Value::String(s) => s.clone(),
                Value::Object(o) => o
                    .get("title")
                    .or_else(|| o.get("message"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| e.to_string()),
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| match v {
                Value::Object(inner) => inner
                    .iter()
                    .map(|(label, ids)| {
                        format!("{} {label}: {}", k.replace('_', " "), ids_text(ids))
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                other => format!("{}: {}", k.replace('_', " "), ids_text(other)),
            })
            .collect::<Vec<_>>()
            .join("; "),
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn ids_text(v: &Value) -> String {
    match v {
        Value::Array(items) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| other.to_string()),
    }
}

fn or_status(errors: &str, status: u16) -> String {
    if errors.is_empty() {
        format!("HTTP {status}")
    } else {
        errors.to_string()
    }
}

/// Plain-language hints for the errors OneSignal documents.
fn hint_for(errors: &str) -> Option<&'static str> {
    let e = errors.to_ascii_lowercase();
    if e.contains("not subscribed") {
        Some(
            "This audience has no subscribers right now: pick another segment, or check that devices have opted in.",
        )
    } else if e.contains("must include which players") {
        Some("Choose an audience: a segment, filters, external IDs or subscription IDs.")
    } else if e.contains("content must not be null") {
        Some("Write a message body in the default language (en).")
    } else if e.contains("rate limit") {
        Some("Wait a minute, then send again.")
    } else if e.contains("access denied") || e.contains("authorization") {
        Some("Check the App API key in this profile.")
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
