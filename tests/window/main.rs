#[path = "../support/mod.rs"]
mod support;

mod apns;
mod azure;
mod campaign;
mod courier;
mod doctor;
mod faults;
mod fcm;
mod files;
mod flows;
mod inspector;
mod look;
mod ntfy;
mod onesignal;
mod pushbullet;
mod recorded_calls;
mod resume;
mod scripts;
mod sink;
mod sns;
mod telegram;
mod webpush;
