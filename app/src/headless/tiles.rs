//! Images larger than one render target: near-equal tiles no larger than
//! a limit, each rendered on its own and stitched into the canvas.

/// One tile of the output image.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

/// Splits `width` × `height` into near-equal tiles no larger than `max`.
/// Every tile has the same size (the render target is reused); the last
/// row/column may reach past the image and is cropped when stitching.
pub fn plan_tiles(width: u32, height: u32, max: u32) -> Vec<Tile> {
    let nx = width.div_ceil(max).max(1);
    let ny = height.div_ceil(max).max(1);
    let (tw, th) = (width.div_ceil(nx), height.div_ceil(ny));
    let mut tiles = Vec::new();
    for j in 0..ny {
        for i in 0..nx {
            tiles.push(Tile {
                x: i * tw,
                y: j * th,
                w: tw,
                h: th,
            });
        }
    }
    tiles
}

/// Copies a rendered tile into the canvas, cropping what lies outside.
pub fn blit(canvas: &mut image::RgbaImage, tile_img: &image::RgbaImage, t: Tile) {
    let w =
        t.w.min(canvas.width().saturating_sub(t.x))
            .min(tile_img.width());
    let h =
        t.h.min(canvas.height().saturating_sub(t.y))
            .min(tile_img.height());
    for y in 0..h {
        for x in 0..w {
            let mut p = *tile_img.get_pixel(x, y);
            p.0[3] = 255;
            canvas.put_pixel(t.x + x, t.y + y, p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiles_cover_the_image_exactly_once() {
        for (w, h, max) in [
            (1920, 1080, 4096),
            (8192, 8192, 4096),
            (1000, 700, 256),
            (1, 1, 16),
        ] {
            let tiles = plan_tiles(w, h, max);
            let mut covered = vec![0u8; (w * h) as usize];
            for t in &tiles {
                assert!(t.w <= max && t.h <= max);
                for y in t.y..(t.y + t.h).min(h) {
                    for x in t.x..(t.x + t.w).min(w) {
                        covered[(y * w + x) as usize] += 1;
                    }
                }
            }
            assert!(covered.iter().all(|&c| c == 1), "{w}x{h}/{max}");
        }
        assert_eq!(plan_tiles(8192, 8192, 4096).len(), 4);
    }

    #[test]
    fn blit_crops_at_the_edges() {
        let mut canvas = image::RgbaImage::new(10, 10);
        let tile = image::RgbaImage::from_pixel(6, 6, image::Rgba([9, 8, 7, 0]));
        blit(
            &mut canvas,
            &tile,
            Tile {
                x: 6,
                y: 6,
                w: 6,
                h: 6,
            },
        );
        assert_eq!(canvas.get_pixel(9, 9).0, [9, 8, 7, 255]);
        assert_eq!(canvas.get_pixel(5, 5).0, [0, 0, 0, 0]);
    }
}
