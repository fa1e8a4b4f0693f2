//! The city on the flood grid: polygons (building footprints, land-use
//! areas) burnt into cells — a cell belongs to a polygon when its centre
//! lies inside it — so buildings raise the bed (water parts round them,
//! rain runs off their roofs) and land use sets Manning's n.

use crate::model::geometry::{Geometry, Polygon};
use crate::model::layer::VectorData;
use glam::DVec2;

/// Where a domain's cells are: `nx × ny` square cells of `cell_m`, rows
/// from the south, cell (0, 0)'s south-west corner at `origin`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CellGrid {
    pub nx: usize,
    pub ny: usize,
    pub cell_m: f64,
    pub origin: DVec2,
}

impl CellGrid {
    /// The cells whose centres lie inside `polygon` (even-odd, holes
    /// excluded), as `j * nx + i`. Only the polygon's bounding box is
    /// visited.
    ///
    /// ```
    /// use cim_core::flood::city::CellGrid;
    /// use cim_core::model::geometry::Polygon;
    /// use glam::{DVec2, DVec3};
    /// let g = CellGrid { nx: 10, ny: 10, cell_m: 1.0, origin: DVec2::ZERO };
    /// // A 2 × 3 m block from (4, 5): the six cells whose centres it holds.
    /// let block = Polygon::new(vec![
    ///     DVec3::new(4.0, 5.0, 0.0), DVec3::new(6.0, 5.0, 0.0),
    ///     DVec3::new(6.0, 8.0, 0.0), DVec3::new(4.0, 8.0, 0.0),
    /// ]);
    /// assert_eq!(g.cells_inside(&block), vec![54, 55, 64, 65, 74, 75]);
    /// ```
    pub fn cells_inside(&self, polygon: &Polygon) -> Vec<usize> {
        let Some(b) = Geometry::Polygon(polygon.clone()).bbox() else {
            return Vec::new();
        };
        // Cells whose centre (origin + (k + ½) · cell) can lie in [lo, hi].
        let span = |lo: f64, hi: f64, o: f64, n: usize| {
            let first = ((lo - o) / self.cell_m - 0.5).ceil().max(0.0);
            let end = (((hi - o) / self.cell_m - 0.5).floor() + 1.0).clamp(0.0, n as f64);
            first as usize..(end as usize).max(first as usize)
        };
        let cols = span(b.min.x, b.max.x, self.origin.x, self.nx);
        let rows = span(b.min.y, b.max.y, self.origin.y, self.ny);
        let mut inside = Vec::new();
        for j in rows {
            let y = self.origin.y + (j as f64 + 0.5) * self.cell_m;
            for i in cols.clone() {
                let x = self.origin.x + (i as f64 + 0.5) * self.cell_m;
                if polygon.contains_xy(x, y) {
                    inside.push(j * self.nx + i);
                }
            }
        }
        inside
    }

    /// Every cell inside any polygon of `layer` (polygons and
    /// multipolygons; other geometry is ignored), marked.
    /// The cell holding the point (x, y), if it is on the grid.
    ///
    /// ```
    /// use cim_core::DVec2;
    /// use cim_core::flood::city::CellGrid;
    /// let g = CellGrid { nx: 4, ny: 3, cell_m: 5.0, origin: DVec2::new(100.0, 200.0) };
    /// assert_eq!(g.cell_at(107.0, 211.0), Some(2 * 4 + 1));
    /// assert_eq!(g.cell_at(99.0, 201.0), None);
    /// assert_eq!(g.cell_at(120.0, 201.0), None, "the east edge is outside");
    /// ```
    pub fn cell_at(&self, x: f64, y: f64) -> Option<usize> {
        let i = ((x - self.origin.x) / self.cell_m).floor();
        let j = ((y - self.origin.y) / self.cell_m).floor();
        ((0.0..self.nx as f64).contains(&i) && (0.0..self.ny as f64).contains(&j))
            .then(|| j as usize * self.nx + i as usize)
    }

    pub fn mask(&self, layer: &VectorData) -> Vec<bool> {
        let mut mask = vec![false; self.nx * self.ny];
        for f in &layer.features {
            let polygons: &[Polygon] = match &f.geometry {
                Geometry::Polygon(p) => std::slice::from_ref(p),
                Geometry::MultiPolygon(ps) => ps,
                _ => &[],
            };
            for p in polygons {
                for c in self.cells_inside(p) {
                    mask[c] = true;
                }
            }
        }
        mask
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glam::DVec3;

    #[test]
    fn polygons_off_the_grid_or_between_centres_take_no_cells() {
        let g = CellGrid {
            nx: 4,
            ny: 4,
            cell_m: 10.0,
            origin: DVec2::new(100.0, 200.0),
        };
        let square = |x: f64, y: f64, s: f64| {
            Polygon::new(vec![
                DVec3::new(x, y, 0.0),
                DVec3::new(x + s, y, 0.0),
                DVec3::new(x + s, y + s, 0.0),
                DVec3::new(x, y + s, 0.0),
            ])
        };
        assert!(
            g.cells_inside(&square(0.0, 0.0, 50.0)).is_empty(),
            "off the grid"
        );
        assert!(
            g.cells_inside(&square(101.0, 201.0, 3.0)).is_empty(),
            "no centre in it"
        );
        assert_eq!(g.cells_inside(&square(90.0, 190.0, 30.0)), vec![0, 1, 4, 5]);
        assert_eq!(g.cells_inside(&square(0.0, 0.0, 1000.0)).len(), 16);
    }
}
