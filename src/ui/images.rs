//! The message image in the Preview: fetched once per URL through the engine's transport, decoded
//! and scaled off the UI thread, kept as a texture. A URL being typed is fetched only once it has
//! stood still for a moment.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use eframe::egui;

use super::task::Task;
use crate::engine::Engine;

/// Wait this long after the last keystroke in the image field before fetching.
const SETTLE: Duration = Duration::from_millis(600);
const TIMEOUT: Duration = Duration::from_secs(15);
/// Previews are at most this wide; larger images are scaled down before they become textures.
const MAX_SIDE: u32 = 720;
/// Textures kept; the oldest goes first.
const KEEP: usize = 8;

pub enum Shown {
    Loading,
    Ready(egui::TextureHandle),
    Failed(String),
}

enum State {
    Loading(Task<Result<egui::ColorImage, String>>),
    Ready(egui::TextureHandle),
    Failed(String),
}

pub struct PreviewImages {
    engine: Engine,
    runtime: tokio::runtime::Handle,
    images: HashMap<String, State>,
    order: Vec<String>,
    /// The URL last asked for and since when, for the settle delay.
    pending: Option<(String, Instant)>,
    /// Off in snapshot tests that must not reach the network.
    pub disabled: bool,
}

impl PreviewImages {
    pub fn new(engine: Engine, runtime: tokio::runtime::Handle) -> Self {
        Self {
            engine,
            runtime,
            images: HashMap::new(),
            order: Vec::new(),
            pending: None,
            disabled: false,
        }
    }

    /// What to show for `url` now; starts or polls the fetch.
    pub fn get(&mut self, url: &str, ctx: &egui::Context) -> Shown {
        if self.disabled {
            return Shown::Failed("image loading is off".into());
        }
        if let Some(State::Loading(task)) = self.images.get(url)
            && let Some(result) = task.poll()
        {
            let state = match result {
                Ok(image) => State::Ready(ctx.load_texture(
                    format!("preview-image {url}"),
                    image,
                    egui::TextureOptions::LINEAR,
                )),
                Err(e) => State::Failed(e),
            };
            self.images.insert(url.to_string(), state);
        }
        match self.images.get(url) {
            Some(State::Loading(_)) => return Shown::Loading,
            Some(State::Ready(t)) => return Shown::Ready(t.clone()),
            Some(State::Failed(e)) => return Shown::Failed(e.clone()),
            None => {}
        }
        let since = match &self.pending {
            Some((pending, since)) if pending == url => *since,
            _ => {
                self.pending = Some((url.to_string(), crate::clock::instant()));
                crate::clock::instant()
            }
        };
        let waited = crate::clock::instant().duration_since(since);
        if waited < SETTLE {
            ctx.request_repaint_after(SETTLE - waited);
            return Shown::Loading;
        }
        self.pending = None;
        let engine = self.engine.clone();
        let owned = url.to_string();
        let task = Task::spawn(&self.runtime, ctx, async move {
            let bytes = engine.fetch(&owned, TIMEOUT).await?;
            decode(&bytes)
        });
        self.images.insert(url.to_string(), State::Loading(task));
        self.order.retain(|u| u != url);
        self.order.push(url.to_string());
        while self.order.len() > KEEP {
            let oldest = self.order.remove(0);
            self.images.remove(&oldest);
        }
        Shown::Loading
    }

    /// For tests: "ready W×H", "loading" or the failure.
    pub fn describe(&self, url: &str) -> String {
        match self.images.get(url) {
            Some(State::Ready(t)) => format!("ready {}x{}", t.size()[0], t.size()[1]),
            Some(State::Failed(e)) => format!("failed: {e}"),
            Some(State::Loading(_)) | None => "loading".into(),
        }
    }
}

/// Bytes to pixels, scaled to fit `MAX_SIDE`; the error says what the file is not.
pub fn decode(bytes: &[u8]) -> Result<egui::ColorImage, String> {
    let image = image::load_from_memory(bytes)
        .map_err(|e| format!("not an image this preview can show ({e})"))?;
    let image = if image.width() > MAX_SIDE || image.height() > MAX_SIDE {
        image.thumbnail(MAX_SIDE, MAX_SIDE)
    } else {
        image
    };
    let rgba = image.to_rgba8();
    let size = [rgba.width() as usize, rgba.height() as usize];
    Ok(egui::ColorImage::from_rgba_unmultiplied(
        size,
        rgba.as_flat_samples().as_slice(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let mut out = std::io::Cursor::new(Vec::new());
        image::RgbaImage::from_pixel(w, h, image::Rgba([200, 30, 30, 255]))
            .write_to(&mut out, image::ImageFormat::Png)
            .expect("encode");
        out.into_inner()
    }

    #[test]
    fn decodes_and_scales_down() {
        let small = decode(&png(40, 20)).expect("png");
        assert_eq!(small.size, [40, 20]);
        let big = decode(&png(2000, 1000)).expect("png");
        assert_eq!(big.size, [720, 360]);
        let err = decode(b"<html>not found</html>").expect_err("html");
        assert!(err.contains("not an image"), "{err}");
    }
}
