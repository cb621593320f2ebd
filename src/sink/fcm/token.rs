//! Google's OAuth token endpoint as the sink imitates it: the JWT grant a service account signs
//! (RS256; iss, scope, aud, iat and exp checked as Google does), answered with an access token
//! the sink remembers, or Google's `{"error", "error_description"}`.

use serde_json::json;

use super::{FcmSink, Issued, json_headers};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::fcm::auth::SCOPE;
use crate::sink::keys::{random_hex, read_jwt, signature_verifies, unix_seconds};
use crate::sink::seam::{Decoded, Verdict};

const GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const GOOGLE_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// What older Google libraries put in `aud`; Google still takes it.
const OLD_TOKEN_URI: &str = "https://www.googleapis.com/oauth2/v4/token";
const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";
const LIFETIME_S: i64 = 3599;
const SHORT_LIVED: &str = "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.";

/// A refusal from the token endpoint: Google's OAuth error and a finding saying why.
struct Refused {
    status: u16,
    error: &'static str,
    description: String,
    why: String,
}

fn refused(error: &'static str, description: &str, why: impl Into<String>) -> Refused {
    Refused {
        status: 400,
        error,
        description: description.into(),
        why: why.into(),
    }
}

impl FcmSink {
    pub(super) fn grant(&self, arrival: &Arrival, verdict: &mut Verdict) {
        match self.check_grant(arrival, verdict) {
            Ok(issued) => {
                let token = format!("ya29.c.{}", random_hex(48));
                verdict.secrets.push(("access_token".into(), token.clone()));
                verdict.summary = format!("token for {} → 200", issued.client_email);
                if let Ok(mut all) = self.issued.lock() {
                    all.insert(token.clone(), issued);
                }
                verdict.status = 200;
                json_headers(verdict);
                verdict.body = json!({
                    "access_token": token,
                    "expires_in": LIFETIME_S,
                    "token_type": "Bearer"
                })
                .to_string()
                .into_bytes();
            }
            Err(r) => {
                verdict.findings.push(Finding::fail(r.why));
                verdict.status = r.status;
                json_headers(verdict);
                verdict.body = json!({"error": r.error, "error_description": r.description})
                    .to_string()
                    .into_bytes();
                verdict.summary = format!("token request → {} {}", r.status, r.error);
            }
        }
    }

    fn check_grant(&self, arrival: &Arrival, verdict: &mut Verdict) -> Result<Issued, Refused> {
        if arrival.method != "POST" {
            return Err(Refused {
                status: 405,
                error: "invalid_request",
                description: format!("Method {} is not allowed; POST the grant", arrival.method),
                why: format!("{} /token: the token endpoint takes POST", arrival.method),
            });
        }
        let content_type = arrival.header("content-type").unwrap_or_default();
        if !content_type.starts_with("application/x-www-form-urlencoded") {
            return Err(refused(
                "invalid_request",
                "Invalid Content-Type; expected application/x-www-form-urlencoded",
                format!(
                    "Content-Type is `{content_type}`: the grant is a form (application/x-www-form-urlencoded)"
                ),
            ));
        }
        let form = arrival.form();
        let field = |name: &str| {
            form.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        match field("grant_type") {
            None => {
                return Err(refused(
                    "invalid_request",
                    "Missing required parameter: grant_type",
                    "No grant_type in the form",
                ));
            }
            Some(GRANT_TYPE) => {}
            Some(other) => {
                return Err(refused(
                    "unsupported_grant_type",
                    &format!("Invalid grant_type: {other}"),
                    format!("grant_type is {other}, not {GRANT_TYPE}"),
                ));
            }
        }
        let Some(assertion) = field("assertion") else {
            return Err(refused(
                "invalid_request",
                "Missing required parameter: assertion",
                "No assertion (the signed JWT) in the form",
            ));
        };
        verdict
            .secrets
            .push(("assertion".into(), assertion.to_string()));
        let jwt = read_jwt(assertion).map_err(|e| {
            refused(
                "invalid_grant",
                "Invalid JWT Signature.",
                format!("The assertion {e}"),
            )
        })?;
        verdict.decoded.push(Decoded {
            label: "Grant (JWT)".into(),
            text: jwt.pretty(),
        });
        if jwt.header.alg != jsonwebtoken::Algorithm::RS256 {
            return Err(refused(
                "invalid_grant",
                "Invalid JWT Signature.",
                format!(
                    "The grant is signed with {:?}; Google takes RS256",
                    jwt.header.alg
                ),
            ));
        }
        let iss = jwt.claim_str("iss").unwrap_or_default().to_string();
        let aud = jwt.claim_str("aud").unwrap_or_default();
        if ![GOOGLE_TOKEN_URI, OLD_TOKEN_URI, self.token_url.as_str()].contains(&aud) {
            return Err(refused(
                "invalid_grant",
                &format!(
                    "Invalid JWT: Failed audience check. The right audience is {GOOGLE_TOKEN_URI}"
                ),
                format!(
                    "aud is `{aud}`, not the token endpoint ({GOOGLE_TOKEN_URI}, or the sink's {})",
                    self.token_url
                ),
            ));
        }
        let now = unix_seconds(arrival.received_at);
        let (iat, exp) = (jwt.claim_i64("iat"), jwt.claim_i64("exp"));
        let Some((iat, exp)) = iat.zip(exp) else {
            return Err(refused(
                "invalid_grant",
                SHORT_LIVED,
                "The grant lacks iat or exp",
            ));
        };
        if exp <= iat || exp - iat > 3600 || exp <= now || iat > now + 60 {
            return Err(refused(
                "invalid_grant",
                SHORT_LIVED,
                format!(
                    "iat {iat} and exp {exp} are not a lifetime of at most an hour around now ({now}): check the sending machine's clock"
                ),
            ));
        }
        let scopes: Vec<&str> = jwt
            .claim_str("scope")
            .unwrap_or_default()
            .split_whitespace()
            .collect();
        if scopes.is_empty() {
            return Err(refused(
                "invalid_scope",
                "Empty or missing scope not allowed.",
                format!("No scope: ask for {SCOPE}"),
            ));
        }
        let may_send = scopes.iter().any(|s| [SCOPE, CLOUD_PLATFORM].contains(s));
        if !may_send {
            verdict.findings.push(Finding::warn(format!(
                "Scope {} does not include {SCOPE}: the token is issued, but messages:send will refuse it",
                scopes.join(" ")
            )));
        }
        match &self.account {
            Some(account) => {
                if iss != account.client_email {
                    return Err(refused(
                        "invalid_grant",
                        "Invalid grant: account not found",
                        format!(
                            "iss {iss} is not the profile's service account {}",
                            account.client_email
                        ),
                    ));
                }
                let key = jsonwebtoken::DecodingKey::from_rsa_der(&account.public);
                if !signature_verifies(assertion, &key, jsonwebtoken::Algorithm::RS256) {
                    return Err(refused(
                        "invalid_grant",
                        "Invalid JWT Signature.",
                        format!(
                            "The grant's signature does not verify with {}'s private key: it was signed with another key",
                            account.client_email
                        ),
                    ));
                }
                verdict.findings.push(Finding::ok(format!(
                    "Grant verified: RS256 signed by {iss}, aud {aud}, {} s to live",
                    exp - now
                )));
            }
            None => {
                if iss.is_empty() {
                    return Err(refused(
                        "invalid_grant",
                        "Invalid grant: account not found",
                        "The grant has no iss (the service account's client_email)",
                    ));
                }
                verdict.findings.push(Finding::warn(format!(
                    "Grant from {iss} read but not verified: start the sink with --profile P to check the signature"
                )));
            }
        }
        Ok(Issued {
            client_email: iss,
            expires_at: now + LIFETIME_S,
            may_send,
        })
    }
}
