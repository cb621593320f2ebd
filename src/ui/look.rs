//! How the window looks and is found around: the theme (system, light or dark, kept in the
//! settings file by the store), the View menu, and the Keyboard shortcuts window listing the same
//! table `Command` handles the keys from.

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};

use super::command::{Action, Actions, Command};
use crate::store::library::Theme;

const THEMES: [(Theme, &str, &str); 3] = [
    (
        Theme::System,
        "Follow the system",
        "Light or dark as the desktop is set",
    ),
    (Theme::Light, "Light", "Always light"),
    (Theme::Dark, "Dark", "Always dark"),
];

/// Applies `theme` to the window.
pub fn apply(ctx: &egui::Context, theme: Theme) {
    ctx.set_theme(match theme {
        Theme::System => egui::ThemePreference::System,
        Theme::Light => egui::ThemePreference::Light,
        Theme::Dark => egui::ThemePreference::Dark,
    });
}

/// The first frame: system fonts for every script, and the theme chosen last time. A theme left
/// to the system is not applied, so whatever set the window up (eframe, a test) keeps its own.
pub fn first_frame(ctx: &egui::Context, theme: Theme) {
    super::fonts::install(ctx);
    if theme != Theme::System {
        apply(ctx, theme);
    }
}

/// The View menu: the theme, and the shortcut table.
pub fn view_menu(ui: &mut egui::Ui, theme: Theme, actions: &mut Actions) {
    ui.menu_button("View", |ui| {
        ui.label(RichText::new("Theme").strong());
        for (choice, label, tooltip) in THEMES {
            if ui
                .radio(theme == choice, label)
                .on_hover_text(tooltip)
                .clicked()
            {
                actions.push(Action::SetTheme(choice));
                ui.close();
            }
        }
        ui.separator();
        let shortcuts = Command::ShowShortcuts;
        if ui
            .button(shortcuts.label())
            .on_hover_text(shortcuts.tooltip(ui.ctx()))
            .clicked()
        {
            actions.run(shortcuts);
            ui.close();
        }
    })
    .response
    .on_hover_text("Theme and keyboard shortcuts");
}

/// The Keyboard shortcuts window: every shortcut as this platform writes it.
pub fn shortcuts_window(ctx: &egui::Context, open: &mut bool) {
    egui::Window::new("Keyboard shortcuts")
        .open(open)
        .collapsible(false)
        .resizable(false)
        .show(ctx, |ui| {
            TableBuilder::new(ui)
                .id_salt("shortcuts")
                .striped(true)
                .column(Column::auto().at_least(110.0))
                .column(Column::auto().at_least(140.0))
                .column(Column::remainder().at_least(220.0))
                .header(20.0, |mut header| {
                    for title in ["Keys", "Action", "What it does"] {
                        header.col(|ui| {
                            ui.strong(title);
                        });
                    }
                })
                .body(|mut body| {
                    let rows = Command::WITH_SHORTCUTS
                        .into_iter()
                        .filter_map(|c| Some((ctx.format_shortcut(&c.shortcut(ctx)?), c)))
                        .map(|(keys, c)| (keys, c.label(), c.description()))
                        .chain([(
                            "Esc".to_string(),
                            Command::CancelSend.label(),
                            "Stop a send in progress",
                        )]);
                    for (keys, label, what) in rows {
                        body.row(20.0, |mut row| {
                            row.col(|ui| {
                                ui.monospace(&keys);
                            });
                            row.col(|ui| {
                                ui.label(label);
                            });
                            row.col(|ui| {
                                ui.label(what);
                            });
                        });
                    }
                });
        });
}
