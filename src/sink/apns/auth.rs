//! How the APNs imitation authenticates a request: the provider token (an ES256 JWT verified
//! with the public half of the profile's `.p8` key) or the TLS client certificate (Apple's topic
//! and environment marks read with the provider's own certificate code).

use super::{ApnsSink, Refusal, refuse};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::profile::{Profile, Secrets};
use crate::provider::apns::auth::{SECRET, pem as key_pem, setting};
use crate::provider::apns::certificate::{self, Facts, read_facts};
use crate::provider::apns::push_types::PUSH_TYPES;
use crate::sink::keys::{ec_public_point, read_jwt, signature_verifies, unix_seconds};
use crate::sink::seam::{Decoded, SetupLine, Verdict};

/// Apple refuses provider tokens older than this.
const TOKEN_LIFE_S: i64 = 3600;
/// Apple answers TooManyProviderTokenUpdates to renewals more frequent than about this.
const RENEWAL_S: i64 = 20 * 60;

/// What `--profile` says a request must carry.
pub enum Expected {
    Token {
        key_id: String,
        team_id: String,
        /// The bundle id: `apns-topic` is it, or it with a push type's suffix.
        bundle: String,
        /// The `.p8` key's public point.
        public: Vec<u8>,
    },
    Certificate {
        /// The profile certificate's leaf (DER): the one the client must present.
        der: Vec<u8>,
        facts: Facts,
    },
}

impl Expected {
    pub fn from_profile(profile: &Profile, secrets: &Secrets) -> Result<Self, String> {
        if profile.provider != "apns" {
            return Err(format!(
                "profile `{}` is a {} profile; the APNs sink verifies requests with an APNs profile's key or certificate",
                profile.name, profile.provider
            ));
        }
        let because = |e: crate::draft::DraftError| format!("profile `{}`: {e}", profile.name);
        if certificate::uses_certificate(profile).map_err(because)? {
            let opened = certificate::open_profile(profile, secrets).map_err(because)?;
            let der = pem::parse_many(opened.identity.pem())
                .ok()
                .and_then(|blocks| {
                    blocks
                        .into_iter()
                        .find(|b| b.tag() == "CERTIFICATE")
                        .map(|b| b.contents().to_vec())
                })
                .ok_or_else(|| {
                    format!("profile `{}`: its certificate cannot be read", profile.name)
                })?;
            return Ok(Self::Certificate {
                der,
                facts: opened.facts,
            });
        }
        let key_id = setting(profile, "key_id", "Key ID").map_err(because)?;
        let team_id = setting(profile, "team_id", "Team ID").map_err(because)?;
        let bundle = setting(profile, "topic", "topic (bundle id)").map_err(because)?;
        let key = secrets.require(&profile.name, SECRET).map_err(because)?;
        let public = ec_public_point(&key_pem(key)).map_err(|e| {
            format!(
                "profile `{}`: the signing key {e}; store the .p8 again (pushdeck secret set {} {SECRET})",
                profile.name, profile.name
            )
        })?;
        Ok(Self::Token {
            key_id: key_id.into(),
            team_id: team_id.into(),
            bundle: bundle.into(),
            public,
        })
    }

    /// The certificate's only environment, which decides the sink's when the profile names none.
    pub fn cert_environment(&self) -> Option<&'static str> {
        match self {
            Self::Certificate { facts, .. } => facts.only_environment(),
            Self::Token { .. } => None,
        }
    }

    pub fn setup_line(&self) -> SetupLine {
        match self {
            Self::Token {
                key_id,
                team_id,
                bundle,
                ..
            } => SetupLine {
                label: "Provider tokens".into(),
                value: format!("team {team_id}, key {key_id}, topic {bundle}"),
                about: "JWTs must be ES256 with kid = this key id and iss = this team id, signed with the profile's .p8 key, at most an hour old".into(),
            },
            Self::Certificate { facts, .. } => SetupLine {
                label: "Client certificate".into(),
                value: facts.subject.clone(),
                about: format!(
                    "connect with the profile's push certificate (topics {}; {})",
                    facts.covered_topics().join(", "),
                    facts.environments()
                ),
            },
        }
    }
}

/// Checks the request's credentials; returns the topic it pushes to (`apns-topic`, or the
/// certificate's own when certificate auth leaves it out).
pub fn authenticate(
    sink: &ApnsSink,
    arrival: &Arrival,
    verdict: &mut Verdict,
) -> Result<Option<String>, Refusal> {
    let topic = arrival.header("apns-topic").map(str::to_string);
    if let Some(value) = arrival.header("authorization") {
        if arrival.client_certificate.is_some() {
            verdict.findings.push(Finding::warn(
                "Both a client certificate and a provider token were sent: APNs uses the token; send one or the other",
            ));
        }
        token(sink, arrival, value, verdict)?;
        let Some(topic) = topic else {
            verdict.findings.push(Finding::fail(
                "No apns-topic: token auth always needs the topic (the app's bundle id, with the push type's suffix)",
            ));
            return Err(refuse(400, "MissingTopic"));
        };
        if let Some(Expected::Token { bundle, .. }) = &sink.expected {
            let allowed = PUSH_TYPES
                .iter()
                .any(|t| topic == format!("{bundle}{}", t.suffix));
            if !allowed {
                verdict.findings.push(Finding::fail(format!(
                    "apns-topic {topic} is not the profile's app ({bundle}, or it with a push type's suffix): the key may not push there"
                )));
                return Err(refuse(400, "TopicDisallowed"));
            }
            verdict.findings.push(Finding::ok(format!(
                "apns-topic {topic} is the profile's app"
            )));
        }
        return Ok(Some(topic));
    }
    if let Some(der) = &arrival.client_certificate {
        return certificate_auth(sink, arrival, der, topic, verdict).map(Some);
    }
    verdict.findings.push(Finding::fail(if arrival.tls {
        "No authorization header and no client certificate: send `authorization: bearer <provider token>` (or connect with the push certificate)"
    } else {
        "No authorization header: send `authorization: bearer <provider token>` (certificate auth needs the TLS sink)"
    }));
    Err(refuse(403, "MissingProviderToken"))
}

/// The provider token, as Apple checks it.
fn token(
    sink: &ApnsSink,
    arrival: &Arrival,
    value: &str,
    verdict: &mut Verdict,
) -> Result<(), Refusal> {
    let invalid = |verdict: &mut Verdict, why: String| {
        verdict.findings.push(Finding::fail(why));
        Err(refuse(403, "InvalidProviderToken"))
    };
    let jwt = match value.split_once(' ') {
        Some((scheme, jwt)) if scheme.eq_ignore_ascii_case("bearer") => jwt.trim(),
        _ => {
            return invalid(
                verdict,
                "The authorization header is not `bearer <provider token>`".into(),
            );
        }
    };
    verdict
        .secrets
        .push(("provider_token".into(), jwt.to_string()));
    let read = match read_jwt(jwt) {
        Ok(read) => read,
        Err(e) => return invalid(verdict, format!("The provider token {e}")),
    };
    verdict.decoded.push(Decoded {
        label: "Provider token (JWT)".into(),
        text: read.pretty(),
    });
    if read.header.alg != jsonwebtoken::Algorithm::ES256 {
        return invalid(
            verdict,
            format!(
                "The provider token is signed with {:?}; APNs takes ES256 (the .p8 key)",
                read.header.alg
            ),
        );
    }
    let kid = read.header.kid.clone().unwrap_or_default();
    let iss = read.claim_str("iss").unwrap_or_default().to_string();
    if kid.is_empty() || iss.is_empty() {
        return invalid(
            verdict,
            "The provider token lacks its kid (key id) header or iss (team id) claim".into(),
        );
    }
    let Some(iat) = read.claim_i64("iat") else {
        return invalid(
            verdict,
            "The provider token has no iat (issue time in Unix seconds)".into(),
        );
    };
    // The signature first: the issue time of a token that does not verify means nothing.
    let now = unix_seconds(arrival.received_at);
    match &sink.expected {
        Some(Expected::Token {
            key_id,
            team_id,
            public,
            ..
        }) => {
            if kid != *key_id {
                return invalid(
                    verdict,
                    format!("The provider token's kid {kid} is not the profile's key id {key_id}"),
                );
            }
            if iss != *team_id {
                return invalid(
                    verdict,
                    format!("The provider token's iss {iss} is not the profile's team id {team_id}"),
                );
            }
            let key = jsonwebtoken::DecodingKey::from_ec_der(public);
            if !signature_verifies(jwt, &key, jsonwebtoken::Algorithm::ES256) {
                return invalid(
                    verdict,
                    format!(
                        "The provider token's signature does not verify with the profile's .p8 key {key_id}: it was signed with another key"
                    ),
                );
            }
            verdict.findings.push(Finding::ok(format!(
                "Provider token verified: ES256 signed with key {key_id}, team {team_id}, {} minutes old",
                (now - iat).max(0) / 60
            )));
        }
        _ => verdict.findings.push(Finding::warn(format!(
            "Provider token read (kid {kid}, iss {iss}, {} minutes old) but not verified: start the sink with --profile P to check the signature",
            (now - iat).max(0) / 60
        ))),
    }
    if now - iat > TOKEN_LIFE_S {
        verdict.findings.push(Finding::fail(format!(
            "The provider token was issued {} minutes ago; Apple refuses tokens older than an hour: mint a new one every 20 to 60 minutes",
            (now - iat) / 60
        )));
        return Err(refuse(403, "ExpiredProviderToken"));
    }
    if iat > now + 60 {
        return invalid(
            verdict,
            format!(
                "The provider token's iat is {} s in the future: check the sending machine's clock",
                iat - now
            ),
        );
    }
    renewal(sink, jwt, iat, verdict);
    Ok(())
}

/// A provider token renewed under 20 minutes after the previous one: Apple may refuse it.
fn renewal(sink: &ApnsSink, jwt: &str, iat: i64, verdict: &mut Verdict) {
    let Ok(mut last) = sink.last_token.lock() else {
        return;
    };
    if let Some((previous, previous_iat)) = last.as_ref()
        && previous != jwt
        && iat > *previous_iat
        && iat - previous_iat < RENEWAL_S
    {
        verdict.findings.push(Finding::warn(format!(
            "A new provider token {} minutes after the previous one: Apple answers 429 TooManyProviderTokenUpdates to renewals more often than every 20 minutes; reuse a token for 20 to 60 minutes",
            (iat - previous_iat) / 60
        )));
    }
    *last = Some((jwt.to_string(), iat));
}

/// Certificate auth: what Apple wrote into the client certificate.
fn certificate_auth(
    sink: &ApnsSink,
    arrival: &Arrival,
    der: &[u8],
    topic: Option<String>,
    verdict: &mut Verdict,
) -> Result<String, Refusal> {
    let bad = |findings: &mut Vec<Finding>, why: String| {
        findings.push(Finding::fail(why));
        Err(refuse(403, "BadCertificate"))
    };
    let facts = match read_facts(der) {
        Ok(facts) => facts,
        Err(e) => {
            return bad(
                &mut verdict.findings,
                format!("The client certificate {}", e.message),
            );
        }
    };
    verdict.decoded.push(Decoded {
        label: "Client certificate".into(),
        text: facts.lines(time_of(arrival)).join("\n"),
    });
    let findings = &mut verdict.findings;
    if !facts.sandbox && !facts.production {
        return bad(
            findings,
            format!(
                "The client certificate ({}) is not an Apple push certificate: it has neither of Apple's environment marks",
                facts.subject
            ),
        );
    }
    if facts.not_after <= time_of(arrival) {
        return bad(
            findings,
            format!(
                "The client certificate expired on {}: Apple refuses it",
                facts.expiry()
            ),
        );
    }
    match &sink.expected {
        Some(Expected::Certificate { der: wanted, .. }) if wanted.as_slice() != der => {
            return bad(
                findings,
                format!(
                    "The client certificate ({}) is not the profile's push certificate",
                    facts.subject
                ),
            );
        }
        Some(Expected::Certificate { .. }) => findings.push(Finding::ok(format!(
            "Client certificate is the profile's: {}",
            facts.subject
        ))),
        _ => findings.push(Finding::warn(
            "Client certificate read, but the sink cannot check that Apple issued it: start with --profile P (a certificate-auth APNs profile) to check it is that certificate",
        )),
    }
    let env = sink.environment();
    if (env == "sandbox" && !facts.sandbox) || (env == "production" && !facts.production) {
        findings.push(Finding::fail(format!(
            "The certificate is for {} but the sink stands in for the {env} host",
            facts.environments()
        )));
        return Err(refuse(403, "BadCertificateEnvironment"));
    }
    let Some(topic) = topic.or_else(|| facts.default_topic().map(str::to_string)) else {
        findings.push(Finding::fail(
            "No apns-topic and the certificate names no bundle id: send apns-topic",
        ));
        return Err(refuse(400, "MissingTopic"));
    };
    if !facts.covers(&topic) {
        findings.push(Finding::fail(format!(
            "The certificate covers {}, not {topic}",
            facts.covered_topics().join(", ")
        )));
        return Err(refuse(400, "TopicDisallowed"));
    }
    findings.push(Finding::ok(format!(
        "Certificate auth: {} covers {topic} ({})",
        facts.subject,
        facts.environments()
    )));
    Ok(topic)
}

fn time_of(arrival: &Arrival) -> time::OffsetDateTime {
    time::OffsetDateTime::from(arrival.received_at)
}
