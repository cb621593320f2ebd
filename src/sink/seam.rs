//! The sink seam: how a provider's imitation answers what a backend sends it. Like a provider, an
//! imitation does no I/O: the listener hands it an [`Arrival`], it checks what the real service
//! checks and says what the real service would answer, with its findings in words. The engine
//! records the pair as an exchange (the same inspector as sends) and the front ends show it.

use std::time::SystemTime;

use crate::finding::Finding;
use crate::http::Arrival;
use crate::profile::{Profile, Secrets};

/// How the listener serves an imitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listening {
    /// HTTP/1.1 and HTTP/2 with prior knowledge (h2c) on one cleartext port.
    Plain,
    /// TLS with a certificate from a local CA Pushdeck generates (ALPN h2 and http/1.1), as
    /// APNs needs; client certificates are asked for and passed on, never required.
    Tls,
}

/// An answer the user can make the sink give instead of the normal one, to exercise a backend's
/// error handling (APNs `BadDeviceToken`, Web Push `410 Gone`, a 429 with `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rehearsal {
    /// What the user types after `--answer` (`bad-device-token`, `gone`, `rate-limited`).
    pub name: &'static str,
    pub status: u16,
    /// What it means and what the backend should do, in a sentence.
    pub about: &'static str,
}

/// What an imitation is started with.
pub struct SinkStart<'a> {
    /// `--profile`: the credentials a backend's requests are verified against (the APNs key's
    /// public half, the SNS secret key, the Azure SAS key…). Without one, signatures are read
    /// and their shape checked but cannot be verified, and the findings say so.
    pub profile: Option<&'a Profile>,
    pub secrets: Option<&'a Secrets>,
    /// Where the sink listens (`http://127.0.0.1:8630`, or `https://…` for TLS).
    pub base_url: &'a str,
    /// What this imitation asked the store to keep last time ([`SinkSetup::keep`]).
    pub kept: Option<&'a str>,
    pub now: SystemTime,
}

/// One thing to configure in the backend: a base URL, an endpoint, a subscription JSON, a test
/// device token.
#[derive(Debug, Clone, PartialEq)]
pub struct SetupLine {
    pub label: String,
    pub value: String,
    /// Where it goes, in words ("the APNs host your server sends to").
    pub about: String,
}

/// What an imitation tells the user when it starts, and what it wants kept for next time (Web
/// Push's test subscriptions and their private keys, so a backend configured once keeps working).
/// `keep` is stored in the keyring, never in a file.
#[derive(Debug, Clone, Default)]
pub struct SinkSetup {
    pub lines: Vec<SetupLine>,
    pub keep: Option<String>,
}

/// Something read out of a request for the inspector: the decrypted Web Push plaintext, a JWT's
/// claims, the SigV4 canonical request.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Decoded {
    pub label: String,
    pub text: String,
}

/// How the imitation answers one arrival, and why.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// What was checked, ✓/⚠/✗ in words (✗: why the provider would refuse it).
    pub findings: Vec<Finding>,
    /// One line for the command line's live list ("push to 1a2b…: alert “Hello” → 200").
    pub summary: String,
    pub decoded: Vec<Decoded>,
    /// Values in the arrival that are credentials (a bearer token, a SAS signature, a bot
    /// token in the path), with their field name: masked in history and dumps unless revealed.
    pub secrets: Vec<(String, String)>,
}

/// A provider as the sink imitates it. One file per provider under `src/sink/`, one line in
/// `registry.rs`.
pub trait Imitation: Send + Sync {
    /// The provider id it imitates (`apns`, `webpush`…), as `ProviderInfo::id`.
    fn provider(&self) -> &'static str;

    fn listening(&self) -> Listening {
        Listening::Plain
    }

    /// The answers `--answer` (and the window's Answer with menu) can pick.
    fn rehearsals(&self) -> &'static [Rehearsal];

    /// Called once before the listener accepts anything: reads the profile and what was kept,
    /// says what to configure. An error stops the sink with that sentence.
    fn begin(&mut self, start: &SinkStart) -> Result<SinkSetup, String>;

    /// Checks one arrival as the provider would and answers as it would; with a rehearsal, the
    /// checks still run (findings) but the answer is the rehearsed error, as the provider words it.
    fn answer(&self, arrival: &Arrival, rehearsal: Option<&Rehearsal>) -> Verdict;
}
