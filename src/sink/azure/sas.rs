//! Checking a SAS token as the hub does (providers.md §2.2): `sr` must cover the URL it was sent
//! to, `se` must not be past, and, with the profile's key, `sig` must be the HMAC the provider's
//! own SAS code makes of `sr` and `se`.

use std::time::{Duration, SystemTime};

use super::refusal::{HubError, HubKey};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::azure::sas_signature;
use crate::sink::Decoded;

/// Percent-decoding; a bare `+` stays a `+` (base64 signatures hold them), unlike in forms.
fn decode(text: &str) -> String {
    let text = text.replace('+', "%2B");
    url::form_urlencoded::parse(format!("v={text}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The URL the request was sent to without its scheme (`127.0.0.1:8630/hub/messages/`),
/// lower-cased: what the token's audience must cover.
fn called(arrival: &Arrival) -> String {
    format!(
        "{}{}",
        arrival.header("host").unwrap_or_default(),
        arrival.path()
    )
    .to_ascii_lowercase()
}

/// What was read, for the verdict.
#[derive(Default)]
pub struct Read {
    pub findings: Vec<Finding>,
    pub secrets: Vec<(String, String)>,
    pub decoded: Vec<Decoded>,
}

/// `se` as a UTC time, for people.
fn when(expiry: u64) -> String {
    i64::try_from(expiry)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| expiry.to_string())
}

pub fn check(arrival: &Arrival, key: Option<&HubKey>, read: &mut Read) -> Result<(), HubError> {
    let (findings, secrets) = (&mut read.findings, &mut read.secrets);
    let Some(header) = arrival.header("authorization") else {
        findings.push(Finding::fail(
            "No Authorization header: the hub needs a SharedAccessSignature token made from the connection string",
        ));
        return Err(HubError::new(
            401,
            "MissingToken: The authorization header was not found.",
        ));
    };
    let malformed = |why: &str, findings: &mut Vec<Finding>| {
        findings.push(Finding::fail(format!(
            "The Authorization header is not a SAS token: {why}"
        )));
        HubError::new(
            401,
            "MalformedToken: The credentials contained in the authorization header are not in the SharedAccessSignature format.",
        )
    };
    let Some(params) = header.strip_prefix("SharedAccessSignature ") else {
        return Err(malformed(
            "it must start with `SharedAccessSignature `",
            findings,
        ));
    };
    let (mut sr, mut sig, mut se, mut skn) = (None, None, None, None);
    for part in params.split('&') {
        match part.split_once('=') {
            Some(("sr", v)) => sr = Some(v),
            Some(("sig", v)) => sig = Some(v),
            Some(("se", v)) => se = Some(v),
            Some(("skn", v)) => skn = Some(v),
            _ => {}
        }
    }
    let (Some(sr), Some(sig), Some(se), Some(skn)) = (sr, sig, se, skn) else {
        return Err(malformed("it needs sr=, sig=, se= and skn=", findings));
    };
    secrets.push(("sas_signature".into(), sig.to_string()));
    let skn = decode(skn);
    let resource = decode(sr);
    let Ok(expiry) = se.parse::<u64>() else {
        return Err(malformed("se= is not a number of seconds", findings));
    };
    findings.push(Finding::ok(format!(
        "A SAS token of policy {skn} for {resource}"
    )));
    read.decoded.push(Decoded {
        label: "SAS token".into(),
        text: format!(
            "resource (sr): {resource}\nexpires (se): {expiry} = {}\npolicy (skn): {skn}",
            when(expiry)
        ),
    });
    let findings = &mut read.findings;

    // The audience: the hub's URL (scheme aside, since the sink may be reached over another
    // scheme than the namespace's https) must be a prefix of where the request went.
    let audience = resource
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(&resource)
        .trim_end_matches('/')
        .to_ascii_lowercase();
    let to = called(arrival);
    if audience.is_empty() || !to.starts_with(&audience) {
        findings.push(Finding::fail(format!(
            "The token is for {resource}, which does not cover {to}: sign the hub's URL as the backend calls it"
        )));
        return Err(HubError::new(
            401,
            format!(
                "InvalidAudience: The token audience {resource} does not match the resource {to}."
            ),
        ));
    }
    findings.push(Finding::ok("sr covers the URL it was sent to"));
    let expires = SystemTime::UNIX_EPOCH + Duration::from_secs(expiry);
    if expires < arrival.received_at {
        let ago = arrival
            .received_at
            .duration_since(expires)
            .unwrap_or_default()
            .as_secs();
        findings.push(Finding::fail(format!(
            "The token expired {ago} s before it arrived (se={expiry}): make a fresh one for each send, and check the sender's clock"
        )));
        return Err(HubError::new(401, "ExpiredToken: ."));
    }
    let left = expires
        .duration_since(arrival.received_at)
        .unwrap_or_default()
        .as_secs();
    findings.push(Finding::ok(format!("The token is valid for {left} s more")));

    let Some(key) = key else {
        findings.push(Finding::warn(
            "Signature not verified: start the sink with --profile P (an Azure profile with this connection string) to check it",
        ));
        return Ok(());
    };
    if skn != key.key_name {
        findings.push(Finding::fail(format!(
            "Policy {skn} is not the profile's ({}): the hub knows no such key",
            key.key_name
        )));
        return Err(HubError::new(
            401,
            format!("InvalidSignature: The policy {skn} is not found in this hub or namespace."),
        ));
    }
    let expected = sas_signature(sr, se, &key.key);
    if decode(sig) != expected {
        findings.push(Finding::fail(format!(
            "The signature is not the HMAC of sr and se with the key of policy {skn}: another key (or a regenerated one), or sr changed after signing"
        )));
        return Err(HubError::new(
            401,
            "InvalidSignature: The token has an invalid signature.",
        ));
    }
    findings.push(Finding::ok(format!(
        "The signature matches the key of policy {skn}"
    )));
    Ok(())
}
