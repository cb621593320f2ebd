//! The SNS tab in the real UI against a local stand-in that verifies SigV4: check credentials,
//! load topics and pick one, publish, read the MessageId.

#[path = "stand_ins/sns.rs"]
mod stand_in;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{Environment, Paths, Profile, ProfileStore, SecretStore};
use pushdeck::ui::{AppSetup, PushdeckApp};
use stand_in::{ACCESS_KEY_ID, MESSAGE_ID, SECRET, SnsStandIn, TOPIC};

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
fn check_pick_a_topic_and_publish() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let standin = runtime.block_on(SnsStandIn::start_async());
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::under(dir.path());
    let mut profiles = ProfileStore::open(paths.profiles_file()).expect("profiles");
    let mut profile = Profile::new("aws", "sns");
    profile.base_url = Some(standin.base_url());
    profile.environment = Environment::Dev;
    profile.settings.insert("region".into(), "us-east-1".into());
    profile
        .settings
        .insert("access_key_id".into(), ACCESS_KEY_ID.into());
    profiles.upsert(profile).expect("save");
    let keyring = SecretStore::memory();
    keyring
        .set("aws", "secret_access_key", SECRET)
        .expect("secret");
    let mut app = PushdeckApp::new(AppSetup {
        paths,
        keyring,
        runtime: runtime.handle().clone(),
    })
    .expect("app");
    app.tab = pushdeck::provider::all()
        .iter()
        .position(|p| p.info().id == "sns")
        .expect("tab");
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app);
    h.run();

    h.get_by_label("Check").click();
    h.step();
    wait_for(&mut h, "the check", |h| {
        text_visible(h, "Credentials work: 2 topics")
    });

    h.get_by_label("Load topics").click();
    h.step();
    wait_for(&mut h, "the topics", |h| {
        h.query_by_label("+ Builds").is_some()
    });
    h.get_by_label("+ Builds").click();
    h.run();
    assert_eq!(h.get_by_label("Topic ARN").value().as_deref(), Some(TOPIC));

    type_into(&mut h, "Title", "CI");
    type_into(&mut h, "Body", "Build 118 passed");
    assert!(
        text_visible(&h, "Action=Publish"),
        "Request pane shows the form body"
    );
    assert!(!text_visible(&h, SECRET));

    h.get_by_label("Send to topic “Builds” · DEV").click();
    h.run();
    h.get_by_label("Send now").click();
    h.step();
    wait_for(&mut h, "the publish", |h| {
        !h.state().is_sending()
            && h.state()
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Published"))
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(ok && status.contains(MESSAGE_ID), "{status}");
    let publishes: Vec<_> = standin
        .requests()
        .into_iter()
        .filter(|r| r.param("Action") == Some("Publish"))
        .collect();
    assert_eq!(publishes.len(), 1);
    assert!(publishes[0].signed_ok);
}
