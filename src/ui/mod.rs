//! The egui front end: it draws, and calls the engine and the store. No provider or HTTP logic.

mod actions;
mod app;
mod audience;
mod campaign;
mod campaign_run;
mod code;
mod command;
mod compile;
mod composer;
mod credentials;
mod dialogs;
mod drop;
mod extras;
mod file_state;
mod files;
mod findings;
pub mod fonts;
pub mod form;
pub mod frame_log;
mod history;
mod history_sink;
mod history_sink_run;
pub mod images;
mod inspector;
mod keep;
mod look;
mod matrix;
mod memory;
mod preview;
mod raw;
mod resume;
mod send_bar;
mod sink;
mod sink_run;
mod table;
mod targets;
mod task;
pub mod toasts;
mod view;
mod widgets;

pub use app::{AppSetup, PushdeckApp, RightTab};
pub use files::portal_available;

use crate::store::{Paths, SecretStore};

/// Opens the main window, with a draft in the composer (or a campaign in its panel) if given,
/// with the file it came from; returns the exit status.
pub fn run_app(draft: Option<(crate::campaign::Composed, std::path::PathBuf)>) -> i32 {
    let paths = match Paths::from_env() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("pushdeck: {e}");
            return 2;
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("pushdeck-net")
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("pushdeck: could not start the network runtime: {e}");
            return 3;
        }
    };
    let keyring = SecretStore::open_os_keyring();
    let mut viewport = eframe::egui::ViewportBuilder::default()
        .with_title("Pushdeck")
        // Matches assets/pushdeck.desktop, so Wayland finds the entry (and its icon).
        .with_app_id("pushdeck")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([960.0, 600.0]);
    // The bundled icon always decodes; were it not to, the window keeps egui's default.
    if let Ok(icon) =
        eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icons/256x256/pushdeck.png"))
    {
        viewport = viewport.with_icon(icon);
    }
    let options = eframe::NativeOptions {
        viewport,
        persistence_path: Some(paths.ui_state_dir().join("window.ron")),
        renderer: eframe::Renderer::Glow,
        // The app installs egui's system-font provider itself (`fonts::install`), for the tests'
        // windows too; eframe's own would only log that its feature is off.
        system_font_fallback: false,
        ..Default::default()
    };
    let handle = runtime.handle().clone();
    let result = eframe::run_native(
        "Pushdeck",
        options,
        Box::new(move |_cc| {
            let mut app = PushdeckApp::new(AppSetup {
                paths,
                keyring,
                runtime: handle,
            })?;
            app.use_native_dialogs(true);
            match draft {
                Some((crate::campaign::Composed::Draft(draft), _)) => {
                    if let Err(warning) = app.load_draft(&draft) {
                        app.status = Some((false, warning));
                    }
                }
                Some((crate::campaign::Composed::Campaign(campaign), path)) => {
                    app.open_campaign(campaign, &path)
                }
                None => {}
            }
            let frame_log = frame_log::FrameLog::from_env();
            Ok(Box::new(app::WindowApp { app, frame_log }) as Box<dyn eframe::App>)
        }),
    );
    // Let in-flight requests finish or time out on their own without blocking exit.
    runtime.shutdown_background();
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!(
                "pushdeck: the window could not open: {e}. Use the command line (pushdeck --help) on machines without a display."
            );
            1
        }
    }
}
