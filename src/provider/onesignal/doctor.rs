//! OneSignal: the app id is a UUID, and the key is one that can send for an app — a current app
//! key (`os_v2_app_…`) or a legacy REST API key, never an organization key (`os_v2_org_…`) —
//! used the way the `key_kind` setting says.

use crate::profile::{Profile, Secrets};
use crate::provider::doctor::{Finding, secret, setting};

pub fn inspect(profile: &Profile, secrets: &Secrets) -> Vec<Finding> {
    let mut findings = Vec::new();
    match setting(profile, "app_id", "app ID") {
        Err(f) => findings.push(f),
        Ok(id) if uuid::Uuid::try_parse(id).is_ok() && id.len() == 36 => {
            findings.push(Finding::ok(format!("The app ID {id} is a UUID.")));
        }
        Ok(id) => findings.push(
            Finding::fatal(format!(
                "The app ID `{id}` is not a UUID like 5eb5a37e-b458-11e3-ac11-000000000000."
            ))
            .with_detail("copy it from Settings > Keys & IDs"),
        ),
    }
    let key = match secret(profile, secrets, "api_key", "API key") {
        Ok(key) => key.trim(),
        Err(f) => {
            findings.push(f);
            return findings;
        }
    };
    let kind = profile.setting("key_kind").map(str::trim).unwrap_or("");
    findings.push(if key.starts_with("os_v2_org_") {
        Finding::fail("The key is an Organization key (os_v2_org_…): it manages apps but cannot send; use an App API key.")
            .with_detail("Settings > Keys & IDs > Add key, in the app itself")
    } else if key.starts_with("os_v2_app_") {
        match kind {
            "legacy" => Finding::fail(
                "The key is a current App API key (os_v2_app_…), but key_kind is legacy: it is sent the old way and refused.",
            )
            .with_detail("set key_kind to app, or clear it"),
            _ => Finding::ok("The key is a current App API key (os_v2_app_…)."),
        }
    } else {
        match kind {
            "app" => Finding::fail(
                "The key is not an os_v2_app_… key, but key_kind is app: a legacy key is refused that way.",
            )
            .with_detail("set key_kind to legacy, or create a current App API key"),
            _ => Finding::warn(
                "The key is a legacy REST API key: it works on the old API, which OneSignal is retiring.",
            )
            .with_detail("create a current App API key (os_v2_app_…) under Settings > Keys & IDs"),
        }
    });
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::doctor::Level;

    const APP: &str = "5eb5a37e-b458-11e3-ac11-000000000000";

    fn run(app_id: &str, key: &str, kind: Option<&str>) -> Vec<Finding> {
        let mut p = Profile::new("os", "onesignal");
        p.settings.insert("app_id".into(), app_id.into());
        if let Some(kind) = kind {
            p.settings.insert("key_kind".into(), kind.into());
        }
        let mut s = Secrets::default();
        s.insert("api_key", key.into());
        inspect(&p, &s)
    }

    use crate::finding::texts_at as level_of;

    #[test]
    fn a_current_app_key_is_ok() {
        let f = run(APP, "os_v2_app_abcdef", None);
        assert!(f.iter().all(|f| f.level == Level::Ok), "{f:?}");
    }

    #[test]
    fn an_app_id_that_is_not_a_uuid_is_named() {
        let f = run("my-app", "os_v2_app_abcdef", None);
        assert!(level_of(&f, Level::Fail).contains("`my-app` is not a UUID"));
    }

    #[test]
    fn an_organization_key_is_named() {
        let f = run(APP, "os_v2_org_abcdef", None);
        assert!(level_of(&f, Level::Fail).contains("Organization key"));
    }

    #[test]
    fn a_legacy_key_warns_and_a_kind_that_contradicts_the_key_is_named() {
        assert!(
            level_of(&run(APP, "NGEwMGZmMjItY2NkNy0xMWUz", None), Level::Warn)
                .contains("legacy REST API key")
        );
        assert!(
            level_of(
                &run(APP, "NGEwMGZmMjItY2NkNy0xMWUz", Some("app")),
                Level::Fail
            )
            .contains("key_kind is app")
        );
        assert!(
            level_of(&run(APP, "os_v2_app_abc", Some("legacy")), Level::Fail)
                .contains("key_kind is legacy")
        );
    }
}
