//! Azure Notification Hubs as the sink imitates it (providers.md §2): `POST /<hub>/messages/`
//! (direct, test and scheduled sends too), its SAS token verified with the profile's key through
//! the provider's own SAS code, the format header and the body it announces checked, tag
//! expressions parsed with the provider's parser, and the hub's answers: 201 with Location and
//! tracking ids, a test send's outcome report, `<Error>` bodies.

mod payload;
mod refusal;
mod sas;

use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::azure::{API_VERSION, parse_connection_string, parse_tag_expression};
use crate::sink::start::{profile_of, secret, setting};
use crate::sink::{Imitation, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict};

use refusal::{HubError, HubKey};

/// The tag Pushdeck's own credential check sends its test to: no registration has it.
const CHECK_TAG: &str = "pushdeck_credential_check";

const OUTCOME_NS: &str = "xmlns=\"http://schemas.microsoft.com/netservices/2010/10/servicebus/connect\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"";

const REHEARSALS: &[Rehearsal] = &[
    Rehearsal {
        name: "unauthorized",
        status: 401,
        about: "the SAS token is refused (a wrong or regenerated key); fix the connection string",
    },
    Rehearsal {
        name: "forbidden",
        status: 403,
        about: "the policy lacks the Send claim (a Listen-only key); use a policy with Send",
    },
    Rehearsal {
        name: "quota-exceeded",
        status: 403,
        about: "the namespace's push quota for its tier is used up; nothing was sent",
    },
    Rehearsal {
        name: "throttled",
        status: 429,
        about: "the namespace is throttled; wait Retry-After seconds and retry",
    },
    Rehearsal {
        name: "payload-too-large",
        status: 413,
        about: "the notification is larger than the hub takes",
    },
    Rehearsal {
        name: "server-error",
        status: 500,
        about: "the hub failed on its side; retry with backoff",
    },
];

fn rehearsed(rehearsal: &Rehearsal) -> HubError {
    let detail = match rehearsal.name {
        "unauthorized" => "InvalidSignature: The token has an invalid signature.",
        "forbidden" => {
            "Unauthorized access. 'Send' claim(s) are required to perform this operation."
        }
        "quota-exceeded" => {
            "QuotaExceeded: The number of notifications sent exceeded the quota for this namespace's tier."
        }
        "throttled" => "Throttled: The request was throttled. Please retry after some time.",
        "payload-too-large" => "The request entity is too large.",
        _ => {
            "InternalServerError: The server encountered an internal error. Please retry the request."
        }
    };
    HubError {
        retry_after: (rehearsal.status == 429).then_some(10),
        ..HubError::new(rehearsal.status, detail)
    }
}

/// What an accepted send was, for the answer and the summary.
struct Accepted {
    hub: String,
    scheduled: bool,
    test: bool,
    format: String,
    /// `tags “a || b”`, `one device`, `everyone`.
    audience: String,
    tags: Option<String>,
}

#[derive(Default)]
pub struct AzureSink {
    key: Option<HubKey>,
}

impl Imitation for AzureSink {
    fn provider(&self) -> &'static str {
        "azure"
    }

    fn rehearsals(&self) -> &'static [Rehearsal] {
        REHEARSALS
    }

    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String> {
        let mut lines = Vec::new();
        let Some((profile, secrets)) = profile_of(
            start,
            "azure",
            "its connection string checks the SAS tokens",
        )?
        else {
            lines.push(SetupLine {
                label: "Base URL".into(),
                value: start.base_url.to_string(),
                about: "the namespace address your backend sends to, followed by /<hub>/messages/ (any hub name without --profile)".into(),
            });
            return Ok(SinkSetup { lines, keep: None });
        };
        let hub = setting(profile, "hub")?;
        let text = secret(profile, secrets, "connection_string")?;
        let connection = parse_connection_string(&text).map_err(|e| e.message)?;
        let host = start
            .base_url
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or(start.base_url)
            .trim_end_matches('/');
        lines.push(SetupLine {
            label: "Hub URL".into(),
            value: format!("{}/{hub}", start.base_url.trim_end_matches('/')),
            about: "where your backend sends (the profile's base URL in Pushdeck); tokens must be signed for this URL".into(),
        });
        lines.push(SetupLine {
            label: "Connection string".into(),
            value: format!(
                "Endpoint=sb://{host}/;SharedAccessKeyName={};SharedAccessKey=<the profile's key>",
                connection.key_name
            ),
            about: "for SDKs that take a connection string: the profile's policy and key, the sink's address".into(),
        });
        self.key = Some(HubKey {
            hub,
            key_name: connection.key_name,
            key: connection.key,
        });
        Ok(SinkSetup { lines, keep: None })
    }

    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict {
        let tracking = format!("{}_G1", uuid::Uuid::new_v4());
        let mut read = sas::Read::default();
        let result = self.handle(arrival, &mut read);
        let what = match &result {
            Ok(a) => describe(a),
            Err(_) => "send".to_string(),
        };
        let result = match rehearsal {
            Some(r) => Err(rehearsed(r)),
            None => result,
        };
        let mut headers = vec![("TrackingId".to_string(), tracking.clone())];
        let (status, body, said) = match result {
            Ok(accepted) if accepted.test => {
                let (body, counts) = outcome_report(&accepted);
                headers.push((
                    "Content-Type".into(),
                    "application/xml; charset=utf-8".into(),
                ));
                (201, body, format!("201 ({counts})"))
            }
            Ok(accepted) => {
                let scheme = if arrival.tls { "https" } else { "http" };
                let kind = if accepted.scheduled {
                    "schedulednotifications"
                } else {
                    "messages"
                };
                let id = uuid::Uuid::new_v4().as_u128() % 10_000_000_000_000_000_000;
                headers.push((
                    "Location".into(),
                    format!(
                        "{scheme}://{}/{}/{kind}/{id}?api-version={API_VERSION}",
                        arrival.header("host").unwrap_or("localhost"),
                        accepted.hub
                    ),
                ));
                headers.push((
                    "x-ms-correlation-request-id".into(),
                    uuid::Uuid::new_v4().to_string(),
                ));
                (201, String::new(), "201".to_string())
            }
            Err(e) => {
                if let Some(wait) = e.retry_after {
                    headers.push(("Retry-After".into(), wait.to_string()));
                }
                headers.push((
                    "Content-Type".into(),
                    "application/xml; charset=utf-8".into(),
                ));
                let stamp = timestamp(arrival.received_at);
                (
                    e.status,
                    format!(
                        "<Error><Code>{}</Code><Detail>{} TrackingId:{tracking},TimeStamp:{stamp}</Detail></Error>",
                        e.status,
                        quick_xml::escape::escape(e.detail.as_str())
                    ),
                    format!("{}", e.status),
                )
            }
        };
        Verdict {
            status,
            headers,
            body: body.into_bytes(),
            findings: read.findings,
            summary: format!("{what} → {said}"),
            decoded: read.decoded,
            secrets: read.secrets,
        }
    }
}

impl AzureSink {
    fn handle(&self, arrival: &Arrival, read: &mut sas::Read) -> Result<Accepted, HubError> {
        let findings = &mut read.findings;
        let path = arrival.path().trim_end_matches('/');
        let (hub, scheduled) = match (
            path.strip_suffix("/messages"),
            path.strip_suffix("/schedulednotifications"),
        ) {
            (Some(hub), _) => (hub.trim_start_matches('/'), false),
            (_, Some(hub)) => (hub.trim_start_matches('/'), true),
            _ => {
                findings.push(Finding::fail(format!(
                    "{} is not a send endpoint: POST /<hub>/messages/ (or /<hub>/schedulednotifications/)",
                    arrival.path()
                )));
                return Err(HubError::new(
                    404,
                    "The specified resource does not exist. Entity not found.",
                ));
            }
        };
        if arrival.method != "POST" {
            findings.push(Finding::fail(format!(
                "{} is not how a notification is sent: POST",
                arrival.method
            )));
            return Err(HubError::new(
                405,
                "The requested HTTP verb is not allowed for this resource.",
            ));
        }
        if let Some(key) = &self.key
            && !hub.eq_ignore_ascii_case(&key.hub)
        {
            findings.push(Finding::fail(format!(
                "There is no hub `{hub}` here: the profile's hub is `{}`",
                key.hub
            )));
            return Err(HubError::new(
                404,
                format!("The specified resource does not exist. Entity '{hub}' was not found."),
            ));
        }
        let query = arrival.query_pairs();
        let flag = |name: &str| {
            query
                .iter()
                .any(|(k, v)| k == name && (v.is_empty() || v == "true"))
        };
        match query.iter().find(|(k, _)| k == "api-version") {
            Some((_, v)) => findings.push(Finding::ok(format!("api-version {v}"))),
            None => {
                findings.push(Finding::fail(
                    "No api-version in the query: the hub needs one (e.g. ?api-version=2020-06)",
                ));
                return Err(HubError::new(
                    400,
                    "BadRequest: The api-version query parameter is required.",
                ));
            }
        }
        sas::check(arrival, self.key.as_ref(), read)?;
        let (findings, secrets) = (&mut read.findings, &mut read.secrets);
        let format = payload::check(arrival, findings)?;
        let (direct, test) = (flag("direct"), flag("test"));
        let tags = arrival
            .header("servicebusnotification-tags")
            .map(str::trim)
            .map(str::to_string);
        let handle = arrival.header("servicebusnotification-devicehandle");
        let audience = if direct {
            let Some(handle) = handle else {
                findings.push(Finding::fail(
                    "A direct send (?direct) needs the ServiceBusNotification-DeviceHandle header",
                ));
                return Err(HubError::new(
                    400,
                    "BadRequest: The ServiceBusNotification-DeviceHandle header is required for a direct send.",
                ));
            };
            if test || scheduled || format == "template" {
                findings.push(Finding::fail(
                    "A direct send cannot be a test send, scheduled or a template",
                ));
                return Err(HubError::new(
                    400,
                    "BadRequest: Direct sends do not support test mode, scheduling or templates.",
                ));
            }
            findings.push(Finding::ok("Direct send to one device handle"));
            secrets.push(("device_handle".into(), handle.to_string()));
            "one device".to_string()
        } else if let Some(expression) = &tags {
            match parse_tag_expression(expression) {
                Ok(parsed) => findings.push(Finding::ok(format!(
                    "Tag expression of {} tag{}",
                    parsed.tags,
                    if parsed.tags == 1 { "" } else { "s" }
                ))),
                Err(e) => {
                    findings.push(Finding::fail(format!(
                        "ServiceBusNotification-Tags `{expression}` is not a valid tag expression: {e}"
                    )));
                    return Err(HubError::new(
                        400,
                        format!("BadRequest: The tag expression '{expression}' is invalid: {e}."),
                    ));
                }
            }
            format!("tags “{expression}”")
        } else {
            findings.push(Finding::ok(
                "No tags: a broadcast to every registration of this format",
            ));
            "everyone".to_string()
        };
        if scheduled {
            if test {
                findings.push(Finding::fail("A scheduled send has no test mode"));
                return Err(HubError::new(
                    400,
                    "BadRequest: Test mode is not supported for scheduled notifications.",
                ));
            }
            match arrival.header("servicebusnotification-scheduletime") {
                Some(at) => findings.push(Finding::ok(format!("Scheduled for {at}"))),
                None => {
                    findings.push(Finding::fail(
                        "A scheduled send needs ServiceBusNotification-ScheduleTime",
                    ));
                    return Err(HubError::new(
                        400,
                        "BadRequest: The ServiceBusNotification-ScheduleTime header is required.",
                    ));
                }
            }
        }
        Ok(Accepted {
            hub: hub.to_string(),
            scheduled,
            test,
            format,
            audience,
            tags,
        })
    }
}

fn describe(a: &Accepted) -> String {
    let kind = if a.test {
        "test send"
    } else if a.scheduled {
        "scheduled send"
    } else {
        "send"
    };
    format!("{kind} ({}) to {}", a.format, a.audience)
}

/// A test send's report: the sink counts as one registration of the format, which every tag
/// matches, except the tag Pushdeck's credential check uses precisely because nobody has it.
fn outcome_report(a: &Accepted) -> (String, String) {
    if a.tags.as_deref().is_some_and(|t| t.contains(CHECK_TAG)) {
        return (
            format!(
                "<NotificationOutcome {OUTCOME_NS}><Success>0</Success><Failure>0</Failure><Results i:nil=\"true\"/></NotificationOutcome>"
            ),
            "no registration matched".into(),
        );
    }
    (
        format!(
            "<NotificationOutcome {OUTCOME_NS}><Success>1</Success><Failure>0</Failure><Results><RegistrationResult><ApplicationPlatform>{}</ApplicationPlatform><PnsHandle>pushdeck-sink</PnsHandle><RegistrationId>pushdeck-sink-1</RegistrationId><Outcome>The Notification was successfully sent to the Push Notification System</Outcome></RegistrationResult></Results></NotificationOutcome>",
            a.format
        ),
        "1 succeeded".into(),
    )
}

/// `11/24/2026 12:00:00`, as the hub stamps its errors.
fn timestamp(at: std::time::SystemTime) -> String {
    let t = time::OffsetDateTime::from(at);
    format!(
        "{:02}/{:02}/{:04} {:02}:{:02}:{:02}",
        u8::from(t.month()),
        t.day(),
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests;
