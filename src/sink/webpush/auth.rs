//! The VAPID checks a push service makes (RFC 8292, providers.md §7.5): the `Authorization`
//! header (`vapid t=…, k=…`, or the pre-RFC `WebPush <jwt>` with `Crypto-Key: p256ecdsa=…`), the
//! ES256 signature against `k`, then each claim on its own so the finding names the wrong one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

use super::Refusal;
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::webpush::vapid;
use crate::sink::Decoded;

/// RFC 8292 §2: a token valid for more than a day is refused.
const MAX_LIFETIME_S: i64 = 24 * 3600;

/// What the VAPID check found.
#[derive(Default)]
pub struct AuthCheck {
    pub findings: Vec<Finding>,
    pub decoded: Vec<Decoded>,
    /// The first reason to refuse, as the push service answers it.
    pub refusal: Option<Refusal>,
    /// The token, to mask in history.
    pub jwt: Option<String>,
}

impl AuthCheck {
    fn fail(&mut self, status: u16, text: String) {
        self.findings.push(Finding::fail(text.clone()));
        if self.refusal.is_none() {
            self.refusal = Some(Refusal::new(status, Some(109), text));
        }
    }
}

/// The token and key of the request, in whichever of the two forms it came.
fn credentials(arrival: &Arrival, check: &mut AuthCheck) -> Option<(String, String)> {
    let Some(header) = arrival.header("authorization").map(str::trim) else {
        check.fail(
            401,
            "no Authorization header: push services require VAPID (`Authorization: vapid t=<JWT>, k=<public key>`, RFC 8292); FCM, Mozilla and Apple refuse pushes without it".into(),
        );
        return None;
    };
    let (scheme, rest) = header.split_once(' ').unwrap_or((header, ""));
    if scheme.eq_ignore_ascii_case("vapid") {
        let mut t = None;
        let mut k = None;
        for part in rest.split(',') {
            match part.trim().split_once('=') {
                Some((name, value)) if name.trim().eq_ignore_ascii_case("t") => {
                    t = Some(value.trim().to_string());
                }
                Some((name, value)) if name.trim().eq_ignore_ascii_case("k") => {
                    k = Some(value.trim().to_string());
                }
                _ => {}
            }
        }
        return match (t, k) {
            (Some(t), Some(k)) => Some((t, k)),
            _ => {
                check.fail(
                    403,
                    "the vapid Authorization header needs both t=<JWT> and k=<public key> (RFC 8292 §3)".into(),
                );
                None
            }
        };
    }
    if scheme.eq_ignore_ascii_case("webpush") {
        let jwt = rest.trim().to_string();
        let key = arrival.header("crypto-key").and_then(|value| {
            value
                .split([';', ','])
                .filter_map(|p| p.trim().split_once('='))
                .find(|(name, _)| name.trim().eq_ignore_ascii_case("p256ecdsa"))
                .map(|(_, v)| v.trim().trim_matches('"').to_string())
        });
        check.findings.push(Finding::warn(
            "pre-RFC VAPID form (`Authorization: WebPush <JWT>` with `Crypto-Key: p256ecdsa=…`): Mozilla still takes it, FCM and Apple may not; send `Authorization: vapid t=…, k=…`",
        ));
        return match key {
            Some(key) if !jwt.is_empty() => Some((jwt, key)),
            _ => {
                check.fail(
                    401,
                    "`Authorization: WebPush <JWT>` needs the key in `Crypto-Key: p256ecdsa=<public key>`, and it is missing".into(),
                );
                None
            }
        };
    }
    check.fail(
        401,
        format!(
            "Authorization scheme `{scheme}` is not VAPID: push services take `vapid t=<JWT>, k=<public key>`"
        ),
    );
    None
}

/// A JWT part as JSON, for the findings and the inspector.
fn part(jwt: &str, index: usize) -> Option<Value> {
    let text = jwt.split('.').nth(index)?;
    let bytes = URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Checks the request's VAPID authentication as a push service at `origin` would, at `now`
/// (epoch seconds). `application_server_key` is the key the subscriptions were made with, when
/// the sink was started with a profile.
pub fn check(
    arrival: &Arrival,
    origin: &str,
    now: i64,
    application_server_key: Option<&str>,
) -> AuthCheck {
    let mut check = AuthCheck::default();
    let Some((jwt, k)) = credentials(arrival, &mut check) else {
        return check;
    };
    check.jwt = Some(jwt.clone());
    let (Some(header), Some(claims)) = (part(&jwt, 0), part(&jwt, 1)) else {
        check.fail(
            403,
            "the VAPID token is not a JWT (three base64url parts: header, claims, signature)"
                .into(),
        );
        return check;
    };
    check.decoded.push(Decoded {
        label: "VAPID JWT header".into(),
        text: pretty(&header),
    });
    check.decoded.push(Decoded {
        label: "VAPID JWT claims".into(),
        text: pretty(&claims),
    });
    match header.get("alg").and_then(Value::as_str) {
        Some("ES256") => {}
        other => check.fail(
            403,
            format!("the JWT is signed with {other:?}; VAPID requires ES256 (P-256 with SHA-256)"),
        ),
    }
    match vapid::verify_signature(&jwt, &k) {
        Ok(()) => check.findings.push(Finding::ok(
            "the VAPID JWT's ES256 signature verifies with the k key",
        )),
        Err(e) => check.fail(
            403,
            format!("the VAPID signature does not verify with the k key: {e}. Sign with the private key whose public key is sent as k"),
        ),
    }
    check_claims(&claims, origin, now, &mut check);
    match application_server_key {
        Some(expected) if vapid::decode_b64(expected) == vapid::decode_b64(&k) => {
            check.findings.push(Finding::ok(
                "k is the profile's VAPID public key, the applicationServerKey the subscriptions were made with",
            ));
        }
        Some(_) => check.fail(
            403,
            "k is not the profile's VAPID public key: a subscription made with one applicationServerKey is refused with another (403). Send with the key pair the page subscribed with".into(),
        ),
        None => check.findings.push(Finding::warn(
            "not verified: k is not compared with the applicationServerKey; start the sink with --profile P to check that the backend signs with the profile's key",
        )),
    }
    check
}

fn check_claims(claims: &Value, origin: &str, now: i64, check: &mut AuthCheck) {
    match claims.get("aud").and_then(Value::as_str) {
        Some(aud) if aud == origin => check.findings.push(Finding::ok(format!(
            "aud is the push service's origin ({origin})"
        ))),
        Some(aud) => check.fail(
            403,
            format!("aud is `{aud}` but this push service's origin is `{origin}`: aud must be the endpoint's scheme://host[:port], no path"),
        ),
        None => check.fail(
            403,
            "the JWT has no aud claim (the endpoint's origin)".into(),
        ),
    }
    match claims.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp <= now => check.fail(
            403,
            format!("the JWT expired {} s ago (exp {exp})", now - exp),
        ),
        Some(exp) if exp > now + MAX_LIFETIME_S => check.fail(
            403,
            format!(
                "exp is {} h ahead; RFC 8292 allows at most 24 h (about 12 h is usual)",
                (exp - now) / 3600
            ),
        ),
        Some(exp) => check.findings.push(Finding::ok(format!(
            "exp is in {} min, within the 24 hours RFC 8292 allows",
            (exp - now) / 60
        ))),
        None => check.fail(
            403,
            "the JWT has no exp claim (epoch seconds, at most 24 h ahead)".into(),
        ),
    }
    match claims.get("sub").and_then(Value::as_str) {
        Some(sub) => match vapid::check_subject(sub) {
            Ok(()) => check
                .findings
                .push(Finding::ok(format!("sub is a contact ({sub})"))),
            Err(e) => check.fail(403, format!("{e}; Apple refuses it (BadJwtToken)")),
        },
        None => check.fail(
            403,
            "the JWT has no sub claim: Apple refuses it and Mozilla uses it to reach you; set mailto:you@example.com or an https:// URL".into(),
        ),
    }
}
