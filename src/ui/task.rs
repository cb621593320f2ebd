//! A background job on the runtime whose result the UI polls each frame; the runtime wakes the UI
//! with a repaint when the result lands, so nothing spins while waiting.

use std::future::Future;
use std::sync::mpsc;

pub struct Task<T> {
    rx: mpsc::Receiver<T>,
}

impl<T: Send + 'static> Task<T> {
    pub fn spawn(
        runtime: &tokio::runtime::Handle,
        ctx: &eframe::egui::Context,
        future: impl Future<Output = T> + Send + 'static,
    ) -> Task<T> {
        let (tx, rx) = mpsc::channel();
        let ctx = ctx.clone();
        runtime.spawn(async move {
            let value = future.await;
            let _ = tx.send(value);
            ctx.request_repaint();
        });
        Task { rx }
    }

    /// The result if it has arrived.
    pub fn poll(&self) -> Option<T> {
        self.rx.try_recv().ok()
    }
}
