//! How recipients will see it: device-style cards (mobile, desktop browser, Telegram), with the
//! truncation each applies, switchable per language, and warnings for what will not show.

use eframe::egui::{self, Color32, CornerRadius, RichText, Stroke};

use super::images::{PreviewImages, Shown};
use super::view::View;
use super::widgets::note_color;
use crate::draft::Message;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    Android,
    Ios,
    Desktop,
    Telegram,
}

impl Surface {
    fn name(self) -> &'static str {
        match self {
            Surface::Android => "Android",
            Surface::Ios => "iOS",
            Surface::Desktop => "Desktop browser",
            Surface::Telegram => "Telegram",
        }
    }

    /// (title characters, body characters, buttons) shown before the platform cuts.
    fn limits(self) -> (usize, usize, usize) {
        match self {
            Surface::Android => (45, 90, 3),
            Surface::Ios => (45, 178, 4),
            Surface::Desktop => (50, 120, 2),
            Surface::Telegram => (4096, 4096, 8),
        }
    }
}

/// Where each provider's notifications appear.
pub fn surfaces(provider: &str) -> &'static [Surface] {
    match provider {
        "telegram" => &[Surface::Telegram],
        "webpush" => &[Surface::Desktop, Surface::Android],
        "fcm" => &[Surface::Android, Surface::Desktop],
        "apns" => &[Surface::Ios],
        "pushbullet" | "ntfy" => &[Surface::Android, Surface::Desktop],
        _ => &[Surface::Android, Surface::Ios, Surface::Desktop],
    }
}

/// Cuts to `max` characters with an ellipsis, as the platform would.
pub(crate) fn truncate(text: &str, max: usize) -> (String, bool) {
    if text.chars().count() <= max {
        (text.to_string(), false)
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        (format!("{}…", cut.trim_end()), true)
    }
}

/// The message's fields in one language (the default language when `lang` is empty), and what
/// that language is missing.
pub fn localized(m: &Message, lang: &str) -> (String, String, String, Vec<String>) {
    let Some(t) = m.translations.get(lang) else {
        return (
            m.title.clone(),
            m.subtitle.clone(),
            m.body.clone(),
            Vec::new(),
        );
    };
    let mut missing = Vec::new();
    let pick = |own: &str, default: &str, what: &str, missing: &mut Vec<String>| {
        if own.trim().is_empty() && !default.trim().is_empty() {
            missing.push(format!(
                "No {lang} {what}: these readers see the default one."
            ));
            default.to_string()
        } else {
            own.to_string()
        }
    };
    let title = pick(&t.title, &m.title, "title", &mut missing);
    let subtitle = pick(&t.subtitle, &m.subtitle, "subtitle", &mut missing);
    let body = pick(&t.body, &m.body, "body", &mut missing);
    (title, subtitle, body, missing)
}

pub fn show(ui: &mut egui::Ui, view: &View<'_>, lang: &mut String, images: &mut PreviewImages) {
    let draft = match &view.compiled.draft {
        Ok(d) => d,
        Err(e) => {
            ui.colored_label(note_color(ui), format!("Preview unavailable: {e}"));
            return;
        }
    };
    let m = &draft.message;
    let langs: Vec<String> = std::iter::once(String::new())
        .chain(m.translations.keys().cloned())
        .collect();
    if !langs.contains(lang) {
        lang.clear();
    }
    ui.horizontal(|ui| {
        let label = ui.label("Language");
        egui::ComboBox::from_id_salt("preview-lang")
            .selected_text(if lang.is_empty() {
                "default (en)".to_string()
            } else {
                lang.clone()
            })
            .show_ui(ui, |ui| {
                for l in &langs {
                    let name = if l.is_empty() {
                        "default (en)".to_string()
                    } else {
                        l.clone()
                    };
                    ui.selectable_value(lang, l.clone(), name);
                }
            })
            .response
            .labelled_by(label.id);
    });
    let (title, subtitle, body, mut notes) = localized(m, lang);
    if let Ok(prepared) = &view.compiled.prepared {
        notes.extend(prepared.warnings.iter().cloned());
    }
    let provider = view.provider.info().id;
    let image = (!m.image.trim().is_empty()).then(|| images.get(m.image.trim(), ui.ctx()));
    egui::ScrollArea::vertical()
        .id_salt("preview-scroll")
        .show(ui, |ui| {
            for note in &notes {
                ui.colored_label(note_color(ui), format!("Note: {note}"));
            }
            let text = format!("{title}\n{subtitle}\n{body}");
            for limit in super::fonts::limits(&text) {
                ui.colored_label(note_color(ui), format!("Note: {}", limit.explain()));
            }
            for surface in surfaces(provider) {
                ui.add_space(6.0);
                ui.label(RichText::new(surface.name()).strong());
                card(ui, *surface, m, image.as_ref(), &title, &subtitle, &body);
            }
        });
}

fn card(
    ui: &mut egui::Ui,
    surface: Surface,
    m: &Message,
    image: Option<&Shown>,
    title: &str,
    subtitle: &str,
    body: &str,
) {
    let (title_max, body_max, button_max) = surface.limits();
    let dark = ui.visuals().dark_mode;
    let fill = match surface {
        Surface::Telegram if dark => Color32::from_rgb(0x2b, 0x52, 0x78),
        Surface::Telegram => Color32::from_rgb(0xef, 0xfd, 0xde),
        _ if dark => Color32::from_gray(0x30),
        _ => Color32::from_gray(0xf2),
    };
    egui::Frame::new()
        .fill(fill)
        .stroke(Stroke::new(
            1.0,
            ui.visuals().widgets.noninteractive.bg_stroke.color,
        ))
        .corner_radius(CornerRadius::same(if surface == Surface::Ios {
            14
        } else {
            8
        }))
        .inner_margin(10.0)
        .show(ui, |ui| {
            ui.set_max_width(360.0);
            if surface != Surface::Telegram {
                let origin = url::Url::parse(&m.url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string));
                ui.weak(match surface {
                    Surface::Desktop => origin.unwrap_or_else(|| "your site".into()),
                    _ => "Your app · now".into(),
                });
            }
            let (t, cut_title) = truncate(title, title_max);
            let (b, cut_body) = truncate(body, body_max);
            if !t.is_empty() {
                ui.label(RichText::new(t).strong());
            }
            if !subtitle.is_empty() && surface == Surface::Ios {
                ui.label(RichText::new(subtitle).strong());
            }
            if !b.is_empty() {
                ui.label(b);
            }
            if surface == Surface::Telegram && !m.url.is_empty() {
                ui.hyperlink_to(&m.url, &m.url);
            }
            if let Some(image) = image {
                let host = url::Url::parse(&m.image)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_default();
                match image {
                    Shown::Ready(texture) => {
                        ui.add(
                            egui::Image::new(texture)
                                .max_width(ui.available_width())
                                .corner_radius(6),
                        )
                        .on_hover_text(format!("Image from {host}"));
                    }
                    other => {
                        egui::Frame::new()
                            .fill(Color32::from_gray(if dark { 0x45 } else { 0xd8 }))
                            .inner_margin(18.0)
                            .show(ui, |ui| {
                                ui.set_min_width(ui.available_width());
                                match other {
                                    Shown::Failed(e) => {
                                        ui.weak(format!("Image from {host} not shown: {e}"));
                                    }
                                    _ => {
                                        ui.weak(format!("Loading the image from {host}…"));
                                    }
                                }
                            });
                    }
                }
            }
            if !m.buttons.is_empty() {
                ui.horizontal_wrapped(|ui| {
                    for b in m.buttons.iter().take(button_max) {
                        let _ = ui.add(
                            egui::Button::new(RichText::new(&b.label).small())
                                .sense(egui::Sense::hover()),
                        );
                    }
                });
            }
            let mut cuts = Vec::new();
            if cut_title {
                cuts.push(format!("title cut at {title_max} characters"));
            }
            if cut_body {
                cuts.push(format!("body cut at {body_max} characters"));
            }
            if m.buttons.len() > button_max {
                cuts.push(format!("shows {button_max} of {} buttons", m.buttons.len()));
            }
            if !cuts.is_empty() {
                ui.colored_label(note_color(ui), cuts.join("; "));
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncates_with_an_ellipsis() {
        assert_eq!(truncate("short", 10), ("short".into(), false));
        assert_eq!(truncate("a long title here", 7), ("a long…".into(), true));
    }

    #[test]
    fn a_missing_translation_falls_back_and_says_so() {
        let mut m = Message {
            title: "Hello".into(),
            body: "Body".into(),
            ..Default::default()
        };
        m.translations.insert(
            "fr".into(),
            crate::draft::Translation {
                title: "Bonjour".into(),
                ..Default::default()
            },
        );
        let (title, _, body, missing) = localized(&m, "fr");
        assert_eq!((title.as_str(), body.as_str()), ("Bonjour", "Body"));
        assert_eq!(missing, ["No fr body: these readers see the default one."]);
    }
}
