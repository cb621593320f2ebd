//! Local stand-ins of the providers' APIs on 127.0.0.1, each checking what the real API checks
//! and answering as it does. `server` is the plumbing they share; each provider's module is one
//! type implementing `server::Api`.

pub mod apns;
pub mod azure;
pub mod courier;
pub mod fcm;
pub mod ntfy;
pub mod onesignal;
pub mod pushbullet;
pub mod server;
pub mod sns;
pub mod telegram;
pub mod webpush;
