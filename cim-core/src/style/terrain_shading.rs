//! Terrain shading for DEM display: hillshade, slope and hypsometric
//! colouring, as `gdaldem hillshade` / `gdaldem slope` / `gdaldem
//! color-relief` and QGIS's hillshade renderer compute them.
//!
//! Slope and aspect use Horn's (1981) 3×3 weighted finite differences
//!
//! ```text
//! a b c      ∂z/∂x (east)  = ((c + 2f + i) − (a + 2d + g)) / (8·dx)
//! d e f      ∂z/∂y (north) = ((a + 2b + c) − (g + 2h + i)) / (8·dy)
//! g h i      (row 0 is north)
//! ```
//!
//! and the hillshade is the cosine of the angle between the surface normal
//! `n ∝ (−z·∂z/∂x, −z·∂z/∂y, 1)` and the direction to the sun
//! `l = (sin A·cos h, cos A·cos h, sin h)` (azimuth `A` clockwise from north,
//! altitude `h` above the horizon), clamped at 0 — the same value as GDAL's
//! `sin h·cos s + cos h·sin s·cos(A − aspect)` form, without its 1…255 byte
//! scaling. Horn's stencil is exact on planes, so a plane's hillshade is the
//! analytic cosine of incidence.
//!
//! Horn's stencil is the 1-2-1 weighted mean of three central differences.
//! At the grid edge or next to nodata, a line whose far neighbour is missing
//! uses the one-sided difference to its middle value instead, and a line
//! with fewer than two values leaves the mean. Full windows give exactly
//! Horn's (and GDAL's) value, and planes stay exact up to the border and
//! around holes (GDAL's `-compute_edges` instead copies the centre value
//! into missing neighbours, which flattens edge cells). Nodata cells give
//! NaN.
//!
//! Horizontal and vertical units are assumed equal (a projected CRS in
//! metres); for geographic grids pass a `z_factor` (≈ 1/111 320 at the
//! equator for degrees).
//!
//! ```
//! use cim_core::model::grid::Grid;
//! use cim_core::style::terrain_shading::hillshade;
//! let g = Grid::new(3, 3, 0.0, 3.0, 1.0, 1.0); // flat
//! let hs = hillshade(&g, 315.0, 45.0, 1.0);
//! assert!(hs.iter().all(|v| (v - 45f32.to_radians().sin()).abs() < 1e-6));
//! ```

use crate::model::grid::Grid;
use crate::style::color_ramp::ColorRamp;

/// Share of the colour kept in full shadow by [`shade_colors`]; the rest
/// scales with the hillshade (`ambient + (1 − ambient)·shade`).
pub const AMBIENT: f32 = 0.35;

/// Horn's gradient `(∂z/∂x east, ∂z/∂y north)` at `(col, row)`; `None` for
/// a nodata cell.
pub fn horn_gradient(grid: &Grid, col: usize, row: usize) -> Option<(f64, f64)> {
    let e = grid.get(col, row)? as f64;
    let (w, h) = (grid.width as isize, grid.height as isize);
    let at = |dc: isize, dr: isize| -> Option<f64> {
        let (c, r) = (col as isize + dc, row as isize + dr);
        if c < 0 || r < 0 || c >= w || r >= h {
            return None;
        }
        grid.get(c as usize, r as usize).map(f64::from)
    };
    // Horn's estimate is the 1-2-1 weighted mean of three central
    // differences (rows for ∂z/∂x, columns for ∂z/∂y). Where a neighbour is
    // missing, that line's difference becomes one-sided from its middle
    // value, and a line with fewer than two values drops out of the mean.
    let line = |lo: Option<f64>, mid: Option<f64>, hi: Option<f64>, step: f64| match (lo, mid, hi) {
        (Some(l), _, Some(h)) => Some((h - l) / (2.0 * step)),
        (None, Some(m), Some(h)) => Some((h - m) / step),
        (Some(l), Some(m), None) => Some((m - l) / step),
        _ => None,
    };
    let mean = |diffs: [Option<f64>; 3]| {
        let (mut sum, mut wsum) = (0.0, 0.0);
        for (d, w) in diffs.into_iter().zip([1.0, 2.0, 1.0]) {
            if let Some(d) = d {
                sum += w * d;
                wsum += w;
            }
        }
        if wsum > 0.0 { sum / wsum } else { 0.0 }
    };
    let centre = |dc: isize, dr: isize| {
        if (dc, dr) == (0, 0) {
            Some(e)
        } else {
            at(dc, dr)
        }
    };
    // Rows north (−1) to south (+1); x grows east.
    let dzdx = mean([-1, 0, 1].map(|r| line(at(-1, r), centre(0, r), at(1, r), grid.dx)));
    // Columns; y grows north, i.e. towards row −1.
    let dzdy = mean([-1, 0, 1].map(|c| line(at(c, 1), centre(c, 0), at(c, -1), grid.dy)));
    Some((dzdx, dzdy))
}

/// Hillshade per cell, row-major like `grid.data`, in `[0, 1]` (NaN for
/// nodata). `azimuth_deg` is the sun's direction clockwise from north
/// (GDAL's default 315 = north-west), `altitude_deg` its height above the
/// horizon (default 45), `z_factor` the vertical exaggeration.
pub fn hillshade(grid: &Grid, azimuth_deg: f64, altitude_deg: f64, z_factor: f64) -> Vec<f32> {
    let sun = sun_direction(azimuth_deg, altitude_deg);
    per_cell(grid, |(p, q)| {
        shade_of_normal([-z_factor * p, -z_factor * q, 1.0], sun)
    })
}

/// Unit vector towards a light at `azimuth_deg` (clockwise from north) and
/// `altitude_deg` above the horizon, in (east, north, up) axes.
pub fn sun_direction(azimuth_deg: f64, altitude_deg: f64) -> [f64; 3] {
    let (az, alt) = (azimuth_deg.to_radians(), altitude_deg.to_radians());
    [az.sin() * alt.cos(), az.cos() * alt.cos(), alt.sin()]
}

/// Hillshade in `[0, 1]` of a surface with (not necessarily unit) normal
/// `n` under light `sun` (from [`sun_direction`]): the cosine of incidence,
/// 0 for faces turned away.
///
/// ```
/// use cim_core::style::terrain_shading::{shade_of_normal, sun_direction};
/// let flat = shade_of_normal([0.0, 0.0, 1.0], sun_direction(315.0, 45.0));
/// assert!((flat - 45f32.to_radians().sin()).abs() < 1e-6);
/// ```
pub fn shade_of_normal(n: [f64; 3], sun: [f64; 3]) -> f32 {
    let len = (n[0] * n[0] + n[1] * n[1] + n[2] * n[2]).sqrt();
    if len == 0.0 {
        return 0.0;
    }
    ((n[0] * sun[0] + n[1] * sun[1] + n[2] * sun[2]) / len).max(0.0) as f32
}

/// How much a colour keeps under hillshade `shade`: `AMBIENT` in full
/// shadow, 1 in full light.
pub fn shade_factor(shade: f32) -> f32 {
    AMBIENT + (1.0 - AMBIENT) * shade.clamp(0.0, 1.0)
}

/// Slope in degrees per cell (0 flat, 90 vertical; NaN for nodata), from
/// Horn's gradient, with horizontal and vertical units equal.
pub fn slope_deg(grid: &Grid) -> Vec<f32> {
    per_cell(grid, |(p, q)| {
        (p * p + q * q).sqrt().atan().to_degrees() as f32
    })
}

fn per_cell(grid: &Grid, f: impl Fn((f64, f64)) -> f32) -> Vec<f32> {
    let mut out = Vec::with_capacity(grid.width * grid.height);
    for row in 0..grid.height {
        for col in 0..grid.width {
            out.push(horn_gradient(grid, col, row).map_or(f32::NAN, &f));
        }
    }
    out
}

/// Colours for a DEM, row-major like `grid.data`: the elevation mapped
/// through `ramp` (default `terrain`) over `range` (default the grid's
/// min–max), multiplied by `AMBIENT + (1 − AMBIENT)·shade` when a
/// hillshade is given (QGIS's "multiply" blend of a hillshade over a
/// colour relief). Nodata cells are transparent `[0, 0, 0, 0]`; NaN shade
/// leaves the colour unshaded.
///
/// # Panics
/// When `hillshade` is given with a length other than `width × height`.
///
/// ```
/// use cim_core::model::grid::Grid;
/// use cim_core::style::terrain_shading::shade_colors;
/// let mut g = Grid::new(2, 1, 0.0, 1.0, 1.0, 1.0);
/// g.data = vec![0.0, 100.0];
/// let c = shade_colors(&g, None, Some(&[1.0, 0.0]), None);
/// assert_eq!(c[0], [0x2e, 0x7d, 0x46, 255]); // terrain's lowland green, fully lit
/// assert_eq!(c[1], [89, 89, 89, 255]); // white peak in full shadow: 35 %
/// ```
pub fn shade_colors(
    grid: &Grid,
    ramp: Option<&ColorRamp>,
    hillshade: Option<&[f32]>,
    range: Option<(f32, f32)>,
) -> Vec<[u8; 4]> {
    let n = grid.width * grid.height;
    if let Some(hs) = hillshade {
        assert_eq!(hs.len(), n, "hillshade has {} cells, grid {n}", hs.len());
    }
    let default_ramp;
    let ramp = match ramp {
        Some(r) => r,
        None => {
            default_ramp = ColorRamp::by_name("terrain").expect("built-in ramp");
            &default_ramp
        }
    };
    let (lo, hi) = range.or_else(|| grid.min_max()).unwrap_or((0.0, 1.0));
    let span = hi - lo;
    (0..n)
        .map(|i| {
            let v = grid.data[i];
            if v.is_nan() || Some(v) == grid.nodata {
                return [0, 0, 0, 0];
            }
            let t = if span > 0.0 { (v - lo) / span } else { 0.5 };
            let mut c = ramp.sample(t);
            if let Some(s) = hillshade.map(|hs| hs[i]).filter(|s| !s.is_nan()) {
                let k = shade_factor(s);
                for ch in &mut c[..3] {
                    *ch = (*ch as f32 * k).round() as u8;
                }
            }
            c
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A grid sampling the plane z = p·x + q·y at cell centres.
    fn plane(w: usize, h: usize, cell: f64, p: f64, q: f64) -> Grid {
        let mut g = Grid::new(w, h, 1000.0, 5000.0, cell, cell);
        for r in 0..h {
            for c in 0..w {
                let (x, y) = g.cell_center(c, r);
                g.set(c, r, (p * (x - 1000.0) + q * (y - 4900.0)) as f32);
            }
        }
        g
    }

    #[test]
    fn flat_ground_is_lit_by_cos_zenith() {
        let g = plane(4, 3, 10.0, 0.0, 0.0);
        for alt in [10.0f64, 45.0, 90.0] {
            let hs = hillshade(&g, 123.0, alt, 1.0);
            let want = (90.0 - alt).to_radians().cos() as f32;
            assert!(hs.iter().all(|v| (v - want).abs() < 1e-6), "{alt}: {hs:?}");
        }
        assert!(slope_deg(&g).iter().all(|s| *s == 0.0));
    }

    #[test]
    fn a_plane_matches_the_analytic_incidence_everywhere_including_edges() {
        // Rises 1 m per 2 m eastward and 1 m per 4 m northward:
        // slope = atan(√(0.5² + 0.25²)), aspect (downhill) points south-west.
        let (p, q) = (0.5, 0.25);
        let g = plane(5, 4, 2.0, p, q);
        let slope = (p * p + q * q).sqrt().atan();
        // Downhill direction, as azimuth clockwise from north.
        let aspect = (-p).atan2(-q);
        for (az, alt) in [(315.0f64, 45.0f64), (225.0, 30.0), (90.0, 60.0)] {
            let (a, h) = (az.to_radians(), alt.to_radians());
            // Classic form (Burrough & McDonnell): cos i = cos Z cos s + sin Z sin s cos(A − aspect).
            let want =
                (h.sin() * slope.cos() + h.cos() * slope.sin() * (a - aspect).cos()).max(0.0);
            let hs = hillshade(&g, az, alt, 1.0);
            for (i, v) in hs.iter().enumerate() {
                assert!(
                    (*v as f64 - want).abs() < 1e-5,
                    "az {az} cell {i}: {v} vs {want}"
                );
            }
        }
        // By hand: sun in the south-west at 45°, l = (−½, −½, 1/√2);
        // n = (−0.5, −0.25, 1)/√1.3125; n·l = (0.25 + 0.125 + 0.70711)/1.14564 = 0.94454.
        let hs = hillshade(&g, 225.0, 45.0, 1.0);
        let s = std::f64::consts::FRAC_1_SQRT_2;
        let l = [-s * s, -s * s, s];
        let want = (0.5 * -l[0] + 0.25 * -l[1] + l[2]) / 1.3125f64.sqrt();
        assert!(
            (hs[7] as f64 - want).abs() < 1e-6 && (want - 0.94454).abs() < 1e-5,
            "{want}"
        );
        // Vertical exaggeration steepens it; slope is exact too.
        let sl = slope_deg(&g);
        assert!(
            sl.iter()
                .all(|v| (*v as f64 - slope.to_degrees()).abs() < 1e-4),
            "{sl:?}"
        );
        let z2 = hillshade(&g, 225.0, 45.0, 2.0);
        let want2 = (1.0 * s * s + 0.5 * s * s + s) / (1.0f64 + 1.0 + 0.25).sqrt();
        assert!((z2[7] as f64 - want2).abs() < 1e-6);
    }

    #[test]
    fn slopes_facing_away_from_the_sun_are_dark_and_nodata_is_nan() {
        // Steep east-facing slope (falls to the east), low sun in the east.
        let mut g = plane(3, 3, 1.0, -5.0, 0.0);
        let hs = hillshade(&g, 90.0, 10.0, 1.0);
        assert!(hs.iter().all(|v| *v > 0.9), "{hs:?}");
        let hs = hillshade(&g, 270.0, 10.0, 1.0);
        assert!(hs.iter().all(|v| *v == 0.0), "{hs:?}");
        g.nodata = Some(-9999.0);
        g.set(1, 1, -9999.0);
        let hs = hillshade(&g, 90.0, 10.0, 1.0);
        assert!(hs[4].is_nan());
        // Neighbours of the hole still see the plane (extrapolated).
        let exact = hillshade(&plane(3, 3, 1.0, -5.0, 0.0), 90.0, 10.0, 1.0);
        assert!((hs[1] - exact[1]).abs() < 1e-6 && (hs[3] - exact[3]).abs() < 1e-6);
        assert!(slope_deg(&g)[4].is_nan());
    }

    #[test]
    fn a_peak_is_lit_on_the_sunny_side() {
        // Cone peaking in the middle; NW sun lights the NW flank.
        let mut g = Grid::new(9, 9, 0.0, 9.0, 1.0, 1.0);
        for r in 0..9 {
            for c in 0..9 {
                let d = ((c as f32 - 4.0).powi(2) + (r as f32 - 4.0).powi(2)).sqrt();
                g.set(c, r, 10.0 - 2.0 * d);
            }
        }
        let hs = hillshade(&g, 315.0, 45.0, 1.0);
        let nw = hs[2 * 9 + 2];
        let se = hs[6 * 9 + 6];
        assert!(nw > 0.9 && se < 0.1, "nw {nw} se {se}");
    }

    #[test]
    fn colours_follow_the_ramp_and_range() {
        let mut g = Grid::new(4, 1, 0.0, 1.0, 1.0, 1.0);
        g.nodata = Some(-1.0);
        g.data = vec![0.0, 50.0, 100.0, -1.0];
        let greys = ColorRamp::by_name("greys_r").unwrap(); // black → white
        let c = shade_colors(&g, Some(&greys), None, None);
        assert_eq!(c[0], [0, 0, 0, 255]);
        assert_eq!(c[2], [255, 255, 255, 255]);
        assert_eq!(c[3], [0, 0, 0, 0]);
        // A fixed range clamps: 50 is the top of 0..50.
        let c = shade_colors(&g, Some(&greys), None, Some((0.0, 50.0)));
        assert_eq!(c[1], [255, 255, 255, 255]);
        // Half shade: 0.35 + 0.65·0.5 = 0.675 of white.
        let c = shade_colors(&g, Some(&greys), Some(&[0.5, 0.5, 0.5, f32::NAN]), None);
        assert_eq!(c[2], [172, 172, 172, 255]);
    }
}
