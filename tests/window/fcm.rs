//! The FCM tab in the real UI against a local token endpoint and FCM stand-in: Validate, then Send.

#[path = "stand_ins/fcm.rs"]
mod stand_in;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{Environment, Paths, Profile, ProfileStore, SecretStore};
use pushdeck::ui::{AppSetup, PushdeckApp};
use stand_in::{ACCESS_TOKEN, FcmStandIn, service_account_json};

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
fn validate_then_send_with_one_token_exchange() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let standin = FcmStandIn::start_on(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles");
    let mut profile = Profile::new("acme-fcm", "fcm");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Staging;
    profiles.upsert(profile).expect("save");
    let keyring = SecretStore::memory();
    keyring
        .set("acme-fcm", "service_account_json", &service_account_json())
        .expect("secret");
    let mut app = PushdeckApp::new(AppSetup {
        paths,
        keyring,
        runtime: rt.handle().clone(),
    })
    .expect("app");
    app.tab = pushdeck::provider::all()
        .iter()
        .position(|p| p.info().id == "fcm")
        .expect("fcm registered");
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app);
    h.run();

    type_into(&mut h, "Title", "Build 118");
    type_into(&mut h, "Body", "Passed");
    type_into(
        &mut h,
        "Registration tokens",
        "eXaMpLeToKeN:APA91bHun4MxP5egoKMwt2KZFBaFUH",
    );
    assert!(
        text_visible(&h, "fetched from the token endpoint when sending"),
        "preview has a placeholder"
    );

    h.get_by_label("Validate").click();
    h.step();
    wait_for(&mut h, "the validation", |h| {
        !h.state().is_sending()
            && h.state()
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.contains("accepted"))
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(ok, "{status}");
    assert!(
        text_visible(&h, "Got an access token, valid for 59 min"),
        "the exchange is a row in the Response pane"
    );
    let seen = standin.requests();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].json()["validate_only"], true);

    h.get_by_label("Send to 1 token · STAGING").click();
    h.step();
    wait_for(&mut h, "the send", |h| {
        !h.state().is_sending()
            && h.state()
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Sent"))
    });
    let seen = standin.requests();
    assert_eq!(
        seen.len(),
        3,
        "the cached token is reused: no second exchange"
    );
    assert!(seen[2].json().get("validate_only").is_none());
    assert!(
        !text_visible(&h, ACCESS_TOKEN),
        "the token never reaches the screen"
    );
    standin.assert_no_problems();
}
