//! What the token-checking imitations share: the public half of a profile's private key (to
//! verify what a backend signed with it), JWT reading, random ids and Unix times.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;

/// The raw P-256 point (uncompressed, 65 bytes) of a PKCS#8 EC private key in PEM: what
/// `jsonwebtoken::DecodingKey::from_ec_der` verifies ES256 with.
pub fn ec_public_point(private_pem: &str) -> Result<Vec<u8>, String> {
    use aws_lc_rs::signature::KeyPair as _;
    let der = pem_der(private_pem)?;
    let pair = aws_lc_rs::signature::EcdsaKeyPair::from_pkcs8(
        &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED_SIGNING,
        &der,
    )
    .map_err(|e| format!("is not a P-256 private key ({e})"))?;
    Ok(pair.public_key().as_ref().to_vec())
}

/// The RSAPublicKey DER of a PKCS#8 RSA private key in PEM: what
/// `jsonwebtoken::DecodingKey::from_rsa_der` verifies RS256 with.
pub fn rsa_public_der(private_pem: &str) -> Result<Vec<u8>, String> {
    use aws_lc_rs::signature::KeyPair as _;
    let der = pem_der(private_pem)?;
    let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(&der)
        .map_err(|e| format!("is not an RSA private key ({e})"))?;
    Ok(pair.public_key().as_ref().to_vec())
}

fn pem_der(text: &str) -> Result<Vec<u8>, String> {
    pem::parse(text.trim())
        .map(|p| p.contents().to_vec())
        .map_err(|e| format!("is not PEM ({e})"))
}

/// A JWT read without checking its signature: the header and claims, for the shape checks and
/// the inspector, whether or not the signature can be verified.
pub struct ReadJwt {
    pub header: jsonwebtoken::Header,
    pub claims: Value,
}

pub fn read_jwt(token: &str) -> Result<ReadJwt, String> {
    let data = jsonwebtoken::dangerous::insecure_decode::<Value>(token)
        .map_err(|e| format!("is not a JWT ({e})"))?;
    Ok(ReadJwt {
        header: data.header,
        claims: data.claims,
    })
}

impl ReadJwt {
    /// Header and claims, pretty, for the inspector's decoded parts.
    pub fn pretty(&self) -> String {
        let header = serde_json::to_value(&self.header).unwrap_or(Value::Null);
        let text = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
        format!("header: {}\nclaims: {}", text(&header), text(&self.claims))
    }

    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }
}

/// Whether `token`'s signature verifies with `key` under `alg` (claims are checked by the
/// imitation itself, as the provider words each refusal).
pub fn signature_verifies(
    token: &str,
    key: &jsonwebtoken::DecodingKey,
    alg: jsonwebtoken::Algorithm,
) -> bool {
    crate::provider::jwt::install_crypto();
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    jsonwebtoken::decode::<Value>(token, key, &validation).is_ok()
}

/// `bytes` random bytes as lowercase hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The system's random source failing leaves zeros: a test value, never a secret.
    let _ = aws_lc_rs::rand::fill(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn unix_seconds(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub fn unix_millis(at: SystemTime) -> i64 {
    at.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The first characters of a long value, for one-line summaries.
pub fn short(text: &str) -> String {
    if text.chars().count() > 12 {
        let head: String = text.chars().take(10).collect();
        format!("{head}…")
    } else {
        text.to_string()
    }
}
