//! Driving the real window with egui_kittest: an app on a desk of its own (temporary folders, an
//! in-memory keyring, a runtime for its sends), and the few gestures every story uses: type into a
//! field found by its label, look for text, wait for something to show.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{By, Queryable as _};
use pushdeck::store::{Paths, Profile, ProfileStore, SecretStore};
use pushdeck::ui::{AppSetup, PushdeckApp};

/// The window under test.
pub type Window = Harness<'static, PushdeckApp>;

/// How long a story waits for the network (a stand-in on 127.0.0.1) before it fails.
pub const NETWORK_WAIT: Duration = Duration::from_secs(15);

/// How far the app's own clock moves each waited frame (see `pushdeck::clock::instant`).
const FRAME: Duration = Duration::from_millis(20);

/// A multi-threaded runtime with two workers, where the app runs its sends.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
}

/// A desk with a server of its own for the app to send to: a wiremock server or a provider's
/// stand-in, started on the desk's runtime.
pub struct Fixture<S> {
    pub desk: Desk,
    pub server: S,
}

impl<S> Fixture<S> {
    pub fn start<F: std::future::Future<Output = S>>(start: impl FnOnce() -> F) -> Self {
        let desk = Desk::new();
        let server = desk.runtime.block_on(start());
        Self { desk, server }
    }

    /// A desk beside `server`, already started.
    pub fn beside(server: S) -> Self {
        Self {
            desk: Desk::new(),
            server,
        }
    }
}

/// What an app stands on: its folders in a temporary directory and a runtime for its sends.
pub struct Desk {
    pub dir: tempfile::TempDir,
    pub runtime: tokio::runtime::Runtime,
}

impl Default for Desk {
    fn default() -> Self {
        Self::new()
    }
}

impl Desk {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            runtime: runtime(),
        }
    }

    pub fn paths(&self) -> Paths {
        Paths::under(self.dir.path())
    }

    /// Saves `profile` in this desk's profile store.
    pub fn save_profile(&self, profile: Profile) {
        let mut profiles = ProfileStore::open(self.paths().profiles_file()).expect("profiles");
        profiles.upsert(profile).expect("save profile");
    }

    /// The app over this desk's folders, with `keyring`.
    pub fn app_with(&self, keyring: SecretStore) -> PushdeckApp {
        PushdeckApp::new(AppSetup {
            paths: self.paths(),
            keyring,
            runtime: self.runtime.handle().clone(),
        })
        .expect("app")
    }

    /// Saves `profile`, puts its `secrets` (field, value) in an in-memory keyring and opens the
    /// app on the profile's provider tab.
    pub fn app(&self, profile: Profile, secrets: &[(&str, &str)]) -> PushdeckApp {
        self.app_and_keyring(profile, secrets).0
    }

    /// [`Desk::app`], and the keyring it was given (to read what the app stored there).
    pub fn app_and_keyring(
        &self,
        profile: Profile,
        secrets: &[(&str, &str)],
    ) -> (PushdeckApp, SecretStore) {
        let keyring = SecretStore::memory();
        for (field, value) in secrets {
            keyring.set(&profile.name, field, value).expect("secret");
        }
        let tab = tab_of(&profile.provider);
        self.save_profile(profile);
        let mut app = self.app_with(keyring.clone());
        app.tab = tab;
        (app, keyring)
    }
}

/// The tab index of a provider.
pub fn tab_of(provider: &str) -> usize {
    pushdeck::provider::all()
        .iter()
        .position(|p| p.info().id == provider)
        .unwrap_or_else(|| panic!("{provider} is registered"))
}

/// A 1280×800 window showing `app`.
pub fn harness(app: PushdeckApp) -> Window {
    harness_sized(app, [1280.0, 800.0])
}

pub fn harness_sized(app: PushdeckApp, size: [f32; 2]) -> Window {
    Harness::builder()
        .with_size(size)
        .build_ui_state(|ui, app: &mut PushdeckApp| app.ui(ui), app)
}

/// A 1280×800 window showing `app`, its first frames drawn.
pub fn open(app: PushdeckApp) -> Window {
    let mut h = harness(app);
    h.run();
    h
}

/// Focuses the field labelled `label` and types `text` at the end of what it holds.
pub fn type_into(h: &mut Window, label: &str, text: &str) {
    h.get_by_label(label).focus();
    h.run();
    h.get_by_label(label).type_text(text);
    h.run();
}

/// Whether some widget's value or label contains `needle`.
pub fn text_visible(h: &Window, needle: &str) -> bool {
    h.query_all(By::new().predicate(move |n| {
        n.value().is_some_and(|v| v.contains(needle))
            || n.label().is_some_and(|l| l.contains(needle))
    }))
    .next()
    .is_some()
}

/// The status line's text (empty when there is none).
pub fn status(h: &Window) -> String {
    h.state().status.clone().map(|(_, s)| s).unwrap_or_default()
}

/// The short confirmations showing now, one a line.
pub fn toasts(h: &Window) -> String {
    h.state().toasts.texts().collect::<Vec<_>>().join("\n")
}

/// Draws frames until `done` holds, failing after [`NETWORK_WAIT`] with `what` and the status.
///
/// Each frame moves the app's own clock ahead by a frame (timers such as debounces pass in frames,
/// not in wall time, wherever the app reads `pushdeck::clock::instant`) and yields briefly to the
/// runtime, where the network answers arrive; only that wait is bounded by the real clock.
pub fn wait_for(h: &mut Window, what: &str, done: impl Fn(&Window) -> bool) {
    wait_for_at_most(h, NETWORK_WAIT, what, done);
}

/// [`wait_for`] with a bound of its own.
pub fn wait_for_at_most(
    h: &mut Window,
    bound: Duration,
    what: &str,
    done: impl Fn(&Window) -> bool,
) {
    let deadline = Instant::now() + bound;
    while !done(h) {
        assert!(
            Instant::now() < deadline,
            "timed out after {bound:?} waiting for {what}; status: {:?}",
            h.state().status
        );
        pushdeck::clock::advance(FRAME);
        std::thread::sleep(FRAME);
        h.step();
    }
    h.run();
}

/// [`wait_for`] on the app's state.
pub fn step_until(h: &mut Window, what: &str, done: impl Fn(&PushdeckApp) -> bool) {
    wait_for(h, what, |h| done(h.state()));
}

/// Waits until `needle` shows.
pub fn wait_for_text(h: &mut Window, needle: &str) {
    wait_for(h, &format!("“{needle}”"), |h| text_visible(h, needle));
}

/// Clicks the button labelled `button` and draws one frame.
pub fn click(h: &mut Window, button: &str) {
    h.get_by_label(button).click();
    h.step();
}

/// Clicks Check and waits until the check's `verdict` shows.
pub fn check_shows(h: &mut Window, verdict: &str) {
    click(h, "Check");
    wait_for(h, "the check", |h| text_visible(h, verdict));
}

/// Waits (for `what`) until nothing is sending and the status line is one `settled` accepts;
/// the status line, and whether it reports success.
pub fn wait_for_status(
    h: &mut Window,
    what: &str,
    settled: impl Fn(&str) -> bool,
) -> (bool, String) {
    wait_for(h, what, |h| {
        !h.state().is_sending() && h.state().status.as_ref().is_some_and(|(_, s)| settled(s))
    });
    h.state().status.clone().expect("status")
}

/// Clicks `button` (a send) and waits until the status line starts with `outcome` (`Sent`,
/// `Published`, …); the status line, and whether it reports success.
pub fn send_until(h: &mut Window, button: &str, outcome: &str) -> (bool, String) {
    click(h, button);
    wait_for_status(h, "the send", |s| s.starts_with(outcome))
}

/// Compares the window with `tests/snapshots/NAME.png`. Where no renderer is available the
/// comparison is skipped with a note, unless `PUSHDECK_REQUIRE_SNAPSHOTS` is set (as
/// `scripts/test` does), where a missing renderer fails.
pub fn snapshot(h: &mut Window, name: &str) {
    match h.try_snapshot(name) {
        Ok(()) => {}
        Err(egui_kittest::SnapshotError::RenderError { err })
            if std::env::var_os("PUSHDECK_REQUIRE_SNAPSHOTS").is_none() =>
        {
            eprintln!("snapshot skipped: no renderer here ({err}); scripts/test provides one");
        }
        Err(e) => panic!("{e}"),
    }
}
