//! End to end: apprise (an independent notification library, from the peers' venv) sends through
//! its own ntfy plugin to the real `pushdeck sink ntfy`, which shows what it sent, verifies its
//! token with `--profile`, and answers a wrong token and an oversized body with ntfy's documented
//! errors and a ✗ finding that says why.

use serde_json::{Value, json};

use super::sink_run::{Sink, answered, findings, peers, sink_with_profile};
use crate::support::{Keyring, Sandbox};

/// An ntfy access token of ntfy's form (tk_ and 29 letters and digits): apprise recognises the
/// form and sends it as `Authorization: Bearer`.
const TOKEN: &str = "tk_AgQdq7mVBoFD37zQVN29RhuMzNIz2";
const OTHER_TOKEN: &str = "tk_ZZZZq7mVBoFD37zQVN29RhuMzNIz2";

/// apprise with one URL: prints whether the notification went (apprise's own verdict).
/// A body `x*N` is N letters x (too long for a command line).
const APPRISE: &str = r#"
import json, sys
import apprise
url, title, body = sys.argv[1:4]
if body.startswith("x*"):
    body = "x" * int(body[2:])
a = apprise.Apprise()
if not a.add(url):
    sys.exit("apprise did not take the URL " + url)
print(json.dumps(bool(a.notify(title=title, body=body))))
"#;

fn apprise(url: &str, title: &str, body: &str) -> bool {
    let out = peers(&[]).python_output(APPRISE, &[url, title, body]);
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "apprise failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_str::<bool>(printed.trim()).expect("apprise's verdict")
}

#[test]
fn apprises_ntfy_plugin_arrives_with_its_title_and_body_and_an_oversized_body_is_41301() {
    let sandbox = Sandbox::with(Keyring::None, None);
    let sink = Sink::start(&sandbox, "ntfy", &[], &[]);
    let url = format!("ntfy://{}/ci", sink.authority());

    assert!(apprise(&url, "Build 118", "Passed in 4 min ✓"));
    let a = sink.arrival();
    assert_eq!(a["status"], 200, "{a}");
    assert_eq!(a["method"], "POST");
    assert!(findings(&a, "fail").is_empty(), "{a}");
    let request: Value = serde_json::from_str(
        a["exchange"]["request"]["body"]
            .as_str()
            .expect("the request body as text"),
    )
    .expect("apprise publishes JSON");
    assert_eq!(request["topic"], "ci", "{request}");
    let message = answered(&a);
    assert_eq!(message["topic"], "ci");
    assert_eq!(message["title"], "Build 118");
    assert_eq!(message["message"], "Passed in 4 min ✓");

    // 3 MB: apprise uploads a body this long as an attachment, over ntfy.sh's 2 MB.
    assert!(!apprise(&url, "Log", "x*3145728"));
    let a = sink.arrival();
    assert_eq!(a["status"], 413, "{a}");
    assert_eq!(answered(&a)["code"], 41301);
    let why = findings(&a, "fail");
    assert!(why.contains("2 MB") && why.contains("attachment"), "{why}");
}

#[test]
fn with_a_profile_apprises_token_is_verified_and_a_wrong_one_is_401() {
    let (sink, _sandbox) = sink_with_profile(
        "ntfy",
        "alerts",
        &[],
        &[],
        &[("PUSHDECK_ACCESS_TOKEN", TOKEN)],
    );

    let url = format!("ntfy://{TOKEN}@{}/ci", sink.authority());
    assert!(apprise(&url, "Deploy", "v1.2.3 is out"));
    let a = sink.arrival();
    assert_eq!(a["status"], 200, "{a}");
    assert_eq!(a["level"], "ok", "the token verified: {a}");
    assert_eq!(answered(&a)["message"], "v1.2.3 is out");
    assert!(!a.to_string().contains(TOKEN), "the token is masked: {a}");

    let url = format!("ntfy://{OTHER_TOKEN}@{}/ci", sink.authority());
    assert!(!apprise(&url, "Deploy", "v1.2.3 is out"));
    let a = sink.arrival();
    assert_eq!(a["status"], 401, "{a}");
    assert_eq!(a["level"], "fail");
    assert_eq!(answered(&a)["code"], 40101);
    let why = findings(&a, "fail");
    assert!(why.contains("not profile alerts"), "{why}");
    assert_eq!(json!(a["rehearsal"]), Value::Null);
}
