//! The APNs tab in the real UI against a local HTTP/2-only (h2c) APNs stand-in.

#[path = "stand_ins/apns.rs"]
mod stand_in;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{Environment, Paths, Profile, ProfileStore, SecretStore};
use pushdeck::ui::{AppSetup, PushdeckApp};
use stand_in::{ApnsStandIn, DEVICE, KEY_ID, SIGNING_KEY, TEAM_ID, TOPIC};

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

fn type_into(h: &mut Harness<'_, PushdeckApp>, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

#[test]
fn check_then_send_to_a_device_over_http2() {
    let standin = ApnsStandIn::start();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles");
    let mut profile = Profile::new("acme-ios", "apns");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Dev;
    for (k, v) in [
        ("key_id", KEY_ID),
        ("team_id", TEAM_ID),
        ("topic", TOPIC),
        ("environment", "sandbox"),
    ] {
        profile.settings.insert(k.into(), v.into());
    }
    profiles.upsert(profile).expect("save");
    let keyring = SecretStore::memory();
    keyring
        .set("acme-ios", "signing_key_p8", SIGNING_KEY)
        .expect("secret");
    let mut app = PushdeckApp::new(AppSetup {
        paths,
        keyring,
        runtime: rt.handle().clone(),
    })
    .expect("app");
    app.tab = pushdeck::provider::all()
        .iter()
        .position(|p| p.info().id == "apns")
        .expect("apns registered");
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app);
    h.run();

    h.get_by_label("Check").click();
    h.step();
    wait_for(&mut h, "the check", |h| {
        text_visible(h, "Key, team and topic work")
    });

    type_into(&mut h, "Title", "Build 118");
    type_into(&mut h, "Body", "Passed");
    type_into(&mut h, "Device tokens", DEVICE);
    assert!(
        text_visible(&h, "apns-push-type"),
        "the Request pane shows the APNs headers"
    );
    h.get_by_label("Send to 1 device · DEV").click();
    h.step();
    wait_for(&mut h, "the send", |h| {
        !h.state().is_sending()
            && h.state()
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Sent"))
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(ok && status.contains("apns-id eabeae54-"), "{status}");
    let seen = standin.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].version, "HTTP/2.0");
    assert_eq!(
        seen[1].json(),
        serde_json::json!({"aps": {"alert": {"title": "Build 118", "body": "Passed"}, "sound": "default"}})
    );
    standin.assert_no_problems();
}
