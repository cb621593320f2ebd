//! A TLS client certificate the transport presents (APNs certificate auth): the certificate chain
//! and its private key as PEM, held in memory only. Its `Debug` shows a fingerprint, never the key.

use std::sync::Arc;

/// The chain and key one profile authenticates with. Two requests with the same identity share
/// their connections; a different identity gets clients of its own.
#[derive(Clone)]
pub struct ClientIdentity {
    /// `-----BEGIN CERTIFICATE-----…` (leaf first) followed by `-----BEGIN PRIVATE KEY-----…`.
    pem: Arc<[u8]>,
    /// SHA-256 of `pem`: the cache key, so the key itself is not copied into the client map.
    fingerprint: [u8; 32],
    /// What it is in words (subject, expiry): shown in outcomes, never secret.
    pub description: String,
    /// Something to say about it beside an outcome (it expires soon), if anything.
    pub note: Option<String>,
}

impl ClientIdentity {
    pub fn from_pem(pem: Vec<u8>, description: impl Into<String>) -> Self {
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &pem);
        let mut fingerprint = [0u8; 32];
        fingerprint.copy_from_slice(digest.as_ref());
        Self {
            pem: pem.into(),
            fingerprint,
            description: description.into(),
            note: None,
        }
    }

    pub fn pem(&self) -> &[u8] {
        &self.pem
    }

    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }
}

impl PartialEq for ClientIdentity {
    fn eq(&self, other: &Self) -> bool {
        self.fingerprint == other.fingerprint
    }
}

impl std::fmt::Debug for ClientIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let short: String = self.fingerprint[..4]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        f.debug_struct("ClientIdentity")
            .field("sha256", &format!("{short}…"))
            .field("description", &self.description)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_prints_the_key() {
        let id = ClientIdentity::from_pem(
            b"-----BEGIN PRIVATE KEY-----\nSECRETKEYBYTES\n-----END PRIVATE KEY-----\n".to_vec(),
            "test",
        );
        let shown = format!("{id:?}");
        assert!(!shown.contains("SECRETKEYBYTES"), "{shown}");
        assert!(shown.contains("sha256"), "{shown}");
    }
}
