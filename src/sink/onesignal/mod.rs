//! OneSignal as the sink imitates it (providers.md §1): `POST /notifications` with
//! `Authorization: Key <App API key>` (and the legacy `POST /api/v1/notifications` with
//! `Basic <REST API key>`), the body checked against the fields and types of OneSignal's OpenAPI
//! document and its documented rules, the segments list Pushdeck's check reads, and OneSignal's
//! JSON answers, errors included.

mod body;
mod spec;

use serde_json::{Value, json};

use crate::finding::Finding;
use crate::http::Arrival;
use crate::sink::start::{profile_of, secret, setting};
use crate::sink::{Imitation, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict};

use body::{ACCESS_DENIED, Refused};

const REHEARSALS: &[Rehearsal] = &[
    Rehearsal {
        name: "no-recipients",
        status: 200,
        about: "200 with no id: nobody in the audience is subscribed, so nothing was created",
    },
    Rehearsal {
        name: "invalid-app-id",
        status: 400,
        about: "the app id is not found; check the App ID",
    },
    Rehearsal {
        name: "unauthorized",
        status: 403,
        about: "access denied: the API key is wrong or not this app's",
    },
    Rehearsal {
        name: "rate-limited",
        status: 429,
        about: "API rate limit exceeded; wait Retry-After seconds",
    },
    Rehearsal {
        name: "server-error",
        status: 500,
        about: "OneSignal failed on its side; retry with backoff",
    },
];

/// Seconds a rate-limited answer asks the backend to wait.
const RETRY_AFTER: u64 = 10;

fn rehearsed(rehearsal: &Rehearsal) -> (u16, Value) {
    let errors = |text: &str| json!({ "errors": [text] });
    let body = match rehearsal.name {
        "no-recipients" => json!({"id": "", "errors": ["All included players are not subscribed"]}),
        "invalid-app-id" => errors(body::NO_APP_ID),
        "unauthorized" => errors(ACCESS_DENIED),
        "rate-limited" => errors("API rate limit exceeded."),
        _ => errors("Internal server error"),
    };
    (rehearsal.status, body)
}

/// The profile's app and key the requests are checked against.
struct App {
    app_id: String,
    api_key: String,
}

/// How many idempotency keys the sink remembers (OneSignal keeps them 30 days).
const REMEMBERED_KEYS: usize = 1000;

#[derive(Default)]
pub struct OneSignalSink {
    app: Option<App>,
    /// Idempotency keys already answered, with the notification id they created: a repeat gets
    /// the same id and `Idempotent-Replayed: true`, as OneSignal answers it.
    created: std::sync::Mutex<std::collections::VecDeque<(String, String)>>,
}

/// Which API a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    Current,
    Legacy,
}

impl Imitation for OneSignalSink {
    fn provider(&self) -> &'static str {
        "onesignal"
    }

    fn rehearsals(&self) -> &'static [Rehearsal] {
        REHEARSALS
    }

    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String> {
        let base = start.base_url.trim_end_matches('/');
        let mut lines = vec![
            SetupLine {
                label: "API base URL".into(),
                value: base.to_string(),
                about: "in place of https://api.onesignal.com (POST /notifications with Authorization: Key …)".into(),
            },
            SetupLine {
                label: "Legacy API base URL".into(),
                value: format!("{base}/api/v1"),
                about: "in place of https://onesignal.com/api/v1 (legacy REST API keys, Authorization: Basic …)".into(),
            },
        ];
        if let Some((profile, secrets)) = profile_of(
            start,
            "onesignal",
            "its app id and API key check the requests",
        )? {
            let app_id = setting(profile, "app_id")?;
            let api_key = secret(profile, secrets, "api_key")?;
            lines.push(SetupLine {
                label: "App ID".into(),
                value: app_id.clone(),
                about: "notifications must name this app; the profile's API key is the only one accepted".into(),
            });
            self.app = Some(App { app_id, api_key });
        }
        Ok(SinkSetup { lines, keep: None })
    }

    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict {
        let mut findings = Vec::new();
        let mut secrets = Vec::new();
        let result = self.handle(arrival, &mut findings, &mut secrets);
        let what = match &result {
            Ok((what, _)) => what.clone(),
            Err(_) => format!("{} {}", arrival.method, arrival.path()),
        };
        let mut headers = vec![(
            "Content-Type".to_string(),
            "application/json; charset=utf-8".to_string(),
        )];
        let (status, body) = match (rehearsal, result) {
            (Some(r), _) => rehearsed(r),
            (None, Ok((_, mut body))) => {
                if self.replayed(&arrival.body, &mut body) {
                    findings.push(Finding::ok(
                        "A repeated idempotency key: answered with the first notification's id, not sent again",
                    ));
                    headers.push(("Idempotent-Replayed".into(), "true".into()));
                }
                (200, body)
            }
            (None, Err(refused)) => (refused.status, json!({ "errors": refused.errors })),
        };
        if status == 429 {
            headers.push(("Retry-After".into(), RETRY_AFTER.to_string()));
        }
        let said = match body.get("id").and_then(Value::as_str) {
            Some("") => format!("{status}, nothing created"),
            Some(id) => format!("{status} {id}"),
            None => status.to_string(),
        };
        Verdict {
            status,
            headers,
            body: body.to_string().into_bytes(),
            findings,
            summary: format!("{what} → {said}"),
            decoded: Vec::new(),
            secrets,
        }
    }
}

impl OneSignalSink {
    /// Whether the created notification's idempotency key was seen before; if so, `answer`
    /// gets the first notification's id. Otherwise the key is remembered.
    fn replayed(&self, request: &[u8], answer: &mut Value) -> bool {
        let key = serde_json::from_slice::<Value>(request)
            .ok()
            .and_then(|b| b.get("idempotency_key")?.as_str().map(str::to_string));
        let (Some(key), Some(id)) = (key, answer["id"].as_str().map(str::to_string)) else {
            return false;
        };
        let Ok(mut created) = self.created.lock() else {
            return false;
        };
        if let Some((_, first)) = created.iter().find(|(k, _)| *k == key) {
            answer["id"] = Value::String(first.clone());
            return true;
        }
        if created.len() >= REMEMBERED_KEYS {
            created.pop_front();
        }
        created.push_back((key, id));
        false
    }

    fn handle(
        &self,
        arrival: &Arrival,
        findings: &mut Vec<Finding>,
        secrets: &mut Vec<(String, String)>,
    ) -> Result<(String, Value), Refused> {
        let (api, path) = match arrival.path().strip_prefix("/api/v1") {
            Some(rest) => (Api::Legacy, rest),
            None => (Api::Current, arrival.path()),
        };
        let path = path.trim_end_matches('/');
        let segments_of = path
            .strip_prefix("/apps/")
            .and_then(|rest| rest.strip_suffix("/segments"));
        match (arrival.method.as_str(), path, segments_of) {
            ("POST", "/notifications", _) => {
                self.authorize(arrival, api, findings, secrets)?;
                self.notification(arrival, findings)
            }
            ("GET", _, Some(app_id)) => {
                self.authorize(arrival, api, findings, secrets)?;
                self.segments(arrival, app_id, findings)
            }
            (method, _, _) => {
                findings.push(Finding::fail(format!(
                    "{method} {} is not an endpoint the sink imitates: POST /notifications (or /api/v1/notifications), GET /apps/APP_ID/segments",
                    arrival.path()
                )));
                Err(Refused::new(404, "Not Found"))
            }
        }
    }

    /// `Key <App API key>` on the current API, `Basic <REST API key>` on the legacy one (not HTTP
    /// Basic: the raw key follows the word).
    fn authorize(
        &self,
        arrival: &Arrival,
        api: Api,
        findings: &mut Vec<Finding>,
        secrets: &mut Vec<(String, String)>,
    ) -> Result<(), Refused> {
        let denied = || Refused::new(403, ACCESS_DENIED);
        let Some(header) = arrival.header("authorization") else {
            findings.push(Finding::fail(
                "No Authorization header: OneSignal needs `Authorization: Key <App API key>`",
            ));
            return Err(denied());
        };
        let Some((scheme, key)) = header.trim().split_once(' ') else {
            findings.push(Finding::fail(
                "The Authorization header is not `Key <App API key>` (or `Basic <legacy REST API key>`)",
            ));
            return Err(denied());
        };
        let key = key.trim();
        secrets.push(("api_key".into(), key.to_string()));
        let expected = match api {
            Api::Current => "Key",
            Api::Legacy => "Basic",
        };
        match scheme {
            s if s.eq_ignore_ascii_case(expected) => findings.push(Finding::ok(format!(
                "Authorization: {expected} with {} key",
                if key.starts_with("os_v2_app_") { "an App API" } else { "a legacy REST API" }
            ))),
            "Key" | "Basic" => findings.push(Finding::warn(format!(
                "Authorization: {scheme} on the {} API, which documents `{expected}`: OneSignal has been seen to take it, but do not rely on it",
                if api == Api::Current { "current" } else { "legacy" }
            ))),
            other => {
                findings.push(Finding::fail(format!(
                    "Authorization scheme `{other}`: OneSignal takes `Key <App API key>` (or `Basic <legacy key>` on /api/v1)"
                )));
                return Err(denied());
            }
        }
        if key.starts_with("os_v2_org_") {
            findings.push(Finding::fail(
                "An Organization key: sending needs an App API key (os_v2_app_…)",
            ));
            return Err(denied());
        }
        let Some(app) = &self.app else {
            findings.push(Finding::warn(
                "API key not verified: start the sink with --profile P (a OneSignal profile with this key) to check it",
            ));
            return Ok(());
        };
        if key != app.api_key {
            findings.push(Finding::fail(
                "The API key is not the profile's: OneSignal answers access denied",
            ));
            return Err(denied());
        }
        findings.push(Finding::ok("The API key is the profile's"));
        Ok(())
    }

    fn notification(
        &self,
        arrival: &Arrival,
        findings: &mut Vec<Finding>,
    ) -> Result<(String, Value), Refused> {
        let content_type = arrival.header("content-type").unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/json") {
            findings.push(Finding::fail(format!(
                "Content-Type is `{content_type}`: OneSignal reads only application/json, so it sees no app_id"
            )));
            return Err(Refused::new(400, body::NO_APP_ID));
        }
        let value: Value = match serde_json::from_slice(&arrival.body) {
            Ok(v) => v,
            Err(e) => {
                findings.push(Finding::fail(format!("The body is not JSON: {e}")));
                return Err(Refused::new(
                    400,
                    format!("The request body is not valid JSON: {e}"),
                ));
            }
        };
        let Some(map) = value.as_object() else {
            findings.push(Finding::fail("The body is not a JSON object"));
            return Err(Refused::new(400, body::NO_APP_ID));
        };
        let app_id = self.app.as_ref().map(|a| a.app_id.as_str());
        let checked = body::check(map, app_id, findings)?;
        let id = uuid::Uuid::new_v4().to_string();
        let heading: String = checked.heading.chars().take(40).collect();
        Ok((
            format!("notification “{heading}” to {}", checked.audience),
            json!({"id": id, "external_id": null}),
        ))
    }

    fn segments(
        &self,
        arrival: &Arrival,
        app_id: &str,
        findings: &mut Vec<Finding>,
    ) -> Result<(String, Value), Refused> {
        if let Some(app) = &self.app
            && !app_id.eq_ignore_ascii_case(&app.app_id)
        {
            findings.push(Finding::fail(format!(
                "App {app_id} is not the profile's ({})",
                app.app_id
            )));
            return Err(Refused::new(400, body::NO_APP_ID));
        }
        let limit = arrival
            .query_pairs()
            .iter()
            .find(|(k, _)| k == "limit")
            .and_then(|(_, v)| v.parse::<u64>().ok())
            .unwrap_or(300);
        findings.push(Finding::ok(
            "Segments: the sink has the one segment every app has",
        ));
        let segments = if limit == 0 {
            Vec::new()
        } else {
            vec![json!({
                "id": "00000000-0000-4000-8000-000000000001",
                "name": "Total Subscriptions",
                "read_only": true,
                "is_active": true,
            })]
        };
        Ok((
            "segments".into(),
            json!({"total_count": 1, "offset": 0, "limit": limit, "segments": segments}),
        ))
    }
}

#[cfg(test)]
mod tests;
