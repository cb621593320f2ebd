//! `pushdeck resume`: the real binary against the Web Push stand-in. A send with failures is
//! resumed to exactly the recipients with no recorded success; what cannot be resumed is refused
//! in words, nothing sent. (Interrupted sends, killed mid-way: tests/durability.rs.)

use crate::support::stand_ins::webpush::PushService;
use crate::support::{Keyring, Sandbox, assert_exit, stderr, stdout, stdout_json};
use pushdeck::provider::webpush::vapid::VapidKey;
use serde_json::{Value, json};

struct Setup {
    service: PushService,
    sandbox: Sandbox,
    key: VapidKey,
}

impl Setup {
    fn new() -> Self {
        let service = PushService::start();
        let sandbox = Sandbox::with(Keyring::None, None);
        let key = VapidKey::generate().expect("key");
        sandbox.add_profile_at(
            "site",
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

    fn run(&self, args: &[&str]) -> std::process::Output {
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

    fn send(&self, ids: &[&str]) -> String {
        let subscriptions: Vec<Value> = ids
            .iter()
            .map(|id| self.service.subscribe(id, None))
            .collect();
        let draft = self.sandbox.write(
            "draft.json",
            &json!({"profile": "site", "message": {"title": "Build 118", "body": "Passed"},
                    "audience": {"subscriptions": subscriptions}})
            .to_string(),
        );
        let out = self.run(&["send", draft.to_str().expect("utf-8"), "--json"]);
        stdout_json(&out)["history_id"]
            .as_str()
            .expect("a history id")
            .to_string()
    }

    fn paths(&self) -> Vec<String> {
        self.service
            .requests()
            .into_iter()
            .map(|r| r.path)
            .collect()
    }

    fn history(&self) -> Vec<Value> {
        stdout_json(&self.run(&["history", "list", "--json"]))["history"]
            .as_array()
            .expect("history")
            .clone()
    }
}

#[test]
fn a_send_with_failures_resumes_only_to_the_recipients_not_reached() {
    let s = Setup::new();
    let id = s.send(&["ana", "missing-x", "ben"]);
    assert_eq!(s.paths().len(), 3);

    let out = s.run(&["resume", &id, "--yes"]);
    // The one recipient left is still missing: refused again, exit 1.
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("Resumed ")
            && stdout(&out).contains("the 2 already reached were skipped"),
        "{}",
        stdout(&out)
    );
    let paths = s.paths();
    assert_eq!(paths.len(), 4, "{paths:?}");
    assert_eq!(paths[3], "/push/missing-x");
    let history = s.history();
    let resumed = history
        .iter()
        .find(|e| e["resumes"] == json!(id))
        .expect("a new entry linking the original");
    assert_eq!(resumed["requests"], json!(1));
    assert_eq!(
        (resumed["reached"].clone(), resumed["recipients"].clone()),
        (json!(2), json!(3))
    );

    // Resuming the original again goes on from the latest resume, never to ana or ben.
    let out = s.run(&["resume", &id, "--yes", "--json"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("was already resumed"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        stdout_json(&out)["results"].as_array().map(Vec::len),
        Some(1)
    );
    let paths = s.paths();
    assert_eq!(&paths[3..], ["/push/missing-x", "/push/missing-x"]);
    assert_eq!(s.service.delivered().len(), 2, "ana and ben, once each");
}

#[test]
fn what_cannot_be_resumed_is_refused_in_words_and_nothing_is_sent() {
    let s = Setup::new();
    let id = s.send(&["ana", "ben"]);
    let out = s.run(&["resume", &id, "--yes"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("already has a recorded success: nothing to resume"),
        "{}",
        stderr(&out)
    );
    let out = s.run(&["resume", "20260101T000000000Z-nothere", "--yes"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("pushdeck history list"),
        "{}",
        stderr(&out)
    );
    let out = s.run(&["resume", "../etc", "--yes"]);
    assert_exit(&out, 2);
    assert_eq!(s.paths().len(), 2, "nothing more was sent");
}
