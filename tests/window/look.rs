//! The window's looks and manners: a theme that sticks, confirmations that go away, and a table of
//! the keyboard shortcuts.

use eframe::egui::{self, Key};
use egui_kittest::kittest::Queryable as _;
use pushdeck::store::{Profile, SecretStore};
use pushdeck::ui::RightTab;

use crate::support::window::{Desk, open, text_visible, toasts, wait_for};

fn onesignal(desk: &Desk) -> pushdeck::ui::PushdeckApp {
    let mut profile = Profile::new("acme-web", "onesignal");
    profile.base_url = Some("http://127.0.0.1:8080".into());
    profile.settings.insert(
        "app_id".into(),
        "5eb5a37e-b458-11e3-ac11-000c2940e62c".into(),
    );
    desk.app(profile, &[("api_key", "os_v2_app_look")])
}

/// The theme chosen in the View menu is kept in the settings file and comes back on restart.
#[test]
fn the_theme_choice_sticks_across_restarts() {
    let desk = Desk::new();
    // kittest starts windows dark: choosing light is a visible change.
    let mut h = open(desk.app_with(SecretStore::memory()));
    assert_eq!(h.ctx.theme(), egui::Theme::Dark);
    h.get_by_label("View").click();
    h.run();
    h.get_by_label("Light").click();
    h.run();
    assert_eq!(h.ctx.theme(), egui::Theme::Light);
    drop(h);
    let settings = std::fs::read_to_string(desk.paths().settings_file()).expect("settings kept");
    assert!(settings.contains("\"theme\": \"light\""), "{settings}");

    let h = open(desk.app_with(SecretStore::memory()));
    assert_eq!(h.ctx.theme(), egui::Theme::Light, "restarted light");
}

/// Copying says so in a toast, which goes away by itself; the status line is left alone.
#[test]
fn a_copy_confirmation_clears_by_itself() {
    let desk = Desk::new();
    let mut app = onesignal(&desk);
    let draft = pushdeck::draft::Draft::from_json(include_str!(
        "../../assets/examples/multilingual-sale.json"
    ))
    .expect("example draft");
    app.load_draft(&draft).expect("loads");
    app.right = RightTab::Request;
    let mut h = open(app);
    h.get_by_label("Copy as curl").click();
    h.run();
    assert!(text_visible(&h, "curl command copied"), "{}", toasts(&h));
    assert_eq!(
        h.state().status,
        None,
        "the status line keeps the last outcome"
    );
    wait_for(&mut h, "the toast to go", |h| {
        !text_visible(h, "curl command copied")
    });
    assert_eq!(toasts(&h), "");
}

/// F1 (and the View menu) opens the table of shortcuts, written as this platform writes them.
#[test]
fn the_shortcut_table_lists_every_shortcut() {
    let desk = Desk::new();
    let mut h = open(desk.app_with(SecretStore::memory()));
    assert!(!text_visible(&h, "Keyboard shortcuts"));
    h.key_press(Key::F1);
    h.run();
    for (keys, action) in [
        ("Ctrl+Enter", "Send"),
        ("Ctrl+O", "Open draft…"),
        ("Ctrl+S", "Save draft as…"),
        ("Ctrl+H", "History"),
        ("F1", "Keyboard shortcuts"),
        ("Esc", "Cancel"),
    ] {
        assert!(text_visible(&h, keys), "{keys} listed");
        assert!(text_visible(&h, action), "{action} listed");
    }
}

/// On macOS, History is Cmd+Y: Cmd+H hides the app there.
#[test]
fn history_is_cmd_y_on_macos() {
    let desk = Desk::new();
    let mut h = open(desk.app_with(SecretStore::memory()));
    h.ctx.set_os(egui::os::OperatingSystem::Mac);
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::H);
    h.run();
    assert!(!h.state().history_open(), "Cmd+H is left to macOS");
    h.key_press_modifiers(egui::Modifiers::COMMAND, Key::Y);
    h.run();
    assert!(h.state().history_open());
}
