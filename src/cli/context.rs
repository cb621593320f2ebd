//! What every command starts from: the data paths, a profile with its provider and secrets, the
//! engine and its runtime, a draft, a timeout; and how a command fails.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::exit::Exit;
use crate::draft::Draft;
use crate::engine::{Engine, MAX_CONCURRENCY, SendJob, SendResult};
use crate::profile::{Profile, Secrets};
use crate::provider::{self, Call, Provider};
use crate::store::{HistoryStore, KeyringStatus, Paths, ProfileStore, SecretStore};

/// A failure to report: one line on stderr and an exit status.
pub struct Failure {
    pub code: Exit,
    pub message: String,
}

/// Bad input: nothing was sent or changed.
pub fn bad_input(message: impl Into<String>) -> Failure {
    Failure {
        code: Exit::BadInput,
        message: message.into(),
    }
}

/// What a command returns: how it ended, or why it could not run.
pub type CliResult = Result<Exit, Failure>;

/// A profile with its provider and its secrets from the keyring (or the environment).
pub struct LoadedProfile {
    pub profile: Profile,
    pub provider: &'static dyn Provider,
    pub secrets: Secrets,
}

impl LoadedProfile {
    /// A send of `draft` through this profile, with a fresh idempotency key.
    pub fn job(self, draft: Arc<Draft>, dry_run: bool, timeout: Duration) -> SendJob {
        SendJob {
            provider: self.provider,
            draft,
            profile: self.profile,
            secrets: self.secrets,
            idempotency_key: uuid::Uuid::new_v4().to_string(),
            dry_run,
            timeout,
            concurrency: MAX_CONCURRENCY,
        }
    }
}

pub struct Context {
    paths: Paths,
}

impl Context {
    pub fn new() -> Result<Self, Failure> {
        Ok(Self {
            paths: Paths::from_env().map_err(bad_input)?,
        })
    }

    pub fn profiles(&self) -> Result<ProfileStore, Failure> {
        let store =
            ProfileStore::open(self.paths.profiles_file()).map_err(|e| bad_input(e.to_string()))?;
        if let Some(w) = &store.warning {
            eprintln!("pushdeck: warning: {w}");
        }
        Ok(store)
    }

    /// A profile and its provider, without its secrets.
    pub fn profile(&self, name: &str) -> Result<(Profile, &'static dyn Provider), Failure> {
        let store = self.profiles()?;
        let profile = store.get(name).cloned().ok_or_else(|| {
            bad_input(format!("profile: unknown profile `{name}`; create it with `pushdeck profile add {name} --provider …` (see `pushdeck profile list`)"))
        })?;
        let provider = provider::find(&profile.provider).ok_or_else(|| {
            bad_input(format!(
                "profile `{name}`: provider `{}` is not supported by this build",
                profile.provider
            ))
        })?;
        Ok((profile, provider))
    }

    /// A profile, its provider and its secrets.
    pub fn load(&self, name: &str) -> Result<LoadedProfile, Failure> {
        self.load_checked(name, |_| Ok(()))
    }

    /// Like `load`, with `check` (a command that needs one kind of provider) run on the provider
    /// before the keyring is read.
    pub fn load_checked(
        &self,
        name: &str,
        check: impl FnOnce(&dyn Provider) -> Result<(), Failure>,
    ) -> Result<LoadedProfile, Failure> {
        let (profile, provider) = self.profile(name)?;
        check(provider)?;
        let secrets = SecretStore::open_os_keyring()
            .load(&profile.name, provider.info().secret_keys())
            .map_err(|e| bad_input(format!("keyring: {e}")))?;
        Ok(LoadedProfile {
            profile,
            provider,
            secrets,
        })
    }

    /// Resolves the draft's profile and secrets into a job. Bad input here means nothing is sent.
    pub fn job(
        &self,
        draft: Arc<Draft>,
        dry_run: bool,
        timeout: Duration,
    ) -> Result<SendJob, Failure> {
        if draft.profile.trim().is_empty() {
            return Err(bad_input("draft: profile: is required"));
        }
        let loaded = self.load(&draft.profile)?;
        Ok(loaded.job(draft, dry_run, timeout))
    }

    /// Where Pushdeck's files are.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    pub fn history(&self) -> HistoryStore {
        HistoryStore::new(self.paths.history_dir())
    }

    pub fn engine(&self) -> Result<Engine, Failure> {
        Engine::new(self.history()).map_err(|e| Failure {
            code: Exit::TransportFailure,
            message: e.to_string(),
        })
    }

    /// One call beside sending (a check, a lookup, a provider's own action) through the engine,
    /// which records it. Bad input when the call cannot be built: nothing was sent.
    pub fn call(
        &self,
        loaded: &LoadedProfile,
        call: Call,
        timeout: Duration,
    ) -> Result<Arc<SendResult>, Failure> {
        let engine = self.engine()?;
        runtime()?
            .block_on(engine.call(
                loaded.provider,
                &loaded.profile,
                &loaded.secrets,
                call,
                timeout,
            ))
            .map_err(|e| bad_input(e.to_string()))
    }
}

/// The runtime a command's requests run on. One worker polls every connection: the CPU-heavy
/// part of a send (a fan-out's encryption) runs on blocking threads, and a second worker only
/// passed the send loop back and forth, each hand-over a wake-up across threads.
pub fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| Failure {
            code: Exit::TransportFailure,
            message: format!("could not start the async runtime: {e}"),
        })
}

/// Runs `work` as a task on one of the runtime's workers and waits for it here. A send's loop
/// is woken by every request that finishes: on a worker that is a cheap task wake-up, while a
/// thread parked in `block_on` is woken by a system call (about one per request of a fan-out).
pub fn on_worker<T: Send + 'static>(
    rt: &tokio::runtime::Runtime,
    work: impl std::future::Future<Output = T> + Send + 'static,
) -> Result<T, Failure> {
    rt.block_on(rt.spawn(work)).map_err(|e| Failure {
        code: Exit::TransportFailure,
        message: format!("the send stopped unexpectedly ({e}); history shows what was recorded"),
    })
}

/// A draft from a file, or from standard input for `-`.
pub fn read_draft(path: &str) -> Result<Draft, Failure> {
    Draft::from_json(&read_text(path)?).map_err(|e| bad_input(format!("draft: {e}")))
}

/// A draft or a campaign file (a draft is the one-target case), or standard input for `-`.
pub fn read_composed(path: &str) -> Result<crate::campaign::Composed, Failure> {
    crate::campaign::Composed::from_json(&read_text(path)?)
        .map_err(|e| bad_input(format!("draft: {e}")))
}

fn read_text(path: &str) -> Result<String, Failure> {
    Ok(if path == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| bad_input(format!("draft: cannot read standard input: {e}")))?;
        s
    } else {
        std::fs::read_to_string(PathBuf::from(path))
            .map_err(|e| bad_input(format!("draft: cannot read {path}: {e}")))?
    })
}

/// A `--timeout` in seconds.
pub fn timeout(seconds: f64) -> Result<Duration, Failure> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0 {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(bad_input("--timeout: must be between 0 and 3600 seconds"))
    }
}

/// A secret typed without echo on a terminal, or read whole from standard input.
pub fn read_secret_from_stdin(prompt: &str) -> Result<String, Failure> {
    let value = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt)
            .map_err(|e| bad_input(format!("cannot read the secret: {e}")))?
    } else {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| bad_input(format!("cannot read standard input: {e}")))?;
        match String::from_utf8(bytes) {
            Ok(text) => text,
            // A binary file (an APNs .p12): the keyring stores text, so it is kept as base64,
            // whole (no line ending trimmed from binary data).
            Err(e) => {
                use base64::Engine as _;
                return Ok(base64::engine::general_purpose::STANDARD.encode(e.into_bytes()));
            }
        }
    };
    let value = value.trim_end_matches(['\r', '\n']).to_string();
    if value.trim().is_empty() {
        return Err(bad_input("the secret is empty; nothing was stored"));
    }
    Ok(value)
}

/// The OS keyring, or bad input when none answers: a secret kept only in this process's memory
/// would be lost at exit. `advice` follows "Nothing was stored".
pub fn persistent_keyring(advice: &str) -> Result<SecretStore, Failure> {
    let keyring = SecretStore::open_os_keyring();
    match &keyring.status {
        KeyringStatus::SessionOnly(reason) => Err(bad_input(format!(
            "no keyring: {reason}. Nothing was stored{advice}"
        ))),
        KeyringStatus::Available => Ok(keyring),
    }
}
