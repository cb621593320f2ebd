//! OneSignal: `POST /notifications` with `Authorization: Key …` (providers.md §1).

mod doctor;
mod errors;
pub mod filters;
mod payload;

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

use errors::{NAME, errors_text, hint_for, or_status};
use payload::{add_audience, add_content, add_options, raw_body};

pub struct OneSignal;

static INFO: ProviderInfo = ProviderInfo {
    id: "onesignal",
    name: NAME,
    default_base_url: "https://api.onesignal.com",
    settings: &[
        FieldSpec::new(
            "app_id",
            "App ID",
            FieldKind::Text,
            "Settings > Keys & IDs: the app's UUID",
        )
        .required(),
        FieldSpec::new(
            "key_kind",
            "Key kind",
            FieldKind::Choice(&["app", "legacy"]),
            "app: `Key os_v2_app_…` on api.onesignal.com; legacy: a legacy REST API key, `Basic <key>` on onesignal.com/api/v1 (default: from the key's form)",
        ),
    ],
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
            "OneSignal filter objects (tag, language, country, app_version, sessions, amount_spent, bought_sku, location) with {\"operator\": \"OR\"} between groups",
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

    fn inspect(&self, ctx: &super::seam::InspectContext<'_>) -> Vec<crate::finding::Finding> {
        doctor::inspect(ctx.profile, ctx.secrets)
    }

    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError> {
        let draft = ctx.draft;
        validate_keys(&INFO, draft)?;
        let app_id = app_id(ctx.profile)?;
        let api_key = ctx.secrets.require(&ctx.profile.name, "api_key")?;
        let auth = Auth::of(ctx.profile, api_key)?;
        let root = auth.root(ctx.profile)?;
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
            .secret_header("Authorization", auth.header(api_key), "api_key", api_key)
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
    let auth = Auth::of(profile, api_key)?;
    let root = auth.root(profile)?;
    let app = url_segment(app_id);
    Ok(PreparedRequest::new(
        "GET",
        format!("{root}/apps/{app}/segments?offset=0&limit={limit}"),
    )
    .secret_header("Authorization", auth.header(api_key), "api_key", api_key)
    .header("Accept", "application/json"))
}

/// Which kind of key the profile holds: an App API key (`Key …` on api.onesignal.com) or a legacy
/// REST API key (`Basic <key>`, not HTTP Basic, on onesignal.com/api/v1), from the `key_kind`
/// setting or, when unset, from the key's form (`os_v2_…` is an App API key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    App,
    Legacy,
}

const LEGACY_BASE_URL: &str = "https://onesignal.com/api/v1";

impl Auth {
    fn of(profile: &Profile, api_key: &str) -> Result<Self, DraftError> {
        match profile.setting("key_kind").map(str::trim) {
            None | Some("") if api_key.starts_with("os_v2_") => Ok(Auth::App),
            None | Some("") => Ok(Auth::Legacy),
            Some("app") => Ok(Auth::App),
            Some("legacy") => Ok(Auth::Legacy),
            Some(other) => Err(DraftError::new(
                "settings.key_kind",
                format!("`{other}` is not a key kind; expected `app` or `legacy`"),
            )),
        }
    }

    fn header(self, api_key: &str) -> String {
        match self {
            Auth::App => format!("Key {api_key}"),
            Auth::Legacy => format!("Basic {api_key}"),
        }
    }

    /// The profile's base URL when it has one, else this kind's host.
    fn root(self, profile: &Profile) -> Result<String, DraftError> {
        let overridden = profile
            .base_url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty());
        match self {
            Auth::Legacy if !overridden => Ok(LEGACY_BASE_URL.to_string()),
            _ => base_url(profile, &INFO),
        }
    }
}

fn url_segment(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests;
