//! `Engine::start_sink` as the window will drive it: the handle's base URL, one event per
//! arrival, the answer switched while it runs, an unknown rehearsal refused in words, and `stop`
//! ending the events.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pushdeck::engine::Engine;
use pushdeck::engine::sink::{SinkEvent, SinkHandle, SinkJob, listen_address};
use pushdeck::store::{HistoryStore, Paths};

fn next_arrival(handle: &SinkHandle) -> Arc<pushdeck::store::SinkRecord> {
    loop {
        match handle
            .events
            .recv_timeout(Duration::from_secs(20))
            .expect("an event")
        {
            SinkEvent::Arrival(record) => return record,
            SinkEvent::Warning(w) => eprintln!("warning: {w}"),
        }
    }
}

#[test]
fn the_answer_switches_while_it_runs_and_stop_ends_the_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let runtime = super::runtime();
    let engine = Engine::new(HistoryStore::new(paths.history_dir())).expect("engine");
    let (listen, warning) = listen_address("ntfy", Some(0), None).expect("address");
    assert!(warning.is_none(), "loopback needs no warning");
    let notified = Arc::new(AtomicUsize::new(0));
    let counter = notified.clone();
    let handle = engine
        .start_sink(
            runtime.handle(),
            SinkJob {
                provider: "ntfy".into(),
                profile: None,
                listen,
                rehearsal: None,
                tls: false,
                paths: paths.clone(),
            },
            Arc::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            }),
        )
        .expect("starts");
    assert!(handle.base_url.starts_with("http://127.0.0.1:"));
    assert!(
        handle
            .setup
            .iter()
            .any(|l| l.label == "Base URL" && l.value == handle.base_url)
    );
    let client = reqwest::Client::new();
    let post = |body: &'static str| {
        let url = format!("{}/news", handle.base_url);
        let client = client.clone();
        runtime.block_on(async move {
            client
                .post(url)
                .body(body)
                .send()
                .await
                .expect("answered")
                .status()
                .as_u16()
        })
    };

    assert_eq!(post("first"), 200);
    let record = next_arrival(&handle);
    assert_eq!(record.status(), 200);
    assert_eq!(record.rehearsal, None);
    assert_eq!(
        record.exchange.request.url,
        format!("{}/news", handle.base_url)
    );

    handle
        .set_rehearsal(Some("server-error"))
        .expect("a rehearsal ntfy has");
    assert_eq!(post("second"), 500);
    let record = next_arrival(&handle);
    assert_eq!(record.rehearsal.as_deref(), Some("server-error"));
    assert!(record.summary.contains("500"), "{}", record.summary);

    let err = handle.set_rehearsal(Some("teapot")).expect_err("unknown");
    assert!(
        err.contains("teapot") && err.contains("rate-limited"),
        "{err}"
    );
    assert_eq!(handle.rehearsal().map(|r| r.name), Some("server-error"));
    handle.set_rehearsal(None).expect("back to normal");
    assert_eq!(post("third"), 200);
    next_arrival(&handle);
    assert_eq!(handle.received(), 3);
    assert!(
        notified.load(Ordering::SeqCst) >= 3,
        "the front end was woken"
    );

    handle.stop();
    let rest: Vec<_> = handle.events.iter().collect();
    assert!(rest.is_empty(), "nothing arrives after stop: {rest:?}");
    let session = engine
        .history()
        .sink_session(&handle.session)
        .expect("reads")
        .expect("kept");
    assert_eq!(session.arrivals.len(), 3);
}

#[test]
fn a_profile_of_another_provider_or_an_unknown_one_is_refused_in_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let runtime = super::runtime();
    let engine = Engine::new(HistoryStore::new(paths.history_dir())).expect("engine");
    let job = |provider: &str, profile: Option<&str>| SinkJob {
        provider: provider.into(),
        profile: profile.map(str::to_string),
        listen: listen_address(provider, Some(0), None).expect("address").0,
        rehearsal: None,
        tls: false,
        paths: paths.clone(),
    };
    let err = engine
        .start_sink(runtime.handle(), job("gotify", None), Arc::new(|| {}))
        .err()
        .expect("not imitated");
    assert!(err.contains("gotify") && err.contains("ntfy"), "{err}");
    let err = engine
        .start_sink(
            runtime.handle(),
            job("ntfy", Some("nobody")),
            Arc::new(|| {}),
        )
        .err()
        .expect("no such profile");
    assert!(err.contains("nobody"), "{err}");
    let (addr, warning) = listen_address("ntfy", None, Some("0.0.0.0")).expect("an address");
    assert_eq!(addr.port(), 8630, "the provider's own port");
    assert!(warning.is_some_and(|w| w.contains("beyond this computer")));
    assert!(listen_address("ntfy", None, Some("not an address")).is_err());
}
