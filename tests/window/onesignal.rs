//! The user's story in the real UI, driven by label: compose, watch the Request pane follow, confirm
//! the broadcast, send to a local OneSignal stand-in, read the outcome. Plus snapshots of the main
//! screens where software rendering is available.

use std::time::Duration;

use eframe::egui;
use eframe::egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Environment, Profile};
use pushdeck::ui::{PushdeckApp, RightTab};

use crate::support::window::{
    self, harness, snapshot, step_until, text_visible, type_into, wait_for_at_most,
};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "os_v2_app_uitestkey0123456789abcdefghij";
const APP_ID: &str = "8a7b3c2d-1e0f-4a5b-9c8d-944455556666";

type Fixture = window::Fixture<MockServer>;

fn fixture() -> Fixture {
    Fixture::start(MockServer::start)
}

fn app(f: &Fixture, environment: Environment) -> PushdeckApp {
    app_at(f, environment, &f.server.uri())
}

fn app_at(f: &Fixture, environment: Environment, base_url: &str) -> PushdeckApp {
    let mut profile = Profile::new("acme-web", "onesignal");
    profile.base_url = Some(base_url.to_string());
    profile.settings.insert("app_id".into(), APP_ID.into());
    profile.environment = environment;
    f.desk.app(profile, &[("api_key", KEY)])
}

#[test]
fn compose_preview_confirm_send_and_see_the_outcome() {
    let f = fixture();
    f.desk.runtime.block_on(
        Mock::given(method("POST"))
            .and(path("/notifications"))
            .and(header("authorization", format!("Key {KEY}").as_str()))
            .and(body_partial_json(serde_json::json!({
                "app_id": APP_ID,
                "included_segments": ["All"],
                "headings": {"en": "Hello"},
                "contents": {"en": "First push from the GUI"},
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "3f2a91c4-0000-4000-8000-000000000001", "external_id": null})))
            .expect(1)
            .mount(&f.server),
    );
    let mut h = harness(app(&f, Environment::Prod));
    h.run();

    type_into(&mut h, "Title", "Hello");
    type_into(&mut h, "Body", "First push from the GUI");
    type_into(&mut h, "Segments", "All");
    // The Request pane follows the typing, key masked.
    assert!(
        text_visible(&h, "\"en\": \"Hello\""),
        "Request pane shows the title"
    );
    assert!(text_visible(&h, "Key os_v2_app_••••"), "key is masked");
    assert!(
        !text_visible(&h, KEY),
        "the secret never reaches the screen"
    );

    // The Send button names the audience and the environment, and asks before a broadcast.
    h.get_by_label("Send to “All” · PROD").click();
    h.run();
    assert!(
        text_visible(&h, "This sends to every subscriber in “All” (PROD)"),
        "confirmation names the audience"
    );
    h.get_by_label("Send now").click();
    h.step();
    step_until(&mut h, "the send to finish", |app| {
        !app.is_sending()
            && app
                .status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Sent"))
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(ok, "{status}");
    assert!(
        status.contains("3f2a91c4-0000-4000-8000-000000000001")
            && status.contains("“All”")
            && status.contains("200"),
        "{status}"
    );
    assert_eq!(h.state().right, RightTab::Response);
    assert!(
        text_visible(&h, "Sent: notification 3f2a91c4"),
        "Response pane shows the outcome"
    );

    // A double press of Ctrl+Enter while idle asks again; no second request slips through.
    assert!(text_visible(&h, "History (1)"));
    drop(h);
    f.desk.runtime.block_on(f.server.verify());
}

#[test]
fn a_200_with_errors_is_a_failure_in_words() {
    let f = fixture();
    f.desk.runtime.block_on(
        Mock::given(method("POST"))
            .and(path("/notifications"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "", "errors": ["All included players are not subscribed"]})))
            .mount(&f.server),
    );
    let mut app = app(&f, Environment::Dev);
    // External IDs are not a broadcast: no confirmation.
    let mut h = {
        app.tab = 0;
        harness(app)
    };
    h.run();
    type_into(&mut h, "Body", "Hi");
    type_into(&mut h, "External IDs", "user-42");
    h.get_by_label("Send to 1 external ID · DEV").click();
    h.step();
    step_until(&mut h, "the refusal", |app| {
        app.status
            .as_ref()
            .is_some_and(|(_, s)| s.contains("created nothing"))
    });
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(!ok);
    assert!(
        status.contains("All included players are not subscribed"),
        "{status}"
    );
    assert!(text_visible(&h, "What to do:"), "hint shown");
}

#[test]
fn bad_input_is_explained_and_nothing_is_sent() {
    let f = fixture();
    f.desk.runtime.block_on(
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(500))
            .expect(0)
            .mount(&f.server),
    );
    let mut h = harness(app(&f, Environment::Dev));
    h.run();
    type_into(&mut h, "Body", "No audience yet");
    assert!(
        text_visible(&h, "choose who receives it"),
        "Request pane explains what is missing"
    );
    h.get_by_label("Send · DEV").click();
    h.run();
    let (ok, status) = h.state().status.clone().expect("status");
    assert!(!ok && status.starts_with("Not sent"), "{status}");
    type_into(&mut h, "TTL (seconds)", "an hour");
    assert!(text_visible(&h, "options.ttl: must be a whole number"));
    drop(h);
    f.desk.runtime.block_on(f.server.verify());
}

#[test]
fn check_credentials_and_load_segments() {
    let f = fixture();
    f.desk.runtime.block_on(
        Mock::given(method("GET"))
            .and(path(format!("/apps/{APP_ID}/segments")))
            .and(header("authorization", format!("Key {KEY}").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"total_count": 2, "offset": 0, "limit": 300, "segments": [{"id": "a", "name": "All"}, {"id": "b", "name": "Active Users"}]})))
            .mount(&f.server),
    );
    let mut h = harness(app(&f, Environment::Staging));
    h.run();
    h.get_by_label("Check").click();
    h.step();
    wait_for_at_most(&mut h, Duration::from_secs(10), "the check result", |h| {
        text_visible(h, "Key works: the app has 2 segments")
    });
    h.get_by_label("Load segments").click();
    h.step();
    wait_for_at_most(&mut h, Duration::from_secs(10), "the segments", |h| {
        h.query_by_label("+ Active Users").is_some()
    });
    h.get_by_label("+ Active Users").click();
    h.run();
    assert_eq!(
        h.get_by_label("Segments").value().as_deref(),
        Some("Active Users")
    );
}

/// Image snapshots of the main screen. They need a renderer (wgpu on software Vulkan, installed by
/// scripts/test, which sets PUSHDECK_REQUIRE_SNAPSHOTS=1 so a missing renderer fails there).
fn snapshot_main_window(theme: egui::Theme, name: &str) {
    let f = fixture();
    // A fixed base URL keeps the picture the same on every run; nothing is sent.
    let mut app = app_at(&f, Environment::Prod, "http://127.0.0.1:8080");
    let draft = pushdeck::draft::Draft::from_json(include_str!(
        "../../assets/examples/onesignal-flash-sale.json"
    ))
    .expect("example draft");
    app.load_draft(&draft).expect("loads");
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_theme(theme)
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app);
    h.run();
    snapshot(&mut h, name);
}

#[test]
fn snapshot_main_window_dark() {
    snapshot_main_window(egui::Theme::Dark, "main_window_dark");
}

#[test]
fn snapshot_main_window_light() {
    snapshot_main_window(egui::Theme::Light, "main_window_light");
}

#[test]
fn the_filter_builder_writes_tag_and_country_rows_and_an_or_group_into_the_request() {
    let f = fixture();
    // Tall enough that the relation list opens in full below the rows.
    let mut h = window::harness_sized(app(&f, Environment::Dev), [1280.0, 1400.0]);
    h.run();
    type_into(&mut h, "Body", "Pro users in France, or beta testers");
    let press = |h: &mut window::Window, button: &str| {
        h.get_by_label(button).click();
        h.run();
    };
    let pick = |h: &mut window::Window, list: &str, item: &str| {
        h.get_by_role_and_label(Role::ComboBox, list).click();
        h.run();
        press(h, item);
    };
    press(&mut h, "+ OR group");
    type_into(&mut h, "Filter 1.1 key", "plan");
    type_into(&mut h, "Filter 1.1 value", "pro");
    press(&mut h, "+ AND condition in group 1");
    pick(&mut h, "Filter 1.2 field", "country");
    type_into(&mut h, "Filter 1.2 value", "FR");
    press(&mut h, "+ OR group");
    pick(&mut h, "Filter 2.1 relation", "exists");
    type_into(&mut h, "Filter 2.1 key", "beta");

    let expected = serde_json::json!([
        {"field": "tag", "key": "plan", "relation": "=", "value": "pro"},
        {"field": "country", "relation": "=", "value": "FR"},
        {"operator": "OR"},
        {"field": "tag", "key": "beta", "relation": "exists"}
    ]);
    let shown = h.get_by_label("Filters").value().unwrap_or_default();
    let written: serde_json::Value = serde_json::from_str(&shown).expect("the field holds JSON");
    assert_eq!(
        written, expected,
        "the Filters field shows the builder's JSON"
    );
    for line in [
        "\"field\": \"country\"",
        "\"operator\": \"OR\"",
        "\"relation\": \"exists\"",
    ] {
        assert!(text_visible(&h, line), "Request pane shows {line}");
    }
}

#[test]
fn filters_of_a_loaded_draft_open_in_the_builder_and_stay_unchanged() {
    let f = fixture();
    let filters = serde_json::json!([
        {"field": "tag", "key": "plan", "relation": "=", "value": "pro"},
        {"field": "last_session", "relation": "<", "hours_ago": "48"},
        {"operator": "OR"},
        {"field": "location", "radius": "1000", "lat": "48.85", "long": "2.35"}
    ]);
    let draft = pushdeck::draft::Draft::from_json(
        &serde_json::json!({"profile": "acme-web", "message": {"body": "Hi"}, "audience": {"filters": filters}})
            .to_string(),
    )
    .expect("draft");
    let mut a = app(&f, Environment::Dev);
    a.load_draft(&draft).expect("loads");
    let mut h = harness(a);
    h.run();
    let value = |h: &window::Window, label: &str| h.get_by_label(label).value().unwrap_or_default();
    assert_eq!(value(&h, "Filter 1.1 key"), "plan");
    assert_eq!(value(&h, "Filter 1.2 hours ago"), "48");
    assert_eq!(value(&h, "Filter 2.1 radius"), "1000");
    assert_eq!(value(&h, "Filter 2.1 long"), "2.35");
    let shown: serde_json::Value =
        serde_json::from_str(&value(&h, "Filters")).expect("the field holds JSON");
    assert_eq!(
        shown, filters,
        "the builder leaves the draft's filters as they were"
    );
    assert!(
        text_visible(&h, "\"hours_ago\": \"48\""),
        "Request pane shows them"
    );
}
