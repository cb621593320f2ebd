//! The journal's own tests: kills, doubt, compaction, held writes.
use super::*;
use crate::http::PreparedRequest;

fn header(id: &str) -> JournalHeader {
    JournalHeader {
        id: id.into(),
        at: "2026-12-04T00:00:00Z".into(),
        provider: "webpush".into(),
        profile: "p".into(),
        audience: "3 subscriptions".into(),
        draft: Draft::default().into(),
        total: 3,
        recipients: vec!["a".into(), "b".into(), "c".into()],
        recipient_count: 0,
        recipients_digest: None,
        source: None,
        carried: Vec::new(),
        carried_in_doubt: Vec::new(),
        resumes: None,
    }
}

fn exchange() -> Exchange {
    let request = PreparedRequest::new("POST", "https://push.test/x").secret_header(
        "Authorization",
        "vapid t=verysecretvalue123",
        "vapid",
        "verysecretvalue123",
    );
    Exchange::unsent(request)
}

#[test]
fn a_killed_send_reads_as_interrupted_up_to_its_last_whole_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::create(dir.path(), &header("20261204T000000000Z-a")).expect("j");
    // While the writer holds it, the entry reads as running, not interrupted.
    let path = path_of(dir.path(), "20261204T000000000Z-a");
    assert!(read(&path).expect("reads").running);
    journal.record(Some(0), &[], &exchange(), &Outcome::accepted("Sent"));
    journal.record(Some(2), &[], &exchange(), &Outcome::refused("Gone"));
    drop(journal);
    // A torn last line, as a kill in the middle of a write would leave.
    let mut f = File::options().append(true).open(&path).expect("open");
    f.write_all(b"{\"request\":1,\"exchange\":{\"requ")
        .expect("torn");
    let entry = read(&path).expect("reads");
    assert!(!entry.running);
    assert_eq!(entry.results.len(), 2);
    assert_eq!(entry.done, [0]);
    let text = std::fs::read_to_string(&path).expect("text");
    assert!(!text.contains("verysecretvalue123"), "{text}");
}

#[test]
fn a_request_started_without_a_result_is_in_doubt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = header("20261204T000000000Z-c");
    // A resume that left recipient 1 in doubt (and sends to 0 and 2 only).
    h.carried_in_doubt = vec![1];
    let journal = Journal::create(dir.path(), &h).expect("j");
    journal.started(0);
    journal.started(2);
    journal.record(Some(0), &[], &exchange(), &Outcome::accepted("Sent"));
    drop(journal);
    let path = path_of(dir.path(), "20261204T000000000Z-c");
    let text = std::fs::read_to_string(&path).expect("text");
    assert!(text.contains("{\"started\":2}\n"), "one small line: {text}");
    let first = read(&path).expect("reads");
    assert_eq!(first.done, [0]);
    assert_eq!(
        first.in_doubt,
        [1, 2],
        "2 went out unanswered; 1 carried over"
    );
    // A failure is an answer: not in doubt.
    let journal = Journal::create(dir.path(), &header("20261204T000000000Z-d")).expect("j");
    journal.started(0);
    journal.record(Some(0), &[], &exchange(), &Outcome::refused("Gone"));
    drop(journal);
    let answered = read(&path_of(dir.path(), "20261204T000000000Z-d")).expect("reads");
    assert!(answered.in_doubt.is_empty() && answered.done.is_empty());
}

/// Lines queued while held reach the file together when released, not before; outside a
/// hold each goes at once.
#[test]
fn held_lines_are_written_together_when_released() {
    let dir = tempfile::tempdir().expect("tempdir");
    let journal = Journal::create(dir.path(), &header("20261204T000000000Z-e")).expect("j");
    let path = path_of(dir.path(), "20261204T000000000Z-e");
    let lines = || {
        std::fs::read_to_string(&path)
            .expect("text")
            .lines()
            .count()
    };
    journal.started(0);
    assert_eq!(lines(), 2, "the header and the started line");
    journal.hold();
    journal.record(Some(0), &[], &exchange(), &Outcome::accepted("Sent"));
    journal.started(1);
    journal.started(2);
    assert_eq!(lines(), 2, "held: nothing written yet");
    journal.release();
    assert_eq!(lines(), 5, "all three in one go");
    journal.record(Some(1), &[], &exchange(), &Outcome::accepted("Sent"));
    assert_eq!(lines(), 6, "released: written at once");
    journal.hold();
    journal.started(3);
    // A journal dropped while held still writes what it queued.
    drop(journal);
    assert_eq!(lines(), 7);
    let read = read(&path).expect("reads");
    assert_eq!(read.done, [0, 1]);
    assert_eq!(read.in_doubt, [2, 3]);
}

#[test]
fn a_streamed_fan_out_keeps_a_sample_and_failures_in_full_and_the_rest_compact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = header("20261204T000000000Z-b");
    h.recipients.clear();
    h.recipient_count = 100;
    h.recipients_digest = Some("d".into());
    let journal = Journal::create(dir.path(), &h).expect("j");
    for i in 0..100 {
        let outcome = if i == 70 {
            Outcome::refused("Gone")
        } else {
            Outcome::accepted("Sent")
        };
        journal.record_finished(Finished {
            request: Some(i),
            fingerprint: Some("f00d"),
            retried: &[],
            exchange: &exchange(),
            outcome: &outcome,
            compact: true,
        });
    }
    drop(journal);
    let path = path_of(dir.path(), "20261204T000000000Z-b");
    let text = std::fs::read_to_string(&path).expect("text");
    assert!(
        text.lines().next().is_some_and(|l| !l.contains("f00d")),
        "a small header"
    );
    assert_eq!(
        text.lines().filter(|l| l.contains("\"ok\":true")).count(),
        100 - KEEP_IN_FULL - 1
    );
    let read = read(&path).expect("reads");
    assert_eq!(
        read.results.len(),
        KEEP_IN_FULL + 1,
        "the sample and the failure"
    );
    assert_eq!(read.done.len(), 99);
    assert!(!read.done.contains(&70));
    assert!(text.len() < 40_000, "{} bytes", text.len());
}
