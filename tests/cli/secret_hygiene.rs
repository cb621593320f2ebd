//! Secret hygiene, end to end through the real CLI: a scripted session that uses every provider
//! (`pushdeck providers --json`) with distinctive fake secrets, logs at trace level, against a
//! server that echoes every request back (headers included) and against a closed port. Afterwards
//! no secret may appear in any file under the config, data and cache folders, in standard output
//! or error, or in `--json` output without `--reveal`; with `--reveal` the request does show it
//! (so this test can fail). Also: plain http to a non-loopback host is refused, and without a
//! keyring the CLI explains, works with session-only secrets and writes none to disk.

use crate::support as common;
use crate::support::fault_server;
use crate::support::stand_ins::ntfy as ntfy_stand_in;

use std::collections::BTreeMap;
use std::process::Output;

use common::{Sandbox, closed_port, stdout_json};
use fault_server::{Fault, FaultServer};
use serde_json::{Value, json};

const APNS_KEY: &str = include_str!("../fixtures/apns_test_key.p8");
const FCM_KEY: &str = include_str!("../fixtures/fcm_test_key.pem");
const DEVICE: &str = "740f4707bebcf74f9b7c25d48e3358945f6aa01da5ddb387462c7eaf61bb78ad";

/// One provider's part of the session.
struct Setup {
    id: String,
    settings: Vec<(&'static str, String)>,
    /// Secret field → value, given as `PUSHDECK_<FIELD>`.
    secrets: BTreeMap<String, String>,
    /// Strings that must never be shown: the values, and the key material inside them.
    needles: Vec<String>,
    /// Values a request carries as they are, so `--reveal` must show them.
    verbatim: Vec<String>,
    audience: Value,
    options: Value,
}

fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines()
        .filter(|l| !l.starts_with("-----") && l.len() >= 20)
        .map(str::to_string)
        .collect()
}

fn setup(id: &str) -> Setup {
    let mut s = Setup {
        id: id.to_string(),
        settings: Vec::new(),
        secrets: BTreeMap::new(),
        needles: Vec::new(),
        verbatim: Vec::new(),
        audience: json!({}),
        options: json!({}),
    };
    let secret = |s: &mut Setup, field: &str, value: String, verbatim: bool| {
        s.needles.push(value.clone());
        if verbatim {
            s.verbatim.push(value.clone());
        }
        s.secrets.insert(field.to_string(), value);
    };
    match id {
        "onesignal" => {
            s.settings
                .push(("app_id", "8a7b3c2d-1e0f-4a5b-9c8d-944455556666".into()));
            secret(
                &mut s,
                "api_key",
                "os_v2_app_HYGIENEonesignal0123456789abcdefghijk".into(),
                true,
            );
            s.audience = json!({"segments": ["Active Users"]});
        }
        "azure" => {
            s.settings.push(("hub", "acme-hub".into()));
            let key = "HygieneAzureKey0123456789+/abcdefghijkl=";
            secret(
                &mut s,
                "connection_string",
                format!(
                    "Endpoint=sb://acme-ns.servicebus.windows.net/;SharedAccessKeyName=DefaultFullSharedAccessSignature;SharedAccessKey={key}"
                ),
                false,
            );
            s.needles.push(key.into());
            s.audience = json!({"tags": ["vip"]});
            s.options = json!({"format": "fcmv1"});
        }
        "telegram" => {
            secret(
                &mut s,
                "bot_token",
                "7012345678:AAHhygieneTelegramToken_0123456789".into(),
                true,
            );
            s.audience = json!({"chat_ids": [42]});
        }
        "pushbullet" => {
            secret(
                &mut s,
                "access_token",
                "o.HYGIENEpushbullet0123456789abcdef".into(),
                true,
            );
        }
        "courier" => {
            secret(
                &mut s,
                "auth_token",
                "pk_HYGIENE_courier0123456789ABCDEFG".into(),
                true,
            );
            s.audience = json!({"to": {"email": "ada@example.com"}});
        }
        "sns" => {
            s.settings.push(("region", "us-east-1".into()));
            s.settings
                .push(("access_key_id", "AKIAIOSFODNN7EXAMPLE".into()));
            secret(
                &mut s,
                "secret_access_key",
                "HygieneSnsSecretKey0123456789abcdefghijk".into(),
                false,
            );
            // The session token travels as it is (X-Amz-Security-Token).
            secret(
                &mut s,
                "session_token",
                "HygieneSnsSessionToken0123456789abcdefgh".into(),
                true,
            );
            s.audience = json!({"topic_arn": "arn:aws:sns:us-east-1:123456789012:Builds"});
        }
        "fcm" => {
            s.settings.push(("project_id", "acme-push".into()));
            let account = json!({
                "type": "service_account",
                "project_id": "acme-push",
                "private_key_id": "4f1c2a9e8d7b6a5c",
                "private_key": FCM_KEY,
                "client_email": "pushdeck@acme-push.iam.gserviceaccount.com",
                "token_uri": "https://oauth2.googleapis.com/token"
            })
            .to_string();
            secret(&mut s, "service_account_json", account, false);
            s.needles.extend(pem_lines(FCM_KEY));
            s.audience = json!({"topic": "news"});
        }
        "apns" => {
            s.settings.push(("key_id", "ABC123DEFG".into()));
            s.settings.push(("team_id", "DEF123GHIJ".into()));
            s.settings.push(("topic", "com.example.app".into()));
            s.settings.push(("environment", "sandbox".into()));
            secret(&mut s, "signing_key_p8", APNS_KEY.into(), false);
            s.needles.extend(pem_lines(APNS_KEY));
            s.audience = json!({"device_tokens": [DEVICE]});
        }
        "ntfy" => {
            secret(
                &mut s,
                "access_token",
                "tk_HYGIENEntfy0123456789abcdefghijk".into(),
                true,
            );
            s.audience = json!({"topic": "private-ci"});
        }
        "webpush" => {
            use pushdeck::provider::webpush::vapid::VapidKey;
            let key = VapidKey::generate().expect("a VAPID key");
            let receiver = VapidKey::generate().expect("a receiver key");
            s.settings
                .push(("subject", "mailto:ops@example.com".into()));
            s.settings.push(("vapid_public_key", key.public_key_b64()));
            secret(
                &mut s,
                "vapid_private_key",
                key.private_key_b64().expect("export"),
                false,
            );
            s.audience = json!({"subscriptions": [{
                "endpoint": "https://push.example.com/send/hygiene-subscription",
                "keys": {"p256dh": receiver.public_key_b64(), "auth": "8eDyX_uCN0XRhSbY5hs7Hg"}
            }]});
        }
        other => panic!(
            "provider `{other}` has no part in the secret hygiene session: add its settings, secrets and audience here"
        ),
    }
    s
}

/// The session's runs: every command's output, kept for the checks.
struct Session {
    sandbox: Sandbox,
    /// stdout and stderr of every run without `--reveal`.
    shown: Vec<(String, String)>,
    /// stdout of runs with `--reveal`, by provider.
    revealed: Vec<(String, String)>,
    history_ids: Vec<String>,
}

impl Session {
    fn run(&mut self, s: &Setup, args: &[&str]) -> Output {
        let mut cmd = self.sandbox.cmd();
        cmd.args(args)
            .env("PUSHDECK_LOG", "trace")
            .env("RUST_LOG", "trace")
            .env("RUST_BACKTRACE", "1");
        for (field, value) in &s.secrets {
            cmd.env(format!("PUSHDECK_{}", field.to_ascii_uppercase()), value);
        }
        let out = cmd.output().expect("pushdeck runs");
        let what = format!("{} `{}`", s.id, args.join(" "));
        let text = format!(
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if args.contains(&"--reveal") {
            self.revealed.push((what, text));
        } else {
            self.shown.push((what, text));
        }
        out
    }

    fn profile(&mut self, s: &Setup, base_url: &str) {
        let mut args: Vec<String> = [
            "profile",
            "add",
            s.id.as_str(),
            "--provider",
            s.id.as_str(),
            "--base-url",
            base_url,
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        for (k, v) in &s.settings {
            args.push("--set".into());
            args.push(format!("{k}={v}"));
        }
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.run(s, &refs);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn send_json(&mut self, s: &Setup, draft: &str) -> Value {
        let out = self.run(s, &["send", "--json", "--timeout", "5", draft]);
        assert!(
            matches!(out.status.code(), Some(1 | 3)),
            "{}: the echo server refuses everything: {}",
            s.id,
            String::from_utf8_lossy(&out.stderr)
        );
        let doc = stdout_json(&out);
        if let Some(id) = doc["history_id"].as_str() {
            self.history_ids.push(id.to_string());
        }
        doc
    }
}

fn provider_ids(sandbox: &Sandbox) -> Vec<String> {
    let out = sandbox.run(&["providers", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    stdout_json(&out)["providers"]
        .as_array()
        .expect("providers")
        .iter()
        .map(|p| p["id"].as_str().expect("id").to_string())
        .collect()
}

#[test]
fn no_secret_leaks_from_a_session_with_every_provider() {
    let echo = FaultServer::start(Fault::Echo("401 Unauthorized"));
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let mut session = Session {
        sandbox: Sandbox::with(common::Keyring::None, None),
        shown: Vec::new(),
        revealed: Vec::new(),
        history_ids: Vec::new(),
    };
    let ids = provider_ids(&session.sandbox);
    assert!(ids.len() >= 9, "{ids:?}");
    let setups: Vec<Setup> = ids.iter().map(|id| setup(id)).collect();
    for s in &setups {
        let draft = session
            .sandbox
            .write(
                &format!("{}.json", s.id),
                &json!({
                    "profile": s.id,
                    "message": {"title": "Hygiene", "body": "No secret leaves", "url": "https://example.com/x"},
                    "audience": s.audience,
                    "options": s.options,
                })
                .to_string(),
            )
            .to_string_lossy()
            .into_owned();
        // Against the echo server: every request comes back quoted in the answer.
        session.profile(s, &echo.base_url());
        for args in [
            vec!["preview", draft.as_str()],
            vec!["preview", "--json", &draft],
            vec!["preview", "--curl", &draft],
            vec!["send", "--timeout", "5", &draft],
            vec!["check", &s.id],
            vec!["check", "--json", "--timeout", "5", &s.id],
            vec!["profile", "list", "--json"],
        ] {
            session.run(s, &args);
        }
        let doc = session.send_json(s, &draft);
        assert!(!doc["results"].as_array().expect("results").is_empty());
        // With --reveal the request shows what was sent (the history still keeps it masked).
        let revealed = session.run(s, &["preview", "--json", "--reveal", &draft]);
        let masked = session.run(s, &["preview", "--json", &draft]);
        // Whatever the preview masks, --reveal shows (FCM's preview has nothing to mask: its
        // token is a placeholder until a send fetches one).
        if String::from_utf8_lossy(&masked.stdout).contains(pushdeck::http::REDACTION) {
            assert_ne!(
                revealed.stdout, masked.stdout,
                "{}: --reveal shows nothing more than the redacted preview",
                s.id
            );
        } else {
            assert!(s.verbatim.is_empty(), "{}: the preview masks nothing", s.id);
        }
        let sent = session.run(s, &["send", "--json", "--reveal", "--timeout", "5", &draft]);
        if let Some(id) = stdout_json(&sent)["history_id"].as_str() {
            session.history_ids.push(id.to_string());
        }
        for v in &s.verbatim {
            let text = String::from_utf8_lossy(&revealed.stdout);
            assert!(
                text.contains(v.as_str()),
                "{}: preview --reveal does not show the secret",
                s.id
            );
        }
        // Against a closed port: a transport failure.
        session.profile(s, &closed);
        session.send_json(s, &draft);
        session.run(s, &["check", "--json", "--timeout", "5", &s.id]);
    }
    let ids = session.history_ids.clone();
    assert!(
        ids.len() >= setups.len() * 2,
        "sends were recorded: {ids:?}"
    );
    let any = &setups[0];
    for id in &ids {
        session.run(any, &["history", "show", id, "--json"]);
        session.run(any, &["history", "show", id]);
    }
    session.run(any, &["history", "list", "--json"]);
    session.run(any, &["history", "list"]);

    // The echo server did get the secrets (so the checks below look for something real).
    let received = echo.requests().concat();
    let mut verbatim_seen = 0;
    for s in &setups {
        for v in &s.verbatim {
            if received.contains(v.as_str()) {
                verbatim_seen += 1;
            }
        }
    }
    assert!(
        verbatim_seen >= 5,
        "the echo server saw {verbatim_seen} secrets"
    );

    let mut leaks = Vec::new();
    for s in &setups {
        for needle in &s.needles {
            for file in session.sandbox.files_containing(needle) {
                leaks.push(format!(
                    "{}: a secret is in the file {}",
                    s.id,
                    file.display()
                ));
            }
            for (what, text) in &session.shown {
                if text.contains(needle.as_str()) {
                    let at = text.find(needle.as_str()).unwrap_or(0);
                    let start = (0..=at.saturating_sub(200))
                        .rev()
                        .find(|i| text.is_char_boundary(*i))
                        .unwrap_or(0);
                    let context: String = text[start..].chars().take(300).collect();
                    leaks.push(format!(
                        "{}: a secret is in the output of {what}: …{context}…",
                        s.id
                    ));
                }
            }
        }
    }
    assert!(
        session.sandbox.file_count() > setups.len(),
        "the session wrote files to look at"
    );
    assert!(
        session
            .shown
            .iter()
            .any(|(_, t)| t.contains("TRACE") || t.contains("DEBUG")),
        "the runs logged at trace level"
    );
    let needles: usize = setups.iter().map(|s| s.needles.len()).sum();
    let output: usize = session.shown.iter().map(|(_, t)| t.len()).sum();
    eprintln!(
        "secret hygiene: {} providers, {} runs of pushdeck ({} with --reveal), {} files and {} KB of output (logs at trace level) searched for {needles} secret strings: {} leaks",
        setups.len(),
        session.shown.len() + session.revealed.len(),
        session.revealed.len(),
        session.sandbox.file_count(),
        output / 1024,
        leaks.len()
    );
    assert!(
        leaks.is_empty(),
        "{} leaks:\n{}",
        leaks.len(),
        leaks.join("\n")
    );
}

#[test]
fn plain_http_to_a_non_loopback_host_is_refused() {
    let sandbox = Sandbox::new();
    for url in [
        "http://example.com",
        "http://10.0.0.1:8080",
        "http://api.onesignal.com/",
    ] {
        let out = sandbox.run(&[
            "profile",
            "add",
            "clear",
            "--provider",
            "ntfy",
            "--base-url",
            url,
        ]);
        assert_eq!(out.status.code(), Some(2), "{url}");
        let err = common::stderr(&out);
        assert!(err.contains("only allowed"), "{url}: {err}");
    }
    assert!(
        !sandbox.config_dir().join("profiles.json").exists(),
        "nothing was saved"
    );
    // A profiles file edited by hand is refused at send time, before any network.
    std::fs::write(
        sandbox.config_dir().join("profiles.json"),
        json!({"profiles": {"clear": {"provider": "ntfy", "base_url": "http://example.com"}}})
            .to_string(),
    )
    .expect("write");
    let draft = sandbox.write(
        "clear.json",
        &json!({"profile": "clear", "message": {"body": "hi"}, "audience": {"topic": "t"}})
            .to_string(),
    );
    let out = sandbox
        .cmd()
        .args(["send", "--json"])
        .arg(&draft)
        .env("PUSHDECK_ACCESS_TOKEN", "tk_neverovercleartext0123456789")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("only allowed"),
        "{}",
        common::stderr(&out)
    );
}

/// With a session bus address that leads nowhere, no keyring answers: `secret set` explains and
/// stores nothing, a send works with the secret from the environment, and no file holds it.
#[test]
fn without_a_keyring_secrets_stay_in_the_session() {
    use ntfy_stand_in::{NtfyStandIn, TOKEN};
    let standin = NtfyStandIn::start();
    let sandbox = Sandbox::with(common::Keyring::None, None);
    let nowhere = format!(
        "unix:path={}",
        sandbox.dir.path().join("runtime/no-such-bus").display()
    );
    let cmd = || {
        let mut c = sandbox.cmd();
        c.env("DBUS_SESSION_BUS_ADDRESS", &nowhere);
        c
    };
    cmd()
        .args([
            "profile",
            "add",
            "alerts",
            "--provider",
            "ntfy",
            "--base-url",
        ])
        .arg(standin.base_url())
        .assert()
        .success();
    let out = cmd()
        .args(["secret", "set", "alerts", "access_token"])
        .write_stdin(TOKEN)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(err.contains("no keyring"), "{err}");
    assert!(err.contains("Nothing was stored"), "{err}");
    assert!(
        err.contains("PUSHDECK_ACCESS_TOKEN"),
        "the way out is named: {err}"
    );

    let draft = sandbox.write(
        "private.json",
        &json!({"profile": "alerts", "message": {"title": "Build", "body": "Passed"}, "audience": {"topic": "private-ci"}}).to_string(),
    );
    let out = cmd()
        .args(["send", "--json"])
        .arg(&draft)
        .env("PUSHDECK_ACCESS_TOKEN", TOKEN)
        .env("PUSHDECK_LOG", "trace")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    assert_eq!(stdout_json(&out)["results"][0]["outcome"]["ok"], true);
    standin.assert_no_problems();
    let seen = standin.requests();
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str()),
        "the session-only secret was used"
    );
    let out = cmd()
        .args(["history", "list", "--json"])
        .output()
        .expect("runs");
    assert_eq!(
        stdout_json(&out)["history"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(sandbox.file_count() > 0);
    assert!(
        sandbox.files_containing(TOKEN).is_empty(),
        "the secret was written to disk"
    );
}
