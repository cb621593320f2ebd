//! The provider seam: each provider describes its fields, turns a draft into prepared requests and
//! a response into an outcome, and does no I/O itself. Adding one is one file plus one registry line.

pub mod apns;
pub mod azure;
pub mod courier;
mod describe;
pub mod doctor;
pub mod fcm;
pub mod jwt;
pub mod ntfy;
pub mod onesignal;
pub mod pushbullet;
mod registry;
mod seam;
pub(crate) mod shared;
pub mod sns;
pub mod telegram;
pub mod webpush;

pub use crate::profile::{Profile, Secrets};
pub use describe::{
    Capabilities, DEFAULT_CONCURRENCY, FieldKind, FieldSpec, LookupSpec, MAX_CONCURRENCY,
    ProviderInfo, base_url, validate_keys,
};
pub use registry::{all, find};
pub use seam::{
    Call, CallPlan, FanOut, FanOutSource, FileNeed, Identity, InspectContext, LocalFile,
    PrepareContext, Prepared, Provider, Token, TokenPlan,
};
