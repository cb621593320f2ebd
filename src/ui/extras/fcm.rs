//! FCM: a Validate button below the audience. It sends with `validate_only`, so FCM checks the
//! message, the target and the credentials without delivering anything.

use eframe::egui;

use crate::ui::app::PushdeckApp;

pub fn audience(app: &mut PushdeckApp, ui: &mut egui::Ui) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        let idle = !app.is_sending();
        let clicked = ui
            .add_enabled(idle, egui::Button::new("Validate"))
            .on_hover_text(
                "FCM checks the message and the target (validate_only) and delivers nothing",
            )
            .clicked();
        ui.label("checks on FCM's server, delivers nothing");
        if clicked {
            match app.current_job() {
                Ok(mut job) => {
                    job.dry_run = true;
                    app.start_send(job);
                }
                Err(e) => app.status = Some((false, format!("Not validated: {e}"))),
            }
        }
    });
}
