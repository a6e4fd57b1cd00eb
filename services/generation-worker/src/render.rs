//! Real media without a model: pictures drawn from a seed (shapes, colours,
//! a gradient) with the prompt as caption (font8x8's bitmap glyphs, scaled),
//! encoded as PNG (tiny-skia) or lossless WebP (image-webp); and frames for
//! videos, which the local provider pipes to ffmpeg.
//!
//! Everything is a pure function of its inputs (a SplitMix64 stream seeded
//! from the request), so the same request gives the same bytes.

use tiny_skia::{
    Color, FillRule, GradientStop, LinearGradient, Paint, PathBuilder, Pixmap, PixmapPaint, Point,
    Rect, SpreadMode, Transform,
};

/// A deterministic random stream (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    pub fn byte(&mut self) -> u8 {
        (self.next_u64() >> 56) as u8
    }
}

/// A seed from any bytes (FNV-1a, stable across platforms and versions).
pub fn seed_of(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Pixel size of an image for an aspect ratio.
pub fn image_size(aspect_ratio: &str) -> (u32, u32) {
    match aspect_ratio {
        "4:5" => (512, 640),
        "9:16" => (432, 768),
        "16:9" => (768, 432),
        _ => (512, 512),
    }
}

/// Pixel size of a video for an aspect ratio (even sides, as yuv420p requires).
pub fn video_size(aspect_ratio: &str) -> (u32, u32) {
    match aspect_ratio {
        "4:5" => (384, 480),
        "9:16" => (360, 640),
        "1:1" => (480, 480),
        _ => (640, 360),
    }
}

#[derive(Debug, Clone)]
struct Shape {
    circle: bool,
    x: f32,
    y: f32,
    size: f32,
    dx: f32,
    dy: f32,
    rgba: [u8; 4],
}

/// A scene: background colours and shapes drawn from a seed.
#[derive(Debug, Clone)]
pub struct Scene {
    top: [u8; 3],
    bottom: [u8; 3],
    shapes: Vec<Shape>,
    caption: String,
    accent: Option<[u8; 3]>,
}

impl Scene {
    pub fn new(seed: u64, caption: &str) -> Self {
        let mut rng = Rng::new(seed);
        let top = [rng.byte(), rng.byte(), rng.byte()];
        let bottom = [rng.byte() / 2, rng.byte() / 2, rng.byte() / 2];
        let count = 6 + (rng.next_u64() % 7) as usize;
        let shapes = (0..count)
            .map(|_| Shape {
                circle: rng.unit() < 0.5,
                x: rng.unit(),
                y: rng.unit() * 0.8,
                size: rng.range(0.06, 0.28),
                dx: rng.range(-0.15, 0.15),
                dy: rng.range(-0.1, 0.1),
                rgba: [rng.byte(), rng.byte(), rng.byte(), 110 + rng.byte() / 2],
            })
            .collect();
        Self {
            top,
            bottom,
            shapes,
            caption: caption.to_owned(),
            accent: None,
        }
    }

    /// Adds a "face": a large disc in the centre (face swap, avatars).
    pub fn with_face(mut self, rgb: [u8; 3]) -> Self {
        self.accent = Some(rgb);
        self
    }

    /// Draws the scene at time `t` seconds (shapes drift for videos).
    pub fn draw(&self, width: u32, height: u32, t: f32) -> Option<Pixmap> {
        let caption = self.caption_layer(width, height);
        self.draw_with(width, height, t, caption.as_ref())
    }

    /// The caption drawn once on a transparent layer (videos reuse it for every frame).
    pub fn caption_layer(&self, width: u32, height: u32) -> Option<Pixmap> {
        let mut layer = Pixmap::new(width, height)?;
        draw_caption(&mut layer, &self.caption);
        Some(layer)
    }

    /// [`Self::draw`] with a caption layer from [`Self::caption_layer`].
    pub fn draw_with(
        &self,
        width: u32,
        height: u32,
        t: f32,
        caption: Option<&Pixmap>,
    ) -> Option<Pixmap> {
        let mut pixmap = Pixmap::new(width, height)?;
        let (w, h) = (width as f32, height as f32);
        let mut paint = Paint {
            anti_alias: true,
            ..Paint::default()
        };
        paint.shader = LinearGradient::new(
            Point::from_xy(0.0, 0.0),
            Point::from_xy(0.0, h),
            vec![
                GradientStop::new(
                    0.0,
                    Color::from_rgba8(self.top[0], self.top[1], self.top[2], 255),
                ),
                GradientStop::new(
                    1.0,
                    Color::from_rgba8(self.bottom[0], self.bottom[1], self.bottom[2], 255),
                ),
            ],
            SpreadMode::Pad,
            Transform::identity(),
        )?;
        pixmap.fill_rect(
            Rect::from_xywh(0.0, 0.0, w, h)?,
            &paint,
            Transform::identity(),
            None,
        );
        let unit = w.min(h);
        for s in &self.shapes {
            let mut p = Paint {
                anti_alias: true,
                ..Paint::default()
            };
            p.set_color_rgba8(s.rgba[0], s.rgba[1], s.rgba[2], s.rgba[3]);
            let x = (s.x + s.dx * t).rem_euclid(1.0) * w;
            let y = (s.y + s.dy * t).rem_euclid(1.0) * h;
            let size = s.size * unit;
            if s.circle {
                if let Some(path) = PathBuilder::from_circle(x, y, size / 2.0) {
                    pixmap.fill_path(&path, &p, FillRule::Winding, Transform::identity(), None);
                }
            } else if let Some(rect) = Rect::from_xywh(x - size / 2.0, y - size / 2.0, size, size) {
                let angle = t * 20.0;
                pixmap.fill_rect(rect, &p, Transform::from_rotate_at(angle, x, y), None);
            }
        }
        if let Some(rgb) = self.accent {
            let mut p = Paint {
                anti_alias: true,
                ..Paint::default()
            };
            p.set_color_rgba8(255, 255, 255, 230);
            if let Some(path) = PathBuilder::from_circle(w / 2.0, h * 0.42, unit * 0.22) {
                pixmap.fill_path(&path, &p, FillRule::Winding, Transform::identity(), None);
            }
            p.set_color_rgba8(rgb[0], rgb[1], rgb[2], 255);
            if let Some(path) = PathBuilder::from_circle(w / 2.0, h * 0.42, unit * 0.2) {
                pixmap.fill_path(&path, &p, FillRule::Winding, Transform::identity(), None);
            }
        }
        if let Some(layer) = caption {
            pixmap.draw_pixmap(
                0,
                0,
                layer.as_ref(),
                &PixmapPaint::default(),
                Transform::identity(),
                None,
            );
        }
        Some(pixmap)
    }
}

/// The caption on a dark band at the bottom, word-wrapped, at most three lines.
fn draw_caption(pixmap: &mut Pixmap, caption: &str) {
    let (w, h) = (pixmap.width(), pixmap.height());
    let scale = if w >= 600 { 3 } else { 2 };
    let glyph = 8 * scale;
    let per_line = ((w.saturating_sub(2 * glyph)) / glyph).max(1) as usize;
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in caption.split_whitespace() {
        let word: String = word
            .chars()
            .map(|c| if c.is_ascii() { c } else { '?' })
            .collect();
        if !current.is_empty() && current.len() + 1 + word.len() > per_line {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(&word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines.truncate(3);
    for line in &mut lines {
        line.truncate(per_line);
    }
    if lines.is_empty() {
        return;
    }
    let band = (lines.len() as u32 * (glyph + scale * 2) + glyph) as f32;
    let mut p = Paint::default();
    p.set_color_rgba8(0, 0, 0, 150);
    if let Some(rect) = Rect::from_xywh(0.0, h as f32 - band, w as f32, band) {
        pixmap.fill_rect(rect, &p, Transform::identity(), None);
    }
    let top = h as f32 - band + (glyph / 2) as f32;
    let mut white = Paint::default();
    white.set_color_rgba8(255, 255, 255, 255);
    for (i, line) in lines.iter().enumerate() {
        let y0 = top + (i as u32 * (glyph + scale * 2)) as f32;
        for (j, ch) in line.chars().enumerate() {
            let rows = font8x8::legacy::BASIC_LEGACY[(ch as usize) & 0x7f];
            let x0 = (glyph + j as u32 * glyph) as f32;
            for (ry, row) in rows.iter().enumerate() {
                for rx in 0..8 {
                    if row & (1 << rx) != 0
                        && let Some(rect) = Rect::from_xywh(
                            x0 + (rx * scale) as f32,
                            y0 + (ry as u32 * scale) as f32,
                            scale as f32,
                            scale as f32,
                        )
                    {
                        pixmap.fill_rect(rect, &white, Transform::identity(), None);
                    }
                }
            }
        }
    }
}

/// Straight (non-premultiplied) RGBA bytes of a pixmap.
pub fn rgba(pixmap: &Pixmap) -> Vec<u8> {
    let mut out = Vec::with_capacity(pixmap.data().len());
    for px in pixmap.pixels() {
        let c = px.demultiply();
        out.extend_from_slice(&[c.red(), c.green(), c.blue(), c.alpha()]);
    }
    out
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot draw a {0}x{1} picture")]
    Size(u32, u32),
    #[error("png: {0}")]
    Png(String),
    #[error("webp: {0}")]
    Webp(String),
}

/// Encodes as `png` or `webp`.
pub fn encode(pixmap: &Pixmap, format: &str) -> Result<Vec<u8>, RenderError> {
    if format == "webp" {
        let mut out = Vec::new();
        image_webp::WebPEncoder::new(&mut out)
            .encode(
                &rgba(pixmap),
                pixmap.width(),
                pixmap.height(),
                image_webp::ColorType::Rgba8,
            )
            .map_err(|e| RenderError::Webp(e.to_string()))?;
        Ok(out)
    } else {
        pixmap
            .encode_png()
            .map_err(|e| RenderError::Png(e.to_string()))
    }
}

/// One picture of `caption` from `seed`.
pub fn picture(
    seed: u64,
    caption: &str,
    size: (u32, u32),
    format: &str,
) -> Result<Vec<u8>, RenderError> {
    let pixmap = Scene::new(seed, caption)
        .draw(size.0, size.1, 0.0)
        .ok_or(RenderError::Size(size.0, size.1))?;
    encode(&pixmap, format)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_deterministic_and_depend_on_the_seed() {
        let a = picture(7, "Clean skincare product photo", (128, 128), "png").unwrap();
        let b = picture(7, "Clean skincare product photo", (128, 128), "png").unwrap();
        let c = picture(8, "Clean skincare product photo", (128, 128), "png").unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(&a[1..4], b"PNG");
        let webp = picture(7, "x", (64, 80), "webp").unwrap();
        assert_eq!(&webp[0..4], b"RIFF");
        assert_eq!(&webp[8..12], b"WEBP");
    }

    #[test]
    fn the_caption_is_drawn() {
        let blank = Scene::new(1, "").draw(200, 100, 0.0).unwrap();
        let captioned = Scene::new(1, "HELLO").draw(200, 100, 0.0).unwrap();
        assert_ne!(blank.data(), captioned.data());
    }
}
