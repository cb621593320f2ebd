//! JWT signing for FCM (RS256) and APNs (ES256) through `jsonwebtoken` on aws-lc-rs, the one
//! crypto stack of this build.

/// Installs jsonwebtoken's aws-lc-rs provider for this process. jsonwebtoken panics when it has to
/// sign without a provider and cannot pick one from its features, so every signer calls this
/// first; a second call (or one from another part of the program) is harmless.
pub fn install_crypto() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = jsonwebtoken::crypto::aws_lc::DEFAULT_PROVIDER.install_default();
    });
}
