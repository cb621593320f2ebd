//! FCM: a Validate button below the audience. It sends with `validate_only`, so FCM checks the
//! message, the target and the credentials without delivering anything.

use eframe::egui;

use crate::ui::command::{Actions, Command};
use crate::ui::view::View;

pub fn audience(ui: &mut egui::Ui, view: &View<'_>, actions: &mut Actions) {
    ui.add_space(6.0);
    ui.horizontal(|ui| {
        if Command::Validate.button(ui, !view.is_sending()) {
            actions.run(Command::Validate);
        }
        ui.label("checks on FCM's server, delivers nothing");
    });
}
