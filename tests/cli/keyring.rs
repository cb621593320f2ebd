//! Secrets in the REAL keyring (Secret Service). The ignored tests need an unlocked Secret Service
//! on the session bus: `scripts/test` runs them inside `dbus-run-session` with gnome-keyring.
//! The zbus Secret Service store of keyring 4 labels items with the attributes `service` and
//! `username` (zbus-secret-service-keyring-store, `cred.rs`), so `secret-tool lookup service
//! pushdeck username PROFILE/FIELD` finds what `pushdeck secret set` stored.

use crate::support as common;
use crate::support::assert_exit;

use std::process::{Command, Stdio};

use common::{API_KEY, Keyring, OneSignalStandIn, Sandbox, stderr, stdout};

const NEEDS_KEYRING: &str = "needs a Secret Service: run by scripts/test";

/// A profile name of its own per test: the keyring is shared by tests running in parallel.
pub fn unique(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// A secret value of its own per test, shaped like an App API key.
fn unique_key() -> String {
    format!("os_v2_app_{}", uuid::Uuid::new_v4().simple())
}

pub fn require_session_bus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "no DBUS_SESSION_BUS_ADDRESS: these tests need an unlocked Secret Service; {NEEDS_KEYRING}"
    );
}

/// `secret-tool lookup service pushdeck username PROFILE/FIELD`: the stored value, or None.
fn lookup(profile: &str, field: &str) -> Option<String> {
    let output = Command::new("timeout")
        .args([
            "20",
            "secret-tool",
            "lookup",
            "service",
            "pushdeck",
            "username",
        ])
        .arg(format!("{profile}/{field}"))
        .stdin(Stdio::null())
        .output()
        .expect("secret-tool runs (Debian package libsecret-tools)");
    assert_ne!(
        output.status.code(),
        Some(124),
        "secret-tool timed out: is the keyring locked?"
    );
    let value = String::from_utf8_lossy(&output.stdout).into_owned();
    (output.status.success() && !value.is_empty()).then_some(value)
}

/// A keyring-backed sandbox with a OneSignal profile (no `PUSHDECK_API_KEY`).
fn keyring_sandbox(profile: &str, base_url: &str) -> Sandbox {
    require_session_bus();
    let sandbox = Sandbox::with(Keyring::Real, None);
    sandbox.add_profile(profile, base_url);
    sandbox
}

fn set_secret(sandbox: &Sandbox, profile: &str, value: &str) {
    let output = sandbox
        .cmd()
        .args(["secret", "set", profile, "api_key"])
        .write_stdin(format!("{value}\n"))
        .output()
        .expect("runs");
    crate::support::assert_exit_output(&output, 0);
    assert!(
        stdout(&output).contains("Stored api_key"),
        "{}",
        stdout(&output)
    );
    assert!(!stdout(&output).contains(value) && !stderr(&output).contains(value));
}

fn assert_no_file_has(sandbox: &Sandbox, secret: &str) {
    let found = sandbox.files_containing(secret);
    assert!(found.is_empty(), "the secret was written to {found:?}");
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn secret_set_stores_in_the_keyring_and_delete_removes_it() {
    let profile = unique("set");
    let secret = unique_key();
    let sandbox = keyring_sandbox(&profile, "http://127.0.0.1:9");
    set_secret(&sandbox, &profile, &secret);
    assert_eq!(
        lookup(&profile, "api_key").as_deref(),
        Some(secret.as_str()),
        "stored without the newline"
    );

    // Setting again replaces the value rather than adding a second item.
    let replacement = unique_key();
    set_secret(&sandbox, &profile, &replacement);
    assert_eq!(
        lookup(&profile, "api_key").as_deref(),
        Some(replacement.as_str())
    );

    let output = sandbox.run(&["secret", "delete", &profile, "api_key"]);
    assert_exit(&output, 0);
    assert!(
        stdout(&output).contains("Deleted api_key"),
        "{}",
        stdout(&output)
    );
    assert_eq!(lookup(&profile, "api_key"), None);

    let again = sandbox.run(&["secret", "delete", &profile, "api_key"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(
        stdout(&again).contains("No api_key was stored"),
        "{}",
        stdout(&again)
    );
    assert_no_file_has(&sandbox, &secret);
    assert_no_file_has(&sandbox, &replacement);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn profile_remove_deletes_its_secrets() {
    let profile = unique("remove");
    let secret = unique_key();
    let sandbox = keyring_sandbox(&profile, "http://127.0.0.1:9");
    set_secret(&sandbox, &profile, &secret);
    assert!(lookup(&profile, "api_key").is_some());

    let output = sandbox.run(&["profile", "remove", &profile]);
    crate::support::assert_exit_output(&output, 0);
    assert_eq!(
        lookup(&profile, "api_key"),
        None,
        "profile remove must delete the secret"
    );
    let list = sandbox.run(&["profile", "list", "--json"]);
    assert!(!stdout(&list).contains(&profile), "{}", stdout(&list));
    assert_no_file_has(&sandbox, &secret);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn send_uses_the_key_from_the_keyring() {
    let standin = OneSignalStandIn::start();
    let profile = unique("send");
    let sandbox = keyring_sandbox(&profile, &standin.base_url());
    set_secret(&sandbox, &profile, API_KEY);

    let output = sandbox
        .cmd()
        .args(["send", "--json"])
        .arg(sandbox.draft(&profile))
        .output()
        .expect("runs");
    crate::support::assert_exit_output(&output, 0);
    let seen = standin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Key {API_KEY}").as_str())
    );
    standin.assert_no_problems();
    assert!(!stdout(&output).contains(API_KEY));

    let check = sandbox.run(&["check", &profile]);
    assert_eq!(check.status.code(), Some(0), "{}", stdout(&check));
    assert!(stdout(&check).contains("Key works"));

    let cleanup = sandbox.run(&["profile", "remove", &profile]);
    assert_eq!(cleanup.status.code(), Some(0));
    assert_no_file_has(&sandbox, API_KEY);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn no_file_ever_holds_the_secret() {
    // Everything that touches the key, then a scan of every file Pushdeck wrote.
    let secret = unique_key();
    let standin = OneSignalStandIn::start_for(common::APP_ID, &secret);
    let profile = unique("disk");
    let sandbox = keyring_sandbox(&profile, &standin.base_url());
    set_secret(&sandbox, &profile, &secret);

    let run = |args: &[&str]| {
        let output = sandbox.cmd().args(args).output().expect("runs");
        assert!(
            !stdout(&output).contains(&secret) && !stderr(&output).contains(&secret),
            "{args:?} printed the secret"
        );
        output
    };
    let draft = sandbox.draft(&profile);
    let draft = draft.to_str().expect("utf-8 path");
    assert_eq!(run(&["send", draft]).status.code(), Some(0));
    assert_eq!(run(&["send", "--json", draft]).status.code(), Some(0));
    assert_eq!(run(&["send", "--dry-run", draft]).status.code(), Some(0));
    assert_eq!(run(&["preview", draft]).status.code(), Some(0));
    assert_eq!(run(&["preview", "--curl", draft]).status.code(), Some(0));
    assert_eq!(run(&["check", &profile]).status.code(), Some(0));
    assert_eq!(run(&["history", "list"]).status.code(), Some(0));
    assert_eq!(run(&["profile", "list", "--json"]).status.code(), Some(0));
    standin.set(common::Scenario::BadRequest(
        "Notification content must not be null for any languages.".into(),
    ));
    assert_eq!(run(&["send", draft]).status.code(), Some(1));
    assert_eq!(
        standin.hits(),
        4,
        "three sends and a check reached the stand-in"
    );
    standin.assert_no_problems();

    assert!(
        sandbox.file_count() >= 4,
        "profiles and three history entries are on disk"
    );
    assert_no_file_has(&sandbox, &secret);
    assert_eq!(run(&["profile", "remove", &profile]).status.code(), Some(0));
    assert_eq!(lookup(&profile, "api_key"), None);
    assert_no_file_has(&sandbox, &secret);
}

#[test]
fn secret_set_without_a_session_bus_stores_nothing() {
    let profile = unique("nobus");
    let secret = unique_key();
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_profile(&profile, "http://127.0.0.1:9");
    let no_bus = format!(
        "unix:path={}",
        sandbox.dir.path().join("no-such-bus").display()
    );
    let output = sandbox
        .cmd()
        .env("DBUS_SESSION_BUS_ADDRESS", &no_bus)
        .args(["secret", "set", &profile, "api_key"])
        .write_stdin(format!("{secret}\n"))
        .output()
        .expect("runs");
    let err = stderr(&output);
    assert_eq!(
        output.status.code(),
        Some(2),
        "stdout: {}\nstderr: {err}",
        stdout(&output)
    );
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one line expected:\n{err}"
    );
    assert!(err.contains("no keyring"), "{err}");
    assert!(err.contains("Nothing was stored"), "{err}");
    assert!(
        err.contains("PUSHDECK_API_KEY"),
        "the message points at the environment fallback: {err}"
    );
    assert!(!err.contains(&secret) && !stdout(&output).contains(&secret));
    assert_no_file_has(&sandbox, &secret);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn vapid_generate_keeps_the_private_key_in_the_keyring_only() {
    require_session_bus();
    let profile = unique("vapid");
    let sandbox = Sandbox::with(Keyring::Real, None);
    sandbox
        .cmd()
        .args([
            "profile",
            "add",
            &profile,
            "--provider",
            "webpush",
            "--set",
            "subject=mailto:ops@example.com",
        ])
        .assert()
        .success();
    let output = sandbox.run(&["vapid", "generate", &profile]);
    assert_exit(&output, 0);
    let public = stdout(&output).trim().to_string();
    assert_eq!(
        public.len(),
        87,
        "an uncompressed P-256 point, base64url: {public}"
    );
    let private = lookup(&profile, "vapid_private_key").expect("the private key is in the keyring");
    let key = pushdeck::provider::webpush::vapid::VapidKey::import(&private).expect("a usable key");
    assert_eq!(key.public_key_b64(), public, "the pair matches");
    // The public key is in the profile; the private key in no file.
    assert_eq!(sandbox.files_containing(&public).len(), 1);
    assert_no_file_has(&sandbox, &private);
    let check = sandbox.run(&["check", &profile]);
    crate::support::assert_exit_output(&check, 0);
    // A second generate would break every subscription: refused without --force.
    let again = sandbox.run(&["vapid", "generate", &profile]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    assert_eq!(
        lookup(&profile, "vapid_private_key").as_deref(),
        Some(private.as_str())
    );
    let forced = sandbox.run(&["vapid", "generate", &profile, "--force"]);
    assert_eq!(forced.status.code(), Some(0));
    assert_ne!(stdout(&forced).trim(), public);
    sandbox
        .cmd()
        .args(["profile", "remove", &profile])
        .assert()
        .success();
    assert_eq!(
        lookup(&profile, "vapid_private_key"),
        None,
        "removed with its profile"
    );
}
