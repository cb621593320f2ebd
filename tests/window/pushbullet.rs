//! The Pushbullet tab in the real UI, driven by label against a local stand-in: check the token,
//! load devices and pick one, send a link push, read the push iden and the rate limit; a second
//! target is refused before anything is sent.

use crate::support::stand_ins::pushbullet as stand_in;

use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Environment, Profile};
use pushdeck::ui::PushdeckApp;

use crate::support::window::{
    self, check_shows, harness, send_until, text_visible, type_into, wait_for,
};
use stand_in::{PushbulletStandIn, TOKEN};

type Fixture = window::Fixture<PushbulletStandIn>;

fn fixture() -> Fixture {
    Fixture::start(PushbulletStandIn::start_async)
}

fn app(f: &Fixture) -> PushdeckApp {
    let mut profile = Profile::new("me", "pushbullet");
    profile.base_url = Some(f.server.base_url());
    profile.environment = Environment::Dev;
    f.desk.app(profile, &[("access_token", TOKEN)])
}

#[test]
fn check_load_devices_pick_one_and_send_a_link() {
    let f = fixture();
    let mut h = harness(app(&f));
    h.run();

    check_shows(
        &mut h,
        "Token works: signed in as Elon Musk <elon@teslamotors.com>",
    );

    h.get_by_label("Load devices").click();
    h.step();
    wait_for(&mut h, "the devices", |h| {
        h.query_by_label("+ Elon's iPhone").is_some()
    });
    assert!(h.query_by_label("+ Google Pixel 9").is_some());
    h.get_by_label("+ Elon's iPhone").click();
    h.run();
    assert_eq!(
        h.get_by_label("Device").value().as_deref(),
        Some("ujpah72o0sjAoRtnM0jc")
    );

    type_into(&mut h, "Title", "Build #118");
    type_into(&mut h, "Body", "Passed");
    type_into(&mut h, "Click URL", "https://ci.example.com/118");
    assert!(
        text_visible(&h, "\"type\": \"link\""),
        "Request pane shows a link push"
    );
    assert!(
        !text_visible(&h, TOKEN),
        "the token never reaches the screen"
    );

    let (ok, status) = send_until(
        &mut h,
        "Send to device ujpah72o0sjAoRtnM0jc · DEV",
        "Pushed",
    );
    assert!(ok, "{status}");
    assert!(status.contains("ujpah72o0sjAsoRtnM0jc"), "{status}");
    assert!(status.contains("rate limit"), "{status}");
    assert!(
        text_visible(&h, "of 32768 left"),
        "Response pane shows the rate limit"
    );

    let pushes: Vec<_> = f
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v2/pushes")
        .collect();
    assert_eq!(pushes.len(), 1);
    let body = pushes[0].json();
    assert_eq!(body["type"], "link");
    assert_eq!(body["device_iden"], "ujpah72o0sjAoRtnM0jc");
    assert_eq!(pushes[0].header("access-token"), Some(TOKEN));
}

#[test]
fn a_second_target_is_refused_before_sending() {
    let f = fixture();
    let mut h = harness(app(&f));
    h.run();
    type_into(&mut h, "Body", "Hi");
    type_into(&mut h, "Email", "friend@example.com");
    type_into(&mut h, "Channel tag", "acme");
    assert!(
        text_visible(&h, "one target at a time"),
        "Request pane explains"
    );
    h.get_by_label("Send to friend@example.com · DEV").click();
    h.run();
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(!ok && status.starts_with("Not sent"), "{status}");
    assert_eq!(f.server.hits(), 0);
}

#[test]
fn a_file_push_from_the_file_field_shows_its_steps_and_uploads_the_file() {
    let f = fixture();
    let path = f.desk.dir.path().join("screenshot.png");
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
    std::fs::write(&path, &bytes).expect("write the file");
    let mut h = harness(app(&f));
    h.run();
    type_into(&mut h, "Body", "Here it is");
    type_into(&mut h, "File…", &path.display().to_string());
    assert!(
        text_visible(&h, "/v2/upload-request"),
        "Request pane shows the first step"
    );
    assert!(
        text_visible(&h, "3 requests in sequence"),
        "Request pane names the step plan"
    );

    let (ok, status) = send_until(&mut h, "Send to all your devices · DEV", "Step 3 of 3");
    assert!(ok, "{status}");
    assert!(status.contains("Pushed file"), "{status}");
    let uploads = f.server.uploads();
    assert_eq!(uploads.len(), 1, "{status}");
    assert_eq!(uploads[0].bytes, bytes);
    let paths: Vec<String> = f.server.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/v2/upload-request", "/upload/1", "/v2/pushes"]);
    f.server.assert_no_problems();
}

#[test]
fn a_missing_file_is_not_sent_and_a_failed_upload_names_its_step() {
    let f = fixture();
    let path = f.desk.dir.path().join("notes.txt");
    let mut h = harness(app(&f));
    h.run();
    type_into(&mut h, "Body", "Notes");
    type_into(&mut h, "File…", &path.display().to_string());
    let (ok, status) = send_until(&mut h, "Send to all your devices · DEV", "Not sent");
    assert!(!ok && status.contains("cannot open"), "{status}");
    assert_eq!(f.server.hits(), 0, "nothing is sent for a missing file");

    std::fs::write(&path, "remember the milk").expect("write the file");
    f.server.set(stand_in::Scenario::UploadFails);
    let (ok, status) = send_until(&mut h, "Send to all your devices · DEV", "Step 2 of 3");
    assert!(!ok, "{status}");
    assert!(
        status.contains("failed") && status.contains("HTTP 500"),
        "{status}"
    );
    let pushes = f
        .server
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v2/pushes")
        .count();
    assert_eq!(pushes, 0, "no push after a failed upload");
}
