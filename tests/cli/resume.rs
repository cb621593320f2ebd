//! `pushdeck resume`: the real binary against the Web Push stand-in. A send with failures is
//! resumed to exactly the recipients with no recorded success; what cannot be resumed is refused
//! in words, nothing sent. Recipients in doubt (started, never answered) are skipped unless
//! `--include-in-doubt`. (Interrupted sends, killed mid-way: tests/durability.rs.)

use crate::support::{assert_exit, interrupt_after_first, stderr, stdout, stdout_json};
use crate::webpush::Setup;
use pushdeck::store::HistoryStore;
use serde_json::{Value, json};

impl Setup {
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

/// `interrupt_after_first` on the sandbox's history.
fn interrupt(s: &Setup, id: &str, in_doubt: &[usize]) -> String {
    let history = HistoryStore::new(s.sandbox.data_dir().join("history"));
    interrupt_after_first(&history, id, in_doubt)
}

/// Ben's and cy's requests were on the wire when the send was killed: they are in doubt. The
/// default resume sends only to dan and says why in words; `--include-in-doubt` sends to them.
#[test]
fn recipients_in_doubt_are_skipped_unless_included() {
    let s = Setup::new();
    let sent = s.send(&["ana", "ben", "cy", "dan"]);
    let id = interrupt(&s, &sent, &[1, 2]);
    assert_eq!(s.service.delivered().len(), 4);

    let listed = s.history();
    assert_eq!(
        listed[0]["summary"],
        json!("interrupted: 1 of 4 done, 2 in doubt")
    );
    assert_eq!(listed[0]["in_doubt"], json!(2));
    let shown = stdout_json(&s.run(&["history", "show", &id, "--json"]));
    assert_eq!(
        (shown["state"].clone(), shown["in_doubt"].clone()),
        (json!("interrupted"), json!(2))
    );
    let shown = stdout(&s.run(&["history", "show", &id]));
    assert!(
        shown.contains("interrupted: 1 of 4 done, 2 in doubt")
            && shown.contains("2 recipients may already have it"),
        "{shown}"
    );

    // By default: only dan; ben and cy are left in doubt, and it says so.
    let out = s.run(&["resume", &id, "--yes", "--json"]);
    assert_exit(&out, 0);
    assert!(
        stderr(&out).contains(
            "2 recipients may already have it (the send was stopped while their request was on the wire); not sent again. --include-in-doubt sends to them too"
        ),
        "{}",
        stderr(&out)
    );
    let doc = stdout_json(&out);
    assert_eq!(doc["in_doubt"], json!(2));
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(1));
    assert_eq!(s.paths()[4..], ["/push/dan"]);

    // Nothing left but those in doubt: refused in words, nothing sent.
    let out = s.run(&["resume", &id, "--yes"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("but 2 in doubt") && stderr(&out).contains("--include-in-doubt"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.paths().len(), 5);

    // Asked to: ben and cy, once more each; ana and dan are never sent to again.
    let out = s.run(&["resume", &id, "--yes", "--include-in-doubt", "--json"]);
    assert_exit(&out, 0);
    assert_eq!(stdout_json(&out)["in_doubt"], json!(0));
    let mut again = s.paths()[5..].to_vec();
    again.sort();
    assert_eq!(again, ["/push/ben", "/push/cy"]);
    let latest = &s.history()[0];
    assert_eq!(
        (latest["reached"].clone(), latest.get("in_doubt").cloned()),
        (json!(4), None),
        "{latest}"
    );
}

#[test]
fn resume_help_names_include_in_doubt() {
    let s = Setup::new();
    let help = stdout(&s.run(&["resume", "--help"]));
    assert!(
        help.contains("--include-in-doubt") && help.contains("may get the message twice"),
        "{help}"
    );
}
