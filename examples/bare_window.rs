//! The baseline of `scripts/bench-app`: a bare eframe window with one text field and one button,
//! built with exactly Pushdeck's renderer and features, logging frames the same way.

use eframe::egui;
use pushdeck::ui::frame_log::FrameLog;

struct Bare {
    text: String,
    log: Option<FrameLog>,
}

impl eframe::App for Bare {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            let label = ui.label("Text");
            ui.text_edit_singleline(&mut self.text)
                .labelled_by(label.id);
            let _ = ui.button("Button");
        });
        if let Some(log) = &mut self.log {
            log.frame();
        }
    }
}

fn main() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Bare")
            .with_inner_size([1280.0, 800.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native(
        "bare",
        options,
        Box::new(|_cc| {
            Ok(Box::new(Bare {
                text: String::new(),
                log: FrameLog::from_env(),
            }))
        }),
    )
}
