//! FCM HTTP v1 as the sink imitates it: Google's OAuth token endpoint (`POST /token`, a JWT grant
//! signed by the service account, verified with the public half of the profile's key) and
//! `POST /v1/projects/<project>/messages:send` (a Bearer token the sink issued, the message
//! checked as FCM does), answered in Google's shapes (providers.md §8.1).

mod message;
mod token;

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use super::keys::{rsa_public_der, unix_millis, unix_seconds};
use super::seam::{Decoded, Imitation, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::profile::{Profile, Secrets};
use crate::provider::fcm::auth::{SECRET, project_id, service_account};

const REHEARSALS: &[Rehearsal] = &[
    Rehearsal {
        name: "unregistered",
        status: 404,
        about: "UNREGISTERED: the app was uninstalled or the token expired; delete the token",
    },
    Rehearsal {
        name: "invalid-argument",
        status: 400,
        about: "INVALID_ARGUMENT: the registration token is not valid; fix it, do not retry as is",
    },
    Rehearsal {
        name: "quota-exceeded",
        status: 429,
        about: "QUOTA_EXCEEDED with Retry-After: too many messages; wait that long, then retry",
    },
    Rehearsal {
        name: "unavailable",
        status: 503,
        about: "UNAVAILABLE: FCM is overloaded; retry with backoff, honouring Retry-After",
    },
    Rehearsal {
        name: "internal",
        status: 500,
        about: "INTERNAL: an error on Google's side; retry with backoff",
    },
    Rehearsal {
        name: "sender-id-mismatch",
        status: 403,
        about: "SENDER_ID_MISMATCH: the token belongs to another Firebase project; use that project's key",
    },
];

/// How long the rehearsed 429 and 503 ask the client to wait.
const RETRY_AFTER_S: &str = "30";

/// Google's error body for the FCM API.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub code: u16,
    pub status: &'static str,
    pub message: String,
    /// The FcmError's `errorCode`, when FCM adds one (plain 401/403 come without).
    pub error_code: Option<&'static str>,
    /// A BadRequest field violation: (field, description).
    pub violation: Option<(String, String)>,
}

impl Problem {
    pub fn new(code: u16, status: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
            error_code: None,
            violation: None,
        }
    }

    /// 400 INVALID_ARGUMENT with the FcmError FCM adds to message errors.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_ARGUMENT", message).code("INVALID_ARGUMENT")
    }

    pub fn code(mut self, error_code: &'static str) -> Self {
        self.error_code = Some(error_code);
        self
    }

    pub fn field(mut self, field: impl Into<String>, description: impl Into<String>) -> Self {
        self.violation = Some((field.into(), description.into()));
        self
    }

    pub fn body(&self) -> Vec<u8> {
        let mut details = Vec::new();
        if let Some(c) = self.error_code {
            details.push(json!({
                "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                "errorCode": c
            }));
        }
        if let Some((field, description)) = &self.violation {
            details.push(json!({
                "@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": field, "description": description}]
            }));
        }
        let mut error = json!({"code": self.code, "message": self.message, "status": self.status});
        if !details.is_empty() {
            error["details"] = Value::Array(details);
        }
        json!({ "error": error }).to_string().into_bytes()
    }
}

fn rehearsed(name: &str) -> Problem {
    match name {
        "unregistered" => {
            Problem::new(404, "NOT_FOUND", "Requested entity was not found.").code("UNREGISTERED")
        }
        "invalid-argument" => {
            Problem::invalid("The registration token is not a valid FCM registration token")
                .field("message.token", "Invalid registration token")
        }
        "quota-exceeded" => Problem::new(
            429,
            "RESOURCE_EXHAUSTED",
            "Quota exceeded for quota metric 'Send requests' of service 'fcm.googleapis.com'.",
        )
        .code("QUOTA_EXCEEDED"),
        "unavailable" => Problem::new(503, "UNAVAILABLE", "The service is currently unavailable.")
            .code("UNAVAILABLE"),
        "sender-id-mismatch" => {
            Problem::new(403, "PERMISSION_DENIED", "SenderId mismatch").code("SENDER_ID_MISMATCH")
        }
        _ => Problem::new(500, "INTERNAL", "Internal error encountered.").code("INTERNAL"),
    }
}

/// What `--profile` says: the service account whose key signs the grants, and its project.
pub struct Account {
    pub client_email: String,
    pub project: String,
    /// The key's `token_uri`: the audience its grants carry.
    pub token_uri: String,
    /// The RSAPublicKey DER of its private key.
    pub public: Vec<u8>,
}

impl Account {
    fn from_profile(profile: &Profile, secrets: &Secrets) -> Result<Self, String> {
        if profile.provider != "fcm" {
            return Err(format!(
                "profile `{}` is a {} profile; the FCM sink verifies grants with an FCM profile's service account",
                profile.name, profile.provider
            ));
        }
        let because = |e: crate::draft::DraftError| format!("profile `{}`: {e}", profile.name);
        let text = secrets.require(&profile.name, SECRET).map_err(because)?;
        let (sa, _) = service_account(text).map_err(because)?;
        let project = project_id(profile, &sa).map_err(because)?;
        let public = rsa_public_der(&sa.private_key)
            .map_err(|e| format!("profile `{}`: private_key {e}", profile.name))?;
        Ok(Self {
            client_email: sa.client_email.trim().to_string(),
            project,
            token_uri: sa.token_uri.trim().to_string(),
            public,
        })
    }
}

/// An access token the sink issued.
pub struct Issued {
    pub client_email: String,
    /// Unix seconds.
    pub expires_at: i64,
    /// Whether its scope lets it send (firebase.messaging or cloud-platform).
    pub may_send: bool,
}

/// The FCM imitation. `begin` fills it from the profile; the access tokens it issues are kept
/// in memory (a restarted sink issues new ones, as a backend fetches on a 401).
#[derive(Default)]
pub struct FcmSink {
    account: Option<Account>,
    /// `{base_url}/token`: what a service account's `token_uri` points at.
    token_url: String,
    issued: Mutex<HashMap<String, Issued>>,
    sent: AtomicU64,
}

impl Imitation for FcmSink {
    fn provider(&self) -> &'static str {
        "fcm"
    }

    fn rehearsals(&self) -> &'static [Rehearsal] {
        REHEARSALS
    }

    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String> {
        let base = start.base_url.trim_end_matches('/');
        self.token_url = format!("{base}/token");
        if let Some(profile) = start.profile {
            let secrets = start.secrets.cloned().unwrap_or_default();
            self.account = Some(Account::from_profile(profile, &secrets)?);
        }
        let mut lines = vec![
            SetupLine {
                label: "FCM base URL".into(),
                value: base.to_string(),
                about: "instead of https://fcm.googleapis.com: messages go to <base>/v1/projects/<project>/messages:send (a Pushdeck fcm profile: --base-url, which also sends its token request to <base>/token)".into(),
            },
            SetupLine {
                label: "token_uri".into(),
                value: self.token_url.clone(),
                about: "put it as token_uri in the service-account JSON your backend loads (instead of https://oauth2.googleapis.com/token): Google's client libraries send the JWT grant there".into(),
            },
        ];
        lines.push(match &self.account {
            Some(a) => SetupLine {
                label: "Service account".into(),
                value: format!("{} (project {})", a.client_email, a.project),
                about: "JWT grants must be RS256, signed by this account's private key; messages go to this project".into(),
            },
            None => SetupLine {
                label: "Service account".into(),
                value: "read, not verified".into(),
                about: "start the sink with --profile P (an FCM profile) to verify the grant's signature and the project".into(),
            },
        });
        Ok(SinkSetup { lines, keep: None })
    }

    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict {
        let mut verdict = Verdict::default();
        let path = arrival.path();
        if path == "/token" || path.ends_with("/token") {
            self.grant(arrival, &mut verdict);
            return verdict;
        }
        let project = path
            .strip_prefix("/v1/projects/")
            .and_then(|p| p.strip_suffix("/messages:send"))
            .filter(|p| !p.is_empty() && !p.contains('/'));
        let Some(project) = project else {
            verdict.findings.push(Finding::fail(format!(
                "{} {path} is neither the token endpoint (/token) nor /v1/projects/<project>/messages:send",
                arrival.method
            )));
            let problem = Problem::new(
                404,
                "NOT_FOUND",
                format!("The requested URL {path} was not found on this server."),
            );
            return self.refused(verdict, &problem, "request");
        };
        let target = message::target_words(arrival);
        let checked = if arrival.method == "POST" {
            self.send(arrival, project, &mut verdict)
        } else {
            verdict.findings.push(Finding::fail(format!(
                "{} messages:send: FCM takes POST",
                arrival.method
            )));
            Err(Problem::new(
                405,
                "METHOD_NOT_ALLOWED",
                format!("Method {} is not allowed here.", arrival.method),
            ))
        };
        match (checked, rehearsal) {
            (Err(problem), _) => self.refused(verdict, &problem, &target),
            (Ok(_), Some(r)) => {
                verdict.findings.push(Finding::warn(format!(
                    "Rehearsal {}: answered with {} instead of the normal answer",
                    r.name, r.status
                )));
                if matches!(r.status, 429 | 503) {
                    verdict
                        .headers
                        .push(("retry-after".into(), RETRY_AFTER_S.into()));
                }
                self.refused(verdict, &rehearsed(r.name), &target)
            }
            (Ok(validate_only), None) => {
                let n = self.sent.fetch_add(1, Ordering::Relaxed);
                let id = if validate_only {
                    "fake_message_id".to_string()
                } else {
                    format!(
                        "0:{}%{:016x}",
                        unix_millis(arrival.received_at) * 1000 + (n % 1000) as i64,
                        n
                    )
                };
                let name = format!("projects/{project}/messages/{id}");
                verdict.status = 200;
                json_headers(&mut verdict);
                verdict.body = json!({ "name": name }).to_string().into_bytes();
                verdict.summary = format!(
                    "{} to {target} → 200 {name}",
                    if validate_only { "validate" } else { "send" }
                );
                verdict
            }
        }
    }
}

fn json_headers(verdict: &mut Verdict) {
    verdict.headers.push((
        "content-type".into(),
        "application/json; charset=UTF-8".into(),
    ));
}

impl FcmSink {
    fn refused(&self, mut verdict: Verdict, problem: &Problem, target: &str) -> Verdict {
        verdict.status = problem.code;
        json_headers(&mut verdict);
        verdict.body = problem.body();
        // What Pushdeck's own FCM provider makes of this answer: the same words a send shows.
        let said = crate::provider::fcm::errors::error_outcome(&crate::http::ResponseDump {
            status: problem.code,
            reason: String::new(),
            version: "HTTP/2.0".into(),
            headers: verdict.headers.clone(),
            body: crate::http::Body::Text(String::from_utf8_lossy(&verdict.body).into_owned()),
            truncated: false,
        });
        if let Some(hint) = said.hint {
            verdict.decoded.push(Decoded {
                label: format!(
                    "What {} means",
                    problem.error_code.unwrap_or(problem.status)
                ),
                text: hint,
            });
        }
        verdict.summary = format!(
            "send to {target} → {} {}",
            problem.code,
            problem.error_code.unwrap_or(problem.status)
        );
        verdict
    }

    /// `messages:send`: the access token, the project, then the message.
    fn send(
        &self,
        arrival: &Arrival,
        project: &str,
        verdict: &mut Verdict,
    ) -> Result<bool, Problem> {
        self.bearer(arrival, project, verdict)?;
        message::check(arrival, &mut verdict.findings)
    }

    fn bearer(
        &self,
        arrival: &Arrival,
        project: &str,
        verdict: &mut Verdict,
    ) -> Result<(), Problem> {
        let findings = &mut verdict.findings;
        let unauthenticated = |findings: &mut Vec<Finding>, why: String, missing: bool| {
            findings.push(Finding::fail(why));
            Err(Problem::new(
                401,
                "UNAUTHENTICATED",
                if missing {
                    "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
                } else {
                    "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project."
                },
            ))
        };
        let Some(value) = arrival.header("authorization") else {
            return unauthenticated(
                findings,
                "No Authorization header: send `Authorization: Bearer <access token>` from the token endpoint".into(),
                true,
            );
        };
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return unauthenticated(
                    findings,
                    "The Authorization header is not `Bearer <access token>` (the legacy `key=` server key was shut down in 2024)".into(),
                    false,
                );
            }
        };
        verdict
            .secrets
            .push(("access_token".into(), token.to_string()));
        let findings = &mut verdict.findings;
        let issued = self.issued.lock().map_err(|_| {
            Problem::new(500, "INTERNAL", "Internal error encountered.").code("INTERNAL")
        })?;
        let Some(grant) = issued.get(token) else {
            return unauthenticated(
                findings,
                "The access token is not one this sink issued: fetch one from the sink's token endpoint (token_uri) first".into(),
                false,
            );
        };
        if unix_seconds(arrival.received_at) >= grant.expires_at {
            return unauthenticated(
                findings,
                "The access token has expired (they last 3599 s): fetch a new one".into(),
                false,
            );
        }
        if !grant.may_send {
            findings.push(Finding::fail(
                "The access token's scope does not include firebase.messaging (or cloud-platform)",
            ));
            return Err(Problem::new(
                403,
                "PERMISSION_DENIED",
                "Request had insufficient authentication scopes.",
            ));
        }
        findings.push(Finding::ok(format!(
            "Access token issued by the sink to {}",
            grant.client_email
        )));
        match &self.account {
            Some(a) if a.project != project => {
                findings.push(Finding::fail(format!(
                    "Project {project} is not the profile's project {}",
                    a.project
                )));
                Err(Problem::new(
                    403,
                    "PERMISSION_DENIED",
                    format!(
                        "Permission 'cloudmessaging.messages.create' denied on resource '//cloudresourcemanager.googleapis.com/projects/{project}' (or it may not exist)."
                    ),
                ))
            }
            Some(_) => {
                findings.push(Finding::ok(format!("Project {project} is the profile's")));
                Ok(())
            }
            None => {
                let own = grant
                    .client_email
                    .split_once('@')
                    .and_then(|(_, domain)| domain.strip_suffix(".iam.gserviceaccount.com"));
                if own.is_some_and(|own| own != project) {
                    findings.push(Finding::warn(format!(
                        "Project {project} is not the service account's own ({}): FCM answers 403 PERMISSION_DENIED unless it was given access",
                        own.unwrap_or_default()
                    )));
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests;
