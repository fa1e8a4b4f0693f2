//! Regular raster grids: DEMs, flood depths, any single-band field.

use crate::model::geometry::Bbox;
use glam::DVec3;
use serde::{Deserialize, Serialize};

/// A north-up single-band grid of `f32` values, row 0 at the north edge.
///
/// Cell `(col, row)` covers `[x0 + col*dx, x0 + (col+1)*dx]` ×
/// `[y0 - (row+1)*dy, y0 - row*dy]`; its value is taken at the cell centre.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Grid {
    pub width: usize,
    pub height: usize,
    /// Top-left (north-west) corner of the grid, in the layer's CRS.
    pub x0: f64,
    pub y0: f64,
    /// Cell size in x and y (both positive).
    pub dx: f64,
    pub dy: f64,
    pub nodata: Option<f32>,
    /// Row-major values, `width * height` of them.
    pub data: Vec<f32>,
}

impl Grid {
    pub fn new(width: usize, height: usize, x0: f64, y0: f64, dx: f64, dy: f64) -> Grid {
        Grid {
            width,
            height,
            x0,
            y0,
            dx,
            dy,
            nodata: None,
            data: vec![0.0; width * height],
        }
    }

    pub fn get(&self, col: usize, row: usize) -> Option<f32> {
        let v = *self.data.get(row * self.width + col)?;
        (Some(v) != self.nodata && !v.is_nan()).then_some(v)
    }

    pub fn set(&mut self, col: usize, row: usize, v: f32) {
        self.data[row * self.width + col] = v;
    }

    /// Centre of cell `(col, row)`.
    pub fn cell_center(&self, col: usize, row: usize) -> (f64, f64) {
        (
            self.x0 + (col as f64 + 0.5) * self.dx,
            self.y0 - (row as f64 + 0.5) * self.dy,
        )
    }

    /// Bilinear interpolation between cell centres; `None` outside the grid
    /// or next to nodata.
    pub fn sample(&self, x: f64, y: f64) -> Option<f64> {
        let fx = (x - self.x0) / self.dx - 0.5;
        let fy = (self.y0 - y) / self.dy - 0.5;
        if !(fx > -0.5
            && fy > -0.5
            && fx < self.width as f64 - 0.5
            && fy < self.height as f64 - 0.5)
        {
            return None;
        }
        let c0 = (fx.floor().max(0.0) as usize).min(self.width.saturating_sub(2));
        let r0 = (fy.floor().max(0.0) as usize).min(self.height.saturating_sub(2));
        let (c1, r1) = ((c0 + 1).min(self.width - 1), (r0 + 1).min(self.height - 1));
        let tx = (fx - c0 as f64).clamp(0.0, 1.0);
        let ty = (fy - r0 as f64).clamp(0.0, 1.0);
        let v00 = self.get(c0, r0)? as f64;
        let v10 = self.get(c1, r0)? as f64;
        let v01 = self.get(c0, r1)? as f64;
        let v11 = self.get(c1, r1)? as f64;
        let top = v00 + (v10 - v00) * tx;
        let bottom = v01 + (v11 - v01) * tx;
        Some(top + (bottom - top) * ty)
    }

    /// Turns infinite values into NaN (no data) and says how many there
    /// were: ±∞ is no height, and would stretch every range it enters.
    pub fn drop_infinite(&mut self) -> usize {
        let mut n = 0;
        for v in &mut self.data {
            if v.is_infinite() {
                *v = f32::NAN;
                n += 1;
            }
        }
        n
    }

    /// Why this grid cannot be drawn as terrain, if it cannot: fewer than
    /// 2×2 cells, a cell size or corner that is not a finite number, or no
    /// valid value at all.
    ///
    /// ```
    /// use cim_core::Grid;
    /// assert!(Grid::new(2, 2, 0.0, 2.0, 1.0, 1.0).unusable().is_none());
    /// assert!(Grid::new(1, 1, 0.0, 1.0, 1.0, 1.0).unusable().is_some());
    /// let mut g = Grid::new(3, 3, 0.0, 3.0, 1.0, 1.0);
    /// g.data.fill(f32::NAN);
    /// assert!(g.unusable().is_some());
    /// ```
    pub fn unusable(&self) -> Option<String> {
        if self.width < 2 || self.height < 2 {
            return Some(format!(
                "{}×{} cells; terrain needs at least 2×2",
                self.width, self.height
            ));
        }
        let finite = [self.x0, self.y0, self.dx, self.dy]
            .iter()
            .all(|v| v.is_finite() && v.abs() <= crate::model::geometry::MAX_COORDINATE);
        if !finite || self.dx <= 0.0 || self.dy <= 0.0 {
            return Some(format!(
                "its corner ({}, {}) or cell size {}×{} is not usable",
                self.x0, self.y0, self.dx, self.dy
            ));
        }
        if self.min_max().is_none() {
            return Some("holds no valid height (every cell is no-data, NaN or infinite)".into());
        }
        None
    }

    /// Every `step`-th cell of every `step`-th row, placed so that each kept
    /// cell's centre stays where it was (an overview by sampling, as a
    /// decimated read makes it).
    ///
    /// ```
    /// use cim_core::Grid;
    /// let mut g = Grid::new(5, 3, 100.0, 30.0, 1.0, 1.0);
    /// g.set(4, 2, 7.0);
    /// let o = g.subsample(2);
    /// assert_eq!((o.width, o.height, o.dx), (3, 2, 2.0));
    /// assert_eq!(o.get(2, 1), Some(7.0));
    /// assert_eq!(o.cell_center(2, 1), g.cell_center(4, 2));
    /// ```
    pub fn subsample(&self, step: usize) -> Grid {
        let step = step.max(1);
        let (w, h) = (self.width.div_ceil(step), self.height.div_ceil(step));
        let (dx, dy) = (self.dx * step as f64, self.dy * step as f64);
        let mut o = Grid::new(
            w,
            h,
            self.x0 + 0.5 * self.dx - 0.5 * dx,
            self.y0 - 0.5 * self.dy + 0.5 * dy,
            dx,
            dy,
        );
        o.nodata = self.nodata;
        for r in 0..h {
            for c in 0..w {
                o.data[r * w + c] = self.data[r * step * self.width + c * step];
            }
        }
        o
    }

    /// Minimum and maximum of the valid values.
    pub fn min_max(&self) -> Option<(f32, f32)> {
        let mut it = self
            .data
            .iter()
            .copied()
            .filter(|v| Some(*v) != self.nodata && !v.is_nan());
        let first = it.next()?;
        Some(it.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v))))
    }

    /// Planar extent (z from the value range).
    pub fn bbox(&self) -> Bbox {
        let (lo, hi) = self.min_max().unwrap_or((0.0, 0.0));
        Bbox {
            min: DVec3::new(self.x0, self.y0 - self.height as f64 * self.dy, lo as f64),
            max: DVec3::new(self.x0 + self.width as f64 * self.dx, self.y0, hi as f64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bilinear_sampling_reproduces_a_plane() {
        let mut g = Grid::new(4, 3, 1000.0, 2000.0, 10.0, 10.0);
        for r in 0..3 {
            for c in 0..4 {
                let (x, y) = g.cell_center(c, r);
                g.set(c, r, (0.5 * (x - 1000.0) + 0.25 * (y - 1970.0)) as f32);
            }
        }
        let v = g.sample(1017.0, 1983.0).unwrap();
        assert!((v - (0.5 * 17.0 + 0.25 * 13.0)).abs() < 1e-4, "{v}");
        assert!(g.sample(999.0, 1990.0).is_none());
        assert_eq!(g.bbox().to_xy_array(), [1000.0, 1970.0, 1040.0, 2000.0]);
    }

    #[test]
    fn nodata_is_not_a_value() {
        let mut g = Grid::new(2, 2, 0.0, 2.0, 1.0, 1.0);
        g.nodata = Some(-9999.0);
        g.data = vec![1.0, 2.0, -9999.0, 4.0];
        assert_eq!(g.min_max(), Some((1.0, 4.0)));
        assert_eq!(g.get(0, 1), None);
    }
}
