#[path = "../support/mod.rs"]
mod support;

mod apns;
mod azure;
mod courier;
mod doctor;
mod faults;
mod fcm;
mod keyring;
mod ntfy;
mod onesignal;
mod pushbullet;
mod recorded_calls;
mod secret_hygiene;
mod sns;
mod telegram;
mod webpush;
