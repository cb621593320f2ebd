#[path = "../support/mod.rs"]
mod support;

mod apns;
mod apns_certificate;
mod apns_channels;
mod azure;
mod campaign;
mod conventions;
mod courier;
mod doctor;
mod faults;
mod fcm;
mod interrupt;
mod keyring;
mod ntfy;
mod onesignal;
mod proxy;
mod pushbullet;
mod recorded_calls;
mod resume;
mod secret_hygiene;
mod sink;
mod sink_apns;
mod sns;
mod telegram;
mod webpush;
mod webpush_file;
