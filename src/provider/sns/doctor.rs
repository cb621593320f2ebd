//! Amazon SNS: the region's form, the access key id's kind (AKIA… long-term, ASIA… temporary)
//! and the session token temporary keys need; with a draft, that its topic or endpoint ARN is
//! in the profile's region (SNS answers a foreign-region ARN with a bare InvalidParameter).

use serde_json::{Map, Value};

use crate::profile::{Profile, Secrets};
use crate::provider::doctor::{Finding, secret, setting, upper_alnum};

pub fn inspect(
    profile: &Profile,
    secrets: &Secrets,
    audience: Option<&Map<String, Value>>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    match setting(profile, "region", "region") {
        Err(f) => findings.push(f),
        Ok(region) if is_region(region) => {
            findings.push(Finding::ok(format!("The region {region} has AWS's form.")));
            findings.extend(audience.into_iter().flat_map(|a| arns(a, region)));
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

/// The draft's topic and endpoint ARNs: `arn:PARTITION:sns:REGION:ACCOUNT:NAME`, in `region`.
fn arns(audience: &Map<String, Value>, region: &str) -> Vec<Finding> {
    ["topic_arn", "target_arn"]
        .iter()
        .filter_map(|key| Some((*key, audience.get(*key)?.as_str()?.trim())))
        .filter(|(_, arn)| !arn.is_empty())
        .map(|(key, arn)| {
            let parts: Vec<&str> = arn.splitn(6, ':').collect();
            match parts.as_slice() {
                ["arn", "aws" | "aws-cn" | "aws-us-gov", "sns", r, account, name]
                    if account.len() == 12
                        && account.bytes().all(|b| b.is_ascii_digit())
                        && !name.is_empty() =>
                {
                    if *r == region {
                        Finding::ok(format!("The draft's {key} is in {region}, as the profile is."))
                    } else {
                        Finding::fail(format!(
                            "The draft's {key} is in {r}, but the profile sends to {region}: SNS refuses an ARN from another region."
                        ))
                        .with_detail(format!(
                            "set the profile's region to {r}, or use the ARN of the topic in {region}"
                        ))
                    }
                }
                _ => Finding::fail(format!(
                    "The draft's {key} `{arn}` is not an SNS ARN (arn:aws:sns:REGION:ACCOUNT:NAME)."
                ))
                .with_detail("copy the ARN from the SNS console (Topics, or the endpoint's page)"),
            }
        })
        .collect()
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
        inspect(&p, &s, None)
    }

    #[test]
    fn a_draft_arn_from_another_region_or_not_an_arn_is_named() {
        let mut p = Profile::new("aws", "sns");
        p.settings.insert("region".into(), "eu-west-1".into());
        p.settings
            .insert("access_key_id".into(), "AKIAIOSFODNN7EXAMPLE".into());
        let mut s = Secrets::default();
        s.insert(
            "secret_access_key",
            "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY".into(),
        );
        let audience = |key: &str, arn: &str| {
            let mut m = Map::new();
            m.insert(key.into(), arn.into());
            m
        };
        let here = audience("topic_arn", "arn:aws:sns:eu-west-1:123456789012:sale");
        let f = inspect(&p, &s, Some(&here));
        assert!(texts(&f, Level::Fail).is_empty(), "{f:?}");
        assert!(texts(&f, Level::Ok).contains("topic_arn is in eu-west-1"));

        let there = audience(
            "target_arn",
            "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/1",
        );
        let f = inspect(&p, &s, Some(&there));
        assert!(
            texts(&f, Level::Fail)
                .contains("target_arn is in us-east-1, but the profile sends to eu-west-1"),
            "{f:?}"
        );

        let junk = audience("topic_arn", "sale-topic");
        let f = inspect(&p, &s, Some(&junk));
        assert!(
            texts(&f, Level::Fail).contains("is not an SNS ARN"),
            "{f:?}"
        );
    }

    use crate::finding::texts_at as texts;

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
