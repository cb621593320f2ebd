//! APNs: the `.p8` key, the key and team ids, the key's file name, and a provider token minted
//! with them. Certificate auth (`auth=certificate`) has its own findings, `certificate` below.

use time::OffsetDateTime;

use crate::profile::{Profile, Secrets};
use crate::provider::doctor::{Finding, secret, setting, upper_alnum};
use crate::provider::seam::{Provider, Token, TokenPlan};

/// The secret field of the `.p8` key.
const SECRET: &str = "signing_key_p8";

pub fn inspect(
    provider: &dyn Provider,
    profile: &Profile,
    secrets: &Secrets,
    now: OffsetDateTime,
    cached: Option<&Token>,
) -> Vec<Finding> {
    match profile.setting("auth").map(str::trim) {
        Some("certificate") => certificate(profile, secrets, now),
        _ => token_auth(provider, profile, secrets, now, cached),
    }
}

/// The extension point for certificate auth: the certificate's topics, environment, expiry and
/// whether its password opens it belong here once the profile can hold a certificate. Until
/// then the read-only call is the only test, and the doctor says so.
/// Certificate auth: the password opens it, and what Apple encoded in it — topics, environment,
/// expiry — against the profile.
fn certificate(profile: &Profile, secrets: &Secrets, now: OffsetDateTime) -> Vec<Finding> {
    use super::certificate::{CERTIFICATE, open_profile};
    if let Err(f) = secret(
        profile,
        secrets,
        CERTIFICATE,
        "push certificate (.p12 or PEM)",
    ) {
        return vec![f];
    }
    let facts = match open_profile(profile, secrets) {
        Ok(opened) => opened.facts,
        Err(e) => {
            return vec![
                Finding::fatal("The push certificate does not open.").with_detail(e.to_string()),
            ];
        }
    };
    let mut findings = vec![
        Finding::ok(format!("The certificate opens: {}.", facts.subject))
            .with_detail(facts.lines(now).join("\n")),
    ];
    let topic = profile
        .setting("topic")
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .or(facts.default_topic());
    findings.push(match topic {
        Some(t) if facts.covers(t) => Finding::ok(format!("It covers the topic {t}.")),
        Some(t) => Finding::fail(format!(
            "It covers {}, not the profile's topic {t}: APNs would answer TopicDisallowed.",
            facts.covered_topics().join(", ")
        )),
        None => Finding::fail("It names no bundle id and the profile sets no topic."),
    });
    let wanted = match profile.setting("environment").map(str::trim) {
        Some("production") => Some("production"),
        Some("sandbox" | "development") => Some("sandbox"),
        _ => None,
    };
    findings.push(match (wanted, facts.sandbox, facts.production) {
        (_, false, false) => Finding::fail(
            "It is for no APNs environment: is it an Apple Push Services certificate?",
        ),
        (Some("production"), _, false) | (Some("sandbox"), false, _) => Finding::fail(format!(
            "It is for {}, but the profile sends to {}: APNs would answer BadCertificateEnvironment.",
            facts.environments(),
            wanted.unwrap_or_default()
        )),
        _ => Finding::ok(format!("It is for {}.", facts.environments())),
    });
    findings.push(match facts.expiry_warning(now) {
        Some(w) if facts.not_after <= now => Finding::fatal(w),
        Some(w) => Finding::warn(w),
        None => Finding::ok(format!("It expires on {}.", facts.expiry())),
    });
    findings
}

fn token_auth(
    provider: &dyn Provider,
    profile: &Profile,
    secrets: &Secrets,
    now: OffsetDateTime,
    cached: Option<&Token>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    match secret(profile, secrets, SECRET, "signing key (.p8)") {
        Err(f) => findings.push(f),
        Ok(text) => findings.push(match super::validate_signing_key(text) {
            Ok(()) => Finding::ok("The signing key is a P-256 key that signs ES256 tokens."),
            Err(e) => Finding::fatal(
                "The signing key is not a usable APNs key: paste the whole AuthKey_….p8 file.",
            )
            .with_detail(e),
        }),
    }
    let key_id = apple_id(profile, "key_id", "Key ID", &mut findings);
    apple_id(profile, "team_id", "Team ID", &mut findings);
    if let (Some(key_id), Some(file)) = (key_id, profile.setting("key_file")) {
        findings.push(key_file(key_id, file));
    }
    if findings.iter().any(|f| f.stops) {
        return findings;
    }
    findings.push(token(provider, profile, secrets, now, cached));
    findings
}

/// A key or team id: set, and in Apple's form (10 uppercase letters and digits).
fn apple_id<'a>(
    profile: &'a Profile,
    key: &str,
    label: &str,
    findings: &mut Vec<Finding>,
) -> Option<&'a str> {
    match setting(profile, key, label) {
        Err(f) => {
            findings.push(f);
            None
        }
        Ok(id) if upper_alnum(id, 10) => {
            findings.push(Finding::ok(format!("The {label} {id} has Apple's form.")));
            Some(id)
        }
        Ok(id) => {
            findings.push(
                Finding::fail(format!(
                    "The {label} `{id}` is not 10 uppercase letters and digits, as Apple's are: Apple will refuse the token."
                ))
                .with_detail("copy it from developer.apple.com (Keys for the Key ID, Membership details for the Team ID)"),
            );
            None
        }
    }
}

/// Apple names the download `AuthKey_<KEY ID>.p8`: another id in the name means the key id
/// setting belongs to another key.
fn key_file(key_id: &str, file: &str) -> Finding {
    let name = file.rsplit(['/', '\\']).next().unwrap_or(file).trim();
    let id = name
        .strip_prefix("AuthKey_")
        .and_then(|rest| rest.strip_suffix(".p8"));
    match id {
        Some(id) if id == key_id => Finding::ok(format!("The key file {name} matches the Key ID.")),
        Some(id) => Finding::fail(format!(
            "The key file {name} is key {id}, but the Key ID is {key_id}: Apple will answer InvalidProviderToken."
        ))
        .with_detail("set key_id to the id in the file's name, or store the key that matches the Key ID"),
        None => Finding::warn(format!(
            "The key file {name} is not named AuthKey_<KEY ID>.p8, so its id cannot be compared."
        )),
    }
}

/// The provider token: the cached one and its age, or a fresh one minted now.
fn token(
    provider: &dyn Provider,
    profile: &Profile,
    secrets: &Secrets,
    now: OffsetDateTime,
    cached: Option<&Token>,
) -> Finding {
    if let Some(token) = cached {
        // APNs tokens live an hour: the age is what is left of it, counted back.
        let age = (time::Duration::hours(1) - (token.expires_at - now)).whole_minutes();
        return Finding::ok(format!(
            "A provider token is in use, minted {} min ago (Apple accepts one for up to an hour).",
            age.max(0)
        ));
    }
    match provider.token_plan(profile, secrets, now) {
        Ok(TokenPlan::Mint(_)) => Finding::ok("A provider token is minted: fresh."),
        Ok(_) => Finding::fail("No provider token could be minted."),
        Err(e) => Finding::fatal("No provider token could be minted.").with_detail(e.message),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::doctor::Level;

    const P8: &str = include_str!("../../../tests/fixtures/apns_test_key.p8");

    fn profile() -> (Profile, Secrets) {
        let mut p = Profile::new("ios", "apns");
        for (k, v) in [
            ("key_id", "ABC123DEFG"),
            ("team_id", "DEF123GHIJ"),
            ("topic", "com.example.app"),
            ("environment", "sandbox"),
        ] {
            p.settings.insert(k.into(), v.into());
        }
        let mut s = Secrets::default();
        s.insert(SECRET, P8.into());
        (p, s)
    }

    fn run(p: &Profile, s: &Secrets, cached: Option<&Token>) -> Vec<Finding> {
        let apns = crate::provider::find("apns").expect("apns is built in");
        inspect(apns, p, s, crate::clock::now(), cached)
    }

    fn failing(findings: &[Finding]) -> Vec<&str> {
        findings
            .iter()
            .filter(|f| f.level == Level::Fail)
            .map(|f| f.text.as_str())
            .collect()
    }

    #[test]
    fn a_good_key_is_all_ok_with_a_fresh_token() {
        let (p, s) = profile();
        let f = run(&p, &s, None);
        assert!(f.iter().all(|f| f.level == Level::Ok), "{f:?}");
        assert!(f.last().is_some_and(|f| f.text.contains("fresh")));
    }

    #[test]
    fn a_key_that_does_not_parse_stops_the_check() {
        let (p, mut s) = profile();
        s.insert(
            SECRET,
            "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----".into(),
        );
        let f = run(&p, &s, None);
        assert!(failing(&f)[0].contains("not a usable APNs key"), "{f:?}");
        assert!(f.iter().any(|f| f.stops));
        assert!(!f.iter().any(|f| f.text.contains("token is minted")));
    }

    #[test]
    fn a_missing_key_is_named() {
        let (p, _) = profile();
        let f = run(&p, &Secrets::default(), None);
        assert!(failing(&f)[0].contains("No signing key (.p8)"), "{f:?}");
    }

    #[test]
    fn ids_not_in_apples_form_are_named() {
        let (mut p, s) = profile();
        p.settings.insert("key_id".into(), "abc123".into());
        p.settings.insert("team_id".into(), "DEF123GHI-".into());
        let f = failing(&run(&p, &s, None)).join("\n");
        assert!(f.contains("Key ID `abc123`"), "{f}");
        assert!(f.contains("Team ID `DEF123GHI-`"), "{f}");
    }

    #[test]
    fn a_key_file_of_another_key_is_named() {
        let (mut p, s) = profile();
        p.settings
            .insert("key_file".into(), "/home/me/AuthKey_ZZZ999YYYY.p8".into());
        let f = failing(&run(&p, &s, None)).join("\n");
        assert!(
            f.contains("is key ZZZ999YYYY, but the Key ID is ABC123DEFG"),
            "{f}"
        );
        p.settings
            .insert("key_file".into(), "AuthKey_ABC123DEFG.p8".into());
        assert!(failing(&run(&p, &s, None)).is_empty());
    }

    #[test]
    fn a_cached_token_shows_its_age() {
        let (p, s) = profile();
        let now = crate::clock::now();
        let token = Token {
            value: "t".into(),
            expires_at: now + time::Duration::minutes(35),
            refresh_after: now + time::Duration::minutes(15),
        };
        let f = run(&p, &s, Some(&token));
        assert!(
            f.last()
                .is_some_and(|f| f.text.contains("minted 25 min ago")),
            "{f:?}"
        );
    }

    #[test]
    fn certificate_auth_without_a_certificate_says_how_to_store_one() {
        let (mut p, s) = profile();
        p.settings.insert("auth".into(), "certificate".into());
        let f = run(&p, &s, None);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].level, Level::Fail);
        assert!(f[0].stops);
    }
}
