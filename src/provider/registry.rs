//! Every provider this build supports: adding one is one file plus an import and a line here.

use super::apns::Apns;
use super::azure::Azure;
use super::courier::Courier;
use super::fcm::Fcm;
use super::ntfy::Ntfy;
use super::onesignal::OneSignal;
use super::pushbullet::Pushbullet;
use super::seam::Provider;
use super::sns::Sns;
use super::telegram::Telegram;
use super::webpush::WebPush;

/// Every provider this build supports, in tab order.
pub fn all() -> &'static [&'static dyn Provider] {
    &[
        &OneSignal,
        &Azure,
        &Telegram,
        &Pushbullet,
        &Courier,
        &Sns,
        &Fcm,
        &Apns,
        &Ntfy,
        &WebPush,
    ]
}

pub fn find(id: &str) -> Option<&'static dyn Provider> {
    all().iter().copied().find(|p| p.info().id == id)
}
