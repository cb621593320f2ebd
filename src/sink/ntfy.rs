//! ntfy as the sink imitates it (providers.md §8.3): JSON publishing to the root URL, plain
//! publishing to `/<topic>` with the `X-…` headers (or their aliases and query parameters),
//! `Authorization: Bearer`/`Basic` or `?auth=`, the health and account calls, and ntfy's error
//! body `{"code":40301,"http":403,"error":"forbidden","link":…}`.

use base64::Engine as _;
use serde_json::{Value, json};

use super::seam::{Imitation, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict};
use crate::finding::{Finding, Level};
use crate::http::Arrival;
use crate::profile::{Profile, Secrets};
use errors::{
    FORBIDDEN, INTERNAL, NOT_FOUND, NtfyError, TOO_LARGE, TOO_MANY, UNAUTHORIZED, reply, short,
};
use publish::{publish_json, publish_plain};

/// ntfy refills one request every 5 s per visitor: what a rate-limited backend should wait.
const RETRY_AFTER_S: u64 = 5;

const REHEARSALS: &[Rehearsal] = &[
    Rehearsal {
        name: "forbidden",
        status: 403,
        about: "ntfy's 40301: these credentials may not write to the topic; retrying the same way will not help.",
    },
    Rehearsal {
        name: "too-large",
        status: 413,
        about: "ntfy's 41301: the attachment is too large or today's attachment bandwidth is used up; send a link or a smaller file.",
    },
    Rehearsal {
        name: "rate-limited",
        status: 429,
        about: "ntfy's 42901 with Retry-After: too many requests from this address; wait, then send again.",
    },
    Rehearsal {
        name: "server-error",
        status: 500,
        about: "ntfy's 50001: the server failed; retry later with a backoff.",
    },
];

/// ntfy's imitation: with a profile, the access token requests must carry.
#[derive(Default)]
pub struct NtfySink {
    profile: Option<String>,
    token: Option<String>,
}

impl Imitation for NtfySink {
    fn provider(&self) -> &'static str {
        "ntfy"
    }

    fn rehearsals(&self) -> &'static [Rehearsal] {
        REHEARSALS
    }

    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String> {
        self.profile = start.profile.map(|p| p.name.clone());
        self.token = start
            .secrets
            .and_then(|s| s.get("access_token"))
            .map(|t| t.trim().to_string());
        let mut lines = vec![
            SetupLine {
                label: "Base URL".into(),
                value: start.base_url.to_string(),
                about: "the ntfy server your backend publishes to (a Pushdeck ntfy profile's base_url)".into(),
            },
            SetupLine {
                label: "Publish URL".into(),
                value: format!("{}/mytopic", start.base_url),
                about: "plain publishing: POST the message as the body, X-Title, X-Priority… as headers".into(),
            },
        ];
        lines.push(match (&self.profile, &self.token) {
            (Some(profile), Some(_)) => SetupLine {
                label: "Access token".into(),
                value: format!("profile {profile}'s access_token"),
                about: "requests must carry it (Bearer, Basic with it as the password, or ?auth=); others are refused as ntfy does".into(),
            },
            (Some(profile), None) => SetupLine {
                label: "Access token".into(),
                value: "none".into(),
                about: format!("profile {profile} has no access token: topics are open, credentials are read but not checked"),
            },
            (None, _) => SetupLine {
                label: "Access token".into(),
                value: "not checked".into(),
                about: "start the sink with --profile P to check tokens against P's access_token".into(),
            },
        });
        Ok(SinkSetup { lines, keep: None })
    }

    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict {
        let mut verdict = Verdict::default();
        let path = arrival.path().to_string();
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let method = arrival.method.as_str();
        let auth = self.authenticate(arrival, &mut verdict);
        let refused = match auth {
            Auth::Refused(error) => Some(error),
            Auth::Fine => None,
        };
        let published = match (method, segments.as_slice()) {
            ("GET", ["v1", "health"]) => {
                verdict.summary = "health check".into();
                return reply(verdict, 200, &json!({"healthy": true}));
            }
            ("GET", ["v1", "account"]) => {
                if let Some(error) = refused {
                    return finish(verdict, error, rehearsal, "account");
                }
                verdict.summary = "account".into();
                let signed_in = arrival.header("authorization").is_some()
                    || arrival.query_pairs().iter().any(|(k, _)| k == "auth");
                let body = if signed_in {
                    json!({"username": "pushdeck-sink", "role": "user", "sync_topic": "", "limits": {"messages": 250}})
                } else {
                    json!({"username": "*", "role": "anonymous"})
                };
                return reply(verdict, 200, &body);
            }
            ("GET", [topic, "auth"]) => {
                verdict.summary = format!("auth check for “{topic}”");
                if let Some(error) = refused {
                    return finish(verdict, error, rehearsal, "auth check");
                }
                return reply(verdict, 200, &json!({"success": true}));
            }
            ("POST" | "PUT", [""]) => publish_json(arrival, &mut verdict),
            ("POST" | "PUT", [topic]) => publish_plain(arrival, topic, &mut verdict),
            _ => {
                verdict.findings.push(Finding::fail(format!(
                    "{method} {path} is not an ntfy publishing URL: publish with POST to the base URL (JSON) or to /<topic>"
                )));
                verdict.summary = format!("{method} {path}");
                return finish(verdict, &NOT_FOUND, rehearsal, "");
            }
        };
        let error = refused.or(published.as_ref().err().copied());
        match (error, published) {
            (None, Ok(message)) if rehearsal.is_none() => {
                verdict.summary = format!("{} → 200", describe(&message));
                reply(verdict, 200, &message)
            }
            (error, published) => {
                let what = published.map(|m| describe(&m)).unwrap_or_default();
                finish(verdict, error.unwrap_or(&INTERNAL), rehearsal, &what)
            }
        }
    }
}

/// An error answer, or the rehearsed one instead.
fn finish(
    mut verdict: Verdict,
    error: &NtfyError,
    rehearsal: Option<&Rehearsal>,
    what: &str,
) -> Verdict {
    let error = match rehearsal.map(|r| r.name) {
        Some("forbidden") => &FORBIDDEN,
        Some("too-large") => &TOO_LARGE,
        Some("rate-limited") => {
            verdict
                .headers
                .push(("retry-after".into(), RETRY_AFTER_S.to_string()));
            &TOO_MANY
        }
        Some(_) => &INTERNAL,
        None => error,
    };
    let head = if what.is_empty() {
        verdict.summary.clone()
    } else {
        what.to_string()
    };
    // A request refused before its message was read has nothing to name: the answer alone.
    verdict.summary = if head.is_empty() {
        format!("{} {}", error.status(), error.error)
    } else {
        format!("{head} → {} {}", error.status(), error.error)
    };
    error.verdict(verdict)
}

/// The message in a few words, for the live list.
fn describe(message: &Value) -> String {
    let text = |k: &str| message.get(k).and_then(Value::as_str).unwrap_or("");
    let mut s = format!("publish to “{}”", text("topic"));
    if !text("title").is_empty() {
        s.push_str(&format!(": “{}”", short(text("title"))));
    }
    if !text("message").is_empty() {
        s.push_str(&format!(" “{}”", short(text("message"))));
    }
    s
}

enum Auth {
    Fine,
    Refused(&'static NtfyError),
}

impl NtfySink {
    /// Reads the credentials as ntfy's `readAuthHeader` does and checks them against the
    /// profile's access token, when there is one.
    fn authenticate(&self, arrival: &Arrival, verdict: &mut Verdict) -> Auth {
        let from_query = arrival
            .query_pairs()
            .into_iter()
            .find(|(k, _)| k == "auth")
            .map(|(_, v)| v);
        let header = match (arrival.header("authorization"), &from_query) {
            (Some(h), _) => Some(h.to_string()),
            (None, Some(q)) => {
                verdict.secrets.push(("auth".into(), q.clone()));
                match base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(q.trim_end_matches('='))
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                {
                    Some(h) => Some(h),
                    None => {
                        verdict.findings.push(Finding::fail(
                            "?auth= is not base64url of an Authorization header value, so ntfy answers 401",
                        ));
                        return Auth::Refused(&UNAUTHORIZED);
                    }
                }
            }
            (None, None) => None,
        };
        let Some(header) = header else {
            return match (&self.token, &self.profile) {
                (Some(_), Some(profile)) => {
                    verdict.findings.push(Finding::fail(format!(
                        "no credentials, but profile {profile} has an access token: ntfy refuses anonymous writes to a protected topic with 403"
                    )));
                    Auth::Refused(&FORBIDDEN)
                }
                _ => {
                    verdict.findings.push(Finding::ok(
                        "no credentials: an anonymous publish to an open topic",
                    ));
                    Auth::Fine
                }
            };
        };
        let (scheme, value) = header.trim().split_once(' ').unwrap_or((header.trim(), ""));
        let value = value.trim();
        let bearer = scheme.eq_ignore_ascii_case("bearer");
        let presented = match scheme.to_ascii_lowercase().as_str() {
            "bearer" => {
                verdict
                    .secrets
                    .push(("access_token".into(), value.to_string()));
                value.to_string()
            }
            "basic" => {
                verdict.secrets.push(("basic".into(), value.to_string()));
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(value)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok());
                let Some((user, password)) = decoded.as_deref().and_then(|d| d.split_once(':'))
                else {
                    verdict.findings.push(Finding::fail(
                        "Authorization: Basic is not base64 of user:password, so ntfy answers 401",
                    ));
                    return Auth::Refused(&UNAUTHORIZED);
                };
                verdict
                    .secrets
                    .push(("password".into(), password.to_string()));
                if !user.is_empty() {
                    verdict
                        .findings
                        .push(Finding::ok(format!("Basic credentials for user “{user}”")));
                }
                password.to_string()
            }
            other => {
                verdict.findings.push(Finding::fail(format!(
                    "Authorization scheme “{other}”: ntfy accepts only Basic and Bearer, and answers 401"
                )));
                return Auth::Refused(&UNAUTHORIZED);
            }
        };
        match (&self.token, &self.profile) {
            (Some(token), Some(profile)) if *token == presented => {
                verdict.findings.push(Finding::ok(format!(
                    "the access token is profile {profile}'s"
                )));
                Auth::Fine
            }
            (Some(_), Some(profile)) => {
                verdict.findings.push(Finding::fail(format!(
                    "the credentials are not profile {profile}'s access token: ntfy answers 401 unauthorized"
                )));
                Auth::Refused(&UNAUTHORIZED)
            }
            (_, profile) => {
                if bearer || presented.starts_with("tk_") {
                    let mut secrets = Secrets::default();
                    secrets.insert("access_token", presented.clone());
                    let shape = crate::provider::doctor::tokens::ntfy(
                        &Profile::new("sink", "ntfy"),
                        &secrets,
                    );
                    let misshapen = shape.iter().any(|f| f.level == Level::Fail);
                    verdict.findings.extend(shape);
                    // ntfy knows no token of another form: it answers 401 whatever the server.
                    if misshapen {
                        return Auth::Refused(&UNAUTHORIZED);
                    }
                } else {
                    verdict.findings.push(Finding::ok(
                        "the credentials are a password (ntfy checks it against the user's)",
                    ));
                }
                verdict.findings.push(Finding::warn(match profile {
                    Some(p) => {
                        format!("not verified: profile {p} has no access token to check against")
                    }
                    None => {
                        "not verified: start the sink with --profile P to check the token".into()
                    }
                }));
                Auth::Fine
            }
        }
    }
}

mod errors;
mod publish;

#[cfg(test)]
mod tests;
