//! Files and memory: each kind of file dropped on the window lands where it belongs, a credential
//! field loads its key from a file, Save asks before replacing a file, and the window comes back
//! after a restart with the same tab, profile, pane and message.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use eframe::egui::{self, Key, Modifiers};
use egui_kittest::kittest::Queryable as _;
use pushdeck::provider::webpush::vapid::VapidKey;
use pushdeck::store::{Profile, SecretStore};
use pushdeck::ui::RightTab;

use crate::support::stand_ins::apns::SIGNING_KEY;
use crate::support::stand_ins::fcm::service_account_json;
use crate::support::window::{
    Desk, Window, harness, open, status, tab_of, text_visible, toasts, type_into,
};

const P256DH: &str =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";

/// A file as the desktop hands it to the window when it is dropped.
#[derive(Debug)]
struct DroppedPath(PathBuf);

impl egui::DroppedFile for DroppedPath {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Writes `text` to `name` in the desk's folder and drops that file on the window.
fn drop_file(h: &mut Window, desk: &Desk, name: &str, text: &[u8]) -> PathBuf {
    let path = desk.dir.path().join("downloads").join(name);
    std::fs::create_dir_all(path.parent().expect("folder")).expect("folder");
    std::fs::write(&path, text).expect("write");
    h.input_mut()
        .dropped_files
        .push(Arc::new(DroppedPath(path.clone())));
    h.run();
    path
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
fn a_dropped_draft_opens_and_shows_unsaved_once_edited() {
    let desk = Desk::new();
    let mut h = open(desk.app(Profile::new("acme", "ntfy"), &[]));
    // While a file is dragged over the window, the window says what dropping does.
    h.input_mut()
        .hovered_files
        .push(egui::HoveredFile::default());
    // egui redraws for as long as a file hovers: step instead of waiting to settle.
    h.step();
    h.step();
    assert!(text_visible(&h, "Drop to use this file"));
    h.input_mut().hovered_files.clear();
    h.run();
    assert!(!text_visible(&h, "Drop to use this file"));
    let draft = r#"{"profile":"acme","message":{"title":"Flash sale","body":"Half price today"}}"#;
    let path = drop_file(&mut h, &desk, "sale.json", draft.as_bytes());
    assert_eq!(status(&h), format!("Opened {}", path.display()));
    assert_eq!(
        h.get_by_label("Title").value().as_deref(),
        Some("Flash sale")
    );
    assert!(!text_visible(&h, "unsaved"), "just opened: nothing to save");
    type_into(&mut h, "Title", "!");
    assert!(text_visible(&h, "• sale.json — unsaved"));
}

#[test]
fn a_dropped_p8_goes_into_the_open_apns_editor_and_the_keyring() {
    let desk = Desk::new();
    let (app, keyring) = desk.app_and_keyring(Profile::new("ios", "apns"), &[]);
    let mut h = open(app);
    h.get_by_label("Edit credentials…").click();
    h.run();
    // A file that only looks like a key is refused and nothing is stored.
    drop_file(
        &mut h,
        &desk,
        "AuthKey_BROKEN.p8",
        b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
    );
    assert!(status(&h).contains("was refused"), "{}", status(&h));
    assert_eq!(keyring.get("ios", "signing_key_p8").expect("keyring"), None);

    drop_file(
        &mut h,
        &desk,
        "AuthKey_ABC123DEFG.p8",
        SIGNING_KEY.as_bytes(),
    );
    assert!(
        status(&h).starts_with("Saved the APNs signing key"),
        "{}",
        status(&h)
    );
    assert_eq!(
        keyring
            .get("ios", "signing_key_p8")
            .expect("keyring")
            .as_deref(),
        Some(SIGNING_KEY.trim())
    );
}

#[test]
fn a_dropped_service_account_goes_to_the_fcm_profile() {
    let desk = Desk::new();
    let (app, keyring) = desk.app_and_keyring(Profile::new("android", "fcm"), &[]);
    let mut h = open(app);
    let json = service_account_json();
    drop_file(&mut h, &desk, "acme-123abc.json", json.as_bytes());
    assert!(status(&h).contains("profile android"), "{}", status(&h));
    assert_eq!(
        keyring
            .get("android", "service_account_json")
            .expect("keyring")
            .as_deref(),
        Some(json.trim())
    );
}

#[test]
fn a_dropped_vapid_pem_goes_to_the_web_push_profile() {
    let desk = Desk::new();
    let (app, keyring) = desk.app_and_keyring(Profile::new("web", "webpush"), &[]);
    let mut h = open(app);
    let pem = VapidKey::generate().expect("key").private_key_pem();
    drop_file(&mut h, &desk, "vapid.pem", pem.as_bytes());
    assert!(status(&h).contains("VAPID private key"), "{}", status(&h));
    assert_eq!(
        keyring
            .get("web", "vapid_private_key")
            .expect("keyring")
            .as_deref(),
        Some(pem.trim())
    );
}

#[test]
fn a_dropped_subscriptions_file_joins_the_web_push_audience() {
    let desk = Desk::new();
    // Dropped on another tab: the subscriptions still go to Web Push.
    desk.save_profile(Profile::new("web", "webpush"));
    let mut h = open(desk.app(Profile::new("acme", "ntfy"), &[]));
    let line = |n: u32| {
        format!(
            r#"{{"endpoint":"https://push.example/send/{n}","keys":{{"p256dh":"{P256DH}","auth":"BTBZMqHH6r4Tts7J_aSIgg"}}}}"#
        )
    };
    drop_file(
        &mut h,
        &desk,
        "subscribers.jsonl",
        format!("{}\n{}\n", line(1), line(2)).as_bytes(),
    );
    assert!(
        status(&h).starts_with("Added 2 subscription(s)"),
        "{}",
        status(&h)
    );
    assert_eq!(h.state().tab, tab_of("webpush"));
    let draft = h.state_mut().current_draft().expect("a draft");
    let subscriptions = draft.audience["subscriptions"].as_array().expect("a list");
    assert_eq!(subscriptions.len(), 2);
    assert_eq!(subscriptions[1]["endpoint"], "https://push.example/send/2");
}

#[test]
fn a_p12_or_an_unknown_file_is_explained() {
    let desk = Desk::new();
    let mut h = open(desk.app(Profile::new("ios", "apns"), &[]));
    // Not a PKCS#12 inside: refused with the reason, nothing stored.
    drop_file(&mut h, &desk, "cert.p12", &[0x30, 0x82, 0x0a, 0xff, 0x02]);
    assert!(status(&h).contains("PKCS#12"), "{}", status(&h));
    drop_file(&mut h, &desk, "notes.txt", b"remember the milk");
    assert!(
        status(&h).contains("notes.txt was not recognised"),
        "{}",
        status(&h)
    );
}

#[test]
fn load_from_file_fills_a_credential_field() {
    let desk = Desk::new();
    let (app, keyring) = desk.app_and_keyring(Profile::new("ios", "apns"), &[]);
    let mut h = open(app);
    let key = desk.dir.path().join("AuthKey_ABC123DEFG.p8");
    std::fs::write(&key, SIGNING_KEY).expect("write");
    h.get_by_label("Edit credentials…").click();
    h.run();
    // The first one is the signing key's (the push certificate has its own below).
    h.get_all_by_label("Load from file…")
        .next()
        .expect("a Load from file… button")
        .click();
    h.run();
    replace_text(&mut h, "File", &key.display().to_string());
    h.get_by_label("Load").click();
    h.run();
    assert!(status(&h).starts_with("Loaded"), "{}", status(&h));
    assert_eq!(
        keyring.get("ios", "signing_key_p8").expect("keyring"),
        None,
        "not before Save"
    );
    h.get_by_label("Save").click();
    h.run();
    assert_eq!(
        keyring
            .get("ios", "signing_key_p8")
            .expect("keyring")
            .as_deref(),
        Some(SIGNING_KEY.trim())
    );
}

#[test]
fn save_asks_before_replacing_a_file() {
    let desk = Desk::new();
    let mut h = open(desk.app(Profile::new("acme", "ntfy"), &[]));
    type_into(&mut h, "Title", "New title");
    let file = desk.dir.path().join("existing.json");
    std::fs::write(&file, "old").expect("write");
    h.get_by_label("Save draft as…").click();
    h.run();
    replace_text(&mut h, "File", &file.display().to_string());
    h.get_by_label("Save").click();
    h.run();
    assert!(text_visible(&h, "exists already"));
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "old",
        "not replaced yet"
    );
    h.get_by_label("Replace").click();
    h.run();
    assert!(toasts(&h).starts_with("Saved draft"), "{}", toasts(&h));
    assert!(
        std::fs::read_to_string(&file)
            .expect("read")
            .contains("New title")
    );
}

#[test]
fn the_window_comes_back_as_it_was_left() {
    let desk = Desk::new();
    let keyring = SecretStore::memory();
    for name in ["acme-a", "acme-b"] {
        desk.save_profile(Profile::new(name, "ntfy"));
    }
    keyring
        .set("acme-b", "access_token", "tk_secret_do_not_write")
        .expect("secret");
    let mut h = harness(desk.app_with(keyring.clone()));
    h.run();
    h.get_by_label("ntfy").click();
    h.run();
    h.get_by_label("Profile").click();
    h.run();
    h.get_by_label("acme-b").click();
    h.run();
    h.get_by_label("Preview").click();
    h.run();
    type_into(&mut h, "Title", "Half-written sale");
    // Written once the message rests, not on every keystroke.
    let session = desk.paths().session_file();
    assert!(!session.exists(), "nothing written while typing");
    pushdeck::clock::advance(Duration::from_millis(2100));
    h.run();
    assert!(session.exists(), "written 2 s after the last change");
    type_into(&mut h, "Body", "Until midnight");
    h.state_mut().save_session().expect("the close hook");
    drop(h);
    let text = std::fs::read_to_string(&session).expect("session");
    assert!(
        !text.contains("tk_secret_do_not_write"),
        "no secret on disk"
    );

    let mut h = harness(desk.app_with(keyring));
    h.run();
    assert_eq!(h.state().tab, tab_of("ntfy"));
    assert_eq!(h.state().right, RightTab::Preview);
    assert!(text_visible(&h, "acme-b"), "the profile is chosen again");
    assert_eq!(
        h.get_by_label("Title").value().as_deref(),
        Some("Half-written sale")
    );
    assert_eq!(
        h.get_by_label("Body").value().as_deref(),
        Some("Until midnight")
    );
}

#[test]
fn without_a_desktop_portal_the_in_app_dialog_opens_with_a_note() {
    // Where a portal runs, the desktop's own dialog would open; that one cannot be driven here.
    let Err(why) = pushdeck::ui::portal_available() else {
        eprintln!("a desktop portal runs here: the fallback is not reachable");
        return;
    };
    let desk = Desk::new();
    let mut app = desk.app(Profile::new("acme", "ntfy"), &[]);
    app.use_native_dialogs(true);
    let mut h = open(app);
    h.get_by_label("Open draft…").click();
    crate::support::window::wait_for(&mut h, "the in-app dialog", |h| {
        h.query_by_label("File").is_some()
    });
    assert!(text_visible(&h, "file dialogs are not available"));
    assert!(text_visible(&h, &why), "the note says why: {why}");
    // The fallback sticks: the next dialog does not ask the bus again.
    h.get_by_label("Cancel").click();
    h.run();
    h.get_by_label("Save draft as…").click();
    h.run();
    assert!(h.query_by_label("File").is_some());
}

#[test]
fn a_typed_path_with_a_tilde_is_under_home() {
    let desk = Desk::new();
    let mut h = open(desk.app(Profile::new("acme", "ntfy"), &[]));
    let home = directories::BaseDirs::new()
        .expect("home")
        .home_dir()
        .to_path_buf();
    let name = format!("pushdeck-tilde-{}.json", std::process::id());
    let file = home.join(&name);
    std::fs::write(
        &file,
        r#"{"profile":"acme","message":{"title":"From home"}}"#,
    )
    .expect("write");
    h.get_by_label("Open draft…").click();
    h.run();
    replace_text(&mut h, "File", &format!("~/{name}"));
    h.get_by_label("Open").click();
    h.run();
    let _ = std::fs::remove_file(&file);
    assert_eq!(status(&h), format!("Opened {}", file.display()));
    assert_eq!(
        h.get_by_label("Title").value().as_deref(),
        Some("From home")
    );
}

/// A `.p12` loaded into Edit credentials shows what Apple encoded in it: the bundle id and
/// topics, the environments, the expiry, and a warning 30 days before it.
#[test]
fn a_push_certificate_shows_its_bundle_id_environment_and_expiry() {
    use crate::support::tls::{AppleExtensions, TestCa};
    let desk = Desk::new();
    let mut h = open(desk.app(Profile::new("ios", "apns"), &[]));
    let apple = AppleExtensions {
        sandbox: true,
        production: true,
        topics: vec!["com.example.app".into(), "com.example.app.voip".into()],
        valid_days: 10,
    };
    let cert = TestCa::new().client_certificate("com.example.app", &apple);
    let p12 = desk.dir.path().join("Certificates.p12");
    std::fs::write(&p12, cert.p12(desk.dir.path(), "s3cret")).expect("write");
    h.get_by_label("Edit credentials…").click();
    h.run();
    type_into(&mut h, "Certificate password", "s3cret");
    // The second Load from file… is the push certificate's (the first is the .p8 key's).
    h.get_all_by_label("Load from file…")
        .nth(1)
        .expect("the certificate's Load from file…")
        .click();
    h.run();
    replace_text(&mut h, "File", &p12.display().to_string());
    h.get_by_label("Load").click();
    h.run();
    h.run();
    assert!(status(&h).starts_with("Loaded"), "{}", status(&h));
    for shown in [
        "Certificate: Apple Push Services: com.example.app",
        "Bundle id: com.example.app",
        "Topics: com.example.app, com.example.app.voip",
        "Environment: sandbox and production",
        "renew it",
    ] {
        assert!(text_visible(&h, shown), "{shown} is not shown");
    }
    // A wrong password is named.
    replace_text(&mut h, "Certificate password", "wrong");
    h.run();
    assert!(text_visible(&h, "password is wrong"));
}
