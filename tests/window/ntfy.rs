//! The ntfy tab in the real UI, driven by label, against a local ntfy stand-in.

#[path = "stand_ins/ntfy.rs"]
mod stand_in;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{Environment, Paths, Profile, ProfileStore, SecretStore};
use pushdeck::ui::{AppSetup, PushdeckApp};
use stand_in::{NtfyStandIn, TOKEN};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

fn app(dir: &tempfile::TempDir, rt: &tokio::runtime::Runtime, base_url: &str) -> PushdeckApp {
    let paths = Paths::under(dir.path());
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles");
    let mut profile = Profile::new("alerts", "ntfy");
    profile.base_url = Some(base_url.to_string());
    profile.environment = Environment::Dev;
    profiles.upsert(profile).expect("save profile");
    let keyring = SecretStore::memory();
    keyring
        .set("alerts", "access_token", TOKEN)
        .expect("secret");
    let mut app = PushdeckApp::new(AppSetup {
        paths,
        keyring,
        runtime: rt.handle().clone(),
    })
    .expect("app");
    app.tab = pushdeck::provider::all()
        .iter()
        .position(|p| p.info().id == "ntfy")
        .expect("ntfy is registered");
    app
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
fn compose_check_and_publish_to_a_topic() {
    let rt = runtime();
    let standin = NtfyStandIn::start_on(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(
            |ui, app: &mut PushdeckApp| app.ui(ui),
            app(&dir, &rt, &standin.base_url()),
        );
    h.run();

    h.get_by_label("Check").click();
    h.step();
    wait_for(&mut h, "the check", |h| {
        text_visible(h, "Token works: signed in as phil")
    });

    type_into(&mut h, "Title", "Deploy");
    type_into(&mut h, "Body", "Deployed to production");
    type_into(&mut h, "Topic", "private-deploys");
    assert!(
        text_visible(&h, "\"topic\": \"private-deploys\""),
        "Request pane follows"
    );
    assert!(text_visible(&h, "Bearer tk_s"), "token shown masked");
    assert!(
        !text_visible(&h, TOKEN),
        "the token never reaches the screen"
    );

    h.get_by_label("Send to topic “private-deploys” · DEV")
        .click();
    h.step();
    wait_for(&mut h, "the publish", |h| {
        !h.state().is_sending()
            && h.state()
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Published"))
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(ok && status.contains("sPs71M8A2T"), "{status}");
    let seen = standin.requests();
    let publish = seen.iter().find(|s| s.method == "POST").expect("a publish");
    assert_eq!(
        publish.json(),
        serde_json::json!({"topic": "private-deploys", "title": "Deploy", "message": "Deployed to production"})
    );
    standin.assert_no_problems();
}
