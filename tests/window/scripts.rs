//! Text in every script people write in: the system's fonts cover what egui's own lack, and the
//! Preview says where egui's layout differs from the recipients' devices.

use eframe::egui::{self, FontFamily, FontId};
use egui_kittest::Harness;
use pushdeck::draft::Draft;
use pushdeck::store::Profile;
use pushdeck::ui::{PushdeckApp, RightTab};

use crate::support::window::{Desk, Window, snapshot, text_visible};

const DRAFT: &str = include_str!("../../assets/examples/multilingual-sale.json");

fn window(desk: &Desk, theme: egui::Theme) -> Window {
    let mut profile = Profile::new("acme-web", "onesignal");
    // A fixed base URL keeps the picture the same on every run; nothing is sent.
    profile.base_url = Some("http://127.0.0.1:8080".into());
    profile.settings.insert(
        "app_id".into(),
        "5eb5a37e-b458-11e3-ac11-000c2940e62c".into(),
    );
    let mut app = desk.app(profile, &[("api_key", "os_v2_app_multilingual")]);
    let draft = Draft::from_json(DRAFT).expect("example draft");
    app.load_draft(&draft).expect("loads");
    app.right = RightTab::Preview;
    let mut h = Harness::builder()
        .with_size([1280.0, 800.0])
        .with_theme(theme)
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app);
    h.run();
    h
}

/// Every character of the draft has a glyph in the fonts the window loaded, in the proportional
/// font (composer, Preview) and the monospace one (Request pane): none is drawn as a box.
#[test]
fn every_character_of_a_multilingual_draft_has_a_glyph() {
    let desk = Desk::new();
    let h = window(&desk, egui::Theme::Light);
    let draft = Draft::from_json(DRAFT).expect("example draft");
    let text = format!("{}{}", draft.message.title, draft.message.body);
    for family in [FontFamily::Proportional, FontFamily::Monospace] {
        let font = FontId::new(14.0, family.clone());
        let missing: String = h.ctx.fonts_mut(|fonts| {
            text.chars()
                .filter(|c| !c.is_whitespace() && !fonts.has_glyph(&font, *c))
                .collect()
        });
        assert_eq!(missing, "", "no glyph in {family:?} for these");
        // The question can fail: an unassigned code point has no glyph in any font.
        assert!(!h.ctx.fonts_mut(|fonts| fonts.has_glyph(&font, '\u{0378}')));
    }
}

/// Where egui lays a script out differently from phones (right to left), the Preview says so.
#[test]
fn the_preview_says_which_scripts_it_cannot_order_right_to_left() {
    let desk = Desk::new();
    let h = window(&desk, egui::Theme::Light);
    assert!(text_visible(&h, "Arabic is written right to left"));
    assert!(text_visible(&h, "Hebrew is written right to left"));
}

#[test]
fn snapshot_multilingual_preview() {
    let desk = Desk::new();
    let mut h = window(&desk, egui::Theme::Light);
    snapshot(&mut h, "multilingual");
}
