//! VAPID (RFC 8292): the application server's P-256 key pair and the ES256 JWT that proves it,
//! signed through `jsonwebtoken` on aws-lc-rs.

use aws_lc_rs::encoding::{AsBigEndian, EcPrivateKeyBin};
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// How long a VAPID JWT is valid: RFC 8292 allows at most 24 h; 12 h leaves room for clock skew.
pub const JWT_LIFETIME_S: i64 = 12 * 3600;

/// The application server's key pair. `Debug` never shows the private key.
pub struct VapidKey {
    pair: EcdsaKeyPair,
    /// PKCS#8 DER, the form `jsonwebtoken` signs with.
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for VapidKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "VapidKey(public {})", self.public_key_b64())
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub aud: String,
    pub exp: i64,
    pub sub: String,
}

impl VapidKey {
    pub fn generate() -> Result<Self, String> {
        let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
            .map_err(|_| "could not generate a P-256 key pair".to_string())?;
        Self::from_pair(pair)
    }

    fn from_pair(pair: EcdsaKeyPair) -> Result<Self, String> {
        let pkcs8 = pair
            .to_pkcs8v1()
            .map_err(|_| "could not encode the key as PKCS#8".to_string())?
            .as_ref()
            .to_vec();
        Ok(Self { pair, pkcs8 })
    }

    /// Reads a private key as people have it: base64url of the raw 32-byte scalar (what the
    /// `web-push` libraries print), or PEM (`PRIVATE KEY` / `EC PRIVATE KEY`), or base64 of DER.
    pub fn import(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err("the VAPID private key is empty".into());
        }
        if text.contains("-----BEGIN") {
            return Self::from_pem(text);
        }
        let bytes = decode_b64(text).ok_or_else(|| {
            "not base64url, base64 or PEM: paste the private key as the web-push tools print it"
                .to_string()
        })?;
        match bytes.len() {
            32 => Self::from_raw(&bytes),
            65 => Err("this is a public key (65 bytes); the private key is 32 bytes".into()),
            _ => Self::from_der(&bytes).map_err(|_| {
                format!(
                    "a raw P-256 private key is 32 bytes, this is {} bytes and not a DER key either",
                    bytes.len()
                )
            }),
        }
    }

    /// PKCS#8 (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`), after an `EC PARAMETERS` block or not
    /// (`openssl ecparam -genkey` writes one first).
    fn from_pem(text: &str) -> Result<Self, String> {
        let blocks =
            pem::parse_many(text).map_err(|e| format!("not a readable PEM block ({e})"))?;
        let tags: Vec<&str> = blocks.iter().map(pem::Pem::tag).collect();
        if let Some(block) = blocks
            .iter()
            .find(|b| matches!(b.tag(), "PRIVATE KEY" | "EC PRIVATE KEY"))
        {
            return Self::from_der(block.contents());
        }
        let wanted = "PEM `PRIVATE KEY` or `EC PRIVATE KEY`";
        Err(if tags.iter().any(|t| t.contains("ENCRYPTED")) {
            format!(
                "this private key is encrypted with a passphrase; decrypt it first (openssl pkcs8 -in key.pem -nocrypt … or openssl ec -in key.pem) and import the {wanted}"
            )
        } else if tags.iter().any(|t| t.contains("PUBLIC")) {
            format!("this is a public key; the private key is needed ({wanted})")
        } else if tags.is_empty() {
            "no PEM block found between -----BEGIN and -----END lines".into()
        } else {
            format!(
                "no private key here, only {}: the private key is needed ({wanted})",
                tags.join(", ")
            )
        })
    }

    fn from_raw(scalar: &[u8]) -> Result<Self, String> {
        let ecdh = aws_lc_rs::agreement::PrivateKey::from_private_key(
            &aws_lc_rs::agreement::ECDH_P256,
            scalar,
        )
        .map_err(|_| "not a valid P-256 private key (out of range)".to_string())?;
        let public = ecdh
            .compute_public_key()
            .map_err(|_| "could not derive the public key".to_string())?;
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            scalar,
            public.as_ref(),
        )
        .map_err(|e| format!("not a valid P-256 private key ({e})"))?;
        Self::from_pair(pair)
    }

    fn from_der(der: &[u8]) -> Result<Self, String> {
        let pair = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
            .map_err(|_| {
                "not a P-256 (prime256v1) private key: VAPID needs an ES256 key".to_string()
            })?;
        Self::from_pair(pair)
    }

    /// The private key in the form we store: base64url of the 32-byte scalar.
    pub fn private_key_b64(&self) -> Result<String, String> {
        let bin: EcPrivateKeyBin = self
            .pair
            .private_key()
            .as_be_bytes()
            .map_err(|_| "could not export the private key".to_string())?;
        Ok(URL_SAFE_NO_PAD.encode(bin.as_ref()))
    }

    /// The private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), what openssl reads.
    pub fn private_key_pem(&self) -> String {
        let block = pem::Pem::new("PRIVATE KEY", self.pkcs8.clone());
        pem::encode_config(
            &block,
            pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
        )
    }

    /// The uncompressed public point, base64url: the page's `applicationServerKey` and the `k=`.
    pub fn public_key_b64(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.pair.public_key().as_ref())
    }

    /// A signed VAPID JWT for one push-service origin.
    pub fn jwt(
        &self,
        audience: &str,
        subject: &str,
        now: OffsetDateTime,
    ) -> Result<String, String> {
        super::super::jwt::install_crypto();
        let claims = Claims {
            aud: audience.to_string(),
            exp: now.unix_timestamp() + JWT_LIFETIME_S,
            sub: subject.to_string(),
        };
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_ec_der(&self.pkcs8),
        )
        .map_err(|e| format!("could not sign the VAPID JWT ({e})"))
    }
}

/// Accepts base64url or standard base64, padded or not (subscriptions and keys come in all four).
pub fn decode_b64(text: &str) -> Option<Vec<u8>> {
    let cleaned: String = text
        .trim()
        .trim_end_matches('=')
        .chars()
        .map(|c| match c {
            '+' => '-',
            '/' => '_',
            c => c,
        })
        .collect();
    URL_SAFE_NO_PAD.decode(cleaned).ok()
}

/// Checks a VAPID JWT against the public key `k` (base64url point) and the expected audience:
/// what a push service does. Returns the claims.
pub fn verify(jwt: &str, k: &str, audience: &str, now: OffsetDateTime) -> Result<Claims, String> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "aud"]);
    // The expiry is checked against the injected clock below, not the system one.
    validation.validate_exp = false;
    let claims: Claims = decode_with(jwt, k, &validation)?;
    let now = now.unix_timestamp();
    if claims.exp <= now {
        return Err("the JWT has expired".into());
    }
    if claims.exp > now + 24 * 3600 {
        return Err("the JWT expires more than 24 hours ahead (RFC 8292 §2)".into());
    }
    Ok(claims)
}

/// Checks only the ES256 signature of a VAPID JWT against `k` (the claims are whatever they are):
/// the push-service stand-in then checks each claim on its own, to say which one is wrong.
pub fn verify_signature(jwt: &str, k: &str) -> Result<(), String> {
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.validate_aud = false;
    validation.validate_exp = false;
    validation.set_required_spec_claims::<&str>(&[]);
    decode_with::<serde_json::Value>(jwt, k, &validation).map(|_| ())
}

fn decode_with<T: serde::de::DeserializeOwned>(
    jwt: &str,
    k: &str,
    validation: &jsonwebtoken::Validation,
) -> Result<T, String> {
    super::super::jwt::install_crypto();
    let point = decode_b64(k).ok_or("k is not base64url")?;
    if point.len() != 65 || point[0] != 4 {
        return Err("k is not an uncompressed P-256 point".into());
    }
    let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
    let y = URL_SAFE_NO_PAD.encode(&point[33..]);
    let key = jsonwebtoken::DecodingKey::from_ec_components(&x, &y)
        .map_err(|e| format!("k is not a usable key ({e})"))?;
    jsonwebtoken::decode::<T>(jwt, &key, validation)
        .map(|data| data.claims)
        .map_err(|e| format!("the JWT does not verify ({e})"))
}

/// `mailto:` with an address or an `https:` URL, as RFC 8292 and Apple require.
pub fn check_subject(subject: &str) -> Result<(), String> {
    let subject = subject.trim();
    if let Some(address) = subject.strip_prefix("mailto:") {
        let ok = address.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty() && host.contains('.') && !host.ends_with('.')
        });
        return if ok {
            Ok(())
        } else {
            Err(format!(
                "`{subject}` is not a mailto: address like mailto:admin@example.com"
            ))
        };
    }
    match url::Url::parse(subject) {
        Ok(url) if url.scheme() == "https" && url.host_str().is_some() => Ok(()),
        _ => Err(format!(
            "the subject must be mailto:you@example.com or an https:// URL, not `{subject}`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).expect("time")
    }

    /// RFC 8292 §2.4's example token verifies with its key (ECDSA is randomized: verify, don't compare).
    #[test]
    fn rfc8292_example_verifies() {
        let t = "eyJ0eXAiOiJKV1QiLCJhbGciOiJFUzI1NiJ9.eyJhdWQiOiJodHRwczovL3B1c2guZXhhbXBsZS5uZXQiLCJleHAiOjE0NTM1MjM3NjgsInN1YiI6Im1haWx0bzpwdXNoQGV4YW1wbGUuY29tIn0.i3CYb7t4xfxCDquptFOepC9GAu_HLGkMlMuCGSK2rpiUfnK9ojFwDXb1JrErtmysazNjjvW2L9OkSSHzvoD1oA";
        let k = "BA1Hxzyi1RUM1b5wjxsn7nGxAszw2u61m164i3MrAIxHF6YK5h4SDYic-dRuU_RCPCfA5aq9ojSwk5Y2EmClBPs";
        let claims = verify(t, k, "https://push.example.net", at(1_453_523_768 - 3600))
            .expect("the RFC example verifies");
        assert_eq!(claims.sub, "mailto:push@example.com");
        assert!(verify(t, k, "https://other.example", at(1_453_523_768 - 3600)).is_err());
        assert!(verify(t, k, "https://push.example.net", at(1_453_523_768 + 1)).is_err());
    }

    #[test]
    fn generated_key_signs_and_reimports() {
        let key = VapidKey::generate().expect("key");
        let now = at(1_800_000_000);
        let jwt = key
            .jwt("https://fcm.googleapis.com", "mailto:a@example.com", now)
            .expect("signs");
        let claims = verify(
            &jwt,
            &key.public_key_b64(),
            "https://fcm.googleapis.com",
            now,
        )
        .expect("verifies");
        assert_eq!(claims.exp, 1_800_000_000 + JWT_LIFETIME_S);
        let private = key.private_key_b64().expect("export");
        assert_eq!(private.len(), 43);
        let again = VapidKey::import(&private).expect("raw base64url");
        assert_eq!(again.public_key_b64(), key.public_key_b64());
        assert_eq!(again.public_key_b64().len(), 87);
        let pem = key.private_key_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
        assert_eq!(
            VapidKey::import(&pem).expect("pem").public_key_b64(),
            key.public_key_b64()
        );
        let other = VapidKey::generate().expect("other");
        assert!(
            verify(
                &jwt,
                &other.public_key_b64(),
                "https://fcm.googleapis.com",
                now
            )
            .is_err()
        );
    }

    #[test]
    fn the_private_key_block_is_found_after_ec_parameters() {
        let key = VapidKey::generate().expect("key");
        let params =
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n";
        let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", key.pkcs8.clone()));
        let both = VapidKey::import(&format!("{params}{pem}")).expect("imports");
        assert_eq!(both.public_key_b64(), key.public_key_b64());
        let only = VapidKey::import(params).expect_err("refused");
        assert!(
            only.contains("no private key here, only EC PARAMETERS"),
            "{only}"
        );
        let locked = pem::encode(&pem::Pem::new("ENCRYPTED PRIVATE KEY", vec![1, 2, 3]));
        let locked = VapidKey::import(&locked).expect_err("refused");
        assert!(locked.contains("encrypted with a passphrase"), "{locked}");
    }

    #[test]
    fn import_says_what_is_wrong() {
        assert!(VapidKey::import("").expect_err("refused").contains("empty"));
        assert!(
            VapidKey::import("not base64 at all!")
                .expect_err("refused")
                .contains("base64")
        );
        let public = VapidKey::generate().expect("key").public_key_b64();
        assert!(
            VapidKey::import(&public)
                .expect_err("refused")
                .contains("public key")
        );
        assert!(VapidKey::import(&URL_SAFE_NO_PAD.encode([0u8; 32])).is_err());
        assert!(
            VapidKey::import(&URL_SAFE_NO_PAD.encode([1u8; 20]))
                .expect_err("refused")
                .contains("20 bytes")
        );
    }

    #[test]
    fn subjects() {
        assert!(check_subject("mailto:admin@example.com").is_ok());
        assert!(check_subject("https://example.com/contact").is_ok());
        assert!(check_subject("admin@example.com").is_err());
        assert!(check_subject("mailto:nobody").is_err());
        assert!(check_subject("http://example.com").is_err());
    }
}
