//! The provider seam: what `prepare` gets, what it returns, the calls beside sending, and the
//! `Provider` trait itself. No I/O here or in any provider.

use serde_json::Value;
use time::OffsetDateTime;

use super::describe::ProviderInfo;
use crate::draft::{Draft, DraftError};
use crate::http::{Exchange, PreparedRequest};
use crate::outcome::Outcome;
use crate::profile::{Profile, Secrets};

/// An access token a provider needs before it can send (an FCM OAuth token, an APNs provider JWT).
/// The engine caches it per profile and credentials until `refresh_after`.
#[derive(Clone, PartialEq, Eq)]
pub struct Token {
    pub value: String,
    pub expires_at: OffsetDateTime,
    /// When to stop reusing it (a margin before expiry, or the provider's renewal window).
    pub refresh_after: OffsetDateTime,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Token({}, expires {})",
            crate::http::redact_value(&self.value),
            self.expires_at
        )
    }
}

/// How a provider gets its token: not at all, by signing locally, or through an HTTP exchange
/// that the engine sends and records like any other.
pub enum TokenPlan {
    None,
    Mint(Token),
    Exchange(PreparedRequest),
}

/// Everything `prepare` may use. Time and the idempotency key come in from outside so a payload is
/// a pure function of its inputs and can be tested byte for byte.
pub struct PrepareContext<'a> {
    pub draft: &'a Draft,
    pub profile: &'a Profile,
    pub secrets: &'a Secrets,
    pub now: OffsetDateTime,
    /// One per composed message: a double click re-sends the same key, so the provider dedupes.
    pub idempotency_key: &'a str,
    /// The access token from `token_plan`, when the provider needs one and it is known (a preview
    /// before the first send has none: show a placeholder).
    pub token: Option<&'a str>,
    /// Build for the provider's server-side validation mode (`server_dry_run`).
    pub dry_run: bool,
}

/// The requests a draft turns into, plus warnings the user should see before sending (a field the
/// provider drops, a list that was cut).
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    pub requests: Vec<PreparedRequest>,
    pub warnings: Vec<String>,
}

/// A local file a draft sends (a Pushbullet file push). The provider names it; the store reads it
/// before anything is sent, refusing one over `max_bytes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileNeed {
    /// The draft key that names it (`options.file`), for error messages.
    pub field: String,
    pub path: std::path::PathBuf,
    pub max_bytes: u64,
}

/// A file the store read for a send; shared bytes, so retries and steps do not copy them.
#[derive(Debug, Clone)]
pub struct LocalFile {
    pub path: std::path::PathBuf,
    pub bytes: bytes::Bytes,
}

/// A request beside sending. Each goes through the engine, which records it like a send.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    /// The cheapest read-only request that proves the credentials.
    Check,
    /// One of `ProviderInfo::lookups`, by id: its items fill an audience picker.
    Lookup(String),
    /// One of the provider's own calls (Telegram `setWebhook`, Courier's delivery status…),
    /// with its parameters.
    Action { name: String, params: Value },
}

impl Call {
    pub fn lookup(id: impl Into<String>) -> Call {
        Call::Lookup(id.into())
    }

    pub fn action(name: impl Into<String>, params: Value) -> Call {
        Call::Action {
            name: name.into(),
            params,
        }
    }

    /// What it is, in a few words, for history and status lines ("check", "lookup segments").
    pub fn label(&self) -> String {
        match self {
            Call::Check => "check".into(),
            Call::Lookup(id) => format!("lookup {id}"),
            Call::Action { name, .. } => name.clone(),
        }
    }

    /// The error for a call this provider does not have.
    pub fn unsupported(&self, provider: &str) -> DraftError {
        match self {
            Call::Lookup(id) => {
                DraftError::new("lookup", format!("`{id}` is not a lookup of {provider}"))
            }
            other => DraftError::new(
                "call",
                format!("{provider} has no `{}` call", other.label()),
            ),
        }
    }
}

/// How a call is answered: by one request, or locally (Web Push has no read-only endpoint).
pub enum CallPlan {
    Request(PreparedRequest),
    Local(Outcome),
}

/// What the credential doctor's local inspection reads: the profile as stored, the time, and the
/// engine's cached token if it holds one (its age is a finding).
pub struct InspectContext<'a> {
    pub profile: &'a Profile,
    pub secrets: &'a Secrets,
    pub now: OffsetDateTime,
    pub cached: Option<&'a Token>,
    /// The audience of the draft being checked for, when there is one (the window's composer,
    /// `check --draft`): e.g. SNS topic ARNs must be in the profile's region.
    pub audience: Option<&'a serde_json::Map<String, Value>>,
}

/// Who one recipient of a fan-out is, found without the costly work (no encryption, no
/// signing): what the fingerprint of its request is made of (see the engine's resume).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub method: String,
    pub url: String,
    pub recipient: Option<String>,
}

/// Where a fan-out's recipients are: listed in the draft under an audience key, or in a file the
/// draft names (read by the store as a stream, never by the provider).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FanOutSource {
    Inline {
        field: &'static str,
    },
    File {
        field: &'static str,
        path: std::path::PathBuf,
    },
}

/// A fan-out prepared one recipient at a time, so the engine can stream it: read, prepare, send
/// and record each recipient with bounded buffers. Shared between worker threads; no I/O.
pub trait FanOut: Send + Sync {
    /// Checks one recipient item (as read from the draft or the file) and says who it is.
    fn identify(&self, item: &Value) -> Result<Identity, String>;
    /// `identify` straight from an item's JSON text, when the provider can read it more cheaply
    /// than a `Value` and the item is good; `None` sends it through `identify` (errors included).
    fn identify_text(&self, _text: &[u8]) -> Option<Identity> {
        None
    }
    /// The request for one recipient item (encrypted, signed), or why it cannot be built.
    fn prepare_one(&self, item: &Value) -> Result<PreparedRequest, String>;
    /// `prepare_one` straight from an item's JSON text, when the provider can read it more
    /// cheaply than a `Value` and the item is good; `None` sends it through `prepare_one`.
    fn prepare_text(&self, _text: &[u8]) -> Option<Result<PreparedRequest, String>> {
        None
    }
    /// Notes for the user about the whole send (fields dropped, limits).
    fn warnings(&self) -> Vec<String>;
}

pub trait Provider: Send + Sync {
    fn info(&self) -> &'static ProviderInfo;

    /// The credential doctor's local findings, before any network: key formats, ids, expiry,
    /// rights (see `doctor.rs`). No I/O.
    fn inspect(&self, _ctx: &InspectContext<'_>) -> Vec<crate::finding::Finding> {
        Vec::new()
    }

    /// Builds the request(s) for a draft. No I/O, no clock, no randomness of its own.
    fn prepare(&self, ctx: &PrepareContext<'_>) -> Result<Prepared, DraftError>;

    /// Judges a response: body as well as status.
    fn interpret(&self, exchange: &Exchange) -> Outcome;

    /// A request beside sending (a credentials check, a lookup, one of the provider's own
    /// actions), or its answer when the provider can give it without the network.
    fn call(
        &self,
        call: &Call,
        profile: &Profile,
        secrets: &Secrets,
    ) -> Result<CallPlan, DraftError>;

    /// Judges the answer to `call`: a lookup's items go in `Outcome::items`.
    fn interpret_call(&self, call: &Call, exchange: &Exchange) -> Outcome;

    /// How many requests of one send may be in flight at once.
    fn concurrency(&self, draft: &Draft) -> usize {
        let _ = draft;
        self.info().capabilities.concurrency
    }

    /// For fan-outs whose requests are costly to build (Web Push encrypts each one): the draft cut
    /// to its first `limit` recipients and how many were left out, so live previews stay instant.
    /// `None` when the draft is small enough or building is cheap.
    fn preview_draft(&self, draft: &Draft, limit: usize) -> Option<(Draft, usize)> {
        let _ = (draft, limit);
        None
    }

    /// Where this draft's recipients are, when the provider can stream its fan-out.
    fn fan_out_source(&self, draft: &Draft) -> Option<FanOutSource> {
        let _ = draft;
        None
    }

    /// The per-recipient preparer of a streamed fan-out (everything shared by all recipients
    /// checked and built once); `None` when the provider does not stream.
    fn fan_out(&self, ctx: &PrepareContext<'_>) -> Option<Result<Box<dyn FanOut>, DraftError>> {
        let _ = ctx;
        None
    }

    /// The token this profile needs before sending; the engine calls it only when its cache has
    /// no fresh token.
    fn token_plan(
        &self,
        profile: &Profile,
        secrets: &Secrets,
        now: OffsetDateTime,
    ) -> Result<TokenPlan, DraftError> {
        let _ = (profile, secrets, now);
        Ok(TokenPlan::None)
    }

    /// Reads the token out of a `TokenPlan::Exchange` response, or says why there is none.
    fn token_from_exchange(
        &self,
        exchange: &Exchange,
        now: OffsetDateTime,
    ) -> Result<Token, Outcome> {
        let _ = (exchange, now);
        Err(Outcome::refused(
            "This provider does not use access tokens.",
        ))
    }

    /// Checks a secret's value when it is stored (`pushdeck secret set`), so a wrong file is
    /// refused before it reaches the keyring. `Err` says what is wrong, in words.
    fn validate_secret(&self, field: &str, value: &str) -> Result<(), String> {
        let _ = (field, value);
        Ok(())
    }

    /// The local files this draft sends; the engine has the store read them before sending.
    fn files(&self, draft: &Draft) -> Vec<FileNeed> {
        let _ = draft;
        Vec::new()
    }

    /// For a send made of requests in sequence, each built from the answer before it (a
    /// Pushbullet file push: upload request, upload, push): every step in words. Empty for an
    /// ordinary send, whose requests `prepare` builds at once.
    fn steps(&self, draft: &Draft) -> Vec<String> {
        let _ = draft;
        Vec::new()
    }

    /// The next request of a stepped send, built from the exchanges so far (`prepare` built the
    /// first); `Ok(None)` when the send is complete, `Err` when an answer cannot be used.
    fn next_step(
        &self,
        ctx: &PrepareContext<'_>,
        files: &[LocalFile],
        done: &[Exchange],
    ) -> Result<Option<PreparedRequest>, Outcome> {
        let _ = (ctx, files, done);
        Ok(None)
    }

    /// Who receives the draft, in words ("'Active Users'", "3 external IDs").
    fn audience_label(&self, draft: &Draft) -> String;

    /// `Some(description)` when the draft goes to a broad audience that deserves a confirmation
    /// ("every subscriber in 'All'").
    fn broadcast(&self, draft: &Draft) -> Option<String>;
}
