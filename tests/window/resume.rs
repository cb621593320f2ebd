//! The History window's "Send to the remaining": an interrupted Web Push send is listed as
//! interrupted, and one click sends its draft only to the recipients not reached, through the
//! real engine to the local push service.

use std::time::Duration;

use egui_kittest::kittest::Queryable as _;

use crate::support::interrupt_after_first;
use crate::support::stand_ins::webpush::PushService;
use crate::support::window::{Desk, harness_sized, text_visible, wait_for_at_most};
use pushdeck::draft::Draft;
use pushdeck::engine::{DEFAULT_TIMEOUT, Engine, MAX_CONCURRENCY, SendJob};
use pushdeck::provider::webpush::vapid::VapidKey;
use pushdeck::store::{HistoryStore, Profile, SecretStore};
use serde_json::json;
use tokio_util::sync::CancellationToken;

/// A real send to ana, ben and cy through the engine, then its entry replaced by the journal it
/// would have left had it been killed after ana's answer, with `started` (prepared indices) on
/// the wire unanswered at that moment.
fn interrupted_after_ana(
    desk: &Desk,
    service: &PushService,
    started: &[usize],
) -> (HistoryStore, SecretStore) {
    let key = VapidKey::generate().expect("key");
    let mut profile = Profile::new("site", "webpush");
    for (k, v) in [
        ("subject", "mailto:ops@example.com".to_string()),
        ("vapid_public_key", key.public_key_b64()),
    ] {
        profile.settings.insert(k.into(), v);
    }
    let private = key.private_key_b64().expect("b64");
    let (app, keyring) = desk.app_and_keyring(profile.clone(), &[("vapid_private_key", &private)]);
    drop(app);

    // A real send to ana, ben and cy, through the engine…
    let subscriptions: Vec<_> = ["ana", "ben", "cy"]
        .iter()
        .map(|id| service.subscribe(id, None))
        .collect();
    let draft = Draft::from_json(
        &json!({"profile": "site", "message": {"title": "Build 118", "body": "Passed"},
                "audience": {"subscriptions": subscriptions}})
        .to_string(),
    )
    .expect("draft");
    let history = HistoryStore::new(desk.paths().history_dir());
    let engine = Engine::new(HistoryStore::new(desk.paths().history_dir())).expect("engine");
    let mut secrets = pushdeck::profile::Secrets::default();
    secrets.insert("vapid_private_key", private.clone());
    let job = SendJob {
        provider: pushdeck::provider::find("webpush").expect("webpush"),
        draft: draft.into(),
        profile,
        secrets,
        idempotency_key: "k".into(),
        dry_run: false,
        timeout: DEFAULT_TIMEOUT,
        concurrency: MAX_CONCURRENCY,
    };
    let report = desk
        .runtime
        .block_on(engine.send(job, CancellationToken::new(), &|_| {}));
    let sent = history
        .get(report.history_id.as_deref().expect("recorded"))
        .expect("reads")
        .expect("kept");
    assert_eq!(sent.done, [0, 1, 2]);
    // …whose journal, had it been killed after ana's answer, would read so: its header, one line.
    interrupt_after_first(&history, &sent.id, started);
    assert_eq!(service.delivered().len(), 3);
    (history, keyring)
}

#[test]
fn an_interrupted_send_is_finished_from_the_history_window() {
    let desk = Desk::new();
    let service = PushService::start_on(&desk.runtime);
    let (history, keyring) = interrupted_after_ana(&desk, &service, &[]);

    let mut h = harness_sized(desk.app_with(keyring), [1280.0, 860.0]);
    h.run();
    h.get_by_label("History (1)").click();
    h.run();
    h.get_by_label_contains("interrupted: 1 of 3 done").click();
    h.run();
    let button = h.get_by_label("Send to the remaining 2");
    button.hover();
    h.run();
    assert!(
        text_visible(&h, "with no recorded success"),
        "the button explains itself"
    );
    h.get_by_label("Send to the remaining 2").click();
    h.step();
    wait_for_at_most(&mut h, Duration::from_secs(20), "the resumed send", |h| {
        !h.state().is_sending() && service.delivered().len() >= 5
    });
    h.run();
    let mut ids: Vec<String> = service.delivered().into_iter().map(|d| d.id).collect();
    ids.sort();
    assert_eq!(
        ids,
        ["ana", "ben", "ben", "cy", "cy"],
        "ana is not sent to again"
    );
    assert!(
        text_visible(&h, "Resumed by"),
        "the original links its resume"
    );
    let list = history.list();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].resumes.as_deref(), Some(list[1].id.as_str()));
    assert_eq!((list[0].reached, list[0].recipients), (3, 3));
}

/// Ben's request was on the wire when the send was killed: he is in doubt. "Send to the remaining"
/// leaves him out unless "Also send to the 1 in doubt" is ticked (its tooltip says why).
#[test]
fn a_recipient_in_doubt_is_sent_to_only_when_ticked() {
    let desk = Desk::new();
    let service = PushService::start_on(&desk.runtime);
    let (history, keyring) = interrupted_after_ana(&desk, &service, &[1]);
    let mut h = harness_sized(desk.app_with(keyring), [1280.0, 860.0]);
    h.run();
    h.get_by_label("History (1)").click();
    h.run();
    h.get_by_label_contains("interrupted: 1 of 3 done, 1 in doubt")
        .click();
    h.run();
    // Unticked: only cy.
    h.get_by_label("Send to the remaining 1");
    let tick = h.get_by_label("Also send to the 1 in doubt");
    tick.hover();
    h.run();
    assert!(
        text_visible(&h, "1 recipient may already have it"),
        "the checkbox explains itself"
    );
    h.get_by_label("Also send to the 1 in doubt").click();
    h.run();
    h.get_by_label("Send to the remaining 2").click();
    h.step();
    wait_for_at_most(&mut h, Duration::from_secs(20), "the resumed send", |h| {
        !h.state().is_sending() && service.delivered().len() >= 5
    });
    h.run();
    let mut ids: Vec<String> = service.delivered().into_iter().map(|d| d.id).collect();
    ids.sort();
    assert_eq!(ids, ["ana", "ben", "ben", "cy", "cy"], "ben is included");
    let list = history.list();
    assert_eq!(list.len(), 2);
    assert_eq!(
        (list[0].reached, list[0].in_doubt, list[0].recipients),
        (3, 0, 3)
    );
}
