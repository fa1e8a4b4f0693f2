//! Feature labels burnt into snapshots. The viewer draws labels with egui
//! (`ui::labels`); off-screen there is no egui pass, so the same candidates
//! are placed by the same decluttering and rasterised onto the stitched
//! image with the CJK font the UI uses (via `ab_glyph`), in the viewer's
//! style: white text on a translucent dark box above a yellow dot.

use crate::ui::labels::{PADDING, Placed};
use ab_glyph::{Font, FontVec, PxScale, ScaleFont, point};
use bevy::math::Vec2;

/// Text size at scale 1, pixels (the viewer's label size).
pub const TEXT_PX: f32 = 13.0;

/// The label font.
pub struct LabelFont {
    font: FontVec,
}

impl LabelFont {
    /// The UI's CJK font (see `fonts`); `None` when there is none.
    pub fn load() -> Option<LabelFont> {
        let (choice, bytes) = crate::ui::fonts::find_cjk_font()?;
        let font = FontVec::try_from_vec_and_index(bytes, choice.index).ok()?;
        Some(LabelFont { font })
    }

    /// Width and height of `text` at `px` pixels.
    pub fn measure(&self, text: &str, px: f32) -> Vec2 {
        let f = self.font.as_scaled(PxScale::from(px));
        let mut w = 0.0;
        let mut prev = None;
        for c in text.chars() {
            let id = f.glyph_id(c);
            if let Some(p) = prev {
                w += f.kern(p, id);
            }
            w += f.h_advance(id);
            prev = Some(id);
        }
        Vec2::new(w.ceil(), (f.ascent() - f.descent()).ceil())
    }

    /// Draws the labels onto `img` (text `px` high, boxes and dots scaled
    /// by `scale`).
    pub fn draw(&self, img: &mut image::RgbaImage, labels: &[Placed], px: f32, scale: f32) {
        let f = self.font.as_scaled(PxScale::from(px));
        for l in labels {
            fill_rect(img, l.rect.min, l.rect.max, [0, 0, 0], 150.0 / 255.0);
            fill_disc(img, l.anchor, 2.5 * scale, [255, 215, 90]);
            let mut x = l.rect.min.x + PADDING.x * scale;
            let baseline = l.rect.min.y + PADDING.y * scale + f.ascent();
            let mut prev = None;
            for c in l.text.chars() {
                let id = f.glyph_id(c);
                if let Some(p) = prev {
                    x += f.kern(p, id);
                }
                let glyph = id.with_scale_and_position(px, point(x, baseline));
                x += f.h_advance(id);
                prev = Some(id);
                let Some(outline) = self.font.outline_glyph(glyph) else {
                    continue;
                };
                let b = outline.px_bounds();
                outline.draw(|gx, gy, coverage| {
                    let (x, y) = (b.min.x as i64 + gx as i64, b.min.y as i64 + gy as i64);
                    blend(img, x, y, [255, 255, 255], coverage);
                });
            }
        }
    }
}

/// Alpha-blends `rgb` at `alpha` into pixel (x, y) if inside the image.
fn blend(img: &mut image::RgbaImage, x: i64, y: i64, rgb: [u8; 3], alpha: f32) {
    if x < 0 || y < 0 || x >= i64::from(img.width()) || y >= i64::from(img.height()) {
        return;
    }
    let p = img.get_pixel_mut(x as u32, y as u32);
    let a = alpha.clamp(0.0, 1.0);
    for (c, v) in p.0.iter_mut().zip(rgb) {
        *c = (f32::from(*c) * (1.0 - a) + f32::from(v) * a).round() as u8;
    }
}

fn fill_rect(img: &mut image::RgbaImage, min: Vec2, max: Vec2, rgb: [u8; 3], alpha: f32) {
    for y in min.y.round() as i64..max.y.round() as i64 {
        for x in min.x.round() as i64..max.x.round() as i64 {
            blend(img, x, y, rgb, alpha);
        }
    }
}

fn fill_disc(img: &mut image::RgbaImage, c: Vec2, r: f32, rgb: [u8; 3]) {
    let (x0, x1) = ((c.x - r).floor() as i64, (c.x + r).ceil() as i64);
    let (y0, y1) = ((c.y - r).floor() as i64, (c.y + r).ceil() as i64);
    for y in y0..=y1 {
        for x in x0..=x1 {
            let d = Vec2::new(x as f32 + 0.5, y as f32 + 0.5).distance(c);
            // One pixel of antialiasing at the edge.
            blend(img, x, y, rgb, (r + 0.5 - d).clamp(0.0, 1.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy::math::Rect;

    #[test]
    fn draws_boxes_dots_and_text() {
        let Some(font) = LabelFont::load() else {
            eprintln!("skipped: no CJK font installed");
            return;
        };
        let size = font.measure("泵站 P1", TEXT_PX);
        assert!(
            size.x > 30.0 && size.x < 80.0 && size.y >= TEXT_PX,
            "{size}"
        );
        let mut img = image::RgbaImage::from_pixel(120, 60, image::Rgba([100, 150, 200, 255]));
        let s = size + 2.0 * PADDING;
        let rect = Rect::from_center_size(Vec2::new(60.0, 40.0 - s.y * 0.5 - 4.0), s);
        let label = Placed {
            anchor: Vec2::new(60.0, 40.0),
            rect,
            text: "泵站 P1".into(),
        };
        font.draw(&mut img, &[label], TEXT_PX, 1.0);
        // The dot, the dark box, white glyph pixels; the rest untouched.
        assert_eq!(img.get_pixel(60, 40).0, [255, 215, 90, 255]);
        let inside = |x: u32, y: u32| rect.contains(Vec2::new(x as f32 + 0.5, y as f32 + 0.5));
        let white = img
            .enumerate_pixels()
            .filter(|(x, y, p)| inside(*x, *y) && p.0[0] > 150 && p.0[2] > 150)
            .count();
        assert!(white > 20, "{white}");
        assert_eq!(img.get_pixel(2, 58).0, [100, 150, 200, 255]);
        // 150/255 black over 100: about 41.
        let corner = img
            .get_pixel(rect.min.x.ceil() as u32, rect.min.y.ceil() as u32)
            .0[0];
        assert!((38..=44).contains(&corner), "{corner}");
    }
}
