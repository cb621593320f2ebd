//! End to end: the real `pushdeck` binary against a local Azure Notification Hubs stand-in that
//! verifies the SAS signature itself. The connection string comes from
//! `PUSHDECK_CONNECTION_STRING`; no test here touches a real keyring.

use crate::support as common;
use crate::support::stand_ins::azure as stand_in;
use crate::support::{
    assert_bad_input, assert_complains, assert_says, only_result, request_header,
};

use common::{Keyring, Sandbox, stderr, stdout, stdout_json};
use serde_json::{Value, json};
use stand_in::{
    AzureStandIn, FULL_POLICY, HUB, KEY, LISTEN_KEY, LISTEN_POLICY, Scenario, TRACKING_ID,
    connection_string,
};

const PROFILE: &str = "acme-hub";

struct Setup {
    standin: AzureStandIn,
    sandbox: Sandbox,
    connection: String,
}

impl Setup {
    fn new() -> Self {
        Self::with_policy(FULL_POLICY, KEY)
    }

    fn with_policy(policy: &str, key: &str) -> Self {
        let standin = AzureStandIn::start();
        let sandbox = Sandbox::with(Keyring::None, None);
        let setup = Self {
            standin,
            sandbox,
            connection: connection_string(policy, key),
        };
        setup.sandbox.add_provider_profile(
            PROFILE,
            "azure",
            &setup.standin.base_url(),
            &[("hub", HUB)],
        );
        setup
    }

    fn cmd(&self) -> assert_cmd::Command {
        let mut cmd = self.sandbox.cmd();
        cmd.env("PUSHDECK_CONNECTION_STRING", &self.connection);
        cmd
    }

    fn run(&self, args: &[&str], draft: &Value) -> std::process::Output {
        let path = self.sandbox.write("draft.json", &draft.to_string());
        self.cmd().args(args).arg(path).output().expect("runs")
    }

    /// `pushdeck send` of a plain draft to the tag `vip`.
    fn send_to_vip(&self) -> std::process::Output {
        self.run(&["send"], &draft(json!({"tags": ["vip"]}), json!({})))
    }
}

fn draft(audience: Value, options: Value) -> Value {
    json!({
        "profile": PROFILE,
        "message": {
            "title": "Flash sale", "body": "50% off everything until midnight",
            "url": "https://example.com/sale", "image": "https://example.com/banner.png",
            "buttons": [{"id": "shop", "label": "Shop now"}],
            "data": {"campaign": "fall-2026"}
        },
        "audience": audience,
        "options": options
    })
}

fn code(output: &std::process::Output) -> Option<i32> {
    output.status.code()
}

fn explain(output: &std::process::Output) -> String {
    format!("stdout: {}\nstderr: {}", stdout(output), stderr(output))
}

#[test]
fn send_to_tags_every_format_signed_and_accepted() {
    let s = Setup::new();
    for (format, extra) in [
        ("apple", json!({})),
        ("fcmv1", json!({"ttl": 60})),
        ("gcm", json!({})),
        ("windows", json!({})),
        ("windows", json!({"wns_type": "tile"})),
        ("windows", json!({"wns_type": "badge", "badge": 3})),
        ("windows", json!({"wns_type": "raw"})),
        ("windowsphone", json!({})),
        ("adm", json!({})),
        ("baidu", json!({})),
        ("template", json!({})),
    ] {
        let mut options = extra.clone();
        options["format"] = json!(format);
        let out = s.run(
            &["send", "--json"],
            &draft(json!({"tags": ["vip", "beta"]}), options),
        );
        assert_eq!(code(&out), Some(0), "{format} {extra}: {}", explain(&out));
        let doc = stdout_json(&out);
        let result = only_result(&doc);
        assert_eq!(result["response"]["status"], 201);
        assert_eq!(result["outcome"]["message_id"], "7291834651");
        let summary = result["outcome"]["summary"].as_str().unwrap_or("");
        assert!(summary.contains(TRACKING_ID), "{summary}");
        // The signature never shows, and no dump holds the key.
        let text = doc.to_string();
        assert!(!text.contains(KEY), "{text}");
        assert!(
            request_header(&result["request"], "Authorization").is_some_and(|a| a.contains("••••"))
        );
    }
    s.standin.assert_no_problems();
    let seen = s.standin.requests();
    assert_eq!(seen.len(), 11);
    assert!(
        seen.iter()
            .all(|r| r.header("ServiceBusNotification-Tags") == Some("vip || beta"))
    );
    assert_eq!(seen[3].header("X-WNS-Type"), Some("wns/toast"));
    assert!(s.sandbox.files_containing(KEY).is_empty());
}

#[test]
fn raw_windows_payloads_go_out_with_the_type_their_root_names() {
    let s = Setup::new();
    let mpns = |el: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><wp:Notification xmlns:wp="WPNotification"><wp:{el}><wp:Count>3</wp:Count></wp:{el}></wp:Notification>"#
        )
    };
    let cases = [
        (
            "windows",
            json!(
                "<toast><visual><binding template=\"ToastGeneric\"><text>Hi</text></binding></visual></toast>"
            ),
            &[("X-WNS-Type", "wns/toast")][..],
            "X-WNS-Type wns/toast taken from the payload's <toast> root",
        ),
        (
            "windows",
            json!(
                "<tile><visual><binding template=\"TileMedium\"><text>3</text></binding></visual></tile>"
            ),
            &[("X-WNS-Type", "wns/tile")][..],
            "X-WNS-Type wns/tile taken from the payload's <tile> root",
        ),
        (
            "windows",
            json!("<badge value=\"7\"/>"),
            &[("X-WNS-Type", "wns/badge")][..],
            "X-WNS-Type wns/badge taken from the payload's <badge> root",
        ),
        (
            "windows",
            json!("sync:42"),
            &[
                ("X-WNS-Type", "wns/raw"),
                ("Content-Type", "application/octet-stream"),
            ][..],
            "wns/raw",
        ),
        (
            "windowsphone",
            json!(mpns("Tile")),
            &[
                ("X-WindowsPhone-Target", "token"),
                ("X-NotificationClass", "1"),
            ][..],
            "taken from the payload's <wp:Tile>",
        ),
        (
            "windowsphone",
            json!(mpns("Toast")),
            &[
                ("X-WindowsPhone-Target", "toast"),
                ("X-NotificationClass", "2"),
            ][..],
            "",
        ),
    ];
    for (i, (format, raw, headers, warning)) in cases.iter().enumerate() {
        let out = s.run(
            &["send"],
            &draft(
                json!({"tags": ["vip"]}),
                json!({"format": format, "raw": raw}),
            ),
        );
        assert_complains(&out, 0, &[warning]);
        let seen = &s.standin.requests()[i];
        for (name, value) in *headers {
            assert_eq!(seen.header(name), Some(*value), "{raw}: {name}");
        }
    }
    s.standin.assert_no_problems();
}

#[test]
fn a_data_only_apple_payload_is_sent_with_a_warning() {
    let s = Setup::new();
    let out = s.run(
        &["send"],
        &draft(
            json!({"tags": ["vip"]}),
            json!({"format": "apple", "raw": {"sync": "inbox"}}),
        ),
    );
    assert_complains(
        &out,
        0,
        &["no aps: iOS delivers it as a background/data message only"],
    );
    s.standin.assert_no_problems();
    let seen = &s.standin.requests()[0];
    assert_eq!(seen.body, br#"{"sync":"inbox"}"#);
    assert_eq!(seen.header("apns-push-type"), Some("background"));
}

#[test]
fn custom_headers_reach_the_hub_and_its_own_are_refused() {
    let s = Setup::new();
    let out = s.run(
        &["send"],
        &draft(
            json!({"tags": ["vip"]}),
            json!({"headers": {"apns-collapse-id": "sale-42", "apns-topic": "com.acme.app"}}),
        ),
    );
    assert_says(&out, 0, &["Sent"]);
    s.standin.assert_no_problems();
    let seen = &s.standin.requests()[0];
    assert_eq!(seen.header("apns-collapse-id"), Some("sale-42"));
    assert_eq!(seen.header("apns-topic"), Some("com.acme.app"));

    // The preview shows them like any other header.
    let out = s.run(
        &["preview"],
        &draft(
            json!({"tags": ["vip"]}),
            json!({"headers": {"X-WNS-Tag": "promo"}, "format": "windows"}),
        ),
    );
    assert_says(&out, 0, &["X-WNS-Tag: promo"]);

    let out = s.run(
        &["send"],
        &draft(
            json!({"tags": ["vip"]}),
            json!({"headers": {"ServiceBusNotification-Format": "gcm"}}),
        ),
    );
    assert_bad_input(
        &out,
        &[
            "options.headers.ServiceBusNotification-Format",
            "cannot be set here",
            "options.format",
        ],
    );
    assert_eq!(s.standin.hits(), 1, "nothing more was sent");
}

#[test]
fn debug_send_reports_each_registration() {
    let s = Setup::new();
    let out = s.run(
        &["send", "--json"],
        &draft(
            json!({"tag_expression": "(vip || beta) && !churned"}),
            json!({"test_send": true}),
        ),
    );
    assert_eq!(code(&out), Some(0), "{}", explain(&out));
    s.standin.assert_no_problems();
    let doc = stdout_json(&out);
    let outcome = &only_result(&doc)["outcome"];
    assert!(
        outcome["summary"]
            .as_str()
            .is_some_and(|t| t.starts_with("Test send: 2 succeeded, 1 failed")),
        "{outcome:#}"
    );
    let items = outcome["items"].as_array().expect("items");
    assert_eq!(items.len(), 3);
    assert_eq!(items[2]["value"], "5126583452930341963-3");
    assert_eq!(
        items[2]["label"],
        "apple | deadbeef0000 | The Push Notification System handle for the registration is invalid"
    );
    let seen = s.standin.requests();
    assert_eq!(seen[0].query.as_deref(), Some("api-version=2020-06&test"));
    assert_eq!(
        seen[0].header("ServiceBusNotification-Tags"),
        Some("(vip || beta) && !churned")
    );

    // Without --json the rows are listed under the summary.
    let out = s.run(
        &["send"],
        &draft(json!({"tags": ["vip"]}), json!({"test_send": true})),
    );
    assert_says(
        &out,
        0,
        &[
            "  · 5126583452930341963-1: apple | a1b2c3d4e5f6 | The Notification was successfully sent",
        ],
    );
}

#[test]
fn a_test_send_that_matches_nobody_says_so_plainly() {
    let s = Setup::new();
    let out = s.run(
        &["send"],
        &draft(json!({"tags": ["nobody"]}), json!({"test_send": true})),
    );
    // Not a refusal (exit 0, not ✗), and not a success (·, not ✓).
    assert_says(
        &out,
        0,
        &[
            "· Test send: no registration matches these tags, so nobody received it",
            "→ Check the tags",
        ],
    );
    let out = s.run(
        &["send", "--json"],
        &draft(json!({"tags": ["nobody"]}), json!({"test_send": true})),
    );
    assert_eq!(
        only_result(&stdout_json(&out))["outcome"]["verdict"],
        "not_sent"
    );
}

#[test]
fn dry_run_uses_the_test_mode() {
    let s = Setup::new();
    let out = s.run(
        &["send", "--dry-run", "--json"],
        &draft(json!({"tags": ["vip"]}), json!({})),
    );
    assert_eq!(code(&out), Some(0), "{}", explain(&out));
    assert_eq!(
        s.standin.requests()[0].query.as_deref(),
        Some("api-version=2020-06&test")
    );
    // A direct send has no test mode: refused before anything is sent.
    let out = s.run(
        &["send", "--dry-run"],
        &draft(json!({"device_handle": "a1b2c3"}), json!({})),
    );
    assert_complains(&out, 2, &["direct send"]);
    assert_eq!(s.standin.hits(), 1);
}

#[test]
fn direct_and_scheduled_sends() {
    let s = Setup::new();
    let out = s.run(
        &["send", "--json"],
        &draft(json!({"device_handle": "a1b2c3d4"}), json!({})),
    );
    assert_eq!(code(&out), Some(0), "{}", explain(&out));
    let at = time::OffsetDateTime::now_utc() + time::Duration::hours(2);
    let at = at
        .format(&time::format_description::well_known::Rfc3339)
        .expect("format");
    let out = s.run(
        &["send", "--json"],
        &draft(json!({"tags": ["vip"]}), json!({"schedule_at": at})),
    );
    assert_says(&out, 0, &["Scheduled"]);
    s.standin.assert_no_problems();
    let seen = s.standin.requests();
    assert_eq!(seen[0].query.as_deref(), Some("direct&api-version=2020-06"));
    assert_eq!(
        seen[0].header("ServiceBusNotification-DeviceHandle"),
        Some("a1b2c3d4")
    );
    assert_eq!(seen[1].path, format!("/{HUB}/schedulednotifications/"));
    assert!(
        seen[1]
            .header("ServiceBusNotification-ScheduleTime")
            .is_some_and(|t| t.len() == 19)
    );
}

#[test]
fn bad_input_exits_2_naming_the_field_and_sends_nothing() {
    let s = Setup::new();
    for (audience, options, field) in [
        (
            json!({"tag_expression": "vip && (beta"}),
            json!({}),
            "audience.tag_expression",
        ),
        (
            json!({"tags": ["has space"]}),
            json!({}),
            "audience.tags[0]",
        ),
        (
            json!({}),
            json!({"format": "windows", "raw": "<toast><visual></toast>"}),
            "options.raw",
        ),
        (
            json!({}),
            json!({"format": "apple", "raw": "{\"aps\":"}),
            "options.raw",
        ),
        (json!({}), json!({"format": "nokia"}), "options.format"),
        (
            json!({"tags": ["a"]}),
            json!({"wns_type": "toast"}),
            "options.wns_type",
        ),
    ] {
        let out = s.run(&["send"], &draft(audience, options));
        assert_eq!(code(&out), Some(2), "{field}: {}", explain(&out));
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(field), "{field}: {err}");
    }
    assert_eq!(s.standin.hits(), 0);

    let mut broken = Setup::new();
    broken.connection = "Endpoint=sb://acme-ns.servicebus.windows.net/;SharedAccessKey=abc".into();
    let out = broken.run(&["send"], &draft(json!({"tags": ["a"]}), json!({})));
    assert_complains(&out, 2, &["SharedAccessKeyName= part is missing"]);
    assert_eq!(broken.standin.hits(), 0);
}

#[test]
fn the_hubs_errors_in_plain_words() {
    let s = Setup::new();
    for (status, detail, words) in [
        (400, "Bad payload.", "malformed"),
        (
            403,
            "QuotaExceeded: the daily push quota is used up.",
            "quota",
        ),
        (413, "Request entity too large.", "too large"),
    ] {
        s.standin.set(Scenario::Error(status, detail.into()));
        let out = s.run(
            &["send", "--json"],
            &draft(json!({"tags": ["vip"]}), json!({})),
        );
        assert_eq!(code(&out), Some(1), "{status}: {}", explain(&out));
        let doc = stdout_json(&out);
        let outcome = &only_result(&doc)["outcome"];
        let summary = outcome["summary"].as_str().unwrap_or("");
        assert!(
            summary.contains(words) && summary.contains(detail),
            "{status}: {summary}"
        );
        assert!(summary.contains(TRACKING_ID), "{summary}");
        assert!(outcome["hint"].is_string());
    }
    s.standin.set(Scenario::Ok);

    // A wrong key: the stand-in's own signature check fails.
    let mut wrong = Setup::new();
    wrong.connection = connection_string(FULL_POLICY, "NotTheKey0123456789");
    assert_says(&wrong.send_to_vip(), 1, &["InvalidSignature"]);

    // A Listen-only key cannot send: the missing claim is named.
    let listen = Setup::with_policy(LISTEN_POLICY, LISTEN_KEY);
    assert_says(&listen.send_to_vip(), 1, &["lacks the Send claim"]);
    listen.standin.assert_no_problems();
}

#[test]
fn unknown_hub_is_named() {
    let s = Setup::new();
    s.sandbox
        .add_profile_at(PROFILE, "azure", None, &[("hub", "no-such-hub")]);
    assert_says(&s.send_to_vip(), 1, &["no hub named “no-such-hub”"]);
}

#[test]
fn check_credentials() {
    let s = Setup::new();
    let out = s.cmd().args(["check", PROFILE]).output().expect("runs");
    assert_says(&out, 0, &["Connection string works", "can send to hub"]);
    let seen = s.standin.requests();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(
        seen[0].header("ServiceBusNotification-Tags"),
        Some("pushdeck_credential_check")
    );
    s.standin.assert_no_problems();

    let listen = Setup::with_policy(LISTEN_POLICY, LISTEN_KEY);
    let out = listen
        .cmd()
        .args(["check", PROFILE])
        .output()
        .expect("runs");
    assert_says(&out, 1, &["lacks the Send claim"]);
}

#[test]
fn preview_and_curl_hide_the_signature() {
    let s = Setup::new();
    let out = s.run(
        &["preview", "--curl"],
        &draft(json!({"tags": ["vip"]}), json!({})),
    );
    assert_eq!(code(&out), Some(0), "{}", explain(&out));
    let text = stdout(&out);
    assert!(text.contains("${PUSHDECK_SAS_SIGNATURE}"), "{text}");
    assert!(
        text.contains("ServiceBusNotification-Format: apple"),
        "{text}"
    );
    assert_eq!(s.standin.hits(), 0);
}

/// Microsoft's Python sample algorithm (standard library only) recomputes the signature of the
/// request `preview --reveal` prints: an independent peer for the SAS token.
#[test]
fn python_reference_algorithm_agrees() {
    let python = std::env::var("PUSHDECK_PYTHON").unwrap_or_else(|_| "python3".into());
    if std::process::Command::new(&python)
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("PUSHDECK_REQUIRE_PEERS").is_none(),
            "PUSHDECK_REQUIRE_PEERS is set but {python} cannot run"
        );
        eprintln!("skipped: {python} is not available (set PUSHDECK_PYTHON)");
        return;
    }
    let s = Setup::new();
    let out = s.run(
        &["preview", "--json", "--reveal"],
        &draft(json!({"tags": ["vip"]}), json!({})),
    );
    assert_eq!(code(&out), Some(0), "{}", explain(&out));
    let doc = stdout_json(&out);
    let auth = request_header(&only_result(&doc)["request"], "Authorization")
        .expect("Authorization")
        .to_string();
    let se = auth
        .split('&')
        .find_map(|p| p.strip_prefix("se="))
        .expect("se")
        .to_string();
    let script = r#"
import base64, hashlib, hmac, sys, urllib.parse
uri, key, name, se = sys.argv[1:5]
sr = urllib.parse.quote(uri, safe='').lower()
sig = base64.b64encode(hmac.new(key.encode('utf-8'), (sr + '\n' + se).encode('utf-8'), hashlib.sha256).digest()).decode()
print('SharedAccessSignature sr=%s&sig=%s&se=%s&skn=%s' % (sr, urllib.parse.quote(sig, safe=''), se, name))
"#;
    let py = std::process::Command::new(&python)
        .args(["-c", script])
        .arg(format!("{}/{HUB}", s.standin.base_url()))
        .args([KEY, FULL_POLICY, &se])
        .output()
        .expect("python runs");
    assert!(
        py.status.success(),
        "{}",
        String::from_utf8_lossy(&py.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&py.stdout).trim(), auth);
    assert_eq!(s.standin.hits(), 0);
}
