//! History's sink sessions read through the engine off the UI thread (`spawn_blocking` in a
//! `Task`): the list at the start and whenever a sink stops, a session when it is opened. What the
//! reads bring is taken in once per frame, like the Sink view's arrivals.

use super::app::PushdeckApp;
use super::history_sink::Opened;
use super::task::Task;

impl PushdeckApp {
    /// Opens History on a sink session; it shows once read.
    pub(super) fn show_sink_session(&mut self, id: String) {
        self.history.open = true;
        let engine = self.engine.clone();
        let ctx = self.egui_ctx.clone().unwrap_or_default();
        let read = id.clone();
        let task = Task::spawn(&self.runtime, &ctx, async move {
            tokio::task::spawn_blocking(move || engine.history().sink_session(&read))
                .await
                .map_err(|e| e.to_string())
                .and_then(|r| r.map_err(|e| e.to_string()))
        });
        self.history.sinks.opening = Some((id, task));
    }

    /// Starts reading the list when it is stale, and takes in what the reads brought.
    pub(super) fn poll_sink_history(&mut self) {
        let running = self.sink.running.as_ref().map(|h| h.session.clone());
        let sinks = &mut self.history.sinks;
        if let Some(list) = sinks.loading.as_ref().and_then(Task::poll) {
            sinks.loading = None;
            sinks.list = list
                .into_iter()
                .filter(|s| Some(&s.id) != running.as_ref())
                .collect();
        }
        if sinks.stale && sinks.loading.is_none() {
            sinks.stale = false;
            let engine = self.engine.clone();
            let ctx = self.egui_ctx.clone().unwrap_or_default();
            sinks.loading = Some(Task::spawn(&self.runtime, &ctx, async move {
                tokio::task::spawn_blocking(move || engine.history().sink_sessions())
                    .await
                    .unwrap_or_default()
            }));
        }
        let landed = sinks.opening.as_ref().and_then(|(_, t)| t.poll());
        if let Some(read) = landed {
            let id = sinks.opening.take().map(|(id, _)| id).unwrap_or_default();
            match read {
                Ok(Some(session)) => self.history.show_sink(Opened::new(session)),
                Ok(None) => {
                    self.history.error = Some(format!(
                        "The sink session {id} is gone (removed as one of the oldest?)."
                    ))
                }
                Err(e) => {
                    self.history.error = Some(format!("The sink session {id} did not read: {e}"))
                }
            }
        }
    }
}
