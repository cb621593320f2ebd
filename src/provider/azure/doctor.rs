//! Azure Notification Hubs: the connection string's parts, and whether its policy can send —
//! a Listen-only key (`DefaultListenSharedAccessSignature`) is the classic mistake. The hub's
//! answer to the read-only call says whether the hub exists and what the key may do.

use super::parse_connection_string;
use crate::profile::{Profile, Secrets};
use crate::provider::doctor::{Finding, secret, setting};

pub fn inspect(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let mut findings = Vec::new();
    match setting(profile, "hub", "hub name") {
        Ok(hub) => findings.push(Finding::ok(format!("The hub is named {hub}."))),
        Err(f) => findings.push(f),
    }
    let text = match secret(profile, secrets, "connection_string", "connection string") {
        Ok(text) => text,
        Err(f) => {
            findings.push(f);
            return findings;
        }
    };
    let connection = match parse_connection_string(text) {
        Ok(c) => c,
        Err(e) => {
            findings.push(
                Finding::fatal("The connection string is incomplete or malformed.")
                    .with_detail(e.message),
            );
            return findings;
        }
    };
    findings.push(Finding::ok(format!(
        "The connection string has its Endpoint ({}), SharedAccessKeyName and SharedAccessKey.",
        connection.endpoint
    )));
    findings.push(policy(&connection.key_name));
    findings
}

/// What the policy's name says about its rights. Only the hub knows for sure; the names Azure
/// gives its default policies are telling.
fn policy(name: &str) -> Finding {
    let lower = name.to_ascii_lowercase();
    if lower == "defaultlistensharedaccesssignature"
        || (lower.contains("listen") && !lower.contains("full"))
    {
        Finding::warn(format!(
            "The policy {name} looks Listen-only: a Listen key cannot send."
        ))
        .with_detail("copy the DefaultFullSharedAccessSignature connection string (or one of a policy with Send) from the hub's Access Policies")
    } else if lower == "defaultfullsharedaccesssignature" {
        Finding::ok(format!("The policy {name} has Listen, Manage and Send."))
    } else {
        Finding::ok(format!(
            "The policy {name} is a custom one: the hub's answer below shows its rights."
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::doctor::Level;

    fn run(connection: &str) -> Vec<Finding> {
        let mut p = Profile::new("hub", "azure");
        p.settings.insert("hub".into(), "news".into());
        let mut s = Secrets::default();
        s.insert("connection_string", connection.into());
        inspect(&p, &s)
    }

    const FULL: &str = "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey=abc=";

    #[test]
    fn a_full_access_string_is_ok() {
        let f = run(FULL);
        assert!(f.iter().all(|f| f.level == Level::Ok), "{f:?}");
    }

    #[test]
    fn a_listen_only_policy_is_named() {
        let f = run(&FULL.replace("DefaultFull", "DefaultListen"));
        let warn = f
            .iter()
            .find(|f| f.level == Level::Warn)
            .expect("a warning");
        assert!(warn.text.contains("Listen-only"), "{f:?}");
    }

    #[test]
    fn a_missing_part_is_named() {
        let f = run(
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature",
        );
        let fail = f
            .iter()
            .find(|f| f.level == Level::Fail)
            .expect("a failure");
        assert!(fail.stops);
        assert!(
            fail.detail
                .as_deref()
                .is_some_and(|d| d.contains("SharedAccessKey= part is missing")),
            "{f:?}"
        );
    }

    #[test]
    fn a_missing_hub_is_named() {
        let mut s = Secrets::default();
        s.insert("connection_string", FULL.into());
        let f = inspect(&Profile::new("hub", "azure"), &s);
        assert!(
            f[0].level == Level::Fail && f[0].text.contains("No hub name"),
            "{f:?}"
        );
    }
}
