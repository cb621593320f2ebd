//! The credential doctor through the real binary: `check` lists findings (local ones first, the
//! read-only call against the provider's stand-in last), `--json` gives them as data, and the exit
//! status is 0 only when nothing is ✗ — 2 when a local ✗ stopped the check before the network,
//! else the call's status, or 1 when the call worked but a local finding is ✗.

use crate::support::stand_ins::{apns, azure, fcm, onesignal, sns, telegram};
use crate::support::{Keyring, Sandbox, stdout, stdout_json};

use pushdeck::provider::webpush::vapid::VapidKey;
use serde_json::{Value, json};

/// The findings of `check --json` as `(level, text)` pairs.
fn findings(out: &std::process::Output) -> Vec<(String, String)> {
    stdout_json(out)["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["level"].as_str().unwrap_or("").to_string(),
                f["text"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn has(findings: &[(String, String)], level: &str, words: &str) -> bool {
    findings
        .iter()
        .any(|(l, t)| l == level && t.contains(words))
}

fn code(out: &std::process::Output) -> Option<i32> {
    out.status.code()
}

fn check(sandbox: &Sandbox, env: &[(&str, &str)], profile: &str) -> std::process::Output {
    let mut cmd = sandbox.cmd();
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(["check", profile, "--json"])
        .output()
        .expect("runs")
}

#[test]
fn telegram_token_form_then_get_me_and_the_exit_rule() {
    let standin = telegram::TelegramStandIn::start();
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile("bot", "telegram", &standin.base_url(), &[]);

    let out = check(&sandbox, &[("PUSHDECK_BOT_TOKEN", telegram::TOKEN)], "bot");
    let f = findings(&out);
    assert_eq!(code(&out), Some(0), "{f:?}");
    assert!(has(&f, "ok", "Telegram's form"), "{f:?}");
    assert!(has(&f, "ok", telegram::BOT_NAME), "getMe comes last: {f:?}");
    assert!(
        f.last()
            .is_some_and(|(_, t)| t.contains(telegram::BOT_NAME))
    );
    assert!(
        !sandbox.files_containing("has Telegram's form").is_empty(),
        "the check is recorded with its findings"
    );
    assert!(sandbox.files_containing(telegram::TOKEN).is_empty());
    let doc = stdout_json(&out);
    assert!(
        doc["results"][0]["outcome"]["ok"]
            .as_bool()
            .unwrap_or(false),
        "the old fields stay"
    );

    // A token out of form is named, and Telegram's refusal follows it: exit 1.
    let out = check(
        &sandbox,
        &[("PUSHDECK_BOT_TOKEN", "7012345678:short")],
        "bot",
    );
    let f = findings(&out);
    assert_eq!(code(&out), Some(1), "{f:?}");
    assert!(has(&f, "fail", "<digits>:<about 35"), "{f:?}");
    assert!(has(&f, "fail", "refused the bot token"), "{f:?}");

    // No token at all: named, nothing sent, exit 2.
    let hits = standin.hits();
    let out = check(&sandbox, &[], "bot");
    assert_eq!(code(&out), Some(2));
    assert!(has(&findings(&out), "fail", "No bot token"));
    assert_eq!(standin.hits(), hits, "nothing was sent");

    // Without --json: one line per finding with its mark.
    let out = sandbox
        .cmd()
        .env("PUSHDECK_BOT_TOKEN", telegram::TOKEN)
        .args(["check", "bot"])
        .output()
        .expect("runs");
    let text = stdout(&out);
    assert!(
        text.contains("✓ The bot token has Telegram's form"),
        "{text}"
    );
    assert!(!text.contains(telegram::TOKEN), "the token never shows");
}

fn apns_profile(
    sandbox: &Sandbox,
    standin: &apns::ApnsStandIn,
    key_id: &str,
    extra: &[(&str, &str)],
) {
    let mut settings = vec![
        ("key_id", key_id),
        ("team_id", apns::TEAM_ID),
        ("topic", apns::TOPIC),
        ("environment", "sandbox"),
    ];
    settings.extend_from_slice(extra);
    sandbox.add_provider_profile("ios", "apns", &standin.base_url(), &settings);
}

#[test]
fn apns_key_ids_file_name_and_token() {
    let standin = apns::ApnsStandIn::start();
    let sandbox = Sandbox::with(Keyring::None, None);
    apns_profile(
        &sandbox,
        &standin,
        apns::KEY_ID,
        &[("key_file", "AuthKey_ABC123DEFG.p8")],
    );
    let key = [("PUSHDECK_SIGNING_KEY_P8", apns::SIGNING_KEY)];
    let out = check(&sandbox, &key, "ios");
    let f = findings(&out);
    assert_eq!(code(&out), Some(0), "{f:?}");
    for words in [
        "P-256",
        "Key ID ABC123DEFG",
        "Team ID",
        "matches the Key ID",
        "token is minted: fresh",
    ] {
        assert!(has(&f, "ok", words), "{words}: {f:?}");
    }

    // A key file named for another key: the doctor says so, Apple refuses the token.
    apns_profile(
        &sandbox,
        &standin,
        apns::KEY_ID,
        &[("key_file", "AuthKey_ZZZ999YYYY.p8")],
    );
    let f = findings(&check(&sandbox, &key, "ios"));
    assert!(
        has(
            &f,
            "fail",
            "is key ZZZ999YYYY, but the Key ID is ABC123DEFG"
        ),
        "{f:?}"
    );

    // A key id not in Apple's form: named locally, then Apple's answer.
    apns_profile(&sandbox, &standin, "abc123", &[("key_file", "")]);
    let out = check(&sandbox, &key, "ios");
    let f = findings(&out);
    assert_eq!(code(&out), Some(1), "{f:?}");
    assert!(
        has(&f, "fail", "Key ID `abc123` is not 10 uppercase"),
        "{f:?}"
    );

    // A .p8 that does not parse: exit 2, nothing sent.
    apns_profile(&sandbox, &standin, apns::KEY_ID, &[]);
    let hits = standin.hits();
    let out = check(
        &sandbox,
        &[(
            "PUSHDECK_SIGNING_KEY_P8",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----",
        )],
        "ios",
    );
    assert_eq!(code(&out), Some(2));
    assert!(has(&findings(&out), "fail", "not a usable APNs key"));
    assert_eq!(standin.hits(), hits, "nothing was sent");
}

fn fcm_key(project: &str) -> String {
    json!({
        "type": "service_account",
        "project_id": project,
        "private_key": fcm::PRIVATE_KEY,
        "client_email": fcm::CLIENT_EMAIL,
        "token_uri": fcm::TOKEN_URI,
    })
    .to_string()
}

#[test]
fn fcm_key_parts_project_and_the_token_exchange() {
    let standin = fcm::FcmStandIn::start();
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile(
        "android",
        "fcm",
        &standin.base_url(),
        &[("project_id", fcm::PROJECT)],
    );
    let key = fcm_key(fcm::PROJECT);
    let out = check(
        &sandbox,
        &[("PUSHDECK_SERVICE_ACCOUNT_JSON", &key)],
        "android",
    );
    let f = findings(&out);
    assert_eq!(code(&out), Some(0), "{f:?}");
    assert!(
        has(&f, "ok", "complete and its private key parses"),
        "{f:?}"
    );
    assert!(
        has(&f, "ok", "access token"),
        "the exchange is the last finding: {f:?}"
    );
    assert!(
        !stdout(&out).contains(fcm::ACCESS_TOKEN),
        "the token is masked"
    );

    // The profile's project is not the key's.
    sandbox.add_provider_profile(
        "android",
        "fcm",
        &standin.base_url(),
        &[("project_id", "other-app")],
    );
    let out = check(
        &sandbox,
        &[("PUSHDECK_SERVICE_ACCOUNT_JSON", &key)],
        "android",
    );
    let f = findings(&out);
    assert_eq!(code(&out), Some(1), "{f:?}");
    assert!(
        has(
            &f,
            "fail",
            "sends to project other-app, but the key belongs to project acme-push"
        ),
        "{f:?}"
    );

    // A key with no client_email: exit 2, no exchange.
    let mut broken: Value = serde_json::from_str(&key).expect("json");
    broken
        .as_object_mut()
        .expect("object")
        .remove("client_email");
    let before = standin.token_requests();
    let out = check(
        &sandbox,
        &[("PUSHDECK_SERVICE_ACCOUNT_JSON", &broken.to_string())],
        "android",
    );
    assert_eq!(code(&out), Some(2));
    assert!(has(&findings(&out), "fail", "no client_email"));
    assert_eq!(standin.token_requests(), before);
}

#[test]
fn azure_listen_only_key_is_named_locally_and_by_the_hub() {
    let standin = azure::AzureStandIn::start();
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile("hub", "azure", &standin.base_url(), &[("hub", azure::HUB)]);
    let full = azure::connection_string(azure::FULL_POLICY, azure::KEY);
    let out = check(&sandbox, &[("PUSHDECK_CONNECTION_STRING", &full)], "hub");
    let f = findings(&out);
    assert_eq!(code(&out), Some(0), "{f:?}");
    assert!(has(&f, "ok", "Listen, Manage and Send"), "{f:?}");

    let listen = azure::connection_string(azure::LISTEN_POLICY, azure::LISTEN_KEY);
    let out = check(&sandbox, &[("PUSHDECK_CONNECTION_STRING", &listen)], "hub");
    let f = findings(&out);
    assert_eq!(code(&out), Some(1), "{f:?}");
    assert!(has(&f, "warn", "looks Listen-only"), "{f:?}");
    assert!(
        has(&f, "fail", "lacks the Send claim"),
        "the hub's answer: {f:?}"
    );

    let out = check(
        &sandbox,
        &[(
            "PUSHDECK_CONNECTION_STRING",
            "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=x",
        )],
        "hub",
    );
    assert_eq!(code(&out), Some(2));
    assert!(has(&findings(&out), "fail", "incomplete or malformed"));
}

#[test]
fn sns_temporary_key_without_session_token_is_named() {
    let standin = crate::support::block_on(sns::SnsStandIn::start_async());
    let sandbox = Sandbox::with(Keyring::None, None);
    let add = |id: &str, region: &str| {
        sandbox.add_provider_profile(
            "aws",
            "sns",
            &standin.base_url(),
            &[("region", region), ("access_key_id", id)],
        );
    };
    add(sns::ACCESS_KEY_ID, sns::REGION);
    let secret = [("PUSHDECK_SECRET_ACCESS_KEY", sns::SECRET)];
    let out = check(&sandbox, &secret, "aws");
    let f = findings(&out);
    assert_eq!(code(&out), Some(0), "{f:?}");
    assert!(has(&f, "ok", "long-term access key"), "{f:?}");

    add("ASIAIOSFODNN7EXAMPLE", sns::REGION);
    let out = check(&sandbox, &secret, "aws");
    let f = findings(&out);
    assert_eq!(code(&out), Some(1), "{f:?}");
    assert!(has(&f, "fail", "no session token is stored"), "{f:?}");

    add(sns::ACCESS_KEY_ID, "Virginia");
    let out = check(&sandbox, &secret, "aws");
    assert_eq!(code(&out), Some(2));
    assert!(has(
        &findings(&out),
        "fail",
        "`Virginia` is not a region name"
    ));
}

#[test]
fn sns_check_with_a_draft_names_a_topic_arn_from_another_region() {
    let standin = crate::support::block_on(sns::SnsStandIn::start_async());
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile(
        "aws",
        "sns",
        &standin.base_url(),
        &[
            ("region", sns::REGION),
            ("access_key_id", sns::ACCESS_KEY_ID),
        ],
    );
    let other = if sns::REGION == "eu-west-1" {
        "us-east-1"
    } else {
        "eu-west-1"
    };
    let draft = |region: &str| {
        serde_json::json!({
            "profile": "aws",
            "message": {"body": "Sale"},
            "audience": {"topic_arn": format!("arn:aws:sns:{region}:123456789012:sale")}
        })
        .to_string()
    };
    let run = |path: &std::path::Path| {
        sandbox
            .cmd()
            .env("PUSHDECK_SECRET_ACCESS_KEY", sns::SECRET)
            .args(["check", "aws", "--json", "--draft"])
            .arg(path)
            .output()
            .expect("runs")
    };
    let out = run(&sandbox.write("here.json", &draft(sns::REGION)));
    assert_eq!(code(&out), Some(0), "{:?}", findings(&out));
    assert!(
        has(&findings(&out), "ok", "topic_arn is in"),
        "{:?}",
        findings(&out)
    );

    // The credential works, the draft would be refused: ✗, exit 1, and the call was still made.
    let out = run(&sandbox.write("there.json", &draft(other)));
    let f = findings(&out);
    assert_eq!(code(&out), Some(1), "{f:?}");
    assert!(
        has(
            &f,
            "fail",
            &format!(
                "topic_arn is in {other}, but the profile sends to {}",
                sns::REGION
            )
        ),
        "{f:?}"
    );
}

#[test]
fn onesignal_organization_key_is_named() {
    let standin = onesignal::OneSignalStandIn::start();
    let sandbox = Sandbox::with(Keyring::None, None);
    sandbox.add_provider_profile(
        "os",
        "onesignal",
        &standin.base_url(),
        &[("app_id", onesignal::APP_ID)],
    );
    let out = check(&sandbox, &[("PUSHDECK_API_KEY", onesignal::API_KEY)], "os");
    let f = findings(&out);
    assert_eq!(code(&out), Some(0), "{f:?}");
    assert!(
        has(&f, "ok", "is a UUID") && has(&f, "ok", "current App API key"),
        "{f:?}"
    );

    let out = check(
        &sandbox,
        &[(
            "PUSHDECK_API_KEY",
            "os_v2_org_stand1n0rgkey0123456789abcdefghijklmnop",
        )],
        "os",
    );
    let f = findings(&out);
    assert_eq!(code(&out), Some(1), "{f:?}");
    assert!(has(&f, "fail", "Organization key"), "{f:?}");
}

#[test]
fn webpush_key_pair_and_subject() {
    let sandbox = Sandbox::with(Keyring::None, None);
    let key = VapidKey::generate().expect("key");
    let other = VapidKey::generate().expect("other");
    let private = key.private_key_b64().expect("b64");
    let add = |public: &str, subject: &str| {
        sandbox.add_profile_at(
            "site",
            "webpush",
            None,
            &[("subject", subject), ("vapid_public_key", public)],
        );
    };
    add(&key.public_key_b64(), "mailto:ops@example.com");
    let env = [("PUSHDECK_VAPID_PRIVATE_KEY", private.as_str())];
    let out = check(&sandbox, &env, "site");
    let f = findings(&out);
    assert_eq!(code(&out), Some(0), "{f:?}");
    assert!(
        has(&f, "ok", "private key's own") && has(&f, "ok", "VAPID keys work"),
        "{f:?}"
    );

    add(&other.public_key_b64(), "mailto:ops@example.com");
    let out = check(&sandbox, &env, "site");
    assert_eq!(code(&out), Some(2));
    assert!(has(
        &findings(&out),
        "fail",
        "does not match the private key"
    ));

    add(&key.public_key_b64(), "http://example.com");
    let out = check(&sandbox, &env, "site");
    assert_eq!(code(&out), Some(2));
    assert!(has(
        &findings(&out),
        "fail",
        "neither a mailto: address nor an https: URL"
    ));
}
