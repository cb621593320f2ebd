//! A local AWS SNS (Query API) on 127.0.0.1 (wiremock). It verifies every request's SigV4
//! signature with its own implementation (written separately from the app's, from the AWS
//! steps: canonical request from what arrived on the wire, scope, signing key, HMAC), checks the
//! clock skew, the access key and the Publish parameters, and answers with SNS's XML, errors
//! included (`SignatureDoesNotMatch` quotes the canonical request and string to sign it expected,
//! as AWS does).

#![allow(dead_code)]

use std::sync::Mutex;

use super::server::{Api, Record, Reply, Seen, StandIn};
use aws_lc_rs::{digest, hmac};

pub const ACCESS_KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
pub const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
pub const REGION: &str = "us-east-1";
pub const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:Builds";
pub const MESSAGE_ID: &str = "567910cd-659e-55d4-8ccb-5aaf14679dc0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Ok,
    /// The server's clock is an hour ahead: every request looks expired.
    ServerClockAhead,
}

/// SNS's Query API, verifying Signature Version 4, and the scenario it plays.
pub struct Sns {
    scenario: Mutex<Scenario>,
}

pub type SnsStandIn = StandIn<Sns>;

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn error(status: u16, kind: &str, code: &str, message: &str) -> Reply {
    Reply::new(status)
        .insert_header("x-amzn-RequestId", "9c3c2a8b-0000-4000-8000-000000000001")
        .set_body_raw(
            format!(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n  <Error>\n    <Type>{kind}</Type>\n    <Code>{code}</Code>\n    <Message>{}</Message>\n  </Error>\n  <RequestId>9c3c2a8b-0000-4000-8000-000000000001</RequestId>\n</ErrorResponse>\n",
                xml_escape(message)
            ),
            "text/xml",
        )
}

fn ok(body: String) -> Reply {
    Reply::new(200)
        .insert_header("x-amzn-RequestId", "d74b8436-ae13-5ab4-a9ff-ce54dfea72a0")
        .set_body_raw(body, "text/xml")
}

fn sha_hex(data: &[u8]) -> String {
    digest::digest(&digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn mac(key: &[u8], msg: &str) -> Vec<u8> {
    hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), msg.as_bytes())
        .as_ref()
        .to_vec()
}

/// Parses `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
fn parse_auth(auth: &str) -> Option<(Vec<String>, Vec<String>, String)> {
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let mut cred = None;
    let mut signed = None;
    let mut sig = None;
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k {
            "Credential" => cred = Some(v.split('/').map(String::from).collect::<Vec<_>>()),
            "SignedHeaders" => signed = Some(v.split(';').map(String::from).collect::<Vec<_>>()),
            "Signature" => sig = Some(v.to_string()),
            _ => return None,
        }
    }
    Some((cred?, signed?, sig?))
}

/// The canonical request, rebuilt from the request as received.
fn canonical(request: &Seen, signed: &[String]) -> Option<String> {
    let mut lines = vec![
        request.method.to_string(),
        request.path.as_str().to_string(),
    ];
    let mut query = request.query_pairs();
    query.sort();
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    lines.push(
        query
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&"),
    );
    let mut names = signed.to_vec();
    names.sort();
    if names != signed
        || !names.iter().any(|n| n == "host")
        || !names.iter().any(|n| n == "x-amz-date")
    {
        return None;
    }
    let mut block = String::new();
    for name in &names {
        let values: Vec<String> = request
            .header_all(name)
            .iter()
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        if values.is_empty() {
            return None;
        }
        block.push_str(&format!("{name}:{}\n", values.join(",")));
    }
    lines.push(block);
    lines.push(names.join(";"));
    lines.push(sha_hex(&request.body));
    Some(lines.join("\n"))
}

fn amz_time(text: &str) -> Option<time::OffsetDateTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_utc())
}

impl Api for Sns {
    const NAME: &'static str = "SNS";

    /// `Err(response)` when the request is not properly signed.
    fn authenticate(&self, request: &Seen) -> Result<(), Reply> {
        let header = |n: &str| request.header(n).map(str::to_string);
        let Some(auth) = header("authorization") else {
            return Err(error(
                403,
                "Sender",
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            ));
        };
        let Some((cred, signed, signature)) = parse_auth(&auth) else {
            return Err(error(
                400,
                "Sender",
                "IncompleteSignature",
                "Authorization header requires Credential, SignedHeaders and Signature.",
            ));
        };
        if cred.len() != 5 || cred[4] != "aws4_request" || cred[3] != "sns" {
            return Err(error(
                400,
                "Sender",
                "IncompleteSignature",
                "Credential should be scoped to a valid region and service sns.",
            ));
        }
        if cred[0] != ACCESS_KEY_ID {
            return Err(error(
                403,
                "Sender",
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ));
        }
        if cred[2] != REGION {
            return Err(error(
                403,
                "Sender",
                "SignatureDoesNotMatch",
                &format!(
                    "Credential should be scoped to a valid region, not '{}'.",
                    cred[2]
                ),
            ));
        }
        let Some(date) = header("x-amz-date") else {
            return Err(error(
                400,
                "Sender",
                "IncompleteSignature",
                "X-Amz-Date is required.",
            ));
        };
        let Some(when) = amz_time(&date) else {
            return Err(error(
                400,
                "Sender",
                "IncompleteSignature",
                "X-Amz-Date is not in ISO 8601 basic format.",
            ));
        };
        let mut server_now = time::OffsetDateTime::now_utc();
        if *self.scenario.lock().expect("lock") == Scenario::ServerClockAhead {
            server_now += time::Duration::hours(1);
        }
        if (server_now - when).abs() > time::Duration::minutes(5) {
            return Err(error(
                400,
                "Sender",
                "RequestExpired",
                &format!("Request has expired. Timestamp date is {date}"),
            ));
        }
        if !date.starts_with(&cred[1]) {
            return Err(error(
                403,
                "Sender",
                "SignatureDoesNotMatch",
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP",
            ));
        }
        let Some(canonical) = canonical(request, &signed) else {
            return Err(error(
                403,
                "Sender",
                "SignatureDoesNotMatch",
                "SignedHeaders must be sorted, lowercase, and include host and x-amz-date, each present in the request.",
            ));
        };
        let scope = format!("{}/{}/{}/aws4_request", cred[1], cred[2], cred[3]);
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{date}\n{scope}\n{}",
            sha_hex(canonical.as_bytes())
        );
        let mut key = mac(format!("AWS4{SECRET}").as_bytes(), &cred[1]);
        for part in [cred[2].as_str(), cred[3].as_str(), "aws4_request"] {
            key = mac(&key, part);
        }
        let expected: String = mac(&key, &to_sign)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if expected != signature {
            return Err(error(
                403,
                "Sender",
                "SignatureDoesNotMatch",
                &format!(
                    "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\nThe Canonical String for this request should have been\n'{canonical}'\n\nThe String-to-Sign should have been\n'{to_sign}'\n"
                ),
            ));
        }
        Ok(())
    }

    fn answer(&self, request: &Seen, _record: &Record) -> Reply {
        let params = request.form();
        let ct = request.header("content-type").unwrap_or("");
        if request.method.as_str() != "POST" || !ct.starts_with("application/x-www-form-urlencoded")
        {
            return error(
                400,
                "Sender",
                "InvalidAction",
                "Expected a form-encoded POST",
            );
        }
        let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
        if get("Version") != Some("2010-03-31") {
            return error(
                400,
                "Sender",
                "InvalidParameterValue",
                "Version is required: 2010-03-31",
            );
        }
        match get("Action") {
            Some("Publish") => publish(&params),
            Some("ListTopics") => ok(format!(
                "<ListTopicsResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n  <ListTopicsResult>\n    <Topics>\n      <member><TopicArn>{TOPIC}</TopicArn></member>\n      <member><TopicArn>arn:aws:sns:us-east-1:123456789012:Alerts</TopicArn></member>\n    </Topics>\n  </ListTopicsResult>\n  <ResponseMetadata><RequestId>3f1478c7-33a9-11df-9540-99d0768312d3</RequestId></ResponseMetadata>\n</ListTopicsResponse>\n"
            )),
            other => error(
                400,
                "Sender",
                "InvalidAction",
                &format!("Could not find operation {}", other.unwrap_or("")),
            ),
        }
    }
}

fn publish(params: &[(String, String)]) -> Reply {
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let invalid = |m: &str| {
        error(
            400,
            "Sender",
            "InvalidParameter",
            &format!("Invalid parameter: {m}"),
        )
    };
    let targets = ["TopicArn", "TargetArn", "PhoneNumber"]
        .iter()
        .filter(|t| get(t).is_some())
        .count();
    if targets != 1 {
        return invalid("TopicArn or TargetArn Reason: no value for required parameter");
    }
    let Some(message) = get("Message") else {
        return error(
            400,
            "Sender",
            "ValidationError",
            "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null",
        );
    };
    if let Some(subject) = get("Subject")
        && (!subject.is_ascii() || subject.len() > 100 || subject.chars().any(|c| c.is_control()))
    {
        return invalid("Subject");
    }
    if get("MessageStructure") == Some("json") {
        let ok = match serde_json::from_str::<serde_json::Value>(message) {
            Ok(serde_json::Value::Object(map)) => {
                map.contains_key("default") && map.values().all(serde_json::Value::is_string)
            }
            _ => false,
        };
        if !ok {
            return invalid("Message Structure - JSON message body failed to parse");
        }
    }
    for n in 1.. {
        let name = get(&format!("MessageAttributes.entry.{n}.Name"));
        let kind = get(&format!("MessageAttributes.entry.{n}.Value.DataType"));
        let value = get(&format!("MessageAttributes.entry.{n}.Value.StringValue"));
        match (name, kind, value) {
            (None, None, None) => break,
            (Some(_), Some(k), Some(v)) => {
                if k == "Number" && v.parse::<f64>().is_err() {
                    return error(
                        400,
                        "Sender",
                        "ParameterValueInvalid",
                        &format!("Could not cast message attribute value to number: {v}"),
                    );
                }
            }
            _ => return invalid(&format!("MessageAttributes.entry.{n} is incomplete")),
        }
    }
    if let Some(topic) = get("TopicArn")
        && topic != TOPIC
    {
        return error(404, "Sender", "NotFound", "Topic does not exist");
    }
    ok(format!(
        "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\n  <PublishResult>\n    <MessageId>{MESSAGE_ID}</MessageId>\n  </PublishResult>\n  <ResponseMetadata>\n    <RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n"
    ))
}

impl SnsStandIn {
    pub async fn start_async() -> Self {
        Self::serve_async(Sns {
            scenario: Mutex::new(Scenario::Ok),
        })
        .await
    }

    pub fn set(&self, scenario: Scenario) {
        *self.api().scenario.lock().expect("lock") = scenario;
    }
}
