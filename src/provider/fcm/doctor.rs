//! FCM: the service-account key has what a token exchange needs, and names the profile's
//! project. The exchange itself (a token with the messaging scope) is the read-only call.

use serde_json::Value;

use crate::profile::{Profile, Secrets};
use crate::provider::doctor::{Finding, secret};

const SECRET: &str = "service_account_json";

pub fn inspect(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let text = match secret(profile, secrets, SECRET, "service-account key") {
        Ok(text) => text,
        Err(f) => return vec![f],
    };
    let key: Value = match serde_json::from_str(text.trim()) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) | Err(_) => {
            return vec![
                Finding::fatal(
                    "The service-account key is not JSON: paste the whole file downloaded from Firebase.",
                )
                .with_detail("Project settings > Service accounts > Generate new private key"),
            ];
        }
    };
    let field = |name: &str| {
        key.get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
    };
    let mut findings = Vec::new();
    match field("type") {
        Some("service_account") => {}
        other => findings.push(Finding::fatal(format!(
            "The key's type is `{}`, not `service_account`: it is another kind of Google credential.",
            other.unwrap_or("(none)")
        ))),
    }
    for (name, why) in [
        ("client_email", "the account the token is issued to"),
        ("token_uri", "where the token is asked for"),
    ] {
        if field(name).is_none() {
            findings.push(Finding::fatal(format!("The key has no {name} ({why}).")));
        }
    }
    match field("private_key") {
        None => findings.push(Finding::fatal("The key has no private_key.")),
        Some(pem) => {
            if let Err(e) = jsonwebtoken::EncodingKey::from_rsa_pem(pem.as_bytes()) {
                findings.push(
                    Finding::fatal("The key's private_key is not an RSA private key.")
                        .with_detail(e.to_string()),
                );
            }
        }
    }
    // Whatever else the sender checks (a token_uri it may call, …), said in its words.
    if findings.is_empty()
        && let Err(e) = super::validate_service_account(text)
    {
        findings.push(Finding::fatal("The service-account key cannot be used.").with_detail(e));
    }
    if findings.is_empty() {
        findings.push(Finding::ok(format!(
            "The service-account key of {} is complete and its private key parses.",
            field("client_email").unwrap_or_default()
        )));
    }
    findings.push(project(profile, field("project_id")));
    findings
}

/// The project the sends go to: the profile's, which must be the key's own.
fn project(profile: &Profile, in_key: Option<&str>) -> Finding {
    let in_profile = profile
        .setting("project_id")
        .map(str::trim)
        .filter(|v| !v.is_empty());
    match (in_profile, in_key) {
        (Some(p), Some(k)) if p == k => Finding::ok(format!("The key belongs to project {p}.")),
        (Some(p), Some(k)) => Finding::fail(format!(
            "The profile sends to project {p}, but the key belongs to project {k}: FCM will refuse the sends."
        ))
        .with_detail("clear project_id to use the key's project, or store a key of that project"),
        (None, Some(k)) => Finding::ok(format!("Sends go to the key's project, {k}.")),
        (Some(p), None) => Finding::warn(format!(
            "The key names no project; sends go to the profile's project {p}."
        )),
        (None, None) => Finding::fatal(
            "Neither the key nor the profile names a project: set project_id in the profile.",
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::provider::doctor::Level;

    const PRIVATE_KEY: &str = include_str!("../../../tests/fixtures/fcm_test_key.pem");

    fn key() -> Value {
        json!({
            "type": "service_account",
            "project_id": "acme-push",
            "private_key": PRIVATE_KEY,
            "client_email": "pushdeck@acme-push.iam.gserviceaccount.com",
            "token_uri": "https://oauth2.googleapis.com/token"
        })
    }

    fn run(key: &Value, project: Option<&str>) -> Vec<Finding> {
        let mut p = Profile::new("acme", "fcm");
        if let Some(id) = project {
            p.settings.insert("project_id".into(), id.into());
        }
        let mut s = Secrets::default();
        s.insert(SECRET, key.to_string());
        inspect(&p, &s)
    }

    fn failing(f: &[Finding]) -> String {
        crate::finding::texts_at(f, Level::Fail)
    }

    #[test]
    fn a_complete_key_of_the_profiles_project_is_ok() {
        let f = run(&key(), Some("acme-push"));
        assert!(f.iter().all(|f| f.level == Level::Ok), "{f:?}");
    }

    #[test]
    fn each_missing_or_broken_part_is_named() {
        for (part, value, named) in [
            (
                "type",
                json!("authorized_user"),
                "type is `authorized_user`",
            ),
            ("client_email", Value::Null, "no client_email"),
            ("token_uri", Value::Null, "no token_uri"),
            ("private_key", Value::Null, "no private_key"),
            (
                "private_key",
                json!("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
                "not an RSA private key",
            ),
        ] {
            let mut k = key();
            k[part] = value;
            let f = run(&k, None);
            assert!(failing(&f).contains(named), "{part}: {f:?}");
            assert!(f.iter().any(|f| f.stops), "{part}");
        }
    }

    #[test]
    fn text_that_is_not_json_is_named() {
        let mut s = Secrets::default();
        s.insert(SECRET, "{not json".into());
        let f = inspect(&Profile::new("acme", "fcm"), &s);
        assert!(failing(&f).contains("not JSON"), "{f:?}");
    }

    #[test]
    fn a_key_of_another_project_is_named() {
        let f = run(&key(), Some("other-project"));
        assert!(
            failing(&f).contains(
                "sends to project other-project, but the key belongs to project acme-push"
            ),
            "{f:?}"
        );
        assert!(!f.iter().any(|f| f.stops));
    }
}
