//! Web Push: the VAPID key pair holds together (the stored public key is the private key's) and
//! the subject is one push services accept. Push services have no read-only call: the engine's
//! local check (a token signed and verified) comes last.

use super::vapid::{self, VapidKey};
use crate::profile::{Profile, Secrets};
use crate::provider::doctor::{Finding, secret, setting};

pub fn inspect(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let mut findings = Vec::new();
    match setting(profile, "subject", "subject (mailto: or https: URL)") {
        Err(f) => findings.push(f),
        Ok(subject) => findings.push(match vapid::check_subject(subject) {
            Ok(()) => Finding::ok(format!("The subject {subject} is a mailto: or https: contact.")),
            Err(e) => Finding::fatal(
                "The subject is neither a mailto: address nor an https: URL: push services refuse such tokens.",
            )
            .with_detail(e),
        }),
    }
    let key = match secret(profile, secrets, "vapid_private_key", "VAPID private key") {
        Err(f) => {
            findings.push(f);
            return findings;
        }
        Ok(text) => match VapidKey::import(text) {
            Ok(key) => key,
            Err(e) => {
                findings.push(
                    Finding::fatal("The VAPID private key is not a P-256 key.").with_detail(e),
                );
                return findings;
            }
        },
    };
    let public = key.public_key_b64();
    findings.push(match profile.setting("vapid_public_key").map(str::trim) {
        None | Some("") => Finding::warn(
            "No public key is stored in the profile, so the page's applicationServerKey cannot be compared.",
        )
        .with_detail(format!("the private key's public key is {public}")),
        Some(stored) if stored == public => {
            Finding::ok("The stored public key is the private key's own.")
        }
        Some(_) => Finding::fatal(
            "The stored public key does not match the private key: subscriptions made with one are refused with the other.",
        )
        .with_detail("generate keys again (the page must subscribe again), or set vapid_public_key to the private key's public key"),
    });
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::doctor::Level;

    fn profile(key: &VapidKey, subject: &str) -> (Profile, Secrets) {
        let mut p = Profile::new("site", "webpush");
        p.settings.insert("subject".into(), subject.into());
        p.settings
            .insert("vapid_public_key".into(), key.public_key_b64());
        let mut s = Secrets::default();
        s.insert(
            "vapid_private_key",
            key.private_key_b64().expect("exportable"),
        );
        (p, s)
    }

    fn failing(f: &[Finding]) -> String {
        crate::finding::texts_at(f, Level::Fail)
    }

    #[test]
    fn a_matching_pair_and_a_mailto_subject_are_ok() {
        let key = VapidKey::generate().expect("key");
        let (p, s) = profile(&key, "mailto:admin@example.com");
        let f = inspect(&p, &s);
        assert!(f.iter().all(|f| f.level == Level::Ok), "{f:?}");
    }

    #[test]
    fn a_public_key_of_another_pair_is_named() {
        let key = VapidKey::generate().expect("key");
        let other = VapidKey::generate().expect("other");
        let (mut p, s) = profile(&key, "https://example.com");
        p.settings
            .insert("vapid_public_key".into(), other.public_key_b64());
        assert!(failing(&inspect(&p, &s)).contains("does not match the private key"));
    }

    #[test]
    fn a_subject_that_is_neither_mailto_nor_https_is_named() {
        let key = VapidKey::generate().expect("key");
        let (p, s) = profile(&key, "http://example.com");
        assert!(failing(&inspect(&p, &s)).contains("neither a mailto: address nor an https: URL"));
    }

    #[test]
    fn a_broken_private_key_is_named() {
        let key = VapidKey::generate().expect("key");
        let (p, mut s) = profile(&key, "mailto:a@example.com");
        s.insert("vapid_private_key", "not-a-key".into());
        assert!(failing(&inspect(&p, &s)).contains("not a P-256 key"));
    }
}
