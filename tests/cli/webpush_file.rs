//! `audience.subscriptions_file`: the real binary streams subscriptions from a JSON-lines or
//! JSON-array file to the Web Push stand-in (which verifies and decrypts each one), names a bad
//! line, prunes gone subscriptions from the file itself, and resumes a file-based send.

use std::collections::BTreeMap;

use crate::support::{assert_exit, stderr, stdout, stdout_json};
use crate::webpush::Setup;
use serde_json::{Value, json};

impl Setup {
    fn subs(&self, ids: &[String]) -> Vec<Value> {
        ids.iter()
            .map(|id| self.service.subscribe(id, None))
            .collect()
    }

    /// A draft naming `file` (relative: beside the draft), sending 4 at a time.
    fn file_draft(&self, file: &str) -> String {
        let path = self.sandbox.write(
            "draft.json",
            &json!({"profile": "site", "message": {"title": "Build 118", "body": "Passed"},
                    "audience": {"subscriptions_file": file},
                    "options": {"concurrency": 4}})
            .to_string(),
        );
        path.to_string_lossy().into_owned()
    }

    fn lines(&self, name: &str, subs: &[Value]) -> std::path::PathBuf {
        let text: String = subs.iter().map(|s| format!("{s}\n")).collect();
        self.sandbox.write(name, &text)
    }

    /// How many times each subscription id reached the push service.
    fn delivered(&self) -> BTreeMap<String, usize> {
        let mut seen = BTreeMap::new();
        for d in self.service.delivered() {
            *seen.entry(d.id).or_default() += 1;
        }
        seen
    }
}

fn ids(prefix: &str, n: usize) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:03}")).collect()
}

#[test]
fn a_subscriptions_file_of_json_lines_or_an_array_reaches_each_subscriber_exactly_once() {
    let s = Setup::new();
    let lines = ids("line-", 60);
    s.lines("subs.jsonl", &s.subs(&lines));
    let out = s.run(&["send", &s.file_draft("subs.jsonl"), "--json"]);
    assert_exit(&out, 0);
    let seen = s.delivered();
    assert_eq!(seen.keys().cloned().collect::<Vec<_>>(), lines);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    let doc = stdout_json(&out);
    assert_eq!(doc["results"].as_array().map(Vec::len), Some(60));
    // A preview builds the first few, and says so.
    let out = s.run(&["preview", &s.file_draft("subs.jsonl")]);
    assert_exit(&out, 0);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        text.contains("/push/line-000") && !text.contains("/push/line-059"),
        "{text}"
    );
    assert!(
        text.contains("Showing the first 5 recipients of the file"),
        "{text}"
    );

    let array = ids("array-", 7);
    s.sandbox.write(
        "subs.json",
        &serde_json::to_string_pretty(&s.subs(&array)).expect("json"),
    );
    let out = s.run(&["send", &s.file_draft("subs.json")]);
    assert_exit(&out, 0);
    assert!(stdout(&out).contains("7 of 7 accepted"), "{}", stdout(&out));
    let seen = s.delivered();
    assert_eq!(seen.len(), 67);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");

    // The history entry stays small: the recipients as a count and a digest, not one by one.
    let list = stdout_json(&s.run(&["history", "list", "--json"]));
    let newest = &list["history"][0];
    assert_eq!(
        (newest["recipients"].clone(), newest["reached"].clone()),
        (json!(7), json!(7))
    );
}

#[test]
fn a_bad_line_is_named_by_its_number_and_nothing_is_sent() {
    let s = Setup::new();
    let good = s.subs(&ids("ok-", 3));
    let text = format!("{}\n{}\n{{\"endpoint\": \n{}\n", good[0], good[1], good[2]);
    s.sandbox.write("broken.jsonl", &text);
    let out = s.run(&["send", &s.file_draft("broken.jsonl")]);
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("line 3"), "{}", stderr(&out));
    // Valid JSON that is not a subscription is named by its line too.
    let text = format!(
        "{}\n{{\"endpoint\": \"https://x.test/1\"}}\n{}\n",
        good[0], good[1]
    );
    s.sandbox.write("unusable.jsonl", &text);
    let out = s.run(&["send", &s.file_draft("unusable.jsonl")]);
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("line 2") && err.contains("keys"), "{err}");
    let out = s.run(&["send", &s.file_draft("no-such-file.jsonl")]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("no-such-file.jsonl"),
        "{}",
        stderr(&out)
    );
    assert!(s.service.delivered().is_empty(), "nothing was sent");
}

#[test]
fn prune_gone_rewrites_the_subscriptions_file() {
    let s = Setup::new();
    let names: Vec<String> = ["ana", "gone-old-laptop", "ben", "missing-phone", "cleo"]
        .map(String::from)
        .to_vec();
    let subs = s.subs(&names);
    let file = s.lines("subs.jsonl", &subs);
    let out = s.run(&["send", &s.file_draft("subs.jsonl"), "--prune-gone"]);
    assert_exit(&out, 1);
    assert!(
        stderr(&out).contains("removed 2 gone subscription(s)"),
        "{}",
        stderr(&out)
    );
    let left = std::fs::read_to_string(&file).expect("still there");
    let kept: Vec<Value> = left
        .lines()
        .map(|l| serde_json::from_str(l).expect("one subscription a line"))
        .collect();
    assert_eq!(kept, [subs[0].clone(), subs[2].clone(), subs[4].clone()]);
    // The pruned file sends to the three left, all accepted.
    let out = s.run(&["send", &s.file_draft("subs.jsonl")]);
    assert_exit(&out, 0);
    assert_eq!(s.delivered().get("ana"), Some(&2));
}

#[test]
fn a_send_from_a_file_resumes_to_exactly_the_rest() {
    let s = Setup::new();
    let mut names = ids("r-", 25);
    names.insert(21, "missing-x".into());
    s.lines("subs.jsonl", &s.subs(&names));
    let out = s.run(&["send", &s.file_draft("subs.jsonl"), "--json"]);
    assert_exit(&out, 1);
    let id = stdout_json(&out)["history_id"]
        .as_str()
        .expect("a history id")
        .to_string();
    let out = s.run(&["resume", &id, "--yes"]);
    assert_exit(&out, 1);
    assert!(
        stdout(&out).contains("the 25 already reached were skipped"),
        "{}",
        stdout(&out)
    );
    let requests: Vec<String> = s.service.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(requests.len(), 27, "26 once, then the missing one again");
    assert_eq!(requests[26], "/push/missing-x");
    let seen = s.delivered();
    assert_eq!(seen.len(), 25);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");

    // A file changed since the send is refused, nothing sent.
    let mut other = ids("r-", 25);
    other.insert(21, "missing-y".into());
    s.lines("subs.jsonl", &s.subs(&other));
    let out = s.run(&["resume", &id, "--yes"]);
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("no longer makes the same 26 requests"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.service.requests().len(), 27);
}
