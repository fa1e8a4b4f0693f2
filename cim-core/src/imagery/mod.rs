//! Basemap imagery: composes a north-up image in the scene CRS from the tiles
//! of a [`TileMatrixSet`] in another CRS (Web Mercator, CGCS2000 lon/lat, ...),
//! to drape under the city model.
//!
//! Reprojection is done backwards: each output pixel centre is carried into
//! the tile CRS and the tiles are sampled there. Transforming every pixel
//! through PROJ is slow (≈ 1 µs each), so only a lattice of every
//! [`LATTICE_STEP`]-th pixel is transformed and the positions in between are
//! interpolated bilinearly — the approach of GDAL's approximate transformer
//! (`GDALCreateApproxTransformer`). See [`compose`] for the error bound.
//!
//! No I/O: tiles come from a caller-supplied `fetch` (see `cim-loaders`'
//! `TileFetcher`), and images are a plain RGBA buffer ([`RgbaImage`]) so this
//! crate needs no image library.

pub mod tiles;

use std::collections::HashMap;

use glam::DVec2;

use crate::imagery::tiles::{TileId, TileMatrixSet};
use crate::model::geometry::Bbox;

/// Distance in output pixels between transformed lattice points.
pub const LATTICE_STEP: u32 = 16;

/// Largest accepted interpolation error, in tile pixels: a lattice cell whose
/// interpolated centre is further than this from the exact one is
/// transformed pixel by pixel instead.
pub const MAX_INTERPOLATION_ERROR_PX: f64 = 0.125;

/// An 8-bit RGBA image, row-major from the top-left, not premultiplied.
#[derive(Clone, PartialEq, Eq)]
pub struct RgbaImage {
    pub width: u32,
    pub height: u32,
    /// `width × height × 4` bytes.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for RgbaImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RgbaImage({} × {})", self.width, self.height)
    }
}

impl RgbaImage {
    /// A fully transparent image.
    pub fn new(width: u32, height: u32) -> RgbaImage {
        RgbaImage {
            width,
            height,
            data: vec![0; width as usize * height as usize * 4],
        }
    }

    /// Wraps a buffer; `None` if its length is not `width × height × 4`.
    pub fn from_raw(width: u32, height: u32, data: Vec<u8>) -> Option<RgbaImage> {
        (data.len() == width as usize * height as usize * 4).then_some(RgbaImage {
            width,
            height,
            data,
        })
    }

    fn index(&self, x: u32, y: u32) -> usize {
        (y as usize * self.width as usize + x as usize) * 4
    }

    /// The pixel at (x, y). Panics outside the image.
    pub fn pixel(&self, x: u32, y: u32) -> [u8; 4] {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside the image"
        );
        let i = self.index(x, y);
        [
            self.data[i],
            self.data[i + 1],
            self.data[i + 2],
            self.data[i + 3],
        ]
    }

    /// Sets the pixel at (x, y). Panics outside the image.
    pub fn put_pixel(&mut self, x: u32, y: u32, rgba: [u8; 4]) {
        assert!(
            x < self.width && y < self.height,
            "pixel ({x}, {y}) outside the image"
        );
        let i = self.index(x, y);
        self.data[i..i + 4].copy_from_slice(&rgba);
    }
}

/// Centre of output pixel (col, row) in the scene CRS.
fn pixel_centre(target: &Bbox, width: u32, height: u32, col: f64, row: f64) -> DVec2 {
    let dx = (target.max.x - target.min.x) / f64::from(width);
    let dy = (target.max.y - target.min.y) / f64::from(height);
    DVec2::new(
        target.min.x + (col + 0.5) * dx,
        target.max.y - (row + 0.5) * dy,
    )
}

/// Lattice positions along an axis of `n` pixels: every `step`-th, plus the last.
fn lattice(n: u32, step: u32) -> Vec<u32> {
    let mut v: Vec<u32> = (0..n).step_by(step as usize).collect();
    if n > 0 && v.last() != Some(&(n - 1)) {
        v.push(n - 1);
    }
    v
}

/// The matrix whose resolution best matches output pixels of
/// `target.size().x / width` scene units, measured in the tile CRS at the
/// centre of `target` (see [`TileMatrixSet::matrix_for_resolution`]). The
/// pixel size in the tile CRS is the square root of the area of a pixel
/// carried there, so it also works between metres and degrees. Falls back
/// to the coarsest matrix when the centre cannot be transformed.
pub fn choose_matrix(
    target: Bbox,
    width: u32,
    to_tms: &dyn Fn(DVec2) -> Option<DVec2>,
    tms: &TileMatrixSet,
) -> usize {
    let coarsest = tms.matrix_for_resolution(f64::INFINITY);
    if width == 0 || target.is_empty() {
        return coarsest;
    }
    let px = (target.max.x - target.min.x) / f64::from(width);
    let c = DVec2::new(target.center().x, target.center().y);
    // A baseline of several pixels keeps the difference well above rounding.
    let h = px * f64::from(LATTICE_STEP) / 2.0;
    let pts = [
        c - DVec2::X * h,
        c + DVec2::X * h,
        c - DVec2::Y * h,
        c + DVec2::Y * h,
    ]
    .map(to_tms);
    let [Some(w), Some(e), Some(s), Some(n)] = pts else {
        return coarsest;
    };
    let area = (e - w).perp_dot(n - s).abs();
    let pixels = (2.0 * h / px).powi(2);
    let res = (area / pixels).sqrt();
    if res.is_finite() && res > 0.0 {
        tms.matrix_for_resolution(res)
    } else {
        coarsest
    }
}

/// The tiles of `matrix` that [`compose`] would read for this output, found
/// from the transformed lattice (plus one tile pixel of margin), so a caller
/// can fetch them in parallel before composing.
pub fn tiles_needed(
    target: Bbox,
    width: u32,
    height: u32,
    to_tms: &dyn Fn(DVec2) -> Option<DVec2>,
    tms: &TileMatrixSet,
    matrix: usize,
) -> Vec<TileId> {
    let mut b = Bbox::EMPTY;
    for &row in &lattice(height, LATTICE_STEP) {
        for &col in &lattice(width, LATTICE_STEP) {
            let p = pixel_centre(&target, width, height, f64::from(col), f64::from(row));
            if let Some(q) = to_tms(p) {
                b.extend(glam::DVec3::new(q.x, q.y, 0.0));
            }
        }
    }
    if b.is_empty() {
        return Vec::new();
    }
    let margin = tms.matrices[matrix].resolution;
    b.min -= glam::DVec3::new(margin, margin, 0.0);
    b.max += glam::DVec3::new(margin, margin, 0.0);
    tms.tiles_covering(matrix, &b).collect()
}

/// Composes a `width × height` north-up image covering `target` (scene CRS)
/// from the tiles of `tms.matrices[matrix]`. `to_tms` carries a scene point
/// into the tile CRS (`None` where it cannot, e.g. outside the projection's
/// domain: such pixels stay transparent). `fetch` is called at most once per
/// tile; `None` (a missing tile) leaves its area transparent.
///
/// Positions come from a lattice of every [`LATTICE_STEP`] pixels transformed
/// exactly and interpolated bilinearly in between. Bilinear interpolation of
/// a smooth mapping errs by at most `L²/8 · |f''|` over a cell of side `L`;
/// for the map projections used here over a 16-px cell of a city-scale image
/// that is far below a pixel (a Gauss–Krüger → Web Mercator cell of 1 km is
/// off by micrometres). The assumption is checked, not trusted: each cell's
/// centre is also transformed exactly, and a cell whose interpolated centre
/// is more than [`MAX_INTERPOLATION_ERROR_PX`] tile pixels off (near a pole,
/// the antimeridian, the edge of a projection's domain) or that has an
/// untransformable corner is transformed pixel by pixel.
///
/// Tiles are sampled bilinearly with premultiplied alpha (no dark fringes at
/// missing tiles); points outside the matrix are transparent. Tiles whose
/// decoded size differs from the matrix's tile size are scaled to it.
pub fn compose(
    target: Bbox,
    width: u32,
    height: u32,
    to_tms: &dyn Fn(DVec2) -> Option<DVec2>,
    tms: &TileMatrixSet,
    matrix: usize,
    fetch: &mut dyn FnMut(TileId) -> Option<RgbaImage>,
) -> RgbaImage {
    compose_with_step(
        target,
        width,
        height,
        to_tms,
        tms,
        matrix,
        fetch,
        LATTICE_STEP,
    )
}

#[allow(clippy::too_many_arguments)]
fn compose_with_step(
    target: Bbox,
    width: u32,
    height: u32,
    to_tms: &dyn Fn(DVec2) -> Option<DVec2>,
    tms: &TileMatrixSet,
    matrix: usize,
    fetch: &mut dyn FnMut(TileId) -> Option<RgbaImage>,
    step: u32,
) -> RgbaImage {
    let mut out = RgbaImage::new(width, height);
    if width == 0 || height == 0 || target.is_empty() || matrix >= tms.matrices.len() {
        return out;
    }
    let m = &tms.matrices[matrix];
    let mut sampler = Sampler {
        tms,
        matrix,
        cache: HashMap::new(),
        fetch,
    };
    let centre = |col: f64, row: f64| pixel_centre(&target, width, height, col, row);
    let xs = lattice(width, step);
    let ys = lattice(height, step);
    let grid: Vec<Option<DVec2>> = ys
        .iter()
        .flat_map(|&r| xs.iter().map(move |&c| (c, r)))
        .map(|(c, r)| to_tms(centre(f64::from(c), f64::from(r))))
        .collect();
    let at = |i: usize, j: usize| grid[j * xs.len() + i];
    let tolerance = MAX_INTERPOLATION_ERROR_PX * m.resolution;

    // One cell per pair of neighbouring lattice columns/rows; the last row or
    // column of pixels belongs to the last cell.
    let cells = |v: &[u32]| -> Vec<(u32, u32)> {
        if v.len() == 1 {
            return vec![(v[0], v[0])];
        }
        v.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let (col_cells, row_cells) = (cells(&xs), cells(&ys));
    for (j, &(r0, r1)) in row_cells.iter().enumerate() {
        for (i, &(c0, c1)) in col_cells.iter().enumerate() {
            let (i1, j1) = ((i + 1).min(xs.len() - 1), (j + 1).min(ys.len() - 1));
            let corners = [at(i, j), at(i1, j), at(i, j1), at(i1, j1)];
            let interp = match corners {
                [Some(a), Some(b), Some(c), Some(d)] => {
                    let (cw, ch) = (f64::from((c1 - c0).max(1)), f64::from((r1 - r0).max(1)));
                    let f = move |col: u32, row: u32| {
                        let u = f64::from(col - c0) / cw;
                        let v = f64::from(row - r0) / ch;
                        (a * (1.0 - u) + b * u) * (1.0 - v) + (c * (1.0 - u) + d * u) * v
                    };
                    let (mc, mr) = ((c0 + c1) / 2, (r0 + r1) / 2);
                    let exact = to_tms(centre(f64::from(mc), f64::from(mr)));
                    exact
                        .is_some_and(|e| e.distance(f(mc, mr)) <= tolerance)
                        .then_some(f)
                }
                _ => None,
            };
            let last_row = j + 1 == row_cells.len();
            let last_col = i + 1 == col_cells.len();
            let rows = r0..if last_row { r1 + 1 } else { r1 };
            for row in rows {
                let cols = c0..if last_col { c1 + 1 } else { c1 };
                for col in cols {
                    let p = match &interp {
                        Some(f) => Some(f(col, row)),
                        None => to_tms(centre(f64::from(col), f64::from(row))),
                    };
                    if let Some(p) = p {
                        out.put_pixel(col, row, sampler.sample(p));
                    }
                }
            }
        }
    }
    out
}

/// Bilinear sampling of one tile matrix, with the decoded tiles kept for
/// the duration of one [`compose`] call.
struct Sampler<'a, 'f> {
    tms: &'a TileMatrixSet,
    matrix: usize,
    cache: HashMap<(u64, u64), Option<RgbaImage>>,
    fetch: &'f mut dyn FnMut(TileId) -> Option<RgbaImage>,
}

impl Sampler<'_, '_> {
    /// The colour at a tile-CRS point (transparent outside the matrix).
    fn sample(&mut self, p: DVec2) -> [u8; 4] {
        let m = &self.tms.matrices[self.matrix];
        let (tw, th) = (u64::from(m.tile_width), u64::from(m.tile_height));
        let (w, h) = (m.matrix_width * tw, m.matrix_height * th);
        let gx = (p.x - m.top_left.0) / m.resolution;
        let gy = (m.top_left.1 - p.y) / m.resolution;
        if !(gx >= 0.0 && gy >= 0.0 && gx < w as f64 && gy < h as f64) {
            return [0; 4];
        }
        // Texel centres sit at +0.5; neighbours are clamped to the matrix.
        let (u, v) = (gx - 0.5, gy - 0.5);
        let (x0, y0) = (u.floor(), v.floor());
        let (fx, fy) = (u - x0, v - y0);
        let clamp = |t: f64, n: u64| t.clamp(0.0, (n - 1) as f64) as u64;
        let (xa, xb) = (clamp(x0, w), clamp(x0 + 1.0, w));
        let (ya, yb) = (clamp(y0, h), clamp(y0 + 1.0, h));
        let mut acc = [0.0f64; 4];
        for (x, y, wgt) in [
            (xa, ya, (1.0 - fx) * (1.0 - fy)),
            (xb, ya, fx * (1.0 - fy)),
            (xa, yb, (1.0 - fx) * fy),
            (xb, yb, fx * fy),
        ] {
            if wgt == 0.0 {
                continue;
            }
            let [r, g, b, a] = self.texel(x, y, tw, th);
            let a = f64::from(a) / 255.0;
            acc[0] += f64::from(r) * a * wgt;
            acc[1] += f64::from(g) * a * wgt;
            acc[2] += f64::from(b) * a * wgt;
            acc[3] += a * wgt;
        }
        if acc[3] <= 0.0 {
            return [0; 4];
        }
        let un = |c: f64| (c / acc[3]).round().clamp(0.0, 255.0) as u8;
        [
            un(acc[0]),
            un(acc[1]),
            un(acc[2]),
            (acc[3] * 255.0).round().clamp(0.0, 255.0) as u8,
        ]
    }

    /// The texel at matrix pixel (x, y), fetching its tile on first use.
    fn texel(&mut self, x: u64, y: u64, tw: u64, th: u64) -> [u8; 4] {
        let (col, row) = (x / tw, y / th);
        let matrix = self.matrix;
        let fetch = &mut self.fetch;
        let tile = self.cache.entry((col, row)).or_insert_with(|| {
            fetch(TileId { matrix, col, row }).filter(|t| {
                t.width > 0
                    && t.height > 0
                    && t.data.len() == t.width as usize * t.height as usize * 4
            })
        });
        match tile {
            Some(img) => {
                let px = ((x % tw) * u64::from(img.width) / tw) as u32;
                let py = ((y % th) * u64::from(img.height) / th) as u32;
                img.pixel(px, py)
            }
            None => [0; 4],
        }
    }
}

#[cfg(test)]
mod tests;
