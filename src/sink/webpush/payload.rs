//! The body of a push: its content coding's headers (autopush's checks, errno 110) and, for
//! `aes128gcm`, the decryption a browser would make with the subscription's key.

use serde_json::Value;

use super::{Refusal, TestSubscription};
use crate::finding::Finding;
use crate::http::Arrival;
use crate::provider::webpush::ece;
use crate::sink::{Decoded, Verdict};

/// How the body is encoded, once the headers are read.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Encoding {
    Empty,
    Aes128gcm,
    /// The pre-RFC draft coding: checked for shape, not decrypted.
    Aesgcm,
    Unusable,
}

pub type Refuse<'a> = dyn FnMut(&mut Vec<Finding>, Refusal) + 'a;

/// The crypto headers for the body's coding (autopush's checks, errno 110).
pub fn check_encoding(
    arrival: &Arrival,
    findings: &mut Vec<Finding>,
    refuse: &mut Refuse<'_>,
) -> Encoding {
    if arrival.body.is_empty() {
        findings.push(Finding::ok(
            "no payload: the browser gets a push event without data",
        ));
        return Encoding::Empty;
    }
    let param = |header: &str, name: &str| {
        arrival.header(header).and_then(|value| {
            value
                .split([';', ','])
                .filter_map(|p| p.trim().split_once('='))
                .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().trim_matches('"').to_string())
        })
    };
    match arrival.header("content-encoding").map(str::trim) {
        Some("aes128gcm") => {
            if param("encryption", "salt").is_some() || param("crypto-key", "dh").is_some() {
                refuse(
                    findings,
                    Refusal::new(
                        400,
                        Some(110),
                        "aes128gcm carries the salt and key in the body: remove the Encryption salt= and Crypto-Key dh= headers (they belong to the old aesgcm)",
                    ),
                );
                return Encoding::Unusable;
            }
            findings.push(Finding::ok("Content-Encoding aes128gcm (RFC 8188/8291)"));
            Encoding::Aes128gcm
        }
        Some("aesgcm") => {
            if param("encryption", "salt").is_none() {
                refuse(
                    findings,
                    Refusal::new(
                        400,
                        Some(110),
                        "aesgcm needs an `Encryption: salt=…` header",
                    ),
                );
                return Encoding::Unusable;
            }
            findings.push(Finding::warn(
                "Content-Encoding aesgcm is the pre-RFC draft coding: accepted by push services still, but the sink does not decrypt it, and new browsers expect aes128gcm (RFC 8291)",
            ));
            Encoding::Aesgcm
        }
        None => {
            refuse(
                findings,
                Refusal::new(
                    400,
                    Some(110),
                    "a body without Content-Encoding: Web Push bodies are encrypted, Content-Encoding: aes128gcm",
                ),
            );
            Encoding::Unusable
        }
        Some(other) => {
            refuse(
                findings,
                Refusal::new(
                    400,
                    Some(110),
                    format!("Content-Encoding `{other}` is not aes128gcm (nor the old aesgcm)"),
                ),
            );
            Encoding::Unusable
        }
    }
}

/// Decrypts the body as the subscription's browser would; what it says, for the summary.
pub fn open(
    sub: &TestSubscription,
    arrival: &Arrival,
    encoding: Encoding,
    verdict: &mut Verdict,
) -> String {
    match encoding {
        Encoding::Empty => "(no payload)".into(),
        Encoding::Aesgcm => "aesgcm payload (not decrypted)".into(),
        Encoding::Unusable => "unreadable payload".into(),
        Encoding::Aes128gcm => match ece::decrypt(&arrival.body, sub.private_key(), &sub.auth) {
            Ok(plain) => {
                verdict.findings.push(Finding::ok(format!(
                    "decrypts with the subscription's key: {} bytes of plaintext",
                    plain.len()
                )));
                let (text, preview) = show(&plain);
                verdict.decoded.insert(
                    0,
                    Decoded {
                        label: "Plaintext".into(),
                        text,
                    },
                );
                preview
            }
            Err(e) => {
                verdict.findings.push(Finding::fail(format!(
                    "{e}: the push service would pass it on, but the browser drops it and shows nothing. Encrypt for this subscription's p256dh and auth (RFC 8291)"
                )));
                "does not decrypt".into()
            }
        },
    }
}

/// The plaintext for the inspector (pretty JSON, text, or base64 of bytes) and a short preview.
fn show(plain: &[u8]) -> (String, String) {
    let text = match serde_json::from_slice::<Value>(plain) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or_default(),
        Err(_) => match std::str::from_utf8(plain) {
            Ok(text) => text.to_string(),
            Err(_) => {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD.encode(plain);
                return (
                    format!("{} bytes, not text (base64): {b64}", plain.len()),
                    format!("{} bytes of binary", plain.len()),
                );
            }
        },
    };
    let flat = String::from_utf8_lossy(plain).replace('\n', " ");
    let mut preview: String = flat.chars().take(60).collect();
    if flat.chars().count() > 60 {
        preview.push('…');
    }
    (text, preview)
}
