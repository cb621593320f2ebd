//! The Courier tab in the real UI against a local stand-in: compose to one recipient with routing,
//! send, see the requestId, then "Check delivery" shows the status and each channel's attempt.

#[path = "stand_ins/courier.rs"]
mod stand_in;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{Environment, Paths, Profile, ProfileStore, SecretStore};
use pushdeck::ui::{AppSetup, PushdeckApp};
use stand_in::{CourierStandIn, REQUEST_ID, TOKEN};

fn type_into(h: &mut Harness<'_, PushdeckApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

fn text_visible(h: &Harness<'_, PushdeckApp>, needle: &str) -> bool {
    h.query_all(By::new().predicate(move |n| {
        n.value().is_some_and(|v| v.contains(needle))
            || n.label().is_some_and(|l| l.contains(needle))
    }))
    .next()
    .is_some()
}

fn wait_for(
    h: &mut Harness<'_, PushdeckApp>,
    what: &str,
    done: impl Fn(&Harness<'_, PushdeckApp>) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !done(h) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; status: {:?}",
            h.state().status
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run();
}

#[test]
fn send_then_check_delivery() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let standin = runtime.block_on(CourierStandIn::start_async());
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles");
    let mut profile = Profile::new("acme", "courier");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Dev;
    profiles.upsert(profile).expect("save");
    let keyring = SecretStore::memory();
    keyring.set("acme", "auth_token", TOKEN).expect("secret");
    let mut app = PushdeckApp::new(AppSetup {
        paths,
        keyring,
        runtime: runtime.handle().clone(),
    })
    .expect("app");
    app.tab = pushdeck::provider::all()
        .iter()
        .position(|p| p.info().id == "courier")
        .expect("tab");
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app);
    h.run();

    h.get_by_label("Check").click();
    h.step();
    wait_for(&mut h, "the check", |h| text_visible(h, "Key works"));

    type_into(&mut h, "Title", "Build 118 finished");
    type_into(&mut h, "Body", "Status: passed");
    type_into(
        &mut h,
        "To",
        r#"{"user_id": "user-42", "email": "dev@example.com"}"#,
    );
    type_into(&mut h, "Channels", "push\nemail");
    assert!(
        text_visible(&h, "\"channels\": ["),
        "Request pane shows routing"
    );
    assert!(
        text_visible(&h, "Idempotency-Key"),
        "Request pane shows the idempotency key"
    );
    assert!(!text_visible(&h, TOKEN));

    h.get_by_label("Send to dev@example.com · DEV").click();
    h.step();
    wait_for(&mut h, "the send", |h| {
        !h.state().is_sending()
            && h.state()
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Accepted"))
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(ok && status.contains(REQUEST_ID), "{status}");

    h.get_by_label("Check delivery").click();
    h.step();
    wait_for(&mut h, "the delivery", |h| {
        text_visible(h, "Delivery status: DELIVERED")
    });
    assert!(text_visible(&h, "email via sendgrid: DELIVERED"));
    assert!(text_visible(
        &h,
        "push via firebase-fcm: UNDELIVERABLE (no push token)"
    ));
    let sends = standin
        .requests()
        .into_iter()
        .filter(|r| r.path == "/send")
        .count();
    assert_eq!(sends, 1);
}
