//! Provider-specific panels beside the generic forms (Telegram's chat discovery, Web Push's VAPID
//! keys, Azure's outcome table…). A provider that needs one adds a file here, a field in `Panels`
//! for its state, and one row to `ALL`. Panels draw from the view and their own state and push
//! actions, like every other panel.

use eframe::egui;

use super::command::Actions;
use super::form::ComposerForm;
use super::view::View;

mod apns;
mod azure;
mod courier;
mod fcm;
mod onesignal;
mod telegram;
pub mod webpush;

/// Each provider panel's own state, typed.
#[derive(Default)]
pub struct Panels {
    telegram: telegram::State,
    courier: courier::State,
    webpush: webpush::State,
    onesignal: onesignal::State,
    apns: apns::State,
}

type Hook = fn(&mut egui::Ui, &View<'_>, &mut ComposerForm, &mut Panels, &mut Actions);

/// The extra panels of one provider; each is optional.
struct Extras {
    provider: &'static str,
    /// Under the profile bar (credential helpers: key generation, webhook state…).
    profile: Option<Hook>,
    /// Below the audience fields (recipient discovery, import…).
    audience: Option<Hook>,
    /// Right below one audience or option field, named by its key (a builder for that field…).
    below_field: Option<(&'static str, Hook)>,
    /// At the top of the Response pane after a send (provider reports, follow-up actions).
    response: Option<Hook>,
}

const ALL: &[Extras] = &[
    Extras {
        provider: "apns",
        profile: None,
        audience: None,
        below_field: Some(("push_type", |ui, _, form, panels, _| {
            apns::below_push_type(ui, form, &mut panels.apns)
        })),
        response: None,
    },
    Extras {
        provider: "onesignal",
        profile: None,
        audience: None,
        below_field: Some(("filters", |ui, _, form, panels, _| {
            onesignal::below_filters(ui, form, &mut panels.onesignal)
        })),
        response: None,
    },
    Extras {
        provider: "azure",
        profile: Some(|ui, view, _, _, _| azure::profile(ui, view)),
        audience: None,
        below_field: None,
        response: Some(|ui, view, _, _, actions| azure::response(ui, view, actions)),
    },
    Extras {
        provider: "telegram",
        profile: None,
        audience: Some(|ui, view, form, panels, actions| {
            telegram::audience(ui, view, form, &mut panels.telegram, actions)
        }),
        below_field: None,
        response: None,
    },
    Extras {
        provider: "courier",
        profile: None,
        audience: None,
        below_field: None,
        response: Some(|ui, view, _, panels, actions| {
            courier::response(ui, view, &mut panels.courier, actions)
        }),
    },
    Extras {
        provider: "fcm",
        profile: None,
        audience: Some(|ui, view, _, _, actions| fcm::audience(ui, view, actions)),
        below_field: None,
        response: None,
    },
    Extras {
        provider: "webpush",
        profile: Some(|ui, view, _, panels, actions| {
            webpush::profile(ui, view, &mut panels.webpush, actions)
        }),
        audience: Some(|ui, view, form, panels, actions| {
            webpush::audience(ui, view, form, &mut panels.webpush, actions)
        }),
        below_field: None,
        response: Some(|ui, view, form, panels, actions| {
            webpush::response(ui, view, form, &mut panels.webpush, actions)
        }),
    },
];

fn hooks(view: &View<'_>) -> Option<&'static Extras> {
    let id = view.provider.info().id;
    ALL.iter().find(|e| e.provider == id)
}

pub fn profile(
    ui: &mut egui::Ui,
    view: &View<'_>,
    form: &mut ComposerForm,
    panels: &mut Panels,
    actions: &mut Actions,
) {
    if let Some(hook) = hooks(view).and_then(|e| e.profile) {
        hook(ui, view, form, panels, actions);
    }
}

pub fn audience(
    ui: &mut egui::Ui,
    view: &View<'_>,
    form: &mut ComposerForm,
    panels: &mut Panels,
    actions: &mut Actions,
) {
    if let Some(hook) = hooks(view).and_then(|e| e.audience) {
        hook(ui, view, form, panels, actions);
    }
}

pub fn below_field(
    ui: &mut egui::Ui,
    view: &View<'_>,
    key: &str,
    form: &mut ComposerForm,
    panels: &mut Panels,
    actions: &mut Actions,
) {
    if let Some((_, hook)) = hooks(view)
        .and_then(|e| e.below_field)
        .filter(|(field, _)| *field == key)
    {
        hook(ui, view, form, panels, actions);
    }
}

pub fn response(
    ui: &mut egui::Ui,
    view: &View<'_>,
    form: &mut ComposerForm,
    panels: &mut Panels,
    actions: &mut Actions,
) {
    if let Some(hook) = hooks(view).and_then(|e| e.response) {
        hook(ui, view, form, panels, actions);
    }
}
