//! Provider-specific panels beside the generic forms (Telegram's chat discovery, Web Push's VAPID
//! keys, Azure's outcome table…). A provider that needs one adds a file here and one row to `ALL`.

use eframe::egui;

use super::app::PushdeckApp;

mod azure;
mod courier;
mod fcm;
mod telegram;
pub mod webpush;

type Hook = fn(&mut PushdeckApp, &mut egui::Ui);

/// The extra panels of one provider; each is optional.
pub struct Extras {
    pub provider: &'static str,
    /// Under the profile bar (credential helpers: key generation, webhook state…).
    pub profile: Option<Hook>,
    /// Below the audience fields (recipient discovery, import…).
    pub audience: Option<Hook>,
    /// At the top of the Response pane after a send (provider reports, follow-up actions).
    pub response: Option<Hook>,
}

const ALL: &[Extras] = &[
    Extras {
        provider: "azure",
        profile: Some(azure::profile),
        audience: None,
        response: Some(azure::response),
    },
    Extras {
        provider: "telegram",
        profile: None,
        audience: Some(telegram::audience),
        response: None,
    },
    Extras {
        provider: "courier",
        profile: None,
        audience: None,
        response: Some(courier::response),
    },
    Extras {
        provider: "fcm",
        profile: None,
        audience: Some(fcm::audience),
        response: None,
    },
    Extras {
        provider: "webpush",
        profile: Some(webpush::profile),
        audience: Some(webpush::audience),
        response: Some(webpush::response),
    },
];

fn hooks(app: &PushdeckApp) -> Option<&'static Extras> {
    let id = app.provider().info().id;
    ALL.iter().find(|e| e.provider == id)
}

pub fn profile(app: &mut PushdeckApp, ui: &mut egui::Ui) {
    if let Some(hook) = hooks(app).and_then(|e| e.profile) {
        hook(app, ui);
    }
}

pub fn audience(app: &mut PushdeckApp, ui: &mut egui::Ui) {
    if let Some(hook) = hooks(app).and_then(|e| e.audience) {
        hook(app, ui);
    }
}

pub fn response(app: &mut PushdeckApp, ui: &mut egui::Ui) {
    if let Some(hook) = hooks(app).and_then(|e| e.response) {
        hook(app, ui);
    }
}
