//! Every provider the sink imitates: one line each.

use super::seam::Imitation;
use super::{apns, azure, fcm, ntfy, onesignal, sns, telegram, webpush};

type Make = fn() -> Box<dyn Imitation>;

/// Provider id → a fresh imitation.
const ALL: &[(&str, Make)] = &[
    // One line per imitation, in the order `pushdeck sink --list` shows them.
    (
        "onesignal",
        || Box::new(onesignal::OneSignalSink::default()),
    ),
    ("azure", || Box::new(azure::AzureSink::default())),
    ("telegram", || Box::new(telegram::TelegramSink::default())),
    ("sns", || Box::new(sns::SnsSink::default())),
    ("webpush", || Box::new(webpush::WebPushSink::default())),
    ("fcm", || Box::new(fcm::FcmSink::default())),
    ("apns", || Box::new(apns::ApnsSink::default())),
    ("ntfy", || Box::new(ntfy::NtfySink::default())),
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
