//! The sink's test subscriptions: the browser side of a push subscription (its P-256 key pair and
//! auth secret), so the sink can decrypt what a backend encrypts for it. Kept in the keyring
//! between runs, so a backend configured once keeps working.

use aws_lc_rs::agreement;
use aws_lc_rs::encoding::{AsBigEndian, EcPrivateKeyBin};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::provider::webpush::ece::AUTH_SECRET_LEN;
use crate::provider::webpush::vapid::decode_b64;

/// How many subscriptions the sink hands out: enough to try a fan-out and one gone subscription.
pub const COUNT: usize = 3;

/// One subscription as the browser holds it. `Debug` never shows the private key.
#[derive(Clone)]
pub struct TestSubscription {
    /// The last path segment of the endpoint (`/push/<id>`).
    pub id: String,
    private: Vec<u8>,
    pub p256dh: Vec<u8>,
    pub auth: [u8; AUTH_SECRET_LEN],
}

impl std::fmt::Debug for TestSubscription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TestSubscription({})", self.id)
    }
}

/// What is kept per subscription: base64url of the id, the private scalar and the auth secret.
#[derive(Serialize, Deserialize)]
struct Kept {
    id: String,
    private: String,
    auth: String,
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| "the system's random number generator failed".to_string())?;
    Ok(bytes)
}

impl TestSubscription {
    pub fn generate() -> Result<Self, String> {
        let key = agreement::PrivateKey::generate(&agreement::ECDH_P256)
            .map_err(|_| "could not generate a P-256 key pair".to_string())?;
        let private: EcPrivateKeyBin = key
            .as_be_bytes()
            .map_err(|_| "could not export the P-256 key".to_string())?;
        // Push services hand out long opaque tokens; 16 random bytes keep ids unguessable.
        let id = URL_SAFE_NO_PAD.encode(random::<16>()?);
        Self::from_parts(id, private.as_ref(), random::<AUTH_SECRET_LEN>()?)
    }

    fn from_parts(id: String, private: &[u8], auth: [u8; AUTH_SECRET_LEN]) -> Result<Self, String> {
        let key = agreement::PrivateKey::from_private_key(&agreement::ECDH_P256, private)
            .map_err(|_| format!("subscription {id}: not a P-256 private key"))?;
        let public = key
            .compute_public_key()
            .map_err(|_| format!("subscription {id}: no public key"))?;
        Ok(Self {
            id,
            private: private.to_vec(),
            p256dh: public.as_ref().to_vec(),
            auth,
        })
    }

    pub fn private_key(&self) -> &[u8] {
        &self.private
    }

    pub fn endpoint(&self, base_url: &str) -> String {
        format!("{}/push/{}", base_url.trim_end_matches('/'), self.id)
    }

    /// `PushSubscription.toJSON()` as a browser would give it to the page.
    pub fn browser_json(&self, base_url: &str) -> Value {
        json!({
            "endpoint": self.endpoint(base_url),
            "expirationTime": null,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(&self.p256dh),
                "auth": URL_SAFE_NO_PAD.encode(self.auth),
            }
        })
    }
}

/// The keyring blob for `subscriptions`.
pub fn keep(subscriptions: &[TestSubscription]) -> String {
    let kept: Vec<Kept> = subscriptions
        .iter()
        .map(|s| Kept {
            id: s.id.clone(),
            private: URL_SAFE_NO_PAD.encode(&s.private),
            auth: URL_SAFE_NO_PAD.encode(s.auth),
        })
        .collect();
    serde_json::to_string(&kept).unwrap_or_default()
}

/// The subscriptions kept last time, or why they cannot be read back.
pub fn restore(kept: &str) -> Result<Vec<TestSubscription>, String> {
    let kept: Vec<Kept> =
        serde_json::from_str(kept).map_err(|e| format!("not the sink's list ({e})"))?;
    if kept.is_empty() {
        return Err("the list is empty".into());
    }
    kept.into_iter()
        .map(|k| {
            let ok_id = !k.id.is_empty()
                && k.id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok_id {
                return Err(format!("`{}` is not a subscription id", k.id));
            }
            let private = decode_b64(&k.private)
                .ok_or_else(|| format!("subscription {}: the key is not base64url", k.id))?;
            let auth: [u8; AUTH_SECRET_LEN] = decode_b64(&k.auth)
                .and_then(|a| a.try_into().ok())
                .ok_or_else(|| {
                format!("subscription {}: the auth secret is not 16 bytes", k.id)
            })?;
            TestSubscription::from_parts(k.id, &private, auth)
        })
        .collect()
}

/// Fresh subscriptions.
pub fn generate() -> Result<Vec<TestSubscription>, String> {
    (0..COUNT).map(|_| TestSubscription::generate()).collect()
}
