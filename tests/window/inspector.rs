//! The inspector, raw payload mode, preview, templates and history filters, driven by label; and
//! snapshots of the inspector (redaction visible) and the preview.

use eframe::egui::{self, Key, Modifiers};
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{Environment, Profile};
use pushdeck::ui::{PushdeckApp, RightTab};

use crate::support::window::{
    self, Window, harness, snapshot, step_until, text_visible, type_into, wait_for,
};
use wiremock::matchers::{body_partial_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "os_v2_app_inspectorkey0123456789abcdefgh";

type Fixture = window::Fixture<MockServer>;

fn fixture() -> Fixture {
    Fixture::start(MockServer::start)
}

fn app(f: &Fixture, base_url: &str) -> PushdeckApp {
    let mut p = Profile::new("acme-web", "onesignal");
    p.base_url = Some(base_url.to_string());
    p.settings.insert(
        "app_id".into(),
        "8a7b3c2d-1e0f-4a5b-9c8d-944455556666".into(),
    );
    p.environment = Environment::Staging;
    f.desk.app(p, &[("api_key", KEY)])
}

fn wait_sent(h: &mut Window) {
    step_until(h, "the send to finish", |app| {
        !app.is_sending() && app.status.as_ref().is_some_and(|(_, s)| s != "Sending…")
    });
}

#[test]
fn raw_payload_is_edited_validated_diffed_and_sent_as_edited() {
    let f = fixture();
    f.desk.runtime.block_on(
        Mock::given(method("POST"))
            .and(path("/notifications"))
            .and(body_partial_json(serde_json::json!({"contents": {"en": "Hand-edited"}, "include_aliases": {"external_id": ["u1"]}})))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "raw-1"})))
            .expect(1)
            .mount(&f.server),
    );
    let mut h = harness(app(&f, &f.server.uri()));
    h.run();
    type_into(&mut h, "Body", "Generated");
    type_into(&mut h, "External IDs", "u1");
    h.get_by_label("Edit raw").click();
    h.run();
    assert!(text_visible(&h, "Raw payload: valid JSON, sent as edited"));
    // Break it: the error says where, and Send refuses.
    h.get_by_label("Raw payload").focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::End);
    h.get_by_label("Raw payload").type_text(",");
    h.run();
    assert!(
        text_visible(&h, "JSON: trailing characters at line"),
        "the error says where"
    );
    h.get_by_label("Send to 1 external ID · STAGING").click();
    h.run();
    assert!(
        h.state()
            .status
            .as_ref()
            .is_some_and(|(ok, s)| !ok && s.contains("options.raw")),
        "{:?}",
        h.state().status
    );
    // Reset, then edit the body text by hand.
    h.get_by_label("Reset to generated").click();
    h.run();
    assert!(text_visible(&h, "Raw payload: valid JSON"));
    let edited = h
        .get_by_label("Raw payload")
        .value()
        .expect("text")
        .replace("\"Generated\"", "\"Hand-edited\"");
    h.get_by_label("Raw payload").focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Raw payload").type_text(&edited);
    h.run();
    h.get_by_label("Diff").click();
    h.run();
    assert!(
        text_visible(&h, "-     \"en\": \"Generated\""),
        "the diff shows the removed line"
    );
    assert!(
        text_visible(&h, "+     \"en\": \"Hand-edited\""),
        "and the added one"
    );
    h.get_by_label("Send to 1 external ID · STAGING").click();
    h.step();
    wait_sent(&mut h);
    assert!(
        h.state().status.as_ref().is_some_and(|(ok, _)| *ok),
        "{:?}",
        h.state().status
    );
    drop(h);
    f.desk.runtime.block_on(f.server.verify());
}

#[test]
fn reveal_lasts_until_the_pane_changes_and_curl_is_copied() {
    let f = fixture();
    let mut h = harness(app(&f, "http://127.0.0.1:8080"));
    h.run();
    type_into(&mut h, "Body", "Hi");
    type_into(&mut h, "Segments", "All");
    assert!(!text_visible(&h, KEY));
    h.get_by_label("Reveal").click();
    h.run();
    assert!(text_visible(&h, KEY), "revealed on request");
    h.get_by_label("Preview").click();
    h.run();
    h.get_by_label("Request").click();
    h.run();
    assert!(
        !text_visible(&h, KEY),
        "masked again after the pane changed"
    );
    h.get_by_label("Copy as curl").click();
    h.step();
    let copied = h.output().platform_output.commands.iter().any(|c| matches!(c, egui::OutputCommand::CopyText(t) if t.contains("${PUSHDECK_API_KEY}") && !t.contains(KEY)));
    assert!(
        copied,
        "the clipboard gets the command with a variable, not the key"
    );
    h.run();
    assert!(text_visible(&h, "curl command copied"));
}

#[test]
fn preview_shows_each_language_truncation_and_warnings() {
    let f = fixture();
    let mut h = harness(app(&f, "http://127.0.0.1:8080"));
    h.run();
    type_into(
        &mut h,
        "Title",
        "A very long title that no phone will ever show in full on one line",
    );
    type_into(&mut h, "Body", "Hello there");
    type_into(&mut h, "Segments", "All");
    h.get_by_label("+ Add language").click();
    h.run();
    type_into(&mut h, "Language 1 code", "fr");
    type_into(&mut h, "Title (fr)", "Bonjour");
    h.get_by_label("Preview").click();
    h.run();
    assert_eq!(h.state().right, RightTab::Preview);
    assert!(text_visible(&h, "title cut at 45 characters"));
    assert!(text_visible(&h, "Desktop browser"));
    h.get_by_label("Language").click();
    h.run();
    h.get_by_label("fr").click();
    h.run();
    assert!(text_visible(&h, "Bonjour"));
    assert!(text_visible(
        &h,
        "No fr body: these readers see the default one."
    ));
}

#[test]
fn templates_are_saved_and_loaded_per_provider() {
    let f = fixture();
    let mut h = harness(app(&f, "http://127.0.0.1:8080"));
    h.run();
    type_into(&mut h, "Title", "Weekly digest");
    type_into(&mut h, "Body", "This week");
    type_into(&mut h, "Segments", "Subscribers");
    h.get_by_label("Save as template…").click();
    h.run();
    type_into(&mut h, "Template name", "Weekly");
    h.get_by_label("Save template").click();
    h.run();
    assert!(text_visible(&h, "Saved template Weekly."));
    // Change the message, then load the template back.
    h.get_by_label("Title").focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("Title").type_text("Something else");
    h.run();
    h.get_by(|n| n.value().as_deref() == Some("Templates"))
        .click();
    h.run();
    h.get_by_label("Weekly").click();
    h.run();
    assert_eq!(
        h.get_by_label("Title").value().as_deref(),
        Some("Weekly digest")
    );
}

#[test]
fn history_filters_by_outcome_and_saves_an_exchange_redacted() {
    let f = fixture();
    f.desk.runtime.block_on(async {
        Mock::given(method("POST")).and(body_partial_json(serde_json::json!({"contents": {"en": "good"}}))).respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({"id": "good-1"}))).mount(&f.server).await;
        Mock::given(method("POST")).and(body_partial_json(serde_json::json!({"contents": {"en": "bad"}}))).respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({"errors": ["Notification content must not be null for any languages."]}))).mount(&f.server).await;
    });
    let mut h = harness(app(&f, &f.server.uri()));
    h.run();
    type_into(&mut h, "External IDs", "u1");
    for body in ["good", "bad"] {
        h.get_by_label("Body").focus();
        h.run();
        h.key_press_modifiers(Modifiers::COMMAND, Key::A);
        h.get_by_label("Body").type_text(body);
        h.run();
        h.get_by_label("Send to 1 external ID · STAGING").click();
        h.step();
        wait_sent(&mut h);
    }
    // Save the failed exchange: masked key, the provider's words.
    h.get_by_label("Save exchange…").click();
    h.run();
    let file = f.desk.dir.path().join("exchange.txt");
    h.get_by_label("File").focus();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.get_by_label("File")
        .type_text(&file.display().to_string());
    h.run();
    h.get_by_label("Save").click();
    h.run();
    let text = std::fs::read_to_string(&file).expect("saved");
    assert!(
        text.contains("Key os_v2_app_••••") && !text.contains(KEY),
        "{text}"
    );
    assert!(text.contains("Notification content must not be null"));

    h.get_by_label("History (2)").click();
    h.run();
    // Newest first; a click on a header sorts by it, a second reverses.
    let top = |h: &Window, a: &str, b: &str| {
        h.get_by_label(a).rect().top() < h.get_by_label(b).rect().top()
    };
    assert!(top(&h, "Failed", "OK"), "newest (the failed send) first");
    h.get_by_label("Status").click();
    h.run();
    assert!(top(&h, "Failed", "OK"), "ascending: Failed before OK");
    h.get_by_label("Status ⏶").click();
    h.run();
    assert!(top(&h, "OK", "Failed"), "descending: OK first");
    h.get_by_label("Status ⏷").click();
    h.run();
    assert!(top(&h, "Failed", "OK"), "ascending again");
    h.get_by_label("Outcome").click();
    h.run();
    h.get_by_label("failed").click();
    h.run();
    assert!(text_visible(&h, "refused the request"));
    assert!(!text_visible(&h, "Sent: notification good-1"));
}

/// A 360×120 banner: a horizontal gradient with a darker band, so a broken decode shows.
fn banner_png() -> Vec<u8> {
    let img = image::RgbaImage::from_fn(360, 120, |x, y| {
        let band = if (40..80).contains(&y) { 60 } else { 0 };
        image::Rgba([(x * 255 / 359) as u8, 90 - band, 200 - band, 255])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .expect("encode");
    out.into_inner()
}

#[test]
fn a_preview_image_that_does_not_load_says_why() {
    let f = fixture();
    f.desk.runtime.block_on(
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(404).set_body_string("not found"))
            .mount(&f.server),
    );
    let mut a = app(&f, &f.server.uri());
    let mut draft = pushdeck::draft::Draft::from_json(include_str!(
        "../../assets/examples/onesignal-flash-sale.json"
    ))
    .expect("example");
    draft.message.image = format!("{}/missing.png", f.server.uri());
    a.load_draft(&draft).expect("loads");
    a.right = RightTab::Preview;
    let mut h = harness(a);
    h.run();
    wait_for(&mut h, "the explanation", |h| {
        h.query_all(By::new().predicate(|n| {
            n.value()
                .or(n.label())
                .is_some_and(|v| v.contains("not shown: the server answered 404"))
        }))
        .next()
        .is_some()
    });
}

#[test]
fn snapshot_preview_and_response() {
    let f = fixture();
    f.desk.runtime.block_on(
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).insert_header("x-request-id", "req-1").set_body_json(serde_json::json!({"id": "3f2a91c4-0000-4000-8000-000000000001", "external_id": null})))
            .mount(&f.server),
    );
    // The banner the draft shows, served locally so the preview is the same on every run.
    f.desk.runtime.block_on(
        Mock::given(method("GET"))
            .and(wiremock::matchers::path("/banner.png"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("content-type", "image/png")
                    .set_body_bytes(banner_png()),
            )
            .mount(&f.server),
    );
    let mut a = app(&f, &f.server.uri());
    let mut draft = pushdeck::draft::Draft::from_json(include_str!(
        "../../assets/examples/onesignal-flash-sale.json"
    ))
    .expect("example");
    let image_url = format!("{}/banner.png", f.server.uri());
    draft.message.image = image_url.clone();
    a.load_draft(&draft).expect("loads");
    a.right = RightTab::Preview;
    let mut h = harness(a);
    h.run();
    step_until(&mut h, "the preview image", |app| {
        app.preview_images.describe(&image_url).starts_with("ready")
    });
    assert_eq!(
        h.state().preview_images.describe(&image_url),
        "ready 360x120"
    );
    // The stand-in's port differs per run: mask the Image field that shows it.
    for node in h
        .query_all(By::new().predicate(|n| n.value().is_some_and(|v| v.contains("127.0.0.1"))))
        .map(|n| n.rect())
        .collect::<Vec<_>>()
    {
        h.mask(node);
    }
    snapshot(&mut h, "preview");
    h.get_by_label("Send to “Active Users” except “Churned” · STAGING")
        .click();
    h.run();
    h.get_by_label("Send now").click();
    h.step();
    wait_sent(&mut h);
    // Timing and the port vary from run to run: mask them.
    for node in h
        .query_all(By::new().predicate(|n| {
            n.value()
                .is_some_and(|v| v.contains(" ms") || v.contains("127.0.0.1") || v.contains(" GMT"))
        }))
        .map(|n| n.rect())
        .collect::<Vec<_>>()
    {
        // To the end of the row: a mask as wide as the text would move with "8 ms" → "12 ms".
        let mut row = node;
        row.max.x = row.max.x.max(1280.0);
        h.mask(row);
    }
    snapshot(&mut h, "response");
}

#[test]
fn the_request_pane_says_which_proxy_a_request_takes_and_the_editor_sets_it() {
    let f = fixture();
    let mut p = Profile::new("acme-web", "onesignal");
    p.base_url = Some("https://onesignal.example".into());
    p.settings.insert(
        "app_id".into(),
        "8a7b3c2d-1e0f-4a5b-9c8d-944455556666".into(),
    );
    p.settings
        .insert("proxy".into(), "http://alice@proxy.corp:3128".into());
    let mut h = harness(
        f.desk
            .app(p, &[("api_key", KEY), ("proxy_password", "pr0xy-secret")]),
    );
    h.run();
    type_into(&mut h, "Body", "Hi");
    type_into(&mut h, "Segments", "All");
    assert!(
        text_visible(
            &h,
            "via proxy http://alice:••••@proxy.corp:3128 (from the profile's proxy setting)"
        ),
        "the Request pane names the proxy"
    );
    assert!(!text_visible(&h, "pr0xy-secret"));
    h.get_by_label("Edit credentials…").click();
    h.run();
    for label in ["Proxy", "Proxy password", "Extra trusted CA certificates"] {
        assert!(
            h.query_by_label(label).is_some(),
            "the editor has a {label} field"
        );
    }
}
