//! Pushdeck standing in for a provider (`pushdeck sink`): a backend sends to it as it would to the
//! provider, and each imitation checks what the provider checks and answers as it would.
//! Imitations do no I/O; the listener and the engine run them.

pub mod apns;
mod azure;
pub mod ca;
pub mod fcm;
mod keys;
mod ntfy;
mod onesignal;
mod registry;
mod seam;
mod sns;
mod start;
mod telegram;
#[cfg(test)]
mod testing;
mod webpush;

pub use registry::{imitated, imitation};
pub use seam::{
    Decoded, Imitation, Listening, Rehearsal, SetupLine, SinkSetup, SinkStart, Verdict,
};
pub use telegram::BotApi;
