//! The certificate read as Apple encodes it, from certificates rcgen makes here.

use super::certificate::*;
use crate::profile::Profile;
use time::OffsetDateTime;

/// A self-signed push certificate for `bundle` with Apple's extensions, as PEM cert + key.
pub(crate) fn pem_cert(
    bundle: &str,
    sandbox: bool,
    production: bool,
    topics: &[&str],
    days: i64,
) -> String {
    let key = rcgen::KeyPair::generate().expect("key");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(
        rcgen::DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 1]),
        bundle,
    );
    params.distinguished_name.push(
        rcgen::DnType::CommonName,
        format!("Apple Push Services: {bundle}"),
    );
    params.not_after = OffsetDateTime::now_utc() + time::Duration::days(days);
    let oid = |last: u64| vec![1, 2, 840, 113_635, 100, 6, 3, last];
    if sandbox {
        params
            .custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &oid(1),
                vec![5, 0],
            ));
    }
    if production {
        params
            .custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(
                &oid(2),
                vec![5, 0],
            ));
    }
    if !topics.is_empty() {
        // SEQUENCE { UTF8String topic, SEQUENCE { UTF8String "app" } … }, short lengths.
        let mut items = Vec::new();
        for t in topics {
            items.extend([0x0c, t.len() as u8]);
            items.extend(t.as_bytes());
            items.extend([0x30, 5, 0x0c, 3]);
            items.extend(b"app");
        }
        let mut value = vec![0x30, items.len() as u8];
        value.extend(items);
        params
            .custom_extensions
            .push(rcgen::CustomExtension::from_oid_content(&oid(6), value));
    }
    let cert = params.self_signed(&key).expect("cert");
    format!("{}{}", cert.pem(), key.serialize_pem())
}

#[test]
fn reads_bundle_id_topics_environments_and_expiry() {
    let pem = pem_cert(
        "com.example.app",
        true,
        true,
        &["com.example.app", "com.example.app.voip"],
        100,
    );
    let opened = open(&pem, None).expect("opens");
    let f = &opened.facts;
    assert_eq!(f.bundle_id.as_deref(), Some("com.example.app"));
    assert_eq!(f.topics, ["com.example.app", "com.example.app.voip"]);
    assert!(f.sandbox && f.production);
    assert_eq!(f.only_environment(), None);
    assert!(f.covers("com.example.app.voip") && !f.covers("com.other"));
    let now = OffsetDateTime::now_utc();
    assert!(f.expiry_warning(now).is_none());
    let lines = f.lines(now).join("\n");
    assert!(
        lines.contains("Environment: sandbox and production"),
        "{lines}"
    );
    // The identity's Debug shows no key material.
    let key_line = pem.lines().rev().nth(1).unwrap_or_default().to_string();
    assert!(!format!("{:?}", opened.identity).contains(&key_line));
}

#[test]
fn warns_within_thirty_days_and_refuses_an_expired_one() {
    let soon = open(&pem_cert("com.a", true, false, &[], 10), None).expect("opens");
    let now = OffsetDateTime::now_utc();
    let w = soon.facts.expiry_warning(now).expect("a warning");
    assert!(w.contains("renew it"), "{w}");
    assert_eq!(soon.facts.only_environment(), Some("sandbox"));
    let later = now + time::Duration::days(11);
    assert!(
        soon.facts
            .expiry_warning(later)
            .is_some_and(|w| w.contains("expired"))
    );
}

#[test]
fn the_topic_and_environment_default_from_the_certificate() {
    let pem = pem_cert("com.example.prod", false, true, &[], 200);
    let mut profile = Profile::new("ios", "apns");
    profile.settings.insert(AUTH.into(), "certificate".into());
    let mut secrets = crate::profile::Secrets::default();
    secrets.insert(CERTIFICATE, pem);
    let now = OffsetDateTime::now_utc();
    let auth = for_profile(&profile, &secrets, now)
        .expect("opens")
        .expect("certificate auth");
    assert_eq!(auth.topic, "com.example.prod");
    assert!(
        auth.warnings("com.example.prod", Some("production"), now)
            .is_empty()
    );
    let w = auth
        .warnings("com.example.prod", Some("sandbox"), now)
        .join(" ");
    assert!(w.contains("BadCertificateEnvironment"), "{w}");
    let w = auth
        .warnings("com.other", Some("production"), now)
        .join(" ");
    assert!(w.contains("TopicDisallowed"), "{w}");
}

#[test]
fn bad_input_is_explained() {
    let mut profile = Profile::new("ios", "apns");
    profile.settings.insert(AUTH.into(), "p12".into());
    assert!(uses_certificate(&profile).is_err());
    let e = open("not base64 at all!", None).err().expect("refused");
    assert!(e.message.contains("neither PEM"), "{}", e.message);
    assert!(validate("AAAA").is_err());
    let e = open("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", None)
        .err()
        .expect("refused");
    assert!(e.message.contains("encrypted"), "{}", e.message);
    assert_eq!(stored_form(vec![0x30, 0x82]), "MII=");
    assert_eq!(stored_form(b"-----BEGIN".to_vec()), "-----BEGIN");
}
