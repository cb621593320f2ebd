//! Every provider the sink imitates: one line each.

use super::seam::Imitation;
use super::{apns, azure, fcm, onesignal, sns, telegram, webpush};

type Make = fn() -> Box<dyn Imitation>;

/// Provider id → a fresh imitation.
const ALL: &[(&str, Make)] = &[
    ("apns", || Box::new(apns::ApnsSink::default())),
    ("fcm", || Box::new(fcm::FcmSink::default())),
    ("azure", || Box::new(azure::AzureSink::default())),
    (
        "onesignal",
        || Box::new(onesignal::OneSignalSink::default()),
    ),
    ("sns", || Box::new(sns::SnsSink::default())),
    ("telegram", || Box::new(telegram::TelegramSink::default())),
    ("webpush", || Box::new(webpush::WebPushSink::default())),
];

/// A fresh imitation of `provider` (a `ProviderInfo::id`), or none when the sink does not
/// imitate it.
pub fn imitation(provider: &str) -> Option<Box<dyn Imitation>> {
    ALL.iter()
        .find(|(id, _)| *id == provider)
        .map(|(_, make)| make())
}

/// The provider ids the sink imitates, in the registry's order.
pub fn imitated() -> Vec<&'static str> {
    ALL.iter().map(|(id, _)| *id).collect()
}
