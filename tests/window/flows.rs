//! The app's other flows, driven by label: save and open a draft, the history window, the Ctrl+Enter
//! shortcut, cancelling a slow send, creating a profile, and no secret in any written file.

use std::time::Duration;

use eframe::egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Environment, Profile, SecretStore};
use pushdeck::ui::PushdeckApp;

use crate::support::window::{
    Desk, Window, harness, open, status, step_until, text_visible, toasts, type_into,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "os_v2_app_flowtestkey0123456789abcdefghij";

struct Fixture {
    desk: Desk,
    server: MockServer,
}

impl Fixture {
    fn new() -> Self {
        let desk = Desk::new();
        let server = desk.runtime.block_on(MockServer::start());
        Self { desk, server }
    }

    fn answer(&self, response: ResponseTemplate) {
        self.desk.runtime.block_on(
            Mock::given(method("POST"))
                .and(path("/notifications"))
                .respond_with(response)
                .mount(&self.server),
        );
    }

    fn app(&self, keyring: SecretStore, with_profile: bool) -> PushdeckApp {
        if with_profile {
            let mut p = Profile::new("acme-web", "onesignal");
            p.base_url = Some(self.server.uri());
            p.settings.insert(
                "app_id".into(),
                "8a7b3c2d-1e0f-4a5b-9c8d-944455556666".into(),
            );
            p.environment = Environment::Dev;
            self.desk.save_profile(p);
            keyring.set("acme-web", "api_key", KEY).expect("secret");
        }
        self.desk.app_with(keyring)
    }

    /// Every byte written under the config, data and cache folders.
    fn files_text(&self) -> Vec<(std::path::PathBuf, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, String)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    walk(&p, out);
                } else {
                    let bytes = std::fs::read(&p).unwrap_or_default();
                    out.push((p, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.desk.dir.path(), &mut out);
        out
    }
}

fn replace_text(h: &mut Window, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.key_press_modifiers(Modifiers::default(), Key::End);
    for _ in 0..200 {
        h.key_press(Key::Backspace);
    }
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

#[test]
fn save_a_draft_then_open_it_again() {
    let f = Fixture::new();
    let keyring = SecretStore::memory();
    let mut h = harness(f.app(keyring.clone(), true));
    h.run();
    type_into(&mut h, "Title", "Saved title");
    type_into(&mut h, "Body", "Saved body");
    type_into(&mut h, "External IDs", "user-1");
    h.get_by_label("Save draft as…").click();
    h.run();
    let file = f.desk.dir.path().join("my-draft.json");
    replace_text(&mut h, "File", &file.display().to_string());
    h.get_by_label("Save").click();
    h.run();
    assert!(toasts(&h).starts_with("Saved draft"), "{}", toasts(&h));
    let saved =
        pushdeck::draft::Draft::from_json(&std::fs::read_to_string(&file).expect("written"))
            .expect("a valid draft");
    assert_eq!(saved.message.title, "Saved title");
    assert_eq!(
        saved.audience["external_ids"],
        serde_json::json!(["user-1"])
    );

    // A fresh window opens it: the composer and the Request pane show it.
    let mut h = harness(f.app(keyring, false));
    h.run();
    h.get_by_label("Open draft…").click();
    h.run();
    replace_text(&mut h, "File", &file.display().to_string());
    h.get_by_label("Open").click();
    h.run();
    assert!(status(&h).starts_with("Opened"), "{}", status(&h));
    assert_eq!(
        h.get_by_label("Title").value().as_deref(),
        Some("Saved title")
    );
    assert!(text_visible(&h, "\"en\": \"Saved body\""));
}

#[test]
fn a_broken_draft_file_is_explained_and_nothing_changes() {
    let f = Fixture::new();
    let file = f.desk.dir.path().join("broken.json");
    std::fs::write(
        &file,
        r#"{"profile": "acme-web", "message": {"titel": "typo"}}"#,
    )
    .expect("write");
    let mut h = harness(f.app(SecretStore::memory(), true));
    h.run();
    type_into(&mut h, "Title", "Keep me");
    h.get_by_label("Open draft…").click();
    h.run();
    replace_text(&mut h, "File", &file.display().to_string());
    h.get_by_label("Open").click();
    h.run();
    assert!(
        text_visible(&h, "message.titel"),
        "the error names the field"
    );
    assert_eq!(h.get_by_label("Title").value().as_deref(), Some("Keep me"));
}

#[test]
fn ctrl_enter_sends_history_keeps_it_and_compose_again_restores_it() {
    let f = Fixture::new();
    f.answer(
        ResponseTemplate::new(200)
            .set_body_json(serde_json::json!({"id": "aaaa1111-0000-4000-8000-000000000001"})),
    );
    let mut h = harness(f.app(SecretStore::memory(), true));
    h.run();
    type_into(&mut h, "Body", "Shortcut body");
    type_into(&mut h, "External IDs", "user-7");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.step();
    step_until(&mut h, "the send", |a| {
        !a.is_sending()
            && a.status
                .as_ref()
                .is_some_and(|(_, s)| s.starts_with("Sent"))
    });

    h.get_by_label("History (1)").click();
    h.run();
    h.get_by_label_contains("onesignal · acme-web").click();
    h.run();
    assert!(
        text_visible(&h, "Key os_v2_app_••••"),
        "the stored dump is redacted"
    );
    assert!(!text_visible(&h, KEY));
    replace_text(&mut h, "Body", "changed");
    h.get_by_label("Compose again").click();
    h.run();
    assert_eq!(
        h.get_by_label("Body").value().as_deref(),
        Some("Shortcut body")
    );

    // Nothing written anywhere holds the key.
    for (file, text) in f.files_text() {
        assert!(
            !text.contains(KEY),
            "{} contains the secret",
            file.display()
        );
    }
}

#[test]
fn a_slow_send_can_be_cancelled_and_the_window_stays_responsive() {
    let f = Fixture::new();
    f.answer(
        ResponseTemplate::new(200)
            .set_delay(Duration::from_secs(20))
            .set_body_json(serde_json::json!({"id": "late"})),
    );
    let mut h = harness(f.app(SecretStore::memory(), true));
    h.run();
    type_into(&mut h, "Body", "Slow");
    type_into(&mut h, "External IDs", "user-1");
    h.get_by_label("Send to 1 external ID · DEV").click();
    h.step();
    assert!(h.state().is_sending());
    // A second press while in flight does nothing (no double send).
    h.key_press_modifiers(Modifiers::COMMAND, Key::Enter);
    h.step();
    // Typing still works during the send.
    h.get_by_label("Title").focus();
    h.step();
    h.get_by_label("Title").type_text("typing while sending");
    h.step();
    assert_eq!(
        h.get_by_label("Title").value().as_deref(),
        Some("typing while sending")
    );
    h.key_press(Key::Escape);
    h.step();
    step_until(&mut h, "the cancellation", |a| !a.is_sending());
    assert!(status(&h).contains("Cancelled"), "{}", status(&h));
    let received = f
        .desk
        .runtime
        .block_on(f.server.received_requests())
        .unwrap_or_default();
    // The second press sent nothing; the first may be cancelled before it reached the server.
    assert!(
        received.len() <= 1,
        "at most one request went out: {}",
        received.len()
    );
}

#[test]
fn create_a_profile_in_the_app_with_the_key_in_the_keyring() {
    let f = Fixture::new();
    let keyring = SecretStore::memory();
    let mut h = harness(f.app(keyring.clone(), false));
    h.run();
    h.get_by_label("New profile…").click();
    h.run();
    type_into(&mut h, "Profile name", "shop-prod");
    type_into(&mut h, "App ID", "11111111-2222-4333-8444-555555555555");
    type_into(
        &mut h,
        "App API key",
        "os_v2_app_typedinthewindow0123456789",
    );
    h.get_by_label("Save").click();
    h.run();
    assert!(
        toasts(&h).contains("Saved profile shop-prod"),
        "{}",
        toasts(&h)
    );
    assert_eq!(
        keyring
            .get("shop-prod", "api_key")
            .expect("keyring")
            .as_deref(),
        Some("os_v2_app_typedinthewindow0123456789")
    );
    assert!(text_visible(&h, "App API key stored in keyring"));
    for (file, text) in f.files_text() {
        assert!(
            !text.contains("os_v2_app_typedinthewindow0123456789"),
            "{} contains the secret",
            file.display()
        );
    }
    let profiles =
        std::fs::read_to_string(f.desk.paths().profiles_file()).expect("profiles written");
    assert!(profiles.contains("11111111-2222-4333-8444-555555555555"));
}

#[test]
fn without_a_keyring_the_app_says_so_and_keeps_secrets_in_memory() {
    let f = Fixture::new();
    let keyring = SecretStore::session_only("no keyring service is reachable (test)".into());
    let mut h = harness(f.app(keyring, false));
    h.run();
    assert!(text_visible(
        &h,
        "No keyring: no keyring service is reachable (test)"
    ));
    assert!(text_visible(&h, "never written to disk"));
}

#[test]
fn a_corrupt_profiles_file_is_moved_aside_and_reported() {
    let f = Fixture::new();
    let file = f.desk.paths().profiles_file();
    std::fs::create_dir_all(file.parent().expect("dir")).expect("mkdir");
    std::fs::write(&file, "{ not json").expect("write");
    let mut h = harness(f.app(SecretStore::memory(), false));
    h.run();
    assert!(
        text_visible(&h, "The profiles file could not be read"),
        "reported in the window"
    );
    let aside: Vec<_> = std::fs::read_dir(file.parent().expect("dir"))
        .expect("ls")
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("profiles.json.corrupt-")
        })
        .collect();
    assert_eq!(aside.len(), 1, "the broken file is kept aside");
}

#[test]
fn a_fan_out_over_ten_recipients_asks_first_and_cancel_sends_nothing() {
    let f = Fixture::new();
    let mut p = Profile::new("alerts-bot", "telegram");
    p.base_url = Some(f.server.uri());
    p.environment = Environment::Prod;
    let app = f.desk.app(
        p,
        &[("bot_token", "123456789:AAEexampleTokenForTests_1234567890")],
    );
    let mut h = open(app);
    type_into(&mut h, "Body", "Release 2.0 is out");
    let chats: Vec<String> = (1..=11).map(|i| format!("{}", 1000 + i)).collect();
    type_into(&mut h, "Chat IDs", &chats.join("\n"));
    h.get_by_label_contains("Send to 11 chats").click();
    h.run();
    assert!(
        text_visible(&h, "This sends to 11 recipients"),
        "the confirmation names the fan-out"
    );
    h.get_by_label("Cancel").click();
    h.run();
    assert!(!h.state().is_sending());
    let received = f
        .desk
        .runtime
        .block_on(f.server.received_requests())
        .unwrap_or_default();
    assert!(received.is_empty(), "nothing was sent");
}
