//! Checking a request's SigV4 signature as AWS does: the canonical request and string to sign
//! are rebuilt from what arrived with the provider's own SigV4 code, and, with the profile's
//! secret key, the signature is recomputed and compared.

use std::time::{Duration, SystemTime};

use super::aws::{Account, AwsError, signature_mismatch};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::sns::sigv4;
use crate::sink::Decoded;

/// AWS refuses a signature dated more than 15 minutes from its own clock.
const SKEW: Duration = Duration::from_secs(15 * 60);

/// The parts of `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…`.
#[derive(Debug)]
struct Authorization {
    access_key_id: String,
    date: String,
    region: String,
    service: String,
    signed_headers: Vec<String>,
    signature: String,
}

fn parse(value: &str) -> Result<Authorization, AwsError> {
    let incomplete = |why: &str| {
        AwsError::sender(
            400,
            "IncompleteSignature",
            format!("{why} Authorization={value}"),
        )
    };
    let rest = value.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| {
        incomplete("Unsupported AWS 'algorithm': the header must start with AWS4-HMAC-SHA256.")
    })?;
    let (mut credential, mut signed, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let Some((key, v)) = part.trim().split_once('=') else {
            return Err(incomplete(
                "Authorization header requires each component as key=value.",
            ));
        };
        match key {
            "Credential" => credential = Some(v),
            "SignedHeaders" => signed = Some(v),
            "Signature" => signature = Some(v),
            _ => {}
        }
    }
    let (Some(credential), Some(signed), Some(signature)) = (credential, signed, signature) else {
        return Err(incomplete(
            "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
        ));
    };
    let scope: Vec<&str> = credential.split('/').collect();
    let [key, date, region, service, terminal] = scope[..] else {
        return Err(incomplete(
            "Credential must have the form ACCESS_KEY_ID/YYYYMMDD/REGION/SERVICE/aws4_request.",
        ));
    };
    if terminal != "aws4_request" {
        return Err(incomplete("Credential must end with aws4_request."));
    }
    Ok(Authorization {
        access_key_id: key.to_string(),
        date: date.to_string(),
        region: region.to_string(),
        service: service.to_string(),
        signed_headers: signed.split(';').map(str::to_string).collect(),
        signature: signature.to_string(),
    })
}

fn amz_time(text: &str) -> Option<SystemTime> {
    let format = time::macros::format_description!("[year][month][day]T[hour][minute][second]Z");
    time::PrimitiveDateTime::parse(text, format)
        .ok()
        .map(|t| t.assume_utc().into())
}

fn amz_text(at: SystemTime) -> String {
    crate::provider::sns::amz_date(at.into())
}

/// What the signature check found. `Err` is AWS's refusal; the findings, decoded texts and
/// secrets are added to the verdict either way.
pub struct Check {
    pub findings: Vec<Finding>,
    pub decoded: Vec<Decoded>,
    pub secrets: Vec<(String, String)>,
    /// The credential scope's region, for the ARN checks.
    pub region: Option<String>,
}

/// AWS's answer to an access key or session token it does not know, with the finding why.
fn invalid_token(out: &mut Check, why: String) -> AwsError {
    out.findings.push(Finding::fail(why));
    AwsError::sender(
        403,
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )
}

pub fn check(
    arrival: &Arrival,
    account: Option<&Account>,
    out: &mut Check,
) -> Result<(), AwsError> {
    let Some(header) = arrival.header("authorization") else {
        out.findings.push(Finding::fail(
            "No Authorization header: SNS needs every request signed with Signature Version 4 (an AWS SDK or CLI does it).",
        ));
        return Err(AwsError::sender(
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token",
        ));
    };
    let auth = parse(header).inspect_err(|e| {
        out.findings.push(Finding::fail(format!(
            "The Authorization header is not a complete SigV4 signature: {}",
            e.message
        )));
    })?;
    out.secrets
        .push(("signature".into(), auth.signature.clone()));
    if let Some(token) = arrival.header("x-amz-security-token") {
        out.secrets
            .push(("session_token".into(), token.to_string()));
    }
    out.region = Some(auth.region.clone());
    out.findings.push(Finding::ok(format!(
        "Signed with SigV4 by access key {} for {}/{} on {}",
        auth.access_key_id, auth.region, auth.service, auth.date
    )));

    if let Some(account) = account {
        if auth.access_key_id != account.access_key_id {
            return Err(invalid_token(
                out,
                format!(
                    "Access key {} is not the profile's ({}): AWS does not know it",
                    auth.access_key_id, account.access_key_id
                ),
            ));
        }
        match (
            &account.session_token,
            arrival.header("x-amz-security-token"),
        ) {
            (Some(ours), Some(theirs)) if ours != theirs => {
                return Err(invalid_token(
                    out,
                    "X-Amz-Security-Token is not the profile's session token".into(),
                ));
            }
            (Some(_), None) => {
                return Err(invalid_token(
                    out,
                    "No X-Amz-Security-Token: temporary (ASIA…) credentials need their session token on every request".into(),
                ));
            }
            _ => {}
        }
    }

    let Some(date) = arrival.header("x-amz-date") else {
        out.findings.push(Finding::fail(
            "No X-Amz-Date header: the signature's time must be sent with it",
        ));
        return Err(AwsError::sender(
            400,
            "IncompleteSignature",
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
        ));
    };
    let Some(signed_at) = amz_time(date) else {
        out.findings.push(Finding::fail(format!(
            "X-Amz-Date `{date}` is not YYYYMMDDTHHMMSSZ"
        )));
        return Err(AwsError::sender(
            400,
            "IncompleteSignature",
            format!("X-Amz-Date must be in the ISO8601 Long Format: '{date}'"),
        ));
    };
    let now = arrival.received_at;
    if signed_at + SKEW < now {
        out.findings.push(Finding::fail(format!(
            "Signed at {date}, more than 15 minutes before it arrived: AWS refuses it (check the sender's clock)"
        )));
        return Err(AwsError::sender(
            400,
            "RequestExpired",
            format!(
                "Signature expired: {date} is now earlier than {} ({} - 15 min.)",
                amz_text(now - SKEW),
                amz_text(now)
            ),
        ));
    }
    if signed_at > now + SKEW {
        out.findings.push(Finding::fail(format!(
            "Signed at {date}, more than 15 minutes after it arrived: the sender's clock is ahead"
        )));
        return Err(AwsError::sender(
            400,
            "RequestExpired",
            format!(
                "Signature not yet current: {date} is still later than {} ({} + 15 min.)",
                amz_text(now + SKEW),
                amz_text(now)
            ),
        ));
    }
    out.findings.push(Finding::ok(format!(
        "X-Amz-Date {date} is within 15 minutes of the sink's clock"
    )));
    if !date.starts_with(&auth.date) {
        out.findings.push(Finding::fail(format!(
            "The credential scope's date {} is not the day of X-Amz-Date {date}",
            auth.date
        )));
        return Err(AwsError::sender(
            403,
            "SignatureDoesNotMatch",
            format!(
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{date}'.",
                auth.date,
                date.get(..8).unwrap_or(date)
            ),
        ));
    }
    if auth.service != "sns" {
        out.findings.push(Finding::fail(format!(
            "The credential is scoped to service `{}`, not sns",
            auth.service
        )));
        return Err(AwsError::sender(
            403,
            "SignatureDoesNotMatch",
            "Credential should be scoped to correct service: 'sns'. ",
        ));
    }
    if !auth.signed_headers.iter().any(|h| h == "host") {
        out.findings.push(Finding::fail(
            "SignedHeaders leaves out host: SigV4 always signs the Host header",
        ));
        return Err(AwsError::sender(
            403,
            "SignatureDoesNotMatch",
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
        ));
    }
    let mut headers = Vec::new();
    for name in &auth.signed_headers {
        let values: Vec<&str> = arrival
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect();
        if values.is_empty() {
            out.findings.push(Finding::fail(format!(
                "SignedHeaders names `{name}`, which the request does not carry"
            )));
        }
        headers.extend(values.into_iter().map(|v| (name.clone(), v.to_string())));
    }
    let secret = account.map(|a| a.secret.as_str()).unwrap_or("");
    let signed = sigv4::sign(
        &sigv4::Request {
            method: &arrival.method,
            path: arrival.path(),
            query: arrival.target.split_once('?').map(|(_, q)| q).unwrap_or(""),
            headers: &headers,
            body: &arrival.body,
        },
        &sigv4::Credentials {
            access_key_id: &auth.access_key_id,
            secret_access_key: secret,
            region: &auth.region,
            service: &auth.service,
            amz_date: date,
        },
    );
    out.decoded.push(Decoded {
        label: "Canonical request".into(),
        text: signed.canonical_request.clone(),
    });
    out.decoded.push(Decoded {
        label: "String to sign".into(),
        text: signed.string_to_sign.clone(),
    });
    let Some(account) = account else {
        out.findings.push(Finding::warn(
            "Signature not verified: start the sink with --profile P (an SNS profile with this access key) to check it",
        ));
        return Ok(());
    };
    if auth.region != account.region {
        out.findings.push(Finding::fail(format!(
            "The credential is scoped to region {}; this sink stands in for {}",
            auth.region, account.region
        )));
        return Err(AwsError::sender(
            403,
            "SignatureDoesNotMatch",
            format!(
                "Credential should be scoped to a valid region, not '{}'. ",
                auth.region
            ),
        ));
    }
    if signed.signature != auth.signature.to_ascii_lowercase() {
        out.findings.push(Finding::fail(
            "The signature does not match the one the profile's secret key makes: a different secret key, or the request changed after signing (compare the canonical request below with the sender's)",
        ));
        return Err(AwsError::sender(
            403,
            "SignatureDoesNotMatch",
            signature_mismatch(Some((&signed.canonical_request, &signed.string_to_sign))),
        ));
    }
    out.findings.push(Finding::ok(
        "The signature matches the profile's secret access key",
    ));
    Ok(())
}
