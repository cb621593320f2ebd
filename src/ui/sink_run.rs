//! The Sink view's steps through the engine: start a sink (it wakes the window once per request,
//! so nothing repaints while it waits), switch its answer, stop it, and take in what arrived once
//! per frame. Closing the view, switching to a provider tab or closing the window stops it.

use std::sync::Arc;
use std::sync::mpsc::TryRecvError;

use super::app::PushdeckApp;
use super::command::SinkStep as Step;
use crate::engine::sink::{SinkEvent, SinkJob, listen_address};

impl PushdeckApp {
    pub(super) fn sink_step(&mut self, step: Step) {
        match step {
            Step::Answer(name) => {
                let Some(handle) = &self.sink.running else {
                    return; // not running: the choice is used at the next start
                };
                if let Err(e) = handle.set_rehearsal(name) {
                    self.sink.error = Some(in_words(&e));
                }
            }
            Step::Pick(seq) => {
                self.sink.picked = Some(seq);
                self.reveal = false; // a reveal lasts until another request is shown
            }
        }
    }

    /// Opens the Sink view, or closes it and stops a running sink.
    pub(super) fn toggle_sink(&mut self) {
        if self.sink.open {
            self.close_sink();
        } else {
            self.sink.open = true;
            self.reveal = false;
        }
    }

    /// Leaves the Sink view; a running sink stops (the port is freed).
    pub(super) fn close_sink(&mut self) {
        self.stop_sink();
        self.sink.open = false;
        self.reveal = false;
    }

    pub(super) fn start_sink(&mut self) {
        let state = &mut self.sink;
        if let Some(running) = &state.running {
            state.error = Some(format!(
                "The sink already listens at {}: stop it first to start another.",
                running.base_url
            ));
            return;
        }
        let listen = state
            .port_number()
            .and_then(|port| listen_address(state.provider, port, None).map(|(addr, _)| addr));
        let listen = match listen {
            Ok(listen) => listen,
            Err(e) => {
                state.error = Some(in_words(&e));
                return;
            }
        };
        let job = SinkJob {
            provider: state.provider.to_string(),
            profile: state.profile.clone(),
            listen,
            rehearsal: state.answer.map(str::to_string),
            tls: state.tls,
            paths: self.paths.clone(),
        };
        let ctx = self.egui_ctx.clone();
        let notify: Arc<dyn Fn() + Send + Sync> = Arc::new(move || {
            if let Some(ctx) = &ctx {
                ctx.request_repaint();
            }
        });
        match (self.engine).start_sink_with(&self.runtime, job, &self.keyring, notify) {
            Ok(handle) => {
                state.clear();
                state.warnings = handle.warnings.clone();
                let text = format!(
                    "The {} sink listens at {}.",
                    handle.provider, handle.base_url
                );
                state.running = Some(handle);
                self.say(true, text);
            }
            Err(e) => state.error = Some(format!("Not started: {}", in_words(&e))),
        }
    }

    /// Stops a running sink; what it received stays in the table (and in history).
    pub(super) fn stop_sink(&mut self) {
        self.poll_sink();
        let Some(handle) = self.sink.running.take() else {
            return;
        };
        handle.stop();
        let text = format!(
            "The {} sink stopped after {} requests, kept in History (and for `pushdeck history show {}`)",
            handle.provider,
            handle.received(),
            handle.session
        );
        let session = handle.session.clone();
        drop(handle);
        self.sink.stopped = Some((text.clone(), session));
        // The session is listed once stopped, with all it received.
        self.history.sinks.refresh();
        self.say(true, text);
    }

    /// Takes in what the sink reported since the last frame. Cheap when nothing came.
    pub(super) fn poll_sink(&mut self) {
        let state = &mut self.sink;
        let Some(handle) = &state.running else {
            return;
        };
        let mut events = Vec::new();
        let ended = loop {
            match handle.events.try_recv() {
                Ok(event) => events.push(event),
                Err(TryRecvError::Empty) => break false,
                Err(TryRecvError::Disconnected) => break true,
            }
        };
        for event in events {
            match event {
                SinkEvent::Arrival(record) => state.arrived(record),
                SinkEvent::Warning(w) => {
                    if !state.warnings.contains(&w) {
                        state.warnings.push(w);
                    }
                }
            }
        }
        if ended {
            state.running = None;
            state.error = Some("The sink stopped by itself: start it again.".into());
        }
    }
}

/// An engine message for the window, where there are no command-line options to name.
fn in_words(message: &str) -> String {
    message
        .replace("--profile: ", "Profile: ")
        .replace("--answer: ", "Answer with: ")
        .replace("--listen: ", "")
        .replace("with --port N", "in Port")
}
