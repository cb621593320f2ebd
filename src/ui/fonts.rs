//! Text in every script: egui's built-in fonts cover Latin, Cyrillic and Greek; everything else
//! (CJK, Arabic, Hebrew, Devanagari, Thai, emoji…) comes from the machine's own fonts, found on
//! demand by egui's system-font provider. Nothing is bundled.
//!
//! And what egui's layout cannot do for a script, said in plain words next to the Preview.

use std::sync::{Arc, LazyLock};

use eframe::egui;
use egui_system_font_provider::SystemFontProvider;

/// One provider per process: it enumerates the system fonts once, on a background thread
/// started on first use, so the window opens at once and only the first frame that needs a
/// fallback font waits for the list. Shared by every window (and every test's window).
static SYSTEM_FONTS: LazyLock<Arc<SystemFontProvider>> =
    LazyLock::new(|| Arc::new(SystemFontProvider::new()));

/// Lets `ctx` fall back to the system's fonts for characters its own fonts lack.
pub fn install(ctx: &egui::Context) {
    ctx.add_font_provider(SYSTEM_FONTS.clone());
}

/// A script egui draws with the right glyphs but not the way its readers' devices lay it out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    RightToLeft(&'static str),
}

impl Limit {
    pub fn explain(self) -> String {
        match self {
            Limit::RightToLeft(script) => format!(
                "{script} is written right to left. The Preview draws its letters and joins them, but puts the words of a line left to right; phones order them right to left, so read the card's {script} words from the right."
            ),
        }
    }
}

/// The scripts in `text` that egui cannot lay out as the recipients' devices will, each once, in
/// the order they first appear (by Unicode block).
pub fn limits(text: &str) -> Vec<Limit> {
    let mut found = Vec::new();
    for c in text.chars() {
        let limit = match u32::from(c) {
            0x0590..=0x05FF | 0xFB1D..=0xFB4F => Limit::RightToLeft("Hebrew"),
            0x0600..=0x06FF
            | 0x0750..=0x077F
            | 0x08A0..=0x08FF
            | 0xFB50..=0xFDFF
            | 0xFE70..=0xFEFF => Limit::RightToLeft("Arabic"),
            _ => continue,
        };
        if !found.contains(&limit) {
            found.push(limit);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_right_to_left_scripts_once_each() {
        assert_eq!(
            limits("Sale שלום مرحبا עוד"),
            [Limit::RightToLeft("Hebrew"), Limit::RightToLeft("Arabic")]
        );
        assert!(limits("セール開始 🎉 Привет Γειά").is_empty());
    }
}
