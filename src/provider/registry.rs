//! Every provider this build supports: adding one is one file plus one line here.

use super::seam::Provider;
use super::{apns, azure, courier, fcm, ntfy, onesignal, pushbullet, sns, telegram, webpush};

/// Every provider this build supports, in tab order.
pub fn all() -> &'static [&'static dyn Provider] {
    &[
        &onesignal::OneSignal,
        &azure::Azure,
        &telegram::Telegram,
        &pushbullet::Pushbullet,
        &courier::Courier,
        &sns::Sns,
        &fcm::Fcm,
        &apns::Apns,
        &ntfy::Ntfy,
        &webpush::WebPush,
    ]
}

pub fn find(id: &str) -> Option<&'static dyn Provider> {
    all().iter().copied().find(|p| p.info().id == id)
}
