//! Short confirmations ("curl command copied", "Saved template Weekly.") that show in the window's
//! corner for a few seconds and go away by themselves, so the status line keeps what matters: the
//! last send's outcome.

use std::time::{Duration, Instant};

use eframe::egui::{self, Align2, RichText};

use super::widgets::ok_color;

/// How long a toast stays.
pub const SHOWN_FOR: Duration = Duration::from_secs(4);

#[derive(Default)]
pub struct Toasts {
    shown: Vec<(String, Instant)>,
}

impl Toasts {
    pub fn push(&mut self, text: impl Into<String>) {
        self.shown.push((text.into(), crate::clock::instant()));
    }

    /// The toasts showing now, oldest first.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.shown.iter().map(|(t, _)| t.as_str())
    }

    /// Drops the expired toasts and draws the rest in the bottom right corner, above the send bar.
    pub fn show(&mut self, ctx: &egui::Context) {
        let now = crate::clock::instant();
        self.shown
            .retain(|(_, at)| now.duration_since(*at) < SHOWN_FOR);
        let Some(oldest) = self.shown.first().map(|(_, at)| *at) else {
            return;
        };
        // Wake up when the oldest one is due to go, even if nothing else happens.
        ctx.request_repaint_after(SHOWN_FOR.saturating_sub(now.duration_since(oldest)));
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(Align2::RIGHT_BOTTOM, [-16.0, -56.0])
            .order(egui::Order::Foreground)
            .interactable(false)
            .show(ctx, |ui| {
                for (text, _) in &self.shown {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.horizontal(|ui| {
                            ui.label(RichText::new("✔").color(ok_color(ui, true)));
                            ui.label(text);
                        });
                    });
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toast_goes_away_by_itself() {
        let ctx = egui::Context::default();
        let mut toasts = Toasts::default();
        toasts.push("Copied");
        let mut output = ctx.run_ui(Default::default(), |ui| toasts.show(ui.ctx()));
        output.textures_delta.clear();
        assert_eq!(toasts.texts().collect::<Vec<_>>(), ["Copied"]);
        crate::clock::advance(SHOWN_FOR);
        let mut output = ctx.run_ui(Default::default(), |ui| toasts.show(ui.ctx()));
        output.textures_delta.clear();
        assert_eq!(toasts.texts().count(), 0);
    }
}
