//! The window under bad networks: a server that never answers, one that trickles, one that sends
//! 50 MB. The UI keeps drawing frames and taking input while the send is stuck, Esc cancels it,
//! and the attempt is in history with its outcome in words.

use crate::support::fault_server;

use std::time::{Duration, Instant};

use egui_kittest::kittest::{By, Queryable as _};
use fault_server::{Fault, FaultServer};
use pushdeck::store::{Environment, HistoryStore, Profile};

use crate::support::window::{Desk, Window, open, type_into, wait_for_at_most};

/// A window on an ntfy profile pointed at the fault server (ntfy: no secret needed, one request).
fn window(desk: &Desk, base_url: &str) -> Window {
    let mut profile = Profile::new("alerts", "ntfy");
    profile.base_url = Some(base_url.to_string());
    profile.environment = Environment::Dev;
    open(desk.app(profile, &[]))
}

fn start_send(h: &mut Window) {
    type_into(h, "Body", "Deployed");
    type_into(h, "Topic", "deploys");
    h.query_all(By::new().predicate(|n| n.label().is_some_and(|l| l.starts_with("Send to "))))
        .next()
        .expect("the Send button")
        .click();
    h.step();
}

fn history_of(desk: &Desk) -> Vec<pushdeck::store::HistorySummary> {
    HistoryStore::new(desk.paths().history_dir()).list()
}

#[test]
fn a_silent_server_never_freezes_the_window_and_esc_cancels() {
    let desk = Desk::new();
    let server = FaultServer::start(Fault::Silent);
    let mut h = window(&desk, &server.base_url());
    start_send(&mut h);
    assert!(h.state().is_sending());
    // While the request hangs, frames keep coming fast and typing still edits the draft.
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        h.step();
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(1),
        "a frame took {slowest:?} while the network hung"
    );
    h.get_by_label("Title").focus();
    h.step();
    h.get_by_label("Title").type_text("Still typing");
    h.step();
    assert!(h.state().is_sending(), "the send is still waiting");
    assert!(
        h.query_all(By::new().predicate(|n| n.value().is_some_and(|v| v == "Still typing")))
            .next()
            .is_some(),
        "typing works during a send"
    );
    h.key_press(eframe::egui::Key::Escape);
    wait_for_at_most(&mut h, Duration::from_secs(10), "Esc to cancel", |h| {
        !h.state().is_sending()
    });
    let (ok, status) = h.state().status.clone().expect("a status");
    assert!(!ok && status.contains("ancel"), "{status}");
    let history = history_of(&desk);
    assert_eq!(history.len(), 1, "the cancelled attempt is in history");
    assert!(!history[0].ok);
    // The server had the request when Esc stopped the wait: it may have acted on it.
    assert_eq!(history[0].in_doubt, 1, "the abandoned request is in doubt");
    assert!(status.contains("in doubt"), "{status}");
}

#[test]
fn a_huge_answer_is_capped_and_explained_without_freezing() {
    let desk = Desk::new();
    let server = FaultServer::start(Fault::Huge(50 * 1024 * 1024));
    let mut h = window(&desk, &server.base_url());
    start_send(&mut h);
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut slowest = Duration::ZERO;
    while h.state().is_sending() {
        assert!(Instant::now() < deadline, "the 50 MB answer never ended");
        std::thread::sleep(Duration::from_millis(20));
        let t = Instant::now();
        h.step();
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(1),
        "a frame took {slowest:?} while 50 MB arrived"
    );
    h.run();
    let (ok, status) = h.state().status.clone().expect("a status");
    assert!(!ok, "{status}");
    assert!(status.contains("10 MB"), "the cap is said: {status}");
    assert_eq!(history_of(&desk).len(), 1);
}
