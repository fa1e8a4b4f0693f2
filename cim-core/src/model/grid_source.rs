//! Grids too large to hold: read a window of full-resolution cells at a
//! time (a tiled GeoTIFF with overviews, a COG), while an overview of the
//! whole grid is held in memory.

use crate::model::grid::Grid;

/// Where a grid lies and how fine it is, without its cells.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GridShape {
    pub width: usize,
    pub height: usize,
    /// North-west corner and cell size, as in [`Grid`].
    pub x0: f64,
    pub y0: f64,
    pub dx: f64,
    pub dy: f64,
}

impl GridShape {
    pub fn of(g: &Grid) -> GridShape {
        GridShape {
            width: g.width,
            height: g.height,
            x0: g.x0,
            y0: g.y0,
            dx: g.dx,
            dy: g.dy,
        }
    }

    /// The column whose cell centre is nearest to `x` (clamped to the grid).
    ///
    /// ```
    /// use cim_core::model::grid_source::GridShape;
    /// let s = GridShape { width: 10, height: 10, x0: 100.0, y0: 50.0, dx: 2.0, dy: 2.0 };
    /// assert_eq!(s.col_of(101.0), 0);
    /// assert_eq!(s.col_of(104.9), 2);
    /// assert_eq!(s.col_of(1e9), 9);
    /// assert_eq!(s.row_of(45.0), 2);
    /// ```
    pub fn col_of(&self, x: f64) -> usize {
        nearest((x - self.x0) / self.dx - 0.5, self.width)
    }

    /// The row whose cell centre is nearest to `y` (clamped to the grid).
    pub fn row_of(&self, y: f64) -> usize {
        nearest((self.y0 - y) / self.dy - 0.5, self.height)
    }
}

fn nearest(f: f64, n: usize) -> usize {
    if f.is_nan() || f <= 0.0 {
        0
    } else {
        (f.round() as usize).min(n.saturating_sub(1))
    }
}

/// A grid read a window at a time. Implementations are called from worker
/// threads, several at once.
pub trait GridSource: Send + Sync + std::fmt::Debug {
    /// The full-resolution grid.
    fn shape(&self) -> GridShape;
    /// The `w × h` cells at column `col0`, row `row0`, at full resolution,
    /// as a grid placed where they lie. Errors name the source and what is
    /// wrong (a damaged tile, a file that went away).
    fn read_window(&self, col0: usize, row0: usize, w: usize, h: usize) -> Result<Grid, String>;
}

/// A grid in memory is its own source (tests, generated terrain).
impl GridSource for Grid {
    fn shape(&self) -> GridShape {
        GridShape::of(self)
    }

    fn read_window(&self, col0: usize, row0: usize, w: usize, h: usize) -> Result<Grid, String> {
        if col0 + w > self.width || row0 + h > self.height {
            return Err(format!(
                "window {w}×{h} at ({col0}, {row0}) outside a {}×{} grid",
                self.width, self.height
            ));
        }
        let mut out = Grid::new(
            w,
            h,
            self.x0 + col0 as f64 * self.dx,
            self.y0 - row0 as f64 * self.dy,
            self.dx,
            self.dy,
        );
        out.nodata = self.nodata;
        for r in 0..h {
            let src = (row0 + r) * self.width + col0;
            out.data[r * w..(r + 1) * w].copy_from_slice(&self.data[src..src + w]);
        }
        Ok(out)
    }
}

/// A shared [`GridSource`]: equal only to itself (the same source object).
#[derive(Clone, Debug)]
pub struct SharedSource(pub std::sync::Arc<dyn GridSource>);

impl PartialEq for SharedSource {
    fn eq(&self, other: &SharedSource) -> bool {
        std::sync::Arc::ptr_eq(&self.0, &other.0)
    }
}
