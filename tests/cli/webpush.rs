//! End to end: the real `pushdeck` binary against a local push service that verifies the VAPID
//! JWT and decrypts every message. The VAPID private key comes from `PUSHDECK_VAPID_PRIVATE_KEY`
//! (no keyring here); `vapid generate` with the real keyring is in tests/keyring_webpush.rs.

use crate::support as common;
use crate::support::assert_exit;
use crate::support::stand_ins::webpush as stand_in;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Keyring, Sandbox, stderr, stdout, stdout_json};
use pushdeck::provider::webpush::vapid::VapidKey;
use serde_json::{Value, json};
use stand_in::PushService;

const PROFILE: &str = "site";

/// A Web Push site: the stand-in push service, a sandbox with profile `site` and its VAPID key
/// (given to each run through the environment). Shared by the Web Push, resume and
/// subscriptions-file tests, each adding its own helpers in an `impl Setup` of its own.
pub(crate) struct Setup {
    pub(crate) service: PushService,
    pub(crate) sandbox: Sandbox,
    pub(crate) key: VapidKey,
}

impl Setup {
    pub(crate) fn new() -> Self {
        let service = PushService::start();
        let sandbox = Sandbox::with(Keyring::None, None);
        let key = VapidKey::generate().expect("key");
        sandbox.add_profile_at(
            PROFILE,
            "webpush",
            None,
            &[
                ("subject", "mailto:ops@example.com"),
                ("vapid_public_key", &key.public_key_b64()),
            ],
        );
        Self {
            service,
            sandbox,
            key,
        }
    }
}

impl Setup {
    pub(crate) fn run(&self, args: &[&str]) -> std::process::Output {
        self.sandbox
            .cmd()
            .args(args)
            .env(
                "PUSHDECK_VAPID_PRIVATE_KEY",
                self.key.private_key_b64().expect("export"),
            )
            .output()
            .expect("runs")
    }

    fn draft(&self, subscriptions: Vec<Value>, options: Value) -> String {
        let path = self.sandbox.write(
            "webpush.json",
            &json!({
                "profile": PROFILE,
                "message": {
                    "title": "Build 118", "body": "Passed in 4 min",
                    "url": "https://ci.example.com/118", "icon": "https://ci.example.com/i.png",
                    "buttons": [{"id": "logs", "label": "Logs", "url": "https://ci.example.com/118/log"}],
                    "data": {"build": 118}
                },
                "audience": {"subscriptions": subscriptions},
                "options": options
            })
            .to_string(),
        );
        path.to_string_lossy().into_owned()
    }
}

#[test]
fn sends_one_encrypted_message_per_subscription() {
    let s = Setup::new();
    let public = s.key.public_key_b64();
    let subs = vec![
        s.service.subscribe("ana", Some(&public)),
        s.service.subscribe("ben", Some(&public)),
    ];
    let draft = s.draft(
        subs,
        json!({"ttl": 600, "urgency": "high", "topic": "build-118"}),
    );
    let out = s.run(&["send", &draft, "--json"]);
    crate::support::assert_exit_output(&out, 0);
    assert!(
        s.service.problems().is_empty(),
        "{:?}",
        s.service.problems()
    );
    let delivered = s.service.delivered();
    assert_eq!(delivered.len(), 2);
    for d in &delivered {
        assert_eq!(
            d.json(),
            json!({"title": "Build 118", "body": "Passed in 4 min", "icon": "https://ci.example.com/i.png",
                   "url": "https://ci.example.com/118",
                   "actions": [{"action": "logs", "title": "Logs", "url": "https://ci.example.com/118/log"}],
                   "data": {"build": 118}})
        );
        assert_eq!(d.header("ttl"), Some("600"));
        assert_eq!(d.header("urgency"), Some("high"));
        assert_eq!(d.header("topic"), Some("build-118"));
        assert_eq!(d.subject, "mailto:ops@example.com");
    }
    let report = stdout_json(&out);
    let results = report["results"].as_array().expect("results");
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["outcome"]["ok"], json!(true), "{r}");
        assert_eq!(r["response"]["status"], json!(201));
        // The encrypted body is binary: base64 in JSON; the JWT is masked.
        assert!(r["request"]["body_base64"].is_string(), "{r}");
        let auth = r["request"]["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .find(|h| h[0] == "Authorization")
            .expect("Authorization")[1]
            .as_str()
            .expect("string")
            .to_string();
        assert!(auth.contains('•') && auth.contains(&public), "{auth}");
    }
}

#[test]
fn gone_subscriptions_are_reported_and_pruned() {
    let s = Setup::new();
    let subs = vec![
        s.service.subscribe("ana", None),
        s.service.subscribe("gone-old-laptop", None),
        s.service.subscribe("missing-phone", None),
        s.service.subscribe("busy-tablet", None),
    ];
    let draft = s.draft(subs, json!({}));
    let json_out = s.run(&["send", &draft, "--json"]);
    let gone: Vec<bool> = stdout_json(&json_out)["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| r["outcome"]["gone"] == json!(true))
        .collect();
    assert_eq!(gone, [false, true, true, false]);
    let out = s.run(&["send", &draft, "--prune-gone"]);
    let text = stdout(&out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "two were refused: {text}{}",
        stderr(&out)
    );
    assert!(
        text.contains("Gone: this subscription has expired"),
        "{text}"
    );
    assert!(text.contains("2 of 4 accepted"), "{text}");
    assert!(
        stderr(&out).contains("removed 2 gone subscription(s)"),
        "{}",
        stderr(&out)
    );
    // The 429 was retried after its Retry-After and then delivered.
    let ids: Vec<String> = s.service.delivered().iter().map(|d| d.id.clone()).collect();
    assert!(ids.contains(&"busy-tablet".to_string()), "{ids:?}");
    let list = s.run(&["subscriptions", "list", &draft, "--json"]);
    let left: Vec<String> = stdout_json(&list)["subscriptions"]
        .as_array()
        .expect("list")
        .iter()
        .map(|v| {
            v["endpoint"]
                .as_str()
                .unwrap_or("")
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(left, ["ana", "busy-tablet"]);
}

#[test]
fn a_push_service_answering_200_ok_counts_as_delivered() {
    let s = Setup::new();
    let draft = s.draft(vec![s.service.subscribe("ok200-ana", None)], json!({}));
    let out = s.run(&["send", &draft]);
    crate::support::assert_exit_output(&out, 0);
    let text = stdout(&out);
    assert!(
        text.contains("the push service answered 200 OK instead of 201 Created"),
        "{text}"
    );
    assert_eq!(s.service.delivered().len(), 1);
}

#[test]
fn a_key_the_subscription_was_not_made_with_is_refused_in_words() {
    let s = Setup::new();
    let other = VapidKey::generate().expect("other");
    let subs = vec![s.service.subscribe("ana", Some(&other.public_key_b64()))];
    let draft = s.draft(subs, json!({}));
    let out = s.run(&["send", &draft]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("refused the VAPID signature (403)"), "{text}");
    assert!(text.contains("applicationServerKey"), "{text}");
}

#[test]
fn bad_input_is_refused_before_any_network() {
    let s = Setup::new();
    let mut broken = s.service.subscribe("ana", None);
    broken["keys"]["auth"] = json!("AAAA");
    let draft = s.draft(vec![broken], json!({}));
    let out = s.run(&["send", &draft]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("audience.subscriptions[0]: `keys.auth` is 3 bytes"),
        "{}",
        stderr(&out)
    );
    let big = s.sandbox.write(
        "big.json",
        &json!({"profile": PROFILE, "message": {"body": "x".repeat(4000)},
                "audience": {"subscriptions": [s.service.subscribe("ana", None)]}})
        .to_string(),
    );
    let out = s.run(&["send", big.to_str().expect("utf-8")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("at most 3993 bytes"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.service.hits(), 0, "nothing was sent");
}

#[test]
fn preview_shows_plaintext_and_masks_the_jwt() {
    let s = Setup::new();
    let draft = s.draft(vec![s.service.subscribe("ana", None)], json!({}));
    let out = s.run(&["preview", &draft]);
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.contains("Content-Encoding: aes128gcm"), "{text}");
    assert!(text.contains("[plaintext before encryption]"), "{text}");
    assert!(text.contains("\"title\":\"Build 118\""), "{text}");
    assert!(text.contains("Authorization: vapid t=ey"), "{text}");
    let revealed = stdout(&s.run(&["preview", &draft, "--reveal"]));
    let masked_jwt = text
        .split("vapid t=")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or("");
    let jwt = revealed
        .split("vapid t=")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .unwrap_or("");
    assert!(
        masked_jwt.contains('•') && !jwt.contains('•') && jwt.len() > 100,
        "{masked_jwt} / {jwt}"
    );
    let curl = stdout(&s.run(&["preview", &draft, "--curl"]));
    assert!(curl.contains("PUSHDECK_VAPID_JWT"), "{curl}");
    assert!(s.service.hits() == 0);
}

#[test]
fn check_is_local_and_says_so() {
    let s = Setup::new();
    let out = s.run(&["check", PROFILE]);
    crate::support::assert_exit_output(&out, 0);
    assert!(stdout(&out).contains("VAPID keys work"), "{}", stdout(&out));
    let wrong = s
        .sandbox
        .cmd()
        .args(["check", PROFILE])
        .env(
            "PUSHDECK_VAPID_PRIVATE_KEY",
            VapidKey::generate()
                .expect("k")
                .private_key_b64()
                .expect("b64"),
        )
        .output()
        .expect("runs");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(
        stdout(&wrong).contains("✗ The stored public key does not match the private key")
            && stderr(&wrong).contains("does not match the private key"),
        "{}",
        stderr(&wrong)
    );
}

#[test]
fn subscriptions_are_imported_into_a_draft_with_reasons() {
    let s = Setup::new();
    let draft = s.draft(vec![], json!({}));
    let good = s.service.subscribe("ana", None);
    let mut bad = s.service.subscribe("ben", None);
    bad["keys"]["p256dh"] = json!("too-short");
    let file = s
        .sandbox
        .write("subs.jsonl", &format!("{good}\n{bad}\nnot json\n"));
    let out = s.run(&[
        "subscriptions",
        "add",
        &draft,
        file.to_str().expect("utf-8"),
        "--label",
        "QA",
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "rejections make the exit status 2"
    );
    let err = stderr(&out);
    assert!(err.contains("line 2: `keys.p256dh`"), "{err}");
    assert!(err.contains("line 3: not JSON"), "{err}");
    assert!(
        stdout(&out).contains("Added 1 subscription (1 in all)"),
        "{}",
        stdout(&out)
    );
    let out = s.run(&["send", &draft, "--json"]);
    assert_exit(&out, 0);
    assert_eq!(stdout_json(&out)["results"][0]["recipient"], json!("QA"));
    let out = s.run(&["subscriptions", "remove", &draft, "QA"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("Removed 1 (0 left)"));
}

#[test]
fn subscriptions_stored_by_a_python_server_with_expiration_time_are_added() {
    let s = Setup::new();
    let draft = s.draft(vec![], json!({}));
    let mut sub = s.service.subscribe("ana", None);
    let object = sub.as_object_mut().expect("object");
    object.remove("expirationTime");
    object.insert("expiration_time".into(), json!(1_767_225_600_000_i64));
    let file = s.sandbox.write("subs.json", &json!([sub]).to_string());
    let out = s.run(&[
        "subscriptions",
        "add",
        &draft,
        file.to_str().expect("utf-8"),
    ]);
    crate::support::assert_exit_output(&out, 0);
    let list = s.run(&["subscriptions", "list", &draft, "--json"]);
    let stored = &stdout_json(&list)["subscriptions"][0];
    assert_eq!(
        stored["expirationTime"],
        json!(1_767_225_600_000_i64),
        "{stored}"
    );
    assert!(stored.get("expiration_time").is_none(), "{stored}");
    let out = s.run(&["send", &draft]);
    crate::support::assert_exit_output(&out, 0);
    assert_eq!(s.service.delivered().len(), 1);
}

/// The shell commands of docs/providers/webpush.md's "Subscriptions kept in Redis", as written.
fn documented_redis_pipelines() -> Vec<String> {
    let doc = include_str!("../../docs/providers/webpush.md");
    let section = doc
        .split("### Subscriptions kept in Redis")
        .nth(1)
        .and_then(|rest| rest.split("\n#").next())
        .expect("docs/providers/webpush.md has a \"Subscriptions kept in Redis\" section");
    let pipelines: Vec<String> = section
        .split("```sh\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .map(|block| block.replace("\\\n", " ").trim().to_string())
        .collect();
    assert_eq!(pipelines.len(), 2, "{section}");
    pipelines
}

#[test]
fn subscriptions_kept_in_redis_load_with_the_documented_command() {
    let s = Setup::new();
    let redis = common::redis::Redis::start();
    let mut stored = Vec::new();
    for id in ["ana", "ben", "cy"] {
        let mut sub = s.service.subscribe(id, None);
        if id == "cy" {
            let object = sub.as_object_mut().expect("object");
            object.remove("expirationTime");
            object.insert("expiration_time".into(), json!(1_767_225_600_000_i64));
        }
        redis.cli(&["SET", &format!("sub:{id}"), &sub.to_string()]);
        stored.push(sub);
    }
    // An id whose key has expired: an empty line, skipped.
    redis.cli(&["SADD", "subscriptions", "ana", "ben", "cy", "gone"]);
    for pipeline in documented_redis_pipelines() {
        let draft = s.draft(vec![], json!({}));
        let script = pipeline
            .replace("redis-cli", "redis-cli -p \"$REDIS_PORT\"")
            .replace("pushdeck ", "\"$PUSHDECK\" ")
            .replace("draft.json", "\"$DRAFT\"");
        let out = s
            .sandbox
            .cmd_of("sh")
            .args(["-c", &script])
            .env("REDIS_PORT", redis.port.to_string())
            .env("PUSHDECK", env!("CARGO_BIN_EXE_pushdeck"))
            .env("DRAFT", &draft)
            .output()
            .expect("runs");
        crate::support::assert_exit_output(&out, 0);
        assert!(
            stdout(&out).contains("Added 3 subscriptions (3 in all)"),
            "{pipeline}: {}",
            stdout(&out)
        );
        let list = stdout_json(&s.run(&["subscriptions", "list", &draft, "--json"]));
        let mut endpoints: Vec<&Value> = list["subscriptions"]
            .as_array()
            .expect("list")
            .iter()
            .map(|sub| &sub["endpoint"])
            .collect();
        endpoints.sort_by_key(|e| e.to_string());
        let mut expected: Vec<&Value> = stored.iter().map(|sub| &sub["endpoint"]).collect();
        expected.sort_by_key(|e| e.to_string());
        assert_eq!(endpoints, expected, "{pipeline}");
        let expiring = list["subscriptions"]
            .as_array()
            .expect("list")
            .iter()
            .filter(|sub| sub["expirationTime"] == json!(1_767_225_600_000_i64))
            .count();
        assert_eq!(expiring, 1, "{pipeline}: {list}");
    }
}

#[test]
fn vapid_generate_without_a_keyring_stores_nothing() {
    let s = Setup::new();
    let out = s.sandbox.run(&["vapid", "generate", PROFILE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no keyring"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let show = s.run(&["vapid", "show", PROFILE]);
    assert_eq!(
        stdout(&show).trim(),
        s.key.public_key_b64(),
        "the old key is untouched"
    );
    let snippet = s.run(&["vapid", "show", PROFILE, "--snippet"]);
    assert!(stdout(&snippet).contains("addEventListener('push'"));
}

/// A webpush profile whose VAPID key goes to the real keyring (scripts/test runs these tests
/// inside a private, unlocked Secret Service).
fn keyring_profile() -> (Sandbox, String) {
    crate::keyring::require_session_bus();
    let sandbox = Sandbox::with(Keyring::Real, None);
    let profile = add_keyring_profile(&sandbox);
    (sandbox, profile)
}

/// Another such profile in `sandbox`: its name.
fn add_keyring_profile(sandbox: &Sandbox) -> String {
    let profile = crate::keyring::unique("vapid");
    sandbox.add_profile_at(
        &profile,
        "webpush",
        None,
        &[("subject", "mailto:ops@example.com")],
    );
    profile
}

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl runs (Debian package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A key made by `openssl ARGS -out key.pem`: the file's text and its public point, base64url.
fn openssl_key(sandbox: &Sandbox, args: &[&str]) -> (String, String) {
    let path = sandbox.dir.path().join("key.pem");
    let path = path.to_str().expect("utf-8");
    openssl(&[args, &["-out", path]].concat());
    let der = openssl(&["pkey", "-in", path, "-pubout", "-outform", "DER"]);
    let public = URL_SAFE_NO_PAD.encode(&der[der.len() - 65..]);
    (std::fs::read_to_string(path).expect("key.pem"), public)
}

/// `pushdeck vapid import PROFILE --force` with `key` on standard input: the public key it printed.
fn vapid_import(sandbox: &Sandbox, profile: &str, key: &str) -> String {
    let out = sandbox
        .cmd()
        .args(["vapid", "import", profile, "--force"])
        .write_stdin(key)
        .output()
        .expect("runs");
    crate::support::assert_exit_output(&out, 0);
    assert!(
        !stdout(&out).contains(key.trim()),
        "the private key is never printed"
    );
    stdout(&out).trim().to_string()
}

const PKCS8: &[&str] = &[
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
];
const SEC1_WITH_PARAMETERS: &[&str] = &["ecparam", "-genkey", "-name", "prime256v1"];
const SEC1: &[&str] = &["ecparam", "-genkey", "-name", "prime256v1", "-noout"];

fn imports_the_key_openssl_made(args: &[&str]) {
    let (sandbox, profile) = keyring_profile();
    let (pem, public) = openssl_key(&sandbox, args);
    assert_eq!(vapid_import(&sandbox, &profile, &pem), public);
    let show = sandbox.run(&["vapid", "show", &profile]);
    assert_eq!(stdout(&show).trim(), public);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn a_pkcs8_key_from_openssl_genpkey_imports() {
    imports_the_key_openssl_made(PKCS8);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn a_key_from_openssl_ecparam_with_its_ec_parameters_block_imports() {
    imports_the_key_openssl_made(SEC1_WITH_PARAMETERS);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn a_sec1_key_from_openssl_ecparam_noout_imports() {
    imports_the_key_openssl_made(SEC1);
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn a_raw_base64url_scalar_imports() {
    let (sandbox, profile) = keyring_profile();
    let (_, public) = openssl_key(&sandbox, SEC1);
    let path = sandbox.dir.path().join("key.pem");
    // SEC1 DER: 30 77 02 01 01 04 20, then the 32-byte scalar.
    let der = openssl(&[
        "ec",
        "-in",
        path.to_str().expect("utf-8"),
        "-outform",
        "DER",
    ]);
    let scalar = URL_SAFE_NO_PAD.encode(&der[7..39]);
    assert_eq!(
        vapid_import(&sandbox, &profile, &format!("{scalar}\n")),
        public
    );
}

#[test]
fn only_ec_parameters_is_refused_for_what_it_is_and_stores_nothing() {
    let s = Setup::new();
    let pem = String::from_utf8(openssl(&["ecparam", "-name", "prime256v1"])).expect("PEM");
    let out = s
        .sandbox
        .cmd()
        .args(["vapid", "import", PROFILE])
        .write_stdin(pem)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("no private key here, only EC PARAMETERS"),
        "{}",
        stderr(&out)
    );
    let show = s.run(&["vapid", "show", PROFILE]);
    assert_eq!(stdout(&show).trim(), s.key.public_key_b64());
}

#[test]
fn vapid_export_without_a_terminal_needs_yes_and_prints_nothing() {
    let s = Setup::new();
    let private = s.key.private_key_b64().expect("b64");
    let out = s.run(&["vapid", "export", PROFILE]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("add --yes"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    assert!(!stderr(&out).contains(&private));
    let out = s.run(&["vapid", "export", PROFILE, "--yes"]);
    crate::support::assert_exit_output(&out, 0);
    assert_eq!(stdout(&out).trim(), private);
}

#[test]
fn vapid_export_pem_is_a_pkcs8_key_openssl_reads() {
    let s = Setup::new();
    let out = s.run(&["vapid", "export", PROFILE, "--pem", "--yes"]);
    crate::support::assert_exit_output(&out, 0);
    let pem = stdout(&out);
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
    let path = s.sandbox.write("exported.pem", &pem);
    let der = openssl(&[
        "pkey",
        "-in",
        path.to_str().expect("utf-8"),
        "-pubout",
        "-outform",
        "DER",
    ]);
    assert_eq!(
        URL_SAFE_NO_PAD.encode(&der[der.len() - 65..]),
        s.key.public_key_b64()
    );
}

#[test]
#[ignore = "needs a Secret Service: run by scripts/test"]
fn a_key_exported_from_one_profile_imports_into_another() {
    let (sandbox, profile) = keyring_profile();
    let generated = sandbox.run(&["vapid", "generate", &profile]);
    crate::support::assert_exit_output(&generated, 0);
    let public = stdout(&generated).trim().to_string();
    let other = add_keyring_profile(&sandbox);
    for form in [&["--yes"][..], &["--pem", "--yes"][..]] {
        let out = sandbox.run(&[&["vapid", "export", &profile][..], form].concat());
        crate::support::assert_exit_output(&out, 0);
        assert_eq!(
            vapid_import(&sandbox, &other, &stdout(&out)),
            public,
            "{form:?}"
        );
    }
}
