//! AWS SNS as the sink imitates it (providers.md §6): the Query API's `POST /` with a form body,
//! SigV4 verified with the profile's secret key (the provider's own SigV4 code recomputes it),
//! Publish's parameters checked, and SNS's XML answers, errors included.

mod aws;
mod publish;
mod signature;

use crate::finding::Finding;
use crate::http::Arrival;
use crate::sink::start::{profile_of, secret, setting};
use crate::sink::{Imitation, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict};

use aws::{Account, AwsError};
use publish::Params;

const XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";
const VERSION: &str = "2010-03-31";

/// The topic the sink lists for ListTopics (the credential check and the topic picker).
const SINK_TOPIC: &str = "pushdeck-sink";
/// Accounts are 12 digits; the sink has none of its own.
const SINK_ACCOUNT: &str = "000000000000";

const REHEARSALS: &[Rehearsal] = &[
    Rehearsal {
        name: "endpoint-disabled",
        status: 400,
        about: "EndpointDisabled: the device's platform endpoint was disabled (its token expired); re-register the device",
    },
    Rehearsal {
        name: "not-found",
        status: 404,
        about: "NotFound: the topic or endpoint does not exist in this region",
    },
    Rehearsal {
        name: "throttled",
        status: 400,
        about: "Throttling: rate exceeded; back off and retry",
    },
    Rehearsal {
        name: "invalid-parameter",
        status: 400,
        about: "InvalidParameter: a parameter is refused; nothing was published",
    },
    Rehearsal {
        name: "internal-error",
        status: 500,
        about: "InternalError: SNS failed on its side; retry with backoff",
    },
    Rehearsal {
        name: "signature",
        status: 403,
        about: "SignatureDoesNotMatch: the signature is refused, as with a wrong secret key",
    },
];

/// SNS's answer to a rehearsal, worded as SNS words it.
fn rehearsed(rehearsal: &Rehearsal, quoted: Option<(&str, &str)>) -> AwsError {
    let (code, message) = match rehearsal.name {
        "endpoint-disabled" => ("EndpointDisabled", "Endpoint is disabled".to_string()),
        "not-found" => ("NotFound", "Topic does not exist".to_string()),
        "throttled" => ("Throttling", "Rate exceeded".to_string()),
        "internal-error" => ("InternalError", "Internal Error".to_string()),
        "signature" => ("SignatureDoesNotMatch", aws::signature_mismatch(quoted)),
        _ => (
            "InvalidParameter",
            "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter"
                .to_string(),
        ),
    };
    AwsError {
        status: rehearsal.status,
        kind: if rehearsal.status >= 500 {
            "Receiver"
        } else {
            "Sender"
        },
        code,
        message,
    }
}

fn xml_escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

#[derive(Default)]
pub struct SnsSink {
    account: Option<Account>,
}

impl Imitation for SnsSink {
    fn provider(&self) -> &'static str {
        "sns"
    }

    fn rehearsals(&self) -> &'static [Rehearsal] {
        REHEARSALS
    }

    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String> {
        let mut lines = vec![SetupLine {
            label: "Endpoint URL".into(),
            value: start.base_url.to_string(),
            about: "the SNS endpoint your backend sends to (AWS_ENDPOINT_URL_SNS, boto3's endpoint_url=, or the profile's base URL in Pushdeck)".into(),
        }];
        if let Some((profile, secrets)) = profile_of(
            start,
            "sns",
            "its access key and secret key check the signatures",
        )? {
            let region = setting(profile, "region")?;
            let access_key_id = setting(profile, "access_key_id")?;
            let secret = secret(profile, secrets, "secret_access_key")?;
            lines.push(SetupLine {
                label: "Region".into(),
                value: region.clone(),
                about: "the region to sign for (AWS_REGION)".into(),
            });
            lines.push(SetupLine {
                label: "Access key ID".into(),
                value: access_key_id.clone(),
                about: "sign with this key and its secret from the profile; other keys are refused"
                    .into(),
            });
            lines.push(SetupLine {
                label: "Topic ARN".into(),
                value: format!("arn:aws:sns:{region}:{SINK_ACCOUNT}:{SINK_TOPIC}"),
                about: "a topic ListTopics shows; any well-formed ARN of this region is accepted"
                    .into(),
            });
            self.account = Some(Account {
                region,
                access_key_id,
                secret,
                session_token: secrets.get("session_token").map(str::to_string),
            });
        }
        Ok(SinkSetup { lines, keep: None })
    }

    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict {
        let request_id = uuid::Uuid::new_v4().to_string();
        let mut check = signature::Check {
            findings: Vec::new(),
            decoded: Vec::new(),
            secrets: Vec::new(),
            region: None,
        };
        let result = self.handle(arrival, &mut check);
        let (action, result) = match rehearsal {
            Some(r) => {
                let quoted = match &check.decoded[..] {
                    [canonical, to_sign, ..] => {
                        Some((canonical.text.as_str(), to_sign.text.as_str()))
                    }
                    _ => None,
                };
                (
                    result.as_ref().map(|(a, _)| a.clone()).unwrap_or_default(),
                    Err(rehearsed(r, quoted)),
                )
            }
            None => match result {
                Ok((action, body)) => (action, Ok(body)),
                Err(e) => (String::new(), Err(e)),
            },
        };
        let (status, body, said) = match result {
            Ok(body) => (200, body, "200".to_string()),
            Err(e) => (
                e.status,
                format!(
                    "<ErrorResponse xmlns=\"{XMLNS}\">\n  <Error>\n    <Type>{}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
                    e.kind,
                    e.code,
                    xml_escape(&e.message)
                ),
                format!("{} {}", e.status, e.code),
            ),
        };
        let what = if action.is_empty() {
            "SNS request".to_string()
        } else {
            action
        };
        Verdict {
            status,
            headers: vec![
                ("x-amzn-RequestId".into(), request_id),
                ("Content-Type".into(), "text/xml".into()),
            ],
            body: body.into_bytes(),
            findings: check.findings,
            summary: format!("{what} → {said}"),
            decoded: check.decoded,
            secrets: check.secrets,
        }
    }
}

impl SnsSink {
    /// Checks the request as SNS would: `Ok` is what it did in words and the 200 body.
    fn handle(
        &self,
        arrival: &Arrival,
        check: &mut signature::Check,
    ) -> Result<(String, String), AwsError> {
        let mut params = arrival.query_pairs();
        if arrival.method == "POST" {
            let content_type = arrival.header("content-type").unwrap_or("");
            if !content_type
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
            {
                check.findings.push(Finding::fail(format!(
                    "Content-Type is `{content_type}`: the Query API takes a form (application/x-www-form-urlencoded)"
                )));
                return Err(AwsError::sender(
                    400,
                    "InvalidAction",
                    "Could not find operation for this request: expected a form-encoded POST",
                ));
            }
            params.extend(arrival.form());
        } else if arrival.method != "GET" {
            check.findings.push(Finding::fail(format!(
                "{} is not a Query API method (POST, or GET with the parameters in the query)",
                arrival.method
            )));
            return Err(AwsError::sender(
                400,
                "InvalidAction",
                format!("Unsupported method {}", arrival.method),
            ));
        }
        signature::check(arrival, self.account.as_ref(), check)?;
        let params = Params(&params);
        match params.get("Version") {
            Some(VERSION) => {}
            other => {
                check.findings.push(Finding::fail(format!(
                    "Version is {}: SNS's Query API is version {VERSION}",
                    other.map(|v| format!("`{v}`")).unwrap_or("missing".into())
                )));
                return Err(AwsError::sender(
                    400,
                    "InvalidParameterValue",
                    format!(
                        "Could not find operation {} for version {}",
                        params.get("Action").unwrap_or(""),
                        other.unwrap_or("NO_VERSION_SPECIFIED")
                    ),
                ));
            }
        }
        match params.get("Action") {
            Some("Publish") => {
                let published =
                    publish::check(&params, check.region.as_deref(), &mut check.findings)?;
                let id = uuid::Uuid::new_v4();
                let sequence = if published.fifo {
                    // FIFO topics number their messages; 20 digits, as SNS's are.
                    format!(
                        "\n    <SequenceNumber>{:020}</SequenceNumber>",
                        id.as_u128() % 100_000_000_000_000_000_000
                    )
                } else {
                    String::new()
                };
                let preview: String = published.message.chars().take(40).collect();
                let ellipsis = if published.message.chars().count() > 40 {
                    "…"
                } else {
                    ""
                };
                Ok((
                    format!("Publish to {}: “{preview}{ellipsis}”", published.to),
                    format!(
                        "<PublishResponse xmlns=\"{XMLNS}\">\n  <PublishResult>\n    <MessageId>{id}</MessageId>{sequence}\n  </PublishResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n",
                        uuid::Uuid::new_v4()
                    ),
                ))
            }
            Some("ListTopics") => {
                let region = check.region.clone().unwrap_or_else(|| "us-east-1".into());
                check
                    .findings
                    .push(Finding::ok("ListTopics: the sink lists its one topic"));
                Ok((
                    "ListTopics".into(),
                    format!(
                        "<ListTopicsResponse xmlns=\"{XMLNS}\">\n  <ListTopicsResult>\n    <Topics>\n      <member>\n        <TopicArn>arn:aws:sns:{region}:{SINK_ACCOUNT}:{SINK_TOPIC}</TopicArn>\n      </member>\n    </Topics>\n  </ListTopicsResult>\n  <ResponseMetadata>\n    <RequestId>{}</RequestId>\n  </ResponseMetadata>\n</ListTopicsResponse>\n",
                        uuid::Uuid::new_v4()
                    ),
                ))
            }
            other => {
                let name = other.unwrap_or("");
                check.findings.push(Finding::fail(format!(
                    "Action `{name}`: the sink imitates Publish and ListTopics"
                )));
                Err(AwsError::sender(
                    400,
                    "InvalidAction",
                    format!("Could not find operation {name} for version {VERSION}"),
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests;
