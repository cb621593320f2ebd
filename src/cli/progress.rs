//! What a running send shows and hears: a progress bar on a terminal, and Ctrl-C.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use tokio_util::sync::CancellationToken;

/// A fan-out's progress bar on standard error: how many requests are done (not which one landed
/// last, so it only moves forward), the rate and the time left. Drawn only on a terminal.
pub struct Progress {
    enabled: bool,
    bar: OnceLock<ProgressBar>,
}

impl Progress {
    /// `enabled` is false for --json and when standard error is not a terminal: nothing is drawn.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            bar: OnceLock::new(),
        }
    }

    /// The requests were built: a bar for a fan-out (one request needs none).
    pub fn started(&self, total: usize) {
        if !self.enabled || total < 2 {
            return;
        }
        let style =
            ProgressStyle::with_template("{wide_bar} {pos}/{len} done · {rate} · ETA {eta} ")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                // indicatif's {per_sec} prints four decimals; one is plenty for requests.
                .with_key(
                    "rate",
                    |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{:.1}/s", state.per_sec());
                    },
                );
        let bar = ProgressBar::with_draw_target(
            Some(u64::try_from(total).unwrap_or(u64::MAX)),
            ProgressDrawTarget::stderr(),
        )
        .with_style(style);
        bar.enable_steady_tick(Duration::from_millis(200));
        let _ = self.bar.set(bar);
    }

    /// One more request has its result.
    pub fn done_one(&self) {
        if let Some(bar) = self.bar.get() {
            bar.inc(1);
        }
    }

    /// A line on standard error that does not tear the bar.
    pub fn say(&self, line: &str) {
        match self.bar.get() {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// The send ended: the bar goes away before the results are printed.
    pub fn finish(&self) {
        if let Some(bar) = self.bar.get() {
            bar.finish_and_clear();
        }
    }
}

/// Ctrl-C during a send: the first stops new requests from starting (those in flight finish or
/// time out), a second abandons those in flight too. Runs until aborted.
pub async fn watch_ctrl_c(
    stop_starting: CancellationToken,
    abandon: CancellationToken,
    progress: Arc<Progress>,
) {
    if tokio::signal::ctrl_c().await.is_err() {
        return;
    }
    stop_starting.cancel();
    progress.say(
        "pushdeck: stopping: no new request starts; waiting for those already sent \
         (Ctrl-C again to stop waiting)",
    );
    if tokio::signal::ctrl_c().await.is_ok() {
        abandon.cancel();
        progress.say(
            "pushdeck: stopped waiting: the requests still unanswered may have arrived and are recorded as in doubt",
        );
    }
}
