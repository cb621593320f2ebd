//! The Azure story in the real UI, driven by label against the local hub stand-in (which verifies
//! the SAS signature): check the connection string, confirm a broadcast, and read a test send's
//! outcome table in the Response pane.

#[path = "stand_ins/azure.rs"]
mod stand_in;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{Environment, Paths, Profile, ProfileStore, SecretStore};
use pushdeck::ui::{AppSetup, PushdeckApp, RightTab};
use stand_in::{AzureStandIn, FULL_POLICY, HUB, KEY, TRACKING_ID, connection_string};

struct Fixture {
    dir: tempfile::TempDir,
    runtime: tokio::runtime::Runtime,
    standin: AzureStandIn,
}

fn fixture() -> Fixture {
    Fixture {
        dir: tempfile::tempdir().expect("tempdir"),
        runtime: tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime"),
        standin: AzureStandIn::start(),
    }
}

fn harness(f: &Fixture) -> Harness<'static, PushdeckApp> {
    harness_with(f, "acme-hub", &connection_string(FULL_POLICY, KEY))
}

/// An app with one Azure profile `name` on the stand-in, its connection string in a memory keyring.
fn harness_with(f: &Fixture, name: &str, connection: &str) -> Harness<'static, PushdeckApp> {
    let paths = Paths::under(f.dir.path());
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles");
    let mut profile = Profile::new(name, "azure");
    profile.base_url = Some(f.standin.base_url());
    profile.settings.insert("hub".into(), HUB.into());
    profile.environment = Environment::Dev;
    profiles.upsert(profile).expect("save profile");
    let keyring = SecretStore::memory();
    keyring
        .set(name, "connection_string", connection)
        .expect("secret");
    let mut app = PushdeckApp::new(AppSetup {
        paths,
        keyring,
        runtime: f.runtime.handle().clone(),
    })
    .expect("app");
    app.tab = pushdeck::provider::all()
        .iter()
        .position(|p| p.info().id == "azure")
        .expect("azure is registered");
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app);
    h.run();
    h
}

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

fn wait_for(h: &mut Harness<'_, PushdeckApp>, needle: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !text_visible(h, needle) {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for “{needle}”; status: {:?}",
            h.state().status
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
    h.run();
}

#[test]
fn test_send_shows_the_outcome_table() {
    let f = fixture();
    let mut h = harness(&f);
    type_into(&mut h, "Title", "Hello");
    type_into(&mut h, "Body", "Debug push from the GUI");
    type_into(&mut h, "Tags", "vip");
    h.get_by_label("Test send").click();
    h.run();
    // The Request pane shows the test query and the masked signature.
    assert!(
        text_visible(&h, "&test"),
        "Request pane shows the test mode"
    );
    assert!(!text_visible(&h, KEY), "the key never reaches the screen");
    h.get_by_label("Send to registrations tagged “vip” · DEV")
        .click();
    h.step();
    wait_for(&mut h, "Test send outcome");
    assert_eq!(h.state().right, RightTab::Response);
    for needle in [
        "Succeeded: 2",
        "Failed: 1",
        "Platform",
        "Registration ID",
        "5126583452930341963-3",
        "The Push Notification System handle for the registration is invalid",
        TRACKING_ID,
    ] {
        assert!(text_visible(&h, needle), "Response pane shows “{needle}”");
    }
    f.standin.assert_no_problems();
    let seen = f.standin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].query.as_deref(), Some("api-version=2020-06&test"));
}

#[test]
fn broadcast_asks_first_then_shows_tracking_ids() {
    let f = fixture();
    let mut h = harness(&f);
    type_into(&mut h, "Body", "To everyone");
    h.get_by_label("Send to every apple registration · DEV")
        .click();
    h.run();
    assert!(
        text_visible(&h, "Confirm the audience"),
        "a broadcast asks first"
    );
    assert_eq!(f.standin.hits(), 0);
    h.get_by_label("Send now").click();
    h.step();
    wait_for(&mut h, "Sent: the hub accepted it");
    assert!(text_visible(&h, "TrackingId"));
    assert!(text_visible(&h, TRACKING_ID));
    f.standin.assert_no_problems();
}

#[test]
fn check_proves_the_connection_string() {
    let f = fixture();
    let mut h = harness(&f);
    h.get_by_label("Check").click();
    h.step();
    assert!(text_visible(
        &h,
        "Namespace acme-ns.servicebus.windows.net · policy DefaultFullSharedAccessSignature"
    ));
    wait_for(&mut h, "Connection string works");
    f.standin.assert_no_problems();
}

#[test]
fn a_listen_key_is_explained() {
    let f = fixture();
    let mut h = harness_with(
        &f,
        "listen-hub",
        &connection_string(stand_in::LISTEN_POLICY, stand_in::LISTEN_KEY),
    );
    assert!(
        text_visible(&h, "A Listen policy cannot send"),
        "the profile bar warns before sending"
    );
    type_into(&mut h, "Body", "Hi");
    type_into(&mut h, "Tags", "vip");
    h.get_by_label("Send to registrations tagged “vip” · DEV")
        .click();
    h.step();
    wait_for(&mut h, "lacks the Send claim");
    assert!(text_visible(&h, "What to do:"), "hint shown");
}
