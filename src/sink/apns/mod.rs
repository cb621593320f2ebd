//! APNs as the sink imitates it: HTTP/2 `POST /3/device/<token>` over TLS (or h2c when asked),
//! token auth verified against the profile's `.p8` key, certificate auth read from the client
//! certificate, the headers and payload checked as Apple does, and Apple's answers: 200 with
//! `apns-id` (and `apns-unique-id` in the sandbox), or `{"reason": "…"}` (providers.md §8.2).

mod auth;
mod notification;

use std::sync::Mutex;

use serde_json::json;

use super::keys::{random_hex, short, unix_millis};
use super::seam::{
    Decoded, Imitation, Listening, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict,
};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::apns::errors::hint_for;

const REHEARSALS: &[Rehearsal] = &[
    Rehearsal {
        name: "bad-device-token",
        status: 400,
        about: "BadDeviceToken: the token is malformed or from the other environment; check the environment, do not retry as is",
    },
    Rehearsal {
        name: "unregistered",
        status: 410,
        about: "Unregistered (with the time Apple learned it): the app is gone from the device; delete the token",
    },
    Rehearsal {
        name: "too-many-requests",
        status: 429,
        about: "TooManyRequests: too many pushes to this device; slow down and retry later",
    },
    Rehearsal {
        name: "expired-provider-token",
        status: 403,
        about: "ExpiredProviderToken: the JWT is older than an hour; mint a new one and retry",
    },
    Rehearsal {
        name: "payload-too-large",
        status: 413,
        about: "PayloadTooLarge: over 4 KB (5 KB for VoIP); shorten it, do not retry as is",
    },
    Rehearsal {
        name: "internal-server-error",
        status: 500,
        about: "InternalServerError: Apple's fault; retry with backoff",
    },
    Rehearsal {
        name: "service-unavailable",
        status: 503,
        about: "ServiceUnavailable: Apple is shutting down or busy; retry with backoff, on a new connection",
    },
];

fn rehearsed_reason(name: &str) -> &'static str {
    match name {
        "bad-device-token" => "BadDeviceToken",
        "unregistered" => "Unregistered",
        "too-many-requests" => "TooManyRequests",
        "expired-provider-token" => "ExpiredProviderToken",
        "payload-too-large" => "PayloadTooLarge",
        "internal-server-error" => "InternalServerError",
        _ => "ServiceUnavailable",
    }
}

/// How an arrival is refused: Apple's status and reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub reason: &'static str,
}

pub const fn refuse(status: u16, reason: &'static str) -> Refusal {
    Refusal { status, reason }
}

/// The APNs imitation. `begin` fills it from the profile; `answer` only reads it, except the
/// last provider token seen (Apple counts renewals).
#[derive(Default)]
pub struct ApnsSink {
    /// What the profile says a request must carry; none without `--profile`.
    expected: Option<auth::Expected>,
    /// The test device token shown at start, kept for next time.
    device_token: String,
    /// The environment the sink stands in for (the profile's; sandbox without one).
    sandbox: bool,
    /// The last distinct provider token and its `iat`, to notice renewals under 20 minutes.
    last_token: Mutex<Option<(String, i64)>>,
}

impl ApnsSink {
    fn environment(&self) -> &'static str {
        if self.sandbox {
            "sandbox"
        } else {
            "production"
        }
    }
}

impl Imitation for ApnsSink {
    fn provider(&self) -> &'static str {
        "apns"
    }

    fn listening(&self) -> Listening {
        Listening::Tls
    }

    fn rehearsals(&self) -> &'static [Rehearsal] {
        REHEARSALS
    }

    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String> {
        self.device_token = start
            .kept
            .and_then(|k| serde_json::from_str::<serde_json::Value>(k).ok())
            .and_then(|k| k.get("device_token")?.as_str().map(str::to_string))
            .filter(|t| notification::device_token_ok(t))
            .unwrap_or_else(|| random_hex(32));
        self.sandbox = true;
        if let Some(profile) = start.profile {
            let secrets = start.secrets.cloned().unwrap_or_default();
            let expected = auth::Expected::from_profile(profile, &secrets)?;
            self.sandbox = crate::provider::apns::environment(profile, expected.cert_environment())
                .map_err(|e| e.to_string())?
                == "sandbox";
            self.expected = Some(expected);
        }
        let env = self.environment();
        let mut lines = vec![
            SetupLine {
                label: "APNs host".into(),
                value: start.base_url.to_string(),
                about: format!(
                    "where your server sends instead of https://api{}.push.apple.com; HTTP/2 only, POST /3/device/<token>",
                    if self.sandbox { ".sandbox" } else { "" }
                ),
            },
            SetupLine {
                label: "Test device token".into(),
                value: self.device_token.clone(),
                about: format!(
                    "a {env} device token the sink accepts (any 64+ hex token is accepted; 64 zeros is BadDeviceToken)"
                ),
            },
        ];
        lines.push(if start.base_url.starts_with("https") {
            SetupLine {
                label: "TLS".into(),
                value: "trust the sink's local CA certificate".into(),
                about: "the sink's certificate is issued by a CA Pushdeck made on this machine (its path is shown with the sink): give it to your client (curl --cacert, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE) instead of Apple's roots".into(),
            }
        } else {
            SetupLine {
                label: "Plain HTTP/2".into(),
                value: "h2c with prior knowledge".into(),
                about: "no TLS: your client must speak HTTP/2 without upgrade (curl --http2-prior-knowledge); certificate auth needs TLS".into(),
            }
        });
        lines.push(match &self.expected {
            Some(e) => e.setup_line(),
            None => SetupLine {
                label: "Provider tokens".into(),
                value: "read, not verified".into(),
                about: "start the sink with --profile P (an APNs profile) to verify the JWT's signature, key id and team id".into(),
            },
        });
        Ok(SinkSetup {
            lines,
            keep: Some(json!({"device_token": self.device_token}).to_string()),
        })
    }

    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict {
        let mut verdict = Verdict::default();
        let checked = self.check(arrival, &mut verdict);
        let device = arrival
            .path()
            .strip_prefix("/3/device/")
            .map(short)
            .unwrap_or_else(|| arrival.path().to_string());
        let refusal = match (checked, rehearsal) {
            (Err(r), _) => Some(r),
            (Ok(()), Some(r)) => {
                verdict.findings.push(Finding::warn(format!(
                    "Rehearsal {}: answered with {} {} instead of the normal answer",
                    r.name,
                    r.status,
                    rehearsed_reason(r.name)
                )));
                Some(refuse(r.status, rehearsed_reason(r.name)))
            }
            (Ok(()), None) => None,
        };
        let apns_id = arrival
            .header("apns-id")
            .filter(|id| notification::apns_id_ok(id))
            .map(str::to_string)
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
        verdict.headers.push(("apns-id".into(), apns_id));
        let what = notification::describe(arrival);
        match refusal {
            None => {
                verdict.status = 200;
                if self.sandbox {
                    verdict
                        .headers
                        .push(("apns-unique-id".into(), uuid::Uuid::new_v4().to_string()));
                }
                verdict.summary = format!("push to {device}: {what} → 200");
            }
            Some(r) => {
                verdict.status = r.status;
                if r.reason.is_empty() {
                    verdict.summary = format!(
                        "{} {} → {} (not HTTP/2)",
                        arrival.method,
                        arrival.path(),
                        r.status
                    );
                    return verdict;
                }
                let mut body = json!({"reason": r.reason});
                if r.status == 410 {
                    body["timestamp"] = json!(unix_millis(arrival.received_at));
                }
                verdict.body = body.to_string().into_bytes();
                let hint = hint_for(r.reason);
                if !hint.is_empty() {
                    verdict.decoded.push(Decoded {
                        label: format!("What {} means", r.reason),
                        text: hint.into(),
                    });
                }
                verdict.summary = format!("push to {device}: {what} → {} {}", r.status, r.reason);
            }
        }
        verdict
    }
}

impl ApnsSink {
    /// Every check Apple makes, in Apple's order (connection, path, auth, headers, payload);
    /// the first refusal is the answer, the findings say what was seen on the way.
    fn check(&self, arrival: &Arrival, verdict: &mut Verdict) -> Result<(), Refusal> {
        let findings = &mut verdict.findings;
        if arrival.version != "HTTP/2.0" {
            findings.push(Finding::fail(format!(
                "Sent over {}: APNs speaks HTTP/2 only and never answers an HTTP/1.1 request (the real service's connection ends in an HTTP/2 protocol error, which curl shows as \"Received HTTP/0.9\"); the sink answers 505 to say so. Use an HTTP/2 client (curl --http2)",
                arrival.version
            )));
            return Err(refuse(505, ""));
        }
        findings.push(Finding::ok("HTTP/2"));
        if arrival.method != "POST" {
            findings.push(Finding::fail(format!(
                "{} {}: APNs takes POST only",
                arrival.method,
                arrival.path()
            )));
            return Err(refuse(405, "MethodNotAllowed"));
        }
        let Some(device) = arrival.path().strip_prefix("/3/device/") else {
            findings.push(Finding::fail(format!(
                "{} is not an APNs path: send to /3/device/<device token>",
                arrival.path()
            )));
            return Err(refuse(404, "BadPath"));
        };
        notification::duplicate_headers(arrival, findings)?;
        let topic = auth::authenticate(self, arrival, verdict)?;
        let findings = &mut verdict.findings;
        notification::device(device, &self.device_token, findings)?;
        notification::headers(arrival, topic.as_deref(), findings)?;
        notification::payload(arrival, findings)
    }
}

#[cfg(test)]
mod tests;
