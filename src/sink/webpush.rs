//! A Web Push push service (RFC 8030 / 8291 / 8292, providers.md §7) with its own test
//! subscriptions: it holds the browser side of each (the P-256 key and auth secret), so it checks
//! what a push service checks and then decrypts the message as the browser would.
//!
//! Statuses follow the RFCs as FCM and Apple apply them (404 unknown subscription, 401 no VAPID,
//! 403 VAPID invalid); error bodies are Mozilla autopush's documented JSON (`code`, `errno`,
//! `error`, `message`, `more_info`), the one push service whose error vocabulary is published.

mod auth;
mod payload;
mod subscriptions;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use serde_json::json;

use super::seam::{Imitation, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::webpush::ece;
use crate::provider::webpush::vapid::VapidKey;
use payload::{Refuse, check_encoding, open};
pub use subscriptions::TestSubscription;

/// What every push service must accept (RFC 8030 §7.2), and what bigger bodies get: 413.
const MAX_BODY: usize = 4096;
/// autopush cuts longer TTLs to 60 days and says so in the answer's TTL header.
const MAX_TTL_S: u64 = 60 * 24 * 3600;
const URGENCIES: &[&str] = &["very-low", "low", "normal", "high"];
/// Where autopush's error bodies point.
const MORE_INFO: &str = "http://autopush.readthedocs.io/en/latest/http.html#error-codes";

const REHEARSALS: &[Rehearsal] = &[
    Rehearsal {
        name: "gone",
        status: 410,
        about: "the subscription expired or the user unsubscribed: delete it and stop sending to it",
    },
    Rehearsal {
        name: "not-found",
        status: 404,
        about: "the push service does not know this subscription (RFC 8030's answer): delete it",
    },
    Rehearsal {
        name: "too-large",
        status: 413,
        about: "the encrypted body is over 4096 bytes: shorten the payload",
    },
    Rehearsal {
        name: "rate-limited",
        status: 429,
        about: "too many pushes: wait the Retry-After seconds before sending again",
    },
    Rehearsal {
        name: "bad-jwt",
        status: 403,
        about: "the VAPID JWT or key was refused: check the key pair, aud, exp and sub",
    },
    Rehearsal {
        name: "server-error",
        status: 500,
        about: "the push service failed: retry later with backoff",
    },
];

/// Why the push service refuses a request: the status and autopush's error number.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub status: u16,
    pub errno: Option<u16>,
    pub message: String,
}

impl Refusal {
    pub fn new(status: u16, errno: Option<u16>, message: impl Into<String>) -> Self {
        Self {
            status,
            errno,
            message: message.into(),
        }
    }
}

fn reason(status: u16) -> &'static str {
    http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// An error answer in autopush's shape.
fn error_answer(verdict: &mut Verdict, refusal: &Refusal) {
    verdict.status = refusal.status;
    verdict.headers = vec![("Content-Type".into(), "application/json".into())];
    match refusal.status {
        410 => verdict
            .headers
            .push(("Cache-Control".into(), "max-age=86400".into())),
        429 | 503 => verdict.headers.push(("Retry-After".into(), "60".into())),
        _ => {}
    }
    let body = json!({
        "code": refusal.status,
        "errno": refusal.errno,
        "error": reason(refusal.status),
        "message": refusal.message,
        "more_info": MORE_INFO,
    });
    verdict.body = body.to_string().into_bytes();
}

/// A rehearsal as autopush words it.
fn rehearsed(rehearsal: &Rehearsal) -> Refusal {
    let (errno, message) = match rehearsal.name {
        "gone" => (Some(106), "No such subscription"),
        "not-found" => (Some(102), "Invalid token"),
        "too-large" => (Some(104), "Payload too large"),
        "bad-jwt" => (Some(109), "Invalid Authentication"),
        "rate-limited" => (None, "Too many requests; retry later"),
        _ => (Some(999), "General error"),
    };
    Refusal::new(rehearsal.status, errno, message)
}

#[derive(Default)]
pub struct WebPushSink {
    base_url: String,
    origin: String,
    subscriptions: Vec<TestSubscription>,
    /// The profile's VAPID public key: the applicationServerKey the page subscribed with.
    application_server_key: Option<String>,
    messages: AtomicU64,
}

impl WebPushSink {
    #[cfg(test)]
    pub fn subscriptions(&self) -> &[TestSubscription] {
        &self.subscriptions
    }

    /// The profile's public key: stored, or derived from the private key.
    fn profile_key(start: &SinkStart) -> Result<Option<String>, String> {
        let Some(profile) = start.profile else {
            return Ok(None);
        };
        if profile.provider != "webpush" {
            return Err(format!(
                "profile {} is a {} profile; the Web Push sink checks VAPID with a webpush profile",
                profile.name, profile.provider
            ));
        }
        if let Some(public) = profile.setting("vapid_public_key") {
            return Ok(Some(public.trim().to_string()));
        }
        let private = start
            .secrets
            .and_then(|s| s.get("vapid_private_key"))
            .ok_or_else(|| {
                format!(
                    "profile {} has no VAPID key (neither vapid_public_key nor vapid_private_key): generate keys for it first",
                    profile.name
                )
            })?;
        VapidKey::import(private)
            .map(|k| Some(k.public_key_b64()))
            .map_err(|e| format!("profile {}: {e}", profile.name))
    }
}

impl Imitation for WebPushSink {
    fn provider(&self) -> &'static str {
        "webpush"
    }

    fn rehearsals(&self) -> &'static [Rehearsal] {
        REHEARSALS
    }

    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String> {
        let url = url::Url::parse(start.base_url)
            .map_err(|e| format!("the sink's base URL {} is not a URL ({e})", start.base_url))?;
        self.origin = url.origin().ascii_serialization();
        self.base_url = start.base_url.trim_end_matches('/').to_string();
        self.application_server_key = Self::profile_key(start)?;
        let mut note = String::new();
        self.subscriptions = match start.kept.map(subscriptions::restore) {
            Some(Ok(kept)) => kept,
            Some(Err(e)) => {
                note =
                    format!(" (new: the subscriptions kept last time could not be read back: {e})");
                subscriptions::generate()?
            }
            None => subscriptions::generate()?,
        };
        let mut lines: Vec<SetupLine> = self
            .subscriptions
            .iter()
            .enumerate()
            .map(|(i, sub)| SetupLine {
                label: format!("Subscription {}", i + 1),
                value: sub.browser_json(&self.base_url).to_string(),
                about: format!(
                    "a browser's PushSubscription JSON: store it in your backend as if a page had sent it; the sink decrypts what arrives for it{note}"
                ),
            })
            .collect();
        lines.push(SetupLine {
            label: "VAPID audience".into(),
            value: self.origin.clone(),
            about: "the push service's origin: your JWT's aud claim must be exactly this".into(),
        });
        if let Some(key) = &self.application_server_key {
            lines.push(SetupLine {
                label: "applicationServerKey".into(),
                value: key.clone(),
                about: "the profile's VAPID public key: pushes signed with another key are refused (403)".into(),
            });
        }
        Ok(SinkSetup {
            lines,
            keep: Some(subscriptions::keep(&self.subscriptions)),
        })
    }

    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict {
        let mut verdict = Verdict::default();
        let mut first: Option<Refusal> = None;
        let mut what = String::from("(no payload)");
        let id = arrival.path().strip_prefix("/push/").unwrap_or("");
        let subscription = self.subscriptions.iter().find(|s| s.id == id);
        let mut refuse = |findings: &mut Vec<Finding>, refusal: Refusal| {
            findings.push(Finding::fail(refusal.message.clone()));
            if first.is_none() {
                first = Some(refusal);
            }
        };
        let route = if id.is_empty() || id.contains('/') {
            Some(Refusal::new(
                404,
                Some(102),
                format!(
                    "{} is not a push endpoint: the sink's endpoints are {}/push/<subscription id>",
                    arrival.path(),
                    self.base_url
                ),
            ))
        } else if arrival.method != "POST" {
            Some(Refusal::new(
                405,
                None,
                format!(
                    "{} to a push endpoint: push messages are sent with POST (RFC 8030 §5)",
                    arrival.method
                ),
            ))
        } else if subscription.is_none() {
            Some(Refusal::new(
                404,
                Some(102),
                format!(
                    "no subscription {id}: the sink's subscriptions are the ones it printed when it started (a push service answers 404 or 410 for an unknown one)"
                ),
            ))
        } else {
            None
        };
        if let Some(refusal) = route {
            refuse(&mut verdict.findings, refusal);
        }
        let ttl = self.check_headers(arrival, &mut verdict.findings, &mut refuse);
        let encoding = check_encoding(arrival, &mut verdict.findings, &mut refuse);
        if arrival.body.len() > MAX_BODY {
            refuse(
                &mut verdict.findings,
                Refusal::new(
                    413,
                    Some(104),
                    format!(
                        "the body is {} bytes; push services must accept {MAX_BODY} and may refuse more (413): the plaintext can be at most {} bytes",
                        arrival.body.len(),
                        ece::MAX_PLAINTEXT
                    ),
                ),
            );
        }
        let now = arrival
            .received_at
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        let auth = auth::check(
            arrival,
            &self.origin,
            now,
            self.application_server_key.as_deref(),
        );
        verdict.findings.extend(auth.findings);
        verdict.decoded.extend(auth.decoded);
        if let Some(jwt) = auth.jwt {
            verdict.secrets.push(("vapid_jwt".into(), jwt));
        }
        if let Some(refusal) = auth.refusal {
            first.get_or_insert(refusal);
        }
        if let Some(sub) = subscription {
            what = open(sub, arrival, encoding, &mut verdict);
        }
        let short: String = id.chars().take(8).collect();
        match (rehearsal, first) {
            (Some(rehearsal), _) => {
                let refusal = rehearsed(rehearsal);
                error_answer(&mut verdict, &refusal);
                verdict.findings.push(Finding::warn(format!(
                    "answered with the rehearsal {}: {}",
                    rehearsal.name, rehearsal.about
                )));
            }
            (None, Some(refusal)) => error_answer(&mut verdict, &refusal),
            (None, None) => {
                let n = self.messages.fetch_add(1, Ordering::Relaxed) + 1;
                verdict.status = 201;
                verdict.headers = vec![
                    ("Location".into(), format!("{}/m/{short}-{n}", self.origin)),
                    ("TTL".into(), ttl.unwrap_or(0).to_string()),
                ];
            }
        }
        verdict.summary = format!("push to {short}…: {what} → {}", verdict.status);
        verdict
    }
}

impl WebPushSink {
    /// TTL, Urgency and Topic (RFC 8030 §5.2–5.4); the TTL the service applies.
    fn check_headers(
        &self,
        arrival: &Arrival,
        findings: &mut Vec<Finding>,
        refuse: &mut Refuse<'_>,
    ) -> Option<u64> {
        let mut applied = None;
        for name in ["ttl", "urgency", "topic"] {
            let count = arrival.headers.iter().filter(|(n, _)| n == name).count();
            if count > 1 {
                refuse(
                    findings,
                    Refusal::new(
                        400,
                        None,
                        format!(
                            "{count} {name} headers: RFC 8030 allows one value, several are refused with 400"
                        ),
                    ),
                );
            }
        }
        match arrival.header("ttl").map(str::trim) {
            None => refuse(
                findings,
                Refusal::new(
                    400,
                    Some(111),
                    "no TTL header: it is required (seconds the push service keeps the message, e.g. TTL: 86400)",
                ),
            ),
            Some(t) if t.starts_with('-') && t[1..].bytes().all(|b| b.is_ascii_digit()) => refuse(
                findings,
                Refusal::new(
                    400,
                    Some(114),
                    format!("TTL {t} is negative; it must be 0 or more seconds"),
                ),
            ),
            Some(t) => match t.parse::<u64>() {
                Ok(ttl) if ttl > MAX_TTL_S => {
                    findings.push(Finding::warn(format!(
                        "TTL {ttl} s is over 60 days: the push service keeps it {MAX_TTL_S} s and says so in the answer's TTL header"
                    )));
                    applied = Some(MAX_TTL_S);
                }
                Ok(ttl) => {
                    findings.push(Finding::ok(format!("TTL {ttl} s")));
                    applied = Some(ttl);
                }
                Err(_) => refuse(
                    findings,
                    Refusal::new(
                        400,
                        Some(111),
                        format!("TTL `{t}` is not a whole number of seconds"),
                    ),
                ),
            },
        }
        if let Some(urgency) = arrival.header("urgency").map(str::trim) {
            if URGENCIES.contains(&urgency) {
                findings.push(Finding::ok(format!("Urgency {urgency}")));
            } else {
                refuse(
                    findings,
                    Refusal::new(
                        400,
                        None,
                        format!(
                            "Urgency `{urgency}` is not one of very-low, low, normal, high (one value only)"
                        ),
                    ),
                );
            }
        }
        if let Some(topic) = arrival.header("topic") {
            let ok = !topic.is_empty()
                && topic.len() <= 32
                && topic
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if ok {
                findings.push(Finding::ok(format!(
                    "Topic {topic}: replaces an undelivered message with the same topic"
                )));
            } else {
                refuse(
                    findings,
                    Refusal::new(
                        400,
                        Some(113),
                        format!(
                            "Topic `{topic}` must be at most 32 characters of the base64url alphabet (letters, digits, - and _)"
                        ),
                    ),
                );
            }
        }
        applied
    }
}
