//! Amazon SNS: the region's form, the access key id's kind (AKIA… long-term, ASIA… temporary)
//! and the session token temporary keys need.

use super::{Finding, secret, setting, upper_alnum};
use crate::profile::{Profile, Secrets};

pub fn inspect(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let mut findings = Vec::new();
    match setting(profile, "region", "region") {
        Err(f) => findings.push(f),
        Ok(region) if is_region(region) => {
            findings.push(Finding::ok(format!("The region {region} has AWS's form.")));
        }
        Ok(region) => findings.push(
            Finding::fatal(format!(
                "The region `{region}` is not a region name such as us-east-1."
            ))
            .with_detail("use the region of the topics and endpoints, as the SNS console shows it"),
        ),
    }
    let session = secrets.get("session_token").is_some();
    match setting(profile, "access_key_id", "access key ID") {
        Err(f) => findings.push(f),
        Ok(id) => findings.push(access_key(id, session)),
    }
    match secret(profile, secrets, "secret_access_key", "secret access key") {
        Err(f) => findings.push(f),
        Ok(key) if key.trim().len() == 40 => {
            findings.push(Finding::ok("The secret access key has AWS's length (40)."));
        }
        Ok(key) => findings.push(Finding::warn(format!(
            "The secret access key is {} characters long; AWS's are 40: it may be cut or padded.",
            key.trim().len()
        ))),
    }
    findings
}

/// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`: a two-letter area, words, a number.
fn is_region(region: &str) -> bool {
    let parts: Vec<&str> = region.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn access_key(id: &str, session: bool) -> Finding {
    if !upper_alnum(id, 20) {
        return Finding::fail(format!(
            "The access key ID `{id}` is not 20 uppercase letters and digits, as AWS's are."
        ))
        .with_detail("copy it from IAM > Users > Security credentials");
    }
    match (&id[..4], session) {
        ("AKIA", false) => Finding::ok(format!("{id} is a long-term access key.")),
        ("AKIA", true) => Finding::warn(format!(
            "{id} is a long-term key, but a session token is stored: AWS refuses a session token with a long-term key."
        ))
        .with_detail("delete the session_token secret"),
        ("ASIA", true) => Finding::ok(format!(
            "{id} is a temporary key with its session token (temporary keys expire: renew both together)."
        )),
        ("ASIA", false) => Finding::fail(format!(
            "{id} is a temporary key, but no session token is stored: AWS refuses a temporary key without one."
        ))
        .with_detail("store it with `pushdeck secret set PROFILE session_token`"),
        _ => Finding::warn(format!(
            "{id} starts with neither AKIA (long-term) nor ASIA (temporary)."
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::doctor::Level;

    fn run(region: &str, id: &str, session: bool) -> Vec<Finding> {
        let mut p = Profile::new("aws", "sns");
        p.settings.insert("region".into(), region.into());
        p.settings.insert("access_key_id".into(), id.into());
        let mut s = Secrets::default();
        s.insert(
            "secret_access_key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        );
        if session {
            s.insert("session_token", "FwoGZXIvYXdzEXAMPLE".into());
        }
        inspect(&p, &s)
    }

    fn texts(f: &[Finding], level: Level) -> String {
        f.iter()
            .filter(|f| f.level == level)
            .map(|f| f.text.clone())
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn long_term_and_temporary_keys_with_what_they_need_are_ok() {
        for (id, session) in [
            ("AKIAIOSFODNN7EXAMPLE", false),
            ("ASIAIOSFODNN7EXAMPLE", true),
        ] {
            let f = run("us-gov-west-1", id, session);
            assert!(f.iter().all(|f| f.level == Level::Ok), "{f:?}");
        }
    }

    #[test]
    fn a_region_not_in_aws_form_is_named() {
        let f = run("US East", "AKIAIOSFODNN7EXAMPLE", false);
        assert!(texts(&f, Level::Fail).contains("`US East` is not a region name"));
        assert!(f.iter().any(|f| f.stops));
    }

    #[test]
    fn a_temporary_key_without_its_session_token_is_named() {
        let f = run("eu-west-1", "ASIAIOSFODNN7EXAMPLE", false);
        assert!(texts(&f, Level::Fail).contains("no session token is stored"));
    }

    #[test]
    fn an_access_key_id_not_in_aws_form_is_named() {
        let f = run("eu-west-1", "akia-short", false);
        assert!(texts(&f, Level::Fail).contains("`akia-short` is not 20 uppercase"));
        let f = run("eu-west-1", "AKIAIOSFODNN7EXAMPLE", true);
        assert!(texts(&f, Level::Warn).contains("long-term key, but a session token"));
    }
}
